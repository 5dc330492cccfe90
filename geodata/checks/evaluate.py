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
import pyarrow as pa
import pyarrow.compute as pc

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
    n = len(hh)
    ids = _arrow(hh["household_id"])
    first = _positions(ids, ids)  # each household's first row: its own unless listed twice
    first = np.where(first < 0, np.arange(n), first)
    on = month_end(month)
    category = hh["category"].astype(object)
    monitored = category.notna() & (category != "")
    eliminated = hh["eliminated"].astype("boolean").fillna(False).astype(bool)
    labor_count = pd.to_numeric(hh.get("labor_count"), errors="coerce")
    has_labour = np.array((labor_count > 0).fillna(False), dtype=bool)
    no_labour = np.array((labor_count == 0).fillna(False), dtype=bool)
    if members is not None and len(members):
        at = _positions(ids, _arrow(members["household_id"]))
        kept = at >= 0
        at = at[kept]
        rows = np.bincount(at, minlength=n)[first]
        able = np.bincount(at, members["labor_skill"].isin(LABOUR_SKILLS).to_numpy()[kept], n)
        unable = np.bincount(at, members["labor_skill"].isin(NO_LABOUR_SKILLS).to_numpy()[kept], n)
        has_labour = np.where(rows > 0, able[first] > 0, has_labour)
        no_labour = np.where(rows > 0, unable[first] == rows, no_labour)
    previous_income = np.full(n, np.nan)
    if previous is not None and len(previous):
        prev = pd.to_numeric(previous["income_per_capita"], errors="coerce").to_numpy(float)
        at = _positions(ids, _arrow(previous["household_id"]))
        kept = at >= 0
        previous_income[at[kept]] = prev[kept]
        previous_income = previous_income[first]
    oldest = np.full(n, np.iinfo(np.int64).max)
    old_count = np.zeros(n, dtype=np.int64)
    if signals is not None and len(signals):
        when = pd.to_datetime(signals["occurred_on"]).to_numpy(dtype="datetime64[ns]")
        at = _positions(ids, _arrow(signals["household_id"]))
        kept = (at >= 0) & (when <= on.to_datetime64())
        np.minimum.at(oldest, at[kept], when[kept].view(np.int64))
        late = kept & (when < (on - pd.Timedelta(days=t.signal_days)).to_datetime64())
        old_count = np.bincount(at[late], minlength=n)[first]
        oldest = oldest[first]
    oldest = np.where(oldest == np.iinfo(np.int64).max, np.iinfo(np.int64).min, oldest)
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
        has_labour=pd.Series(has_labour, index=hh.index),
        no_labour=pd.Series(no_labour, index=hh.index),
        previous_income=pd.Series(previous_income, index=hh.index),
        oldest_signal=pd.Series(oldest.view("datetime64[ns]"), index=hh.index),
        signals_before=pd.Series(old_count, index=hh.index),
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
    keys: dict[str, np.ndarray] | None = None
    for rule in RULES:
        if rules is not None and rule.id not in rules:
            continue
        mask, evidence = RULE_FUNCTIONS[rule.id](f)
        rows = np.flatnonzero(np.asarray(mask, dtype=bool))
        if not len(rows):
            continue
        if keys is None:
            keys = {c: hh[c].to_numpy(dtype=object) for c in ("household_id", *UNIT_COLUMNS)}
        values = [_plain_values(v.to_numpy()[rows]) for v in evidence.values()]
        names = list(evidence)
        part = {"rule": rule.id, "severity": rule.severity, **{c: k[rows] for c, k in keys.items()}}
        part["evidence"] = [
            dict(zip(names, r, strict=True)) for r in zip(*values, strict=True)
        ] or [{} for _ in rows]
        parts.append(pd.DataFrame(part, columns=list(HIT_COLUMNS)))
    if not parts:
        return pd.DataFrame(columns=list(HIT_COLUMNS))
    return pd.concat(parts, ignore_index=True)


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
    """The dates as YYYY-MM-DD text (None for none), each distinct date formatted once."""
    codes, uniques = pd.factorize(dates)
    text = np.append(np.asarray(uniques.strftime("%Y-%m-%d"), dtype=object), None)
    return pd.Series(text[codes], index=dates.index, dtype=object)


def _dates(f: Facts) -> dict[str, pd.Series]:
    return {"identified_on": _iso(f.identified), "eliminated_on": _iso(f.eliminated_on)}


def _arrow(values: pd.Series) -> pa.Array:
    """Identifiers as one Arrow text array (no copy when they are Arrow-backed already)."""
    array = pa.array(values, from_pandas=True)
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def _positions(keys: pa.Array, values: pa.Array) -> np.ndarray:
    """The row of ``keys`` holding each of ``values`` (the first such row; -1 for none)."""
    found = pc.index_in(values, value_set=keys, skip_nulls=True)
    return found.fill_null(-1).to_numpy(zero_copy_only=False)


def _plain_values(values: np.ndarray) -> list[Any]:
    """A column of evidence as JSON-ready values: no NaN, no numpy scalars."""
    if values.dtype.kind in "iub":
        return values.tolist()
    if values.dtype.kind == "f":
        return [None if v != v else v for v in values.tolist()]
    return [_plain_value(v) for v in values]


def _plain_value(v: Any) -> Any:
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return None if v != v else float(v)
    return v
