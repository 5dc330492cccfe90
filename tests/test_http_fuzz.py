"""HTTP fuzz: every route and every callback, with hostile and mutated requests, for every role.

The callbacks come from ``/_dash-dependencies``; each is first called with a valid body (the
renderer's, valued with the role's own unit, grid and household), then with bodies mutated
from it by a seeded random generator (values swapped for hostile ones, keys dropped, types
changed, inputs added or taken away), and with a fixed list of malformed bodies. Pages, the
geometry route, Dash's script route and the assets get hostile addresses (bad months and codes,
full-width digits, a lone surrogate, control characters, traversal attempts).

Asserted for every response: no 500 (only 200, 204, 400, 403 or 404), no traceback in the body,
and in an answer with status 200 nothing of a unit outside the role's area (codes, names,
counts, households: ``tests.test_auth.secrets_of``).

The data is the small county of ``tests/test_auth.py`` (its ``world`` fixture).
"""

from __future__ import annotations

import copy
import json
import logging
import random
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, quote

import pytest

from geodata.model import LEVELS
from tests import test_auth
from tests.test_auth import (
    World,
    callback_body,
    forged_values,
    home_numbers,
    inside_target,
    logged_in,
    outside_targets,
    post_callback,
    secrets_of,
    server_callbacks,
)

world = test_auth.world  # the small county with an account of every role (module scope)

SEED = 14
MUTATIONS_PER_CALLBACK = 8  # twice per callback, from a random valid body
ROLES = ["admin", "county", "township", "village", "wall"]
ALLOWED = {200, 204, 302, 400, 403, 404}  # 302: /login to a logged-in user
TRACEBACK = re.compile(r'Traceback|File "|\.py", line')
SEARCH = re.compile(r'"search":\s*"(\?[^"]*)"')
MONTH = re.compile(r"\b\d{4}-\d{2}\b")
TYPED = re.compile(r'<p id="rg-typed">.*?</p>', re.S)  # the code as typed, echoed

HOSTILE_VALUES: list[Any] = [
    None,
    "",
    "2026-13",
    "9999-99",
    "２０２６－１０",
    "\ud800",
    "152223\n",
    "１５２２",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "x" * 5000,
    0,
    -1,
    2**63,
    1e308,
    float("inf"),
    True,
    [],
    {},
    [None],
    {"points": None},
    {"points": [None]},
    {"points": [{"location": "\ud800", "customdata": ["\ud800"]}]},
    {"code": None, "month": "2026-13"},
    {"code": "9999-99", "month": "２０２６－１０", "show": 5},
    {"id": None, "month": []},
]

MALFORMED_BODIES: list[Any] = [
    None,
    [],
    {},
    "x",
    1,
    {"output": "a.children"},
    {"output": 5, "inputs": 5},
    {"output": "nope.children", "outputs": {"id": "nope", "property": "children"}, "inputs": []},
]


def checked(response: Any, where: Any) -> str:
    """The body of ``response``, after asserting its status and that it holds no traceback."""
    body = response.get_data().decode("utf-8", "replace")
    assert response.status_code in ALLOWED, (where, response.status_code, body[:300])
    assert not TRACEBACK.search(body), (where, body[:300])
    return body


def mutations(base: dict[str, Any], rng: random.Random) -> Iterator[dict[str, Any]]:
    """Bodies mutated from the valid ``base``: one to three changes each."""
    for _ in range(MUTATIONS_PER_CALLBACK):
        body = copy.deepcopy(base)
        for _ in range(rng.randint(1, 3)):
            mutate(body, rng)
        yield body


def mutate(body: dict[str, Any], rng: random.Random) -> None:
    kind = rng.choice(["value", "value", "value", "drop", "type", "extra", "short", "prop"])
    items = [
        i
        for key in ("inputs", "state")
        if isinstance(body.get(key), list)
        for i in body[key]
        if isinstance(i, dict)
    ]
    if kind == "value" and items:
        rng.choice(items)["value"] = copy.deepcopy(rng.choice(HOSTILE_VALUES))
    elif kind == "drop":
        body.pop(rng.choice(["output", "outputs", "inputs", "state", "changedPropIds"]), None)
    elif kind == "type":
        key = rng.choice(["output", "outputs", "inputs", "state", "changedPropIds"])
        body[key] = copy.deepcopy(rng.choice([None, 5, "x", {}, [None], [[]], {"id": 1}]))
    elif kind == "extra" and isinstance(body.get("inputs"), list):
        body["inputs"].append({"id": "rg-x", "property": "value", "value": 1})
    elif kind == "short" and isinstance(body.get("inputs"), list):
        body["inputs"] = body["inputs"][:-1]
    elif kind == "prop" and items:
        rng.choice(items)["property"] = rng.choice(["nope", "", "children"])


def secrets_for(w: World, username: str) -> list[tuple[list[re.Pattern[str]], set[str]]]:
    if username == "admin":
        return []
    allowed = home_numbers(w, username)
    out = []
    for t in outside_targets(w, username):
        codes, plain = secrets_of(w, t, allowed)
        if not t.name_secret:  # the unit above the user's: its code begins the user's own codes
            codes = codes[1:]  # (and every masked ID number of the area, 152223********2311)
        out.append((codes, plain))
    return out


def sent_addresses(value: Any) -> set[str]:
    """The addresses and query strings in a request body (a page may write them back)."""
    if isinstance(value, str):
        return {value} if ("?" in value or "/" in value) else set()
    if isinstance(value, dict):
        return set().union(set(), *(sent_addresses(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(sent_addresses(v) for v in value))
    return set()


def assert_in_area(
    body: str,
    secrets: list[tuple[list[re.Pattern[str]], set[str]]],
    where: Any,
    sent: Any = None,
) -> None:
    """Nothing of a unit outside the area in ``body`` (but the code typed in an address, and an
    address the request itself sent, written back)."""
    body = TYPED.sub("", body)
    addresses = sent_addresses(sent)
    for echo in sorted(addresses, key=len, reverse=True):
        body = body.replace(json.dumps(echo)[1:-1], "").replace(echo, "")
    sent_values = {v for a in addresses for _, v in parse_qsl(a.partition("?")[2])}

    def echoed(match: re.Match[str]) -> str:  # a query string of the request's own values
        values = [v for _, v in parse_qsl(match.group(1).lstrip("?"))]
        return "" if all(v in sent_values or v in w_months for v in values) else match.group(0)

    w_months = set(MONTH.findall(body))
    body = SEARCH.sub(echoed, body)
    escaped = body.encode().decode("unicode_escape", errors="ignore") if "\\u" in body else body
    for codes, plain in secrets:
        for pattern in codes:
            found = pattern.search(body)
            assert not found, (
                where,
                pattern.pattern,
                body[max(0, found.start() - 300) : found.end() + 80],
                sent,
            )
        for text in plain:
            assert text not in body and text not in escaped, (where, text)


@pytest.fixture(scope="module")
def fuzz_clients(world: World) -> dict[str, Any]:
    return {name: logged_in(world, name) for name in ROLES}


@pytest.mark.parametrize("username", ROLES)
def test_no_callback_body_gets_a_500_a_traceback_or_data_outside_the_area(
    world: World, fuzz_clients: dict[str, Any], username: str
):
    client = fuzz_clients[username]
    rng = random.Random(f"{SEED}-{username}")
    secrets = secrets_for(world, username)
    outside = outside_targets(world, username) if username != "admin" else []
    # the unit page, the grid page and a household's, of the role's own area
    values = forged_values(inside_target(world, username), world.months)[:3]
    for t in outside:  # and a unit outside the area (tests/test_auth.py tries every scenario)
        values += forged_values(t, world.months)[:1]
    statuses: dict[int, int] = {}
    deps = server_callbacks(client)
    assert len(deps) >= 12
    for dep in deps:
        bases = [callback_body(dep, v, rng.randrange(len(dep["inputs"]))) for v in values]
        mutated = [m for _ in range(2) for m in mutations(rng.choice(bases), rng)]
        for body in bases + mutated:
            response = post_callback(client, body)
            text = checked(response, (dep["output"], body))
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            if response.status_code == 200:
                assert_in_area(text, secrets, dep["output"], body)
    for body in MALFORMED_BODIES:
        response = client.post(
            "/_dash-update-component", data=json.dumps(body), content_type="application/json"
        )
        checked(response, body)
        assert response.status_code == 400 and "请求无效" in response.get_json()["error"]
    deep = b"[" * 100_000 + b"]" * 100_000
    for raw in (b"not json", b'{"output": "\\ud800"', b"\xff\xfe", b"", deep):
        response = client.post("/_dash-update-component", data=raw, content_type="text/plain")
        assert checked(response, raw) and response.status_code == 400
    # the valid bodies were answered, the mutated ones mostly refused
    assert statuses.get(200, 0) > 40 and statuses.get(400, 0) > 100, statuses


HOSTILE_MONTHS = ["2026-13", "9999-99", "", "２０２６－１０", "\ud800", "2026-1", None, 202610]


def test_hostile_months_in_every_callback(world: World, fuzz_clients: dict[str, Any]):
    """Every callback, with each hostile month in every input and state that carries one (the
    month dropdowns, a page's context store, the address's ?month=), the briefing's included."""
    client = fuzz_clients["county"]
    t = inside_target(world, "county")
    statuses = []
    for month in HOSTILE_MONTHS:
        base = forged_values(t, world.months)[0]

        def value(cid: str, prop: str, month: Any = month, base: Any = base) -> Any:
            plain = base(cid, prop)
            if prop == "value" and "month" in cid:
                return month
            if prop == "search":
                return f"?month={month}"
            if isinstance(plain, dict) and "month" in plain:
                return {**plain, "month": month}
            return plain

        for dep in server_callbacks(client):
            for trigger in range(len(dep["inputs"])):
                response = post_callback(client, callback_body(dep, value, trigger))
                checked(response, (dep["output"], month))
                statuses.append(response.status_code)
    brief = next(d for d in server_callbacks(client) if d["output"] == "brief-download.data")
    for month in [m for m in HOSTILE_MONTHS if m is not None]:  # (None: the latest month)
        ctx = {"code": t.unit.code, "month": month}
        body = callback_body(brief, lambda cid, prop, ctx=ctx: ctx if prop == "data" else 1)
        response = post_callback(client, body)
        checked(response, ("brief", month))
        assert response.status_code in (204, 400, 404), (month, response.status_code)
    assert statuses.count(200) > 20, statuses


def hostile_paths(w: World) -> list[str]:
    grid = w.villages[w.townships[0].code][0]
    grid_code = w.store.children(grid.code)[0].code
    codes = ["１５２２", "152223%0A", "%ED%A0%80", "%00", "..%2F..%2Fetc", "x" * 300, grid_code]
    months = ["2026-13", "9999-99", "", quote("２０２６－１０"), "%ED%A0%80"]
    paths = [
        f"/{kind}/{code}" for kind in ("unit", "grid", "problems", "household") for code in codes
    ]
    paths += [f"/unit/{w.county.code}?month={m}" for m in months]
    paths += [f"/?month={m}" for m in months] + [f"/sites?month={m}" for m in months]
    paths += [f"/wall?unit={c}&tour=%ED%A0%80" for c in codes]
    paths += [f"/geojson/{level}/{code}.json" for level in (*LEVELS, "zzz") for code in codes]
    paths += [f"/geojson/village/{grid_code}.json", f"/geojson/township/{grid_code}.json"]
    paths += [
        "/nope",
        "/404",
        "/unit/1/2",
        "/_dash-component-suites/../../etc/passwd",
        "/_dash-component-suites/dash/..%2f..%2fsetup.py",
        "/_dash-component-suites/dash/../../../../etc/passwd",
        "/_dash-component-suites/dash/deps/nope.js",
        "/_dash-component-suites/nope/x.js",
        "/_dash-component-suites/dash/%ED%A0%80.js",
        "/assets/../../etc/passwd",
        "/assets/..%2f..%2fetc/passwd",
        "/assets/%2e%2e/%2e%2e/etc/passwd",
        "/assets/nope.css",
        "/_dash-layout?x=%ED%A0%80",
        "/_dash-dependencies",
        "/_reload-hash",
        "/_alive_nope",
        "/logout",
        "/login?next=%ED%A0%80",
        "/%ED%A0%80",
        "/%0A",
    ]
    return paths


@pytest.mark.parametrize("username", ROLES)
def test_no_route_gets_a_500_a_traceback_or_data_outside_the_area(
    world: World, fuzz_clients: dict[str, Any], username: str
):
    client = fuzz_clients[username]
    secrets = secrets_for(world, username)
    rules = [r for r in world.app.server.url_map.iter_rules() if "GET" in (r.methods or ())]
    assert len(rules) >= 6
    paths = hostile_paths(world)
    for rule in rules:  # every route, its variables filled with hostile text
        filled = re.sub(r"<[^>]+>", "%ED%A0%80", rule.rule)
        paths += [filled, re.sub(r"<[^>]+>", "..%2F..", rule.rule)]
    for path in paths:
        response = client.get(path)
        body = checked(response, path)
        if response.status_code == 200:
            assert_in_area(body, secrets, path)
        if path.startswith("/_dash-component-suites/") or path.startswith("/assets/"):
            assert response.status_code == 404, path
    for method in ("POST", "PUT", "DELETE"):
        for path in ("/", "/unit/152223", "/geojson/grid/152223.json", "/_dash-layout"):
            response = client.open(path, method=method)
            body = response.get_data().decode("utf-8", "replace")
            assert response.status_code in (400, 404, 405), (method, path, response.status_code)
            assert not TRACEBACK.search(body) and "Method Not Allowed" not in body


def test_not_found_shows_the_code_as_typed_in_chinese(world: World, fuzz_clients: dict[str, Any]):
    client = fuzz_clients["township"]
    for path, shown in [
        ("/unit/１５２２", "１５２２"),
        ("/unit/152223%0A", "152223\\x0a"),
        ("/grid/%3Cb%3E1", "&lt;b&gt;1"),
        (f"/unit/{world.townships[1].code}", world.townships[1].code),  # outside: as unknown
        ("/household/NO-SUCH", "NO-SUCH"),
    ]:
        response = client.get(path)
        body = response.get_data(as_text=True)
        assert response.status_code == 404 and "未找到" in body, path
        assert f"<code>{shown}</code>" in body, (path, TYPED.findall(body))
        assert "%EF" not in body and "Not Found" not in body
    # geometry of a level above the unit's: 404 JSON, not a 500
    grid = world.store.children(world.villages[world.townships[0].code][0].code)[0]
    response = client.get(f"/geojson/village/{grid.code}.json")
    assert response.status_code == 404 and response.get_json() == {"error": "未找到 (not found)"}


def test_an_unforeseen_error_is_logged_once_with_an_id_the_page_shows(
    world: World, fuzz_clients: dict[str, Any], monkeypatch
):
    from dashboard import geo

    def broken(*_: Any) -> bytes:
        raise RuntimeError("boom")

    monkeypatch.setattr(geo, "geojson_body", broken)
    client = fuzz_clients["admin"]
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append  # type: ignore[method-assign]
    # on the app's own logger ("dashboard", Flask's too): ``riskgrid serve`` stops it propagating
    logging.getLogger("dashboard").addHandler(handler)
    try:
        response = client.get(f"/geojson/grid/{world.county.code}.json")
    finally:
        logging.getLogger("dashboard").removeHandler(handler)
    assert response.status_code == 500
    payload = response.get_json()
    assert payload["error"] == "服务器内部错误 (internal error)" and "boom" not in str(payload)
    request_id = payload["id"]
    assert re.fullmatch(r"[0-9a-f]{12}", request_id)
    assert response.headers["X-Request-Id"] == request_id
    assert len(records) == 1 and request_id in records[0].getMessage()  # once, with the id
    assert records[0].exc_info and "boom" in str(records[0].exc_info[1])
    # a page: the same, as a short Chinese page with the id
    monkeypatch.setattr("dashboard.page_status.page_refusal", lambda *a: broken())
    response = client.get("/")
    body = response.get_data(as_text=True)
    assert response.status_code == 500 and "服务器内部错误" in body
    assert re.search(r"编号 [0-9a-f]{12}", body) and not TRACEBACK.search(body)
