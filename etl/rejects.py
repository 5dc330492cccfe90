"""The rejects file: rows that failed their checks, as read, with their row numbers and reasons."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .checker import Checker
from .readers import Table

EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def reject_path(path: Path) -> Path:
    """``NAME.rejects.xlsx`` beside an Excel file (the user opens it where they opened the input),
    ``NAME.rejects.csv`` beside any other."""
    suffix = ".xlsx" if path.suffix.lower() in EXCEL_SUFFIXES else ".csv"
    return path.with_name(f"{path.stem}.rejects{suffix}")


def write_rejects(table: Table, ck: Checker, path: Path) -> Path:
    """The rejected rows unchanged, with their Excel row number and reasons, beside the input.
    Cells are written as the text read from the input, so that nothing is reformatted."""
    out = reject_path(path)
    rows = table.frame[ck.bad].copy()
    rows.insert(0, "行号 (row)", table.excel_rows[ck.bad].to_numpy())
    rows["错误原因 (reasons)"] = ["; ".join(ck.reasons[int(i)]) for i in np.flatnonzero(ck.bad)]
    if out.suffix == ".xlsx":
        rows.to_excel(
            out, index=False, sheet_name=(table.sheet or "rejects")[:31], engine="openpyxl"
        )
    else:
        rows.to_csv(out, index=False, encoding="utf-8-sig")
    return out
