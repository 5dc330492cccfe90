"""The grid layer's geometries checked: polygons only, invalid ones repaired where they can be."""

from __future__ import annotations

import numpy as np
import shapely
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon

from .errors import Issue
from .grid_issues import grid_issue


def _polygonal(geom: shapely.Geometry) -> Polygon | MultiPolygon | None:
    """The polygonal parts of a geometry (e.g. after make_valid), or None if there are none."""
    if isinstance(geom, Polygon | MultiPolygon):
        return None if geom.is_empty else geom
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon) and not part.is_empty:
            parts.append(part)
        elif isinstance(part, MultiPolygon | GeometryCollection):
            sub = _polygonal(part)
            if sub is not None:
                parts.extend(sub.geoms if isinstance(sub, MultiPolygon) else [sub])
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def check_geometries(geoms: np.ndarray, file: str) -> tuple[np.ndarray, np.ndarray, list[Issue]]:
    """(2-D geometries, ok mask, errors) of the raw geometries: empty ones, non-polygons."""
    errors: list[Issue] = []
    out = np.empty(len(geoms), dtype=object)
    ok = np.zeros(len(geoms), dtype=bool)
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            reason = "几何为空 (geometry: empty)"
            value = None if geom is None else geom.geom_type
            errors.append(grid_issue(file, reason, row=i + 1, field="geometry", value=value))
            continue
        geom = shapely.force_2d(geom)
        if isinstance(geom, GeometryCollection) and all(
            isinstance(part, Polygon | MultiPolygon) for part in geom.geoms
        ):
            geom = _polygonal(geom)  # a collection of polygons only: a multipolygon
        if not isinstance(geom, Polygon | MultiPolygon):
            kind = geom.geom_type if geom is not None else None
            reason = f"几何类型 {kind} 不是面 (geometry: not a polygon)"
            errors.append(grid_issue(file, reason, row=i + 1, field="geometry", value=kind))
            continue
        out[i] = geom
        ok[i] = True
    return out, ok, errors


def repair_geometries(
    geoms: np.ndarray, ok: np.ndarray, file: str
) -> tuple[list[Issue], list[Issue]]:
    """Make invalid polygons valid in place (polygonal parts only): a warning per feature."""
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for i in np.flatnonzero(ok):
        geom = geoms[i]
        if shapely.is_valid(geom):
            continue
        why = shapely.is_valid_reason(geom)
        fixed = _polygonal(shapely.make_valid(geom))
        if fixed is None:
            reason = f"几何无效且无法修复为面: {why} (geometry: invalid, cannot be repaired)"
            errors.append(grid_issue(file, reason, row=int(i) + 1, field="geometry", value=why))
            continue
        geoms[i] = fixed
        reason = f"几何无效, 已修复: {why} (geometry: invalid, repaired)"
        warnings.append(
            grid_issue(
                file, reason, row=int(i) + 1, field="geometry", value=why, severity="warning"
            )
        )
    return errors, warnings
