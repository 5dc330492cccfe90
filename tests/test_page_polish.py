"""Issue 13, defect 8: tab titles naming the unit, a ranking column that tells townships apart,
404 for page addresses that name nothing, and the grid worker's phone in full for the roles that
call grid workers.

The data: the small demo county (3 townships, 60 grids, 3 months) copied for this module, with a
county, a township, a village and a viewer account; the township account's neighbouring township
is outside its area.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa

from dashboard import create_app, tables
from geodata import Store, Unit, schema
from geodata.access import Principal, ScopedStore
from geodata.accounts import Users
from geodata.model import mask_phone
from riskgrid.settings import Settings
from tests.test_auth import PASSWORD, login, render
from tests.test_dashboard_support import props, small_demo_db, texts, walk

SITE = "防返贫动态监测"


@dataclass
class World:
    store: Store
    app: Any
    months: list[str]
    county: Unit
    townships: list[Unit]
    village: Unit  # of townships[0]
    grid: Unit  # of village
    household: str  # of grid
    outside_grid: Unit  # of townships[1]
    outside_household: str  # of townships[1]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    source = small_demo_db(tmp_path_factory)
    base = tmp_path_factory.mktemp("polish")
    shutil.copy(source.removeprefix("sqlite:///"), base / "polish.db")  # accounts of our own
    url = f"sqlite:///{base / 'polish.db'}"
    store = Store(url)
    months = store.months()
    county = store.default_unit()
    townships = store.children(county.code)
    t0, t1 = townships[0], townships[1]

    def grid_and_household(township: Unit) -> tuple[Unit, str]:
        frame = store.households_frame(months[-1], unit=township)
        row = frame[frame["grid_code"].notna()].iloc[0]
        return store.unit(row["grid_code"]), row["household_id"]

    grid, household = grid_and_household(t0)
    outside_grid, outside_household = grid_and_household(t1)
    village = store.unit(grid.village_code)
    accounts = Users(store)
    for name, role, unit in (
        ("county", "county", county.code),
        ("township", "township", t0.code),
        ("village", "village", village.code),
        ("wall", "viewer", county.code),
    ):
        accounts.add(name, PASSWORD, role, unit)
    app = create_app(Settings(db=url))
    yield World(
        store,
        app,
        months,
        county,
        townships,
        village,
        grid,
        household,
        outside_grid,
        outside_household,
    )
    store.dispose()


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, Any]:
    out = {}
    for name in ("county", "township", "village", "wall"):
        client = world.app.server.test_client()
        assert login(client, name).status_code == 302
        out[name] = client
    return out


def title_of(client: Any, pathname: str, search: str = "") -> str:
    """The title Dash's router computes for a client-side navigation to ``pathname``."""
    status, body = render(client, pathname, search)
    assert status == 200, body[:300]
    return json.loads(body)["response"]["_pages_store"]["data"]["title"]


def meta_title(client: Any, path: str) -> str:
    """The ``og:title`` of the page served for ``path`` (the same title function)."""
    response = client.get(path)
    assert response.status_code == 200, path
    match = re.search(r'property="og:title" content="([^"]*)"', response.get_data(as_text=True))
    assert match, path
    return match.group(1)


# ---------------------------------------------------------------------- tab titles
def test_tab_titles_name_the_unit_grid_and_household(world: World, clients: dict[str, Any]):
    client = clients["township"]
    t0, village, grid = world.townships[0], world.village, world.grid
    township_title = title_of(client, f"/unit/{t0.code}")
    village_title = title_of(client, f"/unit/{village.code}")
    assert township_title == f"{t0.name} · 乡镇 · {SITE}"
    assert village_title == f"{village.name} · {village.level_label} · {SITE}"
    assert township_title != village_title
    assert title_of(client, f"/grid/{grid.code}") == f"{grid.name} · 网格 · {SITE}"
    assert title_of(client, f"/household/{world.household}") == f"农户 {world.household} · {SITE}"
    assert title_of(client, f"/problems/{t0.code}") == f"{t0.name} · 问题清单 · {SITE}"
    # the page served by address carries the same title
    assert meta_title(client, f"/unit/{t0.code}") == township_title
    # two townships of the county account: two titles
    county_client = clients["county"]
    titles = {title_of(county_client, f"/unit/{t.code}") for t in world.townships}
    assert len(titles) == len(world.townships)


def test_a_unit_outside_the_area_or_unknown_gets_a_neutral_title(
    world: World, clients: dict[str, Any]
):
    client = clients["township"]
    t1 = world.townships[1]
    outside = title_of(client, f"/unit/{t1.code}")
    assert t1.name not in outside
    assert outside == title_of(client, "/unit/999999") == f"单位详情 · {SITE}"
    assert title_of(client, f"/grid/{world.outside_grid.code}") == f"网格 · {SITE}"
    assert world.outside_grid.name not in title_of(client, f"/grid/{world.outside_grid.code}")
    assert title_of(client, f"/household/{world.outside_household}") == f"农户 · {SITE}"
    assert title_of(client, f"/problems/{t1.code}") == f"问题清单 · {SITE}"
    # a township's code under /grid/ is no grid: neutral too
    assert title_of(client, f"/grid/{world.townships[0].code}") == f"网格 · {SITE}"
    # a viewer sees no household: no household number in its title either
    assert title_of(clients["wall"], f"/household/{world.household}") == f"农户 · {SITE}"


# ---------------------------------------------------------------------- the ranking
def ranking_cells(table: Any) -> dict[str, list[Any]]:
    return {
        props(row)["data-code"]: [cell.children for cell in row.children]
        for row in walk(table)
        if "data-code" in props(row)
    }


def test_ranking_shows_open_red_households_per_hundred_monitored(world: World):
    store, county = world.store, world.county
    for month in world.months:
        table = tables.ranking_table(store.children_stats(county.code, month), month, "township")
        assert "红色户/百户" in texts(table) and "风险" not in texts(table)
        rows = ranking_cells(table)
        assert len(rows) == 3
        for code, cells in rows.items():
            s = store.stats(code, month)
            expected = s["open_by_level"]["red"]["households"] / s["monitored"]["households"] * 100
            assert cells[2] == f"{expected:.1f}", (code, month)
    # the townships are told apart (the risk level is 红 for all of them)
    shown = {cells[2] for cells in rows.values()}
    assert len(shown) > 1
    assert {store.stats(code, month)["risk_level"] for code in rows} == {"red"}


def test_ranking_ties_are_ranked_by_red_households_per_hundred():
    def child(code: str, monitored: int, red: int, rate: float | None) -> dict[str, Any]:
        return {
            "unit": {"code": code, "name": f"镇{code}", "level": "township"},
            "risk_level": "red",
            "monitored": {"households": monitored, "persons": monitored * 3},
            "clearance_rate": {"persons": rate},
            "open_by_level": {
                "red": {"households": red},
                "yellow": {"households": 0},
                "blue": {"households": 0},
            },
        }

    children = [
        child("A", 200, 10, 0.5),  # 5.0 per hundred
        child("B", 100, 2, 0.5),  # 2.0: fewer red households per hundred, though not in number
        child("C", 50, 2, 0.5),  # 4.0
        child("D", 0, 0, None),  # none monitored: —, last
        child("E", 10, 9, 0.9),  # the best clearance rate first
    ]
    rows = ranking_cells(tables.ranking_table(children, "2024-10", "township"))
    assert list(rows) == ["E", "B", "C", "A", "D"]
    assert [cells[2] for cells in rows.values()] == ["90.0", "2.0", "4.0", "5.0", "—"]


# ---------------------------------------------------------------------- 404 by address
def test_addresses_that_name_nothing_answer_404_in_chinese(world: World, clients: dict[str, Any]):
    client = clients["township"]
    t0 = world.townships[0]
    unknown = {
        "/unit/999999": "未找到",
        "/grid/NO-SUCH-GRID": "未找到",
        f"/grid/{t0.code}": "未找到",  # a township is not a grid
        "/household/NO-SUCH-HOUSEHOLD": "未找到",
        "/problems/999999": "未找到",
        "/nope": "未找到该页面",
        "/unit/1/2": "未找到",
        "/404": "未找到该页面",
        f"/unit/{t0.code}?month=1999-01": "没有该月份的数据",
        f"/grid/{world.grid.code}?month=1999-01": "没有该月份的数据",
        f"/household/{world.household}?month=1999-01": "没有该月份的数据",
        "/?month=1999-01": "没有该月份的数据",
        "/sites?month=1999-01": "没有该月份的数据",
    }
    for path, message in unknown.items():
        response = client.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 404, (path, response.status_code)
        assert message in body and "<script" not in body, path
        assert response.headers["Content-Type"].startswith("text/html")
    # a unit, grid, household or problem list outside the area: the same bytes as unknown ones
    t1 = world.townships[1]
    pairs = [
        (f"/unit/{t1.code}", "/unit/999999"),
        (f"/grid/{world.outside_grid.code}", "/grid/NO-SUCH-GRID"),
        (f"/household/{world.outside_household}", "/household/NO-SUCH-HOUSEHOLD"),
        (f"/problems/{t1.code}", "/problems/999999"),
        (f"/unit/{t1.code}?month=1999-01", "/unit/999999"),
    ]
    typed = re.compile(rb'<p id="rg-typed">.*?</p>')  # the code as typed: the only difference
    for outside, other in pairs:
        a, b = client.get(outside), client.get(other)
        assert a.status_code == b.status_code == 404, outside
        assert typed.sub(b"", a.get_data()) == typed.sub(b"", b.get_data()), outside
        assert t1.name not in a.get_data(as_text=True)


def test_good_pages_answer_200_and_client_side_navigation_still_works(
    world: World, clients: dict[str, Any]
):
    client = clients["township"]
    t0, month = world.townships[0], world.months[0]
    for path in (
        "/",
        f"/?month={month}",
        f"/unit/{t0.code}",
        f"/unit/{t0.code}?month={month}",
        f"/unit/{world.village.code}",
        f"/unit/{world.grid.code}",
        f"/grid/{world.grid.code}?month={month}",
        f"/household/{world.household}",
        f"/problems/{t0.code}",
        f"/problems/{t0.code}?month=1999-01",  # the list is the latest month's whatever
        "/sites",
        "/wall",
    ):
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        assert "_dash-renderer" in response.get_data(as_text=True) or "<script" in (
            response.get_data(as_text=True)
        )
    # the router callback (a dcc.Link or the app's Location) answers as before
    status, body = render(client, "/nope")
    assert status == 200 and "未找到该页面" in body
    status, body = render(client, f"/unit/{t0.code}", "?month=1999-01")
    assert status == 200 and "没有该月份的数据" in body
    status, body = render(client, f"/unit/{t0.code}")
    assert status == 200 and f'"data-unit":"{t0.code}"' in body
    # scripts, styles and Dash's own routes are untouched
    assert client.get("/_dash-layout").status_code == 200
    assert client.get("/_dash-dependencies").status_code == 200


def test_without_a_session_a_page_address_still_goes_to_the_log_in(world: World):
    client = world.app.server.test_client()
    for path in ("/nope", "/unit/999999", f"/unit/{world.townships[0].code}?month=1999-01"):
        response = client.get(path)
        assert response.status_code == 302 and "/login?next=" in response.headers["Location"]


# ---------------------------------------------------------------------- the grid worker's phone
def test_grid_workers_phone_in_full_for_the_roles_that_call_them(
    world: World, clients: dict[str, Any]
):
    store, grid = world.store, world.grid
    u = schema.units
    with store.engine.connect() as conn:
        worker, phone = conn.execute(
            sa.select(u.c.grid_worker, u.c.worker_phone).where(u.c.code == grid.code)
        ).one()
    assert phone and mask_phone(phone) != phone
    for role, unit in (
        ("admin", None),
        ("county", world.county.code),
        ("township", world.townships[0].code),
        ("village", world.village.code),
    ):
        assert ScopedStore(store, Principal(role, role, unit)).grid_worker(grid.code) == (
            worker,
            phone,
        ), role
    viewer = ScopedStore(store, Principal("wall", "viewer", world.county.code))
    assert viewer.grid_worker(grid.code)[1] == mask_phone(phone)
    # on the grid page
    for name in ("county", "township"):
        status, body = render(clients[name], f"/grid/{grid.code}")
        assert status == 200 and phone in body and worker in body, name
    status, body = render(clients["wall"], f"/grid/{grid.code}")
    assert status == 200 and phone not in body and mask_phone(phone) in body
