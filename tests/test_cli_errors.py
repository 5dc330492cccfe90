"""No traceback reaches a user (issue 14): each kind of failure of a ``riskgrid`` command is a
Chinese message naming the file or the database (without its password) and a non-zero exit;
``--debug`` (or RISKGRID_DEBUG=1) shows the traceback."""

from __future__ import annotations

import errno
import sqlite3
import zipfile
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

import etl.households
import geodata.database
from geodata import Store
from riskgrid.cli import app
from riskgrid.cli_errors import RiskgridGroup, masked_url
from tests.factories import county_file, load_tiny_grids, write_csv

runner = CliRunner()
LOADS = ("grids", "households", "assignments", "sites", "warnings")
UNREACHABLE = "postgresql+psycopg://riskgrid:s3cret-pw@127.0.0.1:1/riskgrid"


def run(*args: str, **kwargs):
    result = runner.invoke(app, list(args), **kwargs)
    assert "Traceback" not in result.output, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result


@pytest.fixture
def db(tmp_path):
    """A SQLite store with the tiny grids and a month of households; (url, store, csv)."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store(url)
    store.migrate()
    grids = list(load_tiny_grids(store)["grid_code"])
    path = write_csv(tmp_path / "h.csv", county_file(5, 12, 2, 4, grids, others=3))
    yield url, store, path
    store.dispose()


def test_every_command_runs_inside_the_error_handler():
    assert isinstance(typer.main.get_command(app), RiskgridGroup)


@pytest.mark.parametrize("kind", LOADS)
def test_missing_file(kind, db, tmp_path):
    url, store, _ = db
    before = store.dump()
    missing = tmp_path / "nowhere" / "data.csv"
    result = run("load", kind, str(missing), "--db", url)
    assert result.exit_code == 2
    assert f"{missing}: 文件不存在 (file: not found)" in result.output
    assert store.dump() == before


@pytest.mark.parametrize("kind", ("households", "assignments", "sites", "warnings"))
def test_directory_given_as_a_file(kind, db, tmp_path):
    url, store, _ = db
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    result = run("load", kind, str(folder), "--db", url)
    assert result.exit_code == 2
    assert f"{folder}: 这是一个目录, 应为文件 (file: is a directory)" in result.output


def test_directory_without_a_layer_for_grids(db, tmp_path):
    url, _, _ = db
    result = run("load", "grids", str(tmp_path), "--db", url)
    assert result.exit_code == 2 and "没有 Shapefile、GeoPackage 或 GeoJSON 图层" in result.output


@pytest.mark.parametrize("name", ("x.csv", "x.txt", "x.xlsx"))
def test_table_given_as_a_grid_layer(name, db, tmp_path):
    url, store, _ = db
    path = tmp_path / name
    path.write_text("网格编码,网格名称\n152223101001001,一\n", encoding="utf-8")
    before = store.dump()
    result = run("load", "grids", str(path), "--db", url)
    assert result.exit_code == 2
    assert "AttributeError" not in result.output and "not recognized" not in result.output
    assert "这是表格文件, 不是图层" in result.output or "不是有效的 Excel 文件" in result.output
    assert store.dump() == before


def test_a_layer_gdal_cannot_read_is_explained_in_chinese(db, tmp_path):
    url, _, _ = db
    path = tmp_path / "grids.geojson"
    path.write_text("这不是 GeoJSON {", encoding="utf-8")
    result = run("load", "grids", str(path), "--db", url)
    assert result.exit_code == 2
    assert "无法读取图层: 文件已损坏或不是 GeoPackage (.gpkg)、GeoJSON (.geojson)" in result.output


def test_garbage_and_truncated_workbooks(db, tmp_path):
    url, store, csv_path = db
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(bytes(range(256)) * 20)
    good = tmp_path / "good.xlsx"
    with zipfile.ZipFile(good, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>" * 500)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(good.read_bytes()[:300])
    before = store.dump()
    for path in (garbage, truncated):
        result = run("load", "households", str(path), "--month", "2024-10", "--db", url)
        assert result.exit_code == 2
        assert "不是有效的 Excel 文件: 文件已损坏、不完整或格式不符" in result.output
    result = run("load", "households", str(good), "--month", "2024-10", "--db", url)
    assert result.exit_code == 2 and "无法读取 Excel 文件" in result.output
    assert store.dump() == before


def test_a_two_gigabyte_file_is_refused_before_it_is_read(db, tmp_path, monkeypatch):
    url, _, _ = db

    read: list[object] = []
    monkeypatch.setattr(etl.households, "_sha256", read.append)
    monkeypatch.setattr(Path, "read_bytes", read.append)
    big = tmp_path / "big.csv"
    with big.open("wb") as f:
        f.truncate(2 * 1024**3)  # sparse: no disk used
    result = run("load", "households", str(big), "--db", url)
    assert result.exit_code == 2
    assert "文件过大: 2,048 MB, 上限 500 MB (RISKGRID_MAX_FILE_MB)" in result.output
    assert read == []  # neither hashed nor read


def test_locked_sqlite_database(db, monkeypatch):
    url, store, path = db
    before = store.dump()
    # the store waits 2 minutes for a lock; here 0.2 s
    original = geodata.database._sqlite_pragmas

    def quick(dbapi_connection, record):
        original(dbapi_connection, record)
        dbapi_connection.execute("PRAGMA busy_timeout = 200")

    monkeypatch.setattr(geodata.database, "_sqlite_pragmas", quick)
    holder = sqlite3.connect(sa.engine.make_url(url).database)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = run("load", "households", str(path), "--month", "2024-10", "--db", url)
    finally:
        holder.rollback()
        holder.close()
    assert result.exit_code == 1
    assert "数据库被锁定" in result.output and url in result.output
    assert "未写入任何数据" in result.output
    assert store.dump() == before


@pytest.mark.parametrize(
    "args",
    (
        ("stats",),
        ("check",),
        ("timeliness",),
        ("migrate",),
        ("rules",),
        ("lines", "list"),
        ("users", "list"),
        ("audit",),
        ("serve",),
        ("brief", "--unit", "152223", "--format", "png", "--out", "out"),
        ("load", "households", "tests/data/national_members_example.csv"),
    ),
)
def test_unreachable_postgresql(args):
    result = run(*args, "--db", UNREACHABLE)
    assert result.exit_code == 1
    assert "无法连接数据库" in result.output
    assert "postgresql+psycopg://riskgrid:***@127.0.0.1:1/riskgrid" in result.output
    assert "s3cret-pw" not in result.output


def test_masked_url_hides_the_password_of_any_url():
    assert masked_url(UNREACHABLE) == "postgresql+psycopg://riskgrid:***@127.0.0.1:1/riskgrid"
    assert "pw" not in masked_url("not a url://u:pw@host")


def test_bad_database_url():
    result = run("stats", "--db", "mysqlx://u:pw@host/db")
    assert result.exit_code == 1 and "数据库地址无效" in result.output
    assert "pw" not in result.output


def _raise_in_write(monkeypatch, exc: BaseException) -> None:
    """The load's bulk write fails mid-transaction with ``exc``."""

    def fail(self, conn, frame, *args, **kwargs):
        conn.exec_driver_sql("DELETE FROM units")  # something written before the failure
        raise exc

    monkeypatch.setattr(Store, "upsert_households", fail)


def test_full_disk(db, monkeypatch):
    url, store, path = db
    before = store.dump()
    _raise_in_write(monkeypatch, OSError(errno.ENOSPC, "No space left on device"))
    result = run("load", "households", str(path), "--month", "2024-10", "--db", url)
    assert result.exit_code == 1
    assert "磁盘已满, 未写入任何数据 (nothing written)" in result.output
    assert store.dump() == before


def test_sqlite_disk_full(db, monkeypatch):
    url, store, path = db
    before = store.dump()
    full = sa.exc.OperationalError(
        "INSERT", {}, sqlite3.OperationalError("database or disk is full")
    )
    _raise_in_write(monkeypatch, full)
    result = run("load", "households", str(path), "--month", "2024-10", "--db", url)
    assert result.exit_code == 1 and "磁盘已满" in result.output and url in result.output
    assert store.dump() == before


def test_ctrl_c_during_a_load_writes_nothing(db, monkeypatch):
    url, store, path = db
    before = store.dump()
    _raise_in_write(monkeypatch, KeyboardInterrupt())
    result = run("load", "households", str(path), "--month", "2024-10", "--db", url)
    assert result.exit_code == 130
    assert "已取消, 未写入任何数据 (cancelled, nothing written)" in result.output
    assert store.dump() == before
    assert not list(path.parent.glob("*.rejects.*"))


def test_ctrl_c_during_a_skip_invalid_load_leaves_no_rejects_file(db, monkeypatch, tmp_path):
    url, store, _ = db
    grids = sorted(store.grid_index()["grid_code"])
    rows = county_file(5, 12, 2, 4, grids, others=3)
    rows[1]["家庭人口数"] = "0"  # rejected: goes to the rejects file before the write
    path = write_csv(tmp_path / "skip.csv", rows)
    before = store.dump()
    _raise_in_write(monkeypatch, KeyboardInterrupt())
    result = run(
        "load", "households", str(path), "--month", "2024-10", "--skip-invalid", "--db", url
    )
    assert result.exit_code == 130 and "已取消, 未写入任何数据" in result.output
    assert store.dump() == before
    assert not (tmp_path / "skip.rejects.csv").exists()
    monkeypatch.undo()
    result = run(
        "load", "households", str(path), "--month", "2024-10", "--skip-invalid", "--db", url
    )
    assert result.exit_code == 0 and (tmp_path / "skip.rejects.csv").exists()


def test_ctrl_c_elsewhere(db, monkeypatch):
    url, _, _ = db

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(Store, "stats", interrupted)
    result = run("stats", "--json", "--db", url)
    assert result.exit_code == 130 and "已取消 (cancelled)" in result.output


def test_internal_error_and_debug(db, monkeypatch):
    url, _, _ = db

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(Store, "stats", broken)
    result = run("stats", "--json", "--db", url)
    assert result.exit_code == 1
    assert "内部错误 (internal error: RuntimeError: boom)" in result.output
    assert "用 --debug 查看详情" in result.output
    shown = runner.invoke(app, ["--debug", "stats", "--json", "--db", url])
    assert shown.exit_code == 1
    assert "Traceback (most recent call last)" in shown.output
    assert 'raise RuntimeError("boom")' in shown.output and "内部错误" in shown.output
    monkeypatch.setenv("RISKGRID_DEBUG", "1")
    by_env = runner.invoke(app, ["stats", "--json", "--db", url])
    assert by_env.exit_code == 1 and "Traceback (most recent call last)" in by_env.output


def test_debug_shows_the_traceback_of_a_refused_file_too(db, tmp_path):
    url, _, _ = db
    result = runner.invoke(
        app, ["--debug", "load", "households", str(tmp_path / "x.csv"), "--db", url]
    )
    assert result.exit_code == 2
    assert "Traceback (most recent call last)" in result.output and "LoadError" in result.output


def test_bad_setting_names_its_variable(db, monkeypatch):
    url, _, _ = db
    monkeypatch.setenv("RISKGRID_PORT", "eighty")
    result = run("stats", "--db", url)
    assert result.exit_code == 1
    assert "设置无效 (bad setting): RISKGRID_PORT='eighty'" in result.output


def test_output_directory_that_is_a_file(db, tmp_path):
    url, store, path = db
    run("load", "households", str(path), "--month", "2024-10", "--db", url)
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be")
    result = run(
        "brief", "--unit", "152223", "--format", "html", "--out", str(blocker), "--db", url
    )
    assert result.exit_code == 1
    assert str(blocker) in result.output
    assert "错误 error:" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    (
        (("load", "households", "h.csv", "--month", "2024-13"), "月份应为 YYYY-MM"),
        (("serve", "--port", "99999"), "端口应为 1 至 65535"),
        (("audit", "--since", "yesterday"), "日期应为 YYYY-MM-DD"),
        (
            ("demo", "--households", "0", "--months", "1", "--no-serve", "--out", "d"),
            "演示数据参数无效",
        ),
        (("check", "--month", "2024-13"), "月份应为 YYYY-MM"),
        (
            ("brief", "--unit", "152223", "--format", "png", "--size", "10x", "--out", "b"),
            "尺寸格式",
        ),
    ),
)
def test_bad_arguments_are_clear_errors_not_internal_ones(args, message, db, tmp_path, monkeypatch):
    url, _, path = db
    monkeypatch.chdir(tmp_path)
    result = run(*args, "--db", url)
    assert result.exit_code == 1
    assert message in result.output and "内部错误" not in result.output
