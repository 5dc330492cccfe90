"""Maps drawn at their panel's size with their unit fitted to it, at a laptop's 1280x720 and a
wall PC's 1920x1080 (issue 13, defect 2).

A map's dcc.Graph is not responsive (it is drawn once), so Dash hands Plotly no size and Plotly
falls back to 700 x 450 px: a 580 px map panel showed a 450 px band with the county cut off, and
the grid page's map ran under its legend. riskgrid.js gives Plotly the graph's size and fits the
unit's box (``layout.meta.fit``) to it. Browser tests; screenshots in ``test-results/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from dashboard import create_app, map_figures
from geodata import Store
from riskgrid.settings import Settings
from tests.browser_support import chromium, serving

RESULTS = Path(__file__).resolve().parents[1] / "test-results"
SIZES = [(1280, 720), (1920, 1080)]

MEASURE = """(gd, box) => {
    const map = gd._fullLayout.map._subplot.map;
    const canvas = map.getCanvas();
    const graph = gd.closest('.rg-map').getBoundingClientRect();
    const svg = gd.querySelector('.main-svg').getBoundingClientRect();
    const corners = [[box[0], box[1]], [box[2], box[3]]].map(c => {
        const p = map.project(c); return [p.x, p.y]; });
    const legend = gd.closest('.rg-map-panel').querySelector('.rg-legend, .rg-hint');
    return {
        graph: [graph.width, graph.height, graph.bottom],
        svg: [svg.width, svg.height],
        canvas: [canvas.clientWidth, canvas.clientHeight],
        corners: corners,
        legendTop: legend ? legend.getBoundingClientRect().top : null,
    };
}"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def pages(small_demo_db: str) -> list[tuple[str, str, tuple[float, ...], float]]:
    """(name, path, the box the map must show, the share of the map it must at least fill in
    one direction) for the county, a township, a grid and the sites page."""
    store = Store(small_demo_db)
    county = store.default_unit()
    township = store.children(county.code)[0]
    grid = store.map_features("grid", township.code)["features"][0]["id"]

    def box(level: str, code: str) -> tuple[float, ...]:
        found = map_figures.bounds(store.map_features(level, code))
        assert found is not None
        return found

    own_grid = [f for f in store.map_features("grid", grid)["features"] if f["id"] == grid]
    out = [
        ("county", f"/unit/{county.code}", box("grid", county.code), 0.9),
        ("township", f"/unit/{township.code}", box("grid", township.code), 0.9),
        ("grid", f"/grid/{grid}", map_figures.bounds({"features": own_grid}), 0.55),
        ("sites", "/sites", box("township", county.code), 0.9),
    ]
    store.dispose()
    return out


@pytest.mark.browser
@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_maps_are_drawn_at_their_panels_size_with_the_unit_fitted(
    browser: Any, small_demo_db: str, pages: list, size: tuple[int, int]
) -> None:
    app = create_app(Settings(db=small_demo_db, login=False))
    width, height = size
    with serving(app) as base:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(90_000)
        try:
            for name, path, box, least in pages:
                page.goto(base + path)
                gd = ".rg-map .js-plotly-plot[data-drawn='1']"
                page.wait_for_selector(gd)
                page.wait_for_timeout(300)
                m = page.eval_on_selector(gd, MEASURE, list(box))
                RESULTS.mkdir(exist_ok=True)
                page.screenshot(path=str(RESULTS / f"map-size-{name}-{width}.png"))
                print(name, size, m)
                gw, gh, bottom = m["graph"]
                # drawn at the graph's size, not Plotly's 700 x 450
                assert abs(m["svg"][0] - gw) <= 1 and abs(m["svg"][1] - gh) <= 1, (name, m)
                assert abs(m["canvas"][0] - gw) <= 1 and abs(m["canvas"][1] - gh) <= 1, (name, m)
                # the unit whole on the map, and filling it in one direction
                (x0, y1), (x1, y0) = m["corners"]
                assert x0 >= -1 and y0 >= -1 and x1 <= gw + 1 and y1 <= gh + 1, (name, m)
                fill = max((x1 - x0) / gw, (y1 - y0) / gh)
                assert fill >= least, (name, fill, m)
                # the legend (or the hint) under the map, not over it
                if m["legendTop"] is not None:
                    assert m["legendTop"] >= bottom - 1, (name, m)
        finally:
            context.close()
