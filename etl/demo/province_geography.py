"""The province demo's geography (演示数据): a province outline split into cities and counties, and
each county into about 1,000 grids grouped into villages and townships.

Every split is the county demo's (``tiling._partition``): Voronoi cells of seeded points, relaxed
by Lloyd steps and clipped exactly to the parent, so the cities tile the province, the counties
their city and the grids their county, with no gaps or overlaps and no squares. Villages are the
grids nearest one of the county's village seeds (a grid each), townships the villages nearest one
of its township seeds: each is at least one grid, and the outlines above the grid are the union of
their grids. Drawn in the kilometre frame around the county demo's centre, then WGS 84.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Polygon

from .apportion import _largest_remainder
from .km_frame import _to_lonlat
from .names import (
    EXTRA_TOWNSHIP_WORDS,
    HAN_AUSPICIOUS,
    MONGOL_PREFIX,
    MONGOL_SUFFIX,
    _name_pools,
    _person_names,
)
from .parameters import GRID_SIZE, PROVINCE_NAME
from .personal_numbers import _phones
from .tiling import _blob, _partition

PROVINCE_CODE = "15"
COUNTY_KM2 = 2_500.0  # area per county: 100 counties make a province of 250,000 km2
GRIDS_PER_COUNTY = 1_000
VILLAGES_PER_COUNTY = 200
TOWNSHIPS_PER_COUNTY = 10
TOWNSHIP_SUFFIXES = ("镇", "乡", "苏木")


@dataclass(frozen=True)
class CountyPlan:
    """One county of the province: its codes, names and outline (kilometre frame)."""

    index: int  # 0 .. counties - 1, in code order
    code: str  # 6 digits: the city's 4 and a county number 21 ..
    name: str
    city_code: str
    city_name: str
    outline: Polygon


def city_count(counties: int) -> int:
    """Cities of a province of ``counties``: about 8 counties each, 10 to 14 at 100 counties,
    2 for 3 to 23 counties, one for a single county."""
    if counties < 2:
        return 1
    return int(min(counties, 14, max(2, round(counties / 8))))


def plan_counties(seed: int, counties: int) -> list[CountyPlan]:
    """The province's cities and counties, drawn from the generator ``[seed, 0]``."""
    if counties < 1:
        raise ValueError("counties must be at least 1")
    if counties > 99 * 14:
        raise ValueError("at most 1,386 counties (99 per city)")
    rng = np.random.default_rng([seed, 0])
    province = _blob(rng, 0.0, 0.0, 1.6, 1.0, math.radians(-35.0), harmonics=6, amp=0.12)
    scale = math.sqrt(counties * COUNTY_KM2 / province.area)
    province = shapely.set_precision(_scaled(province, scale), GRID_SIZE)
    n_cities = city_count(counties)
    cities = _partition(rng, province, n_cities, steps=2)
    cities = _west_to_east(cities)
    per_city = _largest_remainder(np.array([c.area for c in cities]), counties, 1)
    if per_city.max() > 99:
        raise ValueError("too many counties for the cities")
    city_names, county_names = _region_names(rng, n_cities, counties)
    plans: list[CountyPlan] = []
    for ci, (cell, k) in enumerate(zip(cities, per_city, strict=True)):
        city_code = f"{PROVINCE_CODE}{ci + 1:02d}"
        for j, outline in enumerate(_west_to_east(_partition(rng, cell, int(k), steps=2))):
            i = len(plans)
            plans.append(
                CountyPlan(
                    i,
                    f"{city_code}{21 + j:02d}",
                    county_names[i],
                    city_code,
                    city_names[ci],
                    outline,
                )  # fmt: skip
            )
    return plans


def _scaled(poly: Polygon, factor: float) -> Polygon:
    return shapely.transform(poly, lambda xy: xy * factor)


def _west_to_east(cells: list[Polygon]) -> list[Polygon]:
    """Cells numbered from the north-west: by rows of latitude, west to east in each."""
    reps = shapely.get_coordinates(shapely.point_on_surface(np.asarray(cells, dtype=object)))
    band = np.floor(-reps[:, 1] / 60.0)  # rows of 60 km
    return [cells[i] for i in np.lexsort((reps[:, 0], band))]


def _region_names(rng: np.random.Generator, cities: int, counties: int) -> tuple[list, list]:
    """Distinct invented names: cities (…市 / …盟) and counties (…旗 / …县)."""
    mongol = [p + s for p in MONGOL_PREFIX for s in MONGOL_SUFFIX if p[-1] != s[0]]
    han = [a + b for a in HAN_AUSPICIOUS for b in ("", "东", "西", "南", "北")]
    mongol = list(np.asarray(mongol, dtype=object)[rng.permutation(len(mongol))])
    han = list(np.asarray(han, dtype=object)[rng.permutation(len(han))])
    city_names = [
        (mongol.pop() + "盟") if i % 3 == 2 else (han.pop() + "市") for i in range(cities)
    ]
    county_names = [
        (mongol.pop() + "旗") if rng.random() < 0.5 else (han.pop() + "县") for _ in range(counties)
    ]
    return city_names, county_names


@cache
def _village_pools() -> tuple[np.ndarray, np.ndarray]:
    han, mongol = _name_pools()
    return np.asarray(han, dtype=object), np.asarray(mongol, dtype=object)


def county_grids(
    seed: int,
    plan: CountyPlan,
    *,
    grids: int = GRIDS_PER_COUNTY,
    villages: int = VILLAGES_PER_COUNTY,
    townships: int = TOWNSHIPS_PER_COUNTY,
) -> gpd.GeoDataFrame:
    """The grid layer of one county (the columns of ``geodata.GRID_COLUMNS``, a ``weight`` of
    households per grid and the WGS 84 polygon), sorted by grid code; drawn from the generator
    ``[seed, 1, county index]``, so a county is the same whichever others are drawn."""
    if not 1 <= townships <= villages <= grids:
        raise ValueError("need 1 <= townships <= villages <= grids")
    rng = np.random.default_rng([seed, 1, plan.index])
    cells = np.asarray(_partition(rng, plan.outline, grids, steps=2), dtype=object)
    centres = shapely.get_coordinates(shapely.point_on_surface(cells))
    village_of = _nearest_seed(rng, centres, villages)
    v_centre = np.array([centres[village_of == v].mean(axis=0) for v in range(villages)])
    township_of_v = _nearest_seed(rng, v_centre, townships)
    # townships from the north-west; villages and grids in each from the north, then west
    t_order = _order(
        np.array([v_centre[township_of_v == t].mean(axis=0) for t in range(townships)])
    )
    t_rank = np.empty(townships, dtype=np.int64)
    t_rank[t_order] = np.arange(townships)
    v_number = np.empty(villages, dtype=np.int64)
    for t in range(townships):
        members = np.flatnonzero(township_of_v == t)
        v_number[members[_order(v_centre[members])]] = np.arange(len(members))
    t_codes = np.array([f"{plan.code}{100 + r:03d}" for r in t_rank[np.arange(townships)]])
    v_codes = np.array(
        [f"{t_codes[township_of_v[v]]}{201 + v_number[v]:03d}" for v in range(villages)]
    )
    g_number = np.empty(grids, dtype=np.int64)
    for v in range(villages):
        members = np.flatnonzero(village_of == v)
        g_number[members[_order(centres[members])]] = np.arange(1, len(members) + 1)
    words = list(EXTRA_TOWNSHIP_WORDS) + list(HAN_AUSPICIOUS)
    picked = rng.choice(len(words), townships, replace=False)
    t_names = np.array(
        [words[picked[r]] + TOWNSHIP_SUFFIXES[int(rng.integers(0, 3))] for r in range(townships)]
    )
    # names by township rank: t_names[rank]
    kind = np.where(rng.random(villages) < 0.4, "嘎查", "村")
    han, mongol = _village_pools()
    v_names = np.where(
        kind == "嘎查",
        mongol[rng.integers(0, len(mongol), villages)],
        han[rng.integers(0, len(han), villages)],
    )
    gv = village_of
    n = grids
    grid_code = np.char.add(v_codes[gv].astype(str), np.char.zfill(g_number.astype(str), 3))
    grid_name = [f"{v_names[v]}第{k}网格" for v, k in zip(gv, g_number, strict=True)]
    mongol_v = kind[gv] == "嘎查"
    frame = gpd.GeoDataFrame(
        {
            "grid_code": grid_code.astype(object),
            "grid_name": grid_name,
            "village_code": v_codes[gv].astype(object),
            "village_name": v_names[gv],
            "village_kind": kind[gv].astype(object),
            "township_code": t_codes[township_of_v[gv]].astype(object),
            "township_name": t_names[t_rank[township_of_v[gv]]].astype(object),
            "county_code": plan.code,
            "county_name": plan.name,
            "city_name": plan.city_name,
            "province_name": PROVINCE_NAME,
            "grid_worker": _person_names(rng, n, rng.random(n) < 0.55, mongol_v),
            "worker_phone": _phones(rng, n),
            "weight": rng.lognormal(0.0, 0.35, n),
        },
        geometry=_to_lonlat(cells),
        crs="EPSG:4326",
    )
    return frame.sort_values("grid_code", kind="stable", ignore_index=True)


def _nearest_seed(rng: np.random.Generator, points: np.ndarray, k: int) -> np.ndarray:
    """Each point's nearest of ``k`` seeds drawn among the points (each seed is its own nearest,
    so no group is empty)."""
    seeds = points[rng.choice(len(points), k, replace=False)]
    nearest = np.empty(len(points), dtype=np.int64)
    for start in range(0, len(points), 4096):
        part = points[start : start + 4096]
        d = ((part[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
        nearest[start : start + 4096] = d.argmin(axis=1)
    return nearest


def _order(points: np.ndarray) -> np.ndarray:
    """Indexes of ``points`` from the north (rows of 2 km), west to east in each row."""
    return np.lexsort((points[:, 0], np.floor(-points[:, 1] / 2.0)))
