"""Where the resettlement sites' circles are drawn so that none covers another at the map's
zoom: sites closer than their circles' radii are spread on a ring around their middle (a
leader line goes back to the true place). Pure functions, Web Mercator in pixels as MapLibre
draws it (512-pixel tiles)."""

from __future__ import annotations

import math
from collections.abc import Sequence

TILE = 512  # MapLibre's world is 512 px wide at zoom 0
GAP = 4.0  # pixels between two circles


def to_pixels(lon: float, lat: float, zoom: float) -> tuple[float, float]:
    world = TILE * 2**zoom
    lat = max(min(lat, 85.0), -85.0)
    x = (lon + 180.0) / 360.0 * world
    y = 1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi
    return x, y / 2 * world


def to_lonlat(x: float, y: float, zoom: float) -> tuple[float, float]:
    world = TILE * 2**zoom
    lon = x / world * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / world))))
    return lon, lat


def _clusters(points: list[tuple[float, float]], radii: Sequence[float]) -> list[list[int]]:
    """Groups of circles that touch, directly or through others (union-find)."""
    parent = list(range(len(points)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i in range(len(points)):
        for j in range(i + 1, len(points)):
            (xi, yi), (xj, yj) = points[i], points[j]
            if math.hypot(xi - xj, yi - yj) < radii[i] + radii[j] + GAP:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(points)):
        groups.setdefault(root(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]


def spread(
    lonlats: Sequence[tuple[float, float]], radii: Sequence[float], zoom: float
) -> list[tuple[float, float]]:
    """The positions to draw circles of ``radii`` (pixels) at ``zoom`` so that none overlaps
    another: touching ones go on a ring around their middle, in the order of their bearings."""
    points = [to_pixels(lon, lat, zoom) for lon, lat in lonlats]
    for _ in range(6):  # a ring may touch a neighbour: spread again until none does
        groups = _clusters(points, radii)
        if not groups:
            break
        for group in groups:
            cx = sum(points[i][0] for i in group) / len(group)
            cy = sum(points[i][1] for i in group) / len(group)
            widest = max(radii[i] for i in group)
            ring = (2 * widest + GAP) / (2 * math.sin(math.pi / len(group))) + 1
            order = sorted(
                group, key=lambda i: (math.atan2(points[i][1] - cy, points[i][0] - cx), i)
            )
            start = math.atan2(points[order[0]][1] - cy, points[order[0]][0] - cx)
            for k, i in enumerate(order):
                angle = start + 2 * math.pi * k / len(group)
                points[i] = (cx + ring * math.cos(angle), cy + ring * math.sin(angle))
    return [to_lonlat(x, y, zoom) for x, y in points]
