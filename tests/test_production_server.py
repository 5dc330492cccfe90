"""``riskgrid serve`` runs under waitress (no development server), and what users read is
Chinese: the log-in error page, the HTML briefing's scale bar (no miles, no feet)."""

from __future__ import annotations

import html
import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from etl.households import load_households
from geodata import Store
from geodata.accounts import Users
from geodata.sessions import RedisSessions
from reports.briefing_html import render_html
from tests import test_dashboard_support as support
from tests.factories import county_file, write_csv

COUNTY = "152223"
LATIN = re.compile(r"[A-Za-z]")


@pytest.fixture(scope="module")
def tiny_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return support.build_tiny(tmp_path_factory.mktemp("production") / "tiny.db")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def visible_text(page: str) -> str:
    """The text a browser shows: no tags, attributes, scripts or styles; entities decoded."""
    page = re.sub(r"(?is)<(script|style|title)\b.*?</\1\s*>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r"(?s)<[^>]*>", " ", page)
    return " ".join(html.unescape(page).split())


@contextmanager
def served(url: str, tmp: Path, **env: str) -> Iterator[tuple[str, Any]]:
    """``riskgrid serve`` in a subprocess on a free port; its base URL and a function that
    returns what it has printed so far (stdout and stderr)."""
    port = free_port()
    out = tmp / "serve.out"
    environ = {
        **os.environ,
        "RISKGRID_SECRET_KEY": "s" * 40,
        "PYTHONIOENCODING": "utf-8",
        "COLUMNS": "200",
        **env,
    }
    cmd = [sys.executable, "-m", "riskgrid.cli", "serve", "--port", str(port), "--db", url]
    with out.open("wb") as sink:
        proc = subprocess.Popen(cmd, stdout=sink, stderr=subprocess.STDOUT, env=environ)

    def printed() -> str:
        return out.read_text(encoding="utf-8", errors="replace")

    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, printed()
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"riskgrid serve did not listen:\n{printed()}")
                time.sleep(0.2)
        yield base, printed
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def fetch(opener: Any, url: str, data: dict[str, str] | None = None) -> tuple[int, str, Any]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    try:
        with opener.open(url, data=body, timeout=30) as r:
            return r.status, r.read().decode("utf-8"), r.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8"), exc.headers


def test_serve_runs_waitress_and_the_log_in_error_is_chinese(tiny_url, tmp_path):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with served(tiny_url, tmp_path) as (base, printed):
        status, page, headers = fetch(opener, f"{base}/login")
        assert status == 200 and "用户登录" in page
        assert headers["Server"] == "riskgrid"  # waitress's ident, no version told
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        form = {"csrf": csrf, "next": "/", "username": "nobody", "password": "not-the-password"}
        status, page, _ = fetch(opener, f"{base}/login", form)
        assert status == 401 and "用户名或密码错误" in page
        text = visible_text(page)
        assert not LATIN.search(text), text
        time.sleep(0.5)  # the access log line of the last request
        log = printed()
    assert "development server" not in log.lower() and "do not use it in a production" not in log
    assert "waitress" in log and "8 个线程 threads" in log
    assert f"看板地址 dashboard at {base}/" in log
    assert '"GET /login HTTP/1.1" 200' in log and '"POST /login HTTP/1.1" 401' in log
    assert "not-the-password" not in log and "nobody" not in log


def test_served_app_uses_the_shared_cache_dir_and_the_threads_setting(tiny_url, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {"RISKGRID_LOGIN": "0", "RISKGRID_CACHE_DIR": str(cache), "RISKGRID_THREADS": "3"}
    opener = urllib.request.build_opener()
    with served(tiny_url, tmp_path, **env) as (base, printed):
        assert fetch(opener, f"{base}/")[0] == 200
        status, body, _ = fetch(opener, f"{base}/geojson/grid/{COUNTY}.json")
        assert status == 200 and '"features"' in body
        log = printed()
    assert "3 个线程 threads" in log and "development server" not in log.lower()
    assert any(cache.iterdir()), "the served app did not use RISKGRID_CACHE_DIR"


def test_served_app_keeps_sessions_in_redis_when_configured(tiny_url, tmp_path):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_timeout=2).ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {url}: {exc}")
    db = tmp_path / "accounts.db"
    db.write_bytes(Path(tiny_url.removeprefix("sqlite:///")).read_bytes())
    name, password = f"srv{os.getpid()}{time.time_ns() % 10**6}", "a-long-password-1"
    Users(Store(support.sqlite_url(db))).add(name, password, "county", COUNTY)
    sessions = RedisSessions(url)
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    try:
        with served(support.sqlite_url(db), tmp_path, RISKGRID_REDIS_URL=url) as (base, _):
            page = fetch(opener, f"{base}/login")[1]
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            form = {"csrf": csrf, "next": "/", "username": name, "password": password}
            status, _, _ = fetch(opener, f"{base}/login", form)
            assert status == 200  # redirected to the dashboard, logged in
            assert sessions.client.exists(sessions._user_key(name))
    finally:
        sessions.end_user(name)


def test_a_taken_port_is_a_chinese_error(tiny_url):
    from typer.testing import CliRunner

    from riskgrid.cli import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--port", str(port), "--db", tiny_url])
    assert result.exit_code == 1 and "无法监听" in result.output, result.output


# ---------------------------------------------------------------------- the HTML briefing
def test_html_briefing_scale_is_metric_and_chinese(tiny_url):
    page = render_html(Store(tiny_url), COUNTY)
    assert "L.control.scale()" not in page  # folium's default: metric and imperial
    assert "imperial: false" in page and '" 公里"' in page and '" 米"' in page
    assert 'zoomInTitle: "放大"' in page
    text = visible_text(page)
    assert not re.search(r"\d\s*(mi|ft|km|m)\b", text), text


def test_html_briefing_in_the_browser_shows_no_miles(tiny_url, tmp_path):
    from tests.browser_support import chromium

    path = tmp_path / "brief.html"
    path.write_text(render_html(Store(tiny_url), COUNTY), encoding="utf-8")
    with chromium() as browser:
        page = browser.new_page()
        page.goto(path.as_uri())
        scale = page.locator(".leaflet-control-scale-line")
        assert scale.count() == 1
        label = scale.inner_text()
        assert re.fullmatch(r"\d+ (米|公里)", label), label
        text = page.inner_text("body")
        assert not re.search(r"\d\s*(mi|ft|km)\b", text), text
        titles = page.eval_on_selector_all("a[title]", "els => els.map(e => e.title)")
        assert set(titles) == {"放大", "缩小"}, titles


# ---------------------------------------------------------------------- several workers
def _layout(opener: Any, base: str, page: str) -> str:
    request = urllib.request.Request(f"{base}/_dash-layout", headers={"Referer": base + page})
    with opener.open(request, timeout=30) as r:
        assert r.status == 200
        return r.read().decode("utf-8")


def _pids(log: str) -> set[str]:
    return set(re.findall(r"riskgrid\.access: \[(\d+)\] \S+ \"GET /_dash-layout", log))


def test_several_workers_share_the_redis_cache_and_see_a_new_load(tiny_url, tmp_path):
    """``--workers 2``: gunicorn with two processes, each serving; a month loaded by another
    process while they run is on every worker's next page (no per-process state goes stale)."""
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        client = redis.Redis.from_url(url, socket_timeout=2)
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"no Redis at {url}: {exc}")
    db = tmp_path / "workers.db"
    db.write_bytes(Path(tiny_url.removeprefix("sqlite:///")).read_bytes())
    env = {"RISKGRID_LOGIN": "0", "RISKGRID_REDIS_URL": url, "RISKGRID_THREADS": "2"}
    env["RISKGRID_WORKERS"] = "2"
    before = set(client.keys("riskgrid:cache:*"))
    opener = urllib.request.build_opener()
    with served(support.sqlite_url(db), tmp_path, **env) as (base, printed):
        # HTTP/1.0 from urllib: one connection a request, spread over the workers
        for _ in range(30):
            assert "2024-12" not in _layout(opener, base, f"/unit/{COUNTY}")
        time.sleep(0.5)
        log = printed()
        assert "gunicorn" in log and "2 个进程 workers × 2 个线程 threads" in log
        first = _pids(log)
        assert len(first) == 2, log  # both workers answered
        assert set(client.keys("riskgrid:cache:*")) - before, "no figures in the Redis cache"

        store = Store(support.sqlite_url(db))
        with store.engine.connect() as conn:
            grids = list(
                conn.exec_driver_sql("SELECT code FROM units WHERE level = 'grid'").scalars()
            )
        rows = county_file(25, 75, 15, 45, grids, others=40)
        load_households(store, write_csv(tmp_path / "h2024-12.csv", rows), month="2024-12")
        store.dispose()

        for _ in range(30):
            assert "2024-12" in _layout(opener, base, f"/unit/{COUNTY}")
        time.sleep(0.5)
        assert _pids(printed()) == first
    assert "development server" not in log.lower()


def test_several_workers_on_a_taken_port_is_a_chinese_error(tiny_url):
    from typer.testing import CliRunner

    from riskgrid.cli import app

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        result = CliRunner().invoke(
            app, ["serve", "--port", str(port), "--workers", "2", "--db", tiny_url]
        )
    assert result.exit_code == 1 and "无法监听" in result.output, result.output
