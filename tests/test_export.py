"""riskgrid export: the GeoPackage opens in GeoPandas with every grid and its figures; the
Excel figures are those of stats, the household list is masked and only for roles that see
households, text from the data is never a formula, and every export is in the audit log."""

from __future__ import annotations

import geopandas as gpd
import pyogrio
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from etl.households import load_households
from geodata.access import audit_rows
from geodata.accounts import Users
from riskgrid.cli import app
from tests.factories import county_file, tiny_grids, write_csv
from tests.test_backup import url_of

runner = CliRunner()
MONTH = "2024-10"
PASSWORD = "a-long-password-1"
# text from the data that a spreadsheet would take for a formula
FORMULAS = ("=1+1", "+86-138", "-2+3", "@SUM(A1)")


@pytest.fixture
def loaded(make_store, backend, tmp_path):
    store = make_store(backend)
    grids = tiny_grids()
    grids.loc[0, "grid_name"] = "=1+1"  # a grid named like a formula
    with store.write() as conn:
        store.upsert_grids(conn, grids)
    codes = list(grids["grid_code"])
    rows = county_file(30, 80, 8, 20, codes, others=10)
    for row, text in zip(rows, FORMULAS, strict=False):
        row["帮扶措施"] = text
    load_households(store, write_csv(tmp_path / "h.csv", rows), month=MONTH)
    users = Users(store)
    users.add("zhang", PASSWORD, "township", "152223101")
    users.add("wall", PASSWORD, "viewer", "152223")
    users.add("cun", PASSWORD, "village", "152223101002")
    return store, codes


def export(store, tmp_path, *args):
    out = tmp_path / "out"
    result = runner.invoke(app, ["export", *args, "--out", str(out), "--db", url_of(store)])
    return result, out


def test_gpkg_has_every_grid_with_its_figures(loaded, tmp_path):
    store, codes = loaded
    result, out = export(store, tmp_path, "--unit", "152223", "--format", "gpkg")
    assert result.exit_code == 0, result.output
    path = out / "152223_扎赉特旗_2024-10.gpkg"
    assert result.stdout.strip() == str(path)
    assert [name for name, _ in pyogrio.list_layers(path)] == [
        "grids",
        "villages",
        "townships",
        "counties",
    ]
    layer = gpd.read_file(path, layer="grids")
    assert layer.crs.to_epsg() == 4326
    assert sorted(layer["code"]) == sorted(codes)
    stored = store.full_geometries("grid").set_index("code").geometry
    for row in layer.itertuples():
        s = store.stats(row.code, MONTH)
        assert row.name == s["unit"]["name"] and row.month == MONTH
        assert (row.households, row.persons) == (s["households"], s["persons"])
        assert (row.monitored_households, row.monitored_persons) == tuple(s["monitored"].values())
        assert row.eliminated_persons == s["eliminated"]["persons"]
        assert row.red_households == s["open_by_level"]["red"]["households"]
        assert row.clearance_rate_persons == pytest.approx(s["clearance_rate"]["persons"])
        assert (
            row.risk_level
            == {"red": "红", "yellow": "黄", "blue": "蓝", "none": "无"}[s["risk_level"]]
        )
        assert row.geometry.equals_exact(stored[row.code], 1e-9)
    assert "=1+1" in set(layer["name"])
    county = gpd.read_file(path, layer="counties")
    assert list(county["monitored_persons"]) == [80]
    assert list(gpd.read_file(path, layer="villages")["households"]) == [
        store.stats(v, MONTH)["households"] for v in ("152223101001", "152223101002")
    ]
    exports = [r for r in audit_rows(store) if r["action"] == "export"]
    assert [(r["username"], r["target"]) for r in exports] == [("local", "152223")]
    assert "grids 6" in exports[0]["detail"]


def test_xlsx_figures_masked_households_and_no_formulas(loaded, tmp_path):
    store, codes = loaded
    result, out = export(store, tmp_path, "--unit", "152223101", "--format", "xlsx")
    assert result.exit_code == 0, result.output
    book = load_workbook(out / "152223101_好力保镇_2024-10.xlsx")
    assert book.sheetnames == ["乡镇", "村", "网格", "农户名单(已脱敏)"]
    grid_sheet = list(book["网格"].values)
    assert grid_sheet[0][:5] == ("编码", "名称", "月份", "风险等级", "网格数")
    heading = grid_sheet[0]
    for row in grid_sheet[1:]:
        s = store.stats(row[0], MONTH)
        assert row[heading.index("监测人数")] == s["monitored"]["persons"]
        assert row[heading.index("风险消除率(人)")] == pytest.approx(s["clearance_rate"]["persons"])
    assert len(grid_sheet) == 1 + len(codes)
    town = list(book["乡镇"].values)
    assert town[1][heading.index("监测户数")] == 30 and town[1][heading.index("总户数")] == 40

    sheet = book["农户名单(已脱敏)"]
    rows = list(sheet.values)
    assert len(rows) == 1 + 40
    head = rows[0]
    stored = store.households_frame(MONTH).set_index("household_id")
    for row in rows[1:]:
        name, id_number = row[head.index("户主姓名")], row[head.index("证件号码")]
        full = stored.loc[row[0]]
        assert name != full["head_name"] and "*" in name
        assert id_number == full["id_number"][:6] + "********" + full["id_number"][-4:]
    # text from the data: stored as text, never a formula, in both the list and the figures
    cells = [c for line in sheet.iter_rows() for c in line if c.value in FORMULAS]
    cells += [c for line in book["网格"].iter_rows() for c in line if c.value == "=1+1"]
    assert sorted(c.value for c in cells) == sorted([*FORMULAS, "=1+1"])
    assert all(c.data_type == "s" and c.quotePrefix for c in cells)

    actions = [(r["username"], r["action"], r["target"]) for r in audit_rows(store)]
    assert actions == [
        ("local", "view_households", "152223101"),
        ("local", "export", "152223101"),
    ]


def test_roles_and_refusals(loaded, tmp_path):
    store, _ = loaded
    # a viewer gets the figures, never the households
    result, out = export(store, tmp_path, "--unit", "152223", "--format", "xlsx", "--user", "wall")
    assert result.exit_code == 0, result.output
    assert "农户名单(已脱敏)" not in load_workbook(out / "152223_扎赉特旗_2024-10.xlsx").sheetnames
    # a village account: its own village, not the other one nor the township
    result, out = export(
        store, tmp_path, "--unit", "152223101002", "--format", "xlsx", "--user", "cun"
    )
    assert result.exit_code == 0, result.output
    rows = list(load_workbook(next(out.glob("152223101002_*.xlsx")))["农户名单(已脱敏)"].values)
    assert {r[rows[0].index("村编码")] for r in rows[1:]} == {"152223101002"}
    for unit in ("152223101001", "152223101"):
        refused, _ = export(store, tmp_path, "--unit", unit, "--format", "gpkg", "--user", "cun")
        assert refused.exit_code == 1 and "无权查看该单位" in refused.output
    denied = [r for r in audit_rows(store) if r["action"] == "denied"]
    assert [(r["username"], r["target"]) for r in denied] == [
        ("cun", "152223101001"),
        ("cun", "152223101"),
    ]
    exports = [(r["username"], r["target"]) for r in audit_rows(store) if r["action"] == "export"]
    assert exports == [("wall", "152223"), ("cun", "152223101002")]
    for args, message in (
        (["--unit", "152223", "--format", "csv"], "格式须为 gpkg 或 xlsx"),
        (["--unit", "999999", "--format", "gpkg"], "未找到"),
        (["--unit", "152223", "--format", "gpkg", "--month", "2020-01"], "2020-01"),
        (["--unit", "152223", "--format", "gpkg", "--user", "nobody"], "未找到用户"),
    ):
        result, _ = export(store, tmp_path, *args)
        assert result.exit_code == 1 and message in result.output, result.output


def test_file_names_from_unit_names_are_safe(make_store, tmp_path):
    store = make_store("sqlite")
    grids = tiny_grids()
    grids["county_name"] = '../..\\扎赉特旗:*?"<>|' + "旗" * 200
    with store.write() as conn:
        store.upsert_grids(conn, grids)
    rows = county_file(5, 12, 2, 4, list(grids["grid_code"]), others=2)
    load_households(store, write_csv(tmp_path / "h.csv", rows), month=MONTH)
    result, out = export(store, tmp_path, "--unit", "152223", "--format", "gpkg")
    assert result.exit_code == 0, result.output
    (path,) = out.iterdir()
    assert path.name.startswith("152223_扎赉特旗_旗旗") and path.name.endswith("_2024-10.gpkg")
    assert len(path.name.encode()) < 200 and path.stat().st_mode & 0o077 == 0
    assert len(gpd.read_file(path, layer="grids")) == 6
