"""Level of detail (issue 15) on a small province, 3 counties in 2 cities (``etl.demo.province``):
the shapes per level under each unit, counted in the database; the levels a unit's map offers
and refuses (``dashboard.map_detail``, ``MAX_SHAPES`` patched small), with the hint; no figure
carrying more shapes than ``MAX_SHAPES``; 时效 only from the county down; and on PostGIS, every
query a province's and a county's page make read by an index (EXPLAIN)."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from dash.exceptions import PreventUpdate

from dashboard import create_app, map_detail
from dashboard.data import get_loaders
from dashboard.pages import unit as unit_page
from dashboard.unit_map import map_update, unit_map
from etl.demo.province import load_province
from geodata import schema
from riskgrid.settings import Settings
from tests.conftest import PG_URL
from tests.test_dashboard_support import by_id, walk

MONTH = "2026-10"
COUNTS = {
    "15": {"city": 2, "county": 3, "township": 6, "village": 24, "grid": 120},
    "1501": {"county": 2, "township": 4, "village": 16, "grid": 80},
    "1502": {"county": 1, "township": 2, "village": 8, "grid": 40},
    "150121": {"township": 2, "village": 8, "grid": 40},
    "150122": {"township": 2, "village": 8, "grid": 40},
    "150221": {"township": 2, "village": 8, "grid": 40},
    "150121100": {"village": 4, "grid": 8},
    "150121101": {"village": 4, "grid": 32},
}


@pytest.fixture
def province(store):
    load_province(store, seed=2026, counties=3, grids=40, per_grid=5)
    store.sync_problems()
    return store


def _app_url(store) -> str:
    """The store's database as the app opens it (a PostGIS test store: its own schema)."""
    if not store.is_postgis:
        return str(store.engine.url)
    with store.engine.connect() as conn:
        schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    return f"{PG_URL}?options={quote(f'-csearch_path={schema},public')}"


@pytest.fixture
def app(province):
    dash_app = create_app(Settings(db=_app_url(province), login=False))
    with dash_app.server.test_request_context("/"):
        yield dash_app
    dash_app.server.config["RISKGRID_STORE"].dispose()


def _limit(monkeypatch, n: int) -> None:
    """A smaller ``MAX_SHAPES`` (a change of code: the pages cached before are dropped)."""
    monkeypatch.setattr(map_detail, "MAX_SHAPES", n)
    get_loaders().cache.clear()


def _page(code: str):
    return unit_page.unit_layout(code, MONTH)


def _levels(page) -> tuple[str, list[tuple[str, bool]]]:
    radio = by_id(page, "unit-level")
    return radio.value, [(o["value"], bool(o.get("disabled"))) for o in radio.options]


def _hint(page) -> str | None:
    try:
        return by_id(page, "unit-level-hint").children
    except KeyError:
        return None


def test_shapes_per_level_under_each_unit_are_counted_in_the_database(province):
    for code, counts in COUNTS.items():
        assert province.level_counts(province.unit(code)) == counts, code
    # the children with their label points, and where each shape of a map leads
    assert [r["code"] for r in province.child_rows("15")] == ["1501", "1502"]
    leads = province.child_of_shapes(province.unit("15"), "county")
    assert leads == {"150121": "1501", "150122": "1501", "150221": "1502"}
    grids = province.child_of_shapes(province.unit("1501"), "grid")
    assert len(grids) == 80 and set(grids.values()) == {"150121", "150122"}


def test_levels_offered_and_refused_per_view_with_the_hint(app, monkeypatch):
    monkeypatch.setattr(map_detail, "MAX_SHAPES", 50)
    # the province opens on its counties (the cities outlined); 120 grids refused, to the county
    page = _page("15")
    assert _levels(page) == (
        "county",
        [
            ("city", False),
            ("county", False),
            ("township", False),
            ("village", False),
            ("grid", True),
        ],
    )
    assert _hint(page) == "网格过多（120 个），请进入县查看网格。"
    assert by_id(page, "unit-level-hint").to_plotly_json()["props"]["data-refused"] == "grid"
    # a city opens on its townships; its 80 grids are refused too (40 in each county)
    page = _page("1501")
    assert _levels(page) == (
        "township",
        [("county", False), ("township", False), ("village", False), ("grid", True)],
    )
    assert _hint(page) == "网格过多（80 个），请进入县查看网格。"
    # the other city has 40 grids: all its levels offered
    assert _levels(_page("1502"))[1] == [
        ("county", False),
        ("township", False),
        ("village", False),
        ("grid", False),
    ]
    # a county's map as before: its grids, every level offered, no hint
    page = _page("150121")
    assert _levels(page) == ("grid", [("township", False), ("village", False), ("grid", False)])
    assert _hint(page) is None
    _limit(monkeypatch, 20)
    page = _page("15")
    assert _levels(page)[1] == [
        ("city", False),
        ("county", False),
        ("township", False),
        ("village", True),
        ("grid", True),
    ]
    assert (
        _hint(page) == "村过多（24 个），请进入市查看村；网格过多（120 个），请进入乡镇查看网格。"
    )
    # the preferred level itself too large: the finest above it that fits
    _limit(monkeypatch, 2)
    assert _levels(_page("15"))[0] == "city"
    assert _levels(_page("1501"))[0] == "county"


def test_no_figure_carries_more_than_max_shapes_and_a_larger_one_is_refused(app, monkeypatch):
    monkeypatch.setattr(map_detail, "MAX_SHAPES", 50)
    loaders = get_loaders()
    drawn = 0
    for code, counts in COUNTS.items():
        unit = loaders.unit(code)
        for level, n in counts.items():
            if n > 50:
                with pytest.raises(map_detail.TooManyShapes, match="过多"):
                    unit_map(loaders, unit, level, "risk", MONTH)
                with pytest.raises(PreventUpdate):  # a crafted request from the selector
                    map_update(code, level, "risk", MONTH, full=True)
                continue
            for measure in ("risk", "problems"):
                fig, legend = unit_map(loaders, unit, level, measure, MONTH)
                locations = fig["data"][0]["locations"]
                assert len(locations) == n <= map_detail.MAX_SHAPES, (code, level)
                assert sum(legend) == n
                drawn += 1
            # a click on any shape leads to a child of the unit
            drill = fig["layout"]["meta"]["drill"]
            assert set(drill) == set(locations)
            assert all(re.fullmatch(rf"/unit/{code}\d+", path) for path in drill.values())
    assert drawn == 2 * sum(n <= 50 for c in COUNTS.values() for n in c.values())
    # the geometry of a refused level is not served either; that of an allowed one is
    client = app.server.test_client()
    refused = client.get("/geojson/grid/15.json")
    assert refused.status_code == 404
    served = client.get("/geojson/county/15.json").get_json()
    assert [f["id"] for f in served["features"]] == ["150121", "150122", "150221"]
    # the first page's figure: the province's counties, the cities outlined over them
    graph = by_id(_page("15"), "map")
    figure = graph.figure
    assert figure["data"][0]["locations"] == ["150121", "150122", "150221"]
    outlines = [layer["source"] for layer in figure["layout"]["map"]["layers"]]
    assert [[f["id"] for f in o["features"]] for o in outlines] == [["1501", "1502"], ["15"]]
    assert figure["layout"]["meta"]["drill"] == {
        "150121": "/unit/1501",
        "150122": "/unit/1501",
        "150221": "/unit/1502",
    }
    # a city's page opens on townships: a click on the province's map prefetches those
    assert figure["layout"]["meta"]["next_geo"].startswith("/geojson/township/{code}.json?v=")


def test_problems_on_a_province_map_by_city_are_their_counties_sums(province):
    top = province.unit("15")
    counties = province.open_problems_by("county", top, MONTH)
    cities = province.open_problems_by("city", top, MONTH)
    assert set(cities) <= {"1501", "1502"} and sum(cities.values()) == sum(counties.values()) > 0
    for city, n in cities.items():
        assert n == sum(v for c, v in counties.items() if c.startswith(city))
    summary = province.problem_summary(top, MONTH)
    assert summary["open"] == sum(counties.values())


def _county_summaries(store, unit) -> dict[str, int]:
    out: dict[str, int] = {}
    for county in store.counties():
        if county.code.startswith(unit.code):
            for rule, n in store.problem_summary(county, MONTH)["by_rule"].items():
                out[rule] = out.get(rule, 0) + n
    return out


def test_a_provinces_problem_counts_come_from_the_stored_tally(province):
    top, city = province.unit("15"), province.unit("1501")
    with province.engine.connect() as conn:
        rows = conn.execute(sa.select(schema.problem_tally)).all()
    assert 0 < len(rows) < 100 and sum(r.n for r in rows) == 27
    assert province.problem_summary(top, MONTH)["by_rule"] == _county_summaries(province, top)
    assert province.problem_summary(city, MONTH)["open"] == 20
    # a status change recounts its county in the same transaction
    row = province.problems_frame(province.unit("150121"), month=MONTH).iloc[0]
    province.set_problem_status(row["rule"], row["household_id"], "dismissed", "核实无误", "admin")
    assert province.problem_summary(top, MONTH)["open"] == 26
    assert province.problem_summary(city, MONTH)["open"] == 19
    assert province.open_problems_by("county", top, MONTH) == {
        "150121": 7,
        "150122": 12,
        "150221": 7,
    }
    assert province.problem_summary(top, MONTH)["by_rule"] == _county_summaries(province, top)
    # a list changed by any other way (its stamp changes): the tally is rebuilt at its next read
    with province.write() as conn:
        conn.execute(schema.problem_tally.delete())
        province.set_meta(conn, "problems_revision", "changed-elsewhere")
    assert province.problem_summary(top, MONTH)["open"] == 26


def test_timeliness_is_shown_from_the_county_down_only(app):
    for code in ("15", "1501"):
        panel = by_id(_page(code), "unit-timeliness")
        assert panel.to_plotly_json()["props"].get("data-omitted") == "1"
        assert any("时效按县及以下计算" in str(c.children) for c in walk(panel))
    for code in ("150121", "150121100"):
        panel = by_id(_page(code), "unit-timeliness").to_plotly_json()["props"]
        assert panel.get("data-month") == MONTH and "data-omitted" not in panel


def test_the_problems_stamp_follows_syncs_and_status_changes_without_a_count(province):
    stamp = province.problems_stamp()
    assert province.problems_stamp() == stamp
    row = province.problems_frame().iloc[0]
    province.set_problem_status(row["rule"], row["household_id"], "confirmed", None, "admin")
    assert province.problems_stamp() != stamp


# ---------------------------------------------------------------------- EXPLAIN on PostGIS
def _page_queries(store, build) -> list[tuple[str, object]]:
    """The SELECT statements (with their parameters) that ``build()`` sends to the database."""
    seen: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        if (
            statement.lstrip().upper().startswith(("SELECT", "WITH"))
            and "pg_catalog" not in statement
        ):
            seen.append((statement, parameters))

    sa.event.listen(store.engine, "before_cursor_execute", record)
    try:
        build()
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", record)
    return seen


@pytest.mark.postgis
def test_every_query_of_a_province_and_a_county_page_uses_an_index(make_store):
    store = make_store("postgis")
    load_province(store, seed=2026, counties=3, grids=40, per_grid=5)
    store.sync_problems()
    with store.write() as conn:  # tiny tables: let the planner see them as they are
        conn.exec_driver_sql("ANALYZE")
    dash_app = create_app(Settings(db=_app_url(store), login=False))
    app_store = dash_app.server.config["RISKGRID_STORE"]
    try:
        with dash_app.server.test_request_context("/"):
            queries = _page_queries(app_store, lambda: (_page("15"), _page("1501")))
            queries += _page_queries(app_store, lambda: (_page("150121"), _page("150121100")))
        assert len(queries) > 20
        scans = {}
        with app_store.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_seqscan = off")
            for statement, parameters in queries:
                plan = "\n".join(
                    r[0] for r in conn.exec_driver_sql(f"EXPLAIN {statement}", parameters).all()
                )
                if "Seq Scan" in plan:
                    scans[statement] = plan
        # the policy's two tables are read whole by design: a row per year (and province)
        whole = {re.search(r"FROM (\w+)", s).group(1) for s in scans}
        assert whole == {"policy_lines", "policy_thresholds"}, scans
        assert all(re.fullmatch(r"SELECT [\w., ]+\s+FROM \w+\s*", s) for s in scans), scans
    finally:
        app_store.dispose()


def test_the_wall_of_a_province_draws_its_level_of_detail(app, monkeypatch):
    """The wall viewing a province draws its counties (as its page opens), not its grids: the
    wall of the 100-county province asked for its 100,000 grids (a refused geometry, 404, and
    callbacks of up to 52 s in the load test)."""
    from dashboard.pages.wall.content import wall_content
    from dashboard.pages.wall.parts import legend, map_colours, wall_level

    monkeypatch.setattr(map_detail, "MAX_SHAPES", 50)
    loaders = get_loaders()
    province = loaders.unit("15")
    assert wall_level(loaders, province) == "county"
    assert wall_level(loaders, loaders.unit("1501")) == "township"
    assert wall_level(loaders, loaders.unit("150121")) == "grid"  # 40 grids
    content = wall_content(loaders, province, {}, (1600, 900), full=True)
    figure = next(v for (_, prop), v in content.items() if prop == "figure")
    assert figure["data"][0]["locations"] == ["150121", "150122", "150221"]
    # every geometry URL the wall's map names is served
    client = app.server.test_client()
    sources = [figure["data"][0]["geojson"]]
    sources += [layer.get("source") for layer in figure["layout"]["map"]["layers"]]
    urls = {u for u in sources if isinstance(u, str) and u.startswith("/geojson/")}
    assert any("/county/" in u for u in urls) or not isinstance(sources[0], str)
    for url in urls:
        assert client.get(url).status_code == 200, url
    # the colours of a refresh are those of the same counties; the legend counts counties
    z, _ = map_colours(loaders, province, MONTH)
    assert z == figure["data"][0]["z"]
    counts = [0] * 4
    for value in z:
        counts[value] += 1
    texts = [c.children for c in walk(legend(counts, "county")) if isinstance(c.children, str)]
    assert any("县" in t for t in texts), texts
