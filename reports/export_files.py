"""Export files for other tools: a GeoPackage (QGIS, ArcGIS) and an Excel workbook.

Each file is written beside its final name and moved into place when complete (never half a
file), readable by its owner only (the household list holds personal data, even masked). In
Excel, every text from the data is a text cell: a value such as ``=1+1``, ``+86…``, ``-3`` or
``@SUM(…)`` is stored as the text it is and marked with a quote prefix, never as a formula
(formula injection), and characters Excel cannot hold are dropped.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from geodata.private import PRIVATE_MODE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXCEL_CELL_CHARS = 32767  # the most characters an Excel cell holds
SHEET_NAME_CHARS = 31


def _temp(path: Path) -> Path:
    return path.with_name(f".{path.stem}.{os.getpid()}.tmp{path.suffix}")


def _finish(tmp: Path, path: Path) -> None:
    os.chmod(tmp, PRIVATE_MODE)
    os.replace(tmp, path)


def write_gpkg(path: Path, layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """``layers`` (name -> layer in EPSG:4326) as one GeoPackage at ``path``."""
    tmp = _temp(path)
    tmp.unlink(missing_ok=True)
    try:
        for name, layer in layers.items():
            layer.to_crs("EPSG:4326").to_file(tmp, driver="GPKG", layer=name, engine="pyogrio")
        _finish(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def cell_value(value: Any) -> Any:
    """A value as an Excel cell holds it: numbers and dates as they are, None for empty
    (NaN, None), everything else as text without characters Excel refuses."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float | dt.date | dt.datetime):
        return value
    if hasattr(value, "item"):  # numpy scalars
        return cell_value(value.item())
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return text[:EXCEL_CELL_CHARS]


def text_cell(sheet: Any, value: Any, font: Font | None = None) -> WriteOnlyCell:
    """One cell of ``value``; text is always a text cell (never a formula), with a quote
    prefix when it starts like a formula, so that editing it in Excel keeps it text."""
    value = cell_value(value)
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str):
        cell.data_type = "s"
        if value.startswith(FORMULA_STARTS):
            cell.quotePrefix = True
    if font is not None:
        cell.font = font
    return cell


def _plain_or_text(sheet: Any, value: Any) -> Any:
    """The value itself where openpyxl writes it as it is (numbers, dates, plain text: fast),
    a text cell (``text_cell``) for text that starts like a formula."""
    value = cell_value(value)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return text_cell(sheet, value)
    return value


def sheet_title(name: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique in the book."""
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in name)[:SHEET_NAME_CHARS] or "sheet"
    title, n = base, 2
    while title.lower() in {t.lower() for t in taken}:
        suffix = f"({n})"
        title, n = base[: SHEET_NAME_CHARS - len(suffix)] + suffix, n + 1
    taken.add(title)
    return title


def write_xlsx(path: Path, sheets: Mapping[str, pd.DataFrame]) -> Path:
    """``sheets`` (name -> table whose columns are the headings) as an Excel workbook."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    taken: set[str] = set()
    for name, frame in sheets.items():
        sheet = book.create_sheet(sheet_title(name, taken))
        sheet.freeze_panes = "A2"
        sheet.append([text_cell(sheet, str(c), bold) for c in frame.columns])
        for row in frame.itertuples(index=False, name=None):
            sheet.append([_plain_or_text(sheet, v) for v in row])
    tmp = _temp(path)
    try:
        book.save(tmp)
        _finish(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
