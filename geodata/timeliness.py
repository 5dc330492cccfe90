"""时效 (timeliness): how fast a unit identifies households at risk and helps them, and how much
of its problem list it has fixed, per unit and month (``riskgrid timeliness``, the unit page).

The national rule: a household is identified within 15 days of the first risk clue, and helped
within about half a month. The figures, for ``unit`` and ``month`` (cumulative: everything up
to the month's last day):

- **Identifications counted** (识别): per household its record in the latest snapshot up to
  ``month`` that carries an identification date (识别监测时间) -- that record also says which
  unit the household is in -- when the date lies inside the loaded history: on or after the
  first day of the first loaded month and on or before the month's last day. Households
  identified earlier are left out, so history the store cannot see biases nothing.
- **预警→识别 (warning to identification)**: of those households, the ones with a department
  warning (部门预警) in the 180 days up to and including the identification date; days from the
  earliest such warning to the identification date.
- **识别→首次帮扶 (identification to first measure)**: measures have no dates, only the month
  whose snapshot lists them. The first measure date is the first day of the first snapshot
  month, from the identification's own month on, whose record (with an identification date)
  lists a measure; days = max(0, that date - identification date). A household identified
  but with no measure listed yet counts as ``pending`` (待帮扶), not in the days.
- Each interval: ``n`` households, the median and the 90th percentile by
  ``numpy.percentile(method="linear")`` (the interpolating percentile of Excel's
  PERCENTILE.INC), given in whole days rounded half up (32.5 -> 33, for leaders), and
  ``within_15``: the households done within 15 days and their share (``None`` when ``n`` is 0).
- **问题整改 (problems fixed)**, as the Shanxi campaign counted it (14,036 found, 13,978 fixed,
  99.6 %): the problems listed in the unit (by the problem's own unit codes) first seen in or
  before ``month``, with the status they have now (the list keeps no history of statuses):
  ``found`` all of them, ``fixed`` 已整改, ``dismissed`` 已排除, ``open`` 待核实 or 已核实, and
  ``fixed_share`` = fixed / (found - dismissed), a dismissed problem being no problem; ``None``
  when found - dismissed is 0.

This module is the pure computation over frames (``timeliness``); ``geodata.timeliness_store``
reads what it needs from the store (``store_timeliness``), and the figures of a county and the
units in it are stored per month with the loads (``geodata.records.timeliness_rows``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .model import MONTH_RE
from .records.problem_counts import OPEN

NATIONAL_DAYS = 15  # identify within 15 days of the first clue; help within about half a month
WARNING_WINDOW_DAYS = 180  # the warnings an identification may follow from
PERCENTILE_METHOD = "linear"
HOUSEHOLD_FIELDS = (
    "month",
    "household_id",
    "grid_code",
    "village_code",
    "township_code",
    "county_code",
    "identified_on",
    "measures",
)
SIGNAL_FIELDS = ("household_id", "occurred_on")
PROBLEM_FIELDS = (
    "rule",
    "household_id",
    "grid_code",
    "village_code",
    "township_code",
    "county_code",
    "first_seen",
    "status",
)


@dataclass(frozen=True)
class Membership:
    """Which rows lie in a unit: those whose ``column`` (grid_code … county_code) is one of
    ``codes`` (a province or city: the county codes of its counties)."""

    column: str
    codes: frozenset[str]

    def mask(self, frame: pd.DataFrame) -> np.ndarray:
        return frame[self.column].isin(self.codes).to_numpy(dtype=bool)


def month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and the last day of ``month`` (YYYY-MM)."""
    if not MONTH_RE.match(month):
        raise ValueError(f"not a month: {month!r}")
    period = pd.Period(month, freq="M")
    return period.start_time.normalize(), period.end_time.normalize()


def whole_days(value: float) -> int:
    """Days rounded half up (32.5 -> 33); a hair of float error (42.4999999) counts as .5."""
    return int(np.floor(round(float(value), 6) + 0.5))


def interval_figures(days: pd.Series | np.ndarray) -> dict[str, Any]:
    """n, median, p90 (whole days), within_15 and its share of a set of intervals in days."""
    values = np.asarray(days, dtype=float)
    n = int(values.size)
    if n == 0:
        return {"n": 0, "median": None, "p90": None, "within_15": 0, "within_15_share": None}
    median, p90 = np.percentile(values, [50, 90], method=PERCENTILE_METHOD)
    within = int((values <= NATIONAL_DAYS).sum())
    return {
        "n": n,
        "median": whole_days(median),
        "p90": whole_days(p90),
        "within_15": within,
        "within_15_share": within / n,
    }


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values, errors="coerce").astype("datetime64[ns]")


def has_measure(measures: pd.Series) -> np.ndarray:
    """Which records list at least one measure (帮扶措施 not blank)."""
    text = measures.astype("string").str.strip()
    return (text.notna() & (text != "")).to_numpy(dtype=bool)


def latest_identified(households: pd.DataFrame, month: str, first_month: str) -> pd.DataFrame:
    """The latest record up to ``month`` of every household with an identification date, kept
    where that date lies inside the loaded history (``first_month`` .. ``month``); its unit
    codes and ``identified_on`` as a date."""
    start, _ = month_bounds(first_month)
    _, end = month_bounds(month)
    rows = households[(households["month"] <= month) & households["identified_on"].notna()]
    latest = rows.sort_values(["household_id", "month"]).drop_duplicates(
        "household_id", keep="last"
    )
    on = _dates(latest["identified_on"])
    keep = (on >= start).to_numpy() & (on <= end).to_numpy()
    latest = latest[keep].reset_index(drop=True)
    latest["identified_on"] = on.to_numpy()[keep]
    return latest


def identifications(
    households: pd.DataFrame, membership: Membership, month: str, first_month: str
) -> pd.DataFrame:
    """household_id, identified_on of the households counted (see the module): their latest
    record up to ``month`` with an identification date inside the loaded history and the unit."""
    latest = latest_identified(households, month, first_month)
    keep = membership.mask(latest)
    return pd.DataFrame(
        {
            "household_id": latest["household_id"].to_numpy()[keep],
            "identified_on": latest["identified_on"].to_numpy()[keep],
        }
    ).reset_index(drop=True)


def household_intervals(
    households: pd.DataFrame, signals: pd.DataFrame, month: str, first_month: str
) -> pd.DataFrame:
    """Every household counted in ``month`` (of any unit: :func:`latest_identified`) with its
    unit codes, ``signal_days`` and ``measure_days`` (NaN where it has none). A household's
    intervals depend on its own records only, so a unit's figures are those of its rows."""
    latest = latest_identified(households, month, first_month)
    ident = latest[["household_id", "identified_on"]]
    codes = [
        c for c in ("grid_code", "village_code", "township_code", "county_code") if c in latest
    ]
    out = latest[["household_id", *codes]].copy()
    ids = out["household_id"]
    out["signal_days"] = ids.map(signal_days(ident, signals)).astype(float).to_numpy()
    out["measure_days"] = ids.map(measure_days(ident, households, month)).astype(float).to_numpy()
    return out


def unit_intervals(intervals: pd.DataFrame, membership: Membership) -> dict[str, Any]:
    """A unit's identified count and interval figures from :func:`household_intervals`."""
    rows = intervals[membership.mask(intervals)]
    helped = rows["measure_days"].dropna()
    return {
        "identified": len(rows),
        "signal_to_identification": interval_figures(rows["signal_days"].dropna()),
        "identification_to_measure": {
            **interval_figures(helped),
            "pending": len(rows) - len(helped),
        },
    }


def signal_days(ident: pd.DataFrame, signals: pd.DataFrame) -> pd.Series:
    """Days from the earliest warning in the 180 days up to each identification to it."""
    if ident.empty or signals.empty:
        return pd.Series(dtype=float)
    warned = ident.merge(
        pd.DataFrame(
            {
                "household_id": signals["household_id"].to_numpy(),
                "occurred_on": _dates(signals["occurred_on"]).to_numpy(),
            }
        ),
        on="household_id",
    )
    window = pd.Timedelta(days=WARNING_WINDOW_DAYS)
    warned = warned[
        (warned["occurred_on"] <= warned["identified_on"])
        & (warned["occurred_on"] >= warned["identified_on"] - window)
    ]
    first = warned.groupby("household_id")[["identified_on", "occurred_on"]].min()
    return (first["identified_on"] - first["occurred_on"]).dt.days


def measure_days(ident: pd.DataFrame, households: pd.DataFrame, month: str) -> pd.Series:
    """Days from each identification to its first measure (the first day of the first month,
    from the identification's month on, whose record lists one), at least 0."""
    rows = households[
        (households["month"] <= month)
        & households["identified_on"].notna()
        & has_measure(households["measures"])
    ]
    if ident.empty or rows.empty:
        return pd.Series(dtype=float)
    listed = ident.merge(
        pd.DataFrame(
            {
                "household_id": rows["household_id"].to_numpy(),
                "listed_on": pd.to_datetime(rows["month"].to_numpy(), format="%Y-%m"),
            }
        ),
        on="household_id",
    )
    own_month = listed["identified_on"].dt.to_period("M").dt.start_time
    listed = listed[listed["listed_on"] >= own_month]
    first = listed.groupby("household_id")[["identified_on", "listed_on"]].min()
    return (first["listed_on"] - first["identified_on"]).dt.days.clip(lower=0)


def problem_figures(problems: pd.DataFrame, membership: Membership, month: str) -> dict[str, Any]:
    """found, fixed, dismissed, open and fixed_share = fixed / (found - dismissed) of the
    problems of the unit first seen in or before ``month``."""
    listed = problems[(problems["first_seen"] <= month).to_numpy() & membership.mask(problems)]
    return status_figures(listed["status"].value_counts().to_dict())


def status_figures(counts: dict[str, int]) -> dict[str, Any]:
    """:func:`problem_figures` from the count of the unit's problems per status."""
    counts = {status: int(n) for status, n in counts.items()}
    found, fixed, dismissed = (
        sum(counts.values()),
        counts.get("fixed", 0),
        counts.get("dismissed", 0),
    )
    opened = sum(counts.get(s, 0) for s in OPEN)
    share = fixed / (found - dismissed) if found - dismissed else None
    return {
        "found": found,
        "fixed": fixed,
        "dismissed": dismissed,
        "open": opened,
        "fixed_share": share,
    }


def timeliness(
    households: pd.DataFrame,
    signals: pd.DataFrame,
    problems: pd.DataFrame,
    membership: Membership,
    month: str,
    *,
    first_month: str | None = None,
) -> dict[str, Any]:
    """The timeliness figures of a unit (``membership``) and ``month`` (see the module).

    ``households``: snapshots (HOUSEHOLD_FIELDS; may be only those with an identification
    date); ``signals``: department warnings (household_id, occurred_on); ``problems``: the
    problem list (PROBLEM_FIELDS); ``first_month``: the first loaded month (default: the
    earliest month of ``households``).
    """
    first_month = first_month or (str(households["month"].min()) if len(households) else month)
    intervals = household_intervals(households, signals, month, first_month)
    return from_intervals(intervals, problems, membership, month, first_month)


def from_intervals(
    intervals: pd.DataFrame,
    problems: pd.DataFrame | dict[str, int],
    membership: Membership,
    month: str,
    first_month: str,
) -> dict[str, Any]:
    """The timeliness figures of a unit from :func:`household_intervals` of its month;
    ``problems``: the problem list, or the unit's problems counted per status."""
    if isinstance(problems, dict):
        fixing = status_figures(problems)
    else:
        fixing = problem_figures(problems, membership, month)
    return with_problems(unit_intervals(intervals, membership), fixing, month, first_month)


def with_problems(
    part: dict[str, Any], fixing: dict[str, Any], month: str, first_month: str
) -> dict[str, Any]:
    """The timeliness figures of a unit from its :func:`unit_intervals` (computed now or
    stored) and its :func:`status_figures`."""
    _, end = month_bounds(month)
    return {
        "month": month,
        "since": first_month,
        "through": end.strftime("%Y-%m-%d"),
        **part,
        "problems": fixing,
        "percentile_method": PERCENTILE_METHOD,
        "national_days": NATIONAL_DAYS,
    }


def units_intervals(intervals: pd.DataFrame, units: list[tuple[str, str]]) -> dict[str, Any]:
    """:func:`unit_intervals` of each unit of ``units`` ((code, level) of a county and the
    units in it) from the county's :func:`household_intervals`, by code."""
    return {
        code: unit_intervals(intervals, Membership(f"{level}_code", frozenset([code])))
        for code, level in units
    }
