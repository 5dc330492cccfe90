"""How fast the problem list page (问题清单, ``/problems/<code>``) answers, beside the plain way.

The page as the browser asks for it: the Dash router callback for ``/problems/<code>`` (the
page's whole content, its filters, counts and first 200 rows), through the app's WSGI stack in
this process, as the local administrator (log-in off). Each of the county and its townships is
asked ``--repeat`` times with the default filter and with a rule filter, after one warm-up
request; the script prints the median and the 95th percentile per unit kind.

The plain way: a page that runs the rules on each request (``check_month`` over the month, as a
checker that reads the export at every look would) and draws the same rows. The acceptance
bound of issue 12 is a p95 of at most 200 ms for the county's page.

    python benchmarks/bench_problem_page.py [--db sqlite:////tmp/demo/demo.db] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from dashboard import create_app
from geodata import Store
from geodata.checks.run import check_month
from riskgrid.settings import Settings

BOUND_MS = 200.0


def router_body(pathname: str, search: str = "") -> dict[str, Any]:
    """The JSON the Dash renderer posts to draw the page at ``pathname``."""
    return {
        "output": ".._pages_content.children..._pages_store.data..",
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


def timed(client: Any, path: str, search: str = "") -> tuple[float, int]:
    """Milliseconds and bytes of one page request."""
    body = json.dumps(router_body(path, search))
    start = time.perf_counter()
    response = client.post("/_dash-update-component", data=body, content_type="application/json")
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise SystemExit(f"{path}{search}: HTTP {response.status_code}")
    return elapsed, len(response.get_data())


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite:////tmp/demo/demo.db")
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()

    store = Store(args.db)
    store.migrate()  # a demo built before the latest schema revision
    county = store.default_unit()
    if county is None or county.level != "county":
        raise SystemExit("需要一个县的演示数据库 (run riskgrid demo first)")
    townships = [u.code for u in store.children(county.code)]
    month = store.sync_problems()
    app = create_app(Settings(db=args.db, login=False))
    client = app.server.test_client()
    timed(client, f"/problems/{county.code}")  # warm-up: imports, caches, the list synced

    results: dict[str, list[float]] = {"county": [], "township": [], "county, one rule": []}
    size = 0
    for _ in range(args.repeat):
        ms, size = timed(client, f"/problems/{county.code}")
        results["county"].append(ms)
        ms, _ = timed(client, f"/problems/{county.code}", "?rule=income_drop")
        results["county, one rule"].append(ms)
        for code in townships:
            ms, _ = timed(client, f"/problems/{code}")
            results["township"].append(ms)

    # the plain way: the rules run on each request, then the same page drawn
    plain: list[float] = []
    for _ in range(max(3, args.repeat // 4)):
        start = time.perf_counter()
        check_month(store, month)
        timed(client, f"/problems/{county.code}")
        plain.append((time.perf_counter() - start) * 1000)

    print(f"问题清单页面 problem list page, {county.name} {month}, {args.repeat} runs each")
    print(f"  county page: {size / 1024:,.0f} KB of page JSON")
    for kind, values in results.items():
        print(
            f"  {kind:18s} median {statistics.median(values):7.1f} ms   p95 {p95(values):7.1f} ms"
            f"   ({len(values)} requests)"
        )
    county_p95 = p95(results["county"])
    print(
        f"  plain (rules per request) median {statistics.median(plain):7.1f} ms"
        f"   p95 {p95(plain):7.1f} ms"
    )
    print(f"  ratio county p95 / plain p95: {county_p95 / p95(plain):.3f}")
    verdict = "holds" if county_p95 <= BOUND_MS else "FAILS"
    print(f"  bound: county p95 <= {BOUND_MS:.0f} ms: {verdict} ({county_p95:.1f} ms)")
    store.dispose()


if __name__ == "__main__":
    main()
