"""riskgrid backup / restore: a round trip gives the same figures of every unit and month, on
SQLite and PostGIS; a damaged, foreign or missing backup is a clear error that changes nothing;
a store with data is only replaced with --force."""

from __future__ import annotations

import sqlite3
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from etl.households import load_households
from geodata import schema
from geodata.accounts import Users
from geodata.backup import BackupError, backup, restore
from geodata.pg_backup import store_schema
from riskgrid.cli import app
from tests.factories import county_file, load_tiny_grids, write_csv

runner = CliRunner()
MONTHS = ("2024-09", "2024-10")


def fill(store, tmp_path) -> list[str]:
    """Grids, two months of households and an account: every part of a store a backup holds."""
    grids = list(load_tiny_grids(store)["grid_code"])
    for n, month in enumerate(MONTHS):
        rows = county_file(40 + n, 100 + 3 * n, 10 + n, 25 + n, grids, others=12)
        load_households(store, write_csv(tmp_path / f"h{month}.csv", rows), month=month)
    Users(store).add("zhang", "a-long-password-1", "township", "152223101")
    return grids


def every_figure(store) -> dict[tuple[str, str], dict]:
    """``stats`` of every unit in every month."""
    f = schema.figures
    with store.engine.connect() as conn:
        keys = conn.execute(sa.select(f.c.unit_code, f.c.month)).all()
    return {(code, month): store.stats(code, month) for code, month in keys}


def grid_shapes(store) -> list[tuple[str, bytes]]:
    shapes = store.full_geometries("grid")
    return [(c, g.wkb) for c, g in zip(shapes["code"], shapes.geometry, strict=True)]


def url_of(store) -> str:
    """A --db URL naming the store (on PostGIS its schema, in the URL's options)."""
    if not store.is_postgis:
        return store.url
    options = quote(f"-csearch_path={store_schema(store)},public")
    return f"{store.engine.url.render_as_string(hide_password=False)}?options={options}"


def test_round_trip_gives_every_figure(make_store, backend, tmp_path):
    source = make_store(backend)
    fill(source, tmp_path)
    figures = every_figure(source)
    assert len(figures) == 2 * 12 and {m for _, m in figures} == set(MONTHS)
    dump, shapes = source.dump(), grid_shapes(source)
    file = tmp_path / "riskgrid.backup"
    info = backup(source, file)
    assert info.schema_version == source.schema_version()
    assert info.rows["households"] == 41 + 12 + 40 + 12 and info.rows["users"] == 1
    assert file.stat().st_mode & 0o077 == 0  # personal data: owner only

    target = make_store(backend)  # a fresh, migrated, empty store
    restore(target, file)
    assert every_figure(target) == figures
    assert target.dump() == dump
    assert grid_shapes(target) == shapes
    assert target.data_version() == source.data_version()
    assert Users(target).get("zhang").unit_code == "152223101"
    assert source.dump() == dump  # the store backed up is untouched


def test_cli_round_trip_and_refusals(make_store, backend, tmp_path):
    source, target = make_store(backend), make_store(backend)
    fill(source, tmp_path)
    file = tmp_path / "cli.backup"
    result = runner.invoke(app, ["backup", str(file), "--db", url_of(source)])
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output and "农户记录 105" in result.output
    again = runner.invoke(app, ["backup", str(file), "--db", url_of(source)])
    assert again.exit_code == 1 and "备份文件已存在" in again.output

    result = runner.invoke(app, ["restore", str(file), "--db", url_of(target)])
    assert result.exit_code == 0, result.output
    assert "已恢复" in result.output
    assert every_figure(target) == every_figure(source)

    # a store with data is not replaced without --force; with it, it is (after a change)
    with target.write() as conn:
        conn.execute(schema.meta.insert().values(key="note", value="changed"))
    refused = runner.invoke(app, ["restore", str(file), "--db", url_of(target)])
    assert refused.exit_code == 1 and "目标数据库已有数据" in refused.output
    assert target.meta("note") == "changed"
    forced = runner.invoke(app, ["restore", str(file), "--force", "--db", url_of(target)])
    assert forced.exit_code == 0, forced.output
    assert target.meta("note") is None
    restored, backed_up = target.dump(), source.dump()
    # the backup's own audit row is written after it (not in it); the restore's after it
    assert [(r[3], r[4]) for r in restored.pop("audit_log")] == [("restore", str(file))]
    assert [(r[3], r[4]) for r in backed_up.pop("audit_log")] == [("backup", str(file))]
    assert restored == backed_up


def test_bad_backups_are_clear_errors_and_change_nothing(make_store, backend, tmp_path):
    source, target = make_store(backend), make_store(backend)
    fill(source, tmp_path)
    good = tmp_path / "good.backup"
    backup(source, good)
    with target.write() as conn:
        conn.execute(schema.meta.insert().values(key="note", value="kept"))
    before = target.dump()

    truncated = tmp_path / "truncated.backup"
    data = good.read_bytes()
    truncated.write_bytes(data[: len(data) * 2 // 3])
    text = tmp_path / "households.csv"
    text.write_text("户编号,户主姓名\nH1,张三\n", encoding="utf-8")
    cases = {
        tmp_path / "missing.backup": "备份文件不存在",
        tmp_path: "不是普通文件",
        text: "备份文件",  # 不是 SQLite 备份文件 / 不是 PostgreSQL 备份文件
        truncated: "已损坏",
    }
    for path, message in cases.items():
        with pytest.raises(BackupError, match=message):
            restore(target, path, force=True)
        assert target.dump() == before, path
        result = runner.invoke(app, ["restore", str(path), "--force", "--db", url_of(target)])
        assert result.exit_code == 1 and message in result.output, result.output
        assert "Traceback" not in result.output
        assert target.dump() == before, path


def test_backup_of_a_newer_release_is_refused(make_store, tmp_path):
    source, target = make_store("sqlite"), make_store("sqlite")
    fill(source, tmp_path)
    file = tmp_path / "new.backup"
    backup(source, file)
    with sqlite3.connect(file) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999'")
    with pytest.raises(BackupError, match="更新的 riskgrid 版本"):
        restore(target, file)
    assert not target.dump()["units"]


def test_sqlite_backup_and_restore_while_the_dashboard_has_it_open(make_store, tmp_path):
    """A writer in the middle of a transaction is not in the backup; a restore under open
    connections is seen by them (one transaction into the live file, no file swapped)."""
    source, target = make_store("sqlite"), make_store("sqlite")
    fill(source, tmp_path)
    expected = source.dump()
    writer = sqlite3.connect(source.file)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO meta (key, value) VALUES ('half', 'done')")
    file = tmp_path / "live.backup"
    backup(source, file)  # while the write lock is held
    writer.rollback()
    writer.close()

    assert target.unit("152223") is None  # the dashboard's pool has the file open
    restore(target, file)
    assert target.dump() == expected and target.unit("152223").name == "扎赉特旗"
    reader = sqlite3.connect(target.file)
    assert reader.execute("SELECT value FROM meta WHERE key = 'half'").fetchone() is None
    assert reader.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    reader.close()
    assert not list(tmp_path.glob(".*.tmp*"))  # no temporary file left behind


@pytest.fixture
def pg_databases(make_store):
    """Factory of fresh PostgreSQL databases with PostGIS (a store in schema public)."""
    import uuid

    from geodata import Store
    from tests.conftest import PG_ADMIN_URL, PG_URL, _need_pg

    _need_pg()
    made: list[tuple[str, Store]] = []
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")

    def factory() -> Store:
        name = f"rg_bk_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = sa.engine.make_url(PG_URL).set(database=name)
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE EXTENSION postgis"))
        engine.dispose()
        store = Store(url.render_as_string(hide_password=False))
        store.migrate()
        made.append((name, store))
        return store

    yield factory
    for name, store in made:
        store.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.postgis
def test_postgis_database_of_its_own_round_trip(pg_databases, make_store, tmp_path):
    """The usual install: a database of its own, tables in public (PostGIS there too). A
    backup restores into another such database; a backup of a schema restores into public."""
    source, target = pg_databases(), pg_databases()
    assert store_schema(source) == "public"
    fill(source, tmp_path)
    figures = every_figure(source)
    file = tmp_path / "public.backup"
    backup(source, file)
    restore(target, file)
    assert every_figure(target) == figures and target.dump() == source.dump()
    assert grid_shapes(target) == grid_shapes(source)
    restore(target, file, force=True)  # again over itself
    assert target.dump() == source.dump()

    other = make_store("postgis")  # a schema of the test database
    grids = load_tiny_grids(other)
    rows = county_file(5, 12, 2, 4, list(grids["grid_code"]), others=3)
    load_households(other, write_csv(tmp_path / "o.csv", rows), month="2025-01")
    schema_file = tmp_path / "schema.backup"
    backup(other, schema_file)
    restore(target, schema_file, force=True)
    assert every_figure(target) == every_figure(other) and target.dump() == other.dump()
    with target.engine.connect() as conn:
        spaces = conn.execute(sa.text("SELECT nspname FROM pg_namespace")).scalars().all()
    assert store_schema(other) not in spaces and not [s for s in spaces if "rg_hold" in s]
    # and a backup of public is not restored into another schema
    with pytest.raises(BackupError, match="只能恢复到 public"):
        restore(other, file, force=True)


def test_failed_restore_makes_no_database(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("not a backup", encoding="utf-8")
    target = tmp_path / "new.db"
    result = runner.invoke(app, ["restore", str(text), "--db", f"sqlite:///{target}"])
    assert result.exit_code == 1 and "不是 SQLite 备份文件" in result.output
    assert not target.exists()
    missing = runner.invoke(app, ["backup", str(tmp_path / "b"), "--db", f"sqlite:///{target}"])
    assert missing.exit_code == 1 and "数据库文件不存在" in missing.output
    assert not target.exists() and not (tmp_path / "b").exists()
