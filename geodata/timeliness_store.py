"""时效 (timeliness) of a unit and month from the store (``riskgrid timeliness``, the unit page):
the figures of ``geodata.timeliness`` over what they need, read by index.

A county or a unit in it: its intervals as stored with the loads at the current data version
(``geodata.records.timeliness_rows``: one row by key), else computed from the county's own
households' records and warnings (about 0.1 to 0.2 s a county of a 10-million-household
province, kept per process and data version for the county's townships and villages); its
problems counted per status. Above the county: the whole store's records.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import pandas as pd

from .model import UPPER_LEVELS, Unit
from .timeliness import (
    Membership,
    household_intervals,
    status_figures,
    unit_intervals,
    with_problems,
)

_SHARED: OrderedDict[tuple[str | None, ...], pd.DataFrame] = OrderedDict()
_SHARED_LOCK = threading.Lock()
_SHARED_SIZE = 24  # months or counties (or data versions) kept


def unit_membership(store, unit: Unit) -> Membership:
    """The rows of ``unit``: a province or city by the county codes of its counties."""
    if unit.level in UPPER_LEVELS:
        return Membership("county_code", store.county_codes_in(unit))
    return Membership(f"{unit.level}_code", frozenset([unit.code]))


def _shared_intervals(
    store,
    month: str,
    months: list[str],
    first_month: str,
    county: str | None = None,
    version: str | None = None,
) -> pd.DataFrame:
    """:func:`geodata.timeliness.household_intervals` of ``month`` over the whole store (or
    ``county``'s households: ``TimelinessRows.timeliness_records``), computed once per data
    version and month and kept for the next unit (keyed by the version, so a load is seen at
    once; the frame is only read)."""
    version = version or store.data_version()
    key = (str(store.engine.url), version, month, first_month, county)
    with _SHARED_LOCK:
        if key in _SHARED:
            _SHARED.move_to_end(key)
            return _SHARED[key]
    with store.engine.connect() as conn:
        households, signals = store.timeliness_records(conn, month, months, first_month, county)
    intervals = household_intervals(households, signals, month, first_month)
    with _SHARED_LOCK:
        _SHARED[key] = intervals
        while len(_SHARED) > _SHARED_SIZE:
            _SHARED.popitem(last=False)
    return intervals


def store_timeliness(
    store,
    unit: Unit | str,
    month: str | None = None,
    *,
    version: str | None = None,
    months: list[str] | None = None,
) -> dict[str, Any]:
    """The timeliness figures of ``unit`` (a Unit or its code) and ``month`` (default: the
    latest) from the store, with the unit; reads only what the figures need. ``version`` and
    ``months``: the data version and the loaded months, when the caller has them."""
    if isinstance(unit, str):
        found = store.unit(unit)
        if found is None:
            raise KeyError(f"no such unit: {unit}")
        unit = found
    months = store.months() if months is None else months
    month = month or (months[-1] if months else None)
    if month is None:
        raise ValueError("no months loaded")
    first_month = months[0] if months and months[0] <= month else month
    version = version or store.data_version()
    part = store.stored_timeliness(unit, month, version, first_month)
    if part is None:
        county = None if unit.level in UPPER_LEVELS else unit.county_code
        intervals = _shared_intervals(store, month, months, first_month, county, version)
        part = unit_intervals(intervals, unit_membership(store, unit))
    fixing = status_figures(store.problem_status_counts(unit, month))
    figures = with_problems(part, fixing, month, first_month)
    return {"unit": {"code": unit.code, "name": unit.name, "level": unit.level}, **figures}
