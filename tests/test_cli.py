"""The riskgrid command: loads, stats as JSON equal to the store's, clear errors."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from geodata import Store
from riskgrid.cli import app
from tests.factories import county_file, load_tiny_grids, write_csv

runner = CliRunner()


@pytest.fixture
def loaded(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store(url)
    store.migrate()
    grids = list(load_tiny_grids(store)["grid_code"])
    path = write_csv(tmp_path / "h.csv", county_file(1471, 3543, 910, 2389, grids))
    result = runner.invoke(app, ["load", "households", str(path), "--month", "2024-10", "--db", url])
    assert result.exit_code == 0, result.output
    assert "加载 loaded 1,521" in result.output
    return url, store, grids


def test_stats_json_is_the_store_figure(loaded):
    url, store, grids = loaded
    for code in ("152223", "152223101", "152223101002", grids[0]):
        result = runner.invoke(app, ["stats", "--unit", code, "--json", "--db", url])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == store.stats(code)
    county = json.loads(runner.invoke(app, ["stats", "--json", "--db", url]).stdout)
    assert county["unit"]["level"] == "county"
    assert round(county["clearance_rate"]["persons"], 4) == 0.6743


def test_stats_table_shows_chinese_figures(loaded):
    url, _, _ = loaded
    result = runner.invoke(app, ["stats", "--db", url])
    assert result.exit_code == 0
    assert "67.43%" in result.output and "61.86%" in result.output
    assert "1,471 户 / 3,543 人" in result.output


def test_unknown_unit_and_month_are_clear_errors(loaded):
    url, _, _ = loaded
    result = runner.invoke(app, ["stats", "--unit", "999999", "--db", url])
    assert result.exit_code == 1 and "未找到单位" in result.output
    result = runner.invoke(app, ["stats", "--month", "2020-01", "--db", url])
    assert result.exit_code == 1 and "2020-01" in result.output


def test_bad_file_exits_2_with_every_error(loaded, tmp_path):
    url, store, grids = loaded
    rows = county_file(5, 10, 2, 4, grids, others=0)
    rows[0]["家庭人口数"] = "0"
    rows[3]["网格编码"] = "nope"
    path = write_csv(tmp_path / "bad.csv", rows)
    before = store.dump()
    result = runner.invoke(app, ["load", "households", str(path), "--month", "2024-11", "--db", url])
    assert result.exit_code == 2
    assert "第 2 行" in result.output and "第 5 行" in result.output and "nothing written" in result.output
    assert store.dump() == before


def test_load_warnings_command(loaded, tmp_path):
    url, store, grids = loaded
    from tests.factories import id_number

    good = tmp_path / "w.csv"
    good.write_text(
        "证件号码,户编号,来源部门,预警类型,金额,发生日期\n"
        ",H0001500,医保局,大额医疗支出,52000,2024-10-03\n"
        ",H0000002,民政,收入骤减,,2024-10-09\n",
        encoding="utf-8-sig",
    )
    result = runner.invoke(app, ["load", "warnings", str(good), "--db", url])
    assert result.exit_code == 0, result.output
    assert "加载 loaded 2" in result.output
    table = runner.invoke(app, ["stats", "--db", url]).output
    assert "2 户  (2 条" in next(line for line in table.splitlines() if "本月部门预警" in line)
    # H0001500 is not monitored, H0000002 is
    assert next(line for line in table.splitlines() if "预警未纳入监测" in line).rstrip(" │").endswith(" 1 户")
    shown = json.loads(runner.invoke(app, ["stats", "--json", "--db", url]).stdout)
    assert shown == store.stats()
    assert shown["warnings"]["by_department"] == {"医保": 1, "民政": 1}

    bad = tmp_path / "bad_w.csv"
    # the fixture's households 7 and 1007 share a head's ID number: which one is meant?
    bad.write_text(
        f"证件号码,户编号,来源部门,预警类型,金额,发生日期\n{id_number(7)},,医保,大额医疗支出,,2024-10-03\n",
        encoding="utf-8-sig",
    )
    before = store.dump()
    result = runner.invoke(app, ["load", "warnings", str(bad), "--db", url])
    assert result.exit_code == 2
    assert "第 2 行" in result.output and "匹配到多户" in result.output
    assert store.dump() == before


def test_migrate_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    versions = Path(__file__).resolve().parents[1] / "geodata" / "migrations" / "versions"
    head = max(p.name[:4] for p in versions.glob("0*.py"))  # the newest revision
    for _ in range(2):
        result = runner.invoke(app, ["migrate", "--db", url])
        assert result.exit_code == 0 and f"schema version {head}" in result.output


def test_wheel_ships_migrations_and_assets(tmp_path):
    root = __import__("pathlib").Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(tmp_path), str(root)],
        check=True,
    )
    wheel = next(tmp_path.glob("riskgrid-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "geodata/migrations/versions/0001_initial.py" in names
    assert "geodata/migrations/script.py.mako" in names
    assert "geodata/migrations/env.py" in names
    assert any(n.startswith("assets/") and n.endswith(".css") for n in names), sorted(names)
    assert "riskgrid/cli.py" in names and "etl/households.py" in names
    assert {"reports/vendor/leaflet/leaflet.js.txt", "reports/vendor/leaflet/leaflet.css.txt"} <= names
    assert "geodata/migrations/versions/0004_household_partitions.py" in names


def test_users_and_audit_commands(loaded):
    url, store, grids = loaded
    result = runner.invoke(
        app, ["users", "add", "zhang", "--role", "township", "--unit", "152223101", "--password-stdin", "--db", url],
        input="long-enough-pw\n",
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["users", "add", "x", "--role", "boss", "--password-stdin", "--db", url], input="long-enough-pw\n")
    assert result.exit_code == 1 and "unknown role" in result.output
    listing = runner.invoke(app, ["users", "list", "--db", url]).output
    assert "zhang" in listing and "152223101" in listing
    from geodata.accounts import Users

    Users(store).authenticate("zhang", "long-enough-pw", "127.0.0.1")
    assert runner.invoke(app, ["users", "disable", "zhang", "--db", url]).exit_code == 0
    out = runner.invoke(app, ["audit", "--user", "zhang", "--db", url]).output
    assert "login" in out and "127.0.0.1" in out and "1 条" in out
