"""A page opened by its address comes in one round trip: its content in the layout, its geometry
preloaded by the index page, its outlines in its figure, one draw; a click on the map drills
down in the browser (issue 13, part 1). The speed itself is measured by
``benchmarks/bench_page_load.py``; these tests check the request pattern that makes it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from dash._utils import to_json

from dashboard import create_app
from geodata import Store
from riskgrid.settings import Settings
from tests.browser_support import ARGS, CHROMIUM, chromium, serving

RESULTS = Path(__file__).resolve().parents[1] / "test-results"
DRAWN = "#map .js-plotly-plot[data-drawn='1']"
# every afterplot of the unit page's map, with the time (the page's own hook, set before load)
AFTERPLOTS = r"""
(() => {
  window.__afterplots = [];
  window.__detailsAt = null;  // when the details were last rendered (they follow the map)
  new MutationObserver(() => {
    const box = document.getElementById('unit-details');
    if (box && !box.classList.contains('rg-later') && box.querySelector('table')) {
      if (box.__shown !== box.firstChild) {
        box.__shown = box.firstChild;
        window.__detailsAt = performance.now();
      }
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
  new MutationObserver(() => {
    const gd = document.querySelector('#map .js-plotly-plot');
    if (gd && !gd.__counted && typeof gd.on === 'function') {
      gd.__counted = true;
      gd.on('plotly_afterplot', () => window.__afterplots.push(location.pathname));
    }
  }).observe(document, { childList: true, subtree: true });
})();
"""


@pytest.fixture(scope="module")
def app(small_demo_db: str) -> Any:
    return create_app(Settings(db=small_demo_db, login=False))


@pytest.fixture(scope="module")
def place(small_demo_db: str) -> dict[str, str]:
    store = Store(small_demo_db)
    county = store.default_unit()
    townships = [r["unit"]["code"] for r in store.children_stats(county.code, store.latest_month())]
    township = townships[0]
    grid = next(
        f["id"]
        for f in store.map_features("grid", county.code)["features"]
        if store.unit(f["id"]).township_code == township
    )
    found = {
        "county": county.code,
        "township": township,
        "grid": grid,
        "village": store.unit(grid).village_code,
        "month": store.latest_month(),
    }
    found["township_name"] = store.unit(township).name
    found["grid_name"] = store.unit(grid).name
    found["village_name"] = store.unit(found["village"]).name
    found["other_village"] = next(
        u.name for u in store.children(township) if u.code != found["village"]
    )
    store.dispose()
    return found


def find(node: Any, component_id: str) -> dict[str, Any] | None:
    """The component ``component_id`` in a layout's JSON."""
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node
        for value in node.values():
            hit = find(value, component_id)
            if hit is not None:
                return hit
    elif isinstance(node, list):
        for value in node:
            hit = find(value, component_id)
            if hit is not None:
                return hit
    return None


def layout_of(client: Any, referer: str | None) -> dict[str, Any]:
    headers = {"Referer": referer} if referer else {}
    response = client.get("/_dash-layout", headers=headers)
    assert response.status_code == 200
    return json.loads(response.data)


def test_the_layout_of_a_page_opened_by_address_holds_the_page(app: Any, place: dict) -> None:
    client = app.server.test_client()
    township, month = place["township"], place["month"]
    address = f"/unit/{township}?month={month}"
    layout = layout_of(client, f"http://localhost{address}")
    content = find(layout, "_pages_content")
    assert content is not None
    page = content["props"]["children"]
    assert page["props"]["data-unit"] == township and page["props"]["data-month"] == month
    # the Locations know the address: mounting them reports no change, calls no callback
    location = find(layout, "_pages_location")["props"]
    assert (location["pathname"], location["search"]) == (f"/unit/{township}", f"?month={month}")
    own = find(page, "unit-url")["props"]
    assert (own["pathname"], own["search"]) == (f"/unit/{township}", f"?month={month}")
    assert find(layout, "_pages_store")["props"]["data"]["title"].endswith("· 防返贫动态监测")
    # the map's figure carries its outlines; its grids come by URL, preloaded by the index page
    figure = find(page, "map")["props"]["figure"]
    layers = figure["layout"]["map"]["layers"]
    assert layers and all(isinstance(ly["source"], dict) for ly in layers)
    geometry = figure["data"][0]["geojson"]
    assert geometry.startswith(f"/geojson/grid/{township}.json?v=")
    index = client.get(address).get_data(as_text=True)
    preloads = re.findall(
        r'<link rel="preload" as="fetch" crossorigin="anonymous" href="([^"]+)"', index
    )
    assert preloads == [geometry.replace("&", "&amp;")]
    assert "async-graph.js" in index and "async-dropdown.js" in index
    # written by orjson, the same JSON as Dash's own encoder
    with app.server.test_request_context(
        "/_dash-layout", headers={"Referer": f"http://localhost{address}"}
    ):
        assert json.loads(to_json(app.get_layout())) == layout


@pytest.mark.parametrize(
    "referer", [None, "http://elsewhere.example/unit/152223", "ftp://localhost/unit/152223"]
)
def test_without_the_address_the_router_fills_the_page(app: Any, referer: str | None) -> None:
    layout = layout_of(app.server.test_client(), referer)
    content = find(layout, "_pages_content")
    assert "children" not in content["props"] or content["props"]["children"] is None
    assert "pathname" not in find(layout, "_pages_location")["props"]


def test_an_address_that_names_no_page_leaves_the_router_its_404(app: Any) -> None:
    layout = layout_of(app.server.test_client(), "http://localhost/nope")
    assert find(layout, "_pages_content")["props"].get("children") is None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def test_a_page_opened_by_address_draws_its_map_once_with_no_callback(
    browser: Any, app: Any, place: dict
) -> None:
    township = place["township"]
    with serving(app) as base:
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.set_default_timeout(90_000)
        page.add_init_script(AFTERPLOTS)
        requests: list[tuple[str, str, str | None]] = []
        page.on("request", lambda r: requests.append((r.method, r.url, r.post_data)))
        try:
            page.goto(f"{base}/unit/{township}")
            page.wait_for_selector(DRAWN)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1000)
            posts = [u for m, u, _ in requests if m == "POST"]
            assert posts == []
            paths = [urlsplit(u).path for m, u, _ in requests if urlsplit(u).hostname]
            assert paths.count(f"/geojson/grid/{township}.json") == 1
            assert not [p for p in paths if p.startswith("/geojson/") and "/grid/" not in p]
            assert paths.count("/_dash-layout") == 1
            assert page.evaluate("window.__afterplots") == [f"/unit/{township}"]
            # the charts are drawn after the map, with their figures (not the placeholders)
            page.wait_for_function(
                """() => ['chart-causes', 'chart-categories', 'chart-trend'].every(id => {
                     const gd = document.querySelector('#' + id + ' .js-plotly-plot');
                     return gd && gd.data && gd.data.length > 0; })"""
            )

            # a click on a grid of the township opens its village in place: one callback
            # answers the village's parts, the same map (its graph and its MapLibre map) draws
            # them, the address follows, and the router it calls leaves the page as it is
            requests.clear()
            responses: list[tuple[str, str]] = []
            page.on(
                "response",
                lambda r: (
                    responses.append((r.request.post_data or "", r.text()))
                    if r.request.method == "POST"
                    else None
                ),
            )
            page.evaluate(
                """() => { const gd = document.querySelector('#map .js-plotly-plot');
                  gd.__rgMark = 'township';
                  window.__rgMapBefore = gd._fullLayout.map._subplot.map; }"""
            )
            page.evaluate(
                """(code) => { const gd = document.querySelector('#map .js-plotly-plot');
                  const i = gd.data[0].locations.indexOf(code);
                  gd.emit('plotly_click', {points: [{curveNumber: 0, pointNumber: i,
                    pointIndex: i, location: code}]}); }""",
                place["grid"],
            )
            target = place["village"]
            page.wait_for_selector(f"#unit-page[data-unit='{target}'] {DRAWN}")
            page.wait_for_load_state("networkidle")
            page.wait_for_function("(n) => document.title.startsWith(n)", arg=place["village_name"])
            assert page.evaluate("location.pathname") == f"/unit/{target}"
            assert page.evaluate(
                """() => { const gd = document.querySelector('#map .js-plotly-plot');
                  return gd.__rgMark === 'township'
                    && gd._fullLayout.map._subplot.map === window.__rgMapBefore; }"""
            ), "the map was made anew"
            assert page.text_content("#unit-title").startswith(place["village_name"])
            assert page.get_attribute("#unit-page", "data-month") == place["month"]
            outputs = [
                json.loads(body)["output"]
                for m, url, body in requests
                if m == "POST" and urlsplit(url).path == "/_dash-update-component"
            ]
            # the drill, then the router (the title only); the page's own Location may report
            # the ?month= the address gained, which changes nothing: no other map drawing
            assert "unit-title.children" in outputs[0] and "rg-nav.href" in outputs[0]
            assert [o for o in outputs if "_pages_content" in o] == [outputs[1]], outputs
            drawn_by = [
                json.loads(body)["output"]
                for body, text in responses
                if "map" in (json.loads(text or "{}").get("response") or {})
            ]
            assert drawn_by == [outputs[0]], drawn_by
            assert len(outputs) <= 3, outputs
            assert page.evaluate("window.__afterplots.length") == 2  # the township, the village
            router_answer = json.loads(
                next(text for body, text in responses if "_pages_content" in body)
            )["response"]
            assert "_pages_content" not in router_answer
            assert router_answer["_pages_store"]["data"]["title"].startswith(place["village_name"])
            fetched = [urlsplit(u).path for m, u, _ in requests if m == "GET"]
            assert fetched.count(f"/geojson/grid/{target}.json") >= 1
            # the details follow the drawn map: the village's ranking (its grids), not dimmed
            page.wait_for_selector("#unit-details:not(.rg-later) table")
            ranked = page.text_content("#unit-details table")
            assert place["grid_name"] in ranked and place["other_village"] not in ranked
            assert page.evaluate(
                """() => Number(document.querySelector('#map .js-plotly-plot').dataset.drawnAt)
                   <= window.__detailsAt""",
            )
            RESULTS.mkdir(exist_ok=True)
            page.screenshot(path=str(RESULTS / "drill-in-place.png"))

            # Back: the township again, through the router (a page of its own)
            page.go_back()
            page.wait_for_selector(f"#unit-page[data-unit='{township}'] {DRAWN}")
            assert page.evaluate("location.pathname") == f"/unit/{township}"
            assert page.text_content("#unit-title").startswith(place["township_name"])
            # and the village by a link (the breadcrumb's store is clear: a router page)
            page.goto(f"{base}/unit/{township}")
            page.wait_for_selector(f"#unit-page[data-unit='{township}'] {DRAWN}")
        finally:
            context.close()


def test_without_webgl_the_details_still_come(browser: Any, app: Any, place: dict) -> None:
    """The details wait for the map; a PC whose browser cannot draw it (no WebGL) still gets
    them, after riskgrid.js's LATER_MS."""
    no_gl = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*ARGS, "--disable-webgl", "--disable-3d-apis"]
    )
    with serving(app) as base:
        context = no_gl.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{base}/unit/{place['township']}")
            page.wait_for_selector("#unit-details:not(.rg-later) table", timeout=30_000)
            assert place["other_village"] in page.text_content("#unit-details table")
            assert page.query_selector(DRAWN) is None  # the map did not draw
        finally:
            context.close()
            no_gl.close()


def test_charts_are_plotly_figures_written_as_plain_json(small_demo_db: str) -> None:
    """The charts are built as dicts (no graph objects on a page's path); Plotly's own
    validation takes each as it is, nothing dropped or changed."""
    import plotly.graph_objects as go

    from dashboard import chart_figures

    store = Store(small_demo_db)
    for code in [store.default_unit().code, *(u.code for u in store.children("152223"))]:
        for month in store.months():
            stats = store.stats(code, month)
            for chart in (
                chart_figures.causes_figure(stats["by_cause"]),
                chart_figures.categories_figure(stats["by_category"]),
                chart_figures.trend_figure(store.trend(code), month),
                chart_figures.trend_figure([], month),
            ):
                again = go.Figure(chart).to_plotly_json()
                assert json.loads(json.dumps(again, default=str)) == json.loads(json.dumps(chart))
    store.dispose()
