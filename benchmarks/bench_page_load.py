"""Pages opened by their address, and drill-down clicks: riskgrid against the plain Dash app.

Both apps (riskgrid, and ``benchmarks/plain_app.py``: the full GeoJSON in ``px.choropleth_map``)
run in child processes on 127.0.0.1 (werkzeug, threaded, the same for both; see
``bench_dashboard.serve``) and are measured in ONE run in headless Chromium, alternating, so the
machine's load weighs on both alike. It prints:

1. for the county page and one township page opened by address (``page.goto``), the seconds until
   the page is SETTLED: its map drawn (Plotly's afterplot with a MapLibre canvas, MapLibre idle:
   ``bench_dashboard.DRAWN_HOOK``) and the network idle (no request in flight, no redraw, for
   ``--quiet`` s); the time is that of the last draw or response, whichever is later. Each load
   is a new browser context (cold: scripts too) and then a second load of the same address in
   that context (warm: a bookmark on the wall PC, scripts in the browser's cache). Median of
   ``--loads``. Bytes are as sent on the wire (Playwright's ``request.sizes()``), all of them
   and the data alone (everything but the scripts, styles and fonts, which are the same files
   for every page);
2. the waterfall of one riskgrid page load: every request, when it started and ended, its size,
   and the response it waited for (the last one that ended before it started);
3. drill-down clicks inside the app (a ``plotly_click`` on the map of the county, then of the
   township): the seconds from the click to the next unit's map drawn, median and p95 over
   ``--clicks`` clicks;

then ``metric | riskgrid | plain | ratio`` with the targets of the dashboard-speed issue: settle
at most 0.7 times the plain app's, at most a third of its bytes, drill-down p95 at most 0.5 s. It
asserts nothing. Requests to any host but 127.0.0.1 fail (Chromium resolves no other host) and are counted.

    python benchmarks/bench_page_load.py [--db URL] [--data DIR] [--loads 5] [--clicks 20]

Needs the demo database and files: ``riskgrid demo --no-serve --db URL --out DIR``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_dashboard import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    DRAWN_HOOK,
    EMIT_JS,
    VIEWPORT,
    Server,
    demo_grids,
    pct,
    request_label,
    serve,
)

DEFAULT_DB = "sqlite:////tmp/x/demo.db"
DEFAULT_DATA = "/tmp/x/out"
STATIC = ("/_dash-component-suites/", "/assets/", "/_favicon", "/favicon")


@dataclass
class Req:
    method: str
    path: str
    label: str
    start: float  # ms since the goto
    end: float
    bytes: int
    static: bool


@dataclass
class Load:
    settle_s: float
    drawn_s: float
    draws: int
    requests: list[Req]

    @property
    def bytes(self) -> int:
        return sum(r.bytes for r in self.requests)

    @property
    def data_bytes(self) -> int:
        return sum(r.bytes for r in self.requests if not r.static)


@dataclass
class Result:
    cold: dict[str, list[Load]] = field(default_factory=dict)
    warm: dict[str, list[Load]] = field(default_factory=dict)
    clicks: list[float] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)


class Page:
    """One Playwright page recording its requests (start, end, wire size) and map draws."""

    def __init__(self, ctx: Any) -> None:
        self.page = ctx.new_page()
        self.inflight = 0
        self.done: list[tuple[Any, float]] = []
        self.page.on("request", self._on_request)
        self.page.on("requestfinished", self._on_finished)
        self.page.on("requestfailed", self._on_finished)

    def _on_request(self, _req: Any) -> None:
        self.inflight += 1

    def _on_finished(self, req: Any) -> None:
        self.inflight -= 1
        self.done.append((req, time.time()))

    def draws(self) -> int:
        return self.page.evaluate("() => (window.__bench ? window.__bench.draws.length : 0)")

    def open(self, url: str, quiet: float) -> Load:
        self.done.clear()
        started = time.time()
        self.page.goto(url, wait_until="commit", timeout=180_000)
        self.page.wait_for_function(
            "() => window.__bench && window.__bench.draws.length > 0", timeout=180_000, polling=20
        )
        self.wait_quiet(quiet)
        return self.load_since(started, 0)

    def wait_quiet(self, quiet: float, limit: float = 120) -> None:
        began, since, seen = time.time(), time.time(), (self.draws(), len(self.done))
        while time.time() - since < quiet and time.time() - began < limit:
            self.page.wait_for_timeout(50)
            now = (self.draws(), len(self.done))
            if now != seen or self.inflight > 0:
                seen, since = now, time.time()

    def load_since(self, started: float, first_draw: int) -> Load:
        draws = self.page.evaluate("() => window.__bench.draws")[first_draw:]
        reqs = [self.req(r, started) for r, _ in self.done]
        last = max([d["epoch"] / 1000 for d in draws] + [started + r.end / 1000 for r in reqs])
        return Load(last - started, draws[0]["epoch"] / 1000 - started, len(draws), reqs)

    @staticmethod
    def req(r: Any, started: float) -> Req:
        parts = urlsplit(r.url)
        timing = r.timing
        begin = timing["startTime"] / 1000
        end = begin + max(timing.get("responseEnd", 0), 0) / 1000
        try:
            sizes = r.sizes()
            size = sizes["responseBodySize"] + sizes["responseHeadersSize"]
        except Exception:  # noqa: BLE001 - a failed request has no sizes
            size = 0
        static = parts.path.startswith(STATIC)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        label = "static" if static else request_label(r.method, parts.path, r.post_data)
        return Req(
            r.method, path, label, (begin - started) * 1000, (end - started) * 1000, size, static
        )


def new_context(browser: Any, result: Result) -> Any:
    """A browser context whose requests to any host but 127.0.0.1 are counted (and fail: the
    browser resolves no other host). Not ``context.route``: intercepting requests turns off
    Chromium's HTTP cache, and the warm loads measure that cache."""
    ctx = browser.new_context(viewport=VIEWPORT, service_workers="block")

    def count(req: Any) -> None:
        if urlsplit(req.url).hostname not in ("127.0.0.1", None):
            result.blocked.append(req.url)

    ctx.on("request", count)
    ctx.add_init_script(DRAWN_HOOK)
    return ctx


def page_loads(browser: Any, url: str, name: str, result: Result, quiet: float) -> None:
    ctx = new_context(browser, result)
    try:
        page = Page(ctx)
        result.cold.setdefault(name, []).append(page.open(url, quiet))
        result.warm.setdefault(name, []).append(page.open(url, quiet))
    finally:
        ctx.close()


def drill_clicks(browser: Any, base: str, targets: list[tuple[str, str]], result: Result) -> None:
    """For each (township, grid): open the county page, emit a click on the grid (drawn the
    township's map), then on the same grid again (the village's map); time click -> drawn."""
    ctx = new_context(browser, result)
    try:
        page = Page(ctx)
        for township, grid in targets:
            page.open(base + "/", 0.5)
            for unit in (township, None):
                before = page.draws()
                started = time.time()
                if not page.page.evaluate(EMIT_JS, grid):
                    raise RuntimeError(f"grid {grid} is not on the map")
                page.page.wait_for_function(
                    "(b) => window.__bench.draws.length > b", arg=before, timeout=60_000, polling=10
                )
                first = page.page.evaluate("(b) => window.__bench.draws[b]", before)
                result.clicks.append(first["epoch"] / 1000 - started)
                page.wait_quiet(0.3)
                del unit
    finally:
        ctx.close()


def med(loads: list[Load], attr: str) -> float:
    return statistics.median(getattr(x, attr) for x in loads)


def print_waterfall(load: Load, title: str) -> None:
    print(f"\nWaterfall of {title} (ms since the goto; 'after' = the response it waited for)")
    print(f"{'start':>7} {'end':>7} {'KB':>8}  {'request':<58} after")
    reqs = sorted(load.requests, key=lambda r: r.start)
    for r in reqs:
        before = [o for o in reqs if o is not r and o.end <= r.start + 1]
        after = max(before, key=lambda o: o.end).label if before else "-"
        label = r.label if not r.static else "static " + r.path.rsplit("/", 1)[-1][:40]
        print(f"{r.start:7.0f} {r.end:7.0f} {r.bytes / 1024:8.1f}  {label[:58]:<58} {after[:40]}")


def print_report(rg: Result, pl: Result, args: argparse.Namespace) -> None:
    rows: list[tuple[str, float, float, str, str]] = []
    for name in rg.cold:
        for kind, rgl, pll in (("cold", rg.cold, pl.cold), ("warm", rg.warm, pl.warm)):
            a, b = rgl[name], pll[name]
            rows.append(
                (
                    f"{name} settled, {kind} (s)",
                    med(a, "settle_s"),
                    med(b, "settle_s"),
                    "<= 0.7",
                    "s",
                )
            )
            rows.append(
                (f"{name} map drawn, {kind} (s)", med(a, "drawn_s"), med(b, "drawn_s"), "", "s")
            )
            rows.append((f"{name} bytes, {kind}", med(a, "bytes"), med(b, "bytes"), "", "B"))
            rows.append(
                (
                    f"{name} data bytes, {kind}",
                    med(a, "data_bytes"),
                    med(b, "data_bytes"),
                    "<= 0.333",
                    "B",
                )
            )
            rows.append((f"{name} map draws, {kind}", med(a, "draws"), med(b, "draws"), "", "n"))
    for q, label in ((50, "median"), (95, "p95")):
        rows.append(
            (
                f"drill-down click to drawn map, {label} (s)",
                pct(rg.clicks, q),
                pct(pl.clicks, q),
                "riskgrid <= 0.5 s" if q == 95 else "",
                "s",
            )
        )
    print(
        f"\nPage loads: median of {args.loads}; drill-down: {len(rg.clicks)} clicks "
        f"(riskgrid), {len(pl.clicks)} (plain); load average {os.getloadavg()[0]:.2f}"
    )
    print(f"{'metric':<46} {'riskgrid':>10} {'plain':>10} {'ratio':>7}  target")
    for name, a, b, target, unit in rows:
        if unit == "B":
            fa, fb = f"{a / 1024:.0f} KB", f"{b / 1024:.0f} KB"
        elif unit == "n":
            fa, fb = f"{a:.0f}", f"{b:.0f}"
        else:
            fa, fb = f"{a:.2f}", f"{b:.2f}"
        ratio = f"{a / b:.2f}" if b else "-"
        print(f"{name:<46} {fa:>10} {fb:>10} {ratio:>7}  {target}")
    print(f"requests to other hosts (failed): riskgrid {len(rg.blocked)}, plain {len(pl.blocked)}")


def main() -> None:
    parser = argparse.ArgumentParser(description="page loads and drill-down, against plain Dash")
    parser.add_argument("--db", default=DEFAULT_DB, help=f"demo store URL (default {DEFAULT_DB})")
    parser.add_argument("--data", default=DEFAULT_DATA, help=f"demo files (default {DEFAULT_DATA})")
    parser.add_argument("--loads", type=int, default=5, help="page loads of each address")
    parser.add_argument("--clicks", type=int, default=20, help="drill-down clicks (pairs / 2)")
    parser.add_argument("--quiet", type=float, default=1.0, help="seconds of quiet = settled")
    parser.add_argument("--serve", choices=("riskgrid", "plain"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.db, args.data)
        return
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    grids = demo_grids(args.data)
    county = grids[0].county
    townships = sorted({g.township for g in grids})
    township = townships[0]
    # one grid per township, then again: clicks on a grid of each township in turn
    picks = [next(g for g in grids if g.township == t) for t in townships]
    targets = [(g.township, g.code) for g in (picks * args.clicks)[: max(args.clicks // 2, 1)]]
    from playwright.sync_api import sync_playwright

    rg, pl = Result(), Result()
    with (
        Server("riskgrid", args.db, args.data) as rgs,
        Server("plain", args.db, args.data) as pls,
        sync_playwright() as pw,
    ):
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )
        pages = {
            "county page": (f"{rgs.base}/unit/{county}", f"{pls.base}/?unit={county}"),
            "township page": (f"{rgs.base}/unit/{township}", f"{pls.base}/?unit={township}"),
        }
        for _warmup in ("riskgrid", "plain"):  # the servers' first requests (imports, caches)
            page_loads(browser, pages["county page"][0], "_warm", Result(), 0.3)
            page_loads(browser, pages["county page"][1], "_warm", Result(), 0.3)
        for i in range(args.loads):
            for name, (rg_url, pl_url) in pages.items():
                page_loads(browser, rg_url, name, rg, args.quiet)
                page_loads(browser, pl_url, name, pl, args.quiet)
            print(f"[bench] loads {i + 1}/{args.loads}", file=sys.stderr, flush=True)
        drill_clicks(browser, rgs.base, targets, rg)
        drill_clicks(browser, pls.base, targets, pl)
        browser.close()
    for name in ("township page",):
        print_waterfall(rg.cold[name][len(rg.cold[name]) // 2], f"riskgrid's {name}, cold")
        print_waterfall(rg.warm[name][len(rg.warm[name]) // 2], f"riskgrid's {name}, warm")
    print_report(rg, pl, args)


if __name__ == "__main__":
    main()
