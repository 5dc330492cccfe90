"""plotly.js served as a partial bundle of the trace types riskgrid draws (issue 13: pages that
settle sooner than a plain Dash app; the full bundle's parse was most of a page's wait).

Dash's renderer asks for plotly.js at one fixed address; riskgrid answers it with
``dashboard/vendor/plotly-riskgrid.min.js``. Each page type is opened in headless Chromium and
every figure it draws must be of a trace type the bundle holds (a missing one draws nothing).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest

from dashboard import create_app, plotly_bundle
from geodata import Store
from riskgrid.settings import Settings
from tests.browser_support import chromium, serving

FULL = Path(__import__("plotly").__file__).resolve().parent / "package_data" / "plotly.min.js"


@pytest.fixture(scope="module")
def app(small_demo_db: str) -> Any:
    return create_app(Settings(db=small_demo_db, login=False))


def test_the_bundle_names_no_other_host() -> None:
    """No address of another host in the bundle (the build strips their scheme): a county PC
    on an intranet reaches none, and nothing may try. Only XML namespace names stay."""
    text = plotly_bundle.BUNDLE.read_text(encoding="utf-8")
    hosts = set(re.findall(r"https?://([A-Za-z0-9.-]+)", text))
    assert hosts == {"www.w3.org"}, hosts


def test_the_plotly_address_answers_with_the_partial_bundle(app: Any) -> None:
    client = app.server.test_client()
    response = client.get(plotly_bundle.PLOTLY_JS)
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    body = response.get_data()
    assert body == plotly_bundle.BUNDLE.read_bytes()
    assert body.startswith(b"/*! plotly.js v4.1.1, partial bundle for riskgrid")
    # well under the full bundle of the Python package (4.8 MB)
    assert len(body) < 0.7 * FULL.stat().st_size, (len(body), FULL.stat().st_size)
    # revalidated by its ETag like Dash's own scripts: a reload sends nothing again
    again = client.get(plotly_bundle.PLOTLY_JS, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""
    # compressed once for a browser that takes brotli, revalidated the same way
    br = client.get(plotly_bundle.PLOTLY_JS, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.get_data()) == body
    assert len(br.get_data()) < len(body) / 3
    tag = br.headers["ETag"]
    assert tag != response.headers["ETag"]  # another entity, another tag
    again = client.get(
        plotly_bundle.PLOTLY_JS, headers={"Accept-Encoding": "br", "If-None-Match": tag}
    )
    assert again.status_code == 304 and again.get_data() == b""
    # and the page preloads that same address
    assert f'<link rel="preload" as="script" href="{plotly_bundle.PLOTLY_JS}">' in client.get(
        "/"
    ).get_data(as_text=True)


@pytest.fixture(scope="module")
def paths(small_demo_db: str) -> list[tuple[str, bool]]:
    """Every page type's address, and whether it draws a figure (the problem list and a
    household's page are tables and text)."""
    store = Store(small_demo_db)
    county = store.default_unit()
    township = store.children(county.code)[0]
    grid = store.map_features("grid", township.code)["features"][0]["id"]
    with store.engine.connect() as conn:
        household = store.household_columns(conn, store.months()[-1], ["household_id"])
    store.dispose()
    first = sorted(household["household_id"])[0]
    return [
        (f"/unit/{county.code}", True),
        (f"/unit/{township.code}", True),
        (f"/grid/{grid}", True),
        ("/sites", True),
        ("/wall", True),
        (f"/problems/{county.code}", False),
        (f"/household/{first}", False),
    ]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


TRACE_TYPES = """() => [...document.querySelectorAll('.js-plotly-plot')]
    .map(gd => (gd.data || []).map(t => t.type || 'scatter'))"""


@pytest.mark.browser
def test_every_page_draws_only_trace_types_the_bundle_holds(
    app: Any, browser: Any, paths: list[tuple[str, bool]]
) -> None:
    seen: set[str] = set()
    with serving(app) as base:
        context = browser.new_context(viewport={"width": 1600, "height": 900})
        page = context.new_page()
        page.set_default_timeout(90_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        try:
            page.goto(base + paths[0][0])
            page.wait_for_selector(".rg-map .js-plotly-plot[data-drawn='1']")
            # the bundle Plotly runs is the partial one, with exactly these trace types
            registered = page.evaluate("() => Object.keys(Plotly.PlotSchema.get().traces)")
            assert set(registered) == plotly_bundle.TRACES
            for path, draws in paths:
                page.goto(base + path, wait_until="networkidle")
                if draws:
                    page.wait_for_selector(".js-plotly-plot .main-svg")
                    page.wait_for_timeout(300)
                per_graph = page.evaluate(TRACE_TYPES)
                assert bool(per_graph) == draws, (path, per_graph)
                types = {t for graph in per_graph for t in graph}
                assert types <= plotly_bundle.TRACES, (path, types)
                seen |= types
        finally:
            context.close()
    assert seen == plotly_bundle.TRACES  # each trace type of the bundle is drawn somewhere
    assert errors == []
