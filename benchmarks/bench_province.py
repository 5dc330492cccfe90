"""Province-scale benchmark on PostGIS (issue 15): the province demo generated and loaded, beside
the plain way in the same run, and one county's monthly load with its figures updated.

Prints (asserts nothing):
- seconds to generate and load the province demo (``etl.demo.province.load_province``: grids,
  sites, households by COPY into the month's partition, figures per county and summed above),
  by step, and households per second;
- the plain way: ``DataFrame.to_sql`` of the same households (the first counties' rows, a sample
  of ``--plain-rows`` rows unless ``--plain-rows 0`` sends them all), extrapolated to all the
  households (said so), and the ratio to the COPY of the households step;
- seconds of one county's new month loaded from its file (``load_households``: read, checked,
  written, its figures updated, the problem list synced), first for a month no county has loaded
  yet, then for a second county of that month (the partial recompute: that county, its city and
  the province only), then a corrected file of a county for the province's month, the problem
  list synced whole once before them (a child process: its seconds and peak memory);
- the peak memory of this process (``resource.getrusage``).

    python benchmarks/bench_province.py [URL] [--counties 100] [--seed 2026] [--plain-rows 200000]
    python benchmarks/bench_province.py --existing URL [--counties 100] [--seed 2026]

URL defaults to postgresql://root@127.0.0.1:5432/riskgrid_bench_province, a database of its own
that is dropped and made again at the start. ``--existing URL``: a province already generated
there (``riskgrid demo --scale province``, same ``--counties`` and ``--seed``; it is written
into: give it a copy) and only the county loads are timed; the province month's partition gets
its (month, county_code) index first, as a new month's partition has it, and a problem list
not synced yet is synced whole first in a child process (its seconds and peak memory printed).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from etl.demo.province import PROVINCE_MONTH, load_province  # noqa: E402
from etl.demo.province_files import write_county_month  # noqa: E402
from etl.demo.province_geography import county_grids, plan_counties  # noqa: E402
from etl.demo.province_households import county_households  # noqa: E402
from etl.households import load_households  # noqa: E402
from geodata import Store  # noqa: E402
from geodata.database import normalize_url  # noqa: E402
from geodata.records.month_writer import index_counties  # noqa: E402

DEFAULT_URL = "postgresql://root@127.0.0.1:5432/riskgrid_bench_province"
NEXT_MONTH = "2026-11"


def fresh_database(url: str) -> None:
    """Drop and make the benchmark's database (with PostGIS), through the server's ``test``."""
    target = sa.engine.make_url(normalize_url(url))
    admin = sa.create_engine(target.set(database="test"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{target.database}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()
    engine = sa.create_engine(target, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def plain_to_sql(store: Store, seed: int, counties: int, rows: int, total: int) -> float:
    """Seconds ``DataFrame.to_sql`` takes for all ``total`` households, measured on the first
    counties' rows (``rows`` of them, or all when 0) and extrapolated."""
    plans = plan_counties(seed, counties)
    frames, have = [], 0
    for plan in plans:
        grids = county_grids(seed, plan)
        frames.append(county_households(seed, plan.index, grids, PROVINCE_MONTH))
        have += len(frames[-1])
        if rows and have >= rows:
            break
    frame = pd.concat(frames, ignore_index=True)
    if rows:
        frame = frame.iloc[:rows]
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS plain_households")
    start = time.perf_counter()
    frame.to_sql("plain_households", store.engine, index=False, chunksize=10_000)
    seconds = time.perf_counter() - start
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE plain_households")
    scaled = seconds * total / len(frame)
    note = "" if len(frame) == total else f", extrapolated from {len(frame):,} rows"
    print(
        f"  plain to_sql: {seconds:.1f} s for {len(frame):,} rows -> {scaled:.1f} s for {total:,}{note}"
    )
    return scaled


def county_load(
    store: Store, seed: int, counties: int, index: int, month: str, tmp: Path, change: bool
) -> float:
    """Seconds to load county ``index``'s ``month`` from its file (the file written first)."""
    plan = plan_counties(seed, counties)[index]
    grids = county_grids(seed, plan)
    frame = county_households(seed, index, grids, month)
    if change:  # a corrected file: some households identified this month
        plain = frame["category"].isna().to_numpy().nonzero()[0][:500]
        frame.loc[plain, ["category", "risk_level", "identified_on"]] = [
            "marginal",
            "red",
            f"{month}-03",
        ]
        frame.loc[plain, ["risk_causes", "channel", "measures"]] = [
            "因病",
            "干部走访排查",
            "医疗救助",
        ]
    path = write_county_month(frame, tmp / f"{plan.code}_{month}.csv")
    start = time.perf_counter()
    load_households(store, path, month=month)
    return time.perf_counter() - start


def whole_sync(url: str) -> None:
    """A child process: the whole problem list synced (its own peak memory)."""
    store = Store(url)
    start = time.perf_counter()
    month = store.sync_problems()
    took = time.perf_counter() - start
    listed = store.open_problem_total(month)
    print(
        f"  whole problem list synced ({month}): {took:.1f} s, {listed:,} open problems", flush=True
    )
    store.dispose()


def prepare_existing(url: str) -> Store:
    """The existing province: its months' county index, its problem list synced."""
    store = Store(url)
    store.migrate()
    print(f"existing province at {url}: months {store.months()}")
    for month in store.months():
        start = time.perf_counter()
        with store.engine.begin() as conn:
            if store.is_partitioned(conn):
                index_counties(conn, month)
        print(
            f"  (month, county_code) and (month, site_code) indexes of {month}: {time.perf_counter() - start:.1f} s"
        )
    sync_first(store, url)
    return store


def sync_first(store: Store, url: str) -> None:
    """A problem list not synced yet synced whole, in a child process (its peak memory)."""
    import multiprocessing

    if store.problems_in_sync():
        return
    child = multiprocessing.get_context("spawn").Process(target=whole_sync, args=(url,))
    child.start()
    child.join()
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"  peak memory of the whole sync's process: {peak:,.0f} MB")


def county_loads(store: Store, seed: int, counties: int, households: int) -> None:
    """The county loads, timed, with the problem list's share."""
    synced: list[float] = []
    sync = store.sync_problems

    def timed_sync(*a, **k):  # the problem list's share of a load, measured
        start = time.perf_counter()
        try:
            return sync(*a, **k)
        finally:
            synced.append(time.perf_counter() - start)

    store.sync_problems = timed_sync
    runs = [
        (
            0,
            PROVINCE_MONTH,
            True,
            f"a corrected file of one county for {PROVINCE_MONTH} "
            f"(partial recompute, {households:,} rows in the month)",
        ),
        (0, NEXT_MONTH, False, f"one county's new month ({NEXT_MONTH}, the first county of it)"),
    ]
    if counties > 1:
        runs.append((1, NEXT_MONTH, False, f"a second county's {NEXT_MONTH} (partial recompute)"))
    with tempfile.TemporaryDirectory() as tmp:
        for index, month, change, what in runs:
            synced.clear()
            listed = store.problems_in_sync()
            took = county_load(store, seed, counties, index, month, Path(tmp), change)
            scope = "its county's" if listed else "the whole"
            print(
                f"{what}: {took:.1f} s, of which the problem list ({scope}) {sum(synced):.1f} s;"
                f" peak memory so far {peak_mb():,.0f} MB",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("url", nargs="?", default=DEFAULT_URL)
    parser.add_argument("--counties", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--plain-rows", type=int, default=200_000)
    parser.add_argument("--existing", metavar="URL", help="time the county loads only, there")
    args = parser.parse_args()
    if args.existing:
        store = prepare_existing(args.existing)
        households = store.stats(month=PROVINCE_MONTH)["households"]
        county_loads(store, args.seed, args.counties, households)
        print(f"peak memory of the process: {peak_mb():,.0f} MB")
        store.dispose()
        return
    fresh_database(args.url)
    store = Store(args.url)
    store.migrate()
    print(f"province demo: {args.counties} counties into {args.url}")
    report = load_province(store, seed=args.seed, counties=args.counties)
    s = report.seconds
    print(
        f"  {report.cities} cities, {report.counties} counties, {report.grids:,} grids, "
        f"{report.households:,} households ({report.month})"
    )
    print("  " + ", ".join(f"{k} {v:.1f} s" for k, v in s.items()))
    print(
        f"  generation and load: {s['total']:.1f} s, {report.households / s['total']:,.0f} "
        f"households/s overall; households step {s['households'] + s['indexes']:.1f} s "
        f"({report.households / (s['households'] + s['indexes']):,.0f} rows/s, COPY + figures)"
    )
    print(f"  peak memory so far: {peak_mb():,.0f} MB")
    plain = plain_to_sql(store, args.seed, args.counties, args.plain_rows, report.households)
    print(
        f"  ratio: to_sql {plain:.1f} s / riskgrid households step "
        f"{s['households'] + s['indexes']:.1f} s = {plain / (s['households'] + s['indexes']):.1f}x "
        f"(to_sql writes the rows only: no figures, no indexes)"
    )
    sync_first(store, args.url)
    county_loads(store, args.seed, args.counties, report.households)
    stats = store.stats(month=PROVINCE_MONTH)
    print(
        f"province {stats['unit']['code']}: {stats['households']:,} households, "
        f"monitored {stats['monitored']['households']:,}"
    )
    print(f"peak memory of the process: {peak_mb():,.0f} MB")
    store.dispose()


if __name__ == "__main__":
    main()
