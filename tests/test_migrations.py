"""An existing database upgrades in place and keeps its data."""

import sqlalchemy as sa

from etl.households import load_households
from geodata import Store
from tests.factories import county_file, load_tiny_grids, write_csv


def copy_rows(
    source: Store, target: Store, table: str, drop: tuple[str, ...] = (), where: str = "TRUE"
) -> None:
    with source.engine.connect() as conn:
        rows = [
            dict(r._mapping)
            for r in conn.execute(sa.text(f"SELECT * FROM {table} WHERE {where}")).all()
        ]
    rows = [{k: v for k, v in r.items() if k not in drop} for r in rows]
    if not rows:
        return
    columns = ", ".join(rows[0])
    marks = ", ".join(f":{k}" for k in rows[0])
    with target.engine.begin() as conn:
        conn.execute(sa.text(f"INSERT INTO {table} ({columns}) VALUES ({marks})"), rows)


def test_upgrade_from_first_revision_keeps_data(backend, make_store, tmp_path, monkeypatch):
    store = make_store(backend)
    # make_store migrates to head; start again from a database at the first revision
    if backend == "sqlite":
        store = Store(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        with store.engine.begin() as conn:
            for table in (
                "timeliness_figures",
                "problem_tally",
                "policy_thresholds",
                "problems",
                "members",
                "grid_assignments",
                "policy_lines",
                "sessions",
                "login_throttle",
                "signals",
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
    # units, households and figures as a revision-0001 install held them, written by SQL: this
    # version's loader writes columns revision 0001 lacks (figures.policy, signals, the levels
    # above the county)
    fresh = make_store(backend)
    grids = list(load_tiny_grids(fresh)["grid_code"])
    copy_rows(
        fresh,
        store,
        "units",
        drop=("province_code", "city_code"),
        where="level NOT IN ('province', 'city')",
    )
    with store.engine.begin() as conn:  # a county had no parent then
        conn.execute(sa.text("UPDATE units SET parent_code = NULL WHERE level = 'county'"))
    path = write_csv(tmp_path / "h.csv", county_file(20, 60, 5, 15, grids))
    load_households(fresh, path, month="2024-10")
    before = fresh.stats()
    copy_rows(fresh, store, "households")
    assert before["households"] == 70  # 20 monitored and 50 others
    copy_rows(fresh, store, "figures", drop=("policy",), where="level NOT IN ('province', 'city')")
    copy_rows(fresh, store, "site_figures", drop=("policy",))
    store.migrate("0004")
    # before 0005 the session-signing key was kept in the database: 0005 deletes it
    with store.write() as conn:
        store.set_meta(conn, "session_secret", "an-old-key-in-the-database")
    store.migrate()
    assert store.schema_version() == "0013"
    assert store.meta("session_secret") is None
    if backend == "postgis":  # the month moved into a partition of its own (0004)
        with store.engine.connect() as conn:
            kind = conn.exec_driver_sql(
                "SELECT relkind FROM pg_class WHERE oid = 'households'::regclass"
            ).scalar()
            part = conn.exec_driver_sql("SELECT to_regclass('households_2024_10')::text").scalar()
        assert (kind, part) == ("p", "households_2024_10")
    # figures stored before they carried their policy are stale: recomputed, the same figures
    assert store.ensure_policy() == ["2024-10"]
    assert store.stats() == before
    from geodata.accounts import Users

    Users(store).add("admin", "long-enough-pw", "admin", None)
    assert Users(store).authenticate("admin", "long-enough-pw").role == "admin"
    # and the upgraded store takes department warnings (revision 0003)
    from etl.signals import load_signals

    warnings = tmp_path / "w.csv"
    warnings.write_text(
        "户编号,来源部门,预警类型,发生日期\nH0000030,医保,大额医疗支出,2024-10-08\n",
        encoding="utf-8",
    )
    assert load_signals(store, warnings).rows_loaded == 1
    assert store.stats()["warnings"]["signals"] == 1
    assert {k: v for k, v in store.stats().items() if k != "warnings"} == {
        k: v for k, v in before.items() if k != "warnings"
    }
