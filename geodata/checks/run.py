"""The rules over a stored month: the inputs read from the store, the hits of a unit."""

from __future__ import annotations

import pandas as pd

from ..model import UPPER_LEVELS, Unit
from .catalog import Thresholds
from .evaluate import HIT_COLUMNS, evaluate_month


def check_month(
    store, month: str, unit: Unit | None = None, rules: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """The rule hits of ``month`` (HIT_COLUMNS) inside ``unit`` (all units when None): the
    month's households, members and department warnings, the previous snapshot for the income
    drop, under the month's policy (its year's lines)."""
    months = store.months()
    if month not in months:
        return pd.DataFrame(columns=list(HIT_COLUMNS))
    with store.engine.connect() as conn:
        households = store.households_frame(month, conn)
        members = store.member_skills(month, conn)
        lines = store.policies(conn, [month])[month].lines
        before = [m for m in months if m < month]
        previous = (
            store.households_frame(before[-1], conn, columns=["household_id", "income_per_capita"])
            if before
            else None
        )
    signals = store.signals_frame()
    hits = evaluate_month(
        households, month, lines, Thresholds(), members=members, signals=signals, previous=previous
    )
    if rules is not None:
        hits = hits[hits["rule"].isin(rules)]
    if unit is not None:
        hits = hits[in_unit(hits, unit, store)]
    return hits.reset_index(drop=True)


def in_unit(hits: pd.DataFrame, unit: Unit, store) -> pd.Series:
    """Which hits lie in ``unit`` (a province or city by its counties)."""
    if unit.level in UPPER_LEVELS:
        frame = store.units_frame()
        inside = (frame["level"] == "county") & (frame[f"{unit.level}_code"] == unit.code)
        return hits["county_code"].isin(set(frame.loc[inside, "code"]))
    return hits[f"{unit.level}_code"] == unit.code
