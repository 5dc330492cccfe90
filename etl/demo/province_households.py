"""The province demo's households (演示数据): about 100 per grid, drawn column by column with numpy
and built as Arrow text, never one Python string per cell, so 10 million rows take seconds.

A county's households and what stays the same from month to month (number, head, ID number,
persons, grid and place, category, identification, the month the risk is eliminated) come from
the generator ``[seed, 2, county index]``; a month's incomes from ``[seed, 3, county index,
month]``: the same seed gives the same rows, and a county's month can be drawn alone (a
benchmark's new month). Values are those a load stores (categories as identifiers, yes/no as
booleans), with the invented names and ID numbers of the county demo (a valid GB 11643 check
digit, belonging to no one).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geodata.model import CATEGORIES, CAUSES, CHANNELS, ELIMINATION_MODES, MEASURES
from geodata.schema import HOUSEHOLD_COLUMNS

from .monitoring import CAUSE_MEASURES, CAUSE_WEIGHTS, CHANNEL_WEIGHTS
from .months import _month_ordinal
from .names import SITE_WORDS, _person_names
from .parameters import CATEGORY_SHARES, MONITORED_SHARE
from .personal_numbers import ID_CHECK, ID_WEIGHTS
from .population import PERSON_WEIGHTS

HOUSEHOLDS_PER_GRID = 100
ANCHOR_MONTH = "2026-10"  # identification dates lie in the 24 months before it
SITES_PER_COUNTY = 2
RELOCATED_PER_SITE = 120
_NAMES = 4096  # a pool of head names per county, drawn from
_TEXT = pd.StringDtype("pyarrow", na_value=np.nan)
_BIRTH_START = np.datetime64("1940-01-01")
_BIRTH_DAYS = int((np.datetime64("2000-12-31") - _BIRTH_START).astype(int)) + 1


def _pool(values: list[str | None]) -> pa.Array:
    return pa.array(values, type=pa.large_string())


def _take(pool: pa.Array, index: np.ndarray) -> pd.Series:
    """The pool's texts at ``index`` as an Arrow-backed text column (None in the pool: missing)."""
    return pd.Series(pd.arrays.ArrowStringArray(pc.take(pool, pa.array(index)), dtype=_TEXT))


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Whole numbers as ASCII digits, ``width`` bytes per row (zero padded)."""
    v = np.asarray(values, dtype=np.int64).copy()
    out = np.empty((len(v), width), dtype=np.uint8)
    for k in range(width - 1, -1, -1):
        out[:, k] = 48 + v % 10
        v //= 10
    return out


def _ascii(*parts: np.ndarray) -> pd.Series:
    """Rows of ASCII bytes (n x width matrices, side by side) as one text column."""
    m = np.ascontiguousarray(np.concatenate(parts, axis=1))
    n, w = m.shape
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int64) * w).tobytes())
    array = pa.Array.from_buffers(pa.large_string(), n, [None, offsets, pa.py_buffer(m.tobytes())])
    return pd.Series(pd.arrays.ArrowStringArray(array, dtype=_TEXT))


def _codes(values: pd.Series) -> np.ndarray:
    """A column of equal-length digit codes as an n x width byte matrix."""
    raw = np.asarray(values.to_numpy(dtype=str)).astype("S")
    return raw.view(np.uint8).reshape(len(raw), raw.dtype.itemsize)


def _dates(base: np.datetime64, days: np.ndarray) -> np.ndarray:
    """'YYYY-MM-DD' of ``base + days`` as an n x 10 byte matrix."""
    d = base + days.astype("timedelta64[D]")
    y = d.astype("datetime64[Y]").astype(np.int64) + 1970
    m = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    dash = np.full((len(d), 1), ord("-"), dtype=np.uint8)
    return np.concatenate([_digits(y, 4), dash, _digits(m, 2), dash, _digits(day, 2)], axis=1)


def county_sites(grids: gpd.GeoDataFrame) -> pd.DataFrame:
    """The county's resettlement sites (the columns ``load sites`` reads): one in each of its
    first townships, at the first grid of that township's first village."""
    rows = []
    townships = sorted(set(grids["township_code"]))[:SITES_PER_COUNTY]
    for k, code in enumerate(townships, start=1):
        first = grids[grids["township_code"] == code].iloc[0]
        point = shapely.point_on_surface(first.geometry)
        rows.append(
            {
                "site_code": f"AZD{first['county_code']}{k:03d}",
                "site_name": f"{first['township_name']}{SITE_WORDS[k % len(SITE_WORDS)]}安置点",
                "township_code": code,
                "lon": round(point.x, 6),
                "lat": round(point.y, 6),
                "households": RELOCATED_PER_SITE,
                "persons": None,
                "workshops": 1,
                "public_jobs": 2 * k,
                "village_code": first["village_code"],
            }
        )
    return pd.DataFrame(rows)


def county_households(
    seed: int,
    index: int,
    grids: gpd.GeoDataFrame,
    month: str,
    *,
    per_grid: int = HOUSEHOLDS_PER_GRID,
    monitoring_line: float = 7100.0,
    observation_line: float = 8122.0,
) -> pd.DataFrame:
    """One county's households in ``month`` (the columns of ``geodata.schema.HOUSEHOLD_COLUMNS``,
    text columns Arrow-backed), ``grids`` its grid layer sorted by code (``county_grids``)."""
    rng = np.random.default_rng([seed, 2, index])
    G = len(grids)
    weight = grids["weight"].to_numpy()
    per = rng.multinomial(max(0, per_grid * G - G), weight / weight.sum()) + 1
    grid_of = np.repeat(np.arange(G), per)
    n = len(grid_of)
    vcodes = _codes(grids["village_code"])[grid_of]
    village_start = np.r_[0, np.flatnonzero((vcodes[1:] != vcodes[:-1]).any(axis=1)) + 1]
    seq = np.arange(n) - np.repeat(village_start, np.diff(np.r_[village_start, n])) + 1
    county = str(grids["county_code"].iloc[0])
    persons = rng.choice(np.arange(1, 8), n, p=PERSON_WEIGHTS / PERSON_WEIGHTS.sum())
    male = rng.random(n) < 0.82
    mongol = (grids["village_kind"].to_numpy() == "嘎查")[grid_of] & (rng.random(n) < 0.6)
    names = _pool(list(_person_names(rng, 2 * _NAMES, np.arange(2 * _NAMES) % 2 == 0,
                                     np.arange(2 * _NAMES) >= _NAMES)))  # fmt: skip
    name_index = (
        rng.integers(0, _NAMES // 2, n) * 2 + np.where(male, 0, 1) + np.where(mongol, _NAMES, 0)
    )
    # ID numbers: county, birth date, an order code (odd for men) never ending in 00, the check
    key = rng.choice(_BIRTH_DAYS * 490, n, replace=False)
    s = key % 490
    order = (s + 1 + s // 49) * 2 + male
    body = np.concatenate(
        [np.tile(np.frombuffer(county.encode(), np.uint8), (n, 1)),
         _dates(_BIRTH_START, key // 490)[:, [0, 1, 2, 3, 5, 6, 8, 9]], _digits(order, 3)], axis=1
    )  # fmt: skip
    check = np.frombuffer("".join(ID_CHECK).encode(), np.uint8)[((body - 48) @ ID_WEIGHTS) % 11]
    lifted = rng.random(n) < 0.38
    labor = np.minimum(rng.binomial(persons, 0.55), 30)
    employed = rng.binomial(labor, 0.6)
    lon, lat = _places(rng, grids, grid_of)

    # monitoring: a share of the households, identified in the 24 months before ANCHOR_MONTH
    end = _month_ordinal(month)
    chosen = rng.random(n) < MONITORED_SHARE
    cat = np.full(n, len(CATEGORIES))  # the pool's None
    shares = np.array([CATEGORY_SHARES[c] for c in CATEGORIES])
    cat[chosen] = rng.choice(len(CATEGORIES), int(chosen.sum()), p=shares / shares.sum())
    cat[chosen & (cat == 0) & ~lifted] = 1  # unstable are lifted households
    risk = rng.choice(3, n, p=[0.5, 0.35, 0.15])
    cause_w = np.array([CAUSE_WEIGHTS[c] for c in CATEGORIES])
    cause1 = _by_rows(rng, cause_w[np.minimum(cat, 2)])
    cause2 = np.where(rng.random(n) < 0.4, rng.integers(0, len(CAUSES), n), -1)
    cause2[cause2 == cause1] = -1
    cause_pool, measure_pool = _text_pools()
    causes_all = cause1 * (len(CAUSES) + 1) + cause2 + 1
    measure = cause1 * 3 * (len(MEASURES) + 1) + rng.integers(0, 3, n) * (len(MEASURES) + 1)
    measure = measure + np.where(rng.random(n) < 0.5, rng.integers(0, len(MEASURES), n) + 1, 0)
    channel_w = np.array([CHANNEL_WEIGHTS[c] for c in CATEGORIES])
    channel_all = _by_rows(rng, channel_w[np.minimum(cat, 2)])
    first = np.datetime64(f"{ANCHOR_MONTH}-01") - np.timedelta64(730, "D")
    ident_day = rng.integers(0, 730, n)
    elim_day = ident_day + rng.integers(183, 430, n)
    can_clear = rng.random(n) < 0.78
    mode = np.where(rng.random(n) < 0.86, 0, 1)
    y0 = np.clip(rng.normal(6900, 1400, n), 4500, 11000)
    cleared_income = np.maximum(y0 * 1.15, observation_line * rng.uniform(1.03, 1.3, n))
    base = 8800 + rng.lognormal(np.log(7500 * np.where(lifted, 0.85, 1.0)), 0.55)
    growth = rng.normal(0.004, 0.002, n)
    relocated, site = _relocated(grids, grid_of, n)

    month_rng = np.random.default_rng([seed, 3, index, end])
    month_end = (np.datetime64(f"{month}-01") + np.timedelta64(31, "D")).astype("datetime64[M]")
    days_to_end = int((month_end.astype("datetime64[D]") - first).astype(int))
    monitored = chosen & (ident_day < days_to_end)  # identified by the month's end
    eliminated = monitored & can_clear & (elim_day < days_to_end)
    cat = np.where(monitored, cat, len(CATEGORIES))
    risk = np.where(monitored, risk, 3)
    causes = np.where(monitored, causes_all, len(cause_pool) - 1)
    measure = np.where(monitored, measure, len(measure_pool) - 1)
    channel = np.where(monitored, channel_all, len(CHANNELS))
    income = base * (1 + growth * (end - _month_ordinal(ANCHOR_MONTH)))
    income = np.where(monitored, y0, income)
    income = np.where(eliminated, cleared_income, income) * (1 + month_rng.normal(0, 0.01, n))
    del monitoring_line  # the lines grade blank levels only; every level is given
    frame = pd.DataFrame(
        {
            "month": _take(_pool([month]), np.zeros(n, dtype=np.int64)),
            "household_id": _ascii(vcodes, _digits(seq, 5)),
            "grid_code": _take(_pool(list(grids["grid_code"])), grid_of),
            "village_code": _take(_pool(list(grids["village_code"])), grid_of),
            "township_code": _take(_pool(list(grids["township_code"])), grid_of),
            "county_code": _take(_pool([county]), np.zeros(n, dtype=np.int64)),
            "head_name": _take(names, name_index),
            "id_number": _ascii(body, check[:, None]),
            "id_flag": None,
            "persons": persons,
            "household_type": _take(_pool(["lifted", "general"]), np.where(lifted, 0, 1)),
            "category": _take(_pool([*CATEGORIES, None]), cat),
            "risk_level": _take(_pool(["blue", "yellow", "red", None]), risk),
            "risk_level_computed": np.zeros(n, dtype=bool),
            "risk_causes": _take(cause_pool, causes),
            "income_per_capita": np.round(np.maximum(income, 0), 2),
            "identified_on": _nullable_dates(first, ident_day, monitored),
            "channel": _take(_pool([*CHANNELS, None]), channel),
            "eliminated": eliminated,
            "elimination_mode": _take(
                _pool([*ELIMINATION_MODES, None]), np.where(eliminated, mode, 2)
            ),
            "eliminated_on": _nullable_dates(first, elim_day, eliminated),
            "measures": _take(measure_pool, measure),
            "relocated": relocated,
            "site_code": _take(_pool([*county_sites(grids)["site_code"], None]), site),
            "labor_count": labor,
            "employed_count": employed,
            "lon": np.round(lon, 6),
            "lat": np.round(lat, 6),
        }
    )
    return frame[list(HOUSEHOLD_COLUMNS)]


def _nullable_dates(first: np.datetime64, days: np.ndarray, where: np.ndarray) -> pd.Series:
    text = _ascii(_dates(first, days)).array.__arrow_array__()
    masked = pc.if_else(pa.array(where), text, pa.scalar(None, pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(masked, dtype=_TEXT))


def _by_rows(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """Per row an index drawn by that row's weights."""
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    return (rng.random((len(weights), 1)) > cum).sum(axis=1).clip(0, weights.shape[1] - 1)


_POOLS: list[pa.Array] = []


def _text_pools() -> tuple[pa.Array, pa.Array]:
    """The causes (one or two) and measures (one for the first cause, maybe one more) a
    monitored household names, each text once; the last entry of each is None."""
    if not _POOLS:
        causes = [
            c1 if c2 < 0 else f"{c1}、{CAUSES[c2]}"
            for c1 in CAUSES
            for c2 in range(-1, len(CAUSES))
        ]
        measures = []
        for cause in CAUSES:
            options = CAUSE_MEASURES[cause]
            for k in range(3):
                first = options[k % len(options)]
                for extra in range(-1, len(MEASURES)):
                    more = MEASURES[extra] if extra >= 0 else first
                    measures.append(first if more == first else f"{first}、{more}")
        _POOLS.extend([_pool([*causes, None]), _pool([*measures, None])])
    return _POOLS[0], _POOLS[1]


def _relocated(
    grids: gpd.GeoDataFrame, grid_of: np.ndarray, n: int
) -> tuple[np.ndarray, np.ndarray]:
    """Relocated households: the first of the villages of the county's sites; the index of
    each one's site (the number of sites for the others)."""
    relocated = np.zeros(n, dtype=bool)
    sites = county_sites(grids)
    site = np.full(n, len(sites))
    village = grids["village_code"].to_numpy()[grid_of]
    for k, code in enumerate(sites["village_code"]):
        rows = np.flatnonzero(village == code)[:RELOCATED_PER_SITE]
        relocated[rows] = True
        site[rows] = k
    return relocated, site


def _places(
    rng: np.random.Generator, grids: gpd.GeoDataFrame, grid_of: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A point in its grid per household: uniform in the grid's box until inside (at most 8
    rounds), else the grid's point on surface."""
    polys = grids.geometry.to_numpy()
    bounds = shapely.bounds(polys)[grid_of]
    n = len(grid_of)
    x = np.empty(n)
    y = np.empty(n)
    todo = np.arange(n)
    for _ in range(8):
        b = bounds[todo]
        px = rng.uniform(b[:, 0], b[:, 2])
        py = rng.uniform(b[:, 1], b[:, 3])
        inside = shapely.contains_xy(polys[grid_of[todo]], px, py)
        x[todo[inside]], y[todo[inside]] = px[inside], py[inside]
        todo = todo[~inside]
        if not len(todo):
            break
    if len(todo):
        rep = shapely.get_coordinates(shapely.point_on_surface(polys))[grid_of[todo]]
        x[todo], y[todo] = rep[:, 0], rep[:, 1]
    return x, y
