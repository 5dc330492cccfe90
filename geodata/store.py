"""The store: one object owns the database connections, with a single write path.

SQLite (embedded default) and PostgreSQL + PostGIS share one schema, versioned with Alembic.
Writes happen inside ``Store.write()``, one transaction: a load is all or nothing. Bulk loads use
``executemany`` upserts on SQLite and ``COPY`` into a temporary table plus one
``INSERT ... ON CONFLICT`` on PostgreSQL (``geodata/bulk.py``).
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import schema
from .bulk import upsert_rows
from .figures import compute_month, empty_warnings, warning_figures
from .geometry import (
    areas_km2,
    as_multipolygon,
    derive_outlines,
    label_points,
    map_geometries,
    screen_resolution,
)
from .model import CHILD_LEVEL, LEVELS, Lines, Unit
from .policy import Policy, list_lines, policy_for, province_of, stored_lines
from .policy import set_lines as set_policy_lines
from .private import create_private, sqlite_file
from .rules import regrade

MIGRATIONS = Path(__file__).parent / "migrations"
LOAD_LOCK = 0x72697367  # "risg": the advisory lock key loads take turns on (PostgreSQL)

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
)


def normalize_url(url: str) -> str:
    """Plain ``postgresql://`` URLs use psycopg 3."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class StoreError(RuntimeError):
    pass


class Store:
    """The riskgrid database: schema, writes and read queries."""

    def __init__(self, url: str, lines: Lines | None = None, *, engine: Engine | None = None):
        self.url = normalize_url(url)
        self.lines = lines or Lines()
        self.file = sqlite_file(self.url) if engine is None else None
        if self.file is not None and self.file.parent.is_dir():
            create_private(self.file)  # personal data: mode 0600 from the first byte
        self.engine = engine or sa.create_engine(self.url, future=True)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._cache: dict[tuple, Any] = {}
        self._cache_lock = threading.Lock()

    # ------------------------------------------------------------------ basics
    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgis(self) -> bool:
        return self.dialect == "postgresql"

    def dispose(self) -> None:
        self.engine.dispose()

    def migrate(self, revision: str = "head") -> None:
        """Create or upgrade the schema in place (Alembic ``upgrade head``)."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)

    def schema_version(self) -> str | None:
        with self.engine.connect() as conn:
            try:
                return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            except sa.exc.DBAPIError:
                return None

    @contextmanager
    def write(self, *, load: bool = False) -> Iterator[Connection]:
        """The single write path: one transaction, committed only if the block succeeds.

        ``load``: a load of data, which reads what is stored (is this month new?) and writes
        figures from it. On PostgreSQL loads then take turns (a transaction-level advisory
        lock): two offices loading the same month at once get the figures of both files, not
        of whichever committed last. Other writes (log-ins, the audit log) do not wait. On SQLite
        a load takes the database's write lock before it reads (BEGIN IMMEDIATE), so a second
        load waits for the first (up to the busy timeout) instead of failing on its stale read."""
        with self.engine.begin() as conn:
            if load and self.is_postgis:
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOAD_LOCK})")
            elif load and self.dialect == "sqlite":
                raw = conn.connection.driver_connection
                if not raw.in_transaction:
                    raw.execute("BEGIN IMMEDIATE")
            yield conn
        self._cache.clear()

    # ------------------------------------------------------------------ meta
    def set_meta(self, conn: Connection, key: str, value: str) -> None:
        conn.execute(schema.meta.delete().where(schema.meta.c.key == key))
        conn.execute(schema.meta.insert().values(key=key, value=value))

    def meta(self, key: str, default: str | None = None) -> str | None:
        with self.engine.connect() as conn:
            value = conn.execute(
                sa.select(schema.meta.c.value).where(schema.meta.c.key == key)
            ).scalar()
        return default if value is None else value

    def is_demo(self) -> bool:
        return self.meta("demo") == "1"

    # ------------------------------------------------------------------ bulk upsert
    def _upsert(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        keys: Sequence[str],
        frame: pd.DataFrame,
        geom_column: str | None = None,
        **options: Any,
    ) -> int:
        """Insert or update ``frame`` rows by ``keys`` (``geodata.bulk.upsert_rows``)."""
        return upsert_rows(conn, self.is_postgis, table, columns, keys, frame, geom_column, **options)

    def _geom_values(self, geoms: Sequence[Any]) -> list[Any]:
        arr = shapely.set_srid(shapely.from_wkb(shapely.to_wkb(list(geoms))), 4326)
        if self.is_postgis:
            return list(shapely.to_wkb(arr, hex=True, include_srid=True))
        return list(shapely.to_wkb(arr))

    def _read_geoms(self, column: sa.ColumnClause) -> sa.ColumnElement:
        if self.is_postgis:
            return sa.func.ST_AsBinary(column)
        return column

    # ------------------------------------------------------------------ units
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
        derived = derive_outlines(grids)
        grid_units = pd.DataFrame(
            {
                "code": grids["grid_code"],
                "level": "grid",
                "name": grids["grid_name"],
                "parent_code": grids["village_code"],
                "county_code": grids["county_code"],
                "township_code": grids["township_code"],
                "village_code": grids["village_code"],
                "kind": None,
                "grid_worker": grids.get("grid_worker"),
                "worker_phone": grids.get("worker_phone"),
                "geometry": grids.geometry.values,
            }
        )
        derived = pd.DataFrame(derived)
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
                    u.c.code.label("grid_code"), u.c.village_code, u.c.township_code, u.c.county_code
                ).where(u.c.level == "grid"),
                conn,
            )

    def units_frame(self, conn: Connection | None = None) -> pd.DataFrame:
        u = schema.units
        query = sa.select(
            u.c.code,
            u.c.level,
            u.c.name,
            u.c.parent_code,
            u.c.county_code,
            u.c.township_code,
            u.c.village_code,
            u.c.kind,
            u.c.label_lon,
            u.c.label_lat,
            u.c.area_km2,
        )
        if conn is not None:
            return pd.read_sql(query, conn)
        with self.engine.connect() as c:
            return pd.read_sql(query, c)

    def unit(self, code: str) -> Unit | None:
        u = schema.units
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(
                    u.c.code,
                    u.c.name,
                    u.c.level,
                    u.c.parent_code,
                    u.c.county_code,
                    u.c.township_code,
                    u.c.village_code,
                    u.c.kind,
                ).where(u.c.code == code)
            ).first()
        return Unit(**row._asdict()) if row else None

    def lineage(self, code: str) -> list[Unit]:
        """The unit and its ancestors, county first (for breadcrumbs)."""
        chain: list[Unit] = []
        unit = self.unit(code)
        while unit is not None:
            chain.append(unit)
            unit = self.unit(unit.parent_code) if unit.parent_code else None
        return list(reversed(chain))

    def children(self, code: str) -> list[Unit]:
        u = schema.units
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(
                    u.c.code,
                    u.c.name,
                    u.c.level,
                    u.c.parent_code,
                    u.c.county_code,
                    u.c.township_code,
                    u.c.village_code,
                    u.c.kind,
                )
                .where(u.c.parent_code == code)
                .order_by(u.c.code)
            ).all()
        return [Unit(**r._asdict()) for r in rows]

    def counties(self) -> list[Unit]:
        u = schema.units
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(u.c.code).where(u.c.level == "county").order_by(u.c.code)
            ).all()
        return [self.unit(r.code) for r in rows]  # type: ignore[misc]

    def default_unit(self) -> Unit | None:
        counties = self.counties()
        return counties[0] if counties else None

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
        collection = json.loads('{"type":"FeatureCollection","features":[' + ",".join(features) + "]}")
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

    # ------------------------------------------------------------------ households
    def upsert_households(
        self,
        conn: Connection,
        frame: pd.DataFrame,
        *,
        new: bool = False,
        chunk_rows: int | None = None,
        progress: Any = None,
        sending: Any = None,
    ) -> int:
        """Insert or update household snapshots by (month, household_id).

        ``new``: none of these rows is stored yet and their keys are distinct (their months had
        no rows before this load), so they are inserted without looking for conflicts.
        ``progress(done)`` is called after every ``chunk_rows`` rows and at the end;
        ``sending()`` (PostgreSQL) once the server has rows to work on by itself.
        """
        import numpy as np
        import pyarrow as pa
        import pyarrow.compute as pc

        frame = frame.copy(deep=False)
        for col in ("identified_on", "eliminated_on"):
            # each distinct date formatted once; missing ones stay missing
            codes, uniques = pd.factorize(pd.to_datetime(frame[col]))
            text = pa.array(list(uniques.strftime("%Y-%m-%d")), type=pa.large_string())
            picked = pc.take(text, pa.array(codes, mask=codes < 0))
            frame[col] = pd.Series(
                pd.arrays.ArrowStringArray(picked, dtype=pd.StringDtype("pyarrow", na_value=np.nan)),
                index=frame.index,
            )
        for col in ("persons", "labor_count", "employed_count"):
            frame[col] = frame[col].astype("Int64")
        keys = ["month", "household_id"]
        partitioned = self.is_postgis and (
            conn.exec_driver_sql("SELECT relkind FROM pg_class WHERE oid = 'households'::regclass").scalar() == "p"
        )  # PostgreSQL from migration 0004: one partition per month
        if partitioned:
            months = sorted(frame["month"].unique())
            raw = conn.connection.driver_connection
            existing = {
                m for m in months
                if raw.execute("SELECT to_regclass(%s)", (schema.household_partition(m),)).fetchone()[0]
            }
            if new and not existing:
                return self._attach_new_months(conn, frame, months, chunk_rows, progress, sending)
            for m in sorted(set(months) - existing):
                raw.execute(
                    f"CREATE TABLE {schema.household_partition(m)} PARTITION OF households FOR VALUES IN ('{m}')"
                )
        return self._upsert(
            conn, "households", schema.HOUSEHOLD_COLUMNS, keys, frame,
            new=new, chunk_rows=chunk_rows, progress=progress, sending=sending,
        )

    def _attach_new_months(
        self, conn: Connection, frame: pd.DataFrame, months: list[str], chunk_rows: int | None,
        progress: Any, sending: Any,
    ) -> int:
        """PostgreSQL, months never loaded: each into a table of its own, made in this
        transaction (COPY FREEZE), whose indexes are built once the rows are in, then attached
        as the month's partition."""
        raw = conn.connection.driver_connection
        done = 0
        for m in months:
            part = frame if len(months) == 1 else frame[frame["month"] == m]
            name = schema.household_partition(m)
            raw.execute(f"CREATE TABLE {name} (LIKE households INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
            self._upsert(
                conn, name, schema.HOUSEHOLD_COLUMNS, ["month", "household_id"], part,
                new=True, freeze=True, chunk_rows=chunk_rows, sending=sending,
                progress=(lambda d, base=done: progress(base + d)) if progress else None,
            )
            sending = None
            raw.execute(f"ALTER TABLE {name} ADD PRIMARY KEY (month, household_id)")
            raw.execute(f"CREATE INDEX ON {name} (month, grid_code)")
            # the partition's rule as a constraint first: ATTACH then need not scan the rows
            raw.execute(f"ALTER TABLE {name} ADD CONSTRAINT {name}_month CHECK (month IS NOT NULL AND month = '{m}')")
            raw.execute(f"ALTER TABLE households ATTACH PARTITION {name} FOR VALUES IN ('{m}')")
            raw.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_month")
            done += len(part)
        return done

    def months(self) -> list[str]:
        """The snapshot months, oldest first: read from the stored figures (a county row per
        month, written with the month's households), not from all the households."""
        f = schema.figures
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(f.c.month).where(f.c.level == "county").distinct().order_by(f.c.month)
            ).all()
        return [r.month for r in rows]

    def latest_month(self) -> str | None:
        months = self.months()
        return months[-1] if months else None

    def households_frame(
        self,
        month: str,
        conn: Connection | None = None,
        *,
        unit: Unit | None = None,
        columns: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        h = schema.households
        cols = [h.c[c] for c in (columns or schema.HOUSEHOLD_COLUMNS)]
        query = sa.select(*cols).where(h.c.month == month)
        if unit is not None:
            query = query.where(h.c[f"{unit.level}_code"] == unit.code)
        query = query.order_by(h.c.household_id)
        if conn is not None:
            return self._graded(conn, month, pd.read_sql(query, conn))
        with self.engine.connect() as c:
            return self._graded(c, month, pd.read_sql(query, c))

    def _graded(self, conn: Connection, month: str, frame: pd.DataFrame) -> pd.DataFrame:
        """A blank 风险等级 graded under the month's policy, as the figures grade it."""
        needed = {"risk_level_computed", "category", "income_per_capita", "risk_causes"}
        if frame.empty or not needed <= set(frame.columns):
            return frame
        return regrade(frame, self.policies(conn, [month])[month].lines)

    def _read_frame(self, conn: Connection, month: str, cols: Sequence[str]) -> pd.DataFrame:
        """One month's rows through the DB-API cursor: much faster than ORM rows at 10^5 rows."""
        cur = conn.connection.driver_connection.cursor()
        mark = "%s" if self.is_postgis else "?"
        cur.execute(f"SELECT {','.join(cols)} FROM households WHERE month = {mark}", (month,))
        frame = pd.DataFrame.from_records(cur.fetchall(), columns=list(cols))
        cur.close()
        return frame

    def has_households(self, conn: Connection) -> bool:
        """Whether any household of any month is stored."""
        h = schema.households
        return conn.execute(sa.select(h.c.month).limit(1)).first() is not None

    def unit_levels(self, conn: Connection, codes: Sequence[str]) -> dict[str, str]:
        """code -> level of those of ``codes`` that are stored units."""
        u = schema.units
        rows = conn.execute(sa.select(u.c.code, u.c.level).where(u.c.code.in_(list(codes)))).all()
        return {r.code: r.level for r in rows}

    def household_grids(self, household_id: str, month: str | None) -> set[str]:
        """The grid(s) of a household in ``month``; when it has none there, of any month (a
        household may move between grids). Empty for an unknown household."""
        h = schema.households
        with self.engine.connect() as conn:
            grids = set(
                conn.execute(
                    sa.select(h.c.grid_code).where(
                        h.c.month == month, h.c.household_id == household_id
                    )
                ).scalars()
            )
            if not grids:
                grids = set(
                    conn.execute(
                        sa.select(h.c.grid_code).where(h.c.household_id == household_id).distinct()
                    ).scalars()
                )
        return grids

    def household(self, month: str, household_id: str) -> dict[str, Any] | None:
        h = schema.households
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(h).where(h.c.month == month, h.c.household_id == household_id)
            ).first()
            if row is None:
                return None
            graded = self._graded(conn, month, pd.DataFrame([dict(row._mapping)]))
        return {**dict(row._mapping), "risk_level": graded["risk_level"].iloc[0]}

    # ------------------------------------------------------------------ sites
    def upsert_sites(self, conn: Connection, frame: pd.DataFrame) -> int:
        """Insert or update resettlement sites; each is placed in the grid containing its point."""
        frame = frame.copy()
        points = gpd.GeoSeries(gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
        grids = self._grid_frame(conn, sorted(self._county_codes(conn)))
        frame["grid_code"] = None
        frame["village_code"] = None
        if len(grids):
            joined = gpd.sjoin(
                gpd.GeoDataFrame(geometry=points), grids[["grid_code", "village_code", "geometry"]],
                how="left", predicate="within",
            )
            joined = joined[~joined.index.duplicated()]
            frame["grid_code"] = joined["grid_code"].to_numpy()
            frame["village_code"] = joined["village_code"].to_numpy()
        frame["geom"] = self._geom_values(points)
        return self._upsert(conn, "sites", schema.SITE_COLUMNS, ["site_code"], frame, "geom")

    def _county_codes(self, conn: Connection) -> set[str]:
        u = schema.units
        return set(conn.execute(sa.select(u.c.code).where(u.c.level == "county")).scalars())

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

    # ------------------------------------------------------------------ department warnings
    def household_keys(
        self,
        month: str,
        household_ids: Sequence[str] = (),
        id_numbers: Sequence[str] = (),
        conn: Connection | None = None,
    ) -> pd.DataFrame:
        """What a department warning is matched against: household_id, id_number and unit
        codes of the households of ``month`` that have one of these numbers or whose head has
        one of these ID numbers. Only those rows are read, not the whole month."""
        h = schema.households
        cols = ["household_id", "id_number", "grid_code", "village_code", "township_code", "county_code"]

        def read(c: Connection) -> pd.DataFrame:
            found: list[Any] = []
            for column, values in ((h.c.household_id, household_ids), (h.c.id_number, id_numbers)):
                wanted = sorted({v for v in values if v})
                for start in range(0, len(wanted), 5000):
                    found += c.execute(
                        sa.select(*[h.c[k] for k in cols]).where(
                            h.c.month == month, column.in_(wanted[start : start + 5000])
                        )
                    ).all()
            frame = pd.DataFrame(found, columns=cols, dtype=object)
            return frame.drop_duplicates("household_id").reset_index(drop=True)

        if conn is not None:
            return read(conn)
        with self.engine.connect() as c:
            return read(c)

    def upsert_signals(self, conn: Connection, frame: pd.DataFrame) -> int:
        """Insert or update department warnings by (household_id, department, signal,
        occurred_on); a signal given again with another amount updates it."""
        frame = frame.copy()
        frame["occurred_on"] = pd.to_datetime(frame["occurred_on"]).dt.strftime("%Y-%m-%d").astype(object)
        return self._upsert(
            conn,
            "signals",
            schema.SIGNAL_COLUMNS,
            ["household_id", "department", "signal", "occurred_on"],
            frame,
        )

    def signals_frame(
        self,
        conn: Connection | None = None,
        *,
        month: str | None = None,
        household_id: str | None = None,
        unit: Unit | None = None,
    ) -> pd.DataFrame:
        """Department warnings, newest first: of a month, a household and/or inside a unit."""
        s = schema.signals
        query = sa.select(*[s.c[c] for c in schema.SIGNAL_COLUMNS])
        if month is not None:
            query = query.where(s.c.month == month)
        if household_id is not None:
            query = query.where(s.c.household_id == household_id)
        if unit is not None:
            query = query.where(s.c[f"{unit.level}_code"] == unit.code)
        query = query.order_by(s.c.occurred_on.desc(), s.c.household_id, s.c.department, s.c.signal)
        if conn is not None:
            return pd.read_sql(query, conn)
        with self.engine.connect() as c:
            return pd.read_sql(query, c)

    def refresh_warning_figures(self, conn: Connection, months: Sequence[str]) -> None:
        """Only the ``warnings`` figures of these months, after a warnings load: from the
        month's signals and the category of the households they concern, by the same
        computation as ``compute_month`` (``warning_figures``), without reading the month's
        other households. Figure rows whose warnings did not change are left as they are."""
        f, h = schema.figures, schema.households
        signals = self._signals_by_month(conn, months)
        for month in sorted(set(months)):
            fresh: dict[str, dict[str, Any]] = {}
            sig = signals.get(month)
            if sig is not None and len(sig):
                ids = sorted(set(sig["household_id"]))
                rows: list[Any] = []
                for start in range(0, len(ids), 5000):
                    rows += conn.execute(
                        sa.select(h.c.household_id, h.c.category).where(
                            h.c.month == month, h.c.household_id.in_(ids[start : start + 5000])
                        )
                    ).all()
                frame = pd.DataFrame(rows, columns=["household_id", "category"])
                fresh = warning_figures(frame, sig)
            stored = conn.execute(sa.select(f.c.unit_code, f.c.data).where(f.c.month == month)).all()
            for code, data in stored:
                fig = json.loads(data)
                wanted = fresh.get(code, empty_warnings())
                if fig.get("warnings") != wanted:
                    fig["warnings"] = wanted
                    conn.execute(
                        f.update()
                        .where(f.c.unit_code == code, f.c.month == month)
                        .values(data=json.dumps(fig, ensure_ascii=False, sort_keys=True))
                    )

    def _signals_by_month(self, conn: Connection, months: Sequence[str]) -> dict[str, pd.DataFrame]:
        s = schema.signals
        wanted = sorted(set(months))
        if not wanted:
            return {}
        rows = conn.execute(
            sa.select(s.c.month, s.c.household_id, s.c.department, *[s.c[f"{lv}_code"] for lv in LEVELS]).where(
                s.c.month.in_(wanted)
            )
        ).all()
        if not rows:
            return {}
        frame = pd.DataFrame(rows, columns=["month", "household_id", "department", *[f"{lv}_code" for lv in LEVELS]])
        return {m: part.drop(columns="month") for m, part in frame.groupby("month", sort=False)}

    # ------------------------------------------------------------------ figures
    def month_has_rows(self, conn: Connection, month: str) -> bool:
        h = schema.households
        return conn.execute(sa.select(h.c.month).where(h.c.month == month).limit(1)).first() is not None

    def refresh_figures(
        self,
        conn: Connection,
        months: Sequence[str] | None = None,
        snapshots: dict[str, pd.DataFrame] | None = None,
        *,
        alongside: Any = None,
        written: dict[str, pd.DataFrame] | None = None,
    ) -> None:
        """Recompute the stored figures of the given months (all months by default).

        ``snapshots`` may hand over a month's complete snapshot that is already in memory (a
        month loaded from one file into an empty month), which saves reading it back.

        ``alongside(begin)``, if given, runs first, on this connection (a load writing its
        rows). It calls ``begin()`` once the database is busy with them; from then on a second
        thread computes the figures of the ``snapshots`` months, which need nothing from the
        database but the units and sites, read before.

        ``written`` hands over the rows just upserted into a month that had rows before: when
        the month now holds no other row (the file named every household of it), they are its
        complete snapshot too, and nothing is read back.
        """
        snapshots = snapshots or {}
        h = schema.households
        if months is None:
            if alongside is not None:
                alongside(lambda: None)
                alongside = None
            months = list(conn.execute(sa.select(h.c.month).distinct()).scalars())
        units = self.units_frame(conn)
        sites = self.sites_frame(conn)
        policies = self.policies(conn, sorted(set(months)))
        cols = [
            "risk_level_computed",
            "household_id",
            "grid_code",
            "village_code",
            "township_code",
            "county_code",
            "persons",
            "category",
            "risk_level",
            "risk_causes",
            "income_per_capita",
            "identified_on",
            "eliminated",
            "eliminated_on",
            "relocated",
            "site_code",
            "labor_count",
            "employed_count",
        ]
        signals = self._signals_by_month(conn, months)
        computed: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        if alongside is not None:
            from concurrent.futures import ThreadPoolExecutor

            ahead = {m: snapshots[m][cols].copy() for m in sorted(set(months)) if m in snapshots}

            def compute_ahead() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
                return {
                    m: compute_month(
                        regrade(f, policies[m].lines), m, units, sites, policies[m].lines,
                        signals=signals.get(m),
                    )
                    for m, f in ahead.items()
                }

            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="riskgrid-figures") as pool:
                started: list[Any] = []

                def begin() -> None:
                    if not started:
                        started.append(pool.submit(compute_ahead))

                alongside(begin)
                begin()  # if the writer never said when
                computed = started[0].result()
        if written:
            snapshots = dict(snapshots)
            for month, rows in written.items():
                stored = conn.execute(
                    sa.select(sa.func.count()).select_from(h).where(h.c.month == month)
                ).scalar()
                if stored == len(rows) and month not in snapshots:
                    snapshots[month] = rows
        parent = dict(zip(units["code"], units["parent_code"], strict=True))
        level = dict(zip(units["code"], units["level"], strict=True))
        for month in sorted(set(months)):
            if month in computed:
                per_unit, per_site = computed[month]
            else:
                if month in snapshots:
                    frame = snapshots[month][cols]
                else:
                    frame = self._read_frame(conn, month, cols)
                per_unit, per_site = compute_month(
                    regrade(frame, policies[month].lines),
                    month,
                    units,
                    sites,
                    policies[month].lines,
                    signals=signals.get(month),
                )
            conn.execute(schema.figures.delete().where(schema.figures.c.month == month))
            conn.execute(schema.site_figures.delete().where(schema.site_figures.c.month == month))
            rows = []
            stamp = policies[month].fingerprint
            lines_used = policies[month].as_dict()
            for code, fig in per_unit.items():
                if code not in level:
                    continue  # a household whose grid was not loaded cannot get here
                fig["lines"] = lines_used
                rows.append(
                    {
                        "unit_code": code,
                        "month": month,
                        "level": level[code],
                        "parent_code": parent[code],
                        "risk_level": fig["risk_level"],
                        "households": fig["households"],
                        "persons": fig["persons"],
                        "monitored_persons": fig["monitored"]["persons"],
                        "open_red": fig["open_by_level"]["red"]["households"],
                        "clearance_rate_persons": fig["clearance_rate"]["persons"],
                        "data": json.dumps(fig, ensure_ascii=False, sort_keys=True),
                        "policy": stamp,
                    }
                )
            if rows:
                conn.execute(schema.figures.insert(), rows)
            site_rows = [
                {
                    "site_code": code,
                    "month": month,
                    "data": json.dumps(fig, sort_keys=True),
                    "policy": stamp,
                }
                for code, fig in per_site.items()
            ]
            if site_rows:
                conn.execute(schema.site_figures.insert(), site_rows)
        # the policies of the stored months, part of the data version the dashboard caches by
        f = schema.figures
        stamps = sorted(
            (m, p or "") for m, p in conn.execute(sa.select(f.c.month, f.c.policy).distinct()).all()
        )
        self.set_meta(conn, "lines", hashlib.sha256(json.dumps(stamps).encode()).hexdigest()[:16])

    # ------------------------------------------------------------------ policy
    def policies(self, conn: Connection, months: Sequence[str]) -> dict[str, Policy]:
        """The policy (income lines of the year) each month is computed under."""
        stored = stored_lines(conn)
        province = province_of(conn) if stored else ""
        return {m: policy_for(m, self.lines, stored, province) for m in months}

    def policy(self, month: str) -> Policy:
        with self.engine.connect() as conn:
            return self.policies(conn, [month])[month]

    def stale_months(self, conn: Connection) -> list[str]:
        """Months whose stored figures were computed under another policy than theirs now
        (other lines, or an older figures version): to be recomputed."""
        f = schema.figures
        stamps: dict[str, set[str | None]] = {}
        for month, stamp in conn.execute(sa.select(f.c.month, f.c.policy).distinct()).all():
            stamps.setdefault(month, set()).add(stamp)
        wanted = self.policies(conn, sorted(stamps))
        return [m for m, got in sorted(stamps.items()) if got != {wanted[m].fingerprint}]

    def ensure_policy(self) -> list[str]:
        """Recompute the figures of every stale month; the months recomputed."""
        with self.engine.connect() as conn:
            if not self.stale_months(conn):
                return []
        with self.write(load=True) as conn:
            stale = self.stale_months(conn)  # again, under the write lock
            if stale:
                self.refresh_figures(conn, stale)
        return stale

    def set_lines(
        self,
        year: int,
        monitoring: float,
        observation: float | None = None,
        province: str | None = None,
    ) -> tuple[Lines, list[str]]:
        """Store the lines of a year and recompute the months they change, in one
        transaction; the lines stored and the months recomputed."""
        with self.write(load=True) as conn:
            lines = set_policy_lines(conn, year, monitoring, observation, province)
            stale = self.stale_months(conn)
            if stale:
                self.refresh_figures(conn, stale)
        return lines, stale

    def lines_table(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return list_lines(conn)

    def _stats_envelope(self, unit: Unit, month: str, data: dict[str, Any]) -> dict[str, Any]:
        data = _ordered(data)
        return {
            "unit": {"code": unit.code, "name": unit.name, "level": unit.level},
            "month": month,
            **data,
            # the lines the month was computed under (stored with its figures), never the process's
            "lines": data.get("lines") or self.policy(month).as_dict(),
            "demo": self.is_demo(),
        }

    def stats(self, code: str | None = None, month: str | None = None) -> dict[str, Any]:
        """The figures of one unit and month: the one source for every view, export and CLI."""
        unit = self.unit(code) if code else self.default_unit()
        if unit is None:
            raise StoreError(f"未找到单位 unit not found: {code or '(no county loaded)'}")
        month = month or self.latest_month()
        if month is None:
            raise StoreError("尚未加载农户数据 no household data loaded")
        f = schema.figures
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(f.c.data).where(f.c.unit_code == unit.code, f.c.month == month)
            ).scalar()
        if data is None:
            if month not in self.months():
                raise StoreError(f"没有该月份的数据 no snapshot for month {month}")
            raise StoreError(f"该单位没有数据 no figures for {unit.code} in {month}")
        return self._stats_envelope(unit, month, json.loads(data))

    def children_stats(self, code: str, month: str) -> list[dict[str, Any]]:
        """The figures of every child unit of ``code`` in ``month``, by code."""
        f, u = schema.figures, schema.units
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(u.c.code, u.c.name, u.c.level, f.c.data)
                .select_from(f.join(u, u.c.code == f.c.unit_code))
                .where(f.c.parent_code == code, f.c.month == month)
                .order_by(u.c.code)
            ).all()
        return [
            {
                "unit": {"code": r.code, "name": r.name, "level": r.level},
                "month": month,
                **_ordered(json.loads(r.data)),
            }
            for r in rows
        ]

    def level_stats(self, level: str, month: str, within: str | None = None) -> pd.DataFrame:
        """One row per unit of a level (inside ``within``): the columns maps are coloured by."""
        f, u = schema.figures, schema.units
        query = (
            sa.select(
                u.c.code,
                u.c.name,
                f.c.risk_level,
                f.c.households,
                f.c.persons,
                f.c.monitored_persons,
                f.c.open_red,
                f.c.clearance_rate_persons,
                f.c.data,
            )
            .select_from(f.join(u, u.c.code == f.c.unit_code))
            .where(f.c.month == month, u.c.level == level)
            .order_by(u.c.code)
        )
        if within:
            parent = self.unit(within)
            if parent is not None and parent.level != level:
                query = query.where(u.c[f"{parent.level}_code"] == within)
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

    def trend(self, code: str) -> list[dict[str, Any]]:
        """The unit's figures in every snapshot month, oldest first."""
        f = schema.figures
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(f.c.month, f.c.data).where(f.c.unit_code == code).order_by(f.c.month)
            ).all()
        return [{"month": r.month, **json.loads(r.data)} for r in rows]

    def site_stats(self, month: str) -> list[dict[str, Any]]:
        sf = schema.site_figures
        sites = self.sites_frame()
        with self.engine.connect() as conn:
            rows = dict(
                conn.execute(sa.select(sf.c.site_code, sf.c.data).where(sf.c.month == month)).all()
            )
        out = []
        for site in sites.to_dict("records"):
            fig = json.loads(rows.get(site["site_code"], "{}"))
            out.append({**site, **fig})
        return out

    # ------------------------------------------------------------------ loads
    def already_loaded(self, kind: str, sha256: str, month: str | None) -> bool:
        ld = schema.loads
        with self.engine.connect() as conn:
            query = sa.select(sa.func.count()).where(ld.c.kind == kind, ld.c.sha256 == sha256)
            query = query.where(ld.c.month == month if month else ld.c.month.is_(None))
            return bool(conn.execute(query).scalar())

    def record_load(
        self,
        conn: Connection,
        *,
        kind: str,
        path: str,
        sha256: str,
        month: str | None,
        rows_read: int,
        rows_loaded: int,
        rows_rejected: int,
    ) -> None:
        ld = schema.loads
        query = sa.select(sa.func.count()).where(ld.c.kind == kind, ld.c.sha256 == sha256)
        query = query.where(ld.c.month == month if month else ld.c.month.is_(None))
        if conn.execute(query).scalar():
            return
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        conn.execute(
            ld.insert().values(
                kind=kind,
                path=path,
                sha256=sha256,
                month=month,
                rows_read=rows_read,
                rows_loaded=rows_loaded,
                rows_rejected=rows_rejected,
                loaded_at=now,
            )
        )
        self.set_meta(conn, "data_as_of", now.isoformat(sep=" "))

    def data_as_of(self) -> str | None:
        return self.meta("data_as_of")

    # ------------------------------------------------------------------ checks
    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every data table, sorted (for before/after comparisons in tests)."""
        out: dict[str, list[tuple]] = {}
        with self.engine.connect() as conn:
            for table in schema.metadata.sorted_tables:
                rows = conn.execute(sa.select(table)).all()
                out[table.name] = sorted((tuple(r) for r in rows), key=repr)
        return out

    def child_level(self, level: str) -> str | None:
        return CHILD_LEVEL.get(level)

    # ------------------------------------------------------------------ dashboard reads
    # Added for the dashboard (issue 3): read queries only.
    def data_version(self) -> str:
        """A token that changes whenever the loaded data changes, also within one second.

        Made of the last load's id and count, the units version, the time of the last load, the
        income lines the figures were computed with and the demo flag: the dashboard keys its
        caches with it, so a load by another process is seen on the next request.
        """
        ld, m = schema.loads, schema.meta
        keys = ("units_version", "data_as_of", "lines", "demo")
        with self.engine.connect() as conn:
            last, count = conn.execute(sa.select(sa.func.max(ld.c.id), sa.func.count())).one()
            metas = dict(conn.execute(sa.select(m.c.key, m.c.value).where(m.c.key.in_(keys))).all())
        return json.dumps([last, count, *(metas.get(k) for k in keys)], ensure_ascii=False)


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    """Causes by count, most first (JSON storage sorts keys)."""
    causes = data.get("by_cause") or {}
    data["by_cause"] = dict(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0])))
    # figures stored before department warnings were counted (schema 0002) had none
    warnings = data.setdefault("warnings", empty_warnings())
    warnings["by_department"] = dict(
        sorted(warnings["by_department"].items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return data


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout = 120000")  # a writer waits up to 2 min for another
    cur.close()
