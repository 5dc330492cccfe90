"""The grid layer's coordinates in WGS 84: from the declared or given CRS, or from GCJ-02."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pyproj
import shapely

from .errors import Issue
from .gcj02 import gcj02_to_wgs84
from .grid_issues import grid_issue

GCJ02_NAMES = {"gcj02", "gcj-02", "gcj", "mars"}
# A generous box around China: coordinates outside it get a warning (wrong CRS?).
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)


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
    bounds = _coords_bounds(out)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        cminx, cminy, cmaxx, cmaxy = CHINA_BOUNDS
        if minx < cminx or maxx > cmaxx or miny < cminy or maxy > cmaxy:
            extent = f"{minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f}"
            reason = "坐标不在中国范围内, 请检查坐标系 (crs: outside China)"
            issues.append(grid_issue(file, reason, field="crs", value=extent, severity="warning"))
    return out, issues
