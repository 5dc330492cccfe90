"""The database object: it owns the connections and the single write path.

SQLite (embedded default) and PostgreSQL + PostGIS share one schema, versioned with Alembic.
Writes happen inside ``Database.write()``, one transaction: a load is all or nothing. Bulk loads
use ``executemany`` upserts on SQLite and ``COPY`` into a temporary table plus one
``INSERT ... ON CONFLICT`` on PostgreSQL (``geodata/bulk.py``). Also here: the ``meta`` table,
migrations and the data version the dashboard caches by.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shapely
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from . import schema
from .bulk import upsert_rows
from .model import Lines
from .private import create_private, sqlite_file

MIGRATIONS = Path(__file__).parent / "migrations"
if TYPE_CHECKING:
    import pandas as pd

LOAD_LOCK = 0x72697367  # "risg": the advisory lock key loads take turns on (PostgreSQL)


def normalize_url(url: str) -> str:
    """Plain ``postgresql://`` URLs use psycopg 3."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


class StoreError(RuntimeError):
    """A request the store cannot answer (unknown unit, no data yet); its text is for users."""


class DatabaseMissing(StoreError):
    """The SQLite file of a store opened without ``create`` does not exist."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"数据库不存在: {path}, 请先 riskgrid demo 或 riskgrid migrate "
            f"(database not found: {path}; run riskgrid demo or riskgrid migrate first)"
        )
        self.path = path


def missing_database(url: str) -> str | None:
    """The Chinese error for a SQLite URL whose file does not exist (None when it exists, or
    for PostgreSQL): what ``riskgrid serve`` says instead of making an empty database."""
    file = sqlite_file(normalize_url(url))
    if file is None or file.is_file():
        return None
    return str(DatabaseMissing(file))


def is_unavailable(exc: BaseException) -> bool:
    """True for an error that says the database cannot be reached or read just now (its SQLite
    file moved away, unreadable or not a database; PostgreSQL restarting or the connection cut),
    as opposed to a bug: the dashboard shows its stale-data message for these."""
    if isinstance(exc, DatabaseMissing | sa.exc.OperationalError | sa.exc.InterfaceError):
        return True
    if isinstance(exc, sa.exc.DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, sa.exc.PendingRollbackError | sa.exc.DisconnectionError):
        return True
    if type(exc) is sa.exc.DatabaseError:  # e.g. "file is not a database"
        return True
    return type(exc) in (sqlite3.OperationalError, sqlite3.DatabaseError)


class Database:
    """Connections, the write transaction, meta, migrations and the data version."""

    def __init__(
        self,
        url: str,
        lines: Lines | None = None,
        *,
        engine: Engine | None = None,
        create: bool = True,
    ):
        """``create`` False (the dashboard): a SQLite file that does not exist is an error
        (``DatabaseMissing``), never made, and is never made later either; while it is gone or
        replaced, the pooled connections are dropped and each new one fails until it is back."""
        self.url = normalize_url(url)
        self.lines = lines or Lines()
        self.file = sqlite_file(self.url) if engine is None else None
        self._cache: dict[tuple, Any] = {}
        if self.file is not None and not create:
            self.file = self.file.absolute()
            if not self.file.is_file():
                raise DatabaseMissing(self.file)
            self.engine = _existing_sqlite_engine(self.url, self.file, self._cache)
        else:
            if self.file is not None and self.file.parent.is_dir():
                create_private(self.file)  # personal data: mode 0600 from the first byte
            # PostgreSQL: a connection cut by a restart is found and replaced before use
            ping = engine is None and self.url.startswith("postgresql")
            self.engine = engine or sa.create_engine(self.url, pool_pre_ping=ping)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)
        self._cache_lock = threading.Lock()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def is_postgis(self) -> bool:
        return self.dialect == "postgresql"

    def dispose(self) -> None:
        self.engine.dispose()

    def migrate(self, revision: str = "head") -> None:
        """Create or upgrade the schema in place (Alembic ``upgrade head``), in one transaction
        on both backends: a migration killed half-way leaves the schema as it was."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with self.engine.begin() as conn:
            if self.dialect == "sqlite":
                # Python's sqlite3 runs DDL outside a transaction unless one is open: without
                # this, a migration killed half-way would leave tables and no version row
                raw = conn.connection.driver_connection
                if not raw.in_transaction:
                    raw.execute("BEGIN IMMEDIATE")
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
        load waits for the first (up to the busy timeout) instead of failing on its stale read.

        A load killed at any moment leaves nothing (``tests/test_crash_loads.py``). On SQLite
        its commit is also synced to disk (``synchronous=FULL`` on that connection from then on;
        WAL with NORMAL keeps every commit atomic but may lose the last ones to a power cut),
        so a load reported done survives the PC losing power."""
        with self.engine.begin() as conn:
            if load and self.is_postgis:
                conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOAD_LOCK})")
            elif load and self.dialect == "sqlite":
                raw = conn.connection.driver_connection
                if not raw.in_transaction:
                    raw.execute("PRAGMA synchronous=FULL")
                    raw.execute("BEGIN IMMEDIATE")
            yield conn
        self._cache.clear()

    def set_meta(self, conn: Connection, key: str, value: str) -> None:
        conn.execute(schema.meta.delete().where(schema.meta.c.key == key))
        conn.execute(schema.meta.insert().values(key=key, value=value))

    def meta(
        self, key: str, default: str | None = None, conn: Connection | None = None
    ) -> str | None:
        """A meta value; read on ``conn`` (a load's transaction) when given."""
        query = sa.select(schema.meta.c.value).where(schema.meta.c.key == key)
        if conn is not None:
            value = conn.execute(query).scalar()
        else:
            with self.engine.connect() as c:
                value = c.execute(query).scalar()
        return default if value is None else value

    def is_demo(self) -> bool:
        return self.meta("demo") == "1"

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
        return upsert_rows(
            conn, self.is_postgis, table, columns, keys, frame, geom_column, **options
        )

    def _geom_values(self, geoms: Sequence[Any]) -> list[Any]:
        arr = shapely.set_srid(shapely.from_wkb(shapely.to_wkb(list(geoms))), 4326)
        if self.is_postgis:
            return list(shapely.to_wkb(arr, hex=True, include_srid=True))
        return list(shapely.to_wkb(arr))

    def _read_geoms(self, column: sa.ColumnClause) -> sa.ColumnElement:
        if self.is_postgis:
            return sa.func.ST_AsBinary(column)
        return column

    def data_version(self, conn: Connection | None = None) -> str:
        """A token that changes whenever the loaded data changes, also within one second.

        Made of the last load's id and count, the units version, the time of the last load, the
        income lines the figures were computed with, the rules' stored thresholds and the demo
        flag: the dashboard keys its caches with it, so a load by another process is seen on the
        next request. ``conn``: read inside that transaction (a load's, before it commits).
        """
        ld, m = schema.loads, schema.meta
        keys = ("units_version", "data_as_of", "lines", "thresholds", "demo")

        def read(c: Connection) -> tuple[Any, Any, dict[str, str]]:
            last, count = c.execute(sa.select(sa.func.max(ld.c.id), sa.func.count())).one()
            metas = dict(c.execute(sa.select(m.c.key, m.c.value).where(m.c.key.in_(keys))).all())
            return last, count, metas

        if conn is not None:
            last, count, metas = read(conn)
        else:
            with self.engine.connect() as c:
                last, count, metas = read(c)
        return json.dumps([last, count, *(metas.get(k) for k in keys)], ensure_ascii=False)

    def dump(self) -> dict[str, list[tuple]]:
        """Every row of every data table, sorted (for before/after comparisons in tests)."""
        out: dict[str, list[tuple]] = {}
        with self.engine.connect() as conn:
            for table in schema.metadata.sorted_tables:
                rows = conn.execute(sa.select(table)).all()
                out[table.name] = sorted((tuple(r) for r in rows), key=repr)
        return out


def _file_identity(path: Path) -> tuple[int, int]:
    st = os.stat(path)
    return st.st_dev, st.st_ino


def _existing_sqlite_engine(url: str, path: Path, cache: dict) -> Engine:
    """An engine on the SQLite file ``path`` that never creates it: connections open it
    read-write only if it exists (``mode=rw``), and a pooled connection is dropped, with every
    other one (and ``cache``), when the file at ``path`` is gone or another file now."""
    uri = path.as_uri() + "?mode=rw"

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, check_same_thread=False)

    engine = sa.create_engine(url, creator=connect)

    @sa.event.listens_for(engine, "connect")
    def _remember(_dbapi: Any, record: Any) -> None:
        try:
            record.info["rg_file"] = _file_identity(path)
        except OSError:
            record.info["rg_file"] = None

    @sa.event.listens_for(engine, "checkout")
    def _same_file(_dbapi: Any, record: Any, _proxy: Any) -> None:
        try:
            same = _file_identity(path) == record.info.get("rg_file")
        except OSError:
            same = False
        if not same:
            cache.clear()
            raise sa.exc.InvalidatePoolError(f"database file moved or replaced: {path}")

    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout = 120000")  # a writer waits up to 2 min for another
    cur.close()
