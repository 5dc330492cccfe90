"""The demo county (etl.demo): deterministic, valid input files in the formats of the data contract:
the national system's member-level export (the default) and the one-row-per-household layout."""

from __future__ import annotations

import calendar
import re
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Polygon

from etl.demo import build_geography, generate_demo
from etl.headers import GRID_HEADERS, HOUSEHOLD_HEADERS, SITE_HEADERS
from geodata.model import CATEGORY_LABELS, CAUSES, CHANNELS, ELIMINATION_MODES, MEASURES

SMALL = dict(grids=60, villages=12, communities=2, townships=3, households=3000, months=3)
WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]


def _check_char(body: str) -> str:
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def _files(d: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(d.iterdir())}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    """The household layout: a row per household with its 网格编码."""
    return generate_demo(tmp_path_factory.mktemp("demo"), layout="households", **SMALL)


@pytest.fixture(scope="module")
def national(tmp_path_factory):
    """The same county as ``small`` in the national layout (the default)."""
    return generate_demo(tmp_path_factory.mktemp("demo-national"), **SMALL)


@pytest.fixture(scope="module")
def snapshots(small) -> list[tuple[str, pd.DataFrame]]:
    return [(month, _read(path)) for month, path in small.households]


@pytest.fixture(scope="module")
def grids(small) -> gpd.GeoDataFrame:
    return gpd.read_file(small.grids, layer="grids")


def test_same_seed_same_bytes_other_seed_differs(small, tmp_path):
    again = generate_demo(tmp_path / "again", layout="households", **SMALL)
    assert _files(small.directory) == _files(again.directory)
    other = generate_demo(tmp_path / "other", seed=7, layout="households", **SMALL)
    a, b = _files(small.directory), _files(other.directory)
    assert a.keys() == b.keys()
    assert a[small.grids.name] != b[other.grids.name]
    assert a[small.households[-1][1].name] != b[other.households[-1][1].name]


def test_national_layout_same_seed_same_bytes(national, small, tmp_path):
    again = generate_demo(tmp_path / "again", **SMALL)
    assert again.layout == "national" and again.assignments is not None
    assert _files(national.directory) == _files(again.directory)
    other = generate_demo(tmp_path / "other", seed=7, **SMALL)
    a, b = _files(national.directory), _files(other.directory)
    assert a.keys() == b.keys()
    assert a[national.households[-1][1].name] != b[other.households[-1][1].name]
    assert a[national.assignments.name] != b[other.assignments.name]
    # the members come from a generator of their own: the other files are the household layout's
    h = _files(small.directory)
    for name in (small.grids.name, small.sites.name, small.warnings.name):
        assert a[name] == h[name]
    # and the household layout written over a national one leaves no assignment file behind
    generate_demo(tmp_path / "again", layout="households", **SMALL)
    assert not (tmp_path / "again" / national.assignments.name).exists()
    with pytest.raises(ValueError):
        generate_demo(tmp_path / "bad", layout="members", **SMALL)


def test_files_and_summary(small):
    assert [m for m, _ in small.households] == ["2026-08", "2026-09", "2026-10"]
    for _, path in small.households:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, header in the first row
        header = raw[3:].split(b"\n", 1)[0].decode("utf-8").split(",")
        assert header[0] == "统计月份"
        assert set(header) <= {names[0] for names in HOUSEHOLD_HEADERS.values()}
    site_header = small.sites.read_bytes()[3:].split(b"\n", 1)[0].decode("utf-8").split(",")
    assert site_header == [names[0] for names in SITE_HEADERS.values()]
    s = small.summary
    assert "演示数据" in s["note"]
    assert (s["townships"], s["villages"], s["communities"], s["grids"]) == (3, 12, 2, 60)
    assert s["households"] == 3000 and s["sites"] == 8
    assert 2.8 < s["persons"] / s["households"] < 3.4


def test_id_numbers_have_valid_check_digits(snapshots):
    for _, df in snapshots:
        ids = df["证件号码"]
        assert ids.str.fullmatch(r"152223\d{11}[\dX]").all()
        assert ids.is_unique
        for value in ids:
            assert value[17] == _check_char(value[:17]), value
            born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
            assert date(1940, 1, 1) <= born <= date(2000, 12, 31)


def test_grids_are_an_exact_coverage(grids, small):
    assert grids.crs.to_epsg() == 4326
    assert list(grids.columns[:-1]) == [names[0] for names in GRID_HEADERS.values()]
    geoms = grids.geometry.to_numpy()
    assert (shapely.get_type_id(geoms) == shapely.GeometryType.POLYGON).all()
    assert shapely.is_valid(geoms).all()
    union = shapely.union_all(geoms)
    assert isinstance(union, Polygon)
    assert abs(shapely.area(geoms).sum() - union.area) <= 1e-6 * union.area
    assert shapely.coverage_is_valid(geoms)
    km2 = gpd.GeoSeries([union], crs=4326).to_crs("EPSG:6933").area.iloc[0] / 1e6
    assert 10_500 < km2 < 11_500


def test_each_village_is_the_union_of_its_grids():
    geo = build_geography(
        np.random.default_rng(11), grids=60, villages=12, communities=2, townships=3
    )
    for code, village in geo.villages.set_index("village_code").geometry.items():
        mine = geo.grids[geo.grids["village_code"] == code].geometry.to_numpy()
        assert isinstance(village, Polygon) and village.is_valid
        union = shapely.union_all(mine)
        assert shapely.symmetric_difference(union, village).area <= 1e-6 * village.area
    towns = geo.townships.geometry.to_numpy()
    assert shapely.is_valid(towns).all()
    assert abs(shapely.area(towns).sum() - geo.county.area) <= 1e-6 * geo.county.area


def test_partition_is_exact():
    from etl.demo import _partition

    rng = np.random.default_rng(3)
    parent = shapely.difference(shapely.Point(0, 0).buffer(10), shapely.box(-2, -1, 3, 2))
    cells = np.asarray(_partition(rng, parent, 17), dtype=object)
    assert len(cells) == 17
    assert all(isinstance(c, Polygon) and c.is_valid for c in cells)
    assert abs(shapely.area(cells).sum() - parent.area) <= 1e-9 * parent.area
    assert shapely.symmetric_difference(shapely.union_all(cells), parent).area <= 1e-9 * parent.area


def test_codes_and_names(grids, small, snapshots):
    assert grids["网格编码"].is_unique
    assert grids["县编码"].eq("152223").all() and grids["县名称"].eq("扎赉特旗").all()
    assert grids["乡镇编码"].str.fullmatch(r"152223\d{3}").all()
    assert grids["村编码"].str.fullmatch(r"\d{12}").all()
    assert (grids["村编码"].str[:9] == grids["乡镇编码"]).all()
    assert grids["网格编码"].str.fullmatch(r"\d{15}").all()
    assert (grids["网格编码"].str[:12] == grids["村编码"]).all()
    assert grids["网格员"].ne("").all() and grids["联系电话"].str.fullmatch(r"1\d{10}").all()
    assert set(grids["乡镇名称"]) == {"音德尔镇", "新林镇", "好力保镇"}
    assert grids.loc[grids["乡镇编码"] == "152223100", "乡镇名称"].eq("音德尔镇").all()
    villages = grids.drop_duplicates("村编码")
    assert villages["村名称"].is_unique
    for _, v in villages.iterrows():
        suffix = {"村": "村", "嘎查": "嘎查", "社区": "社区"}[v["村类型"]]
        assert v["村名称"].endswith(suffix)
        number = int(v["村编码"][9:])
        assert (number < 200) == (v["村类型"] == "社区")  # 居委会 001-199, 村委会 200-399
    for _, g in grids.iterrows():
        assert re.fullmatch(re.escape(g["村名称"]) + r"第\d+网格", g["网格名称"])
    df = snapshots[-1][1]
    assert df["户编号"].str.fullmatch(r"\d{17}").all() and df["户编号"].is_unique
    assert (df["户编号"].str[:12] == df["网格编码"].str[:12]).all()
    assert df["网格编码"].isin(grids["网格编码"]).all()
    where = grids.set_index("网格编码").geometry.reindex(df["网格编码"]).to_numpy()
    assert shapely.contains_xy(where, df["经度"].astype(float), df["纬度"].astype(float)).all()
    sites = _read(small.sites)
    assert sites["安置点编码"].str.fullmatch(r"AZD152223\d{3}").all()
    assert sites["安置点名称"].str.endswith("安置点").all()
    assert sites["乡镇编码"].isin(grids["乡镇编码"]).all()


def test_monitored_shares(snapshots):
    df = snapshots[-1][1]
    n = len(df)
    monitored = df[df["监测对象类别"] != ""]
    assert 0.045 <= len(monitored) / n <= 0.065
    shares = monitored["监测对象类别"].value_counts(normalize=True)
    assert abs(shares[CATEGORY_LABELS["unstable"]] - 0.40) < 0.05
    assert abs(shares[CATEGORY_LABELS["marginal"]] - 0.45) < 0.05
    assert abs(shares[CATEGORY_LABELS["sudden"]] - 0.15) < 0.05
    lifted = df["户类型"] == "脱贫户"
    assert 0.28 < lifted.mean() < 0.42
    assert (monitored.loc[monitored["监测对象类别"] == "脱贫不稳定户", "户类型"] == "脱贫户").all()
    assert (monitored.loc[monitored["监测对象类别"] == "边缘易致贫户", "户类型"] == "一般户").all()
    levels = monitored["风险等级"].value_counts(normalize=True)
    assert levels.get("", 0) < 0.06
    assert 0.40 < levels["蓝"] < 0.60 and 0.25 < levels["黄"] < 0.45 and 0.08 < levels["红"] < 0.22
    # a few planted with no risk cause (no_cause) and no measure (no_measures)
    causes, measures = monitored["风险类型"], monitored["帮扶措施"]
    assert 0 < (causes == "").sum() <= 0.02 * len(monitored)
    assert 0 < (measures == "").sum() <= 0.03 * len(monitored)
    for text in causes[causes != ""]:
        parts = text.split("、")
        assert 1 <= len(parts) <= 3 and set(parts) <= set(CAUSES) and len(set(parts)) == len(parts)
    for text in measures[measures != ""]:
        parts = text.split("、")
        assert (
            1 <= len(parts) <= 3 and set(parts) <= set(MEASURES) and len(set(parts)) == len(parts)
        )
    assert set(monitored["识别途径"]) <= set(CHANNELS)
    assert monitored["风险类型"].str.contains("因病").mean() > 0.25
    income = df["家庭人均纯收入"].astype(float)
    assert (income >= 0).all()
    others = income[df["监测对象类别"] == ""]
    assert 0.85 < ((others >= 9000) & (others <= 40000)).mean()
    assert (others < 8122).any()


def test_snapshots_follow_identification_and_elimination(snapshots):
    first_ident: dict[str, str] = {}
    previous: set[str] = set()
    ids = None
    for month, df in snapshots:
        assert (df["统计月份"] == month).all()
        if ids is None:
            ids = list(df["户编号"])
        assert list(df["户编号"]) == ids  # the same households every month
        year, mon = int(month[:4]), int(month[5:])
        month_end = f"{month}-{calendar.monthrange(year, mon)[1]:02d}"
        mon_rows = df[df["监测对象类别"] != ""]
        assert (mon_rows["识别监测时间"] != "").all()
        assert (mon_rows["识别监测时间"] <= month_end).all()
        assert (
            (
                df.loc[df["监测对象类别"] == "", ["识别监测时间", "风险是否已消除", "消除监测时间"]]
                == ""
            )
            .all()
            .all()
        )
        assert set(mon_rows["风险是否已消除"]) <= {"是", "否"}
        done = mon_rows[mon_rows["风险是否已消除"] == "是"]
        assert (done["消除监测时间"] != "").all() and (done["消除监测时间"] <= month_end).all()
        # but a few planted dated before the identification (eliminated_before_identified)
        assert (done["消除监测时间"] <= done["识别监测时间"]).sum() <= max(2, 0.02 * len(done))
        assert set(done["风险消除方式"]) <= set(ELIMINATION_MODES)
        still = mon_rows[mon_rows["风险是否已消除"] == "否"]
        assert (still[["风险消除方式", "消除监测时间"]] == "").all().all()
        current = set(mon_rows["户编号"])
        assert previous <= current  # once identified, a household stays on the books
        previous = current
        for hid, when in zip(mon_rows["户编号"], mon_rows["识别监测时间"], strict=True):
            assert first_ident.setdefault(hid, when) == when
        persons = df["家庭人口数"].astype(int)
        labor = df["劳动力人数"].astype(int)
        employed = df["务工就业人数"].astype(int)
        assert persons.between(1, 7).all()
        assert (labor <= persons).all() and (employed <= labor).all() and (employed >= 0).all()
    months = [m for m, _ in snapshots]
    first = snapshots[0][1]
    later = first["识别监测时间"][first["识别监测时间"] != ""]
    assert (later >= "2024-11-01").all()  # identified within the 24 months before end_month
    assert months == sorted(months)


def test_relocated_households_live_at_existing_sites(snapshots, small, grids):
    df = snapshots[-1][1]
    sites = _read(small.sites).set_index("安置点编码")
    moved = df[df["是否易地搬迁户"] == "是"]
    assert set(df["是否易地搬迁户"]) == {"是", "否"}
    assert (df.loc[df["是否易地搬迁户"] == "否", "安置点编码"] == "").all()
    assert moved["安置点编码"].isin(sites.index).all()
    assert 40 <= len(moved) <= 80
    town = grids.set_index("网格编码")["乡镇编码"]
    assert (moved["网格编码"].map(town) == moved["安置点编码"].map(sites["乡镇编码"])).all()
    # they live in the grids of the village that holds their site
    village_at = {}
    for code, site in sites.iterrows():
        inside = shapely.contains_xy(
            grids.geometry.to_numpy(), float(site["经度"]), float(site["纬度"])
        )
        assert inside.sum() == 1
        village_at[code] = grids.loc[inside, "村编码"].iloc[0]
    assert (moved["网格编码"].str[:12] == moved["安置点编码"].map(village_at)).all()
    counts = moved["安置点编码"].value_counts()
    assert (counts == sites["安置户数"].astype(int).reindex(counts.index)).all()
    labor = moved["劳动力人数"].astype(int)
    employed = moved["务工就业人数"].astype(int)
    assert (labor > 0).mean() > 0.8
    with_labor = moved[labor > 0]
    coverage = (with_labor["务工就业人数"].astype(int) > 0).groupby(with_labor["安置点编码"]).mean()
    assert (coverage >= 0.75).all() and (coverage < 1).any()
    assert (employed <= labor).all()


def test_bad_arguments(tmp_path):
    with pytest.raises(ValueError):
        generate_demo(tmp_path, grids=10, villages=12, communities=2, townships=3, households=100)
    with pytest.raises(ValueError):
        generate_demo(tmp_path, end_month="2026-13", **SMALL)


def test_default_county_geography(tmp_path):
    files = generate_demo(tmp_path, households=2000, months=1)
    s = files.summary
    assert (s["townships"], s["villages"], s["communities"], s["grids"]) == (10, 197, 11, 973)
    g = gpd.read_file(files.grids, layer="grids")
    assert len(g) == 973 and g["网格编码"].is_unique
    assert g["村编码"].nunique() == 208
    assert (g.drop_duplicates("村编码")["村类型"] == "社区").sum() == 11
    assert g["乡镇编码"].nunique() == 10
    seat = g[g["乡镇编码"] == "152223100"]
    assert seat["乡镇名称"].eq("音德尔镇").all()
    assert seat.drop_duplicates("村编码")["村类型"].eq("社区").sum() >= 6
    assert shapely.is_valid(g.geometry.to_numpy()).all()
    assert shapely.coverage_is_valid(g.geometry.to_numpy())
    union = shapely.union_all(g.geometry.to_numpy())
    assert isinstance(union, Polygon)
    km2 = gpd.GeoSeries([union], crs=4326).to_crs("EPSG:6933").area.iloc[0] / 1e6
    assert 10_500 < km2 < 11_500
    minx, miny, maxx, maxy = union.bounds
    assert 121.0 < minx < maxx < 124.0 and 45.8 < miny < maxy < 47.6
    # elongated north-west to south-east: the far west lies north of the far east
    xy = shapely.get_coordinates(union)
    assert xy[np.argmin(xy[:, 0]), 1] > xy[np.argmax(xy[:, 0]), 1]


def test_loaders_accept_the_demo(small, make_store):
    """The real loaders take the demo files like a county office's: no errors, no warnings."""
    from etl.grids import load_grids
    from etl.households import load_households
    from etl.sites import load_sites

    store = make_store("sqlite")
    assert not load_grids(store, small.grids).warnings
    assert not load_sites(store, small.sites).warnings
    month, path = small.households[-1]
    report = load_households(store, path)
    assert report.rows_loaded == SMALL["households"]
    # but the loader's warning of the few eliminations planted before the identification
    assert report.warnings and {w.field for w in report.warnings} == {"eliminated_on"}
    stats = store.stats()
    assert stats["monitored"]["households"] == small.summary["monitored_households"]
    assert stats["eliminated"]["households"] == small.summary["eliminated_households"]


def test_demo_warnings_load_and_count(small, make_store):
    """The demo's department warnings load with no error; each month's figures count them."""
    from etl.grids import load_grids
    from etl.households import load_households
    from etl.signals import load_signals

    store = make_store("sqlite")
    load_grids(store, small.grids)
    for month, path in small.households:
        load_households(store, path, month=month)
    report = load_signals(store, small.warnings)
    assert report.rows_loaded == small.summary["warnings"] > 0 and not report.warnings
    frame = _read(small.warnings)
    months = frame["发生日期"].str.slice(0, 7)
    for month, _ in small.households:
        w = store.stats(month=month)["warnings"]
        assert w["signals"] == int((months == month).sum())
        assert 0 < w["unmonitored_households"] < w["households"] <= w["signals"]
    # about 0.4 % of households a month, by household number or by ID number
    assert 0.002 < (months == "2026-10").sum() / SMALL["households"] < 0.007
    assert (frame["户编号"] == "").any() and (frame["证件号码"] == "").any()


def test_planted_problems_every_rule_a_few(national, make_store):
    """The demo's problem list is a county's: every rule finds some households, the rare ones
    a few, and the list is no longer than a fraction of the monitored households."""
    from etl.assignments import load_assignments
    from etl.grids import load_grids
    from etl.households import load_households
    from etl.signals import load_signals
    from geodata.checks.catalog import RULES
    from geodata.checks.run import check_month

    store = make_store("sqlite")
    load_grids(store, national.grids)
    load_assignments(store, national.assignments)
    for month, path in national.households:
        load_households(store, path, month=month)
    load_signals(store, national.warnings)
    counts = check_month(store, "2026-10")["rule"].value_counts()
    s = national.summary
    monitored = s["monitored_households"]
    assert {r.id for r in RULES} == set(counts.index), counts.to_dict()
    assert counts.sum() < 0.35 * monitored
    assert counts["eliminated_too_soon"] <= 0.1 * s["eliminated_households"]
    assert counts["signal_not_identified"] <= 0.05 * monitored
    for rare in ("assisted_elimination_below_line", "eliminated_before_identified"):
        assert counts[rare] <= max(2, 0.01 * monitored), rare
    for rare in ("no_measures", "no_cause"):
        assert counts[rare] <= max(2, 0.02 * monitored), rare


def test_planting_keeps_the_county_figures(small, snapshots, tmp_path, monkeypatch):
    """Planting the problems moves dates, causes, measures and which households' risk is
    eliminated, not the county's figures: monitored households and persons, eliminated persons,
    the open red households and persons."""
    import etl.demo.generate

    monkeypatch.setattr(etl.demo.generate, "_plant", lambda seed, monitored, *a, **k: monitored)
    bare = generate_demo(tmp_path / "bare", layout="households", **SMALL)
    keys = ("households", "persons", "monitored_households", "monitored_persons")
    keys += ("eliminated_persons", "monitored_by_category", "monitored_by_risk")
    assert {k: small.summary[k] for k in keys} == {k: bare.summary[k] for k in keys}

    def open_red(df: pd.DataFrame) -> tuple[int, int]:
        red = (df["风险等级"] == "红") & (df["风险是否已消除"] == "否")
        return int(red.sum()), int(df.loc[red, "家庭人口数"].astype(int).sum())

    assert open_red(snapshots[-1][1]) == open_red(_read(bare.households[-1][1]))


# ---------------------------------------------------------------- the national member-level export
NATIONAL_COLUMNS = [
    "序号", "县(市、区、旗)", "乡(镇)", "行政村", "户编号", "人编号", "姓名", "证件号码", "与户主关系",
    "家庭人口数", "户类型", "监测对象类别", "风险等级", "风险类型", "人均纯收入（元）", "识别监测时间",
    "识别途径", "风险是否已消除", "风险消除方式", "消除监测时间", "帮扶措施", "是否易地搬迁户",
    "安置点编码", "劳动技能", "健康状况", "在校生状况", "是否务工", "统计月份", "经度", "纬度",
]  # fmt: skip
# household layout header -> the national export's, for the fields both carry
SAME_FIELDS = {
    "统计月份": "统计月份",
    "户编号": "户编号",
    "户主姓名": "姓名",
    "证件号码": "证件号码",
    "家庭人口数": "家庭人口数",
    "户类型": "户类型",
    "监测对象类别": "监测对象类别",
    "风险等级": "风险等级",
    "风险类型": "风险类型",
    "家庭人均纯收入": "人均纯收入（元）",
    "识别监测时间": "识别监测时间",
    "识别途径": "识别途径",
    "风险是否已消除": "风险是否已消除",
    "风险消除方式": "风险消除方式",
    "消除监测时间": "消除监测时间",
    "帮扶措施": "帮扶措施",
    "是否易地搬迁户": "是否易地搬迁户",
    "安置点编码": "安置点编码",
    "经度": "经度",
    "纬度": "纬度",
}
LABOUR = {"普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力"}
HEALTH = {"健康", "长期慢性病", "患有大病", "残疾"}
SCHOOLS = {"", "学前教育", "小学", "七年级", "八年级", "九年级", "中职", "大专"} | {
    f"普通高中{g}年级" for g in "一二三"
}


def _read_national(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, header=2, dtype=str, keep_default_na=False, encoding="utf-8-sig")


@pytest.fixture(scope="module")
def members(national) -> list[tuple[str, pd.DataFrame]]:
    return [(month, _read_national(path)) for month, path in national.households]


def _ages(df: pd.DataFrame, on: str) -> pd.Series:
    born = pd.to_datetime(df["证件号码"].str.slice(6, 14), format="%Y%m%d")
    return (pd.Timestamp(on) - born).dt.days / 365.2425


def test_national_file_shape(national, grids):
    assert [m for m, _ in national.households] == ["2026-08", "2026-09", "2026-10"]
    for month, path in national.households:
        raw = path.read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw and b'"' not in raw
        lines = raw[3:].decode("utf-8").split("\n")
        title, export = lines[0].split(","), lines[1].split(",")
        assert "防止返贫监测对象信息" in title[0] and "演示数据" in title[0]
        end = calendar.monthrange(int(month[:4]), int(month[5:]))[1]
        assert export[0] == f"导出时间：{month}-{end:02d} 导出单位：扎赉特旗"
        assert len(title) == len(export) == len(NATIONAL_COLUMNS)
        assert set(title[1:]) == set(export[1:]) == {""}
        assert lines[2].split(",") == NATIONAL_COLUMNS
        assert "网格编码" not in lines[2]
    df = _read_national(national.households[-1][1])
    assert list(df["序号"]) == [str(i) for i in range(1, len(df) + 1)]
    assert len(df) == national.summary["member_rows"] == national.summary["persons"]
    # the place by the names the grid layer gives its county, townships and villages
    names = grids[["县名称", "乡镇名称", "村名称"]].drop_duplicates()
    places = df[["县(市、区、旗)", "乡(镇)", "行政村"]].drop_duplicates()
    places.columns = names.columns
    assert len(places.merge(names)) == len(places)
    village_of = grids.drop_duplicates("村编码").set_index("村编码")["村名称"]
    assert (df["户编号"].str.slice(0, 12).map(village_of) == df["行政村"]).all()


def test_head_rows_are_the_household_layout(members, snapshots):
    for (month, df), (month_h, hh) in zip(members, snapshots, strict=True):
        assert month == month_h
        heads = df[df["与户主关系"] == "户主"]
        assert heads["户编号"].is_unique and len(heads) == len(hh)
        left = hh[list(SAME_FIELDS)].rename(columns=SAME_FIELDS).reset_index(drop=True)
        right = heads[list(SAME_FIELDS.values())].reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right)
        # every member row repeats its household's fields
        fields = [c for c in SAME_FIELDS.values() if c not in ("户编号", "姓名", "证件号码")]
        spread = heads.set_index("户编号")[fields].loc[df["户编号"]].reset_index()
        pd.testing.assert_frame_equal(spread[fields], df[fields].reset_index(drop=True))


def test_members_per_household(members):
    df = members[-1][1]
    hid = df["户编号"]
    # contiguous, head first, numbered 户编号 + 01, 02, ...
    starts = hid != hid.shift()
    assert starts.sum() == hid.nunique()
    assert (df.loc[starts, "与户主关系"] == "户主").all()
    assert (df["与户主关系"] == "户主").sum() == hid.nunique()
    ordinal = df.groupby(hid, sort=False).cumcount() + 1
    assert (df["人编号"] == hid + ordinal.map("{:02d}".format)).all() and df["人编号"].is_unique
    counts = hid.value_counts(sort=False)
    persons = df.drop_duplicates("户编号").set_index("户编号")["家庭人口数"].astype(int)
    assert (counts.reindex(persons.index) == persons).all()
    assert not df.duplicated(["户编号", "姓名"]).any()
    # the same members every month
    for _, other in members[:-1]:
        assert list(other["证件号码"]) == list(df["证件号码"])


def test_member_id_numbers_valid_and_unique(members):
    from etl.id_numbers import check_id_numbers

    df = members[-1][1]
    ids = df["证件号码"]
    assert ids.str.fullmatch(r"152223\d{11}[\dX]").all() and ids.is_unique
    _, bad, _ = check_id_numbers(ids)
    assert not bad.any()
    for value in ids:
        assert value[17] == _check_char(value[:17]), value
    assert not ids[df["与户主关系"] != "户主"].str.endswith("000").any()
    born = pd.to_datetime(ids.str.slice(6, 14), format="%Y%m%d")
    assert (born >= "1925-01-01").all() and (born < "2026-08-01").all()  # before the first month


def test_relations_sexes_and_ages(members):
    df = members[-1][1].copy()
    df["age"] = _ages(df, "2026-10-31")
    df["male"] = df["证件号码"].str.slice(16, 17).astype(int) % 2 == 1
    head = df[df["与户主关系"] == "户主"].set_index("户编号")
    df["head_age"] = df["户编号"].map(head["age"])
    df["head_male"] = df["户编号"].map(head["male"])
    rel = df["与户主关系"]
    assert set(rel) <= {
        "户主",
        "配偶",
        "之子",
        "之女",
        "之儿媳",
        "之孙子",
        "之孙女",
        "之父",
        "之母",
        "其他",
    }
    assert {"配偶", "之子", "之女", "之父", "之母", "之儿媳", "之孙子", "之孙女"} <= set(rel)
    for relation, male in (("之子", True), ("之孙子", True), ("之父", True), ("之女", False)):
        assert (df.loc[rel == relation, "male"] == male).all(), relation
    for relation in ("之孙女", "之母", "之儿媳"):
        assert not df.loc[rel == relation, "male"].any(), relation
    spouse = df[rel == "配偶"]
    assert (spouse["male"] != spouse["head_male"]).all() and (spouse["age"] >= 20).all()
    assert ((spouse["age"] - spouse["head_age"]).abs() <= 10).all()
    younger = df[rel.isin(["之子", "之女"])]
    assert (younger["head_age"] - younger["age"] >= 15).all()
    grand = df[rel.isin(["之孙子", "之孙女"])]
    assert (grand["head_age"] - grand["age"] >= 35).all()
    older = df[rel.isin(["之父", "之母"])]
    assert (older["age"] - older["head_age"] >= 15).all() and (older["age"] <= 100).all()
    assert (rel.groupby(df["户编号"]).apply(lambda r: (r == "配偶").sum()) <= 1).all()
    # a daughter-in-law with a grown son in the house
    for hid in df.loc[rel == "之儿媳", "户编号"]:
        assert (df.loc[(df["户编号"] == hid) & (rel == "之子"), "age"] >= 20).any()


def test_labour_health_and_school(members, snapshots):
    df = members[-1][1].copy()
    assert set(df["劳动技能"]) == LABOUR and set(df["健康状况"]) == HEALTH
    assert set(df["在校生状况"]) <= SCHOOLS and (df["在校生状况"] != "").any()
    df["age"] = _ages(df, "2026-08-31")  # ages in the school year
    school = df["在校生状况"]
    assert df.loc[school == "小学", "age"].between(6, 12).all()
    assert df.loc[school == "学前教育", "age"].between(3, 6).all()
    assert df.loc[school.str.startswith("普通高中"), "age"].between(15, 18).all()
    assert (df.loc[df["age"] < 16, "劳动技能"] == "无劳动力").all()
    assert (df.loc[school != "", "劳动技能"] == "无劳动力").all()
    assert (df.loc[df["与户主关系"] == "户主", "在校生状况"] == "").all()
    lost = df[df["劳动技能"] == "丧失劳动力"]
    assert (lost["健康状况"] != "健康").all() and lost["age"].between(16, 61).all()
    # the relocated households have as many members in labour as 劳动力人数 where ages allow
    hh = snapshots[-1][1].set_index("户编号")
    working = df["劳动技能"].isin(["普通劳动力", "技能劳动力", "弱劳动力或半劳动力"])
    labour = working.groupby(df["户编号"]).sum()
    moved = hh.index[hh["是否易地搬迁户"] == "是"]
    wanted = hh.loc[moved, "劳动力人数"].astype(int)
    assert ((labour[moved] > 0) == (wanted > 0)).all()
    assert (labour[moved] == wanted).mean() > 0.8


def test_assignment_table(national, snapshots):
    table = _read(national.assignments)
    assert list(table.columns) == ["户编号", "网格编码"]
    hh = snapshots[-1][1]
    assert table["户编号"].is_unique and table["户编号"].isin(hh["户编号"]).all()
    grid_of = hh.set_index("户编号")["网格编码"]
    assert (table["网格编码"] == table["户编号"].map(grid_of)).all()
    left_out = len(hh) - len(table)
    assert 0 < left_out < 0.015 * len(hh)
    s = national.summary
    assert s["unassigned_households"] == left_out and s["layout"] == "national"
    missing = ~hh["户编号"].isin(table["户编号"])
    assert s["unassigned_persons"] == hh.loc[missing, "家庭人口数"].astype(int).sum()
    assert s["files"]["assignments"] == national.assignments.name


def test_loaders_accept_the_national_demo(national, small, make_store):
    """Grids, sites and the assignment, then the member files: the figures of the household
    layout, the households the assignment leaves out unassigned."""
    from etl.assignments import load_assignments
    from etl.grids import load_grids
    from etl.households import load_households
    from etl.sites import load_sites

    store = make_store("sqlite")
    load_grids(store, national.grids)
    load_sites(store, national.sites)
    assert not load_assignments(store, national.assignments).warnings
    for month, path in national.households:
        report = load_households(store, path, month=month)
        assert report.rows_read == national.summary["member_rows"]
    other = make_store("sqlite")
    load_grids(other, small.grids)
    load_sites(other, small.sites)
    for month, path in small.households:
        load_households(other, path, month=month)
    s = national.summary
    for month, _ in national.households:
        a, b = store.stats(month=month), other.stats(month=month)
        assert a["households"] == b["households"] == s["households"]
        assert a["unassigned"]["households"] == s["unassigned_households"]
        for key in ("monitored", "eliminated", "open", "persons", "by_category", "risk_level"):
            assert a[key] == b[key], (month, key)
        for township in store.children("152223"):
            assert (
                store.stats(township.code, month=month)["monitored"]
                == other.stats(township.code, month=month)["monitored"]
            )


def test_riskgrid_demo_loads_the_national_files(tmp_path, monkeypatch):
    """``riskgrid demo`` loads the assignment before the member files; the county's stats are
    the summary's figures."""
    import json

    from typer.testing import CliRunner

    import etl.demo
    from geodata import Store
    from riskgrid.cli import app as cli_app

    real = etl.demo.generate_demo
    made = {}

    def small_county(out, **kwargs):
        kwargs.update(grids=60, villages=12, communities=2, townships=3)
        made["files"] = real(out, **kwargs)
        return made["files"]

    monkeypatch.setattr(etl.demo, "generate_demo", small_county)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = ["demo", "--no-serve", "--months", "2", "--households", "3000"]
    result = CliRunner().invoke(cli_app, [*args, "--out", str(tmp_path / "f"), "--db", url])
    assert result.exit_code == 0, result.output
    s = made["files"].summary
    out = "".join(result.output.split())  # rich wraps long lines anywhere
    assert "assignments.csv:读取read" in out
    rows, households = 2 * s["member_rows"], 2 * s["households"]
    assert f"{rows:,}行成员memberrows->{households:,}户households" in out
    store = Store(url)
    stats = store.stats()
    assert stats["unit"]["code"] == "152223" and stats["month"] == "2026-10"
    assert stats["households"] == s["households"]
    assert stats["persons"] == s["persons"]
    assert stats["monitored"] == {
        "households": s["monitored_households"],
        "persons": s["monitored_persons"],
    }
    assert stats["eliminated"]["households"] == s["eliminated_households"]
    assert stats["unassigned"]["households"] == s["unassigned_households"]
    assert stats["unassigned"]["persons"] == s["unassigned_persons"]
    assert stats["sites"]["relocated_households"] == s["relocated_households"]
    assert stats["sites"]["relocated_persons"] == s["relocated_persons"]
    json.dumps(stats)
    store.dispose()


def test_members_at_work_are_the_household_layouts_employed_count(members, snapshots):
    """是否务工 是 on as many members of a household as its 务工就业人数 (the site employment
    coverage comes from it), those in labour first."""
    for (_, df), (_, hh) in zip(members, snapshots, strict=True):
        at_work = (df["是否务工"] == "是").groupby(df["户编号"]).sum()
        employed = pd.to_numeric(hh.set_index("户编号")["务工就业人数"]).reindex(at_work.index)
        assert (at_work == employed).all()
        assert set(df["是否务工"]) <= {"是", "否"}
