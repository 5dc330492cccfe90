"""An existing database upgrades in place and keeps its data."""

from etl.households import load_households
from geodata import Store
from tests.factories import county_file, load_tiny_grids, write_csv


def test_upgrade_from_first_revision_keeps_data(backend, make_store, tmp_path):
    store = make_store(backend)
    # make_store migrates to head; start again from a database at the first revision
    if backend == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        import sqlalchemy as sa

        with store.engine.begin() as conn:
            for table in (
                "audit_log",
                "users",
                "alembic_version",
                "meta",
                "loads",
                "site_figures",
                "figures",
                "sites",
                "households",
                "units",
            ):
                conn.execute(sa.text(f"DROP TABLE {table}"))
    store.migrate("0001")
    assert store.schema_version() == "0001"
    grids = list(load_tiny_grids(store)["grid_code"])
    load_households(
        store, write_csv(tmp_path / "h.csv", county_file(20, 60, 5, 15, grids)), month="2024-10"
    )
    before = store.stats()
    store.migrate()
    assert store.schema_version() == "0002"
    assert store.stats() == before
    from geodata.access import Users

    Users(store).add("admin", "long-enough-pw", "admin", None)
    assert Users(store).authenticate("admin", "long-enough-pw").role == "admin"
