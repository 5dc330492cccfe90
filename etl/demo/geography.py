"""The demo county's geography: townships, villages, communities and grids tiled with no gaps or
overlaps, named and numbered by the GB statistical codes, with the resettlement sites."""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import Polygon

from .apportion import _largest_remainder
from .km_frame import _km_to_lonlat, _to_lonlat
from .names import COMMUNITY_WORDS, _name_pools, _person_names, _township_names
from .parameters import COMMUNITY_KM2, COMMUNITY_SHARE, COUNTY_CODE, COUNTY_NAME, SEAT_KM
from .personal_numbers import _phones
from .sites import _place_sites
from .tiling import _county_outline, _finish_coverage, _make_warp, _partition


@dataclass
class Geography:
    """The demo county's units in WGS 84; village and township outlines as clipped (for checks)."""

    county: Polygon
    townships: gpd.GeoDataFrame  # township_code, township_name, seat_lon, seat_lat, geometry
    villages: (
        gpd.GeoDataFrame
    )  # village_code, village_name, village_kind, township_code, weight, seat, geometry
    grids: gpd.GeoDataFrame  # the grid layer's identifiers, village_index, weight, geometry
    sites: pd.DataFrame  # site_code, site_name, township_code, village_code, lon, lat


def build_geography(
    rng: np.random.Generator,
    *,
    grids: int = 973,
    villages: int = 197,
    communities: int = 11,
    townships: int = 10,
) -> Geography:
    """Townships, villages, communities and grids of the demo county, tiled with no gaps or overlaps."""
    county = _county_outline(rng)
    axis = np.array([math.cos(math.radians(-35.0)), math.sin(math.radians(-35.0))])  # towards SE
    half_length = max(abs(np.asarray(county.exterior.coords)[:, :2] @ axis))

    # townships: the seat is the one at the real 音德尔镇, the others from south-east to north-west
    t_cells = _partition(rng, county, townships, steps=2)
    cen = shapely.get_coordinates(shapely.centroid(np.asarray(t_cells, dtype=object)))
    seat_at = shapely.Point(SEAT_KM)
    seat_i = int(np.argmin(shapely.distance(np.asarray(t_cells, dtype=object), seat_at)))
    along = cen @ axis
    rest = [i for i in np.argsort(-along, kind="stable") if i != seat_i]
    t_order = [seat_i, *rest]
    t_cells = [t_cells[i] for i in t_order]
    along = along[t_order] / half_length  # -1 (north-west, forest) .. 1 (south-east, plains)
    t_names = _township_names(townships)
    t_codes = [f"{COUNTY_CODE}{100 + i:03d}" for i in range(townships)]
    t_area = np.array([c.area for c in t_cells])
    density = np.exp(0.6 * along)
    density[0] *= 1.3

    # communities: most in the banner seat, the rest one each in other towns (镇)
    comm_per_t = np.zeros(townships, dtype=np.int64)
    if communities:
        comm_per_t[0] = max(1, round(0.64 * communities)) if townships > 1 else communities
        towns = [i for i in range(1, townships) if t_names[i].endswith("镇")] or list(
            range(1, townships)
        )
        k = 0
        while comm_per_t.sum() < communities:
            comm_per_t[towns[k % len(towns)]] += 1
            k += 1
    v_per_t = _largest_remainder(t_area * density, villages, 1)

    han_pool, mongol_pool = _name_pools()
    han_pool = list(np.asarray(han_pool, dtype=object)[rng.permutation(len(han_pool))])
    mongol_pool = list(np.asarray(mongol_pool, dtype=object)[rng.permutation(len(mongol_pool))])
    comm_pool = list(
        np.asarray(COMMUNITY_WORDS, dtype=object)[rng.permutation(len(COMMUNITY_WORDS))]
    )
    used: set[str] = set()

    def take(pool: list[str], fallback: str) -> str:
        while pool:
            name = pool.pop()
            if name not in used:
                used.add(name)
                return name
        i = 1
        while f"{fallback}{i}" in used:
            i += 1
        used.add(f"{fallback}{i}")
        return f"{fallback}{i}"

    seats: list[tuple[float, float]] = []
    v_rows: list[dict] = []
    for ti, cell in enumerate(t_cells):
        circle = shapely.maximum_inscribed_circle(cell, tolerance=0.05)
        inscribed = shapely.Point(circle.coords[0])
        radius = circle.length
        if ti == 0:  # the banner seat where the real one is, unless too near the edge for its town
            need = 2.0 + 2.0 * math.sqrt(int(comm_per_t[0]) * COMMUNITY_KM2 / (2 * math.sqrt(3)))
            seat = inscribed
            for t in (1.0, 0.8, 0.6, 0.4, 0.2):
                p = shapely.Point(
                    inscribed.x + t * (seat_at.x - inscribed.x),
                    inscribed.y + t * (seat_at.y - inscribed.y),
                )
                if cell.contains(p) and cell.exterior.distance(p) >= min(need, 0.8 * radius):
                    seat = p
                    break
        else:
            offset = rng.uniform(0.0, 0.3 * radius, 2) * rng.choice([-1, 1], 2)
            seat = shapely.Point(inscribed.x + offset[0], inscribed.y + offset[1])
            if not cell.contains(seat):
                seat = inscribed
        seats.append((seat.x, seat.y))
        units: list[tuple[Polygon, str]] = []
        c = int(comm_per_t[ti])
        if (
            c
        ):  # the town around the seat is one cell of the township's diagram, split into communities
            # a ring of suburban villages, held in place, keeps the town to about c * COMMUNITY_KM2
            r = math.sqrt(c * COMMUNITY_KM2 / (2 * math.sqrt(3)))
            m = int(min(6, v_per_t[ti]))
            turn = rng.uniform(0, 2 * np.pi) + 2 * np.pi * np.arange(m) / m
            ring = np.column_stack([seat.x + 2 * r * np.cos(turn), seat.y + 2 * r * np.sin(turn)])
            ring = ring[shapely.contains_xy(cell, ring[:, 0], ring[:, 1])]
            fixed = np.concatenate([[[seat.x, seat.y]], ring])
            cells = _partition(rng, cell, int(v_per_t[ti]) + 1, fixed=fixed)
            town, village_cells = cells[0], cells[1:]
            units += [(p, "社区") for p in _partition(rng, town, c)]
        else:
            village_cells = _partition(rng, cell, int(v_per_t[ti]))
        mongolness = (
            0.85 if t_names[ti].endswith("苏木") else 0.45 if t_names[ti].endswith("乡") else 0.2
        )
        kinds = np.where(rng.random(len(village_cells)) < mongolness, "嘎查", "村")
        units += [(p, str(k)) for p, k in zip(village_cells, kinds, strict=True)]
        # numbering: communities 001.., villages 201.. (GB statistical codes), nearest the seat first
        dist = np.array([p.distance(seat) + 0.001 * p.centroid.distance(seat) for p, _ in units])
        order = np.lexsort((dist, [0 if k == "社区" else 1 for _, k in units]))
        n_comm = n_vill = 0
        for i in order:
            poly, kind = units[i]
            if kind == "社区":
                n_comm += 1
                number = n_comm
                name = take(comm_pool, "城关") + "社区"
            else:
                n_vill += 1
                number = 200 + n_vill
                name = take(
                    han_pool if kind == "村" else mongol_pool, "新建" if kind == "村" else "新艾勒"
                )
                if not name.endswith(("村", "嘎查")):
                    name += "村" if kind == "村" else "嘎查"
            v_rows.append(
                {
                    "village_code": f"{t_codes[ti]}{number:03d}",
                    "village_name": name,
                    "village_kind": kind,
                    "township_index": ti,
                    "seat": bool(poly.intersects(seat)),
                    "geometry": poly,
                }
            )
    villages_df = (
        pd.DataFrame(v_rows).sort_values("village_code", kind="stable").reset_index(drop=True)
    )

    # households per village: plains denser than forest, the seat village bigger, communities dense
    v_area = np.array([g.area for g in villages_df["geometry"]])
    ti_arr = villages_df["township_index"].to_numpy()
    is_comm = (villages_df["village_kind"] == "社区").to_numpy()
    weight = np.sqrt(v_area) * density[ti_arr] * rng.lognormal(0.0, 0.3, len(v_area))
    weight[villages_df["seat"].to_numpy() & ~is_comm] *= 2.0
    if is_comm.any():
        total_v = weight[~is_comm].sum()
        share = COMMUNITY_SHARE
        per = share / (1 - share) * total_v / is_comm.sum()
        boost = np.where(ti_arr == 0, 1.3, 0.6)
        weight[is_comm] = per * boost[is_comm] * rng.lognormal(0.0, 0.2, is_comm.sum())
        weight[is_comm] *= share / (1 - share) * total_v / weight[is_comm].sum()
    villages_df["weight"] = weight
    units_n = len(villages_df)
    minimum = min(2, grids // units_n)
    g_per_v = _largest_remainder(weight, grids, minimum)

    grid_polys: list[Polygon] = []
    grid_rows: list[dict] = []
    for vi, row in villages_df.iterrows():
        cells = _partition(rng, row["geometry"], int(g_per_v[vi]))
        reps = shapely.get_coordinates(shapely.point_on_surface(np.asarray(cells, dtype=object)))
        order = np.lexsort((reps[:, 0], -np.round(reps[:, 1], 1)))  # north to south, west to east
        gw = rng.lognormal(0.0, 0.2, len(cells))
        gw = gw / gw.sum() * row["weight"]
        for k, i in enumerate(order, start=1):
            grid_polys.append(cells[i])
            grid_rows.append(
                {
                    "grid_code": f"{row['village_code']}{k:03d}",
                    "grid_name": f"{row['village_name']}第{k}网格",
                    "village_index": vi,
                    "weight": gw[i],
                }
            )
    garr, place = _finish_coverage(grid_polys, _make_warp(rng))
    grid_polys = list(garr)
    g_vi = np.array([r["village_index"] for r in grid_rows])
    villages_df["geometry"] = [
        shapely.coverage_union_all(garr[g_vi == i]) for i in range(len(villages_df))
    ]
    varr = villages_df["geometry"].to_numpy()
    t_cells = [shapely.coverage_union_all(varr[ti_arr == t]) for t in range(townships)]
    county = shapely.coverage_union_all(garr)
    seats = [tuple(p) for p in place(np.asarray(seats))]

    t_names_arr = np.asarray(t_names, dtype=object)
    t_codes_arr = np.asarray(t_codes, dtype=object)
    grids_df = pd.DataFrame(grid_rows)
    vi = grids_df["village_index"].to_numpy()
    grids_df["village_code"] = villages_df["village_code"].to_numpy()[vi]
    grids_df["village_name"] = villages_df["village_name"].to_numpy()[vi]
    grids_df["village_kind"] = villages_df["village_kind"].to_numpy()[vi]
    grids_df["township_code"] = t_codes_arr[ti_arr[vi]]
    grids_df["township_name"] = t_names_arr[ti_arr[vi]]
    grids_df["county_code"] = COUNTY_CODE
    grids_df["county_name"] = COUNTY_NAME
    n = len(grids_df)
    mongol_v = grids_df["village_kind"].to_numpy() == "嘎查"
    grids_df["grid_worker"] = _person_names(
        rng, n, rng.random(n) < 0.55, mongol_v & (rng.random(n) < 0.5)
    )
    grids_df["worker_phone"] = _phones(rng, n)
    grid_gdf = gpd.GeoDataFrame(
        grids_df, geometry=_to_lonlat(np.asarray(grid_polys, dtype=object)), crs="EPSG:4326"
    )
    grid_gdf = grid_gdf.sort_values("grid_code", kind="stable").reset_index(drop=True)

    villages_df["township_code"] = t_codes_arr[ti_arr]
    village_gdf = gpd.GeoDataFrame(
        villages_df.drop(columns=["geometry"]),
        geometry=_to_lonlat(villages_df["geometry"].to_numpy()),
        crs="EPSG:4326",
    )
    seat_lon, seat_lat = _km_to_lonlat(
        np.array([s[0] for s in seats]), np.array([s[1] for s in seats])
    )
    township_gdf = gpd.GeoDataFrame(
        {
            "township_code": t_codes,
            "township_name": t_names,
            "seat_lon": seat_lon,
            "seat_lat": seat_lat,
        },
        geometry=_to_lonlat(np.asarray(t_cells, dtype=object)),
        crs="EPSG:4326",
    )

    sites_df = _place_sites(rng, villages_df, seats, t_names, t_codes)
    county_ll = _to_lonlat(county)
    return Geography(county_ll, township_gdf, village_gdf, grid_gdf, sites_df)
