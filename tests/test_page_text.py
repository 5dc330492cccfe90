"""No English text in any page body: every message a county office user sees is Chinese.

Users are county, township and village staff; English belongs in ``--help`` and the logs only.
Headless Chromium (Debian's /usr/bin/chromium through Playwright, never ``playwright install``)
opens every kind of page -- the overview, the county, township and village pages, a grid, a
household, the problem list, the sites, the wall, the log-in page after a failed log-in, and an
address that names nothing -- as an admin and as the wall's viewer account. Once a page has
settled, its map is hovered once (Plotly's hover label), a chart is zoomed by a drag (Plotly's
"double-click to zoom back out" tip) and each dropdown is opened; each time the test gathers what
a user can see or hear: ``document.body.innerText``, the text of the SVG drawings (hover labels,
axes), every ``title``, ``aria-label``, ``placeholder`` and ``alt`` attribute in the body
(tooltips, screen readers), text written by CSS (``::before``/``::after``), and
``document.title``. Dash's own "Loading..." (the layout held back) and "Error loading layout"
(the layout refused) are checked the same way. A run of two or more Latin letters fails the
test, unless it is in the short allow-list below.

The data: the small demo county (3 townships, 60 grids, 3 months) copied for this module, with
accounts of its own named in Chinese (a user name is data typed by the office, not UI text).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from dashboard import create_app
from geodata import Store
from geodata.accounts import Users
from riskgrid.settings import Settings
from tests.browser_support import chromium, serving
from tests.test_auth import PASSWORD
from tests.test_dashboard_support import small_demo_db

pytestmark = pytest.mark.browser

ADMIN, VIEWER = "管理员", "大屏"  # an admin and the wall's viewer account

# Latin words a Chinese user is expected to read: keep this short, one reason each.
ALLOWED = {
    "Excel",  # the spreadsheet the offices work in, named on the download buttons (下载 Excel)
    "PDF",  # the briefing's file format, named on its download button (导出简报 PDF)
    "PNG",  # the briefing picture's file format, in the button's tooltip
}
WORD = re.compile(r"[A-Za-z]{2,}")

DRAWN = ".js-plotly-plot[data-drawn='1']"

# Everything a user can read on the page, with where it was found.
COLLECT = """() => {
    const where = (e) => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "")
        + (typeof e.className === "string" && e.className.trim()
           ? "." + e.className.trim().split(/\\s+/).join(".") : "");
    const out = [["innerText", document.body.innerText], ["document.title", document.title]];
    for (const t of document.body.querySelectorAll("svg text")) {
        const box = t.getBoundingClientRect();
        if (box.width > 0 && box.height > 0) out.push(["svg text", t.textContent]);
    }
    for (const name of ["title", "aria-label", "placeholder", "alt"]) {
        for (const e of document.body.querySelectorAll("[" + name + "]")) {
            out.push([name + " of " + where(e), e.getAttribute(name)]);
        }
    }
    // text put on the page by CSS (content: "..."), which innerText leaves out
    for (const e of document.body.querySelectorAll("*")) {
        for (const pseudo of ["::before", "::after"]) {
            const content = getComputedStyle(e, pseudo).content;
            if (content && content.startsWith('"')) out.push([pseudo + " of " + where(e), content]);
        }
    }
    return out;
}"""


@dataclass
class World:
    base: str
    county: str
    township: str
    village: str
    grid: str
    household: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    source = small_demo_db(tmp_path_factory)
    base = tmp_path_factory.mktemp("page-text")
    shutil.copy(source.removeprefix("sqlite:///"), base / "text.db")  # accounts of our own
    url = f"sqlite:///{base / 'text.db'}"
    store = Store(url)
    month = store.latest_month()
    county = store.default_unit()
    township = store.children(county.code)[0]
    frame = store.households_frame(month, unit=township)
    row = frame[frame["grid_code"].notna()].iloc[0]
    grid = store.unit(row["grid_code"])
    accounts = Users(store)
    accounts.add(ADMIN, PASSWORD, "admin", None)
    accounts.add(VIEWER, PASSWORD, "viewer", county.code)
    store.dispose()
    app = create_app(Settings(db=url))  # log-in on
    with serving(app) as server:
        yield World(
            server,
            county.code,
            township.code,
            grid.village_code,
            grid.code,
            row["household_id"],
        )


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


def new_page(browser: Any) -> Any:
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, locale="zh-CN", bypass_csp=True
    )
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    return pg


def log_in(pg: Any, base: str, username: str, password: str = PASSWORD) -> None:
    pg.goto(base + "/login")
    pg.wait_for_selector("#rg-login")
    pg.fill("#username", username)
    pg.fill("#password", password)
    pg.click("#rg-login-submit")
    pg.wait_for_load_state()


def settle(pg: Any, selector: str) -> None:
    """Wait for ``selector`` and for Dash to finish its callbacks."""
    pg.wait_for_selector(selector, state="attached")
    pg.wait_for_function(
        "!document.querySelector('[data-dash-is-loading=\"true\"]')"
        " && !document.querySelector('._dash-loading')"
    )


def hover_map(pg: Any) -> None:
    """Hover the first map shown, once: Plotly draws its hover label."""
    for plot in pg.query_selector_all(DRAWN):
        if plot.is_visible():
            box = plot.bounding_box()
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            pg.mouse.move(x, y)
            pg.mouse.move(x + 7, y + 5, steps=3)
            pg.wait_for_timeout(700)  # the hover label is drawn on the next frames
            return


def zoom_a_chart(pg: Any) -> None:
    """Drag across the first chart with axes: Plotly zooms and tells how to zoom back out."""
    drag = pg.query_selector(".js-plotly-plot .nsewdrag")
    if drag is None or not drag.is_visible():
        return
    drag.scroll_into_view_if_needed()
    box = drag.bounding_box()
    y = box["y"] + box["height"] / 2
    pg.mouse.move(box["x"] + box["width"] * 0.2, y)
    pg.mouse.down()
    pg.mouse.move(box["x"] + box["width"] * 0.6, y + box["height"] * 0.2, steps=8)
    pg.mouse.up()
    pg.wait_for_timeout(500)


def english(pg: Any, where: str, seen: set[tuple[str, str]] | None = None) -> list[str]:
    """``where (source): words in 'text around them'`` for every text gathered on ``pg`` that
    has a Latin word left; one line per (source, text) not yet in ``seen``."""
    seen = set() if seen is None else seen
    found = []
    for source, text in pg.evaluate(COLLECT):
        text = re.sub(r"\s+", " ", text or "").strip()
        words = [m for m in WORD.finditer(text) if m.group() not in ALLOWED]
        if words:
            start, end = max(words[0].start() - 30, 0), min(words[-1].end() + 30, len(text))
            shown = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
            if len(shown) > 200:
                shown = shown[:200] + "…"
            if (source, shown) in seen:
                continue
            seen.add((source, shown))
            names = ", ".join(sorted({m.group() for m in words}))
            found.append(f"{where} ({source}): {names} in {shown!r}")
    return found


def pages(w: World) -> list[tuple[str, str, str]]:
    """(name, address, the selector that shows it has settled) of every page kind."""
    page_drawn = DRAWN
    return [
        ("overview", "/", f".rg-page[data-unit] {page_drawn}"),
        ("county", f"/unit/{w.county}", f".rg-page[data-unit='{w.county}'] {page_drawn}"),
        ("township", f"/unit/{w.township}", f".rg-page[data-unit='{w.township}'] {page_drawn}"),
        ("village", f"/unit/{w.village}", f".rg-page[data-unit='{w.village}'] {page_drawn}"),
        ("grid", f"/grid/{w.grid}", f".rg-grid-page[data-unit='{w.grid}'] {page_drawn}"),
        ("household", f"/household/{w.household}", ".rg-household-page, #rg-denied, #rg-notfound"),
        (
            "problems",
            f"/problems/{w.township}",
            "#problems-count, #problems-empty, #rg-no-households, #rg-denied, #rg-notfound",
        ),
        ("sites", "/sites", f"#sites-map {page_drawn}"),
        ("wall", "/wall", f"#wall-map {page_drawn}"),
        ("not found", "/no/such/page", "#rg-notfound"),
        ("unknown unit", "/unit/999999999", "#rg-notfound"),
    ]


def test_login_page_after_a_failed_log_in_has_no_english(browser: Any, world: World):
    pg = new_page(browser)
    log_in(pg, world.base, ADMIN, "wrong-password-1")
    pg.wait_for_selector("#rg-login-error")
    found = english(pg, "log-in, failed")
    pg.goto(world.base + "/unit/" + world.county)  # without a session: the log-in page
    pg.wait_for_selector("#rg-login")
    found += english(pg, "log-in, redirected")
    pg.context.close()
    assert not found, "English text on the log-in page:\n" + "\n".join(found)


@pytest.mark.parametrize("username", [ADMIN, VIEWER], ids=["admin", "viewer"])
def test_no_english_text_in_any_page_body(browser: Any, world: World, username: str):
    pg = new_page(browser)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    log_in(pg, world.base, username)
    pg.wait_for_selector(DRAWN)  # the first page after log-in (the wall's, for the viewer)
    found: list[str] = []
    for name, address, selector in pages(world):
        where, seen = f"{username} {name} {address}", set()
        pg.goto(world.base + address)
        settle(pg, selector)
        hover_map(pg)
        found += english(pg, where, seen)
        zoom_a_chart(pg)
        found += english(pg, where + ", a chart zoomed", seen)
        for i in range(pg.locator("button.dash-dropdown").count()):  # its options opened
            pg.keyboard.press("Escape")
            pg.locator("button.dash-dropdown").nth(i).click()
            pg.wait_for_selector("[role=listbox], [role=option]", state="attached")
            found += english(pg, where + f", dropdown {i + 1} open", seen)
            pg.keyboard.press("Escape")
    pg.context.close()
    assert not found, "English text shown to the user:\n" + "\n".join(found)
    assert not errors, errors


def test_dash_s_own_loading_and_error_texts_have_no_english(browser: Any, world: World):
    """What Dash shows before a page's layout has arrived, and when it cannot be fetched."""
    pg = new_page(browser)
    log_in(pg, world.base, ADMIN)
    pg.wait_for_selector(DRAWN)
    held: list[Any] = []
    pg.route("**/_dash-layout", lambda route: held.append(route))  # answered below
    pg.goto(world.base + "/sites", wait_until="domcontentloaded")
    pg.wait_for_selector("._dash-loading", state="attached")
    found = english(pg, "before the layout has arrived (/sites)")
    for route in held:
        route.continue_()
    pg.unroute("**/_dash-layout")
    settle(pg, f"#sites-map {DRAWN}")
    pg.route("**/_dash-layout", lambda route: route.fulfill(status=500, body="{}"))
    pg.goto(world.base + "/sites", wait_until="domcontentloaded")
    pg.wait_for_selector("._dash-error", state="attached")
    found += english(pg, "the layout failed (/sites)")
    pg.context.close()
    assert not found, "English text shown to the user:\n" + "\n".join(found)
