"""The map wall, ``/wall`` (``dashboard/pages/wall.py``), and the 导出简报 button.

Plain-function tests (no browser) check the wall's layout, tour order, refresh, failure path and
settings, the briefing download and ``riskgrid serve --wall``. Browser tests (``browser`` marker)
run the app with werkzeug in a thread and drive Debian's /usr/bin/chromium through Playwright
(never ``playwright install``) at 1920x1080 and 3840x2160, with short intervals from the app's
settings. Screenshots go to ``test-results/`` (wall-1080.png, wall-2160.png).

Log-in: the apps run with ``login=False`` (single-user on 127.0.0.1), and one test logs in
through the form as the wall's ``viewer`` account.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import dash
import plotly
import pytest
import sqlalchemy as sa
from dash import Patch
from PIL import Image
from typer.testing import CliRunner

from dashboard import create_app
from dashboard.data import STORE_KEY, get_loaders
from dashboard.pages import unit, wall
from etl.households import load_households
from geodata import Store
from reports.headline import WALL
from riskgrid import cli
from riskgrid.settings import Settings
from tests import test_dashboard_support as support
from tests.browser_support import chromium, serving
from tests.factories import county_file, write_csv
from tests.test_dashboard_support import build_tiny, by_id, props, texts, walk

RESULTS = Path(__file__).resolve().parents[1] / "test-results"
DRAWN = "#wall-map .js-plotly-plot[data-drawn='1']"


def headline(s: dict[str, Any]) -> dict[str, str]:
    """The wall's figures as ``Store.stats`` gives them (the cards' data-value strings)."""
    ob, new = s["open_by_level"], s["new_this_month"]
    values = {
        "monitored_households": s["monitored"]["households"],
        "clearance_rate_persons": s["clearance_rate"]["persons"],
        "open_red_households": ob["red"]["households"],
        "open_yellow_households": ob["yellow"]["households"],
        "open_blue_households": ob["blue"]["households"],
        "new_identified_households": new["identified"]["households"],
        "new_eliminated_households": new["eliminated"]["households"],
    }
    return {k: str(v) for k, v in values.items()}


def card_values(component: Any, problems: bool = False) -> dict[str, str]:
    """data-key -> data-value of the figure cards in a component tree: the stored figures
    (``problems``: also the problem list's card, which is not a stored figure)."""
    return {
        props(c)["data-key"]: props(c)["data-value"]
        for c in walk(component)
        if "data-key" in props(c) and (problems or props(c)["data-key"] != "open_problems")
    }


def shown_code(component: Any) -> str:
    return next(props(c)["data-code"] for c in walk(component) if "data-code" in props(c))


def outputs(result: tuple[Any, ...]) -> dict[tuple[str, str], Any]:
    return dict(zip((*wall.DATA_OUTPUTS, *wall.STALE_OUTPUTS), result, strict=True))


# ---------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def small_app(small_demo_db):
    return create_app(Settings(db=small_demo_db, login=False)), Store(small_demo_db)


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("wall-tiny") / "tiny.db"
    build_tiny(path)
    return path


@pytest.fixture
def live_db(tiny_template: Path, tmp_path: Path) -> Path:
    """A copy of the tiny database of this test's own, in a directory of its own (moved away
    to make the database unreachable)."""
    folder = tmp_path / "live"
    folder.mkdir()
    shutil.copy(tiny_template, folder / "tiny.db")
    return folder / "tiny.db"


def request(app: dash.Dash):
    """A new request context: every call reads the store afresh, as a callback would."""
    return app.server.test_request_context("/wall")


def correct_month(db: Path, eliminated_h: int = 18, eliminated_p: int = 52) -> None:
    """A corrected 2024-11 file: more households with their risk eliminated (upserted)."""
    store = Store(support.sqlite_url(db))
    grids = list(store.grid_index()["grid_code"])
    rows = county_file(22, 66, eliminated_h, eliminated_p, grids, others=40)
    load_households(store, write_csv(db.parent.parent / "fix.csv", rows), month="2024-11")
    store.dispose()


# ---------------------------------------------------------------------- plain functions
def test_wall_layout_shows_the_county_figures_from_the_store(small_app):
    app, store = small_app
    with request(app):
        page = wall.wall_layout(None)
    county = store.default_unit()
    stats = store.stats(county.code)
    assert card_values(page) == headline(stats)
    assert set(card_values(page)) == set(WALL)  # the wall's pick of the headline figures
    store.sync_problems()
    summary = store.problem_summary(county, store.latest_month())
    assert card_values(page, problems=True)["open_problems"] == str(summary["open"])
    assert {"monitored_households", "clearance_rate_persons", "open_red_households"} <= set(WALL)
    assert shown_code(by_id(page, "wall-unit")) == county.code
    words = texts(page)
    assert county.name in words and wall.TITLE in words
    assert by_id(page, "wall-demo").hidden is False  # 演示数据 on demo data
    assert by_id(page, "wall-asof").children.startswith("数据截至 ")
    assert by_id(page, "wall-stale").hidden is True
    # the map: one choroplethmap of every grid of the county, on a dark background, no tiles
    fig = by_id(page, "wall-map").figure
    trace = fig["data"][0]
    assert len(fig["data"]) == 1 and trace["type"] == "choroplethmap"
    assert len(trace["locations"]) == 60
    assert trace["geojson"].startswith("/geojson/grid/152223.json?v=")
    assert fig["layout"]["map"]["style"] == "white-bg"
    assert fig["layout"]["map"]["layers"][0]["color"] == wall.BACKGROUND
    legend = [int(props(c)["data-count"]) for c in walk(page) if "data-count" in props(c)]
    assert sum(legend) == 60
    # causes and trend from the stored figures
    causes = {
        props(c)["data-cause"]: int(props(c)["data-value"])
        for c in walk(page)
        if "data-cause" in props(c)
    }
    from reports.causes import top_causes

    top = {b.label: b.households for b in top_causes(stats["by_cause"], wall.TOP_CAUSES)}
    assert causes == top
    months = [
        props(c)["data-month"] for c in walk(by_id(page, "wall-trend")) if "data-month" in props(c)
    ]
    assert months == store.months()
    # the selector: the county, then the townships
    select = by_id(page, wall.SELECT)
    assert [o["value"] for o in select.options] == [
        county.code,
        *[t.code for t in store.children(county.code)],
    ]
    assert select.value == county.code


def test_wall_shows_no_household_name_or_id_number(small_app):
    app, store = small_app
    month = store.latest_month()
    frame = store.households_frame(month, columns=["head_name", "id_number"])
    with request(app):
        pages = [
            wall.wall_layout(None),
            wall.wall_layout(store.children(store.default_unit().code)[0].code),
        ]
    for page in pages:
        text = json.dumps(
            page.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder, ensure_ascii=False
        )
        assert not re.search(r"\d{17}[\dX]", text)  # no ID number, not even masked digits
        names = set(frame["head_name"].dropna())
        assert not [n for n in names if len(n) >= 2 and n in text]


def test_tour_order_is_the_county_then_townships_by_code(small_app):
    app, store = small_app
    county = store.default_unit()
    townships = sorted(t.code for t in store.children(county.code))
    with request(app):
        order = wall.tour_order(get_loaders(), county)
    assert order == [county.code, *townships]
    assert wall.tour_next(order, county.code) == townships[0]
    assert wall.tour_next(order, townships[-1]) == county.code
    assert wall.tour_next(order, "nowhere") == county.code
    # the tour callback walks the playlist: each unit's own map, figures and badge
    with request(app):
        page = wall.wall_layout(None, tour=True)
    ctx = by_id(page, wall.CTX).data
    assert ctx["tour"] is True and ctx["code"] == county.code
    assert by_id(page, wall.TOUR).disabled is False
    assert by_id(page, "wall-tour-badge").children == f"轮播 1 / {len(order)}"
    shown = []
    for _ in range(len(order)):
        with request(app):
            out = outputs(wall.refresh_result(ctx, wall.TOUR))
        ctx = out[(wall.CTX, "data")]
        code = shown_code(out[("wall-unit", "children")])
        shown.append(code)
        fig = out[(wall.MAP, "figure")]
        assert isinstance(fig, dict), "another unit: a new figure with its own grids"
        grids = store.map_features("grid", code)["features"]
        assert len(fig["data"][0]["locations"]) == len(grids)
        assert card_values(out[("wall-cards", "children")]) == headline(store.stats(code))
        assert (
            out[("wall-tour-badge", "children")] == f"轮播 {order.index(code) + 1} / {len(order)}"
        )
        assert out[(wall.SELECT, "value")] == code
        assert out[("wall-stale", "hidden")] is True
    assert shown == [*townships, county.code]


def test_refresh_patches_the_map_colours_and_updates_the_cards(live_db):
    app = create_app(Settings(db=support.sqlite_url(live_db), login=False))
    with request(app):
        page = wall.wall_layout(None)
    ctx = by_id(page, wall.CTX).data
    before = card_values(page)
    # nothing loaded since: nothing is sent again but the time of the data shown
    with request(app):
        out = outputs(wall.refresh_result(ctx, wall.REFRESH))
    assert [k for k in wall.DATA_OUTPUTS if out[k] is not dash.no_update] == [(wall.CTX, "data")]
    assert out[(wall.CTX, "data")]["version"] == ctx["version"]
    correct_month(live_db)
    with request(app):
        out = outputs(wall.refresh_result(ctx, wall.REFRESH))
    store = Store(support.sqlite_url(live_db))
    after = headline(store.stats())
    assert card_values(out[("wall-cards", "children")]) == after
    assert after["clearance_rate_persons"] != before["clearance_rate_persons"]
    # the map: a Patch of colours and hover data, the geometry untouched
    patch = out[(wall.MAP, "figure")]
    assert isinstance(patch, Patch)
    changed = {tuple(op["location"]) for op in patch.to_plotly_json()["operations"]}
    assert changed == {("data", 0, "z"), ("data", 0, "customdata")}
    z = next(
        op["params"]["value"]
        for op in patch.to_plotly_json()["operations"]
        if op["location"] == ["data", 0, "z"]
    )
    assert len(z) == 6
    # the map's size on screen changed: its view is patched too
    with request(app):
        out = outputs(
            wall.refresh_result(out[(wall.CTX, "data")], wall.SIZE, None, {"w": 2400, "h": 1900})
        )
    ops = out[(wall.MAP, "figure")].to_plotly_json()["operations"]
    zoom = next(op["params"]["value"] for op in ops if op["location"] == ["layout", "map", "zoom"])
    assert zoom > by_id(page, wall.MAP).figure["layout"]["map"]["zoom"]
    assert out[(wall.CTX, "data")]["size"] == [2400, 1900]


def test_refresh_keeps_the_last_data_and_warns_when_the_database_is_away(live_db):
    app = create_app(Settings(db=support.sqlite_url(live_db), login=False))
    with request(app):
        page = wall.wall_layout(None)
    ctx = by_id(page, wall.CTX).data
    assert re.fullmatch(r"\d\d:\d\d", ctx["ok_at"])
    away = live_db.parent.with_name("away")
    live_db.parent.rename(away)
    store = app.server.config[STORE_KEY]
    store.engine.dispose()  # close pooled connections, as a database restart does
    try:
        with pytest.raises(sa.exc.OperationalError):
            store.data_version()
        for trigger in (wall.REFRESH, wall.TOUR):
            with request(app):
                result = wall.refresh_result(ctx, trigger)
            out = outputs(result)
            assert all(out[key] is dash.no_update for key in wall.DATA_OUTPUTS)
            assert out[("wall-stale", "hidden")] is False
            assert out[("wall-stale", "children")] == (
                f"⚠ 数据连接中断，显示的是 {ctx['ok_at']} 的数据"
            )
    finally:
        away.rename(live_db.parent)
    with request(app):
        out = outputs(wall.refresh_result(ctx, wall.REFRESH))
    assert out[("wall-stale", "hidden")] is True and out[("wall-stale", "children")] == ""
    assert out[(wall.CTX, "data")]["version"] == ctx["version"]  # the figures shown are current
    # and after a tour step (another unit), figures again
    with request(app):
        out = outputs(wall.refresh_result(ctx, wall.TOUR))
    assert card_values(out[("wall-cards", "children")]) == headline(
        Store(support.sqlite_url(live_db)).stats("152223101")
    )


def test_wall_intervals_come_from_the_app_settings(live_db):
    app = create_app(
        Settings(
            db=support.sqlite_url(live_db),
            login=False,
            wall_refresh_seconds=1,
            wall_tour_seconds=2,
            wall_reload_hours=0.5,
        )
    )
    with request(app):
        page = wall.layout(tour="1")
        still = wall.layout()
    assert by_id(page, wall.REFRESH).interval == 1000
    assert by_id(page, wall.TOUR).interval == 2000 and by_id(page, wall.TOUR).disabled is False
    assert by_id(page, wall.RELOAD).interval == 1_800_000
    assert by_id(page, wall.CLOCK).interval == 1000
    assert props(page)["data-tour"] == "1"
    assert by_id(still, wall.TOUR).disabled is True and props(still)["data-tour"] == "0"
    defaults = wall.wall_config(Settings())
    assert defaults == {"refresh_ms": 300_000, "tour_ms": 20_000, "reload_ms": 6 * 3600 * 1000}


def test_wall_without_data_says_so_and_a_unit_parameter_picks_the_unit(tmp_path, small_app):
    empty = tmp_path / "empty.db"
    Store(support.sqlite_url(empty)).migrate()  # a database with nothing loaded yet
    app = create_app(Settings(db=support.sqlite_url(empty), login=False))
    with request(app):
        page = wall.wall_layout(None)
    assert any("尚未加载数据" in t for t in texts(page))
    with request(app):  # nothing loaded is not an outage: no warning
        out = outputs(wall.refresh_result(by_id(page, wall.CTX).data, wall.REFRESH))
    assert out[("wall-stale", "hidden")] is True
    assert all(out[key] is dash.no_update for key in wall.DATA_OUTPUTS)
    app, store = small_app
    township = store.children(store.default_unit().code)[1]
    with request(app):
        page = wall.layout(unit=township.code)
        unknown = wall.layout(unit="999")
        grid = store.children(store.children(township.code)[0].code)[0]
        of_grid = wall.layout(unit=grid.code)
    assert shown_code(by_id(page, "wall-unit")) == township.code
    assert card_values(page) == headline(store.stats(township.code))
    assert shown_code(by_id(unknown, "wall-unit")) == store.default_unit().code
    assert shown_code(by_id(of_grid, "wall-unit")) == grid.village_code


def test_briefing_button_downloads_the_units_briefing(small_app):
    app, store = small_app
    township = store.children(store.default_unit().code)[0]
    month = store.months()[1]
    with request(app):
        page = unit.unit_layout(township.code, month)
        assert by_id(page, "brief-png").children == "导出简报"
        png = unit.briefing_download(township.code, month, "png")
        pdf = unit.briefing_download(township.code, month, "pdf")
    assert png["filename"] == f"{township.code}_{township.name}_{month}.png"
    assert png["type"] == "image/png" and png["base64"] is True
    image = Image.open(io.BytesIO(base64.b64decode(png["content"])))
    assert image.format == "PNG" and image.size == (1920, 1080)
    assert pdf["filename"].endswith(f"_{month}.pdf")
    assert base64.b64decode(pdf["content"]).startswith(b"%PDF")


def test_serve_wall_prints_the_wall_address(tiny_template, monkeypatch):
    ran: dict[str, Any] = {}
    opened: list[str] = []
    monkeypatch.setattr(
        cli, "run_server", lambda dash_app, settings: ran.update(port=settings.port)
    )
    monkeypatch.setattr(cli, "open_wall", lambda url: opened.append(url) or False)
    result = CliRunner().invoke(
        cli.app,
        ["serve", "--wall", "--port", "8765", "--db", support.sqlite_url(tiny_template)],
    )
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8765/wall" in result.output
    assert opened == ["http://127.0.0.1:8765/wall"]
    assert ran["port"] == 8765
    assert cli.wall_url(Settings(host="0.0.0.0", port=80)) == "http://127.0.0.1:80/wall"
    monkeypatch.undo()
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if sys.platform not in ("win32", "darwin"):  # no desktop: nothing is opened
        assert cli.open_wall("http://127.0.0.1:1/wall", delay=0) is False


# ---------------------------------------------------------------------- in the browser
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@contextmanager
def opened(browser: Any, width: int = 1920, height: int = 1080) -> Iterator[Any]:
    """A page at the given viewport; afterwards every request it made stayed on 127.0.0.1
    and no script failed."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=True
    )
    page = context.new_page()
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_default_timeout(90_000)
    try:
        yield page
    finally:
        context.close()
    foreign = [
        u
        for u in requests
        if urlparse(u).scheme not in ("blob", "data")
        and urlparse(u).hostname not in ("127.0.0.1", "localhost")
    ]
    assert not foreign, foreign
    assert not errors, errors


def shown_values(page: Any, problems: bool = False) -> dict[str, str]:
    """The cards' figures on screen: the stored figures (``problems``: and the problem
    list's card)."""
    shown = page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('#wall-cards [data-key]')]"
        ".map(e => [e.dataset.key, e.dataset.value]))"
    )
    if not problems:
        shown.pop("open_problems", None)
    return shown


def on_screen(page: Any) -> str:
    return page.get_attribute("#wall-unit [data-code]", "data-code")


def wait_fitted(page: Any) -> None:
    """The map drawn, fitted to its size on screen, and the labels placed."""
    page.wait_for_selector(DRAWN)
    page.wait_for_function(
        """() => {
            const box = document.getElementById('wall-map-box').getBoundingClientRect();
            const gd = document.querySelector('#wall-map .js-plotly-plot');
            return gd && gd.dataset.drawn === '1' && Math.abs(gd.clientWidth - box.width) < 3
                && Math.abs(gd.clientHeight - box.height) < 3;
        }"""
    )
    page.wait_for_timeout(1500)


@pytest.mark.browser
@pytest.mark.parametrize(
    "width,height,name", [(1920, 1080, "wall-1080"), (3840, 2160, "wall-2160")]
)
def test_wall_fills_the_screen_with_the_map_and_the_county_figures(
    browser, width, height, name, tmp_path_factory
):
    db = support.demo_db(tmp_path_factory)
    app = create_app(Settings(db=db, login=False))
    county = support.cli_stats(db)
    with serving(app) as base, opened(browser, width, height) as page:
        page.goto(base + "/wall")
        wait_fitted(page)
        size = page.evaluate(
            "[document.documentElement.scrollWidth, innerWidth,"
            " document.documentElement.scrollHeight, innerHeight]"
        )
        assert size[0] <= size[1] and size[2] <= size[3], size  # no scroll bars
        assert (
            page.evaluate(
                "document.querySelector('#wall-map .js-plotly-plot').data[0].locations.length"
            )
            == 973
        )
        assert shown_values(page) == headline(county)
        store = Store(db)
        summary = store.problem_summary(store.unit(county["unit"]["code"]), store.latest_month())
        assert shown_values(page, problems=True)["open_problems"] == str(summary["open"])
        assert on_screen(page) == county["unit"]["code"]
        assert page.is_visible("#wall-demo") and page.inner_text("#wall-demo") == "演示数据"
        assert page.inner_text("#wall-asof").startswith("数据截至 ")
        assert re.fullmatch(r"\d\d:\d\d:\d\d", page.inner_text("#wall-clock-time"))
        labels = page.eval_on_selector_all(
            "#wall-map .rg-maplabel",
            "es => es.filter(e => e.style.visibility === 'visible').length",
        )
        assert labels == 10  # every township named
        # the map takes most of the screen, and nothing sticks out of the screen
        box = page.eval_on_selector("#wall-map-box", "e => e.getBoundingClientRect().toJSON()")
        assert box["width"] * box["height"] > 0.45 * width * height
        outside = page.evaluate(
            """() => [...document.querySelectorAll('#rg-wall *')].filter(e => {
                const r = e.getBoundingClientRect();
                return r.width > 0 && (r.right > innerWidth + 1 || r.bottom > innerHeight + 1);
            }).map(e => e.className || e.tagName).slice(0, 5)"""
        )
        assert not outside, outside
        # 4K: the same page, everything twice as large
        font = page.eval_on_selector(".wall-num", "e => parseFloat(getComputedStyle(e).fontSize)")
        assert font >= 0.024 * width
        # the clock ticks in the browser
        first = page.inner_text("#wall-clock-time")
        page.wait_for_function(
            f"document.querySelector('#wall-clock-time').textContent !== '{first}'"
        )
        RESULTS.mkdir(exist_ok=True)
        page.screenshot(path=str(RESULTS / f"{name}.png"))


@pytest.mark.browser
def test_wall_tour_moves_through_the_townships(browser, small_demo_db):
    store = Store(small_demo_db)
    county = store.default_unit()
    townships = [t.code for t in store.children(county.code)]
    app = create_app(Settings(db=small_demo_db, login=False, wall_tour_seconds=3))
    with serving(app) as base, opened(browser) as page:
        page.goto(base + "/wall?tour=1")
        page.wait_for_selector("#wall-unit [data-code]")
        # record every unit shown, as it changes
        page.evaluate(
            """() => {
                window.__wallMarker = 'kept';
                window.__tourSeen = [];
                const look = () => {
                    const el = document.querySelector('#wall-unit [data-code]');
                    const code = el && el.dataset.code;
                    const seen = window.__tourSeen;
                    if (code && seen[seen.length - 1] !== code) seen.push(code);
                };
                look();
                window.setInterval(look, 50);
            }"""
        )
        page.wait_for_function("window.__tourSeen.length >= 3", timeout=60_000)
        seen = page.evaluate("window.__tourSeen")
        assert seen[:3] == [county.code, townships[0], townships[1]]
        assert page.evaluate("window.__wallMarker") == "kept"  # no page reload
        assert "unit=" not in page.evaluate("location.search")
        # the next township's own map and figures are on screen while it is shown
        page.wait_for_function(
            f"document.querySelector('#wall-unit [data-code]').dataset.code === '{townships[2]}'"
        )
        page.wait_for_function(
            f"document.querySelector('#wall-map .js-plotly-plot').data[0].locations.length === "
            f"{len(store.map_features('grid', townships[2])['features'])}"
        )
        assert shown_values(page) == headline(store.stats(townships[2]))
        assert page.inner_text("#wall-tour-badge") == f"轮播 4 / {len(townships) + 1}"


@pytest.mark.browser
def test_wall_selector_picks_a_township(browser, small_demo_db):
    store = Store(small_demo_db)
    township = store.children(store.default_unit().code)[2]
    app = create_app(Settings(db=small_demo_db, login=False))
    with serving(app) as base, opened(browser) as page:
        page.goto(base + "/wall")
        page.wait_for_selector(DRAWN)
        page.evaluate("window.__wallMarker = 'kept'")
        page.click("#wall-select")
        page.get_by_role("option", name=township.name).click()
        page.wait_for_function(
            f"document.querySelector('#wall-unit [data-code]').dataset.code === '{township.code}'"
        )
        page.wait_for_function(
            f"document.querySelector('[data-key=monitored_households]').dataset.value === "
            f"'{store.stats(township.code)['monitored']['households']}'"
        )
        assert page.evaluate("location.search") == f"?unit={township.code}"
        assert page.evaluate("window.__wallMarker") == "kept"
        page.reload()
        page.wait_for_selector(DRAWN)
        assert on_screen(page) == township.code
        # a smaller window (e.g. leaving full screen): the map's view is fitted again
        wait_fitted(page)
        zoom = page.evaluate("document.querySelector('#wall-map .js-plotly-plot').layout.map.zoom")
        page.set_viewport_size({"width": 1280, "height": 720})
        page.wait_for_function(
            f"document.querySelector('#wall-map .js-plotly-plot').layout.map.zoom < {zoom} - 0.3"
        )
        size = page.evaluate(
            "[document.documentElement.scrollWidth, innerWidth,"
            " document.documentElement.scrollHeight, innerHeight]"
        )
        assert size[0] <= size[1] and size[2] <= size[3], size


@pytest.mark.browser
def test_briefing_button_on_a_unit_page_downloads_the_png(browser, small_demo_db):
    store = Store(small_demo_db)
    township = store.children(store.default_unit().code)[0]
    month = store.months()[0]
    app = create_app(Settings(db=small_demo_db, login=False))
    with serving(app) as base, opened(browser, 1440, 1000) as page:
        page.goto(f"{base}/unit/{township.code}?month={month}")
        page.wait_for_selector("#map .js-plotly-plot[data-drawn='1']")
        with page.expect_download(timeout=90_000) as info:
            page.click("#brief-png")
        download = info.value
        assert download.suggested_filename == f"{township.code}_{township.name}_{month}.png"
        image = Image.open(download.path())
        assert image.size == (1920, 1080)
        page.wait_for_selector("#brief-png:not([disabled])")


@pytest.mark.browser
def test_wall_shows_a_changed_figure_after_the_refresh_interval_without_reload(browser, live_db):
    app = create_app(Settings(db=support.sqlite_url(live_db), login=False, wall_refresh_seconds=1))
    with serving(app) as base, opened(browser) as page:
        answers: list[bytes] = []
        page.on(
            "response",
            lambda r: (
                answers.append(r.body())
                if "_dash-update-component" in r.url and r.status == 200
                else None
            ),
        )
        page.goto(base + "/wall")
        wait_fitted(page)
        before = shown_values(page)
        page.evaluate("window.__wallMarker = 'kept'")
        correct_month(live_db)
        after = headline(Store(support.sqlite_url(live_db)).stats())
        assert after != before
        page.wait_for_function(
            "document.querySelector('[data-key=clearance_rate_persons]').dataset.value === "
            f"'{after['clearance_rate_persons']}'"
        )
        assert shown_values(page) == after
        assert page.evaluate("window.__wallMarker") == "kept"  # updated in place, no reload
        assert page.is_hidden("#wall-stale") and page.is_hidden("#wall-offline")
        # refreshes patch the map's colours; its geometry (a URL) is never sent again
        bodies = [json.loads(a)["response"] for a in answers if a]
        refreshes = [b for b in bodies if "wall-cards" in b]
        assert refreshes and all("geojson" not in json.dumps(b["wall-map"]) for b in refreshes)
        assert (
            page.evaluate(
                "document.querySelector('#wall-map .js-plotly-plot').data[0].locations.length"
            )
            == 6
        )


@pytest.mark.browser
def test_wall_warns_when_the_database_is_away_and_recovers(browser, live_db):
    app = create_app(Settings(db=support.sqlite_url(live_db), login=False, wall_refresh_seconds=1))
    store = app.server.config[STORE_KEY]
    away = live_db.parent.with_name("away")
    with serving(app) as base, opened(browser) as page:
        page.goto(base + "/wall")
        wait_fitted(page)
        before = shown_values(page)
        page.evaluate("window.__wallMarker = 'kept'")
        live_db.parent.rename(away)
        try:
            store.engine.dispose()  # pooled connections closed, as a database restart does
            with pytest.raises(sa.exc.OperationalError):
                store.data_version()
            page.wait_for_selector("#wall-stale:not([hidden])")
            warning = page.inner_text("#wall-stale")
            assert re.fullmatch(r"⚠ 数据连接中断，显示的是 \d\d:\d\d 的数据", warning)
            page.wait_for_timeout(2500)  # more failed refreshes: the last good figures stay
            assert shown_values(page) == before
            assert page.is_visible(DRAWN)
            assert page.is_hidden("#wall-offline")  # the server answers: one warning only
            RESULTS.mkdir(exist_ok=True)
            page.screenshot(path=str(RESULTS / "wall-stale.png"))
        finally:
            away.rename(live_db.parent)
        page.wait_for_selector("#wall-stale", state="hidden")
        assert shown_values(page) == before
        assert page.evaluate("window.__wallMarker") == "kept"


@pytest.mark.browser
def test_wall_warns_when_the_server_does_not_answer_and_recovers(browser, live_db):
    from werkzeug.serving import make_server

    app = create_app(Settings(db=support.sqlite_url(live_db), login=False, wall_refresh_seconds=1))
    srv = make_server("127.0.0.1", 0, app.server, threaded=True)
    port = srv.server_port
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    with opened(browser) as page:
        page.goto(f"http://127.0.0.1:{port}/wall")
        wait_fitted(page)
        before = shown_values(page)
        page.evaluate("window.__wallMarker = 'kept'")
        srv.shutdown()
        srv.server_close()
        page.wait_for_selector("#wall-offline:not([hidden])", timeout=30_000)
        warning = page.inner_text("#wall-offline")
        assert re.fullmatch(r"⚠ 数据连接中断，显示的是 \d\d:\d\d 的数据", warning)
        assert page.is_hidden("#wall-stale") and shown_values(page) == before
        srv = make_server("127.0.0.1", port, app.server, threaded=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        try:
            page.wait_for_selector("#wall-offline", state="hidden", timeout=30_000)
            assert shown_values(page) == before
            assert page.evaluate("window.__wallMarker") == "kept"
        finally:
            srv.shutdown()
            srv.server_close()


@pytest.mark.browser
def test_wall_reloads_itself_after_the_reload_interval(browser, live_db):
    app = create_app(
        Settings(db=support.sqlite_url(live_db), login=False, wall_reload_hours=6 / 3600)
    )
    with serving(app) as base, opened(browser) as page:
        loads: list[str] = []
        page.on("load", lambda p: loads.append(p.url))
        page.goto(base + "/wall")
        page.wait_for_selector(DRAWN)
        for _ in range(60):  # reloaded by the page itself after 6 s
            if len(loads) >= 2:
                break
            page.wait_for_timeout(500)
        assert len(loads) >= 2 and all(urlparse(u).path == "/wall" for u in loads)
        page.wait_for_selector(DRAWN)


@pytest.mark.browser
def test_wall_account_logs_in_and_sees_the_wall(browser, live_db):
    from geodata.accounts import Users

    store = Store(support.sqlite_url(live_db))
    Users(store).add("wall", "wall-password-1", "viewer", store.default_unit().code)
    stats = store.stats()
    app = create_app(Settings(db=support.sqlite_url(live_db), login=True))
    with serving(app) as base, opened(browser) as page:
        # (the browser's favicon request would fetch the log-in page again, and with it a new
        # one-time form token, before the form is sent)
        page.route("**/favicon.ico", lambda route: route.abort())
        page.goto(base + "/wall?tour=1")
        page.wait_for_selector("#password")  # the log-in page, for the wall's address
        page.fill("#username", "wall")
        page.fill("#password", "wall-password-1")
        page.click("#rg-login-submit")
        page.wait_for_selector(DRAWN)
        assert page.evaluate("location.pathname") == "/wall"
        assert shown_values(page) == headline(stats)
        assert not page.is_visible(".rg-topbar")  # the wall is the whole screen
