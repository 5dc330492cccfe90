"""The resettlement sites (易地扶贫搬迁安置点): where they are, which households moved there, the
work of the households with labour, and each site's figures."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .apportion import _largest_remainder
from .km_frame import _km_to_lonlat
from .names import SITE_WORDS
from .parameters import COUNTY_CODE, N_SITES, RELOCATED_SHARE
from .population import Population
from .tiling import _points_in


def _place_sites(
    rng: np.random.Generator,
    villages_df: pd.DataFrame,
    seats: list[tuple[float, float]],
    t_names: list[str],
    t_codes: list[str],
) -> pd.DataFrame:
    """``N_SITES`` sites near the township seats, with their longitude and latitude (``villages_df``
    and ``seats`` in the kilometre frame)."""
    ti_arr = villages_df["township_index"].to_numpy()
    is_comm = (villages_df["village_kind"] == "社区").to_numpy()
    weight = villages_df["weight"].to_numpy()
    townships = len(t_names)
    # resettlement sites: in the seat's communities first, then the seat villages of other townships
    hosts: list[int] = []
    seat_town = villages_df.index[is_comm & (ti_arr == 0)].tolist()
    hosts += seat_town[: max(1, math.ceil(N_SITES * 0.35))] if seat_town else []
    for ti in range(townships):
        cand = villages_df.index[(ti_arr == ti) & villages_df["seat"].to_numpy()].tolist()
        cand = [c for c in cand if c not in hosts]
        if cand and ti != 0:
            hosts.append(cand[0])
    hosts += [i for i in villages_df.index[is_comm] if i not in hosts]
    hosts = hosts or [int(np.argmax(weight))]
    hosts = [hosts[i % len(hosts)] for i in range(N_SITES)]
    words = list(np.asarray(SITE_WORDS, dtype=object)[rng.permutation(len(SITE_WORDS))])
    site_rows = []
    for k, host in enumerate(hosts, start=1):
        poly = villages_df.at[host, "geometry"]
        ti = int(ti_arr[host])
        centre = (
            shapely.Point(seats[ti])
            if poly.contains(shapely.Point(seats[ti]))
            else poly.point_on_surface()
        )
        near = shapely.intersection(poly, centre.buffer(1.0))
        pt = _points_in(rng, near if not near.is_empty else poly, 1)[0]
        lon, lat = _km_to_lonlat(pt[0], pt[1])
        site_rows.append(
            {
                "site_code": f"AZD{COUNTY_CODE}{k:03d}",
                "site_name": f"{t_names[ti]}{words[(k - 1) % len(words)]}安置点",
                "township_code": t_codes[ti],
                "village_code": villages_df.at[host, "village_code"],
                "lon": round(float(lon), 6),
                "lat": round(float(lat), 6),
            }
        )
    return pd.DataFrame(site_rows)


@dataclass
class Resettlement:
    """Who moved to which site, the labour and work of every household, and the sites' figures."""

    sites: pd.DataFrame  # the geography's sites with households, persons, workshops, public_jobs
    site_of: np.ndarray  # the row of the household's site, -1 where it did not move
    relocated: np.ndarray
    labor: np.ndarray
    employed: np.ndarray


def _resettle(
    rng: np.random.Generator, sites: pd.DataFrame, grids: gpd.GeoDataFrame, people: Population
) -> Resettlement:
    """About 1,500 households in 80,000 moved to the sites, from the sites' own villages, the grids
    nearest the site first; 97 % of them are lifted households (``people.lifted`` is updated)."""
    N = len(people.grid_of)
    grid_of, vcode = people.grid_of, people.village_code
    sites = sites.copy()
    n_reloc = max(5 * len(sites), round(N * RELOCATED_SHARE))
    quota = _largest_remainder(rng.uniform(0.6, 1.4, len(sites)), n_reloc, 1)
    site_of = np.full(N, -1, dtype=np.int64)
    cx = shapely.get_coordinates(shapely.point_on_surface(grids.geometry.to_numpy()))
    for s, row in sites.iterrows():
        pool = np.flatnonzero((vcode == row["village_code"]) & (site_of < 0))
        gd = np.hypot(cx[grid_of[pool], 0] - row["lon"], (cx[grid_of[pool], 1] - row["lat"]) * 1.5)
        pick = pool[np.argsort(gd + rng.uniform(0, 0.01, len(pool)), kind="stable")]
        site_of[pick[: min(int(quota[s]), len(pool) * 6 // 10 + 1)]] = s
    relocated = site_of >= 0
    people.lifted[relocated] = rng.random(int(relocated.sum())) < 0.97
    labor, employed = _labour(rng, people.persons, site_of, len(sites))
    persons = people.persons
    sites["households"] = np.bincount(site_of[relocated], minlength=len(sites))
    sites["persons"] = np.bincount(
        site_of[relocated], weights=persons[relocated], minlength=len(sites)
    ).astype(int)
    sites["workshops"] = np.maximum(
        1, np.round(sites["households"] / 80 + rng.integers(0, 2, len(sites)))
    ).astype(int)
    sites["public_jobs"] = np.round(
        sites["households"] * rng.uniform(0.06, 0.14, len(sites))
    ).astype(int)
    return Resettlement(sites, site_of, relocated, labor, employed)


def _labour(
    rng: np.random.Generator, persons: np.ndarray, site_of: np.ndarray, n_sites: int
) -> tuple[np.ndarray, np.ndarray]:
    """Labour and employment per household: at most sites 90-97 % of the households with labour
    have someone at work (a few sites reach 100 %); elsewhere about half the labour works away from
    the farm."""
    relocated = site_of >= 0
    labor = np.minimum(np.minimum(rng.binomial(persons, 0.55), 4), persons)
    employed = rng.binomial(labor, 0.5)
    r_idx = np.flatnonzero(relocated)
    labor[r_idx] = np.minimum(np.minimum(rng.binomial(persons[r_idx], 0.6), 4), persons[r_idx])
    no_labor = labor[r_idx] == 0
    labor[r_idx[no_labor & (rng.random(len(r_idx)) < 0.9)]] = 1
    coverage = np.where(rng.random(n_sites) < 0.25, 1.0, rng.uniform(0.90, 0.97, n_sites))
    if (coverage >= 1.0).all():
        coverage[0] = rng.uniform(0.90, 0.97)
    for s in range(n_sites):
        members = np.flatnonzero((site_of == s) & (labor > 0))
        employed[site_of == s] = 0
        if len(members) == 0:
            continue
        n_out = (
            min(len(members) - 1, round((1 - coverage[s]) * len(members))) if coverage[s] < 1 else 0
        )
        n_out = max(n_out, 1 if coverage[s] < 1 and len(members) > 1 else 0)
        idle = rng.choice(members, n_out, replace=False)
        working = np.setdiff1d(members, idle)
        employed[working] = rng.integers(1, labor[working] + 1)
    return labor, employed
