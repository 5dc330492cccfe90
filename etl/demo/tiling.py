"""Tiling in the kilometre frame: the county's outline, its exact partition into Voronoi cells, and
the warp that bends the cells' straight edges into borders while they stay an exact coverage."""

from __future__ import annotations

import math

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import MultiPoint, Polygon

from .parameters import (
    COUNTY_AREA_KM2,
    GAP_KM,
    GRID_SIZE,
    LLOYD_STEPS,
    WARP_SEGMENT_KM,
    WARP_WAVES,
)


def _blob(
    rng: np.random.Generator,
    cx: float,
    cy: float,
    a: float,
    b: float,
    angle: float,
    harmonics: int,
    amp: float,
    jitter: float = 0.0,
    n: int = 720,
) -> Polygon:
    """A star-shaped outline: an ellipse whose radius carries a few random harmonics."""
    theta = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False)
    t = theta - angle
    r = a * b / np.sqrt((b * np.cos(t)) ** 2 + (a * np.sin(t)) ** 2)
    log_r = np.zeros(n)
    for k in range(2, harmonics + 1):
        log_r += (
            rng.uniform(0.4, 1.0)
            * amp
            / (k - 1) ** 0.8
            * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
        )
    if jitter:
        for k in range(harmonics + 1, 48):
            log_r += (
                rng.normal(0.0, jitter)
                / math.sqrt(k / 10)
                * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
            )
    r = r * np.exp(log_r)
    return Polygon(np.column_stack([cx + r * np.cos(theta), cy + r * np.sin(theta)]))


def _county_outline(rng: np.random.Generator) -> Polygon:
    angle = math.radians(-35.0)  # major axis from the north-west to the south-east
    poly = _blob(rng, 0.0, 0.0, 2.2, 1.0, angle, harmonics=6, amp=0.12, jitter=0.006)
    scale = math.sqrt(COUNTY_AREA_KM2 / poly.area)
    poly = shapely.affinity.scale(poly, scale, scale, origin=(0.0, 0.0))
    return shapely.set_precision(poly, GRID_SIZE)


def _points_in(rng: np.random.Generator, poly, n: int) -> np.ndarray:
    minx, miny, maxx, maxy = poly.bounds
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        m = max(16, 2 * (n - count))
        xy = np.column_stack([rng.uniform(minx, maxx, m), rng.uniform(miny, maxy, m)])
        xy = xy[shapely.contains_xy(poly, xy[:, 0], xy[:, 1])]
        found.append(xy)
        count += len(xy)
    return np.concatenate(found)[:n]


def _cells(parent, pts: np.ndarray) -> np.ndarray:
    vor = shapely.voronoi_polygons(MultiPoint(pts), extend_to=parent, ordered=True)
    cells = shapely.get_parts(vor)
    if len(cells) != len(pts):
        raise RuntimeError("Voronoi diagram lost a cell")
    return shapely.intersection(cells, parent, grid_size=GRID_SIZE)


def _single_polygons(cells: np.ndarray) -> list[Polygon]:
    """Each cell as one polygon: stray parts of a clipped cell go to the neighbour they share most with."""
    result: list[Polygon] = []
    orphans: list[Polygon] = []
    for cell in cells:
        parts = [p for p in shapely.get_parts(cell) if isinstance(p, Polygon) and p.area > 0]
        parts.sort(key=lambda p: -p.area)
        if not parts:
            raise RuntimeError("a cell came out empty")
        result.append(parts[0])
        orphans.extend(parts[1:])
    while orphans:  # a stray part may touch only another stray part: merge those that touch first
        left: list[Polygon] = []
        for orphan in orphans:
            near = shapely.buffer(np.asarray(result, dtype=object), 10 * GRID_SIZE)
            shared = shapely.length(shapely.intersection(orphan.boundary, near))
            j = int(np.argmax(shared))
            if shared[j] <= 0:
                left.append(orphan)
                continue
            merged = shapely.union(result[j], orphan, grid_size=GRID_SIZE)
            if not isinstance(merged, Polygon):  # not quite touching after snapping: close the seam
                merged = shapely.buffer(shapely.buffer(merged, 10 * GRID_SIZE), -10 * GRID_SIZE)
                merged = shapely.set_precision(merged, GRID_SIZE)
            if not isinstance(merged, Polygon):
                raise RuntimeError("merging a stray part did not give one polygon")
            result[j] = merged
        if len(left) == len(orphans):
            raise RuntimeError("a stray part of a cell touches no other cell")
        orphans = left
    return result


def _partition(
    rng: np.random.Generator,
    parent,
    n: int,
    steps: int = LLOYD_STEPS,
    fixed: np.ndarray | None = None,
) -> list[Polygon]:
    """``parent`` split into ``n`` Voronoi cells, relaxed by a few Lloyd steps, clipped exactly.

    ``fixed`` seeds (inside ``parent``) come first and stay where they are.
    """
    if n == 1:
        return [parent]
    k = 0 if fixed is None else len(fixed)
    pts = _points_in(rng, parent, n - k) if n > k else np.empty((0, 2))
    if k:
        pts = np.concatenate([np.asarray(fixed, dtype=float).reshape(k, 2), pts])[:n]
    for _ in range(steps):
        cells = _cells(parent, pts)
        cen = shapely.centroid(cells)
        pos = shapely.point_on_surface(cells)
        inside = shapely.contains(parent, cen)
        moved = shapely.get_coordinates(np.where(inside, cen, pos))
        pts = np.concatenate([pts[:k], moved[k:]])
    return _single_polygons(_cells(parent, pts))


def _make_warp(rng: np.random.Generator):
    """A smooth displacement field, a contraction (Lipschitz < 1): bends straight Voronoi edges
    into plausible borders while every shared edge stays shared and nothing folds over."""
    waves = []
    for length, amp in WARP_WAVES:
        for comp in (0, 1):
            a = rng.uniform(0, np.pi)
            waves.append(
                (
                    comp,
                    2 * np.pi / length * np.array([np.cos(a), np.sin(a)]),
                    amp,
                    rng.uniform(0, 2 * np.pi),
                )
            )

    def warp(xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=float)
        out = xy.copy()
        for comp, k, amp, phase in waves:
            out[:, comp] += amp * np.sin(xy @ k + phase)
        return out

    return warp


def _finish_coverage(polys: list[Polygon], warp) -> tuple[np.ndarray, object]:
    """Densify, clean into an exact coverage (shared edges vertex for vertex), warp, rescale.

    Returns the polygons and the point mapping used (warp then scale), for seats and sites. Should
    two edges lie so close that the densified warp crosses them, the warp is weakened until none do.
    """
    arr = shapely.segmentize(np.asarray(polys, dtype=object), WARP_SEGMENT_KM)
    arr = shapely.coverage_clean(arr, gap_width=GAP_KM)
    if not (shapely.get_type_id(arr) == shapely.GeometryType.POLYGON).all():
        raise RuntimeError("cleaning the grid coverage split a grid")
    for strength in (1.0, 0.5, 0.25, 0.0):

        def bend(xy: np.ndarray, strength: float = strength) -> np.ndarray:
            return xy + strength * (warp(xy) - xy)

        out = shapely.transform(arr, bend)
        if shapely.is_valid(out).all() and shapely.coverage_is_valid(out):
            break
    scale = math.sqrt(COUNTY_AREA_KM2 / float(shapely.area(out).sum()))
    out = shapely.transform(out, lambda xy: xy * scale)

    def place(xy: np.ndarray) -> np.ndarray:
        return bend(np.asarray(xy, dtype=float)) * scale

    return out, place
