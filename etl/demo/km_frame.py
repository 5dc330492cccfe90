"""The kilometre frame around the county's centre, where the demo is drawn, to and from WGS 84."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from .parameters import CENTER_LAT, CENTER_LON, KM_PER_DEG_LAT, KM_PER_DEG_LON


def _to_lonlat(geoms):
    def f(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [CENTER_LON + xy[:, 0] / KM_PER_DEG_LON, CENTER_LAT + xy[:, 1] / KM_PER_DEG_LAT]
        )

    return shapely.transform(geoms, f)


def _km_to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return CENTER_LON + np.asarray(x) / KM_PER_DEG_LON, CENTER_LAT + np.asarray(y) / KM_PER_DEG_LAT


def _km_geoms(geoms: gpd.GeoSeries) -> list:
    """Grid polygons back in the kilometre frame, where household points are drawn."""

    def f(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(
            [(xy[:, 0] - CENTER_LON) * KM_PER_DEG_LON, (xy[:, 1] - CENTER_LAT) * KM_PER_DEG_LAT]
        )

    return list(shapely.transform(geoms.to_numpy(), f))
