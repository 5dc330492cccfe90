"""Monitoring rules benchmark: every rule over the demo county's latest month (80,000 households
with their members and the department warnings) on SQLite and PostGIS, against the plain way,
measured in the same run.

Per backend (a store the demo command loaded: ``riskgrid demo --no-serve --db URL``):

- riskgrid: ``check_month(store, month)`` over the latest month, ``--runs`` times (default 5),
  the median printed: the reads of the month's households, members, warnings and the previous
  snapshot, the facts, each rule (vectorised) and the evidence of each hit.
- the plain way: what a public Excel checker does: the month's rows read whole
  (``pandas.read_sql`` of ``households``, ``members``, ``signals`` and the previous month), then
  ``itertuples`` over the households and each rule's condition tested row by row in Python.
  Both must give the same set of (rule, household_id); the script stops otherwise.
- ``sync_problems``: on an unchanged data version (the list is up to date: about nothing) and
  after the data version changed (the stored sync token made stale, so that the month is
  evaluated and the list written again; the data are not touched).

The last lines check the acceptance of the issue: all rules over the month in at most 3 s on
each backend. The sync writes the problem list of the database it is given: run it on the demo
store or a copy of it.

    python benchmarks/bench_rules.py [--sqlite URL] [--pg URL] [--no-pg] [--runs 5]
        [--json PATH]
"""

from __future__ import annotations

import argparse
import calendar
import math
import statistics
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_load import timed  # noqa: E402
from benchmark_figures import Figures, add_option  # noqa: E402

from geodata import Store  # noqa: E402
from geodata.checks.catalog import (  # noqa: E402
    DEVELOPMENT_MEASURES,
    LABOUR_SKILLS,
    NO_LABOUR_SKILLS,
)
from geodata.checks.run import check_month  # noqa: E402

SQLITE_DEFAULT = "sqlite:///riskgrid.db"  # where ``riskgrid demo`` loads by default
PG_DEFAULT = "postgresql+psycopg://root@127.0.0.1:5432/rg_bench_rules"
BOUND_S = 3.0  # the acceptance: all rules over the month in at most 3 s


def add_months(day: date, months: int) -> date:
    """``day`` moved by whole months, clipped to the month's last day (as DateOffset does)."""
    year, month = divmod(day.month - 1 + months, 12)
    year, month = day.year + year, month + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def as_date(value: Any) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def text(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def plain_check(store: Store, month: str) -> set[tuple[str, str]]:
    """The plain way: the month read whole, every rule tested row by row in Python."""
    months = store.months()
    earlier = [m for m in months if m < month]
    policy = store.policy(month)
    with store.engine.connect() as conn:
        lines = store.policies(conn, [month])[month].lines
        q = "SELECT * FROM households WHERE month = :m"
        households = pd.read_sql(sa.text(q), conn, params={"m": month})
        members = pd.read_sql(
            sa.text("SELECT * FROM members WHERE month = :m"), conn, params={"m": month}
        )
        signals = pd.read_sql(sa.text("SELECT * FROM signals"), conn)
        previous = (
            pd.read_sql(sa.text(q), conn, params={"m": earlier[-1]})
            if earlier
            else households.iloc[:0]
        )
    t = policy.thresholds
    year, mon = int(month[:4]), int(month[5:7])
    on = date(year, mon, calendar.monthrange(year, mon)[1])
    measures_due = add_months(on, -t.measure_months)
    signal_due = on - timedelta(days=t.signal_days)
    skills: dict[str, list[str]] = {}
    for m in members.itertuples(index=False):
        skills.setdefault(m.household_id, []).append(text(m.labor_skill))
    before = {p.household_id: number(p.income_per_capita) for p in previous.itertuples(index=False)}
    late: dict[str, int] = {}
    for s in signals.itertuples(index=False):
        when = as_date(s.occurred_on)
        if when is not None and when <= on and when < signal_due:
            late[s.household_id] = late.get(s.household_id, 0) + 1
    fired: set[tuple[str, str]] = set()
    for h in households.itertuples(index=False):
        hid = h.household_id
        monitored = text(h.category) != ""
        eliminated = (
            bool(h.eliminated)
            if h.eliminated is not None and h.eliminated == h.eliminated
            else False
        )
        income = number(h.income_per_capita)
        identified, eliminated_on = as_date(h.identified_on), as_date(h.eliminated_on)
        measures, causes = text(h.measures), text(h.risk_causes)
        labour = number(h.labor_count)
        if hid in skills:
            has_labour = any(s in LABOUR_SKILLS for s in skills[hid])
            no_labour = all(s in NO_LABOUR_SKILLS for s in skills[hid])
        else:
            has_labour, no_labour = labour > 0, labour == 0
        checks = {
            "unmonitored_below_line": not monitored and income < lines.monitoring,
            "unmonitored_below_observation": not monitored
            and lines.monitoring <= income < lines.observation,
            "assisted_elimination_below_line": eliminated
            and text(h.elimination_mode) == "帮扶消除"
            and income < lines.monitoring,
            "eliminated_before_identified": identified is not None
            and eliminated_on is not None
            and eliminated_on < identified,
            "eliminated_too_soon": eliminated
            and identified is not None
            and eliminated_on is not None
            and identified <= eliminated_on < add_months(identified, t.elimination_months),
            "eliminated_without_labour": eliminated and no_labour,
            "no_measures": monitored
            and not eliminated
            and identified is not None
            and identified <= measures_due
            and measures == "",
            "labour_without_development_measure": monitored
            and has_labour
            and measures != ""
            and not any(m in measures for m in DEVELOPMENT_MEASURES),
            "no_cause": monitored and causes == "",
            "income_drop": before.get(hid, math.nan) > 0
            and (before[hid] - income) > t.income_drop * before[hid],
            "signal_not_identified": not monitored and late.get(hid, 0) > 0,
        }
        fired.update((rule, hid) for rule, hit in checks.items() if hit)
    return fired


def stale_sync(store: Store) -> None:
    """The problem list's sync token made stale, as a change of the data version makes it."""
    with store.write() as conn:
        store.set_meta(conn, "problems_synced", "bench_rules: stale")


def bench(store: Store, runs: int) -> dict[str, float]:
    month = store.latest_month()
    if month is None:
        raise SystemExit(f"no data in {store.engine.url}: load the demo first (riskgrid demo)")
    times, hits = [], None
    for _ in range(runs):
        secs, hits = timed(check_month, store, month)
        times.append(secs)
    plain_s, plain = timed(plain_check, store, month)
    ours = set(zip(hits["rule"], hits["household_id"], strict=True))
    if ours != plain:
        raise SystemExit(
            f"different hits: riskgrid only {sorted(ours - plain)[:5]}, plain only {sorted(plain - ours)[:5]}"
        )
    store.sync_problems()
    unchanged = []
    for _ in range(runs):
        secs, _ = timed(store.sync_problems)
        unchanged.append(secs)
    changed = []
    for _ in range(max(1, runs // 2)):
        stale_sync(store)
        secs, _ = timed(store.sync_problems)
        changed.append(secs)
    return {
        "month": month,
        "households": int(store.stats(month=month)["households"]),
        "hits": len(hits),
        "check": statistics.median(times),
        "plain": plain_s,
        "sync_unchanged": statistics.median(unchanged),
        "sync_changed": statistics.median(changed),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", default=SQLITE_DEFAULT, help="SQLite URL of the demo store")
    parser.add_argument(
        "--pg", default=PG_DEFAULT, help="PostgreSQL URL of the demo store (PostGIS)"
    )
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--runs", type=int, default=5, help="check_month runs per backend (median)")
    add_option(parser)
    args = parser.parse_args()
    figures = Figures("rules")
    urls = {"sqlite": args.sqlite, **({} if args.no_pg else {"postgis": args.pg})}
    measured: dict[str, dict[str, Any]] = {}
    head = f"{'backend':<10}{'month':>9}{'households':>12}{'hits':>7}{'check_month s':>15}"
    print(head + f"{'plain s':>10}{'plain/riskgrid':>16}{'sync same ms':>14}{'sync new s':>12}")
    for backend, url in urls.items():
        store = Store(url)
        store.migrate()
        r = bench(store, max(1, args.runs))
        store.dispose()
        measured[backend] = r
        figures.add(f"check_month -> {backend}", r["check"], "s")
        figures.add(f"plain way rules -> {backend}", r["plain"], "s", control=True)
        figures.add(f"sync_problems unchanged -> {backend}", r["sync_unchanged"] * 1000, "ms")
        figures.add(f"sync_problems after a version change -> {backend}", r["sync_changed"], "s")
        print(
            f"{backend:<10}{r['month']:>9}{r['households']:>12,}{r['hits']:>7,}{r['check']:>15.2f}"
            f"{r['plain']:>10.2f}{r['plain'] / r['check']:>15.1f}x"
            f"{r['sync_unchanged'] * 1000:>14.1f}{r['sync_changed']:>12.2f}"
        )
    print()
    print("acceptance (all rules over the demo county's month in at most 3 s):")
    for backend, r in measured.items():
        ok = r["check"] <= BOUND_S
        print(f"  {'met' if ok else 'NOT MET':<8} check_month -> {backend}: {r['check']:.2f} s")
    figures.write(args.json)


if __name__ == "__main__":
    main()
