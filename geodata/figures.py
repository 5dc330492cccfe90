"""The one computation of every figure riskgrid shows.

``compute_month`` turns one month's household snapshot into a figures dict per unit (county,
township, village, grid) and per resettlement site. The store runs it at load time and keeps
the result per unit and month; every view, export and the CLI read those stored dicts.

Definitions (also in README.md):
- monitored: households of the three categories (unstable, marginal, sudden), eliminated or not.
- eliminated: monitored households whose risk is eliminated (风险是否已消除 = 是).
- clearance_rate: eliminated over monitored, in households and in persons (a fraction).
- open_by_level: monitored, not eliminated, by risk level.
- by_cause: monitored households naming that cause (a household may name several).
- below_*_line: all households whose income per person is below the line.
- sites: resettlement sites located in the unit; relocated households and persons living in the
  unit; households_with_labour: relocated households with labour_count >= 1;
  employment_coverage: the share of those with at least one member employed.
- risk_level: the highest open level (red > yellow > blue) among its households, else "none".
- unassigned: households with no grid (未分配网格: left out of the grid assignment, or from
  a file with no grid code) and their persons; they count in their village, township and
  county like any other, and a grid's own figures have none.
- warnings: department warnings (部门预警) that occurred in the month, on households of the unit:
  signals, the households they concern, and of those the households not monitored in this
  month's snapshot (unmonitored_households: to be checked, 待核查); by_department counts signals.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from .model import CATEGORIES, LEVELS, RISK_LEVELS, UPPER_LEVELS, Lines

CAUSE_SEPARATOR = "、"


def _month_bounds(month: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    start = pd.Timestamp(f"{month}-01")
    return start, start + pd.offsets.MonthBegin(1)


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if denominator == 0 else numerator / denominator


def empty_warnings() -> dict[str, Any]:
    return {"signals": 0, "households": 0, "unmonitored_households": 0, "by_department": {}}


def empty_figures() -> dict[str, Any]:
    zero = {"households": 0, "persons": 0}
    return {
        "households": 0,
        "persons": 0,
        "monitored": dict(zero),
        "eliminated": dict(zero),
        "open": dict(zero),
        "clearance_rate": {"households": None, "persons": None},
        "open_by_level": {lv: dict(zero) for lv in ("red", "yellow", "blue")},
        "by_category": {c: dict(zero) for c in CATEGORIES},
        "by_cause": {},
        "below_monitoring_line": {"households": 0},
        "below_observation_line": {"households": 0},
        "new_this_month": {"identified": dict(zero), "eliminated": dict(zero)},
        "risk_level": "none",
        "monitored_share": {"persons": None},
        "unassigned": dict(zero),
        "sites": {
            "count": 0,
            "relocated_households": 0,
            "relocated_persons": 0,
            "households_with_labour": 0,
            "employed_households": 0,
            "employment_coverage": None,
        },
        "warnings": empty_warnings(),
    }


def _true(values: pd.Series) -> np.ndarray:
    """True where a yes/no column says yes, whatever its type (bool, object with None, float
    0/1 with NaN from a database); missing is no."""
    return values.eq(True).to_numpy(dtype=bool, na_value=False)


def _flags(df: pd.DataFrame, month: str, lines: Lines) -> pd.DataFrame:
    """Per-household 0/1 indicator columns, and persons where it counts in persons."""
    start, end = _month_bounds(month)
    monitored = df["category"].isin(CATEGORIES).to_numpy()
    eliminated = monitored & _true(df["eliminated"])
    open_ = monitored & ~eliminated
    persons = df["persons"].astype("int64").to_numpy()
    identified_on = pd.to_datetime(df["identified_on"], errors="coerce")
    eliminated_on = pd.to_datetime(df["eliminated_on"], errors="coerce")
    income = pd.to_numeric(df["income_per_capita"], errors="coerce")
    relocated = _true(df["relocated"])
    labour = pd.to_numeric(df["labor_count"], errors="coerce").fillna(0).to_numpy() > 0
    employed = pd.to_numeric(df["employed_count"], errors="coerce").fillna(0).to_numpy() > 0
    risk = df["risk_level"].astype(object).to_numpy()
    new_identified = monitored & ((identified_on >= start) & (identified_on < end)).to_numpy()
    new_eliminated = eliminated & ((eliminated_on >= start) & (eliminated_on < end)).to_numpy()

    cols: dict[str, np.ndarray] = {"households": np.ones(len(df), dtype="int64")}

    def add(name: str, mask: np.ndarray) -> None:
        mask = np.asarray(mask, dtype=bool)
        cols[f"{name}_h"] = mask.astype("int64")
        cols[f"{name}_p"] = np.where(mask, persons, 0)

    add("all", np.ones(len(df), dtype=bool))
    add("monitored", monitored)
    add("eliminated", eliminated)
    add("open", open_)
    for lv in RISK_LEVELS:
        add(f"open_{lv}", open_ & (risk == lv))
    for cat in CATEGORIES:
        add(f"cat_{cat}", monitored & (df["category"].to_numpy() == cat))
    add("new_identified", new_identified)
    add("new_eliminated", new_eliminated)
    add("relocated", relocated)
    add("unassigned", df["grid_code"].isna().to_numpy() | (df["grid_code"] == "").to_numpy())
    cols["below_monitoring_h"] = (
        (income < lines.monitoring).fillna(False).to_numpy().astype("int64")
    )
    cols["below_observation_h"] = (
        (income < lines.observation).fillna(False).to_numpy().astype("int64")
    )
    cols["labour_h"] = (relocated & labour).astype("int64")
    cols["employed_h"] = (relocated & labour & employed).astype("int64")
    cols["risk_rank"] = np.select(
        [open_ & (risk == "red"), open_ & (risk == "yellow"), open_ & (risk == "blue")],
        [3, 2, 1],
        0,
    )
    return pd.DataFrame(cols, index=df.index)


_RANK_LEVEL = {0: "none", 1: "blue", 2: "yellow", 3: "red"}


def _figures_from_row(row: dict[str, Any]) -> dict[str, Any]:
    hp = lambda name: {"households": int(row[f"{name}_h"]), "persons": int(row[f"{name}_p"])}  # noqa: E731
    monitored = hp("monitored")
    eliminated = hp("eliminated")
    fig = empty_figures()
    fig.update(
        households=int(row["all_h"]),
        persons=int(row["all_p"]),
        monitored=monitored,
        eliminated=eliminated,
        open=hp("open"),
        clearance_rate={
            "households": _ratio(eliminated["households"], monitored["households"]),
            "persons": _ratio(eliminated["persons"], monitored["persons"]),
        },
        open_by_level={lv: hp(f"open_{lv}") for lv in ("red", "yellow", "blue")},
        by_category={c: hp(f"cat_{c}") for c in CATEGORIES},
        below_monitoring_line={"households": int(row["below_monitoring_h"])},
        below_observation_line={"households": int(row["below_observation_h"])},
        new_this_month={"identified": hp("new_identified"), "eliminated": hp("new_eliminated")},
        risk_level=_RANK_LEVEL[int(row["risk_rank"])],
        monitored_share={"persons": _ratio(monitored["persons"], int(row["all_p"]))},
        unassigned=hp("unassigned"),
    )
    labour = int(row["labour_h"])
    fig["sites"] = {
        "count": 0,
        "relocated_households": int(row["relocated_h"]),
        "relocated_persons": int(row["relocated_p"]),
        "households_with_labour": labour,
        "employed_households": int(row["employed_h"]),
        "employment_coverage": _ratio(int(row["employed_h"]), labour),
    }
    return fig


def _causes(df: pd.DataFrame) -> pd.DataFrame:
    """(row index, cause) pairs of monitored households."""
    monitored = df["category"].isin(CATEGORIES)
    causes = df.loc[monitored, "risk_causes"].dropna()
    causes = causes[causes != ""]
    exploded = causes.str.split(CAUSE_SEPARATOR).explode()
    exploded = exploded[exploded.notna() & (exploded != "")]
    pairs = exploded.rename("cause").to_frame()
    # a cause named twice by one household (风险类型 and 致贫返贫风险1 alike) counts it once
    return pairs[~pairs.reset_index().duplicated().to_numpy()]


def with_upper_codes(frame: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """``frame`` (rows with a county_code: households, signals, sites) with the province and
    city codes of its county from ``units`` (None where the county has no level above it)."""
    missing = [f"{lv}_code" for lv in UPPER_LEVELS if f"{lv}_code" not in frame.columns]
    if not missing:
        return frame
    frame = frame.copy(deep=False)
    counties = units[units["level"] == "county"].set_index("code")
    for col in missing:
        if col in counties.columns and "county_code" in frame.columns:
            frame[col] = frame["county_code"].map(counties[col])
        else:
            frame[col] = None
    return frame


def warning_figures(df: pd.DataFrame, signals: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """The ``warnings`` figures per unit code, from the month's signals (household_id,
    department and the unit codes of the household when the signal was matched); ``df``: the
    month's households (household_id, category), at least those the signals concern."""
    monitored = set(df.loc[df["category"].isin(CATEGORIES), "household_id"])
    unmonitored = ~signals["household_id"].isin(monitored)
    keys = [f"{level}_code" for level in LEVELS if f"{level}_code" in signals.columns]
    # one long frame of (unit code, signal) over every level, grouped once: a signal counts in
    # its grid, village, township, county and the levels above
    long = pd.DataFrame(
        {
            "code": np.concatenate([signals[k].to_numpy(dtype=object) for k in keys]),
            "household_id": np.tile(signals["household_id"].to_numpy(dtype=object), len(keys)),
            "department": np.tile(signals["department"].to_numpy(dtype=object), len(keys)),
            "unmonitored": np.tile(unmonitored.to_numpy(dtype=bool), len(keys)),
        }
    )
    long = long[long["code"].notna()]
    if not len(long):
        return {}
    grouped = long.groupby("code", sort=False)
    counts = grouped.size()
    households = grouped["household_id"].nunique()
    unmon = long[long["unmonitored"]].groupby("code", sort=False)["household_id"].nunique()
    departments: dict[str, dict[str, int]] = {}
    for (code, dept), n in long.groupby(["code", "department"], sort=False).size().items():
        departments.setdefault(code, {})[dept] = int(n)
    out: dict[str, dict[str, Any]] = {}
    for code, n in counts.items():
        out[code] = {
            "signals": int(n),
            "households": int(households[code]),
            "unmonitored_households": int(unmon.get(code, 0)),
            "by_department": dict(
                sorted(departments[code].items(), key=lambda kv: (-kv[1], kv[0]))
            ),
        }
    return out


def compute_month(
    households: pd.DataFrame,
    month: str,
    units: pd.DataFrame,
    sites: pd.DataFrame,
    lines: Lines,
    signals: pd.DataFrame | None = None,
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """Figures per unit code and per site code for one month's snapshot.

    ``units`` has columns code, level, county_code, township_code, village_code and, where
    there are levels above the county, province_code and city_code (every unit, also those
    with no households: the figures of a province or city follow from its counties'); ``sites`` has site_code, county_code, township_code,
    village_code, grid_code. ``signals``: the department warnings that occurred in the month
    (household_id, department, county_code … grid_code); ``households`` then needs
    household_id too.
    """
    df = with_upper_codes(households.reset_index(drop=True), units)
    sites = with_upper_codes(sites, units)
    if signals is not None:
        signals = with_upper_codes(signals, units)
    flags = _flags(df, month, lines)
    agg_cols = [c for c in flags.columns if c != "risk_rank"]
    cause_pairs = _causes(df)

    result: dict[str, dict[str, Any]] = {}
    for level in LEVELS:
        key = f"{level}_code"
        keys = df[key]
        sums = flags[agg_cols].groupby(keys, sort=False).sum()
        sums["risk_rank"] = flags["risk_rank"].groupby(keys, sort=False).max()
        by_cause: dict[str, dict[str, int]] = {}
        if len(cause_pairs):
            counts = (
                cause_pairs.assign(unit=keys.loc[cause_pairs.index].to_numpy())
                .groupby(["unit", "cause"], sort=False)
                .size()
            )
            for (unit, cause), n in counts.items():
                by_cause.setdefault(unit, {})[cause] = int(n)
        for code, row in zip(sums.index, sums.to_dict("records"), strict=True):
            fig = _figures_from_row(row)
            fig["by_cause"] = dict(
                sorted(by_cause.get(code, {}).items(), key=lambda kv: (-kv[1], kv[0]))
            )
            result[code] = fig

    # units with no household in this month still have (zero) figures
    grids_per_unit: dict[str, int] = {}
    grid_units = units[units["level"] == "grid"]
    for level in LEVELS[:-1]:
        if f"{level}_code" not in grid_units.columns:
            continue
        for code, n in grid_units.groupby(f"{level}_code").size().items():
            grids_per_unit[code] = int(n)
    for code in grid_units["code"]:
        grids_per_unit[code] = 1
    sites_per_unit: dict[str, int] = {}
    for level in LEVELS:
        col = f"{level}_code"
        if col in sites.columns:
            for code, n in sites.dropna(subset=[col]).groupby(col).size().items():
                sites_per_unit[code] = int(n)
    warnings = warning_figures(df, signals) if signals is not None and len(signals) else {}
    for code in units["code"]:
        fig = result.setdefault(code, empty_figures())
        fig["grids"] = grids_per_unit.get(code, 0)
        fig["sites"]["count"] = sites_per_unit.get(code, 0)
        fig["warnings"] = warnings.get(code, empty_warnings())

    # per resettlement site: the relocated households whose site_code names it
    site_result: dict[str, dict[str, Any]] = {}
    relocated = df[_true(df["relocated"]) & df["site_code"].notna().to_numpy()]
    if len(relocated):
        rflags = flags.loc[relocated.index]
        sums = rflags[agg_cols].groupby(relocated["site_code"]).sum()
        for code, row in zip(sums.index, sums.to_dict("records"), strict=True):
            site_result[code] = _figures_from_row({**row, "risk_rank": 0})["sites"] | {
                "monitored": {
                    "households": int(row["monitored_h"]),
                    "persons": int(row["monitored_p"]),
                },
                "open": {"households": int(row["open_h"]), "persons": int(row["open_p"])},
            }
    for code in sites["site_code"] if "site_code" in sites.columns else []:
        site_result.setdefault(
            code,
            empty_figures()["sites"]
            | {
                "monitored": {"households": 0, "persons": 0},
                "open": {"households": 0, "persons": 0},
            },
        )
    for fig in site_result.values():  # also of a site the households name but no file loaded
        fig.pop("count", None)
    return result, site_result


def months_between(first: str, last: str) -> list[str]:
    return [p.strftime("%Y-%m") for p in pd.period_range(first, last, freq="M")]


def sort_months(months: Iterable[str]) -> list[str]:
    return sorted(set(months))
