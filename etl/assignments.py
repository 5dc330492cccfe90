"""Grid assignment (网格户对应表): the county grid system's table of 户编号 -> 网格编码.

Data contract §2c: one row per household, 户编号 (required, unique) and 网格编码 (required, a
loaded grid); CSV or XLSX with the usual habits (``etl.readers``). As every load: every problem
of the file in one pass with row, column, value and reason; all or nothing in one write
transaction (or ``skip_invalid`` with a reject file beside the input); the same file twice
changes nothing.

An assignment holds for every month until a later file changes it. Households already loaded
move to their assigned grid in every month where they had no grid or the grid of the assignment
replaced (a month whose file gave another 网格编码 keeps it), and the figures of the months that
change are recomputed in the same transaction.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geodata import Store

from .checker import Checker
from .checksums import single_file_sha256
from .errors import Issue, LoadError, LoadReport
from .problem_sync import sync_in_load
from .readers import Table, read_table
from .rejects import write_rejects
from .text_columns import duplicated
from .validate import clean

ASSIGNMENT_HEADERS: dict[str, tuple[str, ...]] = {
    "household_id": ("户编号",),
    "grid_code": ("网格编码", "网格代码"),
}
REQUIRED = ["household_id", "grid_code"]


def validate_assignments(table: Table, grid_codes: set[str]) -> tuple[pd.DataFrame, Checker]:
    """Every row's problems, and the rows as (household_id, grid_code) (bad ones included,
    masked by checker.bad)."""
    ck = Checker(table, ASSIGNMENT_HEADERS)
    hid = clean(ck.raw("household_id"))
    grid = clean(ck.raw("grid_code"))
    ck.flag("household_id", hid == "", "户编号为空 (household_id: required)")
    ck.flag(
        "household_id",
        duplicated(hid) & (hid != ""),
        "户编号重复: 一户只能属于一个网格 (household_id: duplicate; one grid per household)",
    )
    ck.flag("grid_code", grid == "", "网格编码为空 (grid_code: required)")
    ck.flag(
        "grid_code",
        (grid != "") & ~grid.isin(grid_codes),
        "网格编码不存在, 请先加载网格 (grid_code: not a loaded grid)",
    )
    frame = pd.DataFrame({"household_id": hid, "grid_code": grid}, index=table.frame.index)
    return frame, ck


def load_assignments(
    store: Store, path: str | Path, *, sheet: str | None = None, skip_invalid: bool = False
) -> LoadReport:
    """Load a grid assignment file; the households and figures of the months it changes follow."""
    path = Path(path)
    table = read_table(path, ASSIGNMENT_HEADERS, REQUIRED, sheet=sheet)
    grid_index = store.grid_index()
    rows, ck = validate_assignments(table, set(grid_index["grid_code"]))
    report = LoadReport(file=str(path), kind="assignments", rows_read=len(rows))
    report.errors, report.warnings = ck.errors, ck.warnings
    if ck.errors and not skip_invalid:
        raise LoadError(str(path), ck.errors)
    good = rows[~ck.bad] if ck.bad.any() else rows
    if ck.bad.any():
        report.reject_file = str(write_rejects(table, ck, path))
    sha = single_file_sha256(path)
    report.unchanged = store.already_loaded("assignments", sha, None)
    with store.write(load=True) as conn:
        _, moved = store.apply_assignments(conn, good, grid_index)
        months = sorted(set(moved["month"]))
        if months:
            store.refresh_figures(conn, months)
        ck.record_load(store, conn, report, kind="assignments", path=path, sha256=sha, month=None)
        sync_in_load(store, conn)  # the problem list commits with the load, or neither does
    report.warnings += _moved_warnings(table, good, moved)
    return report


def _moved_warnings(table: Table, good: pd.DataFrame, moved: pd.DataFrame) -> list[Issue]:
    """One warning per household the assignment moved to a grid of another village than its
    snapshot named (the months counted in the grid's village from now on)."""
    other = moved[
        moved["old_village_code"].notna() & (moved["village_code"] != moved["old_village_code"])
    ]
    if other.empty:
        return []
    where = dict(zip(good["household_id"], table.excel_rows[good.index], strict=True))
    column = table.column_of("grid_code")
    out = []
    for hid, part in other.groupby("household_id", sort=True):
        row = part.iloc[0]
        out.append(
            Issue(
                table.file,
                int(where[hid]) if hid in where else None,
                column,
                "grid_code",
                str(row["grid_code"]),
                f"户 {hid} 的网格位于村 {row['village_code']}, 农户数据为村 {row['old_village_code']} "
                f"({', '.join(sorted(part['month']))}): 以网格为准 (grid_code: the grid lies in "
                "another village than the snapshot's; the grid's village counts)",
                table.sheet,
                "warning",
            )
        )
    return out


__all__ = ["ASSIGNMENT_HEADERS", "load_assignments", "validate_assignments"]
