"""The map of a briefing as polygons (``MapData``): grid outlines coloured by risk, the unit's
and its child units' outlines, and a label point inside each child unit, all from
``Store.map_features``."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from geodata import Store
from geodata.model import RISK_COLORS, Unit

from .briefing_model import MapData


def _rings(geometry: dict[str, Any]) -> list[list[np.ndarray]]:
    """GeoJSON Polygon / MultiPolygon -> polygons, each a list of rings (exterior first)."""
    coords = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        coords = [coords]
    elif geometry.get("type") != "MultiPolygon":
        return []
    return [
        [np.asarray(r, dtype=float)[:, :2] for r in poly if len(r) >= 3] for poly in coords if poly
    ]


def _ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def _label_point(polys: list[list[np.ndarray]]) -> tuple[float, float, float]:
    """A point well inside the largest part (pole of inaccessibility) and the total area."""
    from shapely.geometry import Polygon
    from shapely.ops import polylabel

    parts = [(p, _ring_area(p[0])) for p in polys if p]
    if not parts:
        return math.nan, math.nan, 0.0
    biggest = max(parts, key=lambda pa: pa[1])[0]
    poly = Polygon(biggest[0], biggest[1:]).buffer(0)
    if poly.is_empty:
        x, y = biggest[0].mean(axis=0)
        return float(x), float(y), 0.0
    if poly.geom_type != "Polygon":
        poly = max(poly.geoms, key=lambda g: g.area)
    tolerance = max(math.sqrt(poly.area) / 50, 1e-6)
    point = polylabel(poly, tolerance=tolerance)
    return point.x, point.y, sum(a for _, a in parts)


def build_map(store: Store, unit: Unit, grid_risk: dict[str, str]) -> MapData:
    """The unit's map: its grids coloured by ``grid_risk`` (grid code -> risk level), its and
    its child units' outlines, the child units' label points, and the bounds of it all."""
    data = MapData()
    grids = store.map_features("grid", within=unit.code)["features"]
    holed: list[tuple[np.ndarray, str]] = []
    plain: list[tuple[np.ndarray, str]] = []
    points = []
    for feature in grids:
        color = RISK_COLORS[grid_risk.get(feature["id"], "none")]
        for poly in _rings(feature["geometry"]):
            # PolyCollection fills exteriors: a polygon with holes goes first, the grids in its
            # holes are drawn over it.
            (holed if len(poly) > 1 else plain).append((poly[0], color))
            points.append(poly[0])
    for ring, color in holed + plain:
        data.grid_polys.append(ring)
        data.grid_colors.append(color)
    outline = store.map_features(unit.level, within=unit.code)["features"]
    for feature in outline:
        for poly in _rings(feature["geometry"]):
            data.unit_rings += poly
            points += poly
    child_level = store.child_level(unit.level)
    if child_level:
        for feature in store.map_features(child_level, within=unit.code)["features"]:
            polys = _rings(feature["geometry"])
            for poly in polys:
                data.child_rings += poly
            x, y, area = _label_point(polys)
            if not math.isnan(x):
                data.labels.append((feature["properties"]["name"], x, y, area))
    if points:
        allpts = np.concatenate(points)
        data.bounds = (
            float(allpts[:, 0].min()),
            float(allpts[:, 1].min()),
            float(allpts[:, 0].max()),
            float(allpts[:, 1].max()),
        )
    return data
