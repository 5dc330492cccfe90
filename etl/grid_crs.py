"""The grid layer's coordinates in WGS 84: from the declared or given CRS, or from GCJ-02."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from .bounds import CHINA_BOUNDS
from .errors import Issue
from .gcj02 import gcj02_to_wgs84
from .grid_issues import grid_issue

GCJ02_NAMES = {"gcj02", "gcj-02", "gcj", "mars"}
# a declared projected CRS over coordinates that look like degrees: an error when converting
# puts the layer farther than this (degrees) from where the coordinates would be as degrees
FAR_DEGREES = 1.0


def _coords_bounds(geoms: np.ndarray) -> tuple[float, float, float, float] | None:
    present = [g for g in geoms if g is not None and not g.is_empty]
    if not present:
        return None
    b = shapely.bounds(np.asarray(present, dtype=object))
    return (
        float(np.nanmin(b[:, 0])),
        float(np.nanmin(b[:, 1])),
        float(np.nanmax(b[:, 2])),
        float(np.nanmax(b[:, 3])),
    )


def _is_lonlat(bounds: tuple[float, float, float, float] | None) -> bool:
    if bounds is None:
        return True
    minx, miny, maxx, maxy = bounds
    return (
        all(math.isfinite(v) for v in bounds)
        and -180 <= minx <= maxx <= 180
        and -90 <= miny <= maxy <= 90
    )


def _gcj_to_wgs(geoms: np.ndarray) -> np.ndarray:
    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, shift)


def to_wgs84(
    geoms: np.ndarray, declared: pyproj.CRS | None, crs: str | None, file: str
) -> tuple[np.ndarray | None, list[Issue]]:
    """The geometries in WGS 84, and the CRS problems and warnings (None if not convertible)."""
    issues: list[Issue] = []
    gcj = crs is not None and crs.strip().lower() in GCJ02_NAMES
    source = declared
    if crs is not None and not gcj:
        try:
            wanted = pyproj.CRS.from_user_input(crs.strip())
        except pyproj.exceptions.CRSError:
            reason = f"无法识别坐标系 {crs}, 请用 EPSG 代码, 如 EPSG:4549 (crs: unknown)"
            return None, [grid_issue(file, reason, field="crs", value=crs)]
        if declared is not None and not declared.equals(wanted):
            reason = (
                f"按指定的坐标系 {crs} 读取, 不用文件声明的 {declared.to_string()} "
                "(crs: overridden)"
            )
            issues.append(grid_issue(file, reason, field="crs", value=crs, severity="warning"))
        source = wanted
    if source is None:
        if not _is_lonlat(_coords_bounds(geoms)):
            reason = (
                "文件未声明坐标系, 坐标又不是经纬度; 请用 --crs 指定, 如 EPSG:4549 "
                "(crs: missing, coordinates are not longitude/latitude)"
            )
            return None, [*issues, grid_issue(file, reason, field="crs")]
        if not gcj:
            reason = "未声明坐标系, 按 WGS 84 读取 (crs: missing, read as WGS 84)"
            issues.append(grid_issue(file, reason, field="crs", severity="warning"))
        source = pyproj.CRS.from_epsg(4326)
    try:
        series = gpd.GeoSeries(geoms, crs=source).to_crs(4326)
        out = np.asarray(series.values, dtype=object)
    except Exception as exc:
        reason = f"无法从 {source.to_string()} 转换到 WGS 84: {exc} (crs: cannot convert)"
        return None, [*issues, grid_issue(file, reason, field="crs")]
    if not _is_lonlat(_coords_bounds(out)):
        reason = (
            f"按坐标系 {source.to_string()} 转换后坐标不是经纬度, 坐标系有误? 请用 --crs 指定 "
            "(crs: coordinates out of range, wrong CRS?)"
        )
        return None, [*issues, grid_issue(file, reason, field="crs", value=source.to_string())]
    if gcj:
        out = _gcj_to_wgs(out)
    far = _far_from_degrees(geoms, out, source, file)
    if far is not None:
        return None, [*issues, far]
    outside = _outside_china(out, file)
    if outside:
        return None, [*issues, *outside]
    return out, issues


def _far_from_degrees(
    raw: np.ndarray, converted: np.ndarray, source: pyproj.CRS, file: str
) -> Issue | None:
    """A projected CRS declared (or given) over coordinates that look like longitudes and
    latitudes, which converting puts far from where they would be as degrees (EPSG:3857 over
    degrees puts a village at (0, 0)): an error naming both places."""
    if source.is_geographic:
        return None
    raw_bounds, out_bounds = _coords_bounds(raw), _coords_bounds(converted)
    if raw_bounds is None or out_bounds is None or not _is_lonlat(raw_bounds):
        return None
    as_degrees = ((raw_bounds[0] + raw_bounds[2]) / 2, (raw_bounds[1] + raw_bounds[3]) / 2)
    as_declared = ((out_bounds[0] + out_bounds[2]) / 2, (out_bounds[1] + out_bounds[3]) / 2)
    if math.dist(as_degrees, as_declared) <= FAR_DEGREES:
        return None
    name = source.to_string()
    reason = (
        f"文件声明的坐标系 {name} 与坐标不符: 坐标像经纬度 ({as_degrees[0]:.4f}, "
        f"{as_degrees[1]:.4f}), 按 {name} 转换后却在 ({as_declared[0]:.4f}, {as_declared[1]:.4f}); "
        "请修正文件的坐标系, 或用 --crs EPSG:4326 按经纬度读取 (crs: the declared CRS puts the "
        "layer far from its coordinates read as degrees)"
    )
    return grid_issue(file, reason, field="crs", value=name)


def _outside_china(geoms: np.ndarray, file: str) -> list[Issue]:
    """An error per feature that reaches outside a box around China (``etl.bounds``)."""
    present = np.array([g is not None and not g.is_empty for g in geoms], dtype=bool)
    if not present.any():
        return []
    b = np.full((len(geoms), 4), np.nan)
    b[present] = shapely.bounds(np.asarray(geoms[present], dtype=object))
    cminx, cminy, cmaxx, cmaxy = CHINA_BOUNDS
    with np.errstate(invalid="ignore"):
        out = present & (
            (b[:, 0] < cminx) | (b[:, 1] < cminy) | (b[:, 2] > cmaxx) | (b[:, 3] > cmaxy)
        )
    reason = (
        f"坐标不在中国范围内 (经度 {cminx:g}–{cmaxx:g}, 纬度 {cminy:g}–{cmaxy:g}), 请检查坐标系 "
        "(geometry: outside China)"
    )
    return [
        grid_issue(
            file,
            reason,
            row=int(i) + 1,
            field="geometry",
            value=f"{b[i, 0]:.4f},{b[i, 1]:.4f},{b[i, 2]:.4f},{b[i, 3]:.4f}",
        )
        for i in np.flatnonzero(out)
    ]
