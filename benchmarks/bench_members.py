"""Member-level load benchmark: the national system's export (one row per family member) of the
demo county for one month, as XLSX, into SQLite and PostGIS, against the plain way, measured in
the same run.

The demo county (``etl.demo``, layout ``national``) is generated for one month: 80,000 households,
about 250,000 member rows (``--households N`` to shrink), written as the XLSX a county office
downloads (xlsxwriter: two title rows above the header, merged across the columns; numbers as
numbers, ID numbers as text). Then per backend:

- riskgrid: a fresh store with the grids, the sites and the grid assignment loaded (not timed),
  then ``load_households(store, xlsx, month=...)`` timed: reading, validating every member row
  and household, grouping the members into households, placing them by the names of county,
  township and village and the assignment, storing households and members, figures.
- the plain way: ``pandas.read_excel(path, header=2, dtype=str, engine="openpyxl")`` (today's
  default engine, named so that it stays the same), a groupby by 户编号 to one row per household
  (the first of each household field, the number of member rows as 家庭人口数, the head's 姓名
  and 证件号码), and ``DataFrame.to_sql`` of both the households and the
  members into the same database; no validation, no places, no figures. The read and the
  groupby are the same for both backends: they are timed once and added to each backend's
  ``to_sql`` (``--plain-reads-per-backend`` reads again for each).

Each riskgrid load runs ``--loads`` times (default 1) into fresh stores and the median is
printed. The last lines check the target of issue 11: riskgrid at least 5 times as fast as the
plain way.

    python benchmarks/bench_members.py [--households 80000] [--loads 1] [--pg URL] [--no-pg]
        [--json PATH]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_load import PG_DEFAULT, Backends, timed  # noqa: E402
from benchmark_figures import Figures, add_option  # noqa: E402

from etl.assignments import load_assignments  # noqa: E402
from etl.demo import generate_demo  # noqa: E402
from etl.demo.national import NATIONAL_COLUMNS, title_rows  # noqa: E402
from etl.grids import load_grids  # noqa: E402
from etl.households import load_households  # noqa: E402
from etl.sites import load_sites  # noqa: E402
from geodata import Store  # noqa: E402

NUMBER_COLUMNS = {"序号", "家庭人口数", "人均纯收入（元）", "经度", "纬度"}
HOUSEHOLD_KEY = "户编号"
MEMBER_OWN = {
    "序号",
    "人编号",
    "姓名",
    "证件号码",
    "与户主关系",
    "劳动技能",
    "健康状况",
    "在校生状况",
}


def write_xlsx(csv_path: Path, xlsx_path: Path, month: str) -> int:
    """The member-level CSV as the export's XLSX; returns the member rows written."""
    import xlsxwriter

    frame = pd.read_csv(csv_path, header=2, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    assert list(frame.columns) == list(NATIONAL_COLUMNS), list(frame.columns)
    book = xlsxwriter.Workbook(str(xlsx_path), {"constant_memory": True})
    sheet = book.add_worksheet("监测对象信息")
    title, export = title_rows(month, len(frame.columns))
    last = len(frame.columns) - 1
    sheet.merge_range(0, 0, 0, last, title[0], book.add_format({"bold": True, "align": "center"}))
    sheet.merge_range(1, 0, 1, last, export[0])
    sheet.write_row(2, 0, list(frame.columns))
    numeric = [i for i, c in enumerate(frame.columns) if c in NUMBER_COLUMNS]
    for r, values in enumerate(frame.itertuples(index=False, name=None), start=3):
        row = list(values)
        for i in numeric:
            row[i] = float(row[i]) if row[i] else ""
        sheet.write_row(r, 0, row)
    book.close()
    return len(frame)


def plain_read(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plain way's read: every cell as text, then a row per household."""
    members = pd.read_excel(path, header=2, dtype=str, engine="openpyxl")
    household_fields = [c for c in members.columns if c not in MEMBER_OWN]
    grouped = members.groupby(HOUSEHOLD_KEY, sort=False)
    households = grouped[[c for c in household_fields if c != HOUSEHOLD_KEY]].first()
    households["家庭人口数"] = grouped.size()
    heads = members[members["与户主关系"] == "户主"].set_index(HOUSEHOLD_KEY)
    households["户主姓名"] = heads["姓名"]
    households["证件号码"] = heads["证件号码"]
    return households.reset_index(), members


def plain_write(engine, households: pd.DataFrame, members: pd.DataFrame) -> None:
    households.to_sql("households_plain", engine, if_exists="replace", index=False)
    members.to_sql("members_plain", engine, if_exists="replace", index=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--households", type=int, default=80_000)
    parser.add_argument("--pg", default=PG_DEFAULT, help="PostgreSQL URL (PostGIS available)")
    parser.add_argument("--no-pg", action="store_true")
    parser.add_argument("--loads", type=int, default=1, help="riskgrid loads per backend (median)")
    parser.add_argument(
        "--plain-reads-per-backend",
        action="store_true",
        help="read the XLSX the plain way again for each backend (else once, added to each)",
    )
    add_option(parser)
    args = parser.parse_args()
    figures = Figures("members")

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        gen_s, files = timed(generate_demo, tmp / "demo", households=args.households, months=1)
        month, csv_path = files.households[-1]
        n = args.households
        print(f"demo generated: {gen_s:.2f} s ({n:,} households, 1 month, national layout)")
        xlsx_path = tmp / "members.xlsx"
        xlsx_s, rows = timed(write_xlsx, csv_path, xlsx_path, month)
        size = xlsx_path.stat().st_size / 1e6
        print(f"(XLSX of {rows:,} member rows written in {xlsx_s:.1f} s, {size:.1f} MB)")
        figures.add("XLSX written (xlsxwriter)", xlsx_s, "s", control=True)

        backends = Backends(tmp, None if args.no_pg else args.pg)
        names = ["sqlite"] + ([] if args.no_pg else ["postgis"])
        read_s, plain_frames = None, None
        if not args.plain_reads_per_backend:
            read_s, plain_frames = timed(plain_read, xlsx_path)
            assert len(plain_frames[0]) == n and len(plain_frames[1]) == rows
            print(f"(plain read_excel + groupby, once for both backends: {read_s:.1f} s)")
            figures.add("plain way read_excel + groupby", read_s, "s", control=True)
        print()
        head = f"{'member XLSX -> backend':<24}{'riskgrid s':>12}{'rows/s':>10}"
        print(head + f"{'plain s':>10}{'rows/s':>10}{'plain/riskgrid':>16}")
        measured: dict[str, tuple[float, float]] = {}
        try:
            for backend in names:
                runs = []
                for _ in range(max(1, args.loads)):
                    url, engine = backends.engine(backend)
                    store = Store(url, engine=engine)
                    store.migrate()
                    load_grids(store, files.grids)
                    load_sites(store, files.sites)
                    load_assignments(store, files.assignments)
                    secs, report = timed(load_households, store, xlsx_path, month=month)
                    assert report.rows_read == rows, (report.rows_read, rows)
                    households = store.stats(month=month)["households"]
                    assert households == n, (households, n)
                    runs.append(secs)
                    store.dispose()
                secs = statistics.median(runs)

                _, engine = backends.engine(backend)
                if args.plain_reads_per_backend:
                    this_read, frames = timed(plain_read, xlsx_path)
                else:
                    this_read, frames = read_s, plain_frames
                write_s, _ = timed(plain_write, engine, *frames)
                engine.dispose()
                plain_s = this_read + write_s
                measured[backend] = (secs, plain_s)
                figures.add(f"load member XLSX -> {backend}", secs, "s")
                figures.add(f"plain way member XLSX -> {backend}", plain_s, "s", control=True)
                figures.add(f"plain way to_sql -> {backend}", write_s, "s", control=True)
                print(
                    f"{backend:<24}{secs:>12.2f}{rows / secs:>10,.0f}"
                    f"{plain_s:>10.2f}{rows / plain_s:>10,.0f}{plain_s / secs:>15.1f}x"
                )
            print()
            print("target (issue 11):")
            for backend in names:
                secs, plain_s = measured[backend]
                ok = plain_s / secs >= 5
                text = f"member XLSX -> {backend} at least 5x the plain way ({plain_s / secs:.1f}x)"
                print(f"  {'met' if ok else 'NOT MET':<8} {text}")
            figures.write(args.json)
        finally:
            backends.cleanup()


if __name__ == "__main__":
    main()
