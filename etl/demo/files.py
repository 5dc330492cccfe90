"""Writing the demo's input files as a county office would: the grid GeoPackage and UTF-8 (BOM)
CSVs, with the headers of the data contract and nothing that changes from one run to the next."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from etl.headers import GRID_HEADERS, SITE_HEADERS

from .parameters import CITY_NAME, COUNTY_NAME, DEMO_NOTE, PROVINCE_NAME


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """``frame`` as a CSV: UTF-8 with a BOM, a header row, ``\\n`` line ends, no index."""
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


def _write_sites(sites: pd.DataFrame, path: Path) -> None:
    """The resettlement sites by code, in the columns of the data contract."""
    site_frame = (
        sites[list(SITE_HEADERS)]
        .sort_values("site_code")
        .rename(columns={k: names[0] for k, names in SITE_HEADERS.items()})
    )
    _write_csv(site_frame, path)


def _write_grids(g: gpd.GeoDataFrame, path: Path, end_month: str) -> None:
    """The grid layer as a GeoPackage (layer ``grids``, EPSG:4326) with the Chinese headers."""
    g = g.assign(city_name=CITY_NAME, province_name=PROVINCE_NAME)
    out = gpd.GeoDataFrame(
        {names[0]: g[c].astype(str).to_numpy() for c, names in GRID_HEADERS.items()},
        geometry=g.geometry.to_numpy(),
        crs="EPSG:4326",
    )
    if path.exists():
        path.unlink()
    # gpkg_contents.last_change is the current time unless GDAL is told otherwise: fix it
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{end_month}-01T00:00:00.000Z"})
    try:
        out.to_file(
            path,
            layer="grids",
            driver="GPKG",
            engine="pyogrio",
            layer_options={"DESCRIPTION": f"{COUNTY_NAME}网格（{DEMO_NOTE}）"},
        )
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
