"""The rules over one month: plain vectorised functions of the month's households, their members
and department warnings (and the previous snapshot), evaluated as of the month's last day.

``evaluate_month`` returns one row per hit: rule, severity, household, its unit codes and the
evidence (the values that made the rule fire). Each rule is a function ``(Facts) -> (mask,
evidence columns)`` in ``RULE_FUNCTIONS``, tested on its own.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..model import Lines
from .catalog import (
    DEVELOPMENT_MEASURES,
    LABOUR_SKILLS,
    NO_LABOUR_SKILLS,
    RULES,
    RULES_BY_ID,
    Thresholds,
)

UNIT_COLUMNS = ("grid_code", "village_code", "township_code", "county_code")
HIT_COLUMNS = ("rule", "severity", "household_id", *UNIT_COLUMNS, "evidence")
_DEVELOPMENT = re.compile("|".join(re.escape(m) for m in DEVELOPMENT_MEASURES))


def month_end(month: str) -> pd.Timestamp:
    year, mon = int(month[:4]), int(month[5:7])
    return pd.Timestamp(year, mon, calendar.monthrange(year, mon)[1])


@dataclass
class Facts:
    """What the rules read about each household of the month, aligned on ``households``."""

    households: pd.DataFrame
    month: str
    on: pd.Timestamp  # the evaluation date: the month's last day
    lines: Lines
    thresholds: Thresholds
    monitored: pd.Series
    eliminated: pd.Series
    income: pd.Series
    identified: pd.Series
    eliminated_on: pd.Series
    measures: pd.Series  # text, "" when none
    has_labour: pd.Series  # a member with labour capacity (or 劳动力人数 > 0 without members)
    no_labour: pd.Series  # every member without labour capacity (or 劳动力人数 == 0)
    previous_income: pd.Series  # NaN where there is no previous snapshot of the household
    oldest_signal: pd.Series  # the oldest department warning up to ``on`` (NaT for none)
    signals_before: pd.Series  # warnings older than the threshold, per household


def facts(
    households: pd.DataFrame,
    month: str,
    lines: Lines,
    thresholds: Thresholds | None = None,
    *,
    members: pd.DataFrame | None = None,
    signals: pd.DataFrame | None = None,
    previous: pd.DataFrame | None = None,
) -> Facts:
    """The facts of ``households`` (one month's snapshot rows); ``members``: household_id and
    labor_skill of the month's member rows; ``signals``: household_id and occurred_on of the
    department warnings; ``previous``: household_id and income_per_capita of the snapshot
    before."""
    t = thresholds or Thresholds()
    hh = households.reset_index(drop=True)
    ids = hh["household_id"]
    on = month_end(month)
    category = hh["category"].astype(object)
    monitored = category.notna() & (category != "")
    eliminated = hh["eliminated"].astype("boolean").fillna(False).astype(bool)
    labor_count = pd.to_numeric(hh.get("labor_count"), errors="coerce")
    has_labour = (labor_count > 0).fillna(False)
    no_labour = (labor_count == 0).fillna(False)
    if members is not None and len(members):
        skill = members["labor_skill"].astype(object).fillna("")
        per = pd.DataFrame(
            {
                "household_id": members["household_id"],
                "able": skill.isin(LABOUR_SKILLS),
                "unable": skill.isin(NO_LABOUR_SKILLS),
            }
        ).groupby("household_id")
        able, unable = per["able"].any(), per["unable"].all()
        known = ids.isin(able.index)
        has_labour = has_labour.where(~known, ids.map(able).fillna(False).astype(bool))
        no_labour = no_labour.where(~known, ids.map(unable).fillna(False).astype(bool))
    previous_income = pd.Series(np.nan, index=hh.index)
    if previous is not None and len(previous):
        prev = pd.to_numeric(
            previous.set_index("household_id")["income_per_capita"], errors="coerce"
        )
        previous_income = ids.map(prev).astype(float)
    oldest = pd.Series(pd.NaT, index=hh.index, dtype="datetime64[ns]")
    old_count = pd.Series(0, index=hh.index)
    if signals is not None and len(signals):
        when = pd.to_datetime(signals["occurred_on"])
        s = pd.DataFrame({"household_id": signals["household_id"], "when": when})
        s = s[s["when"] <= on]
        oldest = ids.map(s.groupby("household_id")["when"].min()).astype("datetime64[ns]")
        late = s[s["when"] < on - pd.Timedelta(days=t.signal_days)]
        old_count = ids.map(late.groupby("household_id").size()).fillna(0).astype(int)
    return Facts(
        households=hh,
        month=month,
        on=on,
        lines=lines,
        thresholds=t,
        monitored=monitored,
        eliminated=eliminated,
        income=pd.to_numeric(hh["income_per_capita"], errors="coerce").astype(float),
        identified=pd.to_datetime(hh["identified_on"]),
        eliminated_on=pd.to_datetime(hh["eliminated_on"]),
        measures=hh["measures"].astype(object).fillna("").astype(str),
        has_labour=has_labour.astype(bool),
        no_labour=no_labour.astype(bool),
        previous_income=previous_income,
        oldest_signal=oldest,
        signals_before=old_count,
    )


Result = tuple[pd.Series, dict[str, pd.Series]]


def _income(f: Facts) -> dict[str, pd.Series]:
    return {"income_per_capita": f.income}


def unmonitored_below_line(f: Facts) -> Result:
    mask = ~f.monitored & (f.income < f.lines.monitoring)
    return mask, {**_income(f), "monitoring_line": _const(f, f.lines.monitoring)}


def unmonitored_below_observation(f: Facts) -> Result:
    mask = ~f.monitored & (f.income >= f.lines.monitoring) & (f.income < f.lines.observation)
    return mask, {**_income(f), "observation_line": _const(f, f.lines.observation)}


def assisted_elimination_below_line(f: Facts) -> Result:
    mode = f.households["elimination_mode"].astype(object)
    mask = f.eliminated & (mode == "帮扶消除") & (f.income < f.lines.monitoring)
    return mask, {**_income(f), "monitoring_line": _const(f, f.lines.monitoring)}


def eliminated_before_identified(f: Facts) -> Result:
    mask = (f.eliminated_on < f.identified).fillna(False)
    return mask, _dates(f)


def eliminated_too_soon(f: Facts) -> Result:
    due = f.identified + pd.DateOffset(months=f.thresholds.elimination_months)
    mask = f.eliminated & (f.eliminated_on >= f.identified) & (f.eliminated_on < due)
    return mask.fillna(False), _dates(f)


def eliminated_without_labour(f: Facts) -> Result:
    return f.eliminated & f.no_labour, {"eliminated_on": _iso(f.eliminated_on)}


def no_measures(f: Facts) -> Result:
    since = f.on - pd.DateOffset(months=f.thresholds.measure_months)
    mask = f.monitored & ~f.eliminated & (f.identified <= since) & (f.measures == "")
    return mask.fillna(False), {"identified_on": _iso(f.identified)}


def labour_without_development_measure(f: Facts) -> Result:
    development = f.measures.str.contains(_DEVELOPMENT)
    mask = f.monitored & f.has_labour & (f.measures != "") & ~development
    return mask, {"measures": f.measures}


def no_cause(f: Facts) -> Result:
    causes = f.households["risk_causes"].astype(object).fillna("")
    return f.monitored & (causes == ""), {}


def income_drop(f: Facts) -> Result:
    prev, cur = f.previous_income, f.income
    mask = (prev > 0) & ((prev - cur) > f.thresholds.income_drop * prev)
    drop = ((prev - cur) / prev).round(4)
    return mask.fillna(False), {**_income(f), "previous_income": prev, "drop": drop}


def signal_not_identified(f: Facts) -> Result:
    mask = ~f.monitored & (f.signals_before > 0)
    return mask, {"oldest_signal": _iso(f.oldest_signal), "signals": f.signals_before}


RULE_FUNCTIONS: dict[str, Callable[[Facts], Result]] = {
    "unmonitored_below_line": unmonitored_below_line,
    "unmonitored_below_observation": unmonitored_below_observation,
    "assisted_elimination_below_line": assisted_elimination_below_line,
    "eliminated_before_identified": eliminated_before_identified,
    "eliminated_too_soon": eliminated_too_soon,
    "eliminated_without_labour": eliminated_without_labour,
    "no_measures": no_measures,
    "labour_without_development_measure": labour_without_development_measure,
    "no_cause": no_cause,
    "income_drop": income_drop,
    "signal_not_identified": signal_not_identified,
}
assert set(RULE_FUNCTIONS) == set(RULES_BY_ID), "every rule of the catalog has its function"


def evaluate(f: Facts, rules: tuple[str, ...] | None = None) -> pd.DataFrame:
    """The hits of ``rules`` (all by default), one row per (rule, household), in the catalog's
    order and then by household."""
    parts = []
    hh = f.households
    for rule in RULES:
        if rules is not None and rule.id not in rules:
            continue
        mask, evidence = RULE_FUNCTIONS[rule.id](f)
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        if not len(rows):
            continue
        part = hh.iloc[rows][["household_id", *UNIT_COLUMNS]].copy()
        part.insert(0, "rule", rule.id)
        part.insert(1, "severity", rule.severity)
        frame = pd.DataFrame({k: v.iloc[rows].to_numpy() for k, v in evidence.items()})
        part["evidence"] = (
            [_plain(r) for r in frame.to_dict("records")]
            if len(frame.columns)
            else [{}] * len(rows)
        )
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=list(HIT_COLUMNS))
    out = pd.concat(parts, ignore_index=True)
    return out[list(HIT_COLUMNS)]


def evaluate_month(
    households: pd.DataFrame,
    month: str,
    lines: Lines,
    thresholds: Thresholds | None = None,
    **inputs: Any,
) -> pd.DataFrame:
    """``evaluate(facts(...))``: every rule over one month."""
    return evaluate(facts(households, month, lines, thresholds, **inputs))


def _const(f: Facts, value: float) -> pd.Series:
    return pd.Series(value, index=f.households.index)


def _iso(dates: pd.Series) -> pd.Series:
    return dates.dt.strftime("%Y-%m-%d").astype(object).where(dates.notna(), None)


def _dates(f: Facts) -> dict[str, pd.Series]:
    return {"identified_on": _iso(f.identified), "eliminated_on": _iso(f.eliminated_on)}


def _plain(record: dict[str, Any]) -> dict[str, Any]:
    """Evidence as JSON-ready values: no NaN, no numpy scalars."""
    out: dict[str, Any] = {}
    for k, v in record.items():
        if v is None or (isinstance(v, float) and v != v):
            out[k] = None
        elif isinstance(v, np.integer):
            out[k] = int(v)
        elif isinstance(v, np.floating):
            out[k] = float(v)
        else:
            out[k] = v
    return out
