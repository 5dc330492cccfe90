"""GCJ-02 ("Mars" coordinates) <-> WGS 84, vectorized on numpy arrays.

GCJ-02 is the obfuscated datum that AMap (高德), Tencent and other Chinese web maps use: inside
China its coordinates are offset from WGS 84 by a few hundred metres; outside China there is no
shift. The forward formula (WGS 84 -> GCJ-02) is the widely published one (Krasovsky ellipsoid
constants); the inverse has no closed form and is solved here by fixed-point iteration, which
converges to well under a millimetre in a handful of steps.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["gcj02_to_wgs84", "out_of_china", "wgs84_to_gcj02"]

_A = 6378245.0  # semi-major axis of the Krasovsky 1940 ellipsoid used by the formula
_EE = 0.00669342162296594323  # its first eccentricity squared

# Rough bounding box of China used by the formula: outside it there is no shift.
_LON_MIN, _LON_MAX = 72.004, 137.8347
_LAT_MIN, _LAT_MAX = 0.8293, 55.8271

_MAX_ITERATIONS = 30
_TOLERANCE_DEG = 1e-10  # about 0.01 mm


def out_of_china(lon: npt.ArrayLike, lat: npt.ArrayLike) -> np.ndarray:
    """True where a point lies outside the box in which GCJ-02 shifts coordinates."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    return (lon < _LON_MIN) | (lon > _LON_MAX) | (lat < _LAT_MIN) | (lat > _LAT_MAX)


def _transform_lat(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(y * np.pi) + 40.0 * np.sin(y / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (160.0 * np.sin(y / 12.0 * np.pi) + 320.0 * np.sin(y * np.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x))
    ret += (20.0 * np.sin(6.0 * x * np.pi) + 20.0 * np.sin(2.0 * x * np.pi)) * 2.0 / 3.0
    ret += (20.0 * np.sin(x * np.pi) + 40.0 * np.sin(x / 3.0 * np.pi)) * 2.0 / 3.0
    ret += (150.0 * np.sin(x / 12.0 * np.pi) + 300.0 * np.sin(x / 30.0 * np.pi)) * 2.0 / 3.0
    return ret


def _delta(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The GCJ-02 offset (degrees) of WGS 84 points, ignoring the out-of-China test."""
    dlat = _transform_lat(lon - 105.0, lat - 35.0)
    dlon = _transform_lon(lon - 105.0, lat - 35.0)
    radlat = lat / 180.0 * np.pi
    magic = np.sin(radlat)
    magic = 1.0 - _EE * magic * magic
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * np.pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * np.pi)
    return dlon, dlat


def wgs84_to_gcj02(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 longitude/latitude (degrees) to GCJ-02.

    Accepts scalars or arrays (broadcast together) and returns float arrays of that shape.
    Points outside China are returned unchanged; NaN stays NaN.
    """
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    dlon, dlat = _delta(lon, lat)
    outside = out_of_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84(lon: npt.ArrayLike, lat: npt.ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """GCJ-02 longitude/latitude (degrees) to WGS 84, by iterating the forward formula.

    Starting from the GCJ-02 point itself, each step moves the estimate by the difference
    between its forward image and the target; the offset varies slowly, so the error shrinks by
    a factor of about 1e-4 per step and the result is exact to far better than 0.5 m (the loop
    stops at 1e-10 degree). Accepts scalars or arrays; points outside China are returned
    unchanged.
    """
    lon, lat = np.broadcast_arrays(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
    outside = out_of_china(lon, lat)
    wlon = lon.copy()
    wlat = lat.copy()
    for _ in range(_MAX_ITERATIONS):
        dlon, dlat = _delta(wlon, wlat)
        err_lon = wlon + dlon - lon
        err_lat = wlat + dlat - lat
        wlon = wlon - err_lon
        wlat = wlat - err_lat
        err = np.maximum(np.abs(err_lon), np.abs(err_lat))
        if not np.any(err[np.isfinite(err)] > _TOLERANCE_DEG):
            break
    return np.where(outside, lon, wlon), np.where(outside, lat, wlat)
