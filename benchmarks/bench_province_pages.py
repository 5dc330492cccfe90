"""A province's pages on the production server (issue 15): first view, county pages, memory.

Against an existing province database (``riskgrid demo --scale province --counties 100``,
migrated; the problem list synced once, which this script does first when it is not), it starts
``riskgrid serve`` (waitress, log-in off) on 127.0.0.1 and prints:

1. the province's first view in headless Chromium (Debian's /usr/bin/chromium through
   Playwright): the seconds from the address to the map drawn
   (``.rg-map .js-plotly-plot[data-drawn='1']``, its ``data-drawn-at``) and to the network
   idle (the last response), and the bytes on the wire, all of them and the data alone
   (everything but scripts, styles and fonts); for a fresh server (its first request), then a
   warm one (a new browser, the server's caches filled), then a warm browser too;
2. a county page's server time: the layout request of ``/unit/<county>`` as the browser makes
   it (``/_dash-layout`` with the page as ``Referer``: the page rendered in the app's layout),
   timed on loopback for ``--counties`` - 1 counties, first build and again (cached), p50 and
   p95 (the last county is opened in Chromium instead, for comparison), then the geometry its
   map names by URL (``/geojson/grid/<county>.json``, which the browser fetches beside the
   layout), first and again; a city page the same;
3. the server process's peak resident memory (psutil, sampled every 0.1 s, with its children);
4. the plain way in the same run: one ``choroplethmap`` of every grid of the province (the
   stored simplified outlines, coloured by risk level) as a figure JSON, its size and the
   seconds to build it, and drawn by plotly.js in the same Chromium (``--no-plain``: skipped).

Screenshots of the province's page and of a city's page go to ``--out``. It asserts nothing.

    python benchmarks/bench_province_pages.py [URL] [--port 8071] [--counties 20] [--out DIR]
"""

from __future__ import annotations

import argparse
import http.server
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_URL = "postgresql://root@127.0.0.1:5432/lod100"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
VIEWPORT = {"width": 1440, "height": 900}
DRAWN = ".rg-map .js-plotly-plot[data-drawn='1']"
STATIC = ("/_dash-component-suites/", "/assets/", "/_favicon", "/favicon")


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (linear, as numpy's default)."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    k = (len(ordered) - 1) * q / 100
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


class Memory(threading.Thread):
    """The peak RSS of a process and its children, sampled."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.proc, self.peak, self.stop = psutil.Process(pid), 0, threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                procs = [self.proc, *self.proc.children(recursive=True)]
                self.peak = max(self.peak, sum(p.memory_info().rss for p in procs))
            except psutil.Error:
                pass
            time.sleep(0.1)


def start_server(url: str, port: int, work: Path) -> subprocess.Popen:
    env = dict(os.environ, RISKGRID_SECRET_KEY_FILE=str(work / "riskgrid.key"), RISKGRID_LOGIN="0")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    cmd = [sys.executable, "-m", "riskgrid.cli", "serve", "--db", url, "--port", str(port)]
    log = open(work / "server.log", "w", encoding="utf-8")  # noqa: SIM115 (the child's)
    server = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 180
    while time.time() < deadline:
        if server.poll() is not None:
            sys.exit(f"server exited ({server.returncode}); see {work / 'server.log'}")
        try:  # a static file: the server answers, no page is built yet
            urllib.request.urlopen(
                f"http://127.0.0.1:{port}/assets/riskgrid.css", timeout=5
            ).close()
            return server
        except OSError:
            time.sleep(0.3)
    server.terminate()
    sys.exit("server did not answer within 180 s")


def open_page(browser: Any, url: str, ctx: Any = None, shot: Path | None = None) -> dict:
    """One page load: seconds to the map drawn and to the last response, bytes on the wire."""
    own = ctx is None
    ctx = ctx or browser.new_context(viewport=VIEWPORT, service_workers="block")
    page = ctx.new_page()
    done: list[Any] = []
    page.on("requestfinished", lambda r: done.append(r))
    started = time.time()
    page.goto(url, wait_until="commit", timeout=180_000)
    page.wait_for_selector(DRAWN, state="attached", timeout=180_000)
    page.wait_for_load_state("networkidle", timeout=180_000)
    drawn_ms = float(page.get_attribute(DRAWN, "data-drawn-at") or 0)
    ends, total, data, steps = [], 0, 0, {}
    for r in done:
        try:
            sizes = r.sizes()
            size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        except Exception:  # noqa: BLE001 - a failed request has no sizes
            size = 0
        total += size
        if not urlsplit(r.url).path.startswith(STATIC):
            data += size
        timing = r.timing
        ends.append(timing["startTime"] / 1000 + max(timing.get("responseEnd", 0), 0) / 1000)
        path = urlsplit(r.url).path
        for part in ("/_dash-layout", "/geojson/"):
            if path.startswith(part):
                steps[part] = max(steps.get(part, 0.0), ends[-1] - started)
    idle = max(ends) - started if ends else 0.0
    if shot is not None:
        page.wait_for_timeout(500)
        page.screenshot(path=str(shot), full_page=True)
    page.close()
    if own:
        ctx.close()
    return {
        "drawn": drawn_ms / 1000,
        "idle": max(idle, drawn_ms / 1000),
        "bytes": total,
        "data": data,
        "layout": steps.get("/_dash-layout"),
        "geometry": steps.get("/geojson/"),
    }


def layout_time(base: str, path: str, urls: list[str] | None = None) -> tuple[float, int]:
    """The layout request of the page at ``path`` (as the browser sends it): seconds, bytes;
    ``urls``: gets the URL of the map's geometry (the trace's, fetched apart)."""
    req = urllib.request.Request(f"{base}/_dash-layout", headers={"Referer": f"{base}{path}"})
    started = time.perf_counter()
    with urllib.request.urlopen(req, timeout=300) as response:
        body = response.read()
    spent = time.perf_counter() - started
    if urls is not None:
        found = re.search(rb'"geojson":"(/geojson/[^"]+)"', body)
        if found:
            urls.append(found.group(1).decode())
    return spent, len(body)


def get_time(base: str, url: str) -> tuple[float, int]:
    """A GET of ``url`` on the server: seconds, bytes."""
    started = time.perf_counter()
    with urllib.request.urlopen(f"{base}{url}", timeout=300) as response:
        body = response.read()
    return time.perf_counter() - started, len(body)


def plain_figure(url: str) -> tuple[str, float, int]:
    """The plain way: one choroplethmap of every grid of the province, as JSON."""
    import plotly.graph_objects as go

    from geodata import Store

    started = time.perf_counter()
    store = Store(url, create=False)
    top = store.default_unit()
    features = store.map_features("grid", top.code)
    month = store.latest_month()
    frame = store.level_stats("grid", month, top.code)
    rank = {"none": 0, "blue": 1, "yellow": 2, "red": 3}
    levels = dict(zip(frame["code"], frame["risk_level"], strict=True))
    codes = [f["id"] for f in features["features"]]
    fig = go.Figure(
        go.Choroplethmap(
            geojson=features,
            locations=codes,
            z=[rank.get(levels.get(c, "none"), 0) for c in codes],
            colorscale=[[0, "#d9d9d9"], [0.33, "#2f6fd6"], [0.66, "#f2c12e"], [1, "#d7301f"]],
            marker_line_width=0.3,
        )
    )
    fig.update_layout(map_style="white-bg", map_zoom=5, map_center={"lat": 44, "lon": 113})
    body = fig.to_json()
    store.dispose()
    return body, time.perf_counter() - started, len(codes)


PLAIN_HTML = """<!doctype html><html><head><meta charset="utf-8">
<script src="plotly.min.js"></script></head><body style="margin:0">
<div id="map" style="width:1400px;height:800px"></div><script>
fetch("fig.json").then(r => r.json()).then(fig => Plotly.newPlot("map", fig.data, fig.layout))
  .then(gd => { const m = gd._fullLayout.map._subplot.map;
    const done = () => { window.__drawn = performance.now(); };
    if (m.loaded() && !m.isMoving()) done(); else m.once("idle", done); });
</script></body></html>"""


def plain_draw(browser: Any, body: str, work: Path) -> dict:
    """The plain figure drawn by plotly.js from a local static server."""
    import plotly

    site = work / "plain"
    site.mkdir(exist_ok=True)
    shutil.copy(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", site)
    (site / "fig.json").write_text(body, encoding="utf-8")
    (site / "index.html").write_text(PLAIN_HTML, encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        ctx = browser.new_context(viewport=VIEWPORT)
        page = ctx.new_page()
        page.goto(f"http://127.0.0.1:{srv.server_port}/index.html", timeout=300_000)
        page.wait_for_function("() => window.__drawn", timeout=300_000, polling=100)
        drawn = page.evaluate("() => window.__drawn") / 1000
        ctx.close()
    finally:
        srv.shutdown()
    return {"drawn": drawn, "bytes": len(body.encode())}


def ensure_synced(url: str) -> tuple[list[str], list[str]]:
    """The problem list synced once (a load does it; a generated province leaves it to its
    first read, which this run must not measure)."""
    from geodata import Store

    store = Store(url, create=False)
    started = time.perf_counter()
    store.sync_problems()
    spent = time.perf_counter() - started
    if spent > 1:
        print(f"problem list synced first (not measured): {spent:.1f} s")
    counties = [u.code for u in store.counties()]
    cities = [u.code for u in store.children(store.default_unit().code)]
    store.dispose()
    return counties, cities


def main() -> None:
    parser = argparse.ArgumentParser(description="a province's pages: first view, county pages")
    parser.add_argument("url", nargs="?", default=DEFAULT_URL)
    parser.add_argument("--port", type=int, default=8071)
    parser.add_argument("--counties", type=int, default=21, help="county pages (one in Chromium)")
    parser.add_argument("--out", default="/tmp/bench_province_pages")
    parser.add_argument("--no-plain", action="store_true", help="skip the plain figure")
    args = parser.parse_args()
    from geodata.store import normalize_url

    url = normalize_url(args.url)
    work = Path(args.out)
    work.mkdir(parents=True, exist_ok=True)
    counties, cities = ensure_synced(url)
    step = max(len(counties) // args.counties, 1)
    picked = counties[::step][: args.counties]
    base = f"http://127.0.0.1:{args.port}"
    from playwright.sync_api import sync_playwright

    server = start_server(url, args.port, work)
    memory = Memory(server.pid)
    memory.start()
    out: dict[str, Any] = {}
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            out["fresh"] = open_page(browser, f"{base}/", shot=work / "province.png")
            out["warm"] = open_page(browser, f"{base}/")
            ctx = browser.new_context(viewport=VIEWPORT, service_workers="block")
            open_page(browser, f"{base}/", ctx)
            out["warm_browser"] = open_page(browser, f"{base}/", ctx)
            ctx.close()
            out["city_view"] = open_page(
                browser, f"{base}/unit/{cities[0]}", shot=work / "city.png"
            )
            out["county_view"] = open_page(browser, f"{base}/unit/{picked[-1]}")
            geo_urls: list[str] = []
            first = [layout_time(base, f"/unit/{c}", geo_urls) for c in picked[:-1]]
            again = [layout_time(base, f"/unit/{c}") for c in picked[:-1]]
            geo_first = [get_time(base, u) for u in geo_urls]
            geo_again = [get_time(base, u) for u in geo_urls]
            city_first = [layout_time(base, f"/unit/{c}") for c in cities[1:]]
            city_again = [layout_time(base, f"/unit/{c}") for c in cities[1:]]
            if not args.no_plain:
                memory_now = memory.peak
                body, built, shapes = plain_figure(url)
                out["plain"] = {"built": built, "shapes": shapes, **plain_draw(browser, body, work)}
                out["plain"]["server_peak_before"] = memory_now
            browser.close()
    finally:
        memory.stop.set()
        server.terminate()
        server.wait(30)
    print(f"\nprovince pages on {url} ({len(counties)} counties, {len(cities)} cities)")
    print(f"{'view':34} {'drawn s':>8} {'idle s':>8} {'bytes':>11} {'data bytes':>11}")
    for key, label in (
        ("fresh", "province, fresh server"),
        ("warm", "province, warm server"),
        ("warm_browser", "province, warm server and browser"),
        ("city_view", f"city {cities[0]}, warm server"),
        ("county_view", f"county {picked[-1]} (its first build)"),
    ):
        r = out[key]
        steps = "  ".join(
            f"{name} done {r[name]:.2f} s" for name in ("layout", "geometry") if r.get(name)
        )
        print(
            f"{label:34} {r['drawn']:8.2f} {r['idle']:8.2f} {r['bytes']:11,} {r['data']:11,}"
            f"  ({steps})"
        )
    for label, times in (
        (f"county page, first build ({len(first)})", first),
        (f"county page, cached ({len(again)})", again),
        (f"county grids' geometry, first ({len(geo_first)})", geo_first),
        (f"county grids' geometry, cached ({len(geo_again)})", geo_again),
        (f"city page, first build ({len(city_first)})", city_first),
        (f"city page, cached ({len(city_again)})", city_again),
    ):
        ms = [t * 1000 for t, _ in times]
        size = statistics.median(b for _, b in times)
        print(
            f"{label:34} p50 {pct(ms, 50):7.1f} ms  p95 {pct(ms, 95):7.1f} ms  "
            f"max {max(ms):7.1f} ms  ({size:,.0f} bytes)"
        )
    print(f"server peak RSS: {memory.peak / 2**20:,.0f} MB; load average {os.getloadavg()[0]:.1f}")
    if "plain" in out:
        p = out["plain"]
        print(
            f"plain way: one choroplethmap of {p['shapes']:,} grids: figure JSON {p['bytes']:,} "
            f"bytes, built in {p['built']:.1f} s, drawn in {p['drawn']:.2f} s "
            f"(ratio of bytes to the province's first view: {p['bytes'] / out['fresh']['data']:.0f})"
        )
    print(f"screenshots: {work / 'province.png'}, {work / 'city.png'}")
    (work / "figures.json").write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
