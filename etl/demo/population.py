"""Who lives where in the demo county: households spread over the grids by weight, numbered per
village, with their heads, members and a place inside their grid."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely

from .km_frame import _km_geoms, _km_to_lonlat
from .names import _person_names
from .personal_numbers import _id_numbers

PERSON_WEIGHTS = np.array([0.13, 0.26, 0.25, 0.19, 0.10, 0.045, 0.025])


@dataclass
class Population:
    """The demo's households in grid order: household ``i`` lives in grid ``grid_of[i]``."""

    grid_of: np.ndarray  # row of the household's grid in the grid layer
    village_code: np.ndarray
    household_id: np.ndarray
    persons: np.ndarray
    head_name: np.ndarray
    id_number: np.ndarray
    community: np.ndarray  # living in an urban community (社区)
    lifted: np.ndarray  # a household lifted out of poverty (脱贫户); resettlement changes some


def _settle(rng: np.random.Generator, grids: gpd.GeoDataFrame, n: int) -> Population:
    """``n`` households over the grids by the grids' weights, at least one in every grid."""
    G = len(grids)
    gw = grids["weight"].to_numpy()
    per_grid = rng.multinomial(n - G, gw / gw.sum()) + 1  # every grid has a household
    grid_of = np.repeat(np.arange(G), per_grid)
    vcode = grids["village_code"].to_numpy().astype(str)[grid_of]
    kind = grids["village_kind"].to_numpy().astype(str)[grid_of]
    first = np.r_[0, np.flatnonzero(vcode[1:] != vcode[:-1]) + 1]
    starts = np.repeat(first, np.diff(np.r_[first, n]))
    seq = np.arange(n) - starts + 1
    household_id = np.char.add(vcode, np.char.zfill(seq.astype(str), 5)).astype(object)
    persons = rng.choice(np.arange(1, 8), n, p=PERSON_WEIGHTS / PERSON_WEIGHTS.sum())
    male = rng.random(n) < 0.82
    mongol = rng.random(n) < np.where(kind == "嘎查", 0.6, 0.15)
    head_name = _person_names(rng, n, male, mongol)
    id_number = _id_numbers(rng, n, male)
    is_comm = kind == "社区"
    lifted = rng.random(n) < np.where(is_comm, 0.14, 0.38)
    return Population(grid_of, vcode, household_id, persons, head_name, id_number, is_comm, lifted)


def _locate(
    rng: np.random.Generator, grids: gpd.GeoDataFrame, grid_of: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Longitude and latitude of each household, inside its grid."""
    lon, lat = _points_in_grids(rng, np.asarray(_km_geoms(grids.geometry)), grid_of)
    return _km_to_lonlat(lon, lat)


def _points_in_grids(
    rng: np.random.Generator, polys: np.ndarray, grid_of: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """A point per household inside its grid, clustered around the grid's settlement."""
    x = np.zeros(len(grid_of))
    y = np.zeros(len(grid_of))
    starts = np.searchsorted(grid_of, np.arange(len(polys) + 1))
    centres = shapely.get_coordinates(shapely.point_on_surface(polys))
    for g, poly in enumerate(polys):
        a, b = starts[g], starts[g + 1]
        need = b - a
        if need == 0:
            continue
        minx, miny, maxx, maxy = poly.bounds
        sigma = 0.25 * min(maxx - minx, maxy - miny)
        got = np.empty((0, 2))
        for attempt in range(20):
            m = 2 * (need - len(got)) + 8
            if attempt < 10:
                xy = centres[g] + rng.normal(0.0, sigma, (m, 2))
            else:
                xy = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
            xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
            got = np.concatenate([got, xy])
            if len(got) >= need:
                break
        if len(got) < need:  # a very thin grid: its settlement point for the rest
            got = np.concatenate([got, np.repeat(centres[g][None, :], need - len(got), axis=0)])
        x[a:b], y[a:b] = got[:need, 0], got[:need, 1]
    return x, y
