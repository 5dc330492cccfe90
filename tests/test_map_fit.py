"""Maps fitted to their panel, household dots that show on their grid, the wall account's landing
and the wall's legible unit selector (issue 13, defects 1-3).

Browser tests (``browser`` marker, Debian's Chromium through Playwright, see
``tests/browser_support.py``); screenshots go to ``test-results/``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pandas as pd
import pytest
from PIL import Image

from dashboard import create_app, household_dots
from geodata import Store
from geodata.accounts import Users
from riskgrid.settings import Settings
from tests.browser_support import chromium, serving

RESULTS = Path(__file__).resolve().parents[1] / "test-results"
PASSWORD = "Map-fit-2024!"
DRAWN = ".rg-grid-page .js-plotly-plot[data-drawn='1']"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def red_case(small_demo_db: str) -> dict[str, Any]:
    """A red grid of the latest month with an open red household that has a location."""
    store = Store(small_demo_db)
    month = store.latest_month()
    frame = store.households_frame(month)
    open_red = frame[
        (frame["risk_level"] == "red")
        & ~frame["eliminated"].fillna(False).astype(bool)
        & (frame["category"].fillna("") != "")
        & frame["lon"].notna()
    ]
    for code, rows in open_red.groupby("grid_code", sort=True):
        if store.stats(str(code), month).get("risk_level") == "red":
            row = rows.iloc[0]
            feature = store.map_features("grid", str(code))["features"]
            own = [f for f in feature if f["id"] == str(code)]
            store.dispose()
            return {
                "grid": str(code),
                "month": month,
                "household": str(row["household_id"]),
                "lon": float(row["lon"]),
                "lat": float(row["lat"]),
                "geometry": own[0]["geometry"],
            }
    pytest.fail("the small demo has no red grid with an open red household located")


def opened(browser: Any, width: int = 1440, height: int = 900) -> Any:
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="zh-CN", bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(90_000)
    return context, page


def rings(geometry: dict[str, Any]) -> list[list[list[float]]]:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    return [ring for polygon in polygons for ring in polygon]


def luminance(rgb: tuple[int, ...]) -> float:
    def lin(c: float) -> float:
        c = c / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (lin(v) for v in rgb[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def distance(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    return sum((x - y) ** 2 for x, y in zip(a[:3], b[:3], strict=True)) ** 0.5


def median_colour(pixels: list[tuple[int, ...]]) -> tuple[int, ...]:
    frame = pd.DataFrame([p[:3] for p in pixels])
    return tuple(int(v) for v in frame.median())


@pytest.fixture(scope="module")
def grid_shot(browser: Any, small_demo_db: str, red_case: dict[str, Any]) -> dict[str, Any]:
    """The grid page of ``red_case`` in the browser: its map's screenshot, size, the grid's
    outline and the household's dot in map pixels."""
    app = create_app(Settings(db=small_demo_db, login=False))
    with serving(app) as base:
        context, page = opened(browser)
        try:
            page.goto(f"{base}/grid/{red_case['grid']}?month={red_case['month']}&show=all")
            page.wait_for_selector(DRAWN)
            page.wait_for_timeout(1200)
            gd = ".rg-grid-page #grid-map .js-plotly-plot"
            measured = page.eval_on_selector(
                gd,
                """(gd, args) => {
                    const map = gd._fullLayout.map._subplot.map;
                    const project = ([lon, lat]) => { const p = map.project([lon, lat]);
                                                      return [p.x, p.y]; };
                    return {
                        width: gd.clientWidth, height: gd.clientHeight,
                        outline: args.rings.map(r => r.map(project)),
                        dot: project([args.lon, args.lat]),
                        traces: gd.data.map(t => t.type),
                    };
                }""",
                {
                    "rings": rings(red_case["geometry"]),
                    "lon": red_case["lon"],
                    "lat": red_case["lat"],
                },
            )
            png = page.locator(gd).screenshot()
            RESULTS.mkdir(exist_ok=True)
            page.screenshot(path=str(RESULTS / "map-fit-grid.png"), full_page=True)
            legend = page.eval_on_selector(
                "#grid-household-legend", "e => Object.assign({}, e.dataset)"
            )
        finally:
            context.close()
    measured["image"] = Image.open(io.BytesIO(png)).convert("RGB")
    measured["legend"] = legend
    return measured


@pytest.mark.browser
def test_a_red_household_on_a_red_grid_stands_out(grid_shot: dict[str, Any], red_case):
    image = grid_shot["image"]
    scale = image.width / grid_shot["width"]  # device pixels per CSS pixel
    x, y = grid_shot["dot"]
    assert 0 < x < grid_shot["width"] and 0 < y < grid_shot["height"], grid_shot["dot"]

    def at(dx: float, dy: float) -> tuple[int, ...]:
        return image.getpixel((round((x + dx) * scale), round((y + dy) * scale)))

    import math

    centre = at(0, 0)
    ring = median_colour([at(6.8 * math.cos(a), 6.8 * math.sin(a)) for a in range(0, 360, 30)])
    around = median_colour(
        [
            at(r * math.cos(math.radians(a)), r * math.sin(math.radians(a)))
            for r in (13, 16)
            for a in range(0, 360, 20)
        ]
    )
    ring_contrast = contrast(ring, around)
    print(
        f"dot {centre} ring {ring} fill {around}: ring/fill contrast {ring_contrast:.2f}, "
        f"dot/fill RGB distance {distance(centre, around):.0f}"
    )
    assert ring_contrast >= 3.0, (ring, around)
    assert distance(centre, around) >= 60, (centre, around)
    # red drawn last (on top), every open level with its ring beneath; the legend counts them
    assert grid_shot["traces"][0] == "choroplethmap"
    assert all(t == "scattermap" for t in grid_shot["traces"][1:])
    legend = grid_shot["legend"]
    assert int(legend["red"]) >= 1 and {"red", "yellow", "blue", "none"} <= set(legend)


@pytest.mark.browser
def test_the_grid_fills_at_least_half_of_the_map_panel(grid_shot: dict[str, Any]):
    xs = [p[0] for ring in grid_shot["outline"] for p in ring]
    ys = [p[1] for ring in grid_shot["outline"] for p in ring]
    width, height = grid_shot["width"], grid_shot["height"]
    fill = max((max(xs) - min(xs)) / width, (max(ys) - min(ys)) / height)
    print(
        f"grid bbox {max(xs) - min(xs):.0f}x{max(ys) - min(ys):.0f} px in {width}x{height}: "
        f"fills {fill:.0%}"
    )
    assert fill >= 0.5
    # all of it on the map, with room for its neighbours around it
    assert min(xs) >= 0 and min(ys) >= 0 and max(xs) <= width and max(ys) <= height
    assert fill <= 0.9


def test_household_traces_ring_every_open_dot_and_put_red_on_top():
    frame = pd.DataFrame(
        [
            {
                "household_id": h,
                "head_name": "张三",
                "lon": 122.9,
                "lat": 46.7,
                "category": c,
                "risk_level": lvl,
                "eliminated": False,
            }
            for h, c, lvl in [
                ("R", "监测户", "red"),
                ("B", "监测户", "blue"),
                ("Y", "监测户", "yellow"),
                ("N", "", None),
            ]
        ]
    )
    traces = household_dots.household_traces(frame)
    colours = [t["marker"]["color"] for t in traces]
    assert colours[0] == "#5f6b78"  # no open risk: grey, at the bottom
    assert colours[1::2] == [household_dots.RING_COLOR] * 3
    assert [t["customdata"] for t in traces] == [["N"], ["B"], ["B"], ["Y"], ["Y"], ["R"], ["R"]]
    assert traces[-1]["marker"]["size"] < traces[-2]["marker"]["size"]  # the ring shows
    assert household_dots.household_points(frame)["customdata"] == ["R"]
    assert household_dots.household_counts(frame) == {"red": 1, "yellow": 1, "blue": 1, "none": 1}


@pytest.fixture(scope="module")
def login_db(tmp_path_factory, small_demo_db: str) -> str:
    """The small demo with a wall account and a township account."""
    import shutil

    path = Path(small_demo_db.removeprefix("sqlite:///"))
    copy = tmp_path_factory.mktemp("map-fit-login") / "login.db"
    shutil.copy(path, copy)
    copied = f"sqlite:///{copy}"
    store = Store(copied)
    county = store.default_unit()
    township = store.children(county.code)[0]
    users = Users(store)
    users.add("wall", PASSWORD, "viewer", county.code)
    users.add("town", PASSWORD, "township", township.code)
    store.dispose()
    return copied


def log_in(page: Any, base: str, path: str, username: str) -> None:
    page.goto(base + path)
    page.wait_for_selector("#rg-login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("#rg-login-submit")
    page.wait_for_load_state("load")


@pytest.mark.browser
def test_the_wall_account_lands_on_the_wall_and_its_selector_is_legible(browser, login_db):
    store = Store(login_db)
    township = store.children(store.default_unit().code)[1]
    store.dispose()
    app = create_app(Settings(db=login_db))  # log-in on
    with serving(app) as base:
        # the wall account, from the bare address: the wall
        context, page = opened(browser, 1920, 1080)
        try:
            log_in(page, base, "/", "wall")
            page.wait_for_selector("#wall-map .js-plotly-plot[data-drawn='1']")
            assert urlparse(page.url).path == "/wall"
            page.wait_for_timeout(800)
            style = page.eval_on_selector(
                ".wall-select-box",
                """box => {
                    const text = box.querySelector('.dash-dropdown-value') || box;
                    let el = text, bg = 'rgba(0, 0, 0, 0)';
                    while (el && (bg === 'rgba(0, 0, 0, 0)' || bg === 'transparent')) {
                        bg = getComputedStyle(el).backgroundColor; el = el.parentElement;
                    }
                    const cs = getComputedStyle(text);
                    return {color: cs.color, background: bg, fontSize: parseFloat(cs.fontSize),
                            opacity: parseFloat(getComputedStyle(box).opacity),
                            text: text.innerText};
                }""",
            )
            page.screenshot(path=str(RESULTS / "map-fit-wall-selector.png"))
        finally:
            context.close()
        # a deep link still goes where it pointed
        context, page = opened(browser)
        try:
            log_in(page, base, f"/unit/{township.code}", "wall")
            page.wait_for_selector(f".rg-page[data-unit='{township.code}']")
            assert urlparse(page.url).path == f"/unit/{township.code}"
        finally:
            context.close()
        # another account from the bare address: the office dashboard
        context, page = opened(browser)
        try:
            log_in(page, base, "/", "town")
            page.wait_for_selector(".rg-page[data-unit] #map")
            assert urlparse(page.url).path == "/"
        finally:
            context.close()

    def rgb(css: str) -> tuple[int, ...]:
        return tuple(int(float(v)) for v in css[css.index("(") + 1 : -1].split(",")[:3])

    ratio = contrast(rgb(style["color"]), rgb(style["background"]))
    print(f"selector {style}: contrast {ratio:.1f}")
    assert style["text"].strip()
    assert ratio >= 7, style
    assert style["opacity"] >= 0.8
    assert style["fontSize"] >= 0.75 * 19.2  # sized in --u (19.2 px at 1920x1080)
