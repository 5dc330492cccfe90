"""The grid layer's attribute columns: found by their headers, read as text and codes."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geodata.store import GRID_COLUMNS

from .bounds import LEVEL_DIGITS
from .errors import Issue
from .grid_issues import grid_issue
from .headers import GRID_HEADERS, map_headers, normalize_header

REQUIRED: tuple[str, ...] = (
    "grid_code",
    "grid_name",
    "village_code",
    "village_name",
    "township_name",
    "county_name",
)
LABELS: dict[str, str] = {
    "grid_code": "网格编码",
    "grid_name": "网格名称",
    "village_code": "村编码",
    "village_name": "村名称",
    "village_kind": "村类型",
    "township_code": "乡镇编码",
    "township_name": "乡镇名称",
    "county_code": "县编码",
    "county_name": "县名称",
    "city_name": "市名称",
    "province_name": "省名称",
    "grid_worker": "网格员",
    "worker_phone": "联系电话",
}
# Codes of administrative units: digits only, and how many (etl.bounds.LEVEL_DIGITS).
ADMIN_CODE_DIGITS: dict[str, int] = {
    f"{level}_code": LEVEL_DIGITS[level] for level in ("village", "township", "county")
}
# and of the grids: the village's code and a three-digit grid number
CODE_DIGITS: dict[str, int] = {"grid_code": LEVEL_DIGITS["grid"], **ADMIN_CODE_DIGITS}
CODE_FIELDS: tuple[str, ...] = tuple(CODE_DIGITS)

_DECIMAL_CODE_RE = re.compile(r"^(\d+)\.0*$")
_SCIENTIFIC_RE = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")


def _text(value: Any) -> str | None:
    """A cell as stripped text; integral numbers without a decimal part; blanks as None."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value) or math.isinf(value):
            return None
        if float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    if isinstance(value, pd.Timestamp | datetime):
        if pd.isna(value):
            return None
        return (
            value.date().isoformat()
            if value == pd.Timestamp(value).normalize()
            else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if value is pd.NA or value is pd.NaT:
        return None
    text = str(value).strip()
    return text or None


def _code(value: Any, field: str) -> str | None:
    """A code as text: full-width digits made ASCII (NFKC), spaces stripped.

    Codes that a spreadsheet turned into "152223100001.0" or "1.52223100001E+11" are turned
    back into their digits, grid codes too ("152223100001001.0" is grid 152223100001001, not a
    second grid): the data contract reads a whole number in a number cell as its digits, and a
    code of 15 digits or fewer survives a float exactly.
    """
    text = _text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    if field in CODE_DIGITS:
        m = _DECIMAL_CODE_RE.match(text)
        if m:
            text = m.group(1)
        elif len(text) <= 40 and _SCIENTIFIC_RE.match(text):
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = None
            # no more digits than a code has: 1E+99999 is not a code (and not worth building)
            if (
                number is not None
                and number.adjusted() < CODE_DIGITS[field]
                and number == number.to_integral_value()
            ):
                text = str(int(number))
    return text or None


def _map_columns(columns: Sequence[str], is_shapefile: bool) -> dict[str, str]:
    """Identifier -> column name as it is in the file.

    A .dbf field name holds at most 10 bytes, so Chinese headers of a UTF-8 Shapefile arrive
    cut short ("网格编码" as "网格编"): for a Shapefile, a header that is the beginning of
    exactly one known header (of a field not matched otherwise) maps to that field.
    """
    mapped = {ident: columns[i] for i, ident in map_headers(columns, GRID_HEADERS).items()}
    if not is_shapefile:
        return mapped
    taken = set(mapped.values())
    for column in columns:
        if column in taken:
            continue
        key = normalize_header(column)
        if len(key) < 3 or len(key.encode("utf-8")) < 8:  # too short to have been cut
            continue
        matches = {
            ident
            for ident, aliases in GRID_HEADERS.items()
            if ident not in mapped
            for alias in (ident, *aliases)
            if normalize_header(alias).startswith(key)
        }
        if len(matches) == 1:
            mapped[matches.pop()] = column
    return mapped


def read_columns(
    frame: gpd.GeoDataFrame, is_shapefile: bool, file: str
) -> tuple[dict[str, str], dict[str, list[str | None]], list[Issue]]:
    """The attribute table of a grid layer: (identifier -> column name as it is in the file,
    the values of every field of ``GRID_COLUMNS`` feature by feature, an error per required
    column that is missing).

    Values are text or None; codes keep their leading zeros. Without a township or county code
    column, those codes are the first 9 and 6 characters of the village code.
    """
    n = len(frame)
    errors: list[Issue] = []
    attribute_columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    columns = _map_columns(attribute_columns, is_shapefile)
    for field in REQUIRED:
        if field not in columns:
            errors.append(
                grid_issue(
                    file,
                    f"缺少必填列 {LABELS[field]} ({field}: missing column)",
                    field=field,
                )
            )
    values: dict[str, list[str | None]] = {}
    for field in GRID_COLUMNS:
        if field not in columns:
            values[field] = [None] * n
            continue
        raw = frame[columns[field]].tolist()
        if field in CODE_FIELDS:
            values[field] = [_code(v, field) for v in raw]
        elif field == "village_kind":
            values[field] = [
                None if (t := _text(v)) is None else unicodedata.normalize("NFKC", t).strip()
                for v in raw
            ]
        else:
            values[field] = [_text(v) for v in raw]
    for field in ("township_code", "county_code"):
        if field not in columns:
            digits = ADMIN_CODE_DIGITS[field]
            values[field] = [
                v[:digits] if v is not None and len(v) >= digits else None
                for v in values["village_code"]
            ]
    return columns, values, errors
