"""The dashboard in headless Chromium on the full demo county (973 grids, 80,000 households).

Drives Debian's /usr/bin/chromium through Playwright (never ``playwright install``). The app runs
with werkzeug in a background thread on a free 127.0.0.1 port. Every request the browser makes is
recorded and must stay on 127.0.0.1. Screenshots of every page go to ``test-results/``, timings
to ``test-results/timings.json``.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from geodata import Store
from riskgrid.settings import Settings
from tests import test_dashboard_support as support
from tests.browser_support import chromium, serving
from tests.test_dashboard_support import cli_stats

pytestmark = pytest.mark.browser

RESULTS = Path(__file__).resolve().parents[1] / "test-results"
DRAWN = "#map .js-plotly-plot[data-drawn='1']"
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return support.demo_db(tmp_path_factory)


@pytest.fixture(scope="module")
def server(demo_db: str) -> Iterator[str]:
    from dashboard import create_app

    app = create_app(Settings(db=demo_db, login=False))  # single-user mode; log-in: test_auth*
    with serving(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "timings.json").write_text(json.dumps(TIMINGS, indent=2, ensure_ascii=False))


@pytest.fixture
def page(browser: Any, server: str) -> Iterator[Any]:
    """A fresh page; afterwards every request it made must have gone to 127.0.0.1."""
    RESULTS.mkdir(exist_ok=True)
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, locale="zh-CN", bypass_csp=True
    )
    pg = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    pg.on("request", lambda r: requests.append(r.url))
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.set_default_timeout(60_000)
    yield pg
    context.close()
    assert requests, "no requests recorded"
    foreign = [
        u
        for u in requests
        if urlparse(u).scheme not in ("blob", "data")
        and urlparse(u).hostname not in ("127.0.0.1", "localhost")
    ]
    assert not foreign, foreign
    assert not errors, errors


def href(pg: Any) -> str:
    """The address bar (``page.url`` misses history.pushState)."""
    return pg.evaluate("location.href")


def wait_map(pg: Any, code: str) -> float:
    """Wait until the map of unit ``code`` is drawn; the time it took, in seconds."""
    started = time.perf_counter()
    pg.wait_for_selector(f".rg-page[data-unit='{code}'] {DRAWN}")
    return time.perf_counter() - started


def shown_cards(pg: Any) -> dict[str, str]:
    """data-key -> data-value of the figure cards on the page."""
    return pg.evaluate(
        "Object.fromEntries([...document.querySelectorAll('.rg-card-value[data-key]')]"
        ".map(e => [e.dataset.key, e.dataset.value]))"
    )


def expected_values(s: dict[str, Any]) -> dict[str, str]:
    """The card values ``riskgrid stats --json`` gives (as the cards' data-value strings)."""
    ob, new = s["open_by_level"], s["new_this_month"]
    values = {
        "monitored_households": s["monitored"]["households"],
        "monitored_persons": s["monitored"]["persons"],
        "clearance_rate_persons": s["clearance_rate"]["persons"],
        "clearance_rate_households": s["clearance_rate"]["households"],
        "open_red_households": ob["red"]["households"],
        "open_yellow_households": ob["yellow"]["households"],
        "open_blue_households": ob["blue"]["households"],
        "new_identified_households": new["identified"]["households"],
        "new_eliminated_households": new["eliminated"]["households"],
        "below_monitoring_households": s["below_monitoring_line"]["households"],
        "below_observation_households": s["below_observation_line"]["households"],
        "all_households": s["households"],
        "warned_households": s["warnings"]["households"],
    }
    return {k: str(v) for k, v in values.items()}


def legend_counts(pg: Any) -> list[int]:
    return [
        int(x)
        for x in pg.eval_on_selector_all(
            "#map-legend [data-count]", "es => es.map(e => e.dataset.count)"
        )
    ]


def shot(pg: Any, name: str) -> None:
    pg.wait_for_timeout(400)  # let the label overlay settle after the last move
    pg.screenshot(path=str(RESULTS / f"{name}.png"), full_page=True)


def emit_click(pg: Any, prefix: str) -> str:
    """Click (Plotly's click event) the map shape whose code starts with ``prefix`` and whose
    colour class is highest (the reddest), so the screenshots show open risks."""
    return pg.evaluate(
        """(prefix) => {
            const gd = document.querySelector('#map .js-plotly-plot');
            const t = gd.data[0];
            let i = -1;
            t.locations.forEach((c, j) => {
                if (c.startsWith(prefix) && (i < 0 || t.z[j] > t.z[i])) i = j;
            });
            const code = gd.data[0].locations[i];
            gd.emit('plotly_click', {points: [{location: code, pointNumber: i, curveNumber: 0}]});
            return code;
        }""",
        prefix,
    )


def test_overview_draws_every_grid_with_a_legend_that_adds_up(page: Any, server: str, demo_db: str):
    started = time.perf_counter()
    page.goto(server + "/")
    TIMINGS["overview_dom_content_loaded_s"] = round(time.perf_counter() - started, 2)
    page.wait_for_selector(DRAWN)
    TIMINGS["overview_map_drawn_s"] = round(time.perf_counter() - started, 2)
    TIMINGS["overview_map_drawn_at_ms_after_navigation"] = int(
        page.get_attribute("#map .js-plotly-plot", "data-drawn-at")
    )
    n = page.evaluate("document.querySelector('#map .js-plotly-plot').data[0].locations.length")
    assert n == 973
    assert page.evaluate("document.querySelector('#map .js-plotly-plot').data.length") == 1
    assert (
        page.evaluate("document.querySelector('#map .js-plotly-plot').layout.map.style")
        == "white-bg"
    )
    counts = legend_counts(page)
    assert len(counts) == 4 and sum(counts) == 973
    assert page.inner_text("#map-legend [data-total]") == "973 个网格"
    # township names written on the map, none overlapping (the overlay hides colliding ones)
    labels = page.eval_on_selector_all(
        ".rg-maplabel",
        "es => es.filter(e => e.style.visibility === 'visible').map(e => e.textContent)",
    )
    county = cli_stats(demo_db)
    assert len(labels) == 10
    assert expected_values(county) == {
        k: v for k, v in shown_cards(page).items() if k in expected_values(county)
    }
    assert page.is_visible("text=演示数据 (非真实数据)")
    shot(page, "01-overview")
    # the level shown can be switched: townships
    page.get_by_label("乡镇").check()
    page.wait_for_function(
        "document.querySelector('#map .js-plotly-plot').data[0].locations.length === 10"
    )
    page.wait_for_function(
        "[...document.querySelectorAll('#map-legend [data-count]')].reduce((a, e) => a + +e.dataset.count, 0) === 10"
    )
    shot(page, "02-overview-townships")
    # back to grids, coloured by the share of persons monitored (a sequential scale)
    page.get_by_label("网格").check()
    page.wait_for_function(
        "document.querySelector('#map .js-plotly-plot').data[0].locations.length === 973"
    )
    page.get_by_label("监测人口占比").check()
    page.wait_for_function("document.querySelectorAll('#map-legend [data-count]').length === 6")
    counts = legend_counts(page)
    assert sum(counts) == 973
    zs = page.evaluate("document.querySelector('#map .js-plotly-plot').data[0].z")
    assert [zs.count(i) for i in range(6)] == counts
    shot(page, "03-overview-share")


def test_drill_down_from_county_to_household_and_back(page: Any, server: str, demo_db: str):
    page.goto(server + "/")
    page.wait_for_selector(DRAWN)
    month = cli_stats(demo_db)["month"]
    # a click on a grid of a township on the map opens the township's page
    townships = page.eval_on_selector_all(
        "#rg-ranking tr[data-code]", "es => es.map(e => e.dataset.code)"
    )
    assert len(townships) == 10
    township = townships[3]
    started = time.perf_counter()
    clicked = emit_click(page, township)
    assert clicked.startswith(township) and clicked != township
    page.wait_for_function(f"location.pathname === '/unit/{township}'")
    TIMINGS["township_map_drawn_after_click_s"] = round(
        wait_map(page, township) + time.perf_counter() - started, 2
    )
    assert href(page) == f"{server}/unit/{township}?month={month}"
    assert expected_values(cli_stats(demo_db, township)).items() <= shown_cards(page).items()
    crumbs = page.inner_text("#rg-breadcrumb")
    assert "县" in crumbs and "乡镇" in crumbs
    shot(page, "04-township")
    # Back returns to the county overview, drawn again
    page.go_back()
    wait_map(page, "152223")
    assert href(page) == f"{server}/?month={month}" or href(page) == f"{server}/"
    # the ranking table's link opens the same township page
    page.click(f"#rg-ranking tr[data-code='{township}'] a")
    wait_map(page, township)
    assert href(page) == f"{server}/unit/{township}?month={month}"
    # a village from the township's ranking table
    village = page.eval_on_selector("#rg-ranking tr[data-code]", "e => e.dataset.code")
    page.click(f"#rg-ranking tr[data-code='{village}'] a")
    wait_map(page, village)
    assert expected_values(cli_stats(demo_db, village)).items() <= shown_cards(page).items()
    assert page.inner_text("#rg-breadcrumb").count("›") == 2
    shot(page, "05-village")
    # a grid by a click on the village's map
    grid = emit_click(page, village)
    page.wait_for_function(f"location.pathname === '/grid/{grid}'")
    page.wait_for_selector(f".rg-grid-page[data-unit='{grid}'] .js-plotly-plot[data-drawn='1']")
    assert expected_values(cli_stats(demo_db, grid)).items() <= shown_cards(page).items()
    assert page.inner_text("#rg-breadcrumb").count("›") == 3
    rows = page.query_selector_all("#rg-households tbody tr")
    monitored = cli_stats(demo_db, grid)["monitored"]["households"]
    assert len(rows) == monitored
    if monitored:
        ids = page.eval_on_selector_all(
            "#rg-households tbody tr td:nth-child(3)", "es => es.map(e => e.textContent)"
        )
        assert all(re.fullmatch(r"\d{6}\*{8}[\dX]{4}", i) for i in ids), ids
    shot(page, "06-grid")
    # every household of the grid
    page.click("text=全部农户")
    page.wait_for_function("location.search.includes('show=all')")
    page.wait_for_function(
        f"document.querySelectorAll('#rg-households tbody tr').length === {cli_stats(demo_db, grid)['households']}"
    )
    # a household's page, then Back to the grid
    hid = page.eval_on_selector("#rg-households tbody tr", "e => e.dataset.household")
    page.click(f"#rg-households tr[data-household='{hid}'] a")
    page.wait_for_selector(".rg-household-page")
    assert href(page) == f"{server}/household/{hid}?month={month}"
    assert page.inner_text("#rg-breadcrumb").count("›") == 4
    assert re.search(r"\d{6}\*{8}[\dX]{4}", page.inner_text(".rg-fields"))
    shot(page, "07-household")
    page.go_back()
    page.wait_for_selector(f".rg-grid-page[data-unit='{grid}'] .js-plotly-plot[data-drawn='1']")


def test_month_change_patches_the_map_and_survives_reload_and_back(
    page: Any, server: str, demo_db: str
):
    county = cli_stats(demo_db)
    latest = county["month"]
    township = "152223102"
    page.goto(f"{server}/unit/{township}")
    wait_map(page, township)
    locations = page.evaluate(
        "document.querySelector('#map .js-plotly-plot').data[0].locations.length"
    )
    responses: list[tuple[str, bytes]] = []

    def record(response: Any) -> None:
        if "_dash-update-component" in response.url:
            responses.append((response.request.post_data or "", response.body()))

    page.on("response", record)
    page.click("#unit-month")
    page.get_by_role("option", name="2026年1月").click()
    page.wait_for_function("location.search === '?month=2026-01'")
    stats = cli_stats(demo_db, township, "2026-01")
    page.wait_for_function(
        f"document.querySelector('[data-key=monitored_persons]').dataset.value === '{stats['monitored']['persons']}'"
    )
    assert expected_values(stats).items() <= shown_cards(page).items()
    page.wait_for_function("document.querySelector('#map-legend [data-count]') !== null")
    page.wait_for_timeout(500)
    # the map was patched (z and hover data), its geometry never sent again
    map_calls = [body for post, body in responses if '"map.figure' in post or "map.figure" in post]
    assert map_calls, [p[:80] for p, _ in responses]
    assert all(b"geojson" not in body and len(body) < 200_000 for body in map_calls)
    assert (
        page.evaluate("document.querySelector('#map .js-plotly-plot').data[0].locations.length")
        == locations
    )
    assert sum(legend_counts(page)) == locations
    shot(page, "08-township-2026-01")
    # reload keeps the month
    page.reload()
    wait_map(page, township)
    assert page.inner_text("#unit-month") == "2026年1月"
    assert expected_values(stats).items() <= shown_cards(page).items()
    # Back returns to the latest month
    page.go_back()
    page.wait_for_function(f"location.search === '' || location.search === '?month={latest}'")
    latest_stats = cli_stats(demo_db, township)
    page.wait_for_function(
        f"document.querySelector('[data-key=monitored_persons]').dataset.value === '{latest_stats['monitored']['persons']}'"
    )


def test_deep_link_opens_a_grid_page_directly(page: Any, server: str, demo_db: str):
    store = Store(demo_db)
    village = store.children(store.children(store.default_unit().code)[2].code)[2]
    grid = store.children(village.code)[1].code
    month = store.months()[4]
    started = time.perf_counter()
    page.goto(f"{server}/grid/{grid}?month={month}")
    page.wait_for_selector(f".rg-grid-page[data-unit='{grid}'] .js-plotly-plot[data-drawn='1']")
    TIMINGS["grid_deep_link_drawn_s"] = round(time.perf_counter() - started, 2)
    assert page.inner_text("#grid-month") == f"{month[:4]}年{int(month[5:])}月"
    assert expected_values(cli_stats(demo_db, grid, month)).items() <= shown_cards(page).items()
    shot(page, "09-grid-deep-link")


def test_sites_page_shows_sites_sized_and_flagged(page: Any, server: str, demo_db: str):
    started = time.perf_counter()
    page.goto(f"{server}/sites")
    page.wait_for_selector("#sites-map .js-plotly-plot[data-drawn='1']")
    TIMINGS["sites_map_drawn_s"] = round(time.perf_counter() - started, 2)
    rows = page.query_selector_all("#rg-sites tbody tr")
    county = cli_stats(demo_db)
    assert len(rows) == county["sites"]["count"]
    flagged = page.eval_on_selector_all("#rg-sites tr[data-flagged='1']", "es => es.length")
    assert flagged == page.eval_on_selector_all("#rg-sites .rg-flag", "es => es.length")
    shown = page.inner_text("[data-key=relocated_persons]")
    assert shown == f"{county['sites']['relocated_persons']:,} 人"
    shot(page, "10-sites")


def test_unknown_code_gives_a_chinese_not_found_page(page: Any, server: str):
    response = page.goto(f"{server}/unit/999999999")
    assert response.status == 404
    page.wait_for_selector("#rg-notfound")
    assert "未找到该单位" in page.inner_text("#rg-notfound")
    shot(page, "11-not-found")
    page.goto(f"{server}/no/such/page")
    page.wait_for_selector("#rg-notfound")
    assert "未找到该页面" in page.inner_text("#rg-notfound")
