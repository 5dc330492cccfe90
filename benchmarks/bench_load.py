"""Load benchmark on the demo county, against the plain way, measured in the same run.

Prints: seconds to generate the demo; seconds and rows per second to load the households from
CSV and from XLSX into SQLite and into PostGIS (validation, upsert and figures included); the plain
way (pandas.read_excel / read_csv plus DataFrame.to_sql, no validation, no figures) and the
ratio; and the time of one ``stats`` call at county, township and grid level; and the time to load the
demo's department warnings. Each riskgrid load
runs ``--loads`` times, each into a fresh store, and the median is printed (the plain CSV way
too; the plain XLSX way, which takes ten seconds or more, once). The last lines check the
targets of issue 2: CSV into SQLite at 50,000 rows/s or more, CSV into PostGIS at 100,000 or
more, and XLSX loads at least 5 times as fast as the plain way (pandas.read_excel with its
default engine, openpyxl, plus DataFrame.to_sql).

    python benchmarks/bench_load.py [--households 80000] [--loads 3] [--pg URL] [--no-pg] [--json PATH]

``--json PATH`` also writes the figures (seconds, milliseconds) for ``benchmarks/compare.py``.
"""

from __future__ import annotations

import argparse
import inspect
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark_figures import Figures, add_option  # noqa: E402

from etl.demo import generate_demo  # noqa: E402
from etl.grids import load_grids  # noqa: E402
from etl.households import load_households  # noqa: E402
from etl.signals import load_signals  # noqa: E402
from etl.sites import load_sites  # noqa: E402
from geodata import Store  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://root@127.0.0.1:5432/test"


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


class Backends:
    """Fresh, empty stores: a SQLite file each, or a PostgreSQL schema each."""

    def __init__(self, tmp: Path, pg_url: str | None):
        self.tmp = tmp
        self.pg_url = pg_url
        self.schemas: list[str] = []

    def engine(self, backend: str) -> tuple[str, sa.Engine]:
        if backend == "sqlite":
            url = f"sqlite:///{self.tmp / f'{uuid.uuid4().hex[:8]}.db'}"
            return url, sa.create_engine(url)
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        self.schemas.append(schema)
        return self.pg_url, sa.create_engine(
            self.pg_url, connect_args={"options": f"-csearch_path={schema},public"}
        )

    def store(self, backend: str, files) -> Store:
        url, engine = self.engine(backend)
        store = Store(url, engine=engine)
        store.migrate()
        load_grids(store, files.grids)
        load_sites(store, files.sites)
        return store

    def cleanup(self) -> None:
        if not self.schemas:
            return
        admin = sa.create_engine(self.pg_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            for schema in self.schemas:
                conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def write_xlsx(csv_path: Path, xlsx_path: Path) -> None:
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    import xlsxwriter

    book = xlsxwriter.Workbook(str(xlsx_path), {"constant_memory": True})
    sheet = book.add_worksheet("农户")
    sheet.write_row(0, 0, list(frame.columns))
    for i, row in enumerate(frame.itertuples(index=False, name=None), start=1):
        sheet.write_row(i, 0, row)
    book.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--households", type=int, default=80_000)
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL URL (database with PostGIS available)")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--repeat", type=int, default=30, help="stats calls per level")
    parser.add_argument("--loads", type=int, default=3, help="loads per backend and format (median)")
    add_option(parser)
    args = parser.parse_args()
    figures = Figures("load")

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        # the one-row-per-household layout (the national one is bench_members.py's); a baseline
        # of compare.py, older than the layout option, writes no other
        takes_layout = "layout" in inspect.signature(generate_demo).parameters
        layout = {"layout": "households"} if takes_layout else {}
        gen_s, files = timed(
            generate_demo, tmp / "demo", households=args.households, months=1, **layout
        )
        month, csv_path = files.households[-1]
        n = args.households
        print(f"demo generated: {gen_s:.2f} s ({n:,} households, 973 grids, 1 month)")
        figures.add("demo generated", gen_s, "s")
        xlsx_path = tmp / "households.xlsx"
        xlsx_s, _ = timed(write_xlsx, csv_path, xlsx_path)
        print(f"(XLSX written for the benchmark in {xlsx_s:.1f} s, {xlsx_path.stat().st_size / 1e6:.1f} MB)")
        figures.add("XLSX written (xlsxwriter)", xlsx_s, "s", control=True)

        backends = Backends(tmp, None if args.no_pg else args.pg)
        names = ["sqlite"] + ([] if args.no_pg else ["postgis"])
        print()
        print(f"{'load (median of ' + str(args.loads) + ')':<28}{'riskgrid s':>12}{'rows/s':>12}{'plain s':>10}{'plain rows/s':>14}{'ratio':>8}")
        stores: dict[str, Store] = {}
        measured: dict[tuple[str, str], tuple[float, float]] = {}
        try:
            for backend in names:
                for fmt, path in (("CSV", csv_path), ("XLSX", xlsx_path)):
                    runs = []
                    for _ in range(max(1, args.loads)):
                        store = backends.store(backend, files)
                        secs, report = timed(load_households, store, path, month=month)
                        assert report.rows_loaded == n, report.rows_loaded
                        runs.append(secs)
                        if backend in stores:
                            store.dispose()
                        else:
                            stores[backend] = store
                    secs = statistics.median(runs)

                    _, engine = backends.engine(backend)

                    def plain(path=path, fmt=fmt, engine=engine):
                        frame = (
                            pd.read_excel(path, dtype=str, engine="openpyxl")
                            if fmt == "XLSX"
                            else pd.read_csv(path, dtype=str, encoding="utf-8-sig")
                        )
                        frame.to_sql("households_plain", engine, if_exists="replace", index=False)

                    plain_runs = 1 if fmt == "XLSX" else max(1, args.loads)
                    plain_s = statistics.median(timed(plain)[0] for _ in range(plain_runs))
                    engine.dispose()
                    measured[(fmt, backend)] = (secs, plain_s)
                    figures.add(f"load {fmt} -> {backend}", secs, "s")
                    figures.add(f"plain way {fmt} -> {backend}", plain_s, "s", control=True)
                    print(
                        f"{fmt + ' -> ' + backend:<28}{secs:>12.2f}{n / secs:>12,.0f}"
                        f"{plain_s:>10.2f}{n / plain_s:>14,.0f}{plain_s / secs:>7.1f}x"
                    )
            print()
            for backend in names:  # into the stores holding the month's households
                secs, report = timed(load_signals, stores[backend], files.warnings)
                print(f"department warnings -> {backend}: {report.rows_loaded:,} signals matched and counted in {secs:.2f} s")
                figures.add(f"department warnings -> {backend}", secs, "s")
            print()
            print(f"{'stats call':<28}" + "".join(f"{b + ' ms (median)':>22}" for b in names))
            sample = stores["sqlite"]
            county = sample.default_unit()
            township = sample.children(county.code)[0]
            village = sample.children(township.code)[0]
            grid = sample.children(village.code)[0]
            for label, unit in (("county", county), ("township", township), ("grid", grid)):
                cells = []
                for backend in names:
                    store = stores[backend]
                    times = [timed(store.stats, unit.code)[0] * 1000 for _ in range(args.repeat)]
                    cells.append(f"{statistics.median(times):>22.2f}")
                    figures.add(f"stats call, {label}, {backend}", statistics.median(times), "ms")
                print(f"{label + ' ' + unit.code:<28}" + "".join(cells))
            print()
            print("targets (issue 2):")
            checks = [("CSV -> sqlite at least 50,000 rows/s", n / measured[("CSV", "sqlite")][0] >= 50_000)]
            if "postgis" in names:
                checks.append(("CSV -> postgis at least 100,000 rows/s", n / measured[("CSV", "postgis")][0] >= 100_000))
            for backend in names:
                secs, plain_s = measured[("XLSX", backend)]
                checks.append((f"XLSX -> {backend} at least 5x the plain way ({plain_s / secs:.1f}x)", plain_s / secs >= 5))
            for text, ok in checks:
                print(f"  {'met' if ok else 'NOT MET':<8} {text}")
            figures.write(args.json)
        finally:
            for store in stores.values():
                store.dispose()
            backends.cleanup()


if __name__ == "__main__":
    main()
