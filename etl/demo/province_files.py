"""A county's month of the province demo as the file its office would load (the data
contract's household layout, a row per household with its 网格编码): what the benchmark and the
tests load through ``etl.households.load_households``, the way a monthly load arrives."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from etl.headers import HOUSEHOLD_HEADERS
from geodata.model import CATEGORY_LABELS, HOUSEHOLD_TYPES, RISK_LABELS

from .files import _write_csv

# the columns of the file, in the order of the county demo's household layout
FILE_COLUMNS = (
    "month",
    "household_id",
    "head_name",
    "id_number",
    "grid_code",
    "persons",
    "household_type",
    "category",
    "risk_level",
    "risk_causes",
    "income_per_capita",
    "identified_on",
    "channel",
    "eliminated",
    "elimination_mode",
    "eliminated_on",
    "measures",
    "relocated",
    "site_code",
    "labor_count",
    "employed_count",
    "lon",
    "lat",
)


def write_county_month(frame: pd.DataFrame, path: Path) -> Path:
    """``frame`` (rows as ``county_households`` draws them) as a UTF-8 (BOM) CSV with the
    Chinese headers: categories, types and levels as their labels, yes / no as 是 / 否."""
    out = {}
    labels = {
        "category": CATEGORY_LABELS,
        "household_type": HOUSEHOLD_TYPES,
        "risk_level": {k: v for k, v in RISK_LABELS.items() if k != "none"},
    }
    for col in FILE_COLUMNS:
        values = frame[col]
        if col in labels:
            values = values.map(labels[col])
        elif col in ("eliminated", "relocated"):
            values = pd.Series(np.where(values.to_numpy(dtype=bool), "是", "否"))
        elif col == "eliminated" or values.dtype.kind == "O" or str(values.dtype) == "str":
            values = values.fillna("")
        out[HOUSEHOLD_HEADERS[col][0]] = values.to_numpy()
    _write_csv(pd.DataFrame(out), path)
    return path
