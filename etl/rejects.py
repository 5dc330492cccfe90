"""The rejects file: rows that failed their checks, as read, with their row numbers and reasons."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.cell_text import csv_safe, protect_sheet

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
        name = _sheet_name(table.sheet)
        with pd.ExcelWriter(out, engine="openpyxl") as writer:
            rows.to_excel(writer, index=False, sheet_name=name)
            protect_sheet(writer.sheets[name])  # text, never a formula
    else:
        safe = rows.map(csv_safe)  # a cell of the data never starts a formula
        safe.columns = [csv_safe(str(c)) for c in rows.columns]
        safe.to_csv(out, index=False, encoding="utf-8-sig")
    return out


def _sheet_name(sheet: str | None) -> str:
    """The input's sheet name as Excel allows one (31 characters, none of []:*?/\\)."""
    name = re.sub(r"[\[\]:*?/\\]", "_", sheet or "").strip("'")[:31]
    return name or "rejects"
