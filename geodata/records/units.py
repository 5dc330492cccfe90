"""Units: the grid layer and the levels derived from it (SQL for the ``units`` table)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema
from ..geometry import (
    areas_km2,
    as_multipolygon,
    derive_outlines,
    label_points,
    map_geometries,
    screen_resolution,
)
from ..model import CHILD_LEVEL, LEVELS, UPPER_LEVELS, Unit, upper_codes

GRID_COLUMNS = (
    "grid_code",
    "grid_name",
    "village_code",
    "village_name",
    "village_kind",
    "township_code",
    "township_name",
    "county_code",
    "county_name",
    "grid_worker",
    "worker_phone",
    "city_name",  # optional: the levels above the county are named by these, else by code
    "province_name",
)


# the columns a Unit is made of
UNIT_FIELDS = (
    "code",
    "name",
    "level",
    "parent_code",
    "province_code",
    "city_code",
    "county_code",
    "township_code",
    "village_code",
    "kind",
)


class UnitRecords:
    """Grids and the units above them: writes, lookups and map outlines."""

    def upsert_grids(self, conn: Connection, grids: gpd.GeoDataFrame) -> int:
        """Insert or update grids by grid_code; rebuild the outlines of their counties.

        ``grids`` has GRID_COLUMNS and a WGS 84 polygon geometry.
        """
        grids = grids.copy()
        grids["geometry"] = [as_multipolygon(g) for g in grids.geometry]
        counties = sorted(set(grids["county_code"]))
        existing = self._grid_frame(conn, counties)
        if len(existing):
            existing = existing[~existing["grid_code"].isin(set(grids["grid_code"]))]
            grids = pd.concat([existing, grids], ignore_index=True)
            grids = gpd.GeoDataFrame(grids, geometry="geometry", crs="EPSG:4326")
        derived = self._with_upper_outlines(conn, pd.DataFrame(derive_outlines(grids)))
        upper = pd.DataFrame([upper_codes(c) for c in grids["county_code"]], index=grids.index)
        grid_units = pd.DataFrame(
            {
                "code": grids["grid_code"],
                "level": "grid",
                "name": grids["grid_name"],
                "parent_code": grids["village_code"],
                "province_code": upper["province_code"],
                "city_code": upper["city_code"],
                "county_code": grids["county_code"],
                "township_code": grids["township_code"],
                "village_code": grids["village_code"],
                "kind": None,
                "grid_worker": grids.get("grid_worker"),
                "worker_phone": grids.get("worker_phone"),
                "geometry": grids.geometry.values,
            }
        )
        derived["grid_worker"] = None
        derived["worker_phone"] = None
        frame = pd.concat([derived, grid_units], ignore_index=True)
        parts = []
        for level in LEVELS:
            part = frame[frame["level"] == level].copy()
            if part.empty:
                continue
            part["map_geojson"] = map_geometries(part["geometry"], level)
            pts = label_points(part["geometry"])
            part["label_lon"] = [p[0] for p in pts]
            part["label_lat"] = [p[1] for p in pts]
            part["area_km2"] = areas_km2(part["geometry"])
            parts.append(part)
        frame = pd.concat(parts, ignore_index=True)
        frame["geom"] = self._geom_values(frame["geometry"])
        cols = [c.name for c in schema.units.columns]
        self._upsert(conn, "units", cols, ["code"], frame, geom_column="geom")
        self.set_meta(conn, "units_version", datetime.now(UTC).isoformat())
        return int((frame["level"] == "grid").sum())

    def _with_upper_outlines(self, conn: Connection, derived: pd.DataFrame) -> pd.DataFrame:
        """The cities and provinces of ``derived`` (outlines of the counties being loaded) as
        the union of all their counties, stored ones included; a city or province the file
        does not name keeps the name it has."""
        upper = derived["level"].isin(list(UPPER_LEVELS))
        if not upper.any():
            return derived
        u = schema.units
        loaded = derived[derived["level"] == "county"]
        provinces = sorted(set(derived.loc[derived["level"] == "province", "code"]))
        rows = conn.execute(
            sa.select(
                u.c.code,
                u.c.city_code,
                u.c.province_code,
                self._read_geoms(sa.column("geom")).label("wkb"),
            )
            .select_from(u)
            .where(
                u.c.level == "county",
                u.c.province_code.in_(provinces),
                u.c.code.notin_(list(loaded["code"])),
            )
        ).all()
        counties = pd.DataFrame(
            {
                "city_code": [*loaded["city_code"], *(r.city_code for r in rows)],
                "province_code": [*loaded["province_code"], *(r.province_code for r in rows)],
                "geometry": [*loaded["geometry"], *shapely.from_wkb([bytes(r.wkb) for r in rows])],
            }
        )
        named = dict(
            conn.execute(
                sa.select(u.c.code, u.c.name).where(u.c.code.in_(list(derived.loc[upper, "code"])))
            ).all()
        )
        derived = derived.copy()
        for i in derived.index[upper]:
            level, code = derived.at[i, "level"], derived.at[i, "code"]
            part = counties[counties[f"{level}_code"] == code]
            derived.at[i, "geometry"] = as_multipolygon(shapely.union_all(list(part["geometry"])))
            if derived.at[i, "name"] == code and named.get(code):
                derived.at[i, "name"] = named[code]
        return derived

    def _grid_frame(self, conn: Connection, counties: list[str]) -> gpd.GeoDataFrame:
        u = schema.units
        rows = conn.execute(
            sa.select(
                u.c.code,
                u.c.name,
                u.c.village_code,
                u.c.township_code,
                u.c.county_code,
                u.c.grid_worker,
                u.c.worker_phone,
                self._read_geoms(sa.column("geom")).label("wkb"),
            )
            .select_from(u)
            .where(u.c.level == "grid", u.c.county_code.in_(counties))
        ).all()
        if not rows:
            return gpd.GeoDataFrame({"grid_code": []}, geometry=[], crs="EPSG:4326")
        names = {
            r.code: (r.name, r.kind)
            for r in conn.execute(
                sa.select(u.c.code, u.c.name, u.c.kind).where(u.c.level != "grid")
            ).all()
        }
        data = pd.DataFrame(
            {
                "grid_code": [r.code for r in rows],
                "grid_name": [r.name for r in rows],
                "village_code": [r.village_code for r in rows],
                "village_name": [names[r.village_code][0] for r in rows],
                "village_kind": [names[r.village_code][1] for r in rows],
                "township_code": [r.township_code for r in rows],
                "township_name": [names[r.township_code][0] for r in rows],
                "county_code": [r.county_code for r in rows],
                "county_name": [names[r.county_code][0] for r in rows],
                "grid_worker": [r.grid_worker for r in rows],
                "worker_phone": [r.worker_phone for r in rows],
            }
        )
        geoms = shapely.from_wkb([bytes(r.wkb) for r in rows])
        return gpd.GeoDataFrame(data, geometry=list(geoms), crs="EPSG:4326")

    def grid_index(self) -> pd.DataFrame:
        """grid_code -> village, township and county codes of every loaded grid."""
        u = schema.units
        with self.engine.connect() as conn:
            return pd.read_sql(
                sa.select(
                    u.c.code.label("grid_code"),
                    u.c.village_code,
                    u.c.township_code,
                    u.c.county_code,
                ).where(u.c.level == "grid"),
                conn,
            )

    def units_frame(self, conn: Connection | None = None) -> pd.DataFrame:
        u = schema.units
        query = sa.select(
            *[u.c[c] for c in UNIT_FIELDS], u.c.label_lon, u.c.label_lat, u.c.area_km2
        )
        if conn is not None:
            return pd.read_sql(query, conn)
        with self.engine.connect() as c:
            return pd.read_sql(query, c)

    def county_levels(self, conn: Connection) -> pd.DataFrame:
        """code, level, province_code, city_code of the counties: what the figures of the
        levels above the county follow from (``figures.with_upper_codes``)."""
        u = schema.units
        query = sa.select(u.c.code, u.c.level, u.c.province_code, u.c.city_code).where(
            u.c.level == "county"
        )
        return pd.DataFrame(
            conn.execute(query).all(), columns=["code", "level", "province_code", "city_code"]
        )

    def _units(self, where: sa.ColumnElement[bool]) -> list[Unit]:
        u = schema.units
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(*[u.c[c] for c in UNIT_FIELDS]).where(where).order_by(u.c.code)
            ).all()
        return [Unit(**r._asdict()) for r in rows]

    def unit(self, code: str) -> Unit | None:
        found = self._units(schema.units.c.code == code)
        return found[0] if found else None

    def lineage(self, code: str) -> list[Unit]:
        """The unit and its ancestors, the highest first (for breadcrumbs)."""
        chain: list[Unit] = []
        unit = self.unit(code)
        while unit is not None:
            chain.append(unit)
            unit = self.unit(unit.parent_code) if unit.parent_code else None
        return list(reversed(chain))

    def children(self, code: str) -> list[Unit]:
        return self._units(schema.units.c.parent_code == code)

    def counties(self) -> list[Unit]:
        return self._units(schema.units.c.level == "county")

    def default_unit(self) -> Unit | None:
        """Where the whole database is seen from: the highest unit, and below it while a level
        above the county has one child only (a database of one county starts at the county)."""
        tops = [u for u in self._units(schema.units.c.parent_code.is_(None)) if u.level != "grid"]
        if not tops:
            return None
        unit = min(tops, key=lambda u: (LEVELS.index(u.level), u.code))
        while unit.level in UPPER_LEVELS:
            below = self.children(unit.code)
            if len(below) != 1:
                break
            unit = below[0]
        return unit

    def map_features(self, level: str, within: str | None = None) -> dict[str, Any]:
        """A GeoJSON FeatureCollection of the simplified outlines of one level.

        ``within`` limits it to the descendants of a unit. Each feature's id is the unit code.
        Cached per store and data version: geometry is built once, not per request.
        """
        version = self.meta("units_version", "")
        key = ("features", level, within, version)
        with self._cache_lock:
            if key in self._cache:
                return self._cache[key]
        u = schema.units
        query = sa.select(u.c.code, u.c.name, u.c.map_geojson).where(u.c.level == level)
        if within:
            parent = self.unit(within)
            if parent is None:
                return {"type": "FeatureCollection", "features": []}
            if parent.level != level:
                query = query.where(getattr(u.c, f"{parent.level}_code") == within)
            else:
                query = query.where(u.c.code == within)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(u.c.code)).all()
        features = [
            f'{{"type":"Feature","id":{json.dumps(r.code)},"properties":{{"code":{json.dumps(r.code)},'
            f'"name":{json.dumps(r.name, ensure_ascii=False)}}},"geometry":{r.map_geojson}}}'
            for r in rows
        ]
        collection = orjson.loads(  # the same values as json.loads, faster
            '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
        )
        collection = screen_resolution(collection, level)
        with self._cache_lock:
            self._cache[key] = collection
        return collection

    def full_geometries(self, level: str, within: str | None = None) -> gpd.GeoDataFrame:
        """Full-precision outlines (for exports and checks)."""
        u = schema.units
        query = sa.select(u.c.code, u.c.name, self._read_geoms(sa.column("geom")).label("wkb"))
        query = query.select_from(u).where(u.c.level == level)
        if within:
            parent = self.unit(within)
            if parent and parent.level != level:
                query = query.where(getattr(u.c, f"{parent.level}_code") == within)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(u.c.code)).all()
        return gpd.GeoDataFrame(
            {"code": [r.code for r in rows], "name": [r.name for r in rows]},
            geometry=list(shapely.from_wkb([bytes(r.wkb) for r in rows])),
            crs="EPSG:4326",
        )

    def grid_places(self, conn: Connection, codes: Sequence[str]) -> pd.DataFrame:
        """grid_code, village_code, village_name, township_code, township_name, county_code
        of those of ``codes`` that are stored grids (where a grid load would move them from)."""
        u, v, t = schema.units, schema.units.alias("v"), schema.units.alias("t")
        cols = ["grid_code", "village_code", "village_name", "township_code", "township_name"]
        rows: list[Any] = []
        wanted = sorted(set(codes))
        for start in range(0, len(wanted), 5000):
            rows += conn.execute(
                sa.select(u.c.code, u.c.village_code, v.c.name, u.c.township_code, t.c.name)
                .select_from(
                    u.outerjoin(v, v.c.code == u.c.village_code).outerjoin(
                        t, t.c.code == u.c.township_code
                    )
                )
                .where(u.c.level == "grid", u.c.code.in_(wanted[start : start + 5000]))
            ).all()
        return pd.DataFrame([tuple(r) for r in rows], columns=cols, dtype=object)

    def drop_emptied_units(self, conn: Connection, villages: Sequence[str]) -> list[str]:
        """After grids moved away: those of ``villages`` left with no grid and no household
        (in any month) are removed, then their townships left with no village; the codes
        removed. Their figures go at the next recompute."""
        u, h = schema.units, schema.households
        gone: list[str] = []
        for code in sorted(set(villages)):
            if (
                conn.execute(sa.select(u.c.code).where(u.c.parent_code == code).limit(1)).first()
                or conn.execute(
                    sa.select(h.c.month).where(h.c.village_code == code).limit(1)
                ).first()
            ):
                continue
            township = conn.execute(sa.select(u.c.parent_code).where(u.c.code == code)).scalar()
            conn.execute(u.delete().where(u.c.code == code))
            gone.append(code)
            if (
                township
                and not conn.execute(
                    sa.select(u.c.code).where(u.c.parent_code == township).limit(1)
                ).first()
            ):
                conn.execute(u.delete().where(u.c.code == township))
                gone.append(township)
        return gone

    def unit_levels(self, conn: Connection, codes: Sequence[str]) -> dict[str, str]:
        """code -> level of those of ``codes`` that are stored units."""
        u = schema.units
        rows = conn.execute(sa.select(u.c.code, u.c.level).where(u.c.code.in_(list(codes)))).all()
        return {r.code: r.level for r in rows}

    def child_level(self, level: str) -> str | None:
        return CHILD_LEVEL.get(level)

    def _county_codes(self, conn: Connection) -> set[str]:
        u = schema.units
        return set(conn.execute(sa.select(u.c.code).where(u.c.level == "county")).scalars())
