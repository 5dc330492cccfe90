"""The grid loader: formats, encodings, CRSs, GCJ-02, repairs, errors in one pass, idempotence.

Every input is built here from six small synthetic polygons near 122.9E 46.7N (two villages of
one township of county 152223); no real data.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import pytest
import shapely
from shapely.geometry import Polygon

from etl.errors import LoadError
from etl.gcj02 import gcj02_to_wgs84, wgs84_to_gcj02
from etl.grids import detect_dbf_encoding, load_grids, read_grids
from geodata import StoreError, schema
from geodata.store import GRID_COLUMNS

COUNTY = "152223"
TOWNSHIP = "152223100"
VILLAGES = {"152223100001": ("红旗嘎查", "嘎查"), "152223100002": ("新民村", "村")}
METRIC = "EPSG:4550"  # CGCS2000 / 3-degree Gauss-Kruger CM 123E
GRID_CODES = [
    "152223100001001",
    "152223100001002",
    "152223100001003",
    "152223100002001",
    "152223100002002",
    "152223100002003",
]

CHINESE = {
    "grid_code": "网格编码",
    "grid_name": "网格名称",
    "village_code": "村编码",
    "village_name": "村名称",
    "village_kind": "村类型",
    "township_name": "乡镇名称",
    "county_name": "县名称",
    "grid_worker": "网格员",
    "worker_phone": "联系电话",
}


# ---------------------------------------------------------------------- synthetic input
def _lattice() -> np.ndarray:
    """4 x 3 corner points, interior ones nudged so the six cells are irregular quadrilaterals."""
    pts = np.empty((4, 3, 2))
    for i in range(4):
        for j in range(3):
            dx = ((i * 7 + j * 3) % 5 - 2) * 0.0008 if 0 < i < 3 else 0.0
            dy = ((i * 3 + j * 5) % 5 - 2) * 0.0006 if j == 1 else 0.0
            pts[i, j] = (122.88 + 0.012 * i + dx, 46.69 + 0.009 * j + dy)
    return pts


def grid_frame() -> gpd.GeoDataFrame:
    """Six grids in WGS 84 with English identifiers: row 0 is village 1, row 1 village 2."""
    p = _lattice()
    rows = []
    for j, (village, (vname, kind)) in enumerate(VILLAGES.items()):
        for i in range(3):
            ring = [p[i, j], p[i + 1, j], p[i + 1, j + 1], p[i, j + 1]]
            rows.append(
                {
                    "grid_code": f"{village}00{i + 1}",
                    "grid_name": f"{vname}第{i + 1}网格",
                    "village_code": village,
                    "village_name": vname,
                    "village_kind": kind,
                    "township_name": "示例镇",
                    "county_name": "示例旗",
                    "grid_worker": f"网格员{j * 3 + i + 1}",
                    "worker_phone": f"1380000000{j * 3 + i + 1}",
                    "geometry": Polygon([tuple(c) for c in ring]),
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def chinese(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.rename(columns=CHINESE)


def write_gbk_shapefile(frame: gpd.GeoDataFrame, path: Path) -> Path:
    """A Shapefile whose .dbf is GBK, with no .cpg (as county offices send them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_file(path, encoding="GBK", engine="pyogrio")
    path.with_suffix(".cpg").unlink()
    return path


def write_geojson_without_crs(frame: gpd.GeoDataFrame, path: Path) -> Path:
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc.pop("crs", None)
    path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    return path


def metric(store, level: str = "grid") -> gpd.GeoDataFrame:
    return store.full_geometries(level).to_crs(METRIC).set_index("code")


def assert_same_grids(a: gpd.GeoDataFrame, b: gpd.GeoDataFrame, tolerance_m: float = 1.0) -> None:
    """Same grid codes, each outline within ``tolerance_m`` (Hausdorff distance, metres)."""
    a = a.to_crs(METRIC) if a.crs != METRIC else a
    b = b.to_crs(METRIC) if b.crs != METRIC else b
    assert sorted(a.index) == sorted(b.index)
    for code in a.index:
        distance = a.geometry[code].hausdorff_distance(b.geometry[code])
        assert distance < tolerance_m, (code, distance)


def originals() -> gpd.GeoDataFrame:
    return grid_frame().set_index("grid_code")


def dump_without_units_version(store) -> dict:
    dump = store.dump()
    dump["meta"] = [row for row in dump["meta"] if row[0] != "units_version"]
    return dump


# ---------------------------------------------------------------------- GCJ-02
def test_gcj02_round_trip_and_reference_point():
    lon, lat = np.meshgrid(np.linspace(74, 135, 60), np.linspace(18, 53, 40))
    glon, glat = wgs84_to_gcj02(lon, lat)
    shift_m = np.hypot((glon - lon) * 111_000 * np.cos(np.radians(lat)), (glat - lat) * 111_000)
    assert shift_m.min() > 10 and shift_m.max() < 1500
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    error_m = np.hypot((wlon - lon) * 111_000, (wlat - lat) * 111_000)
    assert error_m.max() < 0.01
    # A published pair (WGS 84 -> GCJ-02 near Beijing), given to 6 decimals.
    glon, glat = wgs84_to_gcj02(116.348120, 39.980945)
    assert abs(glon - 116.354308) < 2e-6 and abs(glat - 39.982296) < 2e-6
    # Outside China: no shift either way.
    assert wgs84_to_gcj02(2.35, 48.85) == (2.35, 48.85)
    assert gcj02_to_wgs84(np.array([-74.0]), np.array([40.7]))[0][0] == -74.0


# ---------------------------------------------------------------------- formats, encodings, CRS
def test_gbk_gauss_kruger_shapefile_matches_wgs84_geojson(store, make_store, backend, tmp_path):
    geojson = tmp_path / "grids.geojson"
    grid_frame().to_file(geojson, driver="GeoJSON", engine="pyogrio")
    report = load_grids(store, geojson)
    assert report.rows_loaded == 6 and report.warnings == []

    assert "CM 123E" in pyproj.CRS.from_epsg(4550).name
    projected = chinese(grid_frame()).to_crs(METRIC)
    projected["村编码"] = projected["村编码"].astype("int64")  # a numeric code column
    shp = write_gbk_shapefile(projected, tmp_path / "gk" / "网格.shp")
    assert not shp.with_suffix(".cpg").exists()
    raw = shp.with_suffix(".dbf").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert detect_dbf_encoding(raw) == "GBK"
    # GDAL alone reads mojibake ("Íø¸ñ±àÂë"); the loader must not.
    assert "网格编码" not in list(pyogrio.read_info(shp)["fields"])

    frame, warnings = read_grids(shp)
    assert warnings == []
    assert list(frame.columns) == [*GRID_COLUMNS, "geometry"]
    assert frame.crs.to_epsg() == 4326
    assert list(frame["grid_code"]) == GRID_CODES
    assert frame["grid_name"][0] == "红旗嘎查第1网格"
    assert frame["village_code"][0] == "152223100001"
    assert frame["township_code"][0] == TOWNSHIP and frame["county_code"][0] == COUNTY

    other = make_store(backend)
    load_grids(other, shp)
    assert other.unit("152223100001").name == "红旗嘎查"
    assert other.unit("152223100001").kind == "嘎查"
    assert other.unit("152223100001002").name == "红旗嘎查第2网格"
    assert other.unit(TOWNSHIP).name == "示例镇"
    assert other.unit(COUNTY).name == "示例旗"
    assert_same_grids(metric(store), metric(other))


def test_zipped_shapefile_loads(store, tmp_path):
    shp = write_gbk_shapefile(chinese(grid_frame()), tmp_path / "src" / "grids.shp")
    archive = tmp_path / "grids.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for part in shp.parent.iterdir():
            zf.write(part, f"网格图层/{part.name}")
    report = load_grids(store, archive)
    assert report.rows_loaded == 6 and report.warnings == []
    assert store.unit("152223100002003").name == "新民村第3网格"
    assert store.unit("152223100002").name == "新民村"
    assert_same_grids(metric(store), originals())


def test_geopackage_with_messy_headers_and_values(store, tmp_path):
    frame = chinese(grid_frame()).to_crs("EPSG:3857")
    frame = frame.rename(columns={"网格编码": " 网格编码 ", "村名称": "村名称\u3000"})
    frame["村编码"] = frame["村编码"].astype(float)  # a driver turned the code into a float
    frame["乡镇编码"] = "１５２２２３１００"  # full-width digits
    frame["县编码"] = COUNTY + "  "
    frame["网格名称"] = frame["网格名称"] + "  "
    gpkg = tmp_path / "grids.gpkg"
    frame.to_file(gpkg, layer="grids", engine="pyogrio")
    points = gpd.GeoDataFrame({"name": ["a"]}, geometry=[shapely.Point(122.9, 46.7)], crs=4326)
    points.to_file(gpkg, layer="points", engine="pyogrio")

    grids, warnings = read_grids(gpkg)  # the one polygon layer is picked
    assert warnings == []
    assert grids["village_code"].tolist() == ["152223100001"] * 3 + ["152223100002"] * 3
    assert set(grids["township_code"]) == {TOWNSHIP}
    assert set(grids["county_code"]) == {COUNTY}
    assert grids["grid_name"][0] == "红旗嘎查第1网格"
    assert grids["grid_code"].tolist() == GRID_CODES
    report = load_grids(store, gpkg, layer="grids")
    assert report.rows_loaded == 6
    assert_same_grids(metric(store), originals())
    with pytest.raises(LoadError) as info:
        read_grids(gpkg, layer="nope")
    assert "layer: not found" in info.value.issues[0].reason


def test_geojson_without_crs_member_is_wgs84_by_spec(store, tmp_path):
    path = write_geojson_without_crs(grid_frame(), tmp_path / "grids.geojson")
    assert "crs" not in json.loads(path.read_text(encoding="utf-8"))
    # GDAL reports EPSG:4326 for any GeoJSON (RFC 7946), so this is not the no-CRS case.
    assert pyogrio.read_info(path)["crs"] == "EPSG:4326"
    report = load_grids(store, path)
    assert report.rows_loaded == 6
    assert_same_grids(metric(store), originals())


@pytest.mark.filterwarnings("ignore:Could not decode error message")
def test_shapefile_without_prj_is_read_as_wgs84_with_a_warning(store, tmp_path):
    shp = tmp_path / "noprj" / "grids.shp"
    shp.parent.mkdir()
    # UTF-8 with a .cpg: the .dbf keeps 10 bytes of each field name, so "网格编码" arrives
    # as "网格编" plus half a character.
    chinese(grid_frame()).to_file(shp, engine="pyogrio")
    shp.with_suffix(".prj").unlink()
    assert shp.with_suffix(".cpg").read_text() == "UTF-8"
    frame, _ = read_grids(shp)
    assert frame["grid_code"].tolist() == GRID_CODES
    assert frame["grid_name"][0] == "红旗嘎查第1网格"
    assert frame["township_name"][0] == "示例镇"
    assert frame["worker_phone"][0] == "13800000001"
    report = load_grids(store, shp)
    assert report.rows_loaded == 6
    [warning] = report.warnings
    assert warning.severity == "warning" and warning.field == "crs"
    assert "crs: missing, read as WGS 84" in warning.reason
    assert_same_grids(metric(store), originals())


def test_projected_coordinates_without_crs_need_the_crs_option(store, tmp_path):
    shp = tmp_path / "gk" / "grids.shp"
    write_gbk_shapefile(chinese(grid_frame()).to_crs(METRIC), shp)
    shp.with_suffix(".prj").unlink()
    before = store.dump()
    with pytest.raises(LoadError) as info:
        load_grids(store, shp)
    assert [i.field for i in info.value.issues] == ["crs"]
    assert "--crs" in info.value.issues[0].reason
    assert store.dump() == before
    report = load_grids(store, shp, crs="EPSG:4550")
    assert report.warnings == []
    assert_same_grids(metric(store), originals())


def test_gcj02_coordinates_are_converted(store, tmp_path):
    frame = grid_frame()

    def to_gcj(coords: np.ndarray) -> np.ndarray:
        return np.column_stack(wgs84_to_gcj02(coords[:, 0], coords[:, 1]))

    frame["geometry"] = shapely.transform(frame.geometry.values, to_gcj)
    path = tmp_path / "amap.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")

    shifted = frame.set_index("grid_code").to_crs(METRIC)
    orig = originals().to_crs(METRIC)
    assert (
        shifted.geometry["152223100001001"].hausdorff_distance(orig.geometry["152223100001001"])
        > 100
    )

    report = load_grids(store, path, crs="gcj02")
    assert report.warnings == []
    assert_same_grids(metric(store), orig)


# ---------------------------------------------------------------------- repairs and errors
def test_bow_tie_is_repaired_with_a_warning(store, tmp_path):
    frame = grid_frame()
    a, b, c, d = list(frame.geometry[4].exterior.coords)[:4]
    frame.loc[4, "geometry"] = Polygon([a, c, b, d])  # crossing edges: a bow-tie
    assert not frame.geometry[4].is_valid
    path = tmp_path / "bowtie.gpkg"
    frame.to_file(path, engine="pyogrio")
    report = load_grids(store, path)
    assert report.rows_loaded == 6
    [warning] = report.warnings
    assert warning.row == 5 and warning.field == "geometry"
    assert "geometry: invalid, repaired" in warning.reason
    repaired = store.full_geometries("grid").set_index("code").geometry["152223100002002"]
    assert repaired.is_valid and repaired.area > 0


def test_every_error_is_reported_at_once_and_nothing_written(store, tmp_path):
    good = tmp_path / "good.geojson"
    grid_frame().to_file(good, driver="GeoJSON", engine="pyogrio")
    load_grids(store, good)
    before = store.dump()

    frame = chinese(grid_frame())
    frame.loc[1, "geometry"] = None  # feature 2: no geometry
    frame.loc[3, "网格编码"] = frame.loc[2, "网格编码"]  # feature 4 repeats feature 3's code
    frame.loc[4, "村编码"] = "15222310000"  # feature 5: 11 digits
    frame.loc[5, "县名称"] = "  "  # feature 6: blank required name
    bad = tmp_path / "bad.geojson"
    frame.to_file(bad, driver="GeoJSON", engine="pyogrio")

    with pytest.raises(LoadError) as info:
        load_grids(store, bad)
    issues = info.value.issues
    found = {(i.row, i.field) for i in issues}
    assert (2, "geometry") in found
    assert (4, "grid_code") in found
    assert (5, "village_code") in found
    assert (6, "county_name") in found
    by_field = {i.field: i for i in issues}
    dup = by_field["grid_code"]
    assert dup.column == "网格编码" and dup.value == "152223100001003"
    assert dup.reason.startswith("网格编码重复") and "grid_code: duplicate" in dup.reason
    village = by_field["village_code"]
    assert village.value == "15222310000" and "village_code: not 12 digits" in village.reason
    assert by_field["geometry"].reason == "几何为空 (geometry: empty)"
    assert all(i.file == str(bad) and i.severity == "error" for i in issues)
    assert [i.row for i in issues] == sorted(i.row for i in issues)
    assert store.dump() == before


def test_missing_columns_and_inconsistent_codes(tmp_path):
    frame = chinese(grid_frame()).drop(columns=["县名称", "网格名称"])
    frame["乡镇编码"] = TOWNSHIP
    frame.loc[0, "乡镇编码"] = "152223101"
    frame["县编码"] = "１５２２２３"
    frame.loc[2, "村类型"] = "屯"
    frame.loc[3, "geometry"] = shapely.LineString([(122.9, 46.7), (122.91, 46.71)])
    path = tmp_path / "bad.gpkg"
    frame.to_file(path, engine="pyogrio")
    with pytest.raises(LoadError) as info:
        read_grids(path)
    issues = info.value.issues
    assert [(i.row, i.field) for i in issues[:2]] == [(None, "grid_name"), (None, "county_name")]
    assert "county_name: missing column" in issues[1].reason
    found = {(i.row, i.field): i for i in issues}
    assert (
        "township_code: not the first 9 digits of village_code" in found[1, "township_code"].reason
    )
    assert (3, "village_kind") in found
    assert "geometry: not a polygon" in found[4, "geometry"].reason
    assert not any(i.field == "county_code" for i in issues)  # full-width digits are fine


# ---------------------------------------------------------------------- units and idempotence
def test_units_are_built_from_the_grids(store, tmp_path):
    path = tmp_path / "grids.gpkg"
    grid_frame().to_file(path, engine="pyogrio")
    load_grids(store, path)

    village = store.unit("152223100001")
    assert village.level == "village" and village.parent_code == TOWNSHIP
    assert store.unit(TOWNSHIP).level == "township"
    assert store.unit(COUNTY).level == "county"
    assert store.unit("152223100001001").level == "grid"
    assert [u.code for u in store.children(TOWNSHIP)] == list(VILLAGES)

    grids = grid_frame().to_crs(METRIC)
    expected = {
        **{v: grids[grids["village_code"] == v].union_all().area for v in VILLAGES},
        TOWNSHIP: grids.union_all().area,
        COUNTY: grids.union_all().area,
    }
    for level in ("village", "township", "county"):
        for code, geom in metric(store, level).geometry.items():
            assert abs(geom.area - expected[code]) / expected[code] < 0.001, (level, code)

    features = store.map_features("grid")["features"]
    assert sorted(f["id"] for f in features) == GRID_CODES


def test_figures_are_recomputed_when_households_exist(store, tmp_path):
    frame = grid_frame()
    first = tmp_path / "five.geojson"
    frame[frame["grid_code"] != "152223100002003"].to_file(
        first, driver="GeoJSON", engine="pyogrio"
    )
    load_grids(store, first)
    household = {c: None for c in schema.HOUSEHOLD_COLUMNS}
    household |= {
        "month": "2024-06",
        "household_id": "H0001",
        "grid_code": "152223100001001",
        "village_code": "152223100001",
        "township_code": TOWNSHIP,
        "county_code": COUNTY,
        "head_name": "测试户",
        "persons": 3,
        "household_type": "lifted",
        "income_per_capita": 9000.0,
    }
    with store.write() as conn:
        store.upsert_households(conn, pd.DataFrame([household]))
        store.refresh_figures(conn)
    assert store.stats(COUNTY, "2024-06")["grids"] == 5
    with pytest.raises(StoreError):
        store.stats("152223100002003", "2024-06")

    full = tmp_path / "six.geojson"
    frame.to_file(full, driver="GeoJSON", engine="pyogrio")
    load_grids(store, full)
    assert store.stats(COUNTY, "2024-06")["grids"] == 6
    assert store.stats("152223100002003", "2024-06")["households"] == 0
    assert store.stats("152223100001001", "2024-06")["households"] == 1


def test_loading_the_same_file_twice_changes_nothing(store, tmp_path):
    path = tmp_path / "grids.geojson"
    grid_frame().to_file(path, driver="GeoJSON", engine="pyogrio")
    first = load_grids(store, path)
    once = dump_without_units_version(store)
    second = load_grids(store, path)
    assert not first.unchanged and second.unchanged
    assert dump_without_units_version(store) == once
    assert len(once["loads"]) == 1
