"""Data that cannot be true is refused, each problem by file, row, column, value and reason,
and nothing is written: numbers beyond their plausible bounds (``etl.bounds``), grid codes that
are not 15 digits, grids outside China, a projected CRS declared over degree coordinates.
Overlapping and sliver grids are warnings naming the grids. All inputs are synthetic.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon

from etl.bounds import HOUSEHOLD_BOUNDS
from etl.errors import LoadError
from etl.grids import load_grids
from etl.households import load_households
from etl.signals import load_signals
from etl.sites import load_sites
from tests.factories import household_row, load_tiny_grids, tiny_grids, write_csv

MONTH = "2024-10"
GRID = "152223101001001"


def _where(issue) -> tuple:
    return (Path(issue.file).name, issue.row, issue.column, issue.field, issue.value)


# ---------------------------------------------------------------------- households
def test_implausible_household_numbers_are_refused_by_row_and_nothing_is_written(store, tmp_path):
    load_tiny_grids(store)
    rows = [household_row(i, GRID, 3) for i in range(1, 8)]
    rows[1]["家庭人口数"] = "2147483648"
    rows[2]["家庭人均纯收入"] = "1e300"
    rows[3]["劳动力人数"] = "-2"
    rows[4]["务工就业人数"] = "31"
    rows[4]["家庭人口数"] = "31"
    rows[6]["家庭人口数"] = "99999999999999999999999"  # past 2**63: no wrap-around
    path = write_csv(tmp_path / "h.csv", rows)
    before = store.dump()
    with pytest.raises(LoadError) as exc:
        load_households(store, path, month=MONTH)
    assert store.dump() == before
    got = {(_where(i), i.reason) for i in exc.value.issues}
    persons = HOUSEHOLD_BOUNDS["persons"].reason("家庭人口数", "persons")
    assert (
        persons == "家庭人口数应在 1 到 30 之间, 该值不可能为真 (persons: must be between 1 and 30)"
    )
    assert got == {
        (("h.csv", 3, "家庭人口数", "persons", "2147483648"), persons),
        (
            ("h.csv", 4, "家庭人均纯收入", "income_per_capita", "1e300"),
            "家庭人均纯收入应在 0 到 1,000,000 元 之间, 该值不可能为真 "
            "(income_per_capita: must be between 0 and 1,000,000)",
        ),
        (
            ("h.csv", 5, "劳动力人数", "labor_count", "-2"),
            "劳动力人数不能为负 (labor_count: must be >= 0)",
        ),
        (("h.csv", 6, "家庭人口数", "persons", "31"), persons),
        (
            ("h.csv", 6, "务工就业人数", "employed_count", "31"),
            "务工就业人数应在 0 到 30 之间, 该值不可能为真 (employed_count: must be between 0 and 30)",
        ),
        (("h.csv", 8, "家庭人口数", "persons", "99999999999999999999999"), persons),
    }

    # a household number past 64 characters is refused at the reader's gate (etl/limits.py),
    # before the values are checked
    rows = [household_row(i, GRID, 3) for i in range(1, 4)]
    rows[1]["户编号"] = "H" * 65
    with pytest.raises(LoadError) as exc:
        load_households(store, write_csv(tmp_path / "long.csv", rows), month=MONTH)
    assert store.dump() == before
    assert [(_where(i), i.reason) for i in exc.value.issues] == [
        (
            ("long.csv", 3, "户编号", "household_id", "H" * 20 + "…"),
            "单元格过长: 65 个字符, 上限 64 (cell: too long, at most 64 characters)",
        )
    ]


def test_member_level_export_with_a_household_of_31_members_is_refused(store, tmp_path):
    from tests.factories import id_number

    load_tiny_grids(store)
    rows = [
        {
            "户编号": "H1",
            "人编号": f"P{k:03d}",
            "姓名": f"成员{k}",
            "证件号码": id_number(k),
            "与户主关系": "户主" if k == 0 else "之子",
            "网格编码": GRID,
            "人均纯收入（元）": "12000",
            "户类型": "一般户",
        }
        for k in range(31)
    ]
    path = write_csv(tmp_path / "members.csv", rows)
    before = store.dump()
    with pytest.raises(LoadError) as exc:
        load_households(store, path, month=MONTH)
    assert store.dump() == before
    reasons = [i.reason for i in exc.value.issues if i.field == "persons"]
    assert reasons and set(reasons) == {HOUSEHOLD_BOUNDS["persons"].reason("家庭人口数", "persons")}


# ---------------------------------------------------------------------- sites and warnings
def test_implausible_site_counts_are_refused(store, tmp_path):
    load_tiny_grids(store)
    path = tmp_path / "sites.csv"
    path.write_text(
        "安置点编码,安置点名称,乡镇编码,经度,纬度,安置户数,安置人数,帮扶车间数\n"
        "S1,幸福社区,152223101,122.9,46.7,2147483648,300,1\n"
        "S2,安康小区,152223101,122.9,46.7,120,-5,1001\n",
        encoding="utf-8",
    )
    before = store.dump()
    with pytest.raises(LoadError) as exc:
        load_sites(store, path)
    assert store.dump() == before
    assert {(_where(i), i.reason) for i in exc.value.issues} == {
        (
            ("sites.csv", 2, "安置户数", "households", "2147483648"),
            "安置户数应在 0 到 50,000 之间, 该值不可能为真 (households: must be between 0 and 50,000)",
        ),
        (
            ("sites.csv", 3, "安置人数", "persons", "-5"),
            "安置人数应为非负整数 (persons: integer >= 0)",
        ),
        (
            ("sites.csv", 3, "帮扶车间数", "workshops", "1001"),
            "帮扶车间数应在 0 到 1,000 之间, 该值不可能为真 (workshops: must be between 0 and 1,000)",
        ),
    }


def test_an_implausible_warning_amount_is_refused(store, tmp_path):
    load_tiny_grids(store)
    load_households(store, write_csv(tmp_path / "h.csv", [household_row(1, GRID, 3)]), month=MONTH)
    rows = [
        {
            "户编号": "H0000001",
            "来源部门": "医保",
            "预警类型": "大额医疗支出",
            "金额": "1e300",
            "发生日期": "2024-10-08",
        }
    ]
    path = write_csv(tmp_path / "w.csv", rows)
    before = store.dump()
    with pytest.raises(LoadError) as exc:
        load_signals(store, path)
    assert store.dump() == before
    [issue] = exc.value.issues
    assert _where(issue) == ("w.csv", 2, "金额", "amount", "1e300")
    assert issue.reason == (
        "金额应在 0 到 100,000,000 元 之间, 该值不可能为真 (amount: must be between 0 and 100,000,000)"
    )


# ---------------------------------------------------------------------- grids
def _geojson(frame: gpd.GeoDataFrame, path: Path) -> Path:
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def test_grid_codes_must_be_15_digits_and_a_float_ised_code_is_the_same_grid(store, tmp_path):
    load_grids(store, _geojson(tiny_grids(), tmp_path / "grids.geojson"))
    before = store.dump()

    # Excel turned the codes into floats written as text: the same grids, no second grid
    floated = tiny_grids()
    floated["grid_code"] = floated["grid_code"] + ".0"
    load_grids(store, _geojson(floated, tmp_path / "floated.geojson"))
    assert store.unit("152223101001001.0") is None
    assert sorted(store.full_geometries("grid")["code"]) == sorted(tiny_grids()["grid_code"])

    bad = tiny_grids()
    bad.loc[0, "grid_code"] = "15222310100100"  # 14 digits
    bad.loc[2, "grid_code"] = "15222310100100A"
    path = _geojson(bad, tmp_path / "bad.geojson")
    loaded = store.dump()
    with pytest.raises(LoadError) as exc:
        load_grids(store, path)
    assert store.dump() == loaded
    reason = "网格编码应为 15 位数字 (村编码加 3 位网格号) (grid_code: not 15 digits)"
    assert [(_where(i), i.reason) for i in exc.value.issues] == [
        (("bad.geojson", 1, "grid_code", "grid_code", "15222310100100"), reason),
        (("bad.geojson", 3, "grid_code", "grid_code", "15222310100100A"), reason),
    ]
    # a 100,000-character code is refused at the layer's gate (etl/limits.py), shown cut
    huge = tiny_grids()
    huge.loc[1, "grid_code"] = "1" * 100_000
    with pytest.raises(LoadError) as exc:
        load_grids(store, _geojson(huge, tmp_path / "huge.geojson"))
    assert store.dump() == loaded
    assert [(_where(i), i.reason) for i in exc.value.issues] == [
        (
            ("huge.geojson", 2, "grid_code", "grid_code", "1" * 20 + "…"),
            "单元格过长: 100,000 个字符, 上限 64 (cell: too long, at most 64 characters)",
        )
    ]
    assert len(str(exc.value)) < 2000  # the message shows the long code cut
    assert before["units"] != []


def test_grids_outside_china_are_refused(store, tmp_path):
    far = tiny_grids()
    far["geometry"] = shapely.transform(far.geometry.values, lambda xy: xy - [112.0, 0.0])
    far.loc[3:, "geometry"] = tiny_grids().geometry[3:]  # the second village stays in China
    before = store.dump()
    with pytest.raises(LoadError) as exc:
        load_grids(store, _geojson(far, tmp_path / "far.geojson"))
    assert store.dump() == before
    issues = exc.value.issues
    assert [i.row for i in issues] == [1, 2, 3]
    assert {i.field for i in issues} == {"geometry"}
    assert issues[0].reason == (
        "坐标不在中国范围内 (经度 73–136, 纬度 3–54), 请检查坐标系 (geometry: outside China)"
    )
    minx, miny, maxx, maxy = far.geometry[0].bounds
    assert issues[0].value == f"{minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f}"


def test_epsg_3857_declared_over_degrees_is_an_error(store, tmp_path):
    path = _geojson(tiny_grids(), tmp_path / "grids.geojson")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["crs"] = {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    before = store.dump()
    with pytest.raises(LoadError) as exc:
        load_grids(store, path)
    assert store.dump() == before
    [issue] = exc.value.issues
    assert (issue.row, issue.field, issue.value) == (None, "crs", "EPSG:3857")
    assert issue.reason.startswith("文件声明的坐标系 EPSG:3857 与坐标不符: 坐标像经纬度 (122.9")
    assert "转换后却在 (0.0" in issue.reason
    assert issue.reason.endswith(
        "(crs: the declared CRS puts the layer far from its coordinates read as degrees)"
    )
    # read as degrees, as the message says, it loads
    report = load_grids(store, path, crs="EPSG:4326")
    assert report.rows_loaded == 6


def test_overlapping_and_sliver_grids_are_warnings_naming_them(store, tmp_path):
    grids = tiny_grids()
    # grid 1 reaches a quarter into grid 2; grid 6 gets a long thin tail
    second = grids.geometry[1]
    grids.loc[0, "geometry"] = grids.geometry[0].union(
        second.intersection(shapely.box(*second.bounds).buffer(0).envelope).intersection(
            second.centroid.buffer(0.02)
        )
    )
    cx, cy = grids.geometry[5].centroid.coords[0]
    tail = Polygon([(cx, cy), (cx + 0.3, cy), (cx + 0.3, cy + 0.0005), (cx, cy + 0.0005)])
    grids.loc[5, "geometry"] = shapely.MultiPolygon(
        [grids.geometry[5].buffer(-0.001), tail.difference(grids.geometry[5].buffer(0.001))]
    )
    report = load_grids(store, _geojson(grids, tmp_path / "overlaps.geojson"))
    assert report.rows_loaded == 6
    found = [w for w in report.warnings if w.field == "geometry"]
    overlap = [w for w in found if "重叠" in w.reason]
    sliver = [w for w in found if "狭长碎片" in w.reason]
    codes = list(grids["grid_code"])
    assert [(w.row, w.value) for w in overlap] == [(1, codes[0])]
    assert overlap[0].reason.startswith(
        f"网格 {codes[0]} 与第 2 行的网格 {codes[1]} 重叠, 重叠面积占较小网格的 "
    )
    assert overlap[0].reason.endswith(f"(geometry: overlaps grid {codes[1]})")
    assert [(w.row, w.value) for w in sliver] == [(6, codes[5])]
    assert sliver[0].reason.endswith("请检查边界 (geometry: sliver)")
    # the tiny grids as they are: no such warning
    clean = load_grids(store, _geojson(tiny_grids(), tmp_path / "clean.geojson"))
    assert not [w for w in clean.warnings if w.field == "geometry"]
