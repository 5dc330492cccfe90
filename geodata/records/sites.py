"""Resettlement sites (SQL for ``sites``)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema


class SiteRecords:
    """Writes and reads of resettlement sites."""

    def upsert_sites(self, conn: Connection, frame: pd.DataFrame) -> int:
        """Insert or update resettlement sites; each is placed in the grid containing its point."""
        frame = frame.copy()
        points = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
        grids = self._grid_frame(conn, sorted(self._county_codes(conn)))
        frame["grid_code"] = None
        frame["village_code"] = None
        if len(grids):
            joined = gpd.sjoin(
                gpd.GeoDataFrame(geometry=points),
                grids[["grid_code", "village_code", "geometry"]],
                how="left",
                predicate="within",
            )
            joined = joined[~joined.index.duplicated()]
            frame["grid_code"] = joined["grid_code"].to_numpy()
            frame["village_code"] = joined["village_code"].to_numpy()
        frame["geom"] = self._geom_values(points)
        return self._upsert(conn, "sites", schema.SITE_COLUMNS, ["site_code"], frame, "geom")

    def sites_frame(self, conn: Connection | None = None) -> pd.DataFrame:
        s, u = schema.sites, schema.units
        query = (
            sa.select(
                *[s.c[c] for c in schema.SITE_COLUMNS],
                u.c.county_code,
                u.c.name.label("township_name"),
            )
            .select_from(s.outerjoin(u, u.c.code == s.c.township_code))
            .order_by(s.c.site_code)
        )
        if conn is not None:
            return pd.read_sql(query, conn)
        with self.engine.connect() as c:
            return pd.read_sql(query, c)

    def site_codes(self) -> set[str]:
        with self.engine.connect() as conn:
            return set(conn.execute(sa.select(schema.sites.c.site_code)).scalars())
