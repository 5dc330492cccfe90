"""Log-in and privacy in headless Chromium, on the full demo county with log-in on.

The demo's own accounts (made by ``riskgrid demo``) log in through the /login form and browse
overview -> township -> village -> grid -> household. Every response the browser receives is
recorded (``page.on("response")``) and its body scanned for any full head-of-household name or ID
number of the households in the database: none may appear (the township account sees them
masked; the wall's viewer account sees no household at all). Each household list and detail the
browser was served must be in the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
import sqlalchemy as sa

from geodata import Store, schema
from geodata.access import audit_rows
from geodata.accounts import Users
from riskgrid.cli import DEMO_PASSWORD, create_demo_users, demo_accounts
from riskgrid.settings import Settings
from tests import test_dashboard_support as support
from tests.browser_support import chromium, serving

pytestmark = pytest.mark.browser

RESULTS = Path(__file__).resolve().parents[1] / "test-results"
MASKED_ID = re.compile(r"\d{6}\*{8}[\dX]{4}")


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return support.demo_db(tmp_path_factory)


@pytest.fixture(scope="module")
def accounts(demo_db: str) -> dict[str, tuple[str, str | None]]:
    """The demo's accounts (``riskgrid demo`` made them; made here for a prebuilt database)."""
    store = Store(demo_db)
    existing = {r["username"] for r in Users(store).list()}
    if not {name for name, _, _ in demo_accounts(store)} <= existing:
        create_demo_users(store, Settings(db=demo_db))
    out = {name: (role, unit) for name, role, unit in demo_accounts(store)}
    store.dispose()
    return out


@pytest.fixture(scope="module")
def people(demo_db: str) -> tuple[set[str], set[str]]:
    """Every head-of-household name (3 characters or more: two-character names also occur
    inside place names) and every ID number in the database, all months. Left out: names that
    are also a grid worker's (staff, shown by name with the phone masked on a grid's page to the
    accounts that may see households) and names inside a place name (额尔敦 in 额尔敦花嘎查)."""
    store = Store(demo_db)
    h, u, s = schema.households, schema.units, schema.sites
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(h.c.head_name, h.c.id_number).distinct()).all()
        workers = set(conn.execute(sa.select(u.c.grid_worker).distinct()).scalars())
        places = "|".join(
            [
                *conn.execute(sa.select(u.c.name)).scalars(),
                *conn.execute(sa.select(s.c.site_name)).scalars(),
            ]
        )
    store.dispose()
    names = {
        r.head_name
        for r in rows
        if r.head_name and len(r.head_name) >= 3 and r.head_name not in places
    } - workers
    ids = {r.id_number for r in rows if r.id_number}
    assert len(ids) > 50_000
    return names, ids


@pytest.fixture(scope="module")
def server(demo_db: str) -> Iterator[str]:
    from dashboard import create_app

    app = create_app(Settings(db=demo_db))  # log-in on
    with serving(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as b:
        yield b


class Recorder:
    """Every response of a page: URL, status, body, and the request's post data."""

    def __init__(self, page: Any) -> None:
        self.responses: list[tuple[str, int, bytes, str]] = []
        page.on("response", self.record)

    def record(self, response: Any) -> None:
        try:
            body = response.body()
        except Exception:  # redirects have no body
            body = b""
        self.responses.append(
            (response.url, response.status, body, response.request.post_data or "")
        )

    def scan(self, names: set[str], ids: set[str]) -> list[tuple[str, str]]:
        """(url, text) of every full name or ID number found in any response body."""
        found = []
        for url, _, body, _ in self.responses:
            text = body.decode("utf-8", errors="replace")
            found += [(url, i) for i in re.findall(r"\d{17}[\dX]", text) if i in ids]
            for run in re.findall(r"[\u4e00-\u9fff]{3,}", text):
                for size in range(3, min(len(run), 6) + 1):
                    for start in range(len(run) - size + 1):
                        if run[start : start + size] in names:
                            found.append((url, run[start : start + size]))
        return found

    def views(self) -> tuple[int, int]:
        """(household lists, household details) the router served."""
        lists = details = 0
        for url, status, body, post in self.responses:
            if "_dash-update-component" not in url or "_pages_location" not in post:
                continue
            if status == 200 and b"rg-grid-page" in body and b"rg-no-households" not in body:
                lists += 1  # a grid's page with its household list (possibly empty)
            if status == 200 and b"rg-household-page" in body:
                details += 1
        return lists, details

    def bodies(self) -> list[str]:
        return [b.decode("utf-8", errors="replace") for _, _, b, _ in self.responses]


def log_in(page: Any, server: str, username: str) -> None:
    page.goto(server + "/")
    page.wait_for_selector("#rg-login")
    assert urlparse(page.url).path == "/login"
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.click("#rg-login-submit")
    if username == "wall":  # the wall's account lands on the map wall; then the office pages
        page.wait_for_selector("#wall-map .js-plotly-plot[data-drawn='1']")
        assert urlparse(page.url).path == "/wall"
        page.goto(server + "/")
    page.wait_for_selector(".rg-page[data-unit] #map .js-plotly-plot[data-drawn='1']")


def drawn(page: Any, code: str) -> None:
    page.wait_for_selector(f".rg-page[data-unit='{code}'] .js-plotly-plot[data-drawn='1']")


def first_link(page: Any, selector: str, attribute: str) -> str:
    return page.eval_on_selector(selector, f"e => e.dataset.{attribute}")


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(
        viewport={"width": 1440, "height": 1000}, locale="zh-CN", bypass_csp=True
    )
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    yield pg
    context.close()


def test_township_browses_to_a_household_and_never_gets_a_full_name_or_id(
    page: Any, server: str, demo_db: str, accounts: dict, people: tuple[set[str], set[str]]
):
    RESULTS.mkdir(exist_ok=True)
    store = Store(demo_db)
    township = accounts["township"][1]
    before = len(audit_rows(store, username="township"))
    rec = Recorder(page)
    log_in(page, server, "township")
    # the overview of a township account is its township, breadcrumbs cut at it
    drawn(page, township)
    assert page.get_attribute(".rg-page", "data-unit") == township
    county = store.default_unit()
    assert county.name not in page.inner_text("#rg-breadcrumb")
    assert "township" in page.inner_text("#rg-user")
    # -> the township's page -> a village -> a grid -> a household
    page.goto(f"{server}/unit/{township}")
    drawn(page, township)
    village = first_link(page, "#rg-ranking tr[data-code]", "code")
    page.click(f"#rg-ranking tr[data-code='{village}'] a")
    drawn(page, village)
    grid = first_link(page, "#rg-ranking tr[data-code]", "code")
    page.click(f"#rg-ranking tr[data-code='{grid}'] a")
    page.wait_for_selector(f".rg-grid-page[data-unit='{grid}'] .js-plotly-plot[data-drawn='1']")
    page.click("text=全部农户")
    page.wait_for_function("location.search.includes('show=all')")
    page.wait_for_selector("#rg-households tbody tr")
    ids = page.eval_on_selector_all(
        "#rg-households tbody tr td:nth-child(3)", "es => es.map(e => e.textContent)"
    )
    assert ids and all(MASKED_ID.fullmatch(i) for i in ids), ids
    hid = first_link(page, "#rg-households tbody tr", "household")
    page.click(f"#rg-households tr[data-household='{hid}'] a")
    page.wait_for_selector(".rg-household-page")
    assert MASKED_ID.search(page.inner_text(".rg-fields"))
    assert "显示完整信息" not in page.content()
    page.screenshot(path=str(RESULTS / "auth-township-household.png"), full_page=True)
    # a unit of another township, by URL: refused
    other = next(t.code for t in store.children(county.code) if t.code != township)
    response = page.goto(f"{server}/unit/{other}")
    assert response.status == 404 and "未找到" in page.inner_text("body")
    # every response body: masked, never a full name or ID number
    names, all_ids = people
    assert not rec.scan(names, all_ids)
    assert any(MASKED_ID.search(b) for b in rec.bodies())
    # every household list and detail served is in the audit log, once each
    lists, details = rec.views()
    assert lists >= 2 and details >= 1
    rows = audit_rows(store, username="township")[before:]
    actions = [r["action"] for r in rows]
    assert actions.count("view_households") == lists
    assert actions.count("view_household") == details
    assert actions.count("login") == 1 and "denied" in actions
    store.dispose()


def test_wall_viewer_sees_figures_and_maps_but_no_household(
    page: Any, server: str, demo_db: str, accounts: dict, people: tuple[set[str], set[str]]
):
    store = Store(demo_db)
    county = accounts["wall"][1]
    rec = Recorder(page)
    log_in(page, server, "wall")
    drawn(page, county)
    township = first_link(page, "#rg-ranking tr[data-code]", "code")
    page.click(f"#rg-ranking tr[data-code='{township}'] a")
    drawn(page, township)
    village = first_link(page, "#rg-ranking tr[data-code]", "code")
    page.click(f"#rg-ranking tr[data-code='{village}'] a")
    drawn(page, village)
    grid = first_link(page, "#rg-ranking tr[data-code]", "code")
    page.click(f"#rg-ranking tr[data-code='{grid}'] a")
    page.wait_for_selector(f".rg-grid-page[data-unit='{grid}'] .js-plotly-plot[data-drawn='1']")
    assert page.is_visible("#rg-no-households") and not page.query_selector("#rg-households")
    grid_unit = store.unit(grid)
    hid = store.households_frame(store.latest_month(), unit=grid_unit)["household_id"].iloc[0]
    response = page.goto(f"{server}/household/{hid}")
    assert response.status == 403 and "无权查看" in page.inner_text("body")
    page.screenshot(path=str(RESULTS / "auth-wall-refused.png"), full_page=True)
    names, all_ids = people
    assert not rec.scan(names, all_ids)
    assert not any(MASKED_ID.search(b) for b in rec.bodies())
    assert rec.views() == (0, 0)
    store.dispose()


def test_log_out_returns_to_the_log_in_page(page: Any, server: str, accounts: dict):
    log_in(page, server, "village")
    page.click("#rg-logout")
    page.wait_for_selector("#rg-login")
    page.goto(server + "/sites")
    page.wait_for_selector("#rg-login")
    assert "next=" in page.url


def test_every_page_draws_under_the_content_security_policy_and_refuses_framing(
    browser: Any, server: str, demo_db: str, accounts: dict
):
    """The CSP allows only the app's own scripts (Dash's inline ones by hash): the pages must
    still draw, with not one violation reported by Chromium, and no page shows in a frame.
    (The other browser tests bypass the policy: Playwright's wait_for_function evaluates
    strings, which the policy forbids.)"""
    context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(60_000)
    violations: list[str] = []
    page.on(
        "console",
        lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + "
        "e.blockedURI));"
    )
    store = Store(demo_db)
    county = store.default_unit()
    township = store.children(county.code)[0]
    village = store.children(township.code)[0]
    grid = store.children(village.code)[0]
    store.dispose()
    log_in(page, server, "county")
    for code in (county.code, township.code, grid.code):
        path = "grid" if code == grid.code else "unit"
        page.goto(f"{server}/{path}/{code}")
        drawn(page, code)
    page.goto(f"{server}/sites")
    page.wait_for_selector(".js-plotly-plot[data-drawn='1']")
    page.goto(f"{server}/wall")
    page.wait_for_selector(".js-plotly-plot[data-drawn='1']")
    assert violations == []
    # another site framing the dashboard (click-jacking): Chromium refuses to show it
    with page.expect_console_message(
        lambda m: "frame" in m.text and ("X-Frame-Options" in m.text or "frame-ancestors" in m.text)
    ):
        page.set_content(f'<iframe id="f" src="{server}/unit/{county.code}"></iframe>')
    child = page.frames[1]
    assert child.query_selector(".rg-page") is None and child.query_selector("#rg-login") is None
    context.close()
