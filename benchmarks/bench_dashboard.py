"""Dashboard benchmark on the demo county: riskgrid against the plain way, measured in the same run.

Prints, for riskgrid and for the plain Dash app (``benchmarks/plain_app.py``: full GeoJSON,
pandas groupby of all households on every callback, ``px.choropleth_map``, no caching):

1. the SERVER time of the drill-down requests (county -> township -> village -> grid: the page
   and layout requests and the ``_dash-update-component`` callback POSTs a browser makes), median
   and p95, on a fresh server (first visit of each unit) and again (repeat visits). The request
   sequence and its exact POST payloads are captured once per app from headless Chromium
   (Playwright, ``page.on("request")``) while a user clicks a grid on the map at each level; they
   are then replayed over real HTTP to the app's werkzeug server on 127.0.0.1 for ~20 grids
   sampled deterministically, with the unit codes substituted. Server time is measured inside
   the server process (a WSGI wrapper, the whole response body included) and sent back in a
   ``Server-Timing`` header;
2. the bytes of the map figure the app sends for the county map with townships, villages or grids
   as the coloured level (JSON, gzip, and the response as sent on the wire);
3. the seconds from ``page.goto`` to a drawn county map in headless Chromium, the same criterion
   for both apps (a ``plotly_afterplot`` of the map div with ``_fullData``, a MapLibre canvas,
   and MapLibre idle), median of fresh page loads; riskgrid's own ``data-drawn-at`` is shown too;

then a table ``metric | riskgrid | plain | ratio`` with the issue's targets for reference. It
asserts nothing. Every request goes to 127.0.0.1: Chromium's requests to any other host are
aborted and counted.

    python benchmarks/bench_dashboard.py [--db URL] [--data DIR] [--paths 20] [--loads 3] [--json PATH]

Needs the demo database and files: ``riskgrid demo --no-serve --db URL --out DIR``.
``--json PATH`` also writes the table's figures (riskgrid's, and the plain app's as controls) for
``benchmarks/compare.py``.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import json
import logging
import os
import re
import statistics
import subprocess
import sys
import threading
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import brotli

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from benchmark_figures import Figures, add_option, code_dirs  # noqa: E402

DEFAULT_DB = "sqlite:////tmp/rg-main.db"
DEFAULT_DATA = "/tmp/demo-data"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 900}
LEVELS = ("township", "village", "grid")
LEVEL_LABELS = {"township": "townships", "village": "villages", "grid": "grids"}
SETTLE_S = 2.0  # a map is settled when no redraw came for this long

# The same "map drawn" criterion for both apps: on plotly_afterplot of a graph div that has
# _fullData, a MapLibre map and its canvas, once MapLibre is idle. Each draw is recorded with
# its epoch time (performance.timeOrigin + performance.now()).
DRAWN_HOOK = r"""
(() => {
  const bench = (window.__bench = { draws: [], afterplots: 0 });
  function mapOf(gd) {
    const sub = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
    return sub && sub.map ? sub.map : null;
  }
  function record(gd) {
    let n = 0;
    (gd._fullData || []).forEach((t) => { n += (t.locations || []).length; });
    bench.draws.push({ epoch: performance.timeOrigin + performance.now(), at: performance.now(),
                       locations: n, id: (gd.parentElement && gd.parentElement.id) || gd.id });
  }
  function check(gd) {
    const map = mapOf(gd);
    if (!map || !gd._fullData || !gd._fullData.length) return;
    if (!gd.querySelector("canvas.maplibregl-canvas")) return;
    if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) record(gd);
    else map.once("idle", () => record(gd));
  }
  function attach(gd) {
    if (gd.__benchAttached || typeof gd.on !== "function") return;
    gd.__benchAttached = true;
    // drawn = Plotly's afterplot (its map subplot resolves once the traces' layers rendered),
    // then MapLibre idle; not MapLibre idle alone, which comes before the traces are added
    gd.on("plotly_afterplot", () => { bench.afterplots += 1; check(gd); });
  }
  function scan() { document.querySelectorAll(".js-plotly-plot").forEach(attach); }
  function start() {
    new MutationObserver(scan).observe(document.documentElement, { childList: true, subtree: true });
    scan();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
"""

# client coordinates of a lon/lat on the map of ``#map`` and whether the map canvas is there
PROJECT_JS = r"""
([lon, lat]) => {
  const gd = document.querySelector("#map .js-plotly-plot");
  const sub = gd && gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
  if (!sub || !sub.map) return null;
  const p = sub.map.project([lon, lat]);
  const box = sub.map.getCanvas().getBoundingClientRect();
  const x = box.left + p.x, y = box.top + p.y;
  const el = document.elementFromPoint(x, y);
  return { x, y, onCanvas: !!el && el.classList.contains("maplibregl-canvas") };
}
"""

# Plotly's click event for the shape ``code`` (the fallback when a real click does not land)
EMIT_JS = r"""
(code) => {
  const gd = document.querySelector("#map .js-plotly-plot");
  for (let c = 0; c < gd.data.length; c += 1) {
    const i = (gd.data[c].locations || []).indexOf(code);
    if (i >= 0) {
      const t = gd.data[c];
      gd.emit("plotly_click", { points: [{ curveNumber: c, pointNumber: i, pointIndex: i,
        location: code, z: t.z ? t.z[i] : undefined,
        customdata: t.customdata ? t.customdata[i] : undefined }] });
      return true;
    }
  }
  return false;
}
"""


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ====================================================================== server (child process)
class ServerTiming:
    """WSGI wrapper: runs the app, reads its whole body, and reports the time in
    ``Server-Timing: app;dur=<ms>``."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        started = time.perf_counter()
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        result = self.app(environ, capture)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        ms = (time.perf_counter() - started) * 1000
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        headers += [("Content-Length", str(len(body))), ("Server-Timing", f"app;dur={ms:.3f}")]
        start_response(captured["status"], headers)
        return [body]


def serve(kind: str, db: str, data: str) -> None:
    """Child process: build one app, serve it on 127.0.0.1 (werkzeug, in a thread) until stdin
    closes; print its port and start-up time as one JSON line."""
    from werkzeug.serving import make_server

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    started = time.perf_counter()
    if kind == "riskgrid":
        from dashboard import create_app
        from riskgrid.settings import load_settings

        app = create_app(load_settings(db=db, login=False))  # single user on 127.0.0.1
    else:
        from plain_app import create_plain_app

        app = create_plain_app(data)
    startup = time.perf_counter() - started
    server = make_server("127.0.0.1", 0, ServerTiming(app.server), threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    info = {"port": server.server_port, "startup_s": startup, "code": code_dirs()}
    print(json.dumps(info), flush=True)
    sys.stdin.read()
    server.shutdown()


class Server:
    """A fresh app server in a child process (this script with ``--serve``)."""

    def __init__(self, kind: str, db: str, data: str) -> None:
        self.kind = kind
        self.args = [sys.executable, __file__, "--serve", kind, "--db", db, "--data", data]

    def __enter__(self) -> Server:
        self.stderr = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-{self.kind}.log", "w")  # noqa: SIM115
        self.proc = subprocess.Popen(
            self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr, text=True
        )
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            raise RuntimeError(f"{self.kind} server did not start; see {self.stderr.name}")
        info = json.loads(line)
        self.port, self.startup_s = info["port"], info["startup_s"]
        self.code = info.get("code", {})
        self.base = f"http://127.0.0.1:{self.port}"
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.stderr.close()


# ====================================================================== app specifics
@dataclass
class AppSpec:
    kind: str
    level_radio: str  # selector of the radio items choosing the coloured level
    ready_js: str  # JS predicate (arg: [code, draws before]) for "the page of code is drawn"
    title: str


RISKGRID = AppSpec(
    "riskgrid",
    "#unit-level",
    """([code, before]) => !!document.querySelector(`[data-unit='${code}'] .js-plotly-plot[data-drawn='1']`)
       && window.__bench.draws.length > before""",
    "riskgrid",
)
PLAIN = AppSpec(
    "plain",
    "#level",
    """([code, before]) => { const t = document.getElementById('title');
       return !!t && (t.textContent.endsWith(' ' + code)) && window.__bench.draws.length > before; }""",
    "plain",
)


# ====================================================================== data of the demo county
@dataclass
class Grid:
    code: str
    village: str
    township: str
    county: str
    lon: float
    lat: float


def demo_grids(data_dir: str) -> list[Grid]:
    import geopandas as gpd

    path = next(Path(data_dir).glob("*_grids.gpkg"))
    frame = gpd.read_file(path)
    points = frame.geometry.representative_point()
    grids = [
        Grid(str(r["网格编码"]), str(r["村编码"]), str(r["乡镇编码"]), str(r["县编码"]), p.x, p.y)
        for (_, r), p in zip(frame.iterrows(), points, strict=True)
    ]
    return sorted(grids, key=lambda g: g.code)


def sample_grids(grids: list[Grid], count: int) -> list[Grid]:
    """``count`` grids evenly spaced over the sorted grid codes (deterministic)."""
    n = len(grids)
    return [grids[int((i + 0.5) * n / count)] for i in range(min(count, n))]


# ====================================================================== browser
@dataclass
class Captured:
    method: str
    path: str
    body: str | None
    headers: dict[str, str]
    label: str = ""
    request: Any = None  # Playwright's Request, for its full headers once captured


@dataclass
class BrowserResult:
    drawn_s: list[float] = field(default_factory=list)
    settled_s: list[float] = field(default_factory=list)
    draws: list[int] = field(default_factory=list)
    own_signal_s: list[float] = field(default_factory=list)
    drill: list[Captured] = field(default_factory=list)
    drill_grid: Grid | None = None
    drill_clicks: list[str] = field(default_factory=list)
    drill_drawn_s: list[float] = field(default_factory=list)
    level_posts: dict[str, Captured] = field(default_factory=dict)
    blocked: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def is_app_request(method: str, path: str) -> bool:
    """Page, layout, callback and data requests (e.g. riskgrid's geometry by URL); not the
    app's static scripts, styles and icons (the same files for any unit)."""
    if method == "POST":
        return path == "/_dash-update-component"
    skip = ("/_dash-component-suites/", "/assets/", "/_favicon", "/favicon", "/_reload-hash")
    return not path.startswith(skip)


def request_label(method: str, path: str, body: str | None) -> str:
    if method == "GET":
        if path.startswith("/_"):
            return f"GET {path}"
        if path.endswith(".json"):  # data by URL, e.g. /geojson/<level>/<code>.json
            return "GET " + re.sub(r"/[^/]+\.json$", "/<code>.json", path)
        return "GET page"
    output = json.loads(body or "{}").get("output", "?")
    names = [o for o in re.split(r"\.\.\.|\.\.", output) if o] or [output]
    first = re.sub(r"@[0-9a-f]+$", "", names[0])
    return f"POST {first}" + (f" +{len(names) - 1}" if len(names) > 1 else "")


class Browser:
    def __init__(self) -> None:
        from playwright.sync_api import sync_playwright

        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

    def close(self) -> None:
        self.browser.close()
        self._pw.stop()

    def context(self, result: BrowserResult) -> Any:
        ctx = self.browser.new_context(viewport=VIEWPORT, service_workers="block")

        def guard(route: Any) -> None:
            host = urlsplit(route.request.url).hostname
            if host == "127.0.0.1":
                route.continue_()
            else:
                result.blocked.append(route.request.url)
                route.abort()

        ctx.route("**/*", guard)
        ctx.add_init_script(DRAWN_HOOK)
        return ctx

    @staticmethod
    def settle(page: Any, quiet: float = SETTLE_S, limit: float = 120) -> int:
        """Wait until no map redraw has come for ``quiet`` seconds; the number of draws."""
        started = time.time()
        count = page.evaluate("() => window.__bench.draws.length")
        quiet_since = time.time()
        while time.time() - quiet_since < quiet and time.time() - started < limit:
            page.wait_for_timeout(100)
            n = page.evaluate("() => window.__bench.draws.length")
            if n != count:
                count, quiet_since = n, time.time()
        return count

    # ------------------------------------------------------------------ 3. first county map
    def first_map(self, spec: AppSpec, base: str, loads: int, result: BrowserResult) -> None:
        for i in range(loads):
            ctx = self.context(result)
            page = ctx.new_page()
            started = time.time()
            page.goto(base + "/", wait_until="commit", timeout=180_000)
            page.wait_for_function(
                "() => window.__bench && window.__bench.draws.length > 0",
                timeout=180_000,
                polling=20,
            )
            first = page.evaluate("() => window.__bench.draws[0]")
            result.drawn_s.append(first["epoch"] / 1000 - started)
            count = self.settle(page)
            last = page.evaluate("() => window.__bench.draws[window.__bench.draws.length - 1]")
            result.settled_s.append(last["epoch"] / 1000 - started)
            result.draws.append(count)
            if spec.kind == "riskgrid":
                page.wait_for_selector("#map .js-plotly-plot[data-drawn='1']", timeout=60_000)
                at = page.get_attribute("#map .js-plotly-plot", "data-drawn-at")
                origin = page.evaluate("() => performance.timeOrigin")
                result.own_signal_s.append((origin + float(at)) / 1000 - started)
            log(
                f"{spec.kind}: county map drawn in {result.drawn_s[-1]:.2f} s, last redraw at "
                f"{result.settled_s[-1]:.2f} s ({count} draws; load {i + 1}/{loads}, "
                f"{first['locations']} shapes)"
            )
            ctx.close()

    # ------------------------------------------------------------------ 1. capture drill-down
    def capture_drill(
        self, spec: AppSpec, base: str, grids: list[Grid], result: BrowserResult
    ) -> None:
        """County -> township -> village -> grid by clicking one grid on the map at each level,
        recording every page, layout and callback request; then the level switches."""
        ctx = self.context(result)
        page = ctx.new_page()
        recorded: list[Captured] = []

        def on_request(req: Any) -> None:
            parts = urlsplit(req.url)
            if parts.hostname != "127.0.0.1" or not is_app_request(req.method, parts.path):
                return
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            recorded.append(
                Captured(req.method, path, req.post_data, dict(req.headers), request=req)
            )

        page.on("request", on_request)
        page.goto(base + "/", timeout=180_000)
        county = grids[0].county
        page.wait_for_function(spec.ready_js, arg=[county, 0], timeout=180_000, polling=50)
        page.wait_for_load_state("networkidle")
        self.settle(page, 1.0)

        # a grid whose inner point is on the map canvas (not under the legend or a control)
        chosen = None
        for g in sample_grids(grids, 60):
            spot = page.evaluate(PROJECT_JS, [g.lon, g.lat])
            if spot and spot["onCanvas"]:
                chosen = g
                break
        if chosen is None:
            raise RuntimeError(f"{spec.kind}: no grid to click on the county map")
        result.drill_grid = chosen
        for target in (chosen.township, chosen.village, chosen.code):
            before = page.evaluate("() => window.__bench.draws.length")
            spot = page.evaluate(PROJECT_JS, [chosen.lon, chosen.lat])
            started = time.time()
            how = "mouse"
            if spot and spot["onCanvas"]:
                page.mouse.move(spot["x"] - 3, spot["y"])
                page.mouse.move(spot["x"], spot["y"], steps=3)
                page.wait_for_timeout(150)
                page.mouse.click(spot["x"], spot["y"])
            try:
                page.wait_for_function(
                    spec.ready_js, arg=[target, before], timeout=4_000, polling=50
                )
            except Exception:  # noqa: BLE001 - the real click did not land: Plotly's event
                how = "plotly_click event"
                started = time.time()
                if not page.evaluate(EMIT_JS, chosen.code):
                    raise RuntimeError(f"{spec.kind}: grid {chosen.code} not on the map") from None
                page.wait_for_function(
                    spec.ready_js, arg=[target, before], timeout=180_000, polling=50
                )
            first = page.evaluate("(b) => window.__bench.draws[b]", before)
            result.drill_drawn_s.append(first["epoch"] / 1000 - started)
            result.drill_clicks.append(how)
            page.wait_for_load_state("networkidle")
            self.settle(page, 1.0)
        page.wait_for_timeout(300)
        result.drill = list(recorded)
        for req in result.drill:  # the headers as sent (Accept-Encoding included)
            req.headers = req.request.all_headers()

        # the county map with each level coloured: the callbacks of the level radio items
        page.goto(base + "/", timeout=180_000)
        page.wait_for_function(spec.ready_js, arg=[county, 0], timeout=180_000, polling=50)
        page.wait_for_load_state("networkidle")
        self.settle(page, 1.0)
        for level in ("township", "village", "grid"):
            n = len(recorded)
            before = page.evaluate("() => window.__bench.draws.length")
            page.check(f"{spec.level_radio} input[value='{level}']")
            page.wait_for_function(
                "(b) => window.__bench.draws.length > b", arg=before, timeout=180_000, polling=50
            )
            page.wait_for_load_state("networkidle")
            self.settle(page, 1.0)
            posts = [r for r in recorded[n:] if r.method == "POST"]
            if posts:
                posts[-1].headers = posts[-1].request.all_headers()
                result.level_posts[level] = posts[-1]
            else:
                result.notes.append(f"{spec.kind}: no callback seen for level {level}")
        ctx.close()


# ====================================================================== replay over HTTP
CODE_RE = re.compile(r"(?<![0-9])([0-9]{9}|[0-9]{12}|[0-9]{15})(?![0-9])")
REPLAY_HEADERS = ("content-type", "accept", "accept-encoding", "x-csrftoken")
# what this Chromium sends; Playwright does not report the header of intercepted requests
CHROMIUM_ACCEPT_ENCODING = "gzip, deflate, br, zstd"


def substitute(text: str | None, mapping: dict[str, str]) -> str | None:
    if text is None:
        return None
    return CODE_RE.sub(lambda m: mapping.get(m.group(1), m.group(1)), text)


@dataclass
class Reply:
    label: str
    server_ms: float
    client_ms: float
    status: int
    wire_bytes: int
    body: bytes
    encoding: str


def decode(body: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(body)
    if encoding == "br":
        return brotli.decompress(body)
    if encoding == "deflate":
        return zlib.decompress(body)
    if encoding == "zstd":
        from backports import zstd  # flask-compress's own zstd

        return zstd.decompress(body)
    return body


def send(port: int, req: Captured, path: str, body: str | None) -> Reply:
    headers = {k.lower(): v for k, v in req.headers.items() if k.lower() in REPLAY_HEADERS}
    headers.setdefault("accept-encoding", CHROMIUM_ACCEPT_ENCODING)
    data = body.encode() if body is not None else None
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    started = time.perf_counter()
    conn.request(req.method, path, body=data, headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    client_ms = (time.perf_counter() - started) * 1000
    conn.close()
    timing = resp.getheader("Server-Timing") or ""
    match = re.search(r"dur=([0-9.]+)", timing)
    encoding = (resp.getheader("Content-Encoding") or "").strip()
    return Reply(
        req.label,
        float(match.group(1)) if match else float("nan"),
        client_ms,
        resp.status,
        len(raw),
        decode(raw, encoding),
        encoding,
    )


def replay_drill(
    port: int, captured: list[Captured], drill_grid: Grid, paths: list[Grid], passes: int
) -> tuple[list[list[Reply]], list[str]]:
    """Every captured request of the drill-down, for each sampled grid (codes substituted), in
    order, one at a time; ``passes`` times over all paths on the same server."""
    problems: list[str] = []
    out: list[list[Reply]] = []
    for _ in range(passes):
        replies: list[Reply] = []
        for g in paths:
            mapping = {
                drill_grid.township: g.township,
                drill_grid.village: g.village,
                drill_grid.code: g.code,
            }
            for req in captured:
                reply = send(
                    port, req, substitute(req.path, mapping), substitute(req.body, mapping)
                )
                replies.append(reply)
                if reply.status != 200 and reply.status != 204:
                    problems.append(f"{req.label} for {g.code}: HTTP {reply.status}")
            # the last callback of the path must lead to (or show) the grid itself
            text = b"".join(r.body for r in replies[-len(captured) :]).decode("utf-8", "replace")
            if g.code not in text:
                problems.append(f"path to {g.code}: the grid's code is in no response")
        out.append(replies)
    return out, problems


def find_figure(node: Any, graph_id: str = "map") -> dict[str, Any] | None:
    """The ``figure`` of the component ``graph_id`` in a callback response or layout."""
    if isinstance(node, dict):
        if graph_id in node and isinstance(node[graph_id], dict) and "figure" in node[graph_id]:
            return node[graph_id]["figure"]
        if node.get("props", {}).get("id") == graph_id and "figure" in node.get("props", {}):
            return node["props"]["figure"]
        for value in node.values():
            found = find_figure(value, graph_id)
            if found is not None:
                return found
    elif isinstance(node, list):
        for value in node:
            found = find_figure(value, graph_id)
            if found is not None:
                return found
    return None


@dataclass
class Payload:
    json_bytes: int
    gzip_bytes: int
    wire_bytes: int
    encoding: str
    traces: int
    shapes: int
    server_ms: float
    parts: dict[str, int] = field(default_factory=dict)
    url_json_bytes: int = 0  # geometry fetched by URL (riskgrid: /geojson/...)
    url_gzip_bytes: int = 0
    url_wire_bytes: int = 0
    urls: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def total_json(self) -> int:
        return self.json_bytes + self.url_json_bytes

    @property
    def total_gzip(self) -> int:
        return self.gzip_bytes + self.url_gzip_bytes

    @property
    def total_wire(self) -> int:
        return self.wire_bytes + self.url_wire_bytes


def jsize(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def figure_parts(fig: dict[str, Any]) -> dict[str, int]:
    """Where a map figure's bytes go: trace geometry, hover data, other trace keys, map layers
    (e.g. outlines), layout.meta (e.g. labels), the rest of the layout."""
    parts = {"geometry": 0, "hover": 0, "trace other": 0}
    for trace in fig.get("data", []):
        for key, value in trace.items():
            kind = (
                "geometry"
                if key == "geojson"
                else "hover"
                if key in ("customdata", "hovertext", "text", "hovertemplate")
                else "trace other"
            )
            parts[kind] += jsize(value)
    layout = dict(fig.get("layout", {}))
    map_layout = dict(layout.pop("map", {}) or {})
    parts["map layers"] = jsize(map_layout.pop("layers", []))
    parts["layout.meta"] = jsize(layout.pop("meta", None))
    parts["layout other"] = jsize(layout) + jsize(map_layout)
    return parts


def figure_urls(fig: dict[str, Any]) -> list[str]:
    """Geometry the figure names by URL on this server (trace geojson, map layer sources)."""
    found = [t.get("geojson") for t in fig.get("data", [])]
    found += [
        layer.get("source") for layer in (fig.get("layout", {}).get("map") or {}).get("layers", [])
    ]
    urls = []
    for url in found:
        if isinstance(url, str) and (url.startswith("/") or url.startswith("http://127.0.0.1")):
            path = url if url.startswith("/") else "/" + url.split("/", 3)[3]
            if path not in urls:
                urls.append(path)
    return urls


def map_payloads(port: int, level_posts: dict[str, Captured]) -> dict[str, Payload]:
    """The map figure of each level and the geometry it fetches by URL, as sent."""
    out = {}
    for level, req in level_posts.items():
        reply = send(port, req, req.path, req.body)
        fig = find_figure(json.loads(reply.body))
        if fig is None:
            continue
        text = json.dumps(fig, separators=(",", ":"), ensure_ascii=False).encode()
        payload = Payload(
            len(text),
            len(gzip.compress(text, 6)),
            reply.wire_bytes,
            reply.encoding or "identity",
            len(fig.get("data", [])),
            sum(len(t.get("locations") or []) for t in fig.get("data", [])),
            reply.server_ms,
            figure_parts(fig),
        )
        get = Captured(
            "GET",
            "",
            None,
            {
                "accept": "*/*",
                **{k: v for k, v in req.headers.items() if k.lower() == "accept-encoding"},
            },
        )
        for path in figure_urls(fig):
            geo = send(port, get, path, None)
            if geo.status != 200:
                payload.notes.append(f"{path}: HTTP {geo.status}")
                continue
            payload.url_json_bytes += len(geo.body)
            payload.url_gzip_bytes += len(gzip.compress(geo.body, 6))
            payload.url_wire_bytes += geo.wire_bytes
            payload.urls.append(f"{path.split('?')[0]} {len(geo.body):,} B")
        out[level] = payload
    return out


# ====================================================================== report
def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def fmt_ms(v: float) -> str:
    return f"{v:,.1f} ms"


def fmt_bytes(v: float) -> str:
    return f"{v / 1024:,.0f} KB" if v < 1024 * 1024 else f"{v / 1024 / 1024:,.2f} MB"


def fmt_s(v: float) -> str:
    return f"{v:.2f} s"


@dataclass
class AppResult:
    spec: AppSpec
    startup_s: float = float("nan")
    browser: BrowserResult = field(default_factory=BrowserResult)
    passes: list[list[Reply]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    payloads: dict[str, Payload] = field(default_factory=dict)


def run_app(
    spec: AppSpec, args: argparse.Namespace, grids: list[Grid], paths: list[Grid], browser: Browser
) -> AppResult:
    res = AppResult(spec)
    # a fresh server for the page loads (the first one finds every cache cold) ...
    with Server(spec.kind, args.db, args.data) as server:
        res.startup_s = server.startup_s
        FIGURES.code.update(server.code)
        log(f"{spec.kind}: server up on 127.0.0.1:{server.port} in {server.startup_s:.1f} s")
        browser.first_map(spec, server.base, args.loads, res.browser)
        browser.capture_drill(spec, server.base, grids, res.browser)
    for req in res.browser.drill:
        req.label = request_label(req.method, req.path.split("?")[0], req.body)
    log(
        f"{spec.kind}: captured {len(res.browser.drill)} requests for one drill-down "
        f"({', '.join(r.label for r in res.browser.drill)}); clicks: {res.browser.drill_clicks}"
    )
    # ... and another fresh one for the replay: pass 1 = first visits, pass 2 = repeat visits
    with Server(spec.kind, args.db, args.data) as server:
        started = time.perf_counter()
        res.passes, res.problems = replay_drill(
            server.port, res.browser.drill, res.browser.drill_grid, paths, args.passes
        )
        log(
            f"{spec.kind}: replayed {sum(len(p) for p in res.passes)} requests in "
            f"{time.perf_counter() - started:.1f} s"
        )
        res.payloads = map_payloads(server.port, res.browser.level_posts)
    return res


def per_path(app: AppResult, i: int) -> list[float]:
    """Server time of each drill-down path of pass ``i``, its requests added up."""
    n = len(app.browser.drill)
    replies = app.passes[i]
    return [sum(r.server_ms for r in replies[k : k + n]) for k in range(0, len(replies), n)]


def print_report(rg: AppResult, pl: AppResult, args: argparse.Namespace, paths: list[Grid]) -> None:
    rows: list[tuple[str, str, str, str, str]] = []

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.3f}" if b else "n/a"

    def add(metric: str, a: float, b: float, fmt: Any, target: str = "", key: str = "") -> None:
        rows.append((metric, fmt(a), fmt(b), ratio(a, b), target))
        unit = {fmt_ms: "ms", fmt_bytes: "B", fmt_s: "s"}[fmt]
        name = (key or metric).strip()
        FIGURES.add(name, a, unit)
        FIGURES.add(f"plain: {name}", b, unit, control=True)

    names = ["first visits (fresh server)", "repeat visits"]
    for i in range(min(len(rg.passes), len(pl.passes))):
        a = [r.server_ms for r in rg.passes[i]]
        b = [r.server_ms for r in pl.passes[i]]
        name = names[i] if i < len(names) else f"pass {i + 1}"
        p95_a, p95_b = pct(a, 95), pct(b, 95)
        met = "yes" if p95_a <= 100 and p95_b / p95_a >= 5 else "no"
        add(
            f"drill-down server time, median, {name}",
            statistics.median(a),
            statistics.median(b),
            fmt_ms,
        )
        add(
            f"drill-down server time, p95, {name}",
            p95_a,
            p95_b,
            fmt_ms,
            f"<= 100 ms and ratio <= 0.2 (>= 5x faster): {met}",
        )
    # what a user waits for on the server: all requests of one drill-down added up
    for i in range(min(len(rg.passes), len(pl.passes))):
        name = names[i] if i < len(names) else f"pass {i + 1}"
        a = per_path(rg, i)
        b = per_path(pl, i)
        add(
            f"server time of one whole drill-down (sum), median, {name}",
            statistics.median(a),
            statistics.median(b),
            fmt_ms,
        )
        add(f"server time of one whole drill-down (sum), max, {name}", max(a), max(b), fmt_ms)
    a = [r.client_ms for p in rg.passes for r in p]
    b = [r.client_ms for p in pl.passes for r in p]
    add(
        "drill-down round trip (client), median, all passes",
        statistics.median(a),
        statistics.median(b),
        fmt_ms,
    )
    add("drill-down round trip (client), p95, all passes", pct(a, 95), pct(b, 95), fmt_ms)
    a = [r.wire_bytes for p in rg.passes for r in p]
    b = [r.wire_bytes for p in pl.passes for r in p]
    add(
        "drill-down bytes on the wire, per path",
        sum(a) / len(rg.passes) / len(paths),
        sum(b) / len(pl.passes) / len(paths),
        fmt_bytes,
    )

    for level in LEVELS:
        pa, pb = rg.payloads.get(level), pl.payloads.get(level)
        if not pa or not pb:
            rows.append(
                (
                    f"county map payload, {LEVEL_LABELS[level]} coloured",
                    "n/a",
                    "n/a",
                    "n/a",
                    "not measured",
                )
            )
            continue
        target = ""
        if level == "grid":
            ok = pa.total_json <= 400 * 1024 and pa.total_json / pb.total_json <= 1 / 3
            target = f"<= 400 KB and ratio <= 0.333: {'yes' if ok else 'no'}"
        name = LEVEL_LABELS[level]
        add(
            f"county map payload JSON, {name} coloured (figure + geometry URLs)",
            pa.total_json,
            pb.total_json,
            fmt_bytes,
            target,
        )
        add(f"county map payload gzip, {name} coloured", pa.total_gzip, pb.total_gzip, fmt_bytes)
        add(
            f"county map payload on the wire, {name} ({pa.encoding} / {pb.encoding})",
            pa.total_wire,
            pb.total_wire,
            fmt_bytes,
            key=f"county map payload on the wire, {name}",
        )
        add(f"  of which the figure JSON alone, {name}", pa.json_bytes, pb.json_bytes, fmt_bytes)

    da, db = rg.browser.drawn_s, pl.browser.drawn_s
    if da and db:
        ma, mb = statistics.median(da), statistics.median(db)
        met = "yes" if ma / mb <= 0.8 else "no"
        add(
            f"first county map drawn in Chromium, median of {len(da)}",
            ma,
            mb,
            fmt_s,
            f"ratio <= 0.8: {met}",
        )
        add(
            f"county map settled (last redraw, {SETTLE_S:.0f} s quiet), median",
            statistics.median(rg.browser.settled_s),
            statistics.median(pl.browser.settled_s),
            fmt_s,
        )
    labels = ["township", "village", "grid"]
    for i, (a_s, b_s) in enumerate(
        zip(rg.browser.drill_drawn_s, pl.browser.drill_drawn_s, strict=False)
    ):
        add(f"map drawn after the click to the {labels[i]} (one drill-down)", a_s, b_s, fmt_s)
    add("server start-up (load data, build the app)", rg.startup_s, pl.startup_s, fmt_s)

    header = ("metric", "riskgrid", "plain", "ratio", "target (issue)")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(5)]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print()
    print(
        f"Dashboard benchmark: demo county ({len(demo_grids_cache)} grids), db {args.db}, data {args.data}"
    )
    print("ratio = riskgrid / plain (below 1: riskgrid smaller or faster)")
    print(
        f"host load average (1 min) at start {LOAD[0]:.2f}, at end {os.getloadavg()[0]:.2f}, "
        f"{os.cpu_count()} CPUs; the times are from this run only"
    )
    print()
    print(line)
    print("-|-".join("-" * w for w in widths))
    for r in rows:
        print(
            " | ".join(
                c.ljust(w) if i == 0 or i == 4 else c.rjust(w)
                for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )

    print()
    print("Drill-down requests by kind (server ms, median / p95 / count, all passes):")
    for app in (rg, pl):
        by: dict[str, list[float]] = defaultdict(list)
        for p in app.passes:
            for r in p:
                by[r.label].append(r.server_ms)
        print(
            f"  {app.spec.title}: {sum(len(p) for p in app.passes)} requests "
            f"({len(paths)} paths x {len(app.browser.drill)} requests x {len(app.passes)} passes)"
        )
        for label, vals in by.items():
            print(
                f"    {label:<45} {statistics.median(vals):9.1f} {pct(vals, 95):9.1f} {len(vals):5d}"
            )
    print()
    for app in (rg, pl):
        b = app.browser
        g = b.drill_grid
        print(
            f"{app.spec.title}: drill-down captured on grid {g.code} (village {g.village}, township "
            f"{g.township}) by {', '.join(b.drill_clicks)}; first-map loads: first draw "
            + ", ".join(f"{s:.2f} s" for s in b.drawn_s)
            + "; last redraw "
            + ", ".join(f"{s:.2f} s" for s in b.settled_s)
            + "; draws per load "
            + ", ".join(str(n) for n in b.draws)
            + (
                "; riskgrid's own data-drawn-at: " + ", ".join(f"{s:.2f} s" for s in b.own_signal_s)
                if b.own_signal_s
                else ""
            )
        )
        for level in LEVELS:
            p = app.payloads.get(level)
            if p:
                print(
                    f"    county map, {LEVEL_LABELS[level]:<9}: {p.traces} trace(s), {p.shapes} shapes, "
                    f"figure {p.json_bytes:,} B JSON / {p.gzip_bytes:,} B gzip, response {p.wire_bytes:,} B "
                    f"({p.encoding}), server {p.server_ms:.0f} ms"
                )
                print(
                    "        figure bytes: " + ", ".join(f"{k} {v:,}" for k, v in p.parts.items())
                )
                if p.urls:
                    print(
                        f"        + geometry by URL: {p.url_json_bytes:,} B JSON / {p.url_gzip_bytes:,} B"
                        f" gzip / {p.url_wire_bytes:,} B on the wire: " + ", ".join(p.urls)
                    )
                for note in p.notes:
                    print(f"        note: {note}")
        for note in b.notes + app.problems[:10]:
            print(f"    note: {note}")
        if len(app.problems) > 10:
            print(f"    note: ... {len(app.problems) - 10} more problems")
        print(
            f"    requests to other hosts blocked in Chromium: {len(b.blocked)}"
            + (f" (e.g. {b.blocked[0]})" if b.blocked else "")
        )
    print()
    print(f"Sampled grids ({len(paths)}): " + " ".join(g.code for g in paths))
    print(
        "Replay: every path sends exactly the requests one fresh browser sent in the captured "
        "drill-down, in order, one at a time, with the township, village and grid codes "
        "substituted (data fetched by URL included, though a browser with it in its cache would "
        "not ask again); the click payloads keep the captured point's hover data."
    )


demo_grids_cache: list[Grid] = []
LOAD: list[float] = [float("nan")]
FIGURES = Figures("dashboard")


def check_inputs(args: argparse.Namespace) -> str | None:
    how = f"make them with: riskgrid demo --no-serve --db {args.db} --out {args.data}"
    if args.db.startswith("sqlite:///"):
        path = args.db[len("sqlite:///") :]
        if not Path(path).is_file():
            return f"no database at {path}; {how}"
    else:
        import sqlalchemy as sa

        try:
            with sa.create_engine(args.db).connect():
                pass
        except Exception as exc:  # noqa: BLE001
            return f"cannot open {args.db} ({exc.__class__.__name__}); {how}"
    data = Path(args.data)
    if not list(data.glob("*_grids.gpkg")) or not list(data.glob("*_households_*.csv")):
        return f"no demo grids / household CSVs in {data}; {how}"
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description="riskgrid dashboard against the plain way")
    parser.add_argument(
        "--db", default=DEFAULT_DB, help=f"SQLAlchemy URL of the demo store (default {DEFAULT_DB})"
    )
    parser.add_argument(
        "--data", default=DEFAULT_DATA, help=f"demo input files (default {DEFAULT_DATA})"
    )
    parser.add_argument("--paths", type=int, default=20, help="drill-down paths (grids) sampled")
    parser.add_argument("--passes", type=int, default=2, help="replays of all paths on one server")
    parser.add_argument("--loads", type=int, default=3, help="fresh page loads for the first map")
    add_option(parser)
    parser.add_argument("--serve", choices=("riskgrid", "plain"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.data)
        return
    problem = check_inputs(args)
    if problem:
        print(f"bench_dashboard: {problem}", file=sys.stderr)
        sys.exit(2)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

    grids = demo_grids(args.data)
    demo_grids_cache[:] = grids
    paths = sample_grids(grids, args.paths)
    LOAD[:] = [os.getloadavg()[0]]
    browser = Browser()
    try:
        rg = run_app(RISKGRID, args, grids, paths, browser)
        pl = run_app(PLAIN, args, grids, paths, browser)
    finally:
        browser.close()
    print_report(rg, pl, args, paths)
    FIGURES.write(args.json)


if __name__ == "__main__":
    main()
