"""The dashboard without a browser: figure builders, page layouts, callbacks' plain functions.

Figures on every page must be the stored ones (``Store.stats`` and friends), formatted the Chinese
way; names and ID numbers masked; unknown codes give a Chinese not-found page; nothing served
points at another host.
"""

from __future__ import annotations

import re
from pathlib import Path

import dash
import plotly.graph_objects as go
import pytest
from dash import Patch

from dashboard import create_app
from dashboard.components import shell
from dashboard.data import get_loaders
from dashboard.figures import RISK_MEASURE, SHARE_MEASURE, class_counts
from dashboard.pages import grid, household, notfound, sites, unit
from etl.households import load_households
from geodata import Store
from geodata.model import RISK_RANK, mask_id_number, mask_name
from reports import fmt
from riskgrid.settings import Settings
from tests.factories import county_file, write_csv
from tests.test_dashboard_support import (
    build_tiny,
    by_id,
    cards,
    props,
    texts,
    walk,
)

REPO = Path(__file__).resolve().parents[1]


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


def expected_cards(s: dict) -> dict[str, str]:
    """The card texts a unit's stored figures must give, written independently of dashboard."""
    ob = s["open_by_level"]
    return {
        "monitored_households": f"{s['monitored']['households']:,} 户",
        "monitored_persons": f"{s['monitored']['persons']:,} 人",
        "clearance_rate_persons": _pct(s["clearance_rate"]["persons"]),
        "clearance_rate_households": _pct(s["clearance_rate"]["households"]),
        "open_households": f"{s['open']['households']:,} 户",
        "open_red_households": f"{ob['red']['households']:,} 户",
        "open_yellow_households": f"{ob['yellow']['households']:,} 户",
        "open_blue_households": f"{ob['blue']['households']:,} 户",
        "new_identified_households": f"{s['new_this_month']['identified']['households']:,} 户",
        "new_eliminated_households": f"{s['new_this_month']['eliminated']['households']:,} 户",
        "below_monitoring_households": f"{s['below_monitoring_line']['households']:,} 户",
        "below_observation_households": f"{s['below_observation_line']['households']:,} 户",
        "all_households": f"{s['households']:,} 户",
        "warned_households": f"{s['warnings']['households']:,} 户",
    }


@pytest.fixture(scope="module")
def tiny_db(tmp_path_factory) -> str:
    return build_tiny(tmp_path_factory.mktemp("tiny") / "tiny.db")


@pytest.fixture
def tiny(tiny_db):
    """(app, store) on the tiny data, inside a request context."""
    app = create_app(Settings(db=tiny_db, login=False))
    with app.server.test_request_context("/"):
        yield app, Store(tiny_db)


@pytest.fixture(scope="module")
def small_app(small_demo_db):
    return create_app(Settings(db=small_demo_db, login=False)), Store(small_demo_db)


@pytest.fixture
def small(small_app):
    app, store = small_app
    with app.server.test_request_context("/"):
        yield app, store


# ---------------------------------------------------------------------- formatting
def test_numbers_are_written_the_chinese_way():
    assert fmt.persons(7044) == "7,044 人"
    assert fmt.households(1900) == "1,900 户"
    assert fmt.pct(5245 / 7044) == "74.46%"
    assert fmt.pct(None) == "—"
    assert fmt.yuan(6500.4) == "6,500 元"
    assert fmt.month_label("2024-03") == "2024年3月"


# ---------------------------------------------------------------------- the map
def test_county_map_is_one_white_bg_choropleth_trace_of_every_grid(small):
    app, store = small
    loaders = get_loaders()
    county = store.default_unit()
    month = store.latest_month()
    fig, counts = unit.unit_map(loaders, county, "grid", "risk", month)
    grids = store.map_features("grid", county.code)["features"]
    assert len(fig["data"]) == 1
    trace = fig["data"][0]
    assert trace["type"] == "choroplethmap"
    assert len(trace["locations"]) == len(grids) == 60
    # the geometry, once, as a URL the app serves itself (cached by the browser per data version)
    assert trace["geojson"].startswith("/geojson/grid/152223.json?v=")
    served = app.server.test_client().get(trace["geojson"]).get_json()
    assert [f["id"] for f in served["features"]] == trace["locations"]
    stored = store.map_features("grid", county.code)["features"]
    # the served outlines are the stored ones, slimmed to id and geometry
    assert served["features"] == [
        {"type": "Feature", "id": f["id"], "geometry": f["geometry"]} for f in stored
    ]
    assert fig["layout"]["map"]["style"] == "white-bg"
    # colours are classes 0..3 on a stepped scale, exactly the stored risk level of each grid
    by_code = {r["unit"]["code"]: r for r in store.children_stats(county.code, month)}
    assert by_code  # townships
    for code, z in zip(trace["locations"], trace["z"], strict=True):
        assert z == RISK_RANK[store.stats(code, month)["risk_level"]]
    assert sum(counts) == len(grids)
    assert counts == class_counts(trace["z"], RISK_MEASURE)
    # hover: the unit's name and its stored key figures
    code, hover = trace["locations"][0], trace["customdata"][0]
    s = store.stats(code, month)
    assert hover[0] == s["unit"]["name"]
    assert hover[2] == f"{s['monitored']['households']:,} 户"
    assert hover[7] == _pct(s["clearance_rate"]["persons"])
    # township and county outlines drawn over the grids as line layers, township names as labels
    layers = fig["layout"]["map"]["layers"]
    assert [ly["type"] for ly in layers] == ["line", "line"]
    # carried in the figure (they arrive with the page, drawn in its first draw): the township
    # outlines and the county's, exactly as served by URL
    client = app.server.test_client()
    township_url = trace["geojson"].replace("/grid/", "/township/")
    county_url = trace["geojson"].replace("/grid/", "/county/")
    assert layers[0]["source"] == client.get(township_url).get_json()
    assert layers[1]["source"] == client.get(county_url).get_json()
    assert len(layers[0]["source"]["features"]) == 3
    # a click on a grid opens its township's page (resolved in the browser from the figure)
    drill = fig["layout"]["meta"]["drill"]
    assert set(drill) == set(trace["locations"])
    for code, path in drill.items():
        assert path == f"/unit/{store.unit(code).township_code}"
    assert fig["layout"]["meta"]["next_geo"].startswith("/geojson/grid/{code}.json?v=")
    assert client.get("/geojson/grid/nope.json").status_code == 404
    assert client.get("/geojson/planet/152223.json").status_code == 404
    townships = {r["unit"]["name"] for r in store.children_stats(county.code, month)}
    assert {lab["t"] for lab in fig["layout"]["meta"]["labels"]} == townships


def test_legend_counts_add_up_to_the_number_of_grids(small):
    app, store = small
    page = unit.unit_layout(None, None)
    legend = by_id(page, "map-legend")
    counts = [int(props(c)["data-count"]) for c in walk(legend) if "data-count" in props(c)]
    assert len(counts) == 4 and sum(counts) == 60
    totals = [props(c)["data-total"] for c in walk(legend) if "data-total" in props(c)]
    assert totals == ["60"]


def test_measure_and_month_changes_patch_colours_not_geometry(small):
    app, store = small
    county = store.default_unit()
    first, last = store.months()[0], store.months()[-1]
    patch, legend = unit.map_update(county.code, "grid", "share", first, full=False)
    assert isinstance(patch, Patch)
    ops = patch.to_plotly_json()["operations"]
    changed = {tuple(op["location"]) for op in ops}
    assert changed == {
        ("data", 0, "z"),
        ("data", 0, "customdata"),
        ("data", 0, "colorscale"),
        ("data", 0, "zmax"),
    }
    z = next(op["params"]["value"] for op in ops if op["location"] == ["data", 0, "z"])
    assert len(z) == 60 and set(z) <= set(range(len(SHARE_MEASURE.classes)))
    counts = [int(props(c)["data-count"]) for c in walk(legend) if "data-count" in props(c)]
    assert sum(counts) == 60 and len(counts) == len(SHARE_MEASURE.classes)
    # another level is a new figure, with new geometry
    fig, _ = unit.map_update(county.code, "township", "risk", last, full=True)
    assert len(fig["data"][0]["locations"]) == 3


def test_clicking_a_shape_drills_down_one_level(small):
    app, store = small
    county = store.default_unit()
    township = store.children(county.code)[0]
    village = store.children(township.code)[0]
    grid_code = store.children(village.code)[0].code
    m = store.latest_month()
    assert unit.drill_href(county.code, grid_code, m) == f"/unit/{township.code}?month={m}"
    assert unit.drill_href(county.code, township.code, m) == f"/unit/{township.code}?month={m}"
    assert unit.drill_href(township.code, grid_code, m) == f"/unit/{village.code}?month={m}"
    assert unit.drill_href(village.code, grid_code, m) == f"/grid/{grid_code}?month={m}"
    other = store.children(county.code)[1]
    assert unit.drill_href(other.code, grid_code, m) is None  # not inside this unit
    assert unit.drill_href(county.code, None, m) is None


# ---------------------------------------------------------------------- figures on the pages
def test_cards_equal_store_stats_for_county_every_township_and_samples(small):
    app, store = small
    county = store.default_unit()
    townships = store.children(county.code)
    villages = [v for t in townships for v in store.children(t.code)]
    grids = [g for v in villages for g in store.children(v.code)]
    assert len(townships) == 3 and len(grids) == 60
    checked = 0
    for month in store.months():
        for u in [county, *townships, *villages[::4], *grids[::9]]:
            page = unit.unit_layout(u.code, month)
            expected = expected_cards(store.stats(u.code, month))
            shown = cards(page)
            assert {k: shown[k] for k in expected} == expected, (u.code, month)
            checked += 1
    assert checked > 3 * (1 + 3)
    # the overview without a code is the county's page in the latest month
    assert cards(unit.unit_layout(None, None)) == cards(
        unit.unit_layout(county.code, store.latest_month())
    )


def test_ranking_lists_every_township_with_stored_rates_and_links(small):
    app, store = small
    county = store.default_unit()
    month = store.months()[1]
    page = unit.unit_layout(county.code, month)
    table = by_id(page, "rg-ranking")
    rows = [c for c in walk(table) if "data-code" in props(c)]
    assert len(rows) == 3
    rates = []
    for row in rows:
        code = props(row)["data-code"]
        s = store.stats(code, month)
        row_text = texts(row)
        assert _pct(s["clearance_rate"]["persons"]) in row_text
        assert f"{s['open_by_level']['red']['households']:,}" in row_text
        link = next(c for c in walk(row) if getattr(c, "href", None))
        assert link.href == f"/unit/{code}?month={month}"
        rates.append(s["clearance_rate"]["persons"])
    assert rates == sorted(rates, reverse=True)


def test_charts_come_from_stored_figures(small):
    app, store = small
    county = store.default_unit()
    month = store.latest_month()
    page = unit.unit_layout(county.code, month)
    s = store.stats(county.code, month)
    causes = go.Figure(by_id(page, "chart-causes").figure)  # cached as a plain dict
    shown = dict(zip(causes.data[0].y, causes.data[0].x, strict=True))
    from reports.causes import TOP_CAUSES, top_causes

    assert shown == {b.label: b.households for b in top_causes(s["by_cause"])}
    for cause, n in sorted(s["by_cause"].items(), key=lambda kv: (-kv[1], kv[0]))[: TOP_CAUSES - 1]:
        assert shown[cause] == n
    trend = go.Figure(by_id(page, "chart-trend").figure)
    assert list(trend.data[0].y) == [t["monitored"]["persons"] for t in store.trend(county.code)]
    assert len(trend.data[0].x) == len(store.months())


def test_every_link_carries_the_month(small):
    app, store = small
    month = store.months()[0]
    township = store.children(store.default_unit().code)[0]
    for page in (unit.unit_layout(township.code, month), unit.unit_layout(None, month)):
        hrefs = [c.href for c in walk(page) if getattr(c, "href", None)]
        assert hrefs and all(f"month={month}" in h for h in hrefs)
        dropdown = by_id(page, "unit-month")
        assert dropdown.value == month
        assert [o["value"] for o in dropdown.options] == list(reversed(store.months()))


def test_month_change_rewrites_url_cards_and_breadcrumb(small):
    app, store = small
    township = store.children(store.default_unit().code)[0]
    first, last = store.months()[0], store.months()[-1]
    out = unit.month_changed(
        township.code, first, f"?month={last}", last, "unit-month", "grid", "risk"
    )
    search, dropdown, ctx, crumbs, new_cards, details, box, patch, legend, view = out
    assert search == f"?month={first}"
    # the map is patched with the month's colours by the same callback (not a second one)
    expected = unit.map_update(township.code, "grid", "risk", first, full=False)[0]
    assert isinstance(patch, Patch) and patch.to_plotly_json() == expected.to_plotly_json()
    assert view == {"code": township.code, "level": "grid", "measure": "risk", "month": first}
    assert box == "rg-later rg-stale"  # the details shown once the patched map is drawn
    assert ctx == {"code": township.code, "month": first}
    assert cards(new_cards) == {
        **cards(new_cards),
        **expected_cards(store.stats(township.code, first)),
    }
    assert all(f"month={first}" in c.href for c in walk(crumbs) if getattr(c, "href", None))
    # Back/Forward: the URL changed, the dropdown follows; the URL is not written again
    out = unit.month_changed(
        township.code, last, f"?month={first}", last, "unit-url", "grid", "risk"
    )
    assert out[0] is dash.no_update and out[1] == first and out[2]["month"] == first
    # the month shown already: nothing to do
    out = unit.month_changed(
        township.code, last, f"?month={last}", last, "unit-month", "grid", "risk"
    )
    assert all(x is dash.no_update for x in out)


def test_grid_page_has_stored_figures_and_its_households(small):
    app, store = small
    month = store.latest_month()
    village = store.children(store.children(store.default_unit().code)[0].code)[0]
    for g in store.children(village.code)[:3]:
        page = grid.grid_layout(g.code, month, "all")
        expected = expected_cards(store.stats(g.code, month))
        assert {k: cards(page)[k] for k in expected} == expected
        frame = store.households_frame(month, unit=g)
        rows = [c for c in walk(by_id(page, "rg-households")) if "data-household" in props(c)]
        assert sorted(props(r)["data-household"] for r in rows) == sorted(frame["household_id"])
        # monitored households only by default
        monitored = frame[frame["category"].fillna("") != ""]
        page = grid.grid_layout(g.code, month)
        if len(monitored):
            rows = [c for c in walk(by_id(page, "rg-households")) if "data-household" in props(c)]
            assert len(rows) == len(monitored)


def test_grid_page_lists_the_households_with_department_warnings(small):
    """部门预警 view: the grid's households with a signal that month, monitored or not, each
    with its count; the toggle's count and the card are the stored figure."""
    app, store = small
    month = store.latest_month()
    signals = store.signals_frame(month=month)
    code = signals["grid_code"].value_counts().index[0]  # the grid with the most signals
    per_household = signals[signals["grid_code"] == code]["household_id"].value_counts()
    page = grid.grid_layout(code, month, "warned")
    rows = [c for c in walk(by_id(page, "rg-households")) if "data-household" in props(c)]
    assert {props(r)["data-household"]: texts(r)[-1] for r in rows} == {
        h: f"{n} 条" for h, n in per_household.items()
    }
    assert texts(by_id(page, "grid-show-warned")) == [f"部门预警（{len(per_household):,} 户）"]
    assert store.stats(code, month)["warnings"]["households"] == len(per_household)
    assert cards(page)["warned_households"] == f"{len(per_household):,} 户"

    # every view has the column; an unknown view shows the monitored households
    def listed(show):
        table = by_id(grid.grid_layout(code, month, show), "rg-households")
        return [props(c)["data-household"] for c in walk(table) if "data-household" in props(c)]

    assert listed("nonsense") == listed(None) and listed(None)


def test_household_table_and_page_mask_names_and_id_numbers(tiny):
    app, store = tiny
    month = store.latest_month()
    g = store.children("152223101001")[0]
    frame = store.households_frame(month, unit=g)
    page = grid.grid_layout(g.code, month, "all")
    shown = set(texts(page))
    for r in frame.to_dict("records"):
        assert r["head_name"] not in shown and r["id_number"] not in shown
        assert mask_name(r["head_name"]) in shown
        assert mask_id_number(r["id_number"]) in shown
        assert re.fullmatch(r"\d{6}\*{8}[\dX]{4}", mask_id_number(r["id_number"]))
    hid = frame["household_id"].iloc[0]
    record = store.household(month, hid)
    detail = household.household_layout(hid, month)
    shown = set(texts(detail))
    assert record["head_name"] not in shown and record["id_number"] not in shown
    assert mask_id_number(record["id_number"]) in shown
    crumbs = [c.children for c in walk(by_id(detail, "rg-breadcrumb")) if getattr(c, "href", None)]
    assert len(crumbs) == 4  # 县 › 乡镇 › 村 › 网格 › 户


def test_unknown_codes_and_months_give_a_chinese_not_found_page(tiny):
    for page in (
        unit.unit_layout("999999999", None),
        unit.unit_layout("no-such-unit", None),
        grid.grid_layout("152223101", None),  # a township is not a grid
        grid.grid_layout("nope", None),
    ):
        assert by_id(page, "rg-notfound") is not None
        assert "未找到该单位" in texts(page)
    assert "没有该月份的数据" in texts(unit.unit_layout(None, "2099-01"))
    assert "未找到该农户" in texts(household.household_layout("H9999999", None))
    assert "未找到该页面" in texts(notfound.layout())


def test_grid_code_under_unit_path_shows_the_grid_page(tiny):
    page = unit.unit_layout("152223101001001", "2024-10")
    assert "rg-grid-page" in page.className


def test_sites_page_flags_sites_below_full_coverage(tiny):
    app, store = tiny
    month = store.latest_month()
    page = sites.sites_layout(month)
    rows = [c for c in walk(by_id(page, "rg-sites")) if "data-site" in props(c)]
    stats = {s["site_code"]: s for s in store.site_stats(month)}
    assert {props(r)["data-site"] for r in rows} == set(stats)
    for r in rows:
        s = stats[props(r)["data-site"]]
        flagged = s["employment_coverage"] is not None and s["employment_coverage"] < 1
        assert props(r)["data-flagged"] == ("1" if flagged else "0")
        assert ("未全覆盖" in texts(r)) == flagged
    assert any(props(r)["data-flagged"] == "1" for r in rows)
    county = store.stats(None, month)["sites"]
    shown = cards(page)
    assert shown["relocated_households"] == f"{county['relocated_households']:,} 户"
    assert shown["relocated_persons"] == f"{county['relocated_persons']:,} 人"
    assert shown["employment_coverage"] == _pct(county["employment_coverage"])
    fig = by_id(page, "sites-map").figure
    assert fig["data"][0]["type"] == "scattermap" and fig["layout"]["map"]["style"] == "white-bg"
    persons = [stats[c]["relocated_persons"] for c in sorted(stats)]
    sizes = fig["data"][0]["marker"]["size"]
    assert (persons[0] > persons[1]) == (sizes[0] > sizes[1]) or persons[0] == persons[1]


def test_demo_label_on_every_page_only_for_demo_data(tiny, small_app):
    assert "演示数据 (非真实数据)" not in texts(shell(get_loaders()))
    app, _ = small_app
    with app.server.test_request_context("/"):
        assert "演示数据 (非真实数据)" in texts(shell(get_loaders()))


# ---------------------------------------------------------------------- serving
def test_each_app_has_its_own_store_and_sees_new_data(tmp_path, small_demo_db):
    tiny_url = build_tiny(tmp_path / "a.db")
    a = create_app(Settings(db=tiny_url, login=False))
    b = create_app(Settings(db=small_demo_db, login=False))
    with a.server.test_request_context("/"):
        months_a = get_loaders().months()
    with b.server.test_request_context("/"):
        months_b = get_loaders().months()
    assert months_a == ["2024-10", "2024-11"] and months_b != months_a
    # a new snapshot loaded into the store changes the data version: nothing cached goes stale
    with a.server.test_request_context("/"):
        url_before = unit.unit_map(
            get_loaders(), get_loaders().unit(None), "grid", "risk", "2024-11"
        )[0]
    store = Store(tiny_url)
    grids = list(store.grid_index()["grid_code"])
    rows = county_file(25, 70, 20, 55, grids, others=10)
    load_households(store, write_csv(tmp_path / "dec.csv", rows), month="2024-12")
    with a.server.test_request_context("/"):
        assert get_loaders().months() == ["2024-10", "2024-11", "2024-12"]
        page = unit.unit_layout(None, None)
        assert cards(page)["monitored_persons"] == "70 人"
        # and new geometry URLs, so browsers do not keep outlines of an older load
        url_after = unit.unit_map(
            get_loaders(), get_loaders().unit(None), "grid", "risk", "2024-11"
        )[0]
        assert url_after["data"][0]["geojson"] != url_before["data"][0]["geojson"]


def test_app_serves_everything_itself_compressed(tiny_db):
    app = create_app(Settings(db=tiny_db, login=False))
    client = app.server.test_client()
    index = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert index.status_code == 200
    html_text = client.get("/").get_data(as_text=True)
    assert 'lang="zh-CN"' in html_text
    urls = re.findall(r'(?:src|href)="([^"]+)"', html_text)
    assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert any("riskgrid.css" in u for u in urls) and any("riskgrid.js" in u for u in urls)
    script = next(u for u in urls if "plotly" in u or "dash_renderer" in u or "react" in u)
    response = client.get(script, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers.get("Content-Encoding") == "gzip"
    layout = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
    assert layout.status_code == 200


def test_no_other_host_in_dashboard_or_assets_and_only_white_bg():
    pattern = re.compile(r"https?://([A-Za-z0-9.-]+)")
    for path in [*(REPO / "dashboard").rglob("*.py"), *(REPO / "assets").rglob("*.*")]:
        if path.suffix not in {".py", ".js", ".css", ".json", ".html"}:
            continue
        text = path.read_text(encoding="utf-8")
        hosts = set(pattern.findall(text)) - {"127.0.0.1", "localhost"}
        assert not hosts, (path, hosts)
        for line in text.splitlines():
            if re.search(
                r"map_style\s*=|mapbox_style\s*=|\"style\":", line
            ) and "figures.py" in str(path):
                assert "MAP_STYLE" in line or "white-bg" in line, line
    from dashboard import figures

    assert figures.MAP_STYLE == "white-bg"


def test_tile_url_adds_an_intranet_basemap_below_the_grids(tiny_db):
    tiles = "/tiles/{z}/{x}/{y}.png"
    app = create_app(Settings(db=tiny_db, tile_url=tiles, login=False))
    with app.server.test_request_context("/"):
        fig = by_id(unit.unit_layout(None, None), "map").figure
    raster = fig["layout"]["map"]["layers"][0]
    assert raster["sourcetype"] == "raster" and raster["source"] == [tiles]
    assert raster["below"] == "traces"
    assert fig["layout"]["map"]["style"] == "white-bg"


def test_cache_dir_shares_the_loaders_cache_on_disk(tiny_db, tmp_path):
    app = create_app(Settings(db=tiny_db, cache_dir=str(tmp_path / "cache"), login=False))
    with app.server.test_request_context("/"):
        assert get_loaders().months() == ["2024-10", "2024-11"]
        assert "监测对象户数" in texts(unit.unit_layout(None, None))
    assert any((tmp_path / "cache").iterdir())
