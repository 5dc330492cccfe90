"""Geometry per level: outlines as the union of grids, and a simplified, rounded copy for maps."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping

from .model import upper_codes

# Simplification tolerance per level, in degrees (1e-4 degree is about 10 m here).
MAP_TOLERANCE: dict[str, float] = {
    "grid": 0.0002,
    "village": 0.0004,
    "township": 0.0008,
    "county": 0.0015,
    "city": 0.003,
    "province": 0.006,
}
MAP_DECIMALS = 5  # about 1 m


def as_multipolygon(geom: shapely.Geometry) -> MultiPolygon:
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if geom is None or geom.is_empty:
        return MultiPolygon()
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, Polygon | MultiPolygon)]
    parts: list[Polygon] = []
    for p in polys:
        parts.extend(p.geoms if isinstance(p, MultiPolygon) else [p])
    return MultiPolygon(parts)


def map_geometries(geoms: gpd.GeoSeries | list, level: str) -> list[str]:
    """GeoJSON geometry text per input, simplified as one coverage and rounded to ~1 m."""
    arr = np.asarray(list(geoms), dtype=object)
    if len(arr) == 0:
        return []
    tolerance = MAP_TOLERANCE[level]
    try:
        simple = shapely.coverage_simplify(arr, tolerance)
    except Exception:  # not a valid coverage (overlaps): simplify each on its own
        simple = shapely.simplify(arr, tolerance, preserve_topology=True)
    simple = shapely.set_precision(simple, 10**-MAP_DECIMALS)
    out = []
    for original, geom in zip(arr, simple, strict=True):
        if geom is None or geom.is_empty:
            geom = original
        out.append(json.dumps(mapping(as_multipolygon(geom)), separators=(",", ":")))
    return out


def label_points(geoms: list) -> list[tuple[float, float]]:
    """A point inside each polygon, where its name is written on the map."""
    pts = shapely.point_on_surface(np.asarray(list(geoms), dtype=object))
    return [(round(p.x, 5), round(p.y, 5)) for p in pts]


def areas_km2(geoms: gpd.GeoSeries) -> list[float]:
    """Area in square kilometres, on an equal-area projection."""
    series = gpd.GeoSeries(list(geoms), crs="EPSG:4326").to_crs("EPSG:6933")
    return [round(a / 1e6, 4) for a in series.area]


def derive_outlines(grids: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Village, township, county, city and province outlines as the union of their grids.

    ``grids`` has the unit columns of the grid layer and a WGS 84 geometry; the result has
    one row per village, township, county and, for counties with a six-digit code, city (its
    first four digits) and province (its first two), with code, level, name, parent_code,
    province_code, city_code, county_code, township_code, village_code, kind and geometry. A
    city or province is named by the grids' ``city_name`` / ``province_name`` where given,
    else by its code.
    """
    grids = grids.copy()
    upper = pd.DataFrame([upper_codes(c) for c in grids["county_code"]], index=grids.index)
    for col in ("province_code", "city_code"):
        grids[col] = upper[col]
    for col in ("province_name", "city_name"):
        if col not in grids.columns:
            grids[col] = None
    rows = []
    specs = [
        ("village", "village_code", "village_name", "township_code"),
        ("township", "township_code", "township_name", "county_code"),
        ("county", "county_code", "county_name", "city_code"),
        ("city", "city_code", "city_name", "province_code"),
        ("province", "province_code", "province_name", None),
    ]
    below = {"village": 4, "township": 3, "county": 2, "city": 1, "province": 0}
    codes = ("province_code", "city_code", "county_code", "township_code", "village_code")
    for level, code_col, name_col, parent_col in specs:
        for code, part in grids.dropna(subset=[code_col]).groupby(code_col, sort=True):
            first = part.iloc[0]
            names = part[name_col].dropna()
            names = names[names.astype(str).str.strip() != ""]
            row = {
                "code": code,
                "level": level,
                "name": names.iloc[0] if len(names) else code,
                "parent_code": first[parent_col] if parent_col else None,
                "kind": first.get("village_kind") if level == "village" else None,
                "geometry": as_multipolygon(shapely.union_all(part.geometry.values)),
            }
            for i, col in enumerate(codes):
                row[col] = first[col] if i <= below[level] else None
            rows.append(row)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


# A map of a whole county is drawn about 1,000 pixels wide: detail finer than one pixel is
# bytes sent for nothing. Outlines covering a wide area are simplified further, as one
# coverage (shared borders stay shared), to about one pixel of that width.
SCREEN_PIXELS = 1000


def screen_resolution(collection: dict, level: str) -> dict:
    """The FeatureCollection simplified to about one pixel of its own extent, if coarser than
    the stored map geometry; coordinates rounded to match."""
    features = collection.get("features", [])
    if len(features) < 2:
        return collection
    # orjson: the same values as json, several times faster (a county's 1,000 grids)
    geoms = shapely.from_geojson([orjson.dumps(f["geometry"]).decode() for f in features])
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    tolerance = max(maxx - minx, maxy - miny) / SCREEN_PIXELS
    if tolerance <= MAP_TOLERANCE[level] * 1.5:
        return collection
    try:
        simple = shapely.coverage_simplify(geoms, tolerance)
    except Exception:  # not a valid coverage
        return collection
    decimals = max(3, min(MAP_DECIMALS, int(-np.floor(np.log10(tolerance))) + 1))
    # coordinates rounded, not snap-rounded (``set_precision``: 70 ms of a county's 1,000
    # grids at a page's first build, for the same picture); a shape made invalid keeps its
    # stored outline below
    simple = shapely.transform(simple, lambda xy: np.round(xy, decimals))
    out = []
    for feature, geom, original in zip(features, simple, geoms, strict=True):
        if geom is None or geom.is_empty or not geom.is_valid:
            geom = original
        geometry = orjson.loads(shapely.to_geojson(as_multipolygon(geom)))
        out.append({**feature, "geometry": geometry})
    return {**collection, "features": out}
