"""The dashboard's database goes away and comes back: no database is made, no 500, no restart.

- The SQLite file moved away (and back) under 100 concurrent requests: while it is away every
  answer is the stale-data message (503, ``Retry-After`` the refresh interval) and no empty
  database appears at its path; once it is back the next request answers 200 with the data.
- The file replaced by something that is not a database, then restored: the same.
- ``riskgrid serve`` and ``create_app`` with a SQLite file that does not exist: a clear Chinese
  error, and still no file.
- PostgreSQL: the dashboard's connections cut from the server side (``pg_terminate_backend``, as a
  restart does; the shared server itself is not restarted): the next requests answer 200.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from dashboard import create_app, errors
from geodata import Store
from geodata.accounts import Users
from geodata.store import DatabaseMissing
from riskgrid.cli import app as cli_app
from riskgrid.settings import Settings
from tests import conftest
from tests.factories import load_tiny_grids
from tests.test_auth import login, router_body
from tests.test_dashboard_support import build_tiny

PASSWORD = "correct-horse-9"
REFRESH = 7  # seconds: the wall's refresh interval, and how soon a stale page asks again
THREADS = 100


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outage") / "tiny.db"
    url = build_tiny(path)
    store = Store(url)
    Users(store).add("admin", PASSWORD, "admin", None)
    store.dispose()
    return path


@pytest.fixture
def live(template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "county.db"
    path.write_bytes(template.read_bytes())
    return path


def signed_in(app: Any) -> str:
    """The session cookie of an admin logged in through the form."""
    client = app.server.test_client()
    assert login(client, "admin").status_code == 302
    cookie = client.get_cookie("riskgrid_session")
    assert cookie is not None
    return cookie.value


def requests_of(county: str) -> list[tuple[str, str, Any]]:
    """What a browser asks: pages, the layout, geometry, a callback, the log-in page."""
    return [
        ("GET", "/", None),
        ("GET", f"/unit/{county}", None),
        ("GET", f"/geojson/grid/{county}.json", None),
        ("GET", "/_dash-layout", None),
        ("POST", "/_dash-update-component", router_body(f"/unit/{county}")),
        ("GET", "/wall", None),
    ]


def ask(client: Any, method: str, path: str, body: Any) -> Any:
    if method == "POST":
        return client.post(path, data=json.dumps(body), content_type="application/json")
    return client.get(path)


class Load:
    """``THREADS`` threads, each with its own client of one session, asking in turn until told
    to stop; every answer recorded with the phase it was asked in."""

    def __init__(self, app: Any, cookie: str, county: str) -> None:
        self.app, self.cookie, self.county = app, cookie, county
        self.phase = "before"
        self.answers: list[tuple[str, str, int, str, str | None]] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(i,)) for i in range(THREADS)]

    def run(self, i: int) -> None:
        client = self.app.server.test_client()
        client.set_cookie("riskgrid_session", self.cookie)
        todo = requests_of(self.county)
        n = i
        while not self.stop.is_set():
            method, path, body = todo[n % len(todo)]
            n += 1
            phase = self.phase
            response = ask(client, method, path, body)
            text = response.get_data().decode("utf-8", "replace")
            with self.lock:
                self.answers.append(
                    (phase, path, response.status_code, text, response.headers.get("Retry-After"))
                )

    def count(self, phase: str) -> int:
        with self.lock:
            return sum(1 for a in self.answers if a[0] == phase)

    def wait_for(self, phase: str, n: int) -> None:
        while self.count(phase) < n:
            self.stop.wait(0.01)

    def __enter__(self) -> Load:
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(60)


def test_sqlite_file_moved_away_and_back_under_100_concurrent_requests(live: Path):
    app = create_app(Settings(db=f"sqlite:///{live}", wall_refresh_seconds=REFRESH))
    store = Store(f"sqlite:///{live}")
    county = store.default_unit().code
    households = store.stats(county)["monitored"]["households"]
    store.dispose()
    away = live.with_name("moved-away.db")
    seen_while_away: list[bool] = []
    with Load(app, signed_in(app), county) as load:
        load.wait_for("before", THREADS)
        live.rename(away)
        load.phase = "away"
        for _ in range(5):  # while requests keep coming, nothing appears at the path
            load.wait_for("away", load.count("away") + 60)
            seen_while_away.append(live.exists())
        away.rename(live)
        load.phase = "back"
        load.wait_for("back", 3 * THREADS)
    answers = load.answers
    assert not any(seen_while_away), "an empty database was made at the path"
    statuses = {p: sorted({a[2] for a in answers if a[0] == p}) for p in ("before", "away", "back")}
    assert 500 not in {a[2] for a in answers}, statuses
    assert not any("Traceback" in a[3] for a in answers)
    # (asked before the move; some were still at the database when it moved)
    assert 200 in statuses["before"] and set(statuses["before"]) <= {200, 503}
    # asked while the file was away (some were already past the database when it moved)
    stale = [a for a in answers if a[0] == "away" and a[2] == 503]
    assert len(stale) >= 250 and {a[2] for a in answers if a[0] == "away"} <= {200, 503}
    assert all(a[4] == str(REFRESH) for a in stale)  # asks again within one refresh interval
    pages = [a for a in stale if not a[1].startswith(("/_dash", "/geojson"))]
    assert pages and all(errors.STALE_TITLE in a[3] and "数据连接中断" in a[3] for a in pages)
    assert all(f'http-equiv="refresh" content="{REFRESH}"' in a[3] for a in pages)
    api = [a for a in stale if a[1].startswith(("/_dash", "/geojson"))]
    assert api and all(json.loads(a[3]) == {"error": errors.STALE_JSON, "stale": True} for a in api)
    # back: every request asked after the file returned is answered, with the data, no restart
    back = [a for a in answers if a[0] == "back"]
    assert {a[2] for a in back} == {200}, sorted({a[2] for a in back})
    unit_pages = [a for a in back if a[1] == "/_dash-update-component"]
    assert unit_pages and all(f"{households:,} 户" in a[3] for a in unit_pages)
    assert Store(f"sqlite:///{live}").stats(county)["monitored"]["households"] == households


def test_a_file_that_is_not_a_database_is_stale_data_until_the_real_one_is_back(live: Path):
    app = create_app(Settings(db=f"sqlite:///{live}", wall_refresh_seconds=REFRESH))
    client = app.server.test_client()
    client.set_cookie("riskgrid_session", signed_in(app))
    assert client.get("/").status_code == 200
    with sqlite3.connect(live) as con:  # the session row into the main file, then a copy
        con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    real = live.read_bytes()
    for suffix in ("-wal", "-shm"):
        Path(f"{live}{suffix}").unlink(missing_ok=True)
    (live.with_name("saved.db")).write_bytes(real)
    live.unlink()
    live.write_bytes(b"this is not a database" * 200)  # another file at the path
    for path in ("/", "/geojson/grid/152223.json", "/login"):
        response = client.get(path)
        assert response.status_code in (200, 503) and "Traceback" not in response.get_data(
            as_text=True
        )
    assert client.get("/").status_code == 503
    live.unlink()
    live.write_bytes(real)  # restored from the copy: a new file, the pool is dropped
    response = client.get("/")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]


def test_serve_and_create_app_never_make_a_database(tmp_path: Path):
    missing = tmp_path / "none.db"
    result = CliRunner().invoke(cli_app, ["serve", "--db", f"sqlite:///{missing}"])
    assert result.exit_code == 1
    assert f"数据库不存在: {missing}" in result.output and "riskgrid migrate" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(DatabaseMissing, match="数据库不存在"):
        create_app(Settings(db=f"sqlite:///{missing}", login=False))
    assert not missing.exists() and not list(tmp_path.iterdir())
    # the commands that make a database still do
    assert CliRunner().invoke(cli_app, ["migrate", "--db", f"sqlite:///{missing}"]).exit_code == 0
    assert missing.exists()
    create_app(Settings(db=f"sqlite:///{missing}", login=False))  # now it opens


@pytest.fixture
def pg_url() -> Iterator[tuple[str, str]]:
    """A schema of its own on the shared PostgreSQL, named in the URL with an application
    name of its own (so that only this test's connections are cut)."""
    conftest._need_pg()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    name = f"riskgrid-outage-{schema}"
    admin = sa.create_engine(conftest.PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    url = f"{conftest.PG_URL}?options=-csearch_path%3D{schema}%2Cpublic&application_name={name}"
    try:
        yield url, name
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text("SET lock_timeout = '20s'"))
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE application_name = :n"
                ),
                {"n": name},
            )
            conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.mark.postgis
def test_postgresql_connections_cut_the_dashboard_recovers_without_a_restart(pg_url):
    url, name = pg_url
    store = Store(url)
    store.migrate()
    load_tiny_grids(store)
    store.dispose()
    app = create_app(Settings(db=url, login=False, secret_key="k" * 40))
    client = app.server.test_client()
    county = "152223"
    paths = ["/", f"/unit/{county}", f"/geojson/grid/{county}.json"]
    assert [client.get(p).status_code for p in paths] == [200, 200, 200]
    admin = sa.create_engine(conftest.PG_URL, isolation_level="AUTOCOMMIT")
    try:
        for _ in range(2):  # twice: the recovered pool recovers again
            with admin.connect() as conn:
                cut = conn.execute(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = :n"
                    ),
                    {"n": name},
                ).scalar()
            assert cut >= 1  # the dashboard's pooled connections, gone as in a restart
            answers = [client.get(p) for p in paths * 2]
            statuses = [r.status_code for r in answers]
            # the cut connections are found before use (pool_pre_ping) and replaced: every
            # answer has the data, none fails, and riskgrid was not restarted
            assert statuses == [200] * len(paths) * 2, statuses
    finally:
        admin.dispose()
        app.server.config["RISKGRID_STORE"].dispose()
