"""The holes of issue 9, tried as an attacker would: forged and replayed sessions, account
enumeration, lock-outs, open redirects, log-out by GET, framing, and probing unit codes.

The data is the small county of ``tests/test_auth.py`` (its ``world`` fixture).
"""

from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import argon2
import pytest
import sqlalchemy as sa
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import Signer
from typer.testing import CliRunner

import geodata.accounts
from dashboard import auth, create_app
from dashboard.sessions import SALT
from geodata import Store, schema
from geodata.access import audit_rows
from geodata.accounts import LOGIN_FAILED, Users
from geodata.private import exposed, exposure_warning
from riskgrid.cli import app as cli_app
from riskgrid.settings import Settings
from tests.test_auth import (  # noqa: F401 (the fixture)
    MAX_FAILURES,
    PASSWORD,
    World,
    csrf,
    logged_in,
    login,
    session_token,
    world,
)

REDIS_URL = os.environ.get("RISKGRID_TEST_REDIS", "redis://127.0.0.1:6379/15")


def make_user(world: World, name: str, role: str = "township") -> None:
    unit = None if role == "admin" else world.townships[0].code
    Users(world.store).add(name, PASSWORD, role, unit)


def client_from(world: World, address: str) -> Any:
    client = world.app.server.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


# ---------------------------------------------------------------------- log-in answers
def test_unknown_name_wrong_password_and_waiting_address_get_the_same_page(
    world: World, monkeypatch
):
    make_user(world, "same1")
    client = world.app.server.test_client()
    token = csrf(client)

    def attempt(username: str, password: str) -> Any:
        data = {"username": username, "password": password, "csrf": token, "next": "/"}
        return client.post("/login", data=data)

    # the same key-derivation work for every attempt: one Argon2 verification, same parameters
    calls: list[str] = []
    real_verify = geodata.accounts._verify

    def counting(hash_: str, password: str) -> bool:
        calls.append(hash_)
        return real_verify(hash_, password)

    monkeypatch.setattr(geodata.accounts, "_verify", counting)
    answers = {"unknown": attempt("no-such-user-7", PASSWORD)}
    for _ in range(MAX_FAILURES):
        answers["wrong"] = attempt("same1", "wrong-password-1")
    answers["waiting"] = attempt("same1", PASSWORD)  # right password, but this address waits
    assert len(calls) == 1 + MAX_FAILURES + 1
    params = {repr(argon2.extract_parameters(h)) for h in calls}
    assert len(params) == 1, params
    bodies = {k: (r.status_code, r.get_data()) for k, r in answers.items()}
    assert bodies["unknown"] == bodies["wrong"] == bodies["waiting"]
    status, body = bodies["unknown"]
    assert status == 401 and LOGIN_FAILED in body.decode()
    assert "no-such-user-7" not in body.decode() and "same1" not in body.decode()
    # the audit log tells them apart
    unknown = audit_rows(world.store, username="no-such-user-7")
    assert [(r["action"], r["detail"]) for r in unknown] == [("login_failed", "unknown account")]
    actions = [(r["action"], r["detail"]) for r in audit_rows(world.store, username="same1")]
    assert [a for a, _ in actions] == ["login_failed"] * MAX_FAILURES + ["login_throttled"]
    assert actions[0][1].startswith("wrong password")
    assert "waits until" in actions[-1][1]


def test_wrong_passwords_from_one_address_do_not_lock_out_another(world: World):
    make_user(world, "boss", "admin")
    attacker = client_from(world, "10.9.9.9")
    for _ in range(20):
        assert login(attacker, "boss", "wrong-password-x").status_code == 401
    assert login(attacker, "boss", PASSWORD).status_code == 401  # that address waits
    colleague = client_from(world, "10.1.1.1")
    response = login(colleague, "boss", PASSWORD)
    assert response.status_code == 302 and colleague.get("/").status_code == 200
    # the admin clears the waits: the first address may try again at once
    result = CliRunner().invoke(cli_app, ["users", "unlock", "boss", "--db", world.url])
    assert result.exit_code == 0, result.output
    assert login(client_from(world, "10.9.9.9"), "boss", PASSWORD).status_code == 302
    rows = audit_rows(world.store)
    unlock = [r for r in rows if r["action"] == "user_unlocked" and r["target"] == "boss"]
    assert len(unlock) == 1 and unlock[0]["username"].startswith("cli")


def test_users_passwd_sets_a_new_password_and_ends_the_sessions(world: World):
    make_user(world, "mover")
    client = logged_in(world, "mover")
    assert client.get("/").status_code == 200
    runner = CliRunner()
    short = runner.invoke(
        cli_app, ["users", "passwd", "mover", "--password-stdin", "--db", world.url], input="x\n"
    )
    assert short.exit_code == 1 and "至少8位" in short.output
    result = runner.invoke(
        cli_app,
        ["users", "passwd", "mover", "--password-stdin", "--db", world.url],
        input="a-brand-new-pass\n",
    )
    assert result.exit_code == 0 and "sessions ended: 1" in result.output, result.output
    assert client.get("/").status_code == 302  # its session ended at once
    assert login(world.app.server.test_client(), "mover", PASSWORD).status_code == 401
    assert login(world.app.server.test_client(), "mover", "a-brand-new-pass").status_code == 302
    changed = [r for r in audit_rows(world.store) if r["action"] == "password_changed"]
    assert [r["target"] for r in changed] == ["mover"]
    unknown = runner.invoke(
        cli_app,
        ["users", "passwd", "nobody-here", "--password-stdin", "--db", world.url],
        input="x" * 9,
    )
    assert unknown.exit_code == 1 and "user not found" in unknown.output


# ---------------------------------------------------------------------- sessions
def test_log_out_is_a_post_with_the_token_and_the_cookie_dies_with_it(world: World):
    make_user(world, "leaver2")
    client = logged_in(world, "leaver2")
    cookie = client.get_cookie(auth.SESSION_COOKIE).value
    # a GET (a link, an <img src=/logout> on some page) changes nothing
    response = client.get("/logout")
    assert response.status_code == 200 and 'method="post"' in response.get_data(as_text=True)
    assert client.get("/").status_code == 200
    # a POST without the token changes nothing either (cross-site log-out)
    assert client.post("/logout", data={}).status_code == 200
    assert client.get("/").status_code == 200
    response = client.post("/logout", data={"csrf": session_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get("/").status_code == 302
    # the same cookie, replayed after log-out, is refused
    replay = world.app.server.test_client()
    replay.set_cookie(auth.SESSION_COOKIE, cookie)
    assert replay.get("/").status_code == 302
    assert replay.post("/_dash-update-component", json={}).status_code == 401
    assert "logout" in [r["action"] for r in audit_rows(world.store, username="leaver2")]


def test_a_disabled_account_ends_its_sessions_at_once(world: World):
    make_user(world, "leaver3")
    client = logged_in(world, "leaver3")
    result = CliRunner().invoke(cli_app, ["users", "disable", "leaver3", "--db", world.url])
    assert result.exit_code == 0 and "sessions ended: 1" in result.output, result.output
    assert client.get("/").status_code == 302
    assert login(world.app.server.test_client(), "leaver3").status_code == 401
    with world.store.engine.connect() as conn:
        left = conn.execute(
            sa.select(sa.func.count()).where(schema.sessions.c.username == "leaver3")
        ).scalar()
    assert left == 0


def every_stored_text(store: Store) -> set[str]:
    """Every text value in every table of the database (what a copied file gives away)."""
    values: set[str] = set()
    inspector = sa.inspect(store.engine)
    with store.engine.connect() as conn:
        for table in inspector.get_table_names():
            for row in conn.execute(sa.text(f'SELECT * FROM "{table}"')).all():
                values.update(v for v in row if isinstance(v, str) and 8 <= len(v) <= 4000)
    return values


def test_a_cookie_made_from_anything_in_the_database_is_refused(world: World):
    logged_in(world, "admin")  # a live admin session is in the database too
    values = every_stored_text(world.store)
    assert any(len(v) == 64 and re.fullmatch(r"[0-9a-f]+", v) for v in values)  # session ids
    assert world.store.meta("session_secret") is None
    flask_style = SecureCookieSessionInterface()
    payload = {"_user_id": "admin", "_fresh": True, auth.LOGIN_AT: int(time.time())}
    tried = 0
    for value in sorted(values)[:400]:
        world.app.server.secret_key_backup = world.app.server.secret_key
        forged = []
        # a Flask signed-cookie session signed with the value as the key
        world.app.server.secret_key = value
        forged.append(flask_style.get_signing_serializer(world.app.server).dumps(payload))
        world.app.server.secret_key = world.app.server.secret_key_backup
        # riskgrid's own cookie format, the value as key and as token
        signer = Signer(value, salt=SALT, key_derivation="hmac", digest_method="sha256")
        forged.append(signer.sign(value).decode())
        forged.append(value)
        for cookie in forged:
            client = world.app.server.test_client()
            client.set_cookie(auth.SESSION_COOKIE, cookie)
            assert client.get("/").status_code == 302, value[:40]
            tried += 1
    assert tried >= 60


def test_database_and_key_file_are_private_and_exposure_is_warned(tmp_path: Path):
    old = os.umask(0o022)
    try:
        db = tmp_path / "county.db"
        url = f"sqlite:///{db}"
        assert CliRunner().invoke(cli_app, ["migrate", "--db", url]).exit_code == 0
        assert stat.S_IMODE(db.stat().st_mode) == 0o600
        app = create_app(Settings(db=url))  # what riskgrid serve starts
        key = tmp_path / "county.db.key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert app.server.secret_key == key.read_text().strip() and len(app.server.secret_key) >= 40
        # a second worker of the install signs with the same key
        assert create_app(Settings(db=url)).server.secret_key == app.server.secret_key
        for suffix in ("-wal", "-shm"):  # SQLite gives its side files the database's mode
            side = Path(str(db) + suffix)
            if side.exists():
                assert not exposed(side), suffix
        assert auth.exposure_warnings(Settings(db=url)) == []
        db.chmod(0o644)
        warnings = auth.exposure_warnings(Settings(db=url))
        assert len(warnings) == 1 and "chmod 600" in warnings[0] and "0644" in warnings[0]
        assert exposure_warning(key) is None
        # the key from the settings wins, and then no key file is needed
        given = create_app(Settings(db=url, secret_key="k" * 40))
        assert given.server.secret_key == "k" * 40
    finally:
        os.umask(old)


# ---------------------------------------------------------------------- redirects, headers
NEXT_VARIANTS = [
    "//evil.example",
    "//evil.example/x",
    "/\t/evil.example",
    "/%09/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "\\/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "//evil.example@localhost",
    "/\t\\evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "\x00//evil.example",
    "/\x0b/evil.example",
    "///evil.example",
    "////evil.example",
    "https:/\\evil.example",
    "evil.example",
    "/login?next=//evil.example",
    "%2F%2Fevil.example",
]


def browser_target(location: str) -> tuple[str, str]:
    """Where a browser goes for a Location header: tabs and newlines dropped, backslashes read
    as slashes (the WHATWG URL parser), resolved against the site."""
    cleaned = re.sub(r"[\t\n\r]", "", location).replace("\\", "/").strip("\x00 ")
    parts = urlsplit(cleaned)
    return parts.scheme, parts.netloc


@pytest.mark.parametrize("target", NEXT_VARIANTS, ids=range(len(NEXT_VARIANTS)))
def test_every_next_variant_ends_on_a_local_page(world: World, target: str):
    from urllib.parse import unquote

    for value in (target, unquote(target)):
        client = world.app.server.test_client()
        response = login(client, "township", PASSWORD, next_=value)
        assert response.status_code == 302
        location = response.headers["Location"]
        assert location.startswith("/") and browser_target(location) == ("", ""), location
        assert not location.startswith(("//", "/\\")), location


def test_a_local_next_is_kept(world: World):
    target = f"/unit/{world.townships[0].code}?month={world.months[0]}"
    response = login(world.app.server.test_client(), "township", PASSWORD, next_=target)
    assert response.headers["Location"] == target


def test_pages_refuse_to_be_framed_and_allow_only_their_own_scripts(world: World):
    client = logged_in(world, "township")
    anonymous = world.app.server.test_client()
    for response in (
        client.get("/"),
        client.get(f"/unit/{world.townships[0].code}"),
        client.get("/_dash-layout"),
        client.get("/unit/000000"),
        anonymous.get("/login"),
    ):
        assert response.headers["X-Frame-Options"] == "DENY"
        policy = response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in policy
        scripts = re.search(r"script-src ([^;]+)", policy).group(1)
        assert (
            "'self'" in scripts and "unsafe-inline" not in scripts and "unsafe-eval" not in scripts
        )
        assert "http" not in policy  # no other host
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_an_outside_unit_answers_exactly_as_an_unknown_one(world: World):
    client = logged_in(world, "township")
    t1 = world.townships[1]
    outside_grid = world.store.children(world.store.children(t1.code)[0].code)[0]
    household = world.store.households_frame(world.months[-1], unit=t1).iloc[0]["household_id"]
    pairs = [
        (f"/unit/{t1.code}", "/unit/152223199"),
        (f"/grid/{outside_grid.code}", "/grid/152223199001001"),
        (f"/unit/{world.county2.code}", "/unit/999999"),
        (f"/household/{household}", "/household/NO-SUCH-HOUSEHOLD"),
        (f"/geojson/grid/{t1.code}.json", "/geojson/grid/152223199.json"),
        (f"/geojson/village/{world.county2.code}.json", "/geojson/village/999999.json"),
    ]
    for outside, unknown in pairs:
        a, b = client.get(outside), client.get(unknown)
        assert a.status_code == b.status_code == 404, (outside, a.status_code, b.status_code)
        # byte for byte, but for the code shown as typed
        shown_a, shown_b = (outside.split("/")[-1], unknown.split("/")[-1])
        assert a.get_data().replace(shown_a.encode(), b"CODE") == b.get_data().replace(
            shown_b.encode(), b"CODE"
        ), (outside, unknown)
        assert t1.name not in a.get_data(as_text=True)
    # and a client-side navigation (the router callback) answers them alike too
    from tests.test_auth import render

    for outside, unknown in pairs[:4]:
        assert render(client, outside) == render(client, unknown), outside
    # a viewer asking for a household is refused for its role (which tells nothing of the unit)
    wall = logged_in(world, "wall")
    status, body = render(wall, f"/household/{household}")
    assert status == 200 and "无权查看" in body
    assert render(wall, f"/household/{household}") == render(wall, "/household/NO-SUCH-HOUSEHOLD")
    # the refusals are in the audit log all the same
    denied = [
        r["target"] for r in audit_rows(world.store, username="township") if r["action"] == "denied"
    ]
    assert t1.code in denied


# ---------------------------------------------------------------------- Redis
def test_sessions_in_redis_end_at_log_out_for_every_worker(world: World):
    import redis

    client_r = redis.Redis.from_url(REDIS_URL)
    client_r.ping()  # Redis runs on this machine kind: a failure here is a real failure
    settings = Settings(db=world.url, redis_url=REDIS_URL, secret_key="r" * 40)
    first, second = create_app(settings), create_app(settings)
    make_user(world, "redis1")
    client = first.server.test_client()
    assert login(client, "redis1").status_code == 302
    cookie = client.get_cookie(auth.SESSION_COOKIE).value
    keys = [k.decode() for k in client_r.keys("riskgrid:s:*")]
    assert keys and all(cookie.split(".")[0] not in k for k in keys)  # hashed, not the token
    other = second.server.test_client()
    other.set_cookie(auth.SESSION_COOKIE, cookie)
    assert other.get("/").status_code == 200  # another worker knows the session
    with world.store.engine.connect() as conn:  # and nothing of it is in the database
        stored = conn.execute(
            sa.select(sa.func.count()).where(schema.sessions.c.username == "redis1")
        ).scalar()
    assert stored == 0
    assert client.post("/logout", data={"csrf": session_token(client)}).status_code == 302
    assert other.get("/").status_code == 302  # ended for every worker
    client_r.flushdb()


def test_database_sessions_on_each_backend(store):
    """The ``sessions`` table on SQLite and PostGIS: stored under the token's hash, expired on
    the server, ended per user."""
    from geodata.sessions import DbSessions, token_id

    sessions = DbSessions(store)
    sessions.put("token-a", {"_user_id": "u1", "x": "甲"}, "u1", 60)
    sessions.put("token-b", {"_user_id": "u1"}, "u1", 60)
    sessions.put("token-c", {"_user_id": "u2"}, "u2", 60)
    assert sessions.get("token-a") == {"_user_id": "u1", "x": "甲"}
    with store.engine.connect() as conn:
        ids = set(conn.execute(sa.select(schema.sessions.c.id)).scalars())
    assert ids == {token_id(t) for t in ("token-a", "token-b", "token-c")}
    assert "token-a" not in ids
    sessions.put("token-a", {"_user_id": "u1", "x": "乙"}, "u1", 60)  # an update, not a new row
    assert sessions.get("token-a")["x"] == "乙"
    assert sessions.end_user("u1") == 2
    assert sessions.get("token-a") is None and sessions.get("token-c") == {"_user_id": "u2"}
    sessions.put("token-d", {"_user_id": "u3"}, "u3", 0)  # expires at once
    assert sessions.get("token-d") is None
    sessions.delete("token-c")
    assert sessions.get("token-c") is None
