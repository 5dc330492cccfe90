"""Log-in, sessions, roles scoped to a unit, privacy and the audit log: the dashboard over HTTP.

Dash answers every callback at one URL, so these tests do not trust any layout: with each role's
session they call every page, ``/_dash-layout``, the geometry route and EVERY callback of the app
(enumerated from ``/_dash-dependencies``, payloads built with another unit's code, grid and
household in every input and state) and assert on the raw response bodies that nothing of a unit
outside the role's area comes back: no code, name, monitored count or household. Inside the area
the same calls answer with the unit's figures.

The data: a small demo county (3 townships, 60 grids, 3,000 households, 2 months) loaded through
the etl loaders, plus a second county (no households) so that the county role has a unit outside
its area too.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dash
import pytest
import sqlalchemy as sa
from dash._utils import split_callback_id, stringify_id
from typer.testing import CliRunner

from dashboard import auth, create_app
from etl.demo import generate_demo
from etl.grids import load_grids
from etl.households import load_households
from etl.sites import load_sites
from geodata import Store, Unit, schema
from geodata.access import audit_rows
from geodata.accounts import Users
from geodata.model import LEVELS, mask_id_number, mask_name
from reports.briefing import render_html
from riskgrid.cli import app as cli_app
from riskgrid.settings import Settings
from tests.factories import other_county_grids

PASSWORD = "correct-horse-9"
SESSION_MINUTES = 30
MAX_FAILURES = 3
ROUTER = "_pages_content.children"


# ---------------------------------------------------------------------- the data
@dataclass
class Target:
    """A unit with a grid and a household in it (household None where it has none)."""

    unit: Unit
    grid: Unit
    household: dict[str, Any] | None
    name_secret: bool = True  # False for a unit above the user's own (its name is in theirs)

    @property
    def household_id(self) -> str:
        return self.household["household_id"] if self.household else "NO-SUCH-HOUSEHOLD"


@dataclass
class World:
    url: str
    store: Store
    app: Any
    months: list[str]
    county: Unit
    county2: Unit
    townships: list[Unit]
    villages: dict[str, list[Unit]]  # township code -> its villages
    users: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # name -> role, unit


def second_county(store: Store) -> None:
    """A neighbouring county of another city of the province (150783 in 1507, no
    households): outside the county and city roles' areas."""
    grids = other_county_grids(city_name="呼伦贝尔市", province_name="内蒙古自治区")
    with store.write() as conn:
        store.upsert_grids(conn, grids)


def grid_with_households(
    store: Store, unit: Unit, month: str, avoid: Unit | None = None
) -> tuple[Unit, dict[str, Any]]:
    """A grid of ``unit`` (outside ``avoid``) with households, and a household of it."""
    frame = store.households_frame(month, unit=unit)
    frame = frame[frame["grid_code"].notna()]  # not one left out of the grid assignment
    if avoid is not None:
        frame = frame[frame[f"{avoid.level}_code"] != avoid.code]
    monitored = frame[frame["category"].fillna("") != ""]
    row = (monitored if len(monitored) else frame).iloc[0].to_dict()
    grid = store.unit(row["grid_code"])
    assert grid is not None
    return grid, row


def first_grid(store: Store, unit: Unit) -> Unit:
    while unit.level != "grid":
        unit = store.children(unit.code)[0]
    return unit


def target(store: Store, unit: Unit, month: str, avoid: Unit | None = None) -> Target:
    """``unit`` with a grid and a household in it; for a unit above the user's own (``avoid``),
    a grid and household of it outside the user's unit, and its name not secret."""
    if unit.city_code == "1507":  # the other city has no households
        return Target(unit, first_grid(store, unit), None)
    grid, household = grid_with_households(store, unit, month, avoid)
    return Target(unit, grid, household, name_secret=avoid is None)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("auth")
    files = generate_demo(
        base / "files",
        grids=60,
        villages=12,
        communities=2,
        townships=3,
        households=3000,
        months=2,
        layout="households",
    )
    url = f"sqlite:///{base / 'auth.db'}"
    store = Store(url)
    store.migrate()
    load_grids(store, files.grids)
    load_sites(store, files.sites)
    for month, path in files.households:
        load_households(store, path, month=month)
    second_county(store)
    county = store.unit("152223")
    assert county is not None
    assert store.default_unit() == store.unit("15")  # two cities: the province
    assert (store.unit("15").name, store.unit("1522").name) == (
        "内蒙古自治区",
        "兴安盟",
    )  # the demo's
    townships = store.children(county.code)
    villages = {t.code: store.children(t.code) for t in townships}
    t0 = townships[0]
    users = {
        "admin": ("admin", None),
        "province": ("province", "15"),
        "city": ("city", "1522"),
        "county": ("county", county.code),
        "township": ("township", t0.code),
        "village": ("village", villages[t0.code][0].code),
        "wall": ("viewer", county.code),
        "wall_t": ("viewer", t0.code),
        "auditor": ("township", t0.code),
        "locked": ("township", t0.code),
        "leaver": ("township", t0.code),
    }
    accounts = Users(store)
    for name, (role, unit) in users.items():
        accounts.add(name, PASSWORD, role, unit)
    app = create_app(
        Settings(
            db=url,
            session_minutes=SESSION_MINUTES,
            max_failures=MAX_FAILURES,
            lock_seconds=60,
        )
    )
    county2 = store.unit("150783")
    assert county2 is not None
    yield World(url, store, app, store.months(), county, county2, townships, villages, users)
    store.dispose()


# ---------------------------------------------------------------------- http helpers
def csrf(client: Any) -> str:
    page = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf" value="([^"]+)"', page)
    assert match, page[:500]
    return match.group(1)


def login(client: Any, username: str, password: str = PASSWORD, next_: str = "/") -> Any:
    """Log in through the /login form, as a browser does."""
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf(client), "next": next_},
    )


def session_token(client: Any) -> str:
    """The form token of the client's session (the log-out form carries it)."""
    with client.session_transaction() as session:
        return session[auth.CSRF_KEY]


def logged_in(world: World, username: str) -> Any:
    client = world.app.server.test_client()
    response = login(client, username)
    assert response.status_code == 302, response.get_data(as_text=True)[:400]
    return client


@pytest.fixture(scope="module")
def clients(world: World) -> dict[str, Any]:
    return {
        name: logged_in(world, name)
        for name in ("admin", "province", "city", "county", "township", "village", "wall", "wall_t")
    }


def dependencies(client: Any) -> list[dict[str, Any]]:
    response = client.get("/_dash-dependencies")
    assert response.status_code == 200
    return response.get_json()


def server_callbacks(client: Any) -> list[dict[str, Any]]:
    return [d for d in dependencies(client) if not d.get("clientside_function")]


def post_callback(client: Any, body: dict[str, Any]) -> Any:
    return client.post(
        "/_dash-update-component",
        data=json.dumps(body),
        content_type="application/json",
    )


def callback_body(
    dep: dict[str, Any], value: Callable[[str, str], Any], trigger: int = 0
) -> dict[str, Any]:
    """The JSON the Dash renderer posts for ``dep``, each input and state valued by ``value``."""

    def concrete(spec: dict[str, Any]) -> Any:
        """The id of a component the input names (a pattern's wildcards: a button's key)."""
        if not spec["id"].startswith("{"):
            return spec["id"]
        pattern = json.loads(spec["id"])
        return {k: "R|NO-SUCH-HOUSEHOLD" if isinstance(v, list) else v for k, v in pattern.items()}

    def item(spec: dict[str, Any]) -> Any:
        one = {
            "id": concrete(spec),
            "property": spec["property"],
            "value": value(spec["id"], spec["property"]),
        }
        # a pattern (ALL): the renderer sends one item per component it matches
        return [one] if spec["id"].startswith("{") else one

    inputs = [item(i) for i in dep["inputs"]]
    trig = dep["inputs"][trigger]
    return {
        "output": dep["output"],
        "outputs": split_callback_id(dep["output"]),
        "inputs": inputs,
        "state": [item(s) for s in dep["state"]],
        "changedPropIds": [f"{stringify_id(concrete(trig))}.{trig['property']}"],
    }


def router_body(pathname: str, search: str = "") -> dict[str, Any]:
    return {
        "output": f"..{ROUTER}..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": pathname},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "state": [{"id": "rg-inplace", "property": "data", "value": None}],
        "changedPropIds": ["_pages_location.pathname"],
    }


def render(client: Any, pathname: str, search: str = "") -> tuple[int, str]:
    """The page content the router callback returns for a URL (a client-side navigation)."""
    response = post_callback(client, router_body(pathname, search))
    return response.status_code, response.get_data(as_text=True)


def forged_values(t: Target, months: list[str]) -> list[Callable[[str, str], Any]]:
    """Input/state values naming ``t`` in every way a callback can be asked about a unit: the
    URL (pathname, href, search), the page's context store, map clicks, the month controls."""
    m0, m1 = months[0], months[-1]
    hid = t.household_id
    scenarios = [
        (f"/unit/{t.unit.code}", {"location": t.grid.code}),
        (f"/grid/{t.grid.code}", {"customdata": hid}),
        (f"/household/{hid}", {"location": t.unit.code}),
        (f"/unit/{t.grid.code}", {"location": t.grid.code, "customdata": hid}),
        ("/wall", {"location": t.unit.code}),  # the wall with ?unit= naming the unit
    ]
    out = []
    for path, click in scenarios:

        def value(cid: str, prop: str, path: str = path, click: dict = click) -> Any:
            base_prop = prop.split("@")[0]
            if base_prop in ("pathname", "href"):
                return path
            if base_prop == "search":
                return f"?month={m1}&code={t.unit.code}&unit={t.unit.code}"
            if base_prop == "data":  # a page's context store
                if "household" in cid:
                    return {"id": hid, "month": m0}
                return {"code": t.unit.code, "month": m0, "show": "all"}
            if base_prop == "clickData":
                return {"points": [{**click, "pointNumber": 0, "curveNumber": 0}]}
            if base_prop in ("n_intervals", "n_clicks"):
                return 1
            if base_prop == "value":
                if "month" in cid:
                    return m1
                if "level" in cid:
                    return "grid"
                if "measure" in cid:
                    return "risk"
            return t.unit.code

        value.path = path  # type: ignore[attr-defined]
        out.append(value)
    return out


def every_callback_call(client: Any, t: Target, months: list[str]) -> list[tuple[str, str, Any]]:
    """Every server callback, once per scenario and per input as the trigger: (output, the
    scenario's URL path, response)."""
    calls = []
    for dep in server_callbacks(client):
        for value in forged_values(t, months):
            for trigger in range(len(dep["inputs"])):
                body = callback_body(dep, value, trigger)
                calls.append((dep["output"], value.path, post_callback(client, body)))
    return calls


# ---------------------------------------------------------------------- what must not appear
def token(text: str) -> re.Pattern[str]:
    """``text`` as a whole code (not inside a longer code or household number)."""
    return re.compile(rf"(?<![0-9A-Za-z]){re.escape(text)}(?![0-9A-Za-z])")


def numbers(data: Any) -> set[int]:
    if isinstance(data, bool):
        return set()
    if isinstance(data, int):
        return {data}
    if isinstance(data, dict):
        return set().union(*(numbers(v) for v in data.values())) if data else set()
    if isinstance(data, list | tuple):
        return set().union(*(numbers(v) for v in data)) if data else set()
    return set()


def count_texts(values: set[int]) -> set[str]:
    return {f"{n:,} 户" for n in values} | {f"{n:,} 人" for n in values}


def home_numbers(world: World, username: str) -> set[int]:
    """Every number the user's own area legitimately shows (its figures, its sites)."""
    role, code = world.users[username]
    unit = world.store.unit(code) if code else world.county
    out: set[int] = set()
    for month in world.months:
        out |= numbers(world.store.stats(unit.code, month))
        for child in world.store.children_stats(unit.code, month):
            out |= numbers(child)
        out |= numbers(world.store.site_stats(month))
    return out


def secrets_of(
    world: World, t: Target, allowed: set[int]
) -> tuple[list[re.Pattern[str]], set[str]]:
    """(code patterns, plain strings) that must not appear in any answer about ``t``."""
    codes = [token(t.unit.code), token(t.grid.code)]
    plain: set[str] = {t.grid.name}
    if t.name_secret:
        plain.add(t.unit.name)
    if t.household:
        codes.append(token(t.household["household_id"]))
        plain |= {
            t.household["head_name"],
            t.household["id_number"],
            mask_id_number(t.household["id_number"]),
        }
    counted: set[int] = set()
    for month in world.months:
        try:
            s = world.store.stats(t.unit.code, month)
        except Exception:  # the second county has no figures
            continue
        counted |= {s["monitored"]["households"], s["monitored"]["persons"]}
    plain |= count_texts(counted - allowed - {0})
    return codes, plain


TYPED_CODE = re.compile(r'<p id="rg-typed">.*?</p>', re.S)


def without_typed_code(body: str) -> str:
    """A not-found page without the line showing the code as the user typed it (an echo of the
    address, not data)."""
    return TYPED_CODE.sub("", body)


def assert_nothing_of(body: str, codes: list[re.Pattern[str]], plain: set[str], where: str) -> None:
    # also the JSON-escaped (\\uXXXX) forms, whichever way a body encodes Chinese
    escaped = {json.dumps(p)[1:-1] for p in plain}
    for pattern in codes:
        assert not pattern.search(body), (where, pattern.pattern, body[:300])
    for text in plain | escaped:
        assert text not in body, (where, text, body[:300])


def outside_targets(world: World, username: str) -> list[Target]:
    """Units outside each test account's area: a sibling and the unit above it."""
    store, m = world.store, world.months[-1]
    t0, t1, t2 = world.townships
    if username == "county" or username == "wall":
        return [target(store, world.county2, m)]
    if username == "city":
        return [target(store, world.county2, m), target(store, store.unit("1507"), m)]
    if username in ("township", "wall_t"):
        return [target(store, t1, m), target(store, world.county, m, avoid=t0)]
    if username == "village":
        own = world.villages[t0.code][0]
        sibling = world.villages[t0.code][1]
        return [
            target(store, world.villages[t1.code][0], m),
            target(store, sibling, m),
            target(store, t0, m, avoid=own),
        ]
    raise AssertionError(username)


def inside_target(world: World, username: str) -> Target:
    role, code = world.users[username]
    unit = world.store.unit(code) if code else world.store.default_unit()  # admin: the province
    return target(world.store, unit, world.months[-1])


SCOPED = ["city", "county", "township", "village", "wall", "wall_t"]


# ---------------------------------------------------------------------- scoping
@pytest.mark.parametrize("username", SCOPED)
def test_nothing_outside_the_area_comes_back_from_any_page_callback_or_geometry(
    world: World, clients: dict[str, Any], username: str
):
    client = clients[username]
    allowed = home_numbers(world, username)
    checked = refused = 0
    for t in outside_targets(world, username):
        codes, plain = secrets_of(world, t, allowed)
        # page URLs: refused outright with a Chinese page, nothing of the unit
        for path in (f"/unit/{t.unit.code}", f"/grid/{t.grid.code}", f"/unit/{t.grid.code}"):
            response = client.get(path)
            body = response.get_data(as_text=True)
            assert response.status_code == 404 and "未找到" in body, (path, response.status_code)
            assert_nothing_of(without_typed_code(body), codes, plain, path)
        if t.household:
            response = client.get(f"/household/{t.household_id}")
            # a viewer may see no household at all (403, the role); others: as unknown (404)
            assert response.status_code == (403 if world.users[username][0] == "viewer" else 404)
            body = without_typed_code(response.get_data(as_text=True))
            assert_nothing_of(body, codes, plain, "household page")
        # geometry of every level inside the unit, and of the grid
        for level in LEVELS:
            for code in (t.unit.code, t.grid.code):
                response = client.get(f"/geojson/{level}/{code}.json")
                assert response.status_code == 404, (level, code, response.status_code)
                assert_nothing_of(response.get_data(as_text=True), codes, plain, "geojson")
        # every callback, forged with the unit in its inputs and state
        for output, path, response in every_callback_call(client, t, world.months):
            body = response.get_data(as_text=True)
            assert response.status_code in (200, 204, 404), (
                output,
                response.status_code,
                body[:300],
            )
            assert_nothing_of(body, codes, plain, output)
            checked += 1
            refused += response.status_code == 404
            if output.startswith(f"..{ROUTER}") and response.status_code == 200:
                if path == "/wall":  # the wall shows the user's own unit instead
                    assert "wall" in body and "无权查看" not in body
                else:
                    assert "无权查看" in body or "未找到" in body, body[:300]
        # the router with each URL of the unit: the answer to an unknown unit, in Chinese
        for path in (f"/unit/{t.unit.code}", f"/grid/{t.grid.code}"):
            status, body = render(client, path)
            assert status == 200 and "未找到该单位" in body
    # the shell of the user's own session holds nothing of those units either
    shell = client.get("/_dash-layout").get_data(as_text=True)
    for t in outside_targets(world, username):
        assert_nothing_of(shell, *secrets_of(world, t, allowed), "_dash-layout")
    assert checked > 50 and refused > 20, (checked, refused)
    # and every refusal was written to the audit log
    denied = [r for r in audit_rows(world.store, username=username) if r["action"] == "denied"]
    assert len(denied) >= refused


@pytest.mark.parametrize("username", ["admin", *SCOPED])
def test_inside_the_area_the_same_calls_answer_with_the_units_figures(
    world: World, clients: dict[str, Any], username: str
):
    client = clients[username]
    t = inside_target(world, username)
    m0, m1 = world.months[0], world.months[-1]
    for path in (f"/unit/{t.unit.code}", f"/grid/{t.grid.code}", "/", "/sites"):
        assert client.get(path).status_code == 200, path
    for level in LEVELS[LEVELS.index(t.unit.level) :]:
        response = client.get(f"/geojson/{level}/{t.unit.code}.json")
        assert response.status_code == 200 and response.get_json()["type"] == "FeatureCollection"
    figures = world.store.stats(t.unit.code, m1)
    # the unit's page, by URL through the router: its stored figures
    status, body = render(client, f"/unit/{t.unit.code}", f"?month={m1}")
    assert status == 200 and "无权查看" not in body
    assert f"{figures['monitored']['households']:,} 户" in body
    assert f"{figures['monitored']['persons']:,} 人" in body
    assert f'"data-unit":"{t.unit.code}"' in body
    # the overview is the user's own unit (township / village: not the county)
    status, body = render(client, "/")
    assert f'"data-unit":"{t.unit.code}"' in body
    # every callback with the unit's own codes: answered, never refused
    statuses = []
    for output, _path, response in every_callback_call(client, t, world.months):
        statuses.append(response.status_code)
        if response.status_code == 404:
            # only a viewer's household link (a click on a household / its page) is refused
            assert world.users[username][0] == "viewer", (output, response.get_data(as_text=True))
    assert statuses.count(200) > 10
    # the month callback of the unit page: the other month's figures of the unit
    dep = next(d for d in server_callbacks(client) if "unit-cards.children" in d["output"])
    value = forged_values(t, world.months)[0]
    response = post_callback(client, callback_body(dep, value, 0))
    assert response.status_code == 200
    # (the context says m0, the dropdown asks for m1: m1's figures come back)
    assert world.months.index(m1) > world.months.index(m0)
    assert f"{figures['monitored']['households']:,} 户" in response.get_data(as_text=True)


def test_breadcrumbs_stop_at_the_users_unit(world: World, clients: dict[str, Any]):
    t0 = world.townships[0]
    village = world.villages[t0.code][1]
    grid = first_grid(world.store, village)
    status, body = render(clients["township"], f"/grid/{grid.code}")
    assert status == 200 and t0.name in body and village.name in body
    assert world.county.name not in body  # the county is above the township: cut
    status, body = render(clients["admin"], f"/grid/{grid.code}")
    assert world.county.name in body


def test_viewer_never_gets_a_household_list_or_detail(world: World, clients: dict[str, Any]):
    for username in ("wall", "wall_t"):
        client = clients[username]
        t = inside_target(world, username)
        assert t.household is not None
        ids = set(world.store.households_frame(world.months[-1], unit=t.grid)["household_id"])
        status, body = render(client, f"/grid/{t.grid.code}", "?show=all")
        assert status == 200 and "该账号不能查看农户名单" in body
        assert not any(token(i).search(body) for i in ids)  # not even masked rows
        assert not re.search(r"\d{6}\*{8}[\dX]{4}", body)
        response = client.get(f"/household/{t.household_id}")
        assert response.status_code == 403
        status, body = render(client, f"/household/{t.household_id}")
        assert "无权查看" in body and t.household["head_name"] not in body
        assert mask_name(t.household["head_name"]) not in body


# ---------------------------------------------------------------------- no session
def test_without_a_session_nothing_but_the_log_in_page(world: World, clients: dict[str, Any]):
    anonymous = world.app.server.test_client()
    t = target(world.store, world.townships[1], world.months[-1])
    codes, plain = secrets_of(world, t, set())
    plain.add(world.county.name)
    for path in (
        "/",
        f"/unit/{t.unit.code}",
        f"/grid/{t.grid.code}",
        f"/household/{t.household_id}",
        "/sites",
        "/wall",
        "/no/such/page",
    ):
        response = anonymous.get(path)
        assert response.status_code == 302, path
        location = response.headers["Location"]
        assert location.startswith("/login?next=%2F") or location.startswith("/login?next=/"), (
            location
        )
        # (the redirect names the page asked for, as next=: the asker's own URL, nothing more)
        assert_nothing_of(response.get_data(as_text=True).replace(path, ""), codes, plain, path)
    for path in (
        "/_dash-layout",
        "/_dash-dependencies",
        f"/geojson/grid/{t.unit.code}.json",
        f"/geojson/county/{world.county.code}.json",
        "/assets/riskgrid.css",
    ):
        response = anonymous.get(path)
        assert response.status_code == 401, path
        assert_nothing_of(response.get_data(as_text=True), codes, plain, path)
    deps = server_callbacks(clients["admin"])
    assert len(deps) >= 7
    for dep in deps:
        for value in forged_values(t, world.months):
            response = post_callback(anonymous, callback_body(dep, value))
            assert response.status_code == 401, dep["output"]
            assert_nothing_of(response.get_data(as_text=True), codes, plain, dep["output"])
    response = post_callback(anonymous, router_body("/"))
    assert response.status_code == 401
    # the log-in page itself: a form, nothing of the data, no scripts
    page = anonymous.get("/login")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "用户登录" in body and "<script" not in body
    assert_nothing_of(body, codes, plain, "/login")
    assert world.county.name not in body


# ---------------------------------------------------------------------- privacy
def all_people(store: Store) -> tuple[set[str], set[str]]:
    """Every head-of-household name and ID number; names inside a place name (额尔敦 in
    额尔敦花嘎查) or a grid worker's name (staff, shown by name) left out."""
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
    names = {r.head_name for r in rows if r.head_name and r.head_name not in places} - workers
    return names, {r.id_number for r in rows if r.id_number}


def full_people_in(body: str, names: set[str], ids: set[str], min_name: int = 3) -> list[str]:
    found = [i for i in re.findall(r"\d{17}[\dX]", body) if i in ids]
    for run in re.findall(r"[\u4e00-\u9fff]+", body):
        for size in range(min_name, 6):
            found += [
                run[i : i + size] for i in range(len(run) - size + 1) if run[i : i + size] in names
            ]
    return found


def test_names_and_id_numbers_are_masked_unless_the_role_may_and_asks(
    world: World, clients: dict[str, Any]
):
    store, month = world.store, world.months[-1]
    t = inside_target(world, "township")
    frame = store.households_frame(month, unit=t.grid)
    status, body = render(clients["township"], f"/grid/{t.grid.code}", f"?month={month}&show=all")
    assert status == 200
    for row in frame.to_dict("records"):
        assert row["id_number"] not in body and mask_id_number(row["id_number"]) in body
        assert mask_name(row["head_name"]) in body
        if len(row["head_name"]) > 2:
            assert row["head_name"] not in body
    # the grid's worker: name and phone shown in full (township calls its grid workers)
    u = schema.units
    with store.engine.connect() as conn:
        worker, phone = conn.execute(
            sa.select(u.c.grid_worker, u.c.worker_phone).where(u.c.code == t.grid.code)
        ).one()
    assert phone and phone in body and worker in body
    # township may not unmask, even when asking
    hid, head = t.household["household_id"], t.household["head_name"]
    status, body = render(clients["township"], f"/household/{hid}", f"?month={month}&full=1")
    assert t.household["id_number"] not in body and mask_id_number(t.household["id_number"]) in body
    assert "显示完整信息" not in body
    # county may, on its own request (a link on the page), and it is logged as unmasked
    status, body = render(clients["county"], f"/household/{hid}", f"?month={month}")
    assert "显示完整信息" in body and t.household["id_number"] not in body
    status, body = render(clients["county"], f"/household/{hid}", f"?month={month}&full=1")
    assert t.household["id_number"] in body and head in body
    rows = [r for r in audit_rows(store, username="county") if r["action"] == "view_household"]
    assert rows[-1]["target"] == hid and "unmasked" in rows[-1]["detail"]
    assert "unmasked" not in rows[-2]["detail"]


def test_no_full_name_or_id_number_for_viewer_on_any_page_or_in_briefings(
    world: World, clients: dict[str, Any]
):
    names, ids = all_people(world.store)
    client = clients["wall"]
    t0 = world.townships[0]
    village = world.villages[t0.code][1]
    grid = first_grid(world.store, village)
    pages = ["/", f"/unit/{t0.code}", f"/unit/{village.code}", f"/grid/{grid.code}", "/sites"]
    if "/wall" in {p.get("path") for p in dash.page_registry.values()}:
        pages.append("/wall")
    bodies = [render(client, p)[1] for p in pages]
    bodies.append(client.get("/_dash-layout").get_data(as_text=True))
    for dep in server_callbacks(client):
        for value in forged_values(inside_target(world, "wall"), world.months):
            bodies.append(post_callback(client, callback_body(dep, value)).get_data(as_text=True))
    for body in bodies:
        assert not full_people_in(body, names, ids)
        assert not re.search(r"\d{6}\*{8}[\dX]{4}", body)  # no household rows at all
    # briefings never carry names or ID numbers, whoever asks
    for code in (world.county.code, t0.code, grid.code):
        html_text = render_html(world.store, code)
        assert not full_people_in(html_text, names, ids)


# ---------------------------------------------------------------------- audit
def test_every_household_view_and_export_is_in_the_audit_log(world: World, tmp_path: Path):
    store, month = world.store, world.months[-1]
    client = logged_in(world, "auditor")
    t = inside_target(world, "auditor")
    other = target(store, world.townships[1], month)
    before = len(audit_rows(store, username="auditor"))
    lists = details = 0
    for search in (f"?month={month}", f"?month={month}", f"?month={month}&show=all"):
        status, body = render(client, f"/grid/{t.grid.code}", search)  # the same list twice: twice
        assert status == 200 and "rg-households" in body
        lists += 1
    for _ in range(2):
        status, body = render(client, f"/household/{t.household_id}", f"?month={month}")
        assert status == 200 and "rg-household-page" in body
        details += 1
    assert "未找到该农户" in render(client, f"/household/{other.household_id}")[1]
    assert client.get(f"/grid/{other.grid.code}").status_code == 404
    # the unit page's 导出简报 download, if the page offers it: an export of its own unit
    downloads = 0
    brief = [d for d in server_callbacks(client) if "brief-download" in d["output"]]
    for dep in brief:
        for code, status in ((t.unit.code, 200), (other.unit.code, 404)):
            body = callback_body(
                dep,
                lambda cid, prop, code=code: (
                    {"code": code, "month": month} if prop == "data" else 1
                ),
            )
            response = post_callback(client, body)
            assert response.status_code == status
            downloads += status == 200
    # exports: the CLI briefing as this user, one file per unit; outside the area: exit 1
    runner = CliRunner()
    args = [
        "brief",
        "--user",
        "auditor",
        "--format",
        "html",
        "--out",
        str(tmp_path),
        "--db",
        world.url,
    ]
    result = runner.invoke(cli_app, [*args, "--unit", t.unit.code, "--children"])
    assert result.exit_code == 0, result.output
    exports = 1 + len(store.children(t.unit.code))
    assert len(list(tmp_path.glob("*.html"))) == exports
    result = runner.invoke(cli_app, [*args, "--unit", other.unit.code])
    assert result.exit_code == 1 and "无权查看" in result.output
    result = runner.invoke(cli_app, [*args, "--unit", world.county.code])
    assert result.exit_code == 1
    assert len(list(tmp_path.glob("*.html"))) == exports
    rows = audit_rows(store, username="auditor")[before:]
    actions = [r["action"] for r in rows]
    assert actions.count("view_households") == lists
    assert actions.count("view_household") == details
    assert actions.count("export") == exports + downloads
    assert actions.count("denied") >= 4 + len(brief)
    assert {r["target"] for r in rows if r["action"] == "view_household"} == {t.household_id}
    assert {r["address"] for r in rows if r["action"].startswith("view")} == {"127.0.0.1"}
    addresses = [r["address"] for r in rows if r["action"] == "export"]
    assert addresses.count("cli") == exports and addresses.count("127.0.0.1") == downloads
    logins = [r for r in audit_rows(store, username="auditor") if r["action"] == "login"]
    assert len(logins) == 1 and logins[0]["address"] == "127.0.0.1"
    client.post("/logout", data={"csrf": session_token(client)})
    assert audit_rows(store, username="auditor")[-1]["action"] == "logout"


def test_brief_user_option_refuses_unknown_users(world: World, tmp_path: Path):
    result = CliRunner().invoke(
        cli_app,
        [
            "brief",
            "--user",
            "nobody",
            "--unit",
            world.county.code,
            "--format",
            "html",
            "--out",
            str(tmp_path),
            "--db",
            world.url,
        ],
    )
    assert result.exit_code == 1 and "nobody" in result.output
    assert not list(tmp_path.glob("*"))


# ---------------------------------------------------------------------- log-in
def test_the_form_stays_good_when_the_log_in_page_is_loaded_again(world: World):
    """A browser loads /login more than once (a second tab, a favicon redirect): the form's
    token is the session's, not replaced by each load."""
    client = world.app.server.test_client()
    first = csrf(client)
    client.get("/login?next=/favicon.ico")
    response = client.post(
        "/login", data={"username": "township", "password": PASSWORD, "csrf": first, "next": "/"}
    )
    assert response.status_code == 302
    anonymous = world.app.server.test_client()
    assert anonymous.get("/favicon.ico").status_code == 401  # not a page: no redirect


def session_cookie(response: Any) -> str:
    cookies = [
        c for c in response.headers.getlist("Set-Cookie") if c.startswith(auth.SESSION_COOKIE + "=")
    ]
    assert cookies, response.headers
    return cookies[-1]


def test_session_cookie_is_httponly_samesite_and_secure_over_https(world: World):
    client = world.app.server.test_client()
    cookie = session_cookie(login(client, "township"))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    expires = re.search(r"Expires=([^;]+)", cookie).group(1)
    left = dt.datetime.strptime(expires, "%a, %d %b %Y %H:%M:%S GMT") - dt.datetime.now(
        dt.UTC
    ).replace(tzinfo=None)
    assert dt.timedelta(minutes=SESSION_MINUTES - 2) < left <= dt.timedelta(minutes=SESSION_MINUTES)
    assert world.app.server.config["PERMANENT_SESSION_LIFETIME"] == dt.timedelta(
        minutes=SESSION_MINUTES
    )
    secure = world.app.server.test_client()
    token_ = re.search(
        r'name="csrf" value="([^"]+)"',
        secure.get("/login", base_url="https://localhost").get_data(as_text=True),
    ).group(1)
    response = secure.post(
        "/login",
        base_url="https://localhost",
        data={"username": "township", "password": PASSWORD, "csrf": token_, "next": "/"},
    )
    cookie = session_cookie(response)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    # behind a reverse proxy that ends TLS
    proxied = world.app.server.test_client()
    page = proxied.get("/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in session_cookie(page)


def test_a_session_older_than_session_minutes_is_refused(world: World):
    client = logged_in(world, "township")
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session[auth.LOGIN_AT] = int(time.time()) - SESSION_MINUTES * 60 - 5
    response = client.get(f"/unit/{world.townships[0].code}")
    assert response.status_code == 302 and "expired=1" in response.headers["Location"]
    assert "登录已过期" in client.get(response.headers["Location"]).get_data(as_text=True)
    # the session is gone: callbacks get 401
    response = post_callback(client, router_body("/"))
    assert response.status_code == 401
    # a session with no log-in time at all is refused too
    client = logged_in(world, "township")
    with client.session_transaction() as session:
        session.pop(auth.LOGIN_AT)
    assert post_callback(client, router_body("/")).status_code == 401


def test_a_session_in_use_slides_forward(world: World):
    """Idle expiry: a request refreshes the session, so a refreshing wall stays logged in."""
    client = logged_in(world, "township")
    almost = int(time.time()) - SESSION_MINUTES * 60 + 30
    with client.session_transaction() as session:
        session[auth.LOGIN_AT] = almost
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        assert session[auth.LOGIN_AT] >= int(time.time()) - 5
    with client.session_transaction() as session:
        session[auth.LOGIN_AT] = int(time.time()) - SESSION_MINUTES * 60 - 5
    assert client.get("/").status_code == 302


# ---------------------------------------------------------------------- log-in off, keys
def test_log_in_off_is_single_user_on_loopback_only(world: World, tmp_path: Path):
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"):
        assert auth.is_loopback(host), host
        auth.check_binding(Settings(login=False, host=host))
    for host in ("0.0.0.0", "192.168.1.20", "::", "", "example.org"):
        assert not auth.is_loopback(host), host
        with pytest.raises(auth.UnsafeSettings, match="loopback") as exc:
            create_app(Settings(db=world.url, login=False, host=host))
        assert "回环" in str(exc.value)
    auth.check_binding(Settings(login=True, host="0.0.0.0"))  # with log-in: any address
    # riskgrid serve refuses with exit code 1 and the message
    result = CliRunner().invoke(
        cli_app,
        ["serve", "--host", "0.0.0.0", "--db", world.url],
        env={"RISKGRID_LOGIN": "false"},
    )
    assert result.exit_code == 1 and "loopback" in result.output and "回环" in result.output
    # on loopback every request acts as the local admin, without a log-in
    app = create_app(Settings(db=world.url, login=False))
    client = app.server.test_client()
    assert client.get("/").status_code == 200
    assert client.get("/_dash-layout").status_code == 200
    t1 = world.townships[1]
    status, body = render(client, f"/unit/{t1.code}")
    assert status == 200 and "无权查看" not in body and t1.name in body
    assert client.get(f"/geojson/grid/{world.county2.code}.json").status_code == 200
    assert client.get("/login").headers["Location"] == "/"
    # and only requests from this machine are answered
    response = client.get("/", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert response.status_code == 403


# ---------------------------------------------------------------------- the demo's accounts
def test_demo_creates_one_account_per_role_and_prints_the_log_ins(tmp_path: Path, monkeypatch):
    import etl.demo

    real = etl.demo.generate_demo

    def small(out, **kwargs):
        kwargs.update(grids=60, villages=12, communities=2, townships=3)
        return real(out, **kwargs)

    monkeypatch.setattr(etl.demo, "generate_demo", small)
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    args = [
        "demo",
        "--no-serve",
        "--months",
        "1",
        "--households",
        "3000",
        "--out",
        str(tmp_path / "f"),
        "--db",
        url,
    ]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    # the database of personal data: readable and writable by its owner only
    assert (tmp_path / "demo.db").stat().st_mode & 0o777 == 0o600
    store = Store(url)
    county = store.default_unit()
    township = store.children(county.code)[0]
    village = store.children(township.code)[0]
    expected = {
        "admin": ("admin", None),
        "county": ("county", county.code),
        "township": ("township", township.code),
        "village": ("village", village.code),
        "wall": ("viewer", county.code),
    }
    users = {r["username"]: (r["role"], r["unit_code"]) for r in Users(store).list()}
    assert users == expected
    out = result.output
    assert "riskgrid-demo" in out
    rows = {}
    for line in out.splitlines():
        cells = [c.strip() for c in line.split("│")]
        if len(cells) >= 5:
            rows[cells[1]] = cells[2:5]
    for name, (role, unit) in expected.items():
        assert rows[name][0].startswith(role) and rows[name][1] == (unit or "—"), rows
        assert rows[name][2] == "riskgrid-demo"
    for name in expected:
        assert Users(store).authenticate(name, "riskgrid-demo").username == name
    # again: the accounts are kept, their passwords not changed
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0 and "已存在" in result.output
    store.dispose()
