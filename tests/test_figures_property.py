"""Two fast paths against the plain way, on generated input (hypothesis).

``geodata.figures.compute_month`` computes every figure of a month with vectorised group-bys;
here each figure is recomputed per household with plain Python loops, straight from the
definitions of the module docstring (and README's "The figures"), for every unit and site.

``geodata.bulk.upsert_rows`` writes rows many to a statement on SQLite and through one COPY on
PostgreSQL; here its table is compared with a dict keyed by the key columns (last write wins)
and, on SQLite, with a table filled by binding each row's values one at a time.

Every example is derived from the test's name (``derandomize``) and none is replayed from a
database, so CI always runs the same examples.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from geodata import model, schema
from geodata.bulk import upsert_rows
from geodata.figures import compute_month
from geodata.model import CATEGORIES, DEPARTMENTS, LEVELS, Lines
from tests.conftest import PG_ADMIN_URL, _need_pg

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# compute_month costs some 60 ms a call (six levels of group-bys): fewer examples of it
FIGURES = settings(SETTINGS, max_examples=30)

# ====================================================================== compute_month

MONTHS = ("2024-02", "2024-12", "2025-01")
CAUSE_POOL = ("因病", "因残", "因学", "因灾", "其他")
RISK = (None, "red", "yellow", "blue")
RANK = {"none": 0, "blue": 1, "yellow": 2, "red": 3}
COUNTIES = ("152221", "152222", "150102")
# the levels above the county (province 15, city 1522), being added to the model: where the
# model has them, the units have them and every figure is checked for them too
UPPER_LEVELS: dict[str, int] = dict(getattr(model, "UPPER_LEVELS", {}))
# the levels whose codes the households, signals and sites hand to compute_month
RECORD_LEVELS = ("county", "township", "village", "grid")


def month_bounds(month: str) -> tuple[dt.date, dt.date]:
    start = dt.date.fromisoformat(f"{month}-01")
    end = (start + dt.timedelta(days=32)).replace(day=1)
    return start, end


def chain(unit: dict[str, Any]) -> dict[str, str | None]:
    return {f"{lv}_code": unit.get(f"{lv}_code") for lv in LEVELS}


@st.composite
def trees(draw) -> list[dict[str, Any]]:
    """Units as the store derives them from grids: every village, township and county has
    grids; above the counties their cities and provinces, where the model has those levels.
    Every unit names the codes of its own level and of the levels above it."""
    units: list[dict[str, Any]] = []

    def unit(code, level, parent, **codes):
        units.append({"code": code, "level": level, "parent_code": parent, **codes})

    counties = draw(st.lists(st.sampled_from(COUNTIES), min_size=1, max_size=2, unique=True))
    above: dict[str, str | None] = {}
    for county in sorted(counties):
        upper = {f"{lv}_code": county[:n] for lv, n in UPPER_LEVELS.items()}
        parent = None
        for lv, n in UPPER_LEVELS.items():
            code = county[:n]
            if code not in above:
                above[code] = parent
                unit(code, lv, parent, **{k: v for k, v in upper.items() if len(v) <= n})
            parent = code
        unit(county, "county", parent, **upper, county_code=county)
        for t in range(draw(st.integers(1, 2))):
            town = f"{county}10{t + 1}"
            unit(town, "township", county, **upper, county_code=county, township_code=town)
            for v in range(draw(st.integers(1, 2))):
                village = f"{town}00{v + 1}"
                codes = {**upper, "county_code": county, "township_code": town}
                unit(village, "village", town, **codes, village_code=village)
                for g in range(draw(st.integers(1, 3))):
                    grid = f"{village}{g + 1:03d}"
                    unit(grid, "grid", village, **codes, village_code=village, grid_code=grid)
    return units


def a_date(month: str) -> st.SearchStrategy[dt.date | None]:
    start, end = month_bounds(month)
    edges = [start - dt.timedelta(days=1), start, start + dt.timedelta(days=14)]
    edges += [end - dt.timedelta(days=1), end]
    return st.one_of(
        st.none(),
        st.sampled_from(edges),
        st.dates(start - dt.timedelta(days=70), end + dt.timedelta(days=70)),
    )


def an_income(lines: Lines) -> st.SearchStrategy[float | None]:
    near = [lines.monitoring - 0.01, lines.monitoring, lines.monitoring + 0.01]
    near += [lines.observation - 0.01, lines.observation, lines.observation + 0.01, 0.0]
    return st.one_of(
        st.none(),
        st.sampled_from(near),
        st.floats(5000, 10000).map(lambda x: round(x, 2)),
    )


def causes(repeated: bool) -> st.SearchStrategy[str | None]:
    """None, "" or names joined by 、 (an empty name now and then: 因病、、因学); with ``repeated``
    a household may name a cause twice (因病、因病), which the loader's split keeps."""
    names = st.lists(st.sampled_from((*CAUSE_POOL, "")), min_size=1, max_size=4)
    if not repeated:
        names = names.map(lambda xs: list(dict.fromkeys(xs)))
    return st.one_of(st.none(), st.just(""), names.map("、".join))


@st.composite
def scenarios(
    draw, repeated_causes: bool = False, unknown_sites: bool = False, most: int = 25
) -> dict[str, Any]:
    month = draw(st.sampled_from(MONTHS))
    lines = draw(st.sampled_from([Lines(), Lines(monitoring=7000.0, observation=9000.0)]))
    units = draw(trees())
    grids = [u for u in units if u["level"] == "grid"]

    sites = []
    for s in range(draw(st.integers(0, 3))):
        where = chain(draw(st.sampled_from(grids)))
        depth = draw(st.sampled_from(["grid", "village", "township"]))
        if depth != "grid":
            where["grid_code"] = None
        if depth == "township":
            where["village_code"] = None
        sites.append({"site_code": f"AZ{s + 1}", **where})
    site_codes = [None] + [s["site_code"] for s in sites] + (["AZ9"] if unknown_sites else [])

    households = []
    for i in range(draw(st.integers(0, most))):
        households.append(
            {
                "household_id": f"H{i:05d}",
                **chain(draw(st.sampled_from(grids))),
                "persons": draw(st.integers(0, 7)),
                "category": draw(st.sampled_from((None, *CATEGORIES))),
                "risk_level": draw(st.sampled_from(RISK)),
                "risk_causes": draw(causes(repeated_causes)),
                "income_per_capita": draw(an_income(lines)),
                "identified_on": draw(a_date(month)),
                "eliminated": draw(st.sampled_from((True, False, None))),
                "eliminated_on": draw(a_date(month)),
                "relocated": draw(st.sampled_from((True, False, None))),
                "site_code": draw(st.sampled_from(site_codes)),
                "labor_count": draw(st.sampled_from((None, 0, 1, 2))),
                "employed_count": draw(st.sampled_from((None, 0, 1, 3))),
            }
        )
        if draw(st.integers(0, 4)) == 0:  # 未分配网格: in its village, in no grid
            households[-1]["grid_code"] = None

    signals = []
    ids = [h["household_id"] for h in households] + ["HX0001", "HX0002"]
    for _ in range(draw(st.integers(0, 8))):
        hid = draw(st.sampled_from(ids))
        home = next((h for h in households if h["household_id"] == hid), None)
        # mostly the household's own units; else the grid it lived in when matched
        codes = chain(home) if home and draw(st.booleans()) else chain(draw(st.sampled_from(grids)))
        if draw(st.integers(0, 5)) == 0:
            codes["grid_code"] = None
        signals.append(
            {"household_id": hid, "department": draw(st.sampled_from(DEPARTMENTS[:4])), **codes}
        )

    shapes = {
        "text": draw(st.sampled_from(["str", "object"])),
        "flags": draw(st.sampled_from(["object", "float", "boolean"])),
        "counts": draw(st.sampled_from(["Int64", "float", "object"])),
        "dates": draw(st.sampled_from(["str", "date", "datetime64"])),
        "index": draw(st.sampled_from(["range", "shuffled", "labels"])),
        "signals": draw(st.sampled_from(["frame", "none-if-empty"])),
    }
    return {
        "month": month,
        "lines": lines,
        "units": units,
        "sites": sites,
        "households": households,
        "signals": signals,
        "shapes": shapes,
    }


def one_household(**fields: Any) -> dict[str, Any]:
    """A scenario of one grid (in one county, and its city and province where the model has
    those) and one household of it; ``fields`` override the household's plain defaults."""
    county = COUNTIES[0]
    upper = {f"{lv}_code": county[:n] for lv, n in UPPER_LEVELS.items()}
    units, parent = [], None
    for lv, n in UPPER_LEVELS.items():
        codes = {k: v for k, v in upper.items() if len(v) <= n}
        units.append({"code": county[:n], "level": lv, "parent_code": parent, **codes})
        parent = county[:n]
    codes = {**upper, "county_code": county}
    units.append({"code": county, "level": "county", "parent_code": parent, **codes})
    for level, code, up in [
        ("township", f"{county}101", county),
        ("village", f"{county}101001", f"{county}101"),
        ("grid", f"{county}101001001", f"{county}101001"),
    ]:
        codes = {**codes, f"{level}_code": code}
        units.append({"code": code, "level": level, "parent_code": up, **codes})
    household = {
        "household_id": "H00000",
        **chain(units[-1]),
        "persons": 3,
        "category": "unstable",
        "risk_level": "yellow",
        "risk_causes": None,
        "income_per_capita": 6000.0,
        "identified_on": None,
        "eliminated": False,
        "eliminated_on": None,
        "relocated": False,
        "site_code": None,
        "labor_count": None,
        "employed_count": None,
    } | fields
    return {
        "month": "2024-02",
        "lines": Lines(),
        "units": units,
        "sites": [],
        "households": [household],
        "signals": [],
        "shapes": {
            "text": "str",
            "flags": "object",
            "counts": "Int64",
            "dates": "str",
            "index": "range",
            "signals": "frame",
        },
    }


def household_frame(households: list[dict[str, Any]], shapes: dict[str, str]) -> pd.DataFrame:
    """The households as the store hands them over, in one of the shapes its readers give."""
    n = len(households)

    def col(name):
        return [h[name] for h in households]

    def text(name):
        return pd.Series(col(name), dtype=None if shapes["text"] == "str" else object)

    def flag(name):
        values = col(name)
        if shapes["flags"] == "float":  # SQLite's 0 / 1, NULL as NaN
            return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        if shapes["flags"] == "boolean":
            return pd.Series(pd.array(values, dtype="boolean"))
        return pd.Series(values, dtype=object)

    def count(name):
        values = col(name)
        if shapes["counts"] == "Int64":
            return pd.Series(pd.array(values, dtype="Int64"))
        if shapes["counts"] == "float":
            return pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64")
        return pd.Series(values, dtype=object)

    def date(name):
        values = col(name)
        if shapes["dates"] == "str":  # SQLite's ISO text
            return pd.Series(
                [None if v is None else v.isoformat() for v in values], dtype=None if n else object
            )
        if shapes["dates"] == "date":  # PostgreSQL's date objects
            return pd.Series(values, dtype=object)
        return pd.Series(pd.to_datetime(pd.Series(values, dtype=object)), dtype="datetime64[ns]")

    frame = pd.DataFrame(
        {
            "household_id": text("household_id"),
            **{f"{lv}_code": text(f"{lv}_code") for lv in RECORD_LEVELS},
            "persons": pd.Series(col("persons"), dtype="int64"),
            "category": text("category"),
            "risk_level": text("risk_level"),
            "risk_causes": text("risk_causes"),
            "income_per_capita": pd.Series(
                [np.nan if v is None else v for v in col("income_per_capita")], dtype="float64"
            ),
            "identified_on": date("identified_on"),
            "eliminated": flag("eliminated"),
            "eliminated_on": date("eliminated_on"),
            "relocated": flag("relocated"),
            "site_code": text("site_code"),
            "labor_count": count("labor_count"),
            "employed_count": count("employed_count"),
        }
    )
    if shapes["index"] == "shuffled":
        frame.index = [3 * (n - i) + 1 for i in range(n)]
    elif shapes["index"] == "labels":
        frame.index = [f"r{n - i}" for i in range(n)]
    return frame


def inputs(
    sc: dict[str, Any],
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    unit_cols = ["code", "level", "parent_code", *[f"{lv}_code" for lv in UPPER_LEVELS]]
    unit_cols += ["county_code", "township_code", "village_code"]
    units = pd.DataFrame([{c: u.get(c) for c in unit_cols} for u in sc["units"]], columns=unit_cols)
    site_cols = ["site_code", "county_code", "township_code", "village_code", "grid_code"]
    sites = pd.DataFrame(sc["sites"], columns=site_cols)
    signal_cols = ["household_id", "department", *[f"{lv}_code" for lv in RECORD_LEVELS]]
    signals = pd.DataFrame(sc["signals"], columns=signal_cols)
    if not len(signals) and sc["shapes"]["signals"] == "none-if-empty":
        signals = None
    return household_frame(sc["households"], sc["shapes"]), units, sites, signals


def run(sc: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    households, units, sites, signals = inputs(sc)
    return compute_month(households, sc["month"], units, sites, sc["lines"], signals=signals)


# ------------------------------------------------------------- the plain reference


def ratio(a: int, b: int) -> float | None:
    return None if b == 0 else a / b


def hp(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {"households": len(rows), "persons": sum(h["persons"] for h in rows)}


def in_month(day: dt.date | None, month: str) -> bool:
    return day is not None and day.strftime("%Y-%m") == month


def is_monitored(h: dict[str, Any]) -> bool:
    return h["category"] in CATEGORIES


def is_eliminated(h: dict[str, Any]) -> bool:
    return is_monitored(h) and h["eliminated"] is True


def has_labour(h: dict[str, Any]) -> bool:
    return (h["labor_count"] or 0) >= 1


def is_employed(h: dict[str, Any]) -> bool:
    return (h["employed_count"] or 0) >= 1


def relocation(rows: list[dict[str, Any]]) -> dict[str, Any]:
    relocated = [h for h in rows if h["relocated"] is True]
    labour = [h for h in relocated if has_labour(h)]
    employed = [h for h in labour if is_employed(h)]
    return {
        "relocated_households": len(relocated),
        "relocated_persons": sum(h["persons"] for h in relocated),
        "households_with_labour": len(labour),
        "employed_households": len(employed),
        "employment_coverage": ratio(len(employed), len(labour)),
    }


def expected_unit(unit: dict[str, Any], sc: dict[str, Any]) -> dict[str, Any]:
    """One unit's figures, household by household, from the definitions."""
    code, level, month, lines = unit["code"], unit["level"], sc["month"], sc["lines"]
    key = f"{level}_code"
    mine = [h for h in sc["households"] if h.get(key) == code]
    monitored = [h for h in mine if is_monitored(h)]
    eliminated = [h for h in monitored if is_eliminated(h)]
    open_ = [h for h in monitored if not is_eliminated(h)]

    by_cause: Counter[str] = Counter()
    for h in monitored:
        by_cause.update({c for c in (h["risk_causes"] or "").split("、") if c})

    def below(line: float) -> int:
        return sum(
            1 for h in mine if h["income_per_capita"] is not None and h["income_per_capita"] < line
        )

    levels = [h["risk_level"] for h in open_ if h["risk_level"] in RANK]
    risk_level = max(levels, key=RANK.__getitem__, default="none")

    monitored_ids = {h["household_id"] for h in sc["households"] if is_monitored(h)}
    signals = [s for s in sc["signals"] if s.get(key) == code]
    concerned = {s["household_id"] for s in signals}
    grid_units = [u for u in sc["units"] if u["level"] == "grid"]
    return {
        "households": len(mine),
        "persons": sum(h["persons"] for h in mine),
        "grids": 1 if level == "grid" else sum(1 for u in grid_units if u.get(key) == code),
        "monitored": hp(monitored),
        "eliminated": hp(eliminated),
        "open": hp(open_),
        "clearance_rate": {
            "households": ratio(len(eliminated), len(monitored)),
            "persons": ratio(hp(eliminated)["persons"], hp(monitored)["persons"]),
        },
        "open_by_level": {
            lv: hp([h for h in open_ if h["risk_level"] == lv]) for lv in ("red", "yellow", "blue")
        },
        "by_category": {c: hp([h for h in monitored if h["category"] == c]) for c in CATEGORIES},
        "by_cause": dict(by_cause),
        "below_monitoring_line": {"households": below(lines.monitoring)},
        "below_observation_line": {"households": below(lines.observation)},
        "new_this_month": {
            "identified": hp([h for h in monitored if in_month(h["identified_on"], month)]),
            "eliminated": hp([h for h in eliminated if in_month(h["eliminated_on"], month)]),
        },
        "risk_level": risk_level,
        "monitored_share": {
            "persons": ratio(hp(monitored)["persons"], sum(h["persons"] for h in mine))
        },
        "unassigned": hp([h for h in mine if not h.get("grid_code")]),
        "sites": {"count": sum(1 for s in sc["sites"] if s.get(key) == code), **relocation(mine)},
        "warnings": {
            "signals": len(signals),
            "households": len(concerned),
            "unmonitored_households": len(concerned - monitored_ids),
            "by_department": dict(Counter(s["department"] for s in signals)),
        },
    }


def expected_sites(sc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per site: the relocated households whose site_code names it (every loaded site, and any
    other site a relocated household names)."""
    named = [h["site_code"] for h in sc["households"] if h["relocated"] is True and h["site_code"]]
    out = {}
    for code in [s["site_code"] for s in sc["sites"]] + named:
        rows = [h for h in sc["households"] if h["relocated"] is True and h["site_code"] == code]
        out[code] = {
            **relocation(rows),
            "monitored": hp([h for h in rows if is_monitored(h)]),
            "open": hp([h for h in rows if is_monitored(h) and not is_eliminated(h)]),
        }
    return out


def assert_same(got: dict[str, Any], want: dict[str, Any], where: str) -> None:
    assert set(got) == set(want), (where, sorted(set(got) ^ set(want)))
    for name, value in want.items():
        assert got[name] == value, f"{where} {name}: got {got[name]!r}, want {value!r}"


# ------------------------------------------------------------- the properties


@FIGURES
@given(scenarios())
def test_compute_month_equals_the_plain_definitions(sc):
    per_unit, per_site = run(sc)
    assert set(per_unit) == {u["code"] for u in sc["units"]}
    for unit in sc["units"]:
        assert_same(per_unit[unit["code"]], expected_unit(unit, sc), unit["code"])
    want_sites = expected_sites(sc)
    assert set(per_site) == set(want_sites)
    for code, want in want_sites.items():
        assert_same(per_site[code], want, f"site {code}")


@FIGURES
@example(one_household(risk_causes="因病、因病"))  # the smallest failing example found
@given(scenarios(repeated_causes=True, most=8))
def test_by_cause_counts_households_naming_the_cause(sc):
    """A household naming a cause twice (因病、因病: the loader joins the cause column and the
    致贫返贫风险1 … 5 columns without dropping repeats) is still one household naming it."""
    per_unit, _ = run(sc)
    for unit in sc["units"]:
        want = expected_unit(unit, sc)["by_cause"]
        assert per_unit[unit["code"]]["by_cause"] == want, unit["code"]


@FIGURES
@example(one_household(relocated=True, site_code="AZ9"))  # the smallest failing example found
@given(scenarios(unknown_sites=True, most=8))
def test_a_site_not_loaded_has_the_figures_of_a_loaded_one(sc):
    """A household may name a site that is not loaded (only a warning at load time): that
    site's figures are counted the same way and have the same keys as a loaded site's."""
    _, per_site = run(sc)
    want_sites = expected_sites(sc)
    assert set(per_site) == set(want_sites)
    for code, want in want_sites.items():
        assert_same(per_site[code], want, f"site {code}")


HP_FIGURES = [
    "monitored",
    "eliminated",
    "open",
    "new_this_month.identified",
    "new_this_month.eliminated",
]
HP_FIGURES += [f"open_by_level.{lv}" for lv in ("red", "yellow", "blue")]
HP_FIGURES += [f"by_category.{c}" for c in CATEGORIES]
HP_FIGURES += ["unassigned"]  # adds up from the village on (a grid has none)
COUNTS = ["households", "persons", "grids", "below_monitoring_line.households"]
COUNTS += ["below_observation_line.households"]
COUNTS += [f"{f}.{k}" for f in HP_FIGURES for k in ("households", "persons")]
COUNTS += [f"sites.{k}" for k in ("relocated_households", "relocated_persons")]
COUNTS += [f"sites.{k}" for k in ("households_with_labour", "employed_households")]


def at(fig: dict[str, Any], path: str) -> Any:
    for part in path.split("."):
        fig = fig[part]
    return fig


@FIGURES
@given(scenarios(repeated_causes=True))
def test_a_parent_adds_up_its_children(sc):
    per_unit, _ = run(sc)
    counties = [u for u in sc["units"] if u["level"] == "county"]
    assert sum(per_unit[c["code"]]["households"] for c in counties) == len(sc["households"])
    for unit in sc["units"]:
        if unit["level"] == "grid":
            continue
        parent = per_unit[unit["code"]]
        kids = [per_unit[u["code"]] for u in sc["units"] if u["parent_code"] == unit["code"]]
        assert kids, unit["code"]
        if unit["level"] == "village":
            # a village is its grids and its households with no grid (未分配网格)
            alone = [h for h in sc["households"] if h["village_code"] == unit["code"] and not h["grid_code"]]
            assert parent["unassigned"] == hp(alone)
            assert parent["households"] == sum(k["households"] for k in kids) + len(alone)
            assert parent["persons"] == sum(k["persons"] for k in kids) + hp(alone)["persons"]
            if alone:
                continue
        for path in COUNTS:
            assert at(parent, path) == sum(at(k, path) for k in kids), (unit["code"], path)
        assert Counter(parent["by_cause"]) == sum((Counter(k["by_cause"]) for k in kids), Counter())
        assert parent["risk_level"] == max((k["risk_level"] for k in kids), key=RANK.__getitem__)
        # every household of the parent lives in exactly one child: what cannot be added
        # (a share) follows from what can
        assert parent["monitored_share"]["persons"] == ratio(
            parent["monitored"]["persons"], parent["persons"]
        )


# ====================================================================== upsert_rows

TRICKY = [
    "",
    " ",
    "\t",
    "\n",
    "\r",
    "\r\n",
    "\\",
    "\\N",
    "\\.",
    '"',
    "'",
    "''",
    ",",
    "a,b",
    '"x"',
    "、",
    "，",
    "张三",
    "五家子村",
    "塔本毛都嘎查",
    "NULL",
    "null",
    "\u3000",
    "é",
    "😀",
    "0",
    "1.5",
    "true",
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "a\r\nb",
    " lead",
    "trail ",
]
KEY_TEXT = [t for t in TRICKY if t != ""] + ["H0000001", "户1"]
ANY_CHAR = st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")
TEXT = st.one_of(
    st.sampled_from(TRICKY),
    st.text(ANY_CHAR, max_size=8),
    st.lists(st.sampled_from(TRICKY), max_size=4).map("".join),
)
DATE_TEXT = st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat)
INT = st.one_of(st.integers(-5, 5), st.integers(-(2**63), 2**63 - 1))
FLOAT = st.one_of(
    st.sampled_from(
        [0.0, -0.0, 0.1, 1e16, 5e-324, 1.7976931348623157e308, math.inf, -math.inf, math.nan]
    ),
    st.floats(allow_nan=False, allow_infinity=False),
)
# kind of value, the strategy for a value, the dtypes a frame may hold it in
KINDS: dict[str, tuple[st.SearchStrategy[Any], tuple[str, ...]]] = {
    "text": (TEXT, ("str", "object", "string[pyarrow]", "string[python]")),
    "int": (INT, ("Int64", "int64", "object")),
    "float": (FLOAT, ("float64", "Float64", "object")),
    "bool": (st.booleans(), ("bool", "boolean", "object")),
    "date_text": (DATE_TEXT, ("str", "object")),
    "date": (DATE_TEXT, ("str", "object")),  # text into a DATE column
}
VALUE_COLUMNS = {
    "t1": "text",
    "t2": "text",
    "n": "int",
    "x": "float",
    "b": "bool",
    "d": "date_text",
}
VALUE_COLUMNS["on_date"] = "date"
SQL_TYPES = {
    "text": "TEXT",
    "int": "BIGINT",
    "float": "DOUBLE PRECISION",
    "bool": "BOOLEAN",
    "date_text": "TEXT",
    "date": "DATE",
}
SA_TYPES = {"text": sa.Text, "int": sa.BigInteger, "float": sa.Float, "bool": sa.Boolean}
SA_TYPES |= {"date_text": sa.Text, "date": sa.Date}
KEYS = ["k_text", "k_int"]
COLUMNS = KEYS + list(VALUE_COLUMNS)


def is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


@st.composite
def column_values(draw, kind: str, n: int, rnd) -> list[Any]:
    """n values of one column: varied, one value throughout, all missing, or a few values
    repeated (the shapes the SQLite path writes into the statement or groups by)."""
    values, _ = KINDS[kind]
    shape = draw(st.sampled_from(["varied", "same", "missing", "pool"]))
    if shape == "same":
        return [draw(values)] * n
    if shape == "missing":
        return [None] * n
    if shape == "pool" or n > 40:
        pool = draw(st.lists(st.one_of(st.none(), values), min_size=1, max_size=4))
        return [rnd.choice(pool) for _ in range(n)]
    return [draw(st.one_of(st.none(), values)) for _ in range(n)]


def series_of(values: list[Any], kind: str, dtype: str) -> pd.Series:
    if dtype in ("int64", "bool") and any(is_missing(v) for v in values):
        dtype = {"int64": "Int64", "bool": "boolean"}[dtype]
    if dtype == "object":
        return pd.Series(values, dtype=object)
    if dtype == "str":
        return pd.Series(values, dtype="str")
    if dtype == "float64":
        return pd.Series([np.nan if v is None else v for v in values], dtype="float64")
    return pd.Series(pd.array(values, dtype=dtype))


@st.composite
def frames(
    draw, keys: list[tuple[str, int]], rnd, duplicates: bool
) -> tuple[pd.DataFrame, list[dict[str, Any]]]:
    """A frame over some of ``keys`` (in any order), and its rows as plain Python values."""
    if len(keys) > 40:
        rows_keys = rnd.sample(keys, rnd.randint(len(keys) // 2, len(keys)))
    else:
        rows_keys = draw(st.lists(st.sampled_from(keys), unique=True, max_size=len(keys)))
        if duplicates and rows_keys:
            rows_keys += draw(st.lists(st.sampled_from(rows_keys), max_size=4))
            rows_keys = draw(st.permutations(rows_keys))
    n = len(rows_keys)
    data = {"k_text": [k for k, _ in rows_keys], "k_int": [i for _, i in rows_keys]}
    series = {
        "k_text": series_of(data["k_text"], "text", draw(st.sampled_from(KINDS["text"][1]))),
        "k_int": series_of(data["k_int"], "int", draw(st.sampled_from(KINDS["int"][1]))),
    }
    for name, kind in VALUE_COLUMNS.items():
        data[name] = draw(column_values(kind, n, rnd))
        series[name] = series_of(data[name], kind, draw(st.sampled_from(KINDS[kind][1])))
    frame = pd.DataFrame(series)
    if draw(st.booleans()):  # the store hands over slices of bigger frames too
        frame.index = range(100, 100 + n)
    rows = [{c: data[c][i] for c in COLUMNS} for i in range(n)]
    return frame, rows


CHUNKS = {
    "small": [None, 1, 3, 50],
    "grouped": [None, None, 7, 5000],
    "large": [None, None, 1000, 5000],
}


@st.composite
def upserts(draw, duplicates: bool = False) -> dict[str, Any]:
    rnd = random.Random(draw(st.integers(0, 2**32)))  # long columns: drawn from it, not one by one
    size = draw(st.sampled_from(["small", "small", "grouped", "large"]))
    if size == "small":
        texts = draw(st.lists(st.sampled_from(KEY_TEXT), min_size=1, max_size=4, unique=True))
        keys = draw(
            st.lists(st.tuples(st.sampled_from(texts), INT), min_size=1, max_size=12, unique=True)
        )
    else:
        count = {"grouped": 120, "large": 4300}[size]
        texts = draw(st.lists(st.sampled_from(KEY_TEXT), min_size=1, max_size=3, unique=True))
        keys = [(texts[i % len(texts)], i) for i in range(count)]
    first, first_rows = draw(frames(keys, rnd, duplicates))
    # the second overlaps the first and brings new keys too
    more = [(k, i ^ 1 << 40) for k, i in keys[: max(1, len(keys) // 3)]]
    second, second_rows = draw(frames(list(dict.fromkeys(keys + more)), rnd, duplicates))
    return {
        "frames": [(first, first_rows), (second, second_rows)],
        "new": draw(st.booleans()) and not duplicates,  # the first into an empty table
        # slices of a few rows for small frames; of many for the long ones (a slice costs)
        "chunk_rows": draw(st.sampled_from(CHUNKS[size])),
        "known": draw(st.booleans()),  # a table of geodata.schema (PostgreSQL's unchanged check)
        "freeze": draw(st.booleans()),
    }


def stored(value: Any, kind: str, postgres: bool) -> Any:
    """What the column holds for ``value``, as the driver reads it back."""
    if is_missing(value):
        return None
    if kind in ("text", "date_text"):
        return None if postgres and value == "" else value  # COPY: an empty field is NULL
    if kind == "date":
        return dt.date.fromisoformat(value) if postgres else value
    if kind == "float":
        return float(value).hex() if postgres else (float(value) + 0.0)  # SQLite: no -0.0
    if kind == "bool":
        return bool(value) if postgres else int(value)
    return int(value)


def last_write_wins(batches: list[list[dict[str, Any]]], postgres: bool) -> dict[tuple, tuple]:
    table: dict[tuple, tuple] = {}
    for rows in batches:
        for row in rows:
            table[(row["k_text"], row["k_int"])] = tuple(
                stored(row[c], kind, postgres) for c, kind in VALUE_COLUMNS.items()
            )
    return table


def read_back(conn: sa.Connection, table: str, postgres: bool) -> dict[tuple, tuple]:
    rows = conn.execute(sa.text(f"SELECT {','.join(COLUMNS)} FROM {table}")).all()
    out = {}
    for row in rows:
        values = []
        for c, kind in VALUE_COLUMNS.items():
            v = getattr(row, c)
            if kind == "float" and v is not None:
                v = float(v).hex() if postgres else v
            values.append(v)
        out[(row.k_text, row.k_int)] = tuple(values)
    assert len(out) == len(rows)
    return out


@contextmanager
def scratch_table(conn: sa.Connection, known: bool) -> Iterator[str]:
    """A table of a name of its own, dropped afterwards; with ``known`` also declared in
    ``geodata.schema``'s metadata, as the store's tables are (upsert_rows then checks their
    column types)."""
    name = f"prop_bulk_{uuid.uuid4().hex[:12]}"
    ddl = ", ".join([f"{c} {SQL_TYPES[k]}" for c, k in VALUE_COLUMNS.items()])
    declared = None
    if known:
        declared = sa.Table(
            name,
            schema.metadata,
            sa.Column("k_text", sa.Text, primary_key=True),
            sa.Column("k_int", sa.BigInteger, primary_key=True),
            *[sa.Column(c, SA_TYPES[k]) for c, k in VALUE_COLUMNS.items()],
        )
    try:
        conn.execute(
            sa.text(
                f"CREATE TABLE {name} (k_text TEXT NOT NULL, k_int BIGINT NOT NULL, {ddl}, "
                "PRIMARY KEY (k_text, k_int))"
            )
        )
        yield name
    finally:
        if declared is not None:
            schema.metadata.remove(declared)
        if conn.in_transaction():
            conn.rollback()  # the table was made in this transaction: gone with it
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {name}"))
        conn.commit()


def write(conn, postgres: bool, table: str, case: dict[str, Any]) -> None:
    """Both frames through upsert_rows; its return value and callbacks as documented: the rows
    written, ``progress`` up to all of them, ``sending`` once on PostgreSQL, never on SQLite."""
    for i, (frame, _rows) in enumerate(case["frames"]):
        done: list[int] = []
        sent: list[None] = []
        new = case["new"] and i == 0
        n = upsert_rows(
            conn,
            postgres,
            table,
            COLUMNS,
            KEYS,
            frame,
            new=new,
            chunk_rows=case["chunk_rows"],
            progress=done.append,
            sending=lambda sent=sent: sent.append(None),
            freeze=case["freeze"] and new,
        )
        assert n == len(frame)
        if len(frame):
            assert done and done[-1] == len(frame) and done == sorted(done), done
        assert len(sent) == (1 if postgres and len(frame) else 0)


def bind_one_by_one(raw, table: str, batches: list[list[dict[str, Any]]]) -> None:
    """The plain way on SQLite: every row's values bound as they are (None for missing)."""
    marks = ",".join("?" * len(COLUMNS))
    sql = (
        f"INSERT INTO {table} ({','.join(COLUMNS)}) VALUES ({marks}) ON CONFLICT (k_text, k_int) "
        f"DO UPDATE SET " + ",".join(f"{c}=excluded.{c}" for c in VALUE_COLUMNS)
    )
    for rows in batches:
        for row in rows:
            raw.execute(sql, [None if is_missing(row[c]) else row[c] for c in COLUMNS])


@pytest.fixture(scope="module")
def sqlite_engine(tmp_path_factory) -> Iterator[sa.Engine]:
    engine = sa.create_engine(f"sqlite:///{tmp_path_factory.mktemp('bulk') / 'bulk.db'}")
    yield engine
    engine.dispose()


@SETTINGS
@given(upserts(duplicates=False) | upserts(duplicates=True))
def test_upsert_rows_on_sqlite_equals_binding_each_row(sqlite_engine, case):
    batches = [rows for _, rows in case["frames"]]
    with sqlite_engine.connect() as conn:
        with scratch_table(conn, case["known"]) as fast, scratch_table(conn, False) as plain:
            write(conn, False, fast, case)
            bind_one_by_one(conn.connection.driver_connection, plain, batches)
            assert read_back(conn, fast, False) == last_write_wins(batches, False)
            # and the same storage classes as binding gives (a literal '1' stays text ...)
            cells = ", ".join(f"{c}, typeof({c})" for c in COLUMNS)
            order = f" ORDER BY {', '.join(KEYS)}"
            got = conn.execute(sa.text(f"SELECT {cells} FROM {fast}{order}")).all()
            want = conn.execute(sa.text(f"SELECT {cells} FROM {plain}{order}")).all()
            assert got == want


@pytest.fixture(scope="module")
def pg_engine() -> Iterator[sa.Engine]:
    _need_pg()
    engine = sa.create_engine(PG_ADMIN_URL)
    yield engine
    engine.dispose()


@pytest.mark.postgis
@SETTINGS
@given(upserts())
def test_upsert_rows_on_postgres_equals_last_write_wins(pg_engine, case):
    """One transaction per example (COPY FREEZE needs the table made in it), rolled back."""
    batches = [rows for _, rows in case["frames"]]
    with pg_engine.connect() as conn, scratch_table(conn, case["known"]) as table:
        write(conn, True, table, case)
        assert read_back(conn, table, True) == last_write_wins(batches, True)


@pytest.mark.postgis
def test_a_carriage_return_goes_through_the_to_csv_path_too(pg_engine):
    """Found by the property above: a frame with a column pyarrow does not write (here a
    nullable boolean) goes to COPY through ``DataFrame.to_csv``, which left a lone \\r
    unquoted; COPY then failed with "unquoted carriage return found in data"."""
    frame = pd.DataFrame(
        {
            "k_text": ["a\rb", "c"],
            "k_int": [1, 2],
            **{c: [None, None] for c in VALUE_COLUMNS},
        }
    )
    frame["t1"] = pd.Series(["x\ry", "\r"], dtype=object)
    frame["b"] = pd.array([True, None], dtype="boolean")
    with pg_engine.connect() as conn, scratch_table(conn, False) as table:
        upsert_rows(conn, True, table, COLUMNS, KEYS, frame, new=True)
        rows = conn.execute(sa.text(f"SELECT k_text, k_int, t1, b FROM {table} ORDER BY k_int"))
        assert rows.all() == [("a\rb", 1, "x\ry", True), ("c", 2, "\r", None)]
