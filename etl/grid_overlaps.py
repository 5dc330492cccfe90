"""Grids that overlap each other, and sliver grids: warnings naming the grids.

A grid layer tiles its villages: two grids covering the same ground count that ground's
households twice on the map, and a sliver (a long thin part, left by digitising or by clipping
one layer against another) is a grid nobody can find. Both are warnings: the file loads, and
the office sees which grids to fix. Vectorised: candidate pairs from the layer's spatial index
(shapely STRtree), intersections of those pairs at once.
"""

from __future__ import annotations

import math

import numpy as np
import shapely

from .errors import Issue
from .grid_issues import grid_issue

# two grids overlap when their common area exceeds this share of the smaller one's area
OVERLAP_SHARE = 0.01
# a part is a sliver when 4πA/P² (1 for a circle, 0.785 for a square) is below this
SLIVER_COMPACTNESS = 0.05


def _local_metric(geoms: np.ndarray) -> np.ndarray:
    """Longitudes scaled by the cosine of the layer's middle latitude: shapes as on the ground
    (near enough for shares and ratios)."""
    b = shapely.bounds(geoms)
    scale = math.cos(math.radians(float(np.nanmean((b[:, 1] + b[:, 3]) / 2))))
    return shapely.transform(geoms, lambda xy: xy * [scale, 1.0])


def overlap_warnings(
    geoms: np.ndarray, ok: np.ndarray, codes: list[str | None], file: str
) -> list[Issue]:
    """A warning per pair of grids overlapping by more than ``OVERLAP_SHARE`` of the smaller,
    and per grid with a sliver part; rows are 1-based feature numbers."""
    rows = np.flatnonzero(ok)
    if len(rows) == 0:
        return []
    shapes = _local_metric(np.asarray(geoms[rows], dtype=object))
    out: list[Issue] = []
    tree = shapely.STRtree(shapes)
    a, b = tree.query(shapes, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    if len(a):
        common = shapely.area(shapely.intersection(shapes[a], shapes[b]))
        smaller = np.minimum(shapely.area(shapes[a]), shapely.area(shapes[b]))
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(smaller > 0, common / smaller, 0.0)
        for i, j, s in zip(
            a[share > OVERLAP_SHARE],
            b[share > OVERLAP_SHARE],
            share[share > OVERLAP_SHARE],
            strict=True,
        ):
            first, second = codes[rows[i]], codes[rows[j]]
            reason = (
                f"网格 {first} 与第 {rows[j] + 1} 行的网格 {second} 重叠, 重叠面积占较小网格的 "
                f"{s:.1%} (geometry: overlaps grid {second})"
            )
            out.append(_warning(file, int(rows[i]), first, reason))
    parts, owner = shapely.get_parts(shapes, return_index=True)
    area, length = shapely.area(parts), shapely.length(parts)
    with np.errstate(divide="ignore", invalid="ignore"):
        compact = np.where(length > 0, 4 * math.pi * area / length**2, 1.0)
    for k in sorted(set(owner[compact < SLIVER_COMPACTNESS].tolist())):
        worst = float(compact[owner == k].min())
        reason = (
            f"网格 {codes[rows[k]]} 含狭长碎片 (紧凑度 {worst:.3f}, 低于 {SLIVER_COMPACTNESS}): "
            "请检查边界 (geometry: sliver)"
        )
        out.append(_warning(file, int(rows[k]), codes[rows[k]], reason))
    return sorted(out, key=lambda x: x.row or 0)


def _warning(file: str, index: int, code: str | None, reason: str) -> Issue:
    return grid_issue(file, reason, row=index + 1, field="geometry", value=code, severity="warning")
