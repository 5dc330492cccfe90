"""The rules over a stored month: the inputs read from the store, the hits of a unit."""

from __future__ import annotations

from collections.abc import Collection
from contextlib import nullcontext

import pandas as pd
from sqlalchemy.engine import Connection

from ..model import UPPER_LEVELS, Unit
from .evaluate import HIT_COLUMNS, UNIT_COLUMNS, evaluate_month

# what the rules read of a month's households (no other column: the read is the cost)
HOUSEHOLD_FIELDS = (
    "household_id",
    *UNIT_COLUMNS,
    "category",
    "income_per_capita",
    "identified_on",
    "eliminated",
    "elimination_mode",
    "eliminated_on",
    "measures",
    "risk_causes",
    "labor_count",
)
# the rules that read the members, the previous snapshot, the department warnings
MEMBER_RULES = ("eliminated_without_labour", "labour_without_development_measure")
PREVIOUS_RULES = ("income_drop",)
SIGNAL_RULES = ("signal_not_identified",)


def check_month(
    store,
    month: str,
    unit: Unit | None = None,
    rules: tuple[str, ...] | None = None,
    *,
    household_ids: Collection[str] | None = None,
    counties: Collection[str] | None = None,
    conn: Connection | None = None,
) -> pd.DataFrame:
    """The rule hits of ``month`` (HIT_COLUMNS) inside ``unit`` (all units when None): the
    month's households, members and department warnings, the previous snapshot for the income
    drop, under the month's policy (its year's lines). ``household_ids``: only these
    households are read and evaluated; ``counties``: only the households of these counties
    (by ``county_code``, through the month's (month, county_code) index on PostgreSQL), and
    the members, previous snapshot and warnings of those households (by household number):
    a county's figures are exactly those of the whole month's evaluation; ``rules``: only the
    inputs these rules read are read. ``conn``: everything is read inside that transaction (a
    load's, before it commits)."""

    def needs(some: tuple[str, ...]) -> bool:
        return rules is None or any(r in rules for r in some)

    months = store.months(conn)
    if month not in months:
        return pd.DataFrame(columns=list(HIT_COLUMNS))
    ids = None if household_ids is None else sorted(set(household_ids))
    if unit is not None and counties is None and ids is None:
        counties = unit_counties(unit, store)  # the hits are filtered to the unit below
    with nullcontext(conn) if conn is not None else store.engine.connect() as conn:
        households = store.household_columns(
            conn, month, HOUSEHOLD_FIELDS, household_ids=ids, counties=counties
        )
        if counties is not None:  # the other inputs of these households only
            ids = list(households["household_id"])
        members = (
            store.member_skills(month, conn, household_ids=ids, counties=counties)
            if needs(MEMBER_RULES)
            else None
        )
        policy = store.policies(conn, [month])[month]
        lines = policy.lines
        before = [m for m in months if m < month]
        previous = (
            _previous(store, conn, before[-1], ids, counties)
            if before and needs(PREVIOUS_RULES)
            else None
        )
        signals = (
            store.signal_dates(conn, household_ids=ids, counties=counties, month=month)
            if needs(SIGNAL_RULES)
            else None
        )
    hits = evaluate_month(
        households,
        month,
        lines,
        policy.thresholds,
        members=members,
        signals=signals,
        previous=previous,
    )
    if rules is not None:
        hits = hits[hits["rule"].isin(rules)]
    if unit is not None:
        hits = hits[in_unit(hits, unit, store)]
    return hits.reset_index(drop=True)


def _previous(
    store, conn: Connection, month: str, ids: list[str] | None, counties: Collection[str] | None
) -> pd.DataFrame:
    """household_id and income_per_capita of ``month`` (the one before) for ``ids``: with
    ``counties``, those counties' rows through their index, and by household number only the
    households that were elsewhere (or nowhere) then: a 10-million-row month is never
    searched for 100,000 numbers at once."""
    cols = ["household_id", "income_per_capita"]
    if counties is None:
        return store.household_columns(conn, month, cols, household_ids=ids)
    there = store.household_columns(conn, month, cols, counties=counties)
    missing = sorted(set(ids or ()) - set(there["household_id"]))
    if not missing:
        return there
    moved = store.household_columns(conn, month, cols, household_ids=missing)
    return pd.concat([there, moved], ignore_index=True)


def check_counties(
    store,
    month: str,
    counties: Collection[str],
    rules: tuple[str, ...] | None = None,
    *,
    conn: Connection | None = None,
) -> pd.DataFrame:
    """The rule hits of ``month`` in ``counties`` only (``check_month`` with ``counties``)."""
    return check_month(store, month, rules=rules, counties=counties, conn=conn)


def unit_counties(unit: Unit, store) -> list[str] | None:
    """The counties ``unit`` lies in or holds (a province or city by the counties in it);
    None when not known (every county is read)."""
    if unit.level in UPPER_LEVELS:
        frame = store.units_frame()
        inside = (frame["level"] == "county") & (frame[f"{unit.level}_code"] == unit.code)
        return sorted(frame.loc[inside, "code"])
    county = unit.code if unit.level == "county" else unit.county_code
    return None if county is None else [county]


def in_unit(hits: pd.DataFrame, unit: Unit, store) -> pd.Series:
    """Which hits lie in ``unit`` (a province or city by its counties)."""
    if unit.level in UPPER_LEVELS:
        frame = store.units_frame()
        inside = (frame["level"] == "county") & (frame[f"{unit.level}_code"] == unit.code)
        return hits["county_code"].isin(set(frame.loc[inside, "code"]))
    return hits[f"{unit.level}_code"] == unit.code
