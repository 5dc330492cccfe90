"""Household snapshots, one row per household and month (SQL for ``households``; on
PostgreSQL one partition per month)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema
from ..model import Unit
from ..rules import regrade
from .month_writer import MonthWriter, _attach_partition, as_stored, index_counties


class HouseholdRecords:
    """Writes and reads of household snapshots."""

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
        frame = as_stored(frame)
        keys = ["month", "household_id"]
        if self.is_partitioned(conn):
            months = sorted(frame["month"].unique())
            raw = conn.connection.driver_connection
            existing = {
                m
                for m in months
                if raw.execute(
                    "SELECT to_regclass(%s)", (schema.household_partition(m),)
                ).fetchone()[0]
            }
            if new and not existing:
                return self._attach_new_months(conn, frame, months, chunk_rows, progress, sending)
            for m in sorted(set(months) - existing):
                raw.execute(
                    f"CREATE TABLE {schema.household_partition(m)} PARTITION OF households FOR VALUES IN ('{m}')"
                )
                index_counties(conn, m)  # as a partition attached by ``MonthWriter``
        return self._upsert(
            conn,
            "households",
            schema.HOUSEHOLD_COLUMNS,
            keys,
            frame,
            new=new,
            chunk_rows=chunk_rows,
            progress=progress,
            sending=sending,
        )

    def is_partitioned(self, conn: Connection) -> bool:
        """PostgreSQL from migration 0004: ``households`` has one partition per month."""
        return self.is_postgis and (
            conn.exec_driver_sql(
                "SELECT relkind FROM pg_class WHERE oid = 'households'::regclass"
            ).scalar()
            == "p"
        )

    def new_month(self, conn: Connection, month: str) -> MonthWriter:
        """A writer of a month none of whose households is stored yet, from consecutive
        frames (``MonthWriter``): a province's month, a county at a time."""
        if self.month_has_rows(conn, month):
            raise ValueError(f"month {month} already has households")
        return MonthWriter(self, conn, month)

    def _attach_new_months(
        self,
        conn: Connection,
        frame: pd.DataFrame,
        months: list[str],
        chunk_rows: int | None,
        progress: Any,
        sending: Any,
    ) -> int:
        """PostgreSQL, months never loaded: each into a table of its own, made in this
        transaction (COPY FREEZE), whose indexes are built once the rows are in, then attached
        as the month's partition."""
        raw = conn.connection.driver_connection
        done = 0
        for m in months:
            part = frame if len(months) == 1 else frame[frame["month"] == m]
            name = schema.household_partition(m)
            raw.execute(
                f"CREATE TABLE {name} (LIKE households INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )
            self._upsert(
                conn,
                name,
                schema.HOUSEHOLD_COLUMNS,
                ["month", "household_id"],
                part,
                new=True,
                freeze=True,
                chunk_rows=chunk_rows,
                sending=sending,
                progress=(lambda d, base=done: progress(base + d)) if progress else None,
            )
            sending = None
            _attach_partition(conn, m)
            done += len(part)
        return done

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
            query = query.where(schema.in_unit(h, unit))
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

    def household_columns(
        self,
        conn: Connection,
        month: str,
        columns: Sequence[str],
        *,
        household_ids: Sequence[str] | None = None,
        counties: Collection[str] | None = None,
    ) -> pd.DataFrame:
        """``columns`` of one month's rows (of ``household_ids`` only, when given; of the
        households of ``counties`` only, when given), by household number, through the DB-API
        cursor: no regrading, values as the driver gives them (dates as text on SQLite), much
        faster than ``households_frame`` at 10^5 rows."""
        cols = [schema.households.c[c].name for c in columns]
        select = f"SELECT {','.join(cols)} FROM households WHERE month = ?"
        if counties is not None:
            if household_ids is not None:
                raise ValueError("household_ids or counties, not both")
            keys, key_column = sorted(set(counties)), "county_code"
        else:
            keys, key_column = household_ids, "household_id"
        rows = fetch_rows(conn, self.is_postgis, select, [month], keys, key_column)
        frame = pd.DataFrame.from_records(rows, columns=cols)
        if keys is not None and "household_id" in cols:
            frame = frame.sort_values("household_id", kind="stable", ignore_index=True)
        return frame

    def has_households(self, conn: Connection) -> bool:
        """Whether any household of any month is stored."""
        h = schema.households
        return conn.execute(sa.select(h.c.month).limit(1)).first() is not None

    def household_grids(self, household_id: str, month: str | None) -> set[str]:
        """The grid(s) of a household in ``month``; when it has none there, of any month (a
        household may move between grids). Empty for an unknown household. A household with
        no grid (未分配网格) gives its village instead: the smallest unit it lies in."""
        h = schema.households
        place = sa.func.coalesce(h.c.grid_code, h.c.village_code)
        with self.engine.connect() as conn:
            grids = set(
                conn.execute(
                    sa.select(place).where(h.c.month == month, h.c.household_id == household_id)
                ).scalars()
            )
            if not grids:
                grids = set(
                    conn.execute(
                        sa.select(place).where(h.c.household_id == household_id).distinct()
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

    def household_history(
        self, household_id: str, months: Sequence[str] | None = None
    ) -> list[dict[str, Any]]:
        """One household's rows across the snapshot months (``months``; every loaded month when
        None), newest first: month, grid_code, village_code, household_type, category,
        risk_level (a blank one graded under each month's policy, as ``household`` grades it),
        income_per_capita, measures, eliminated, eliminated_on. Only these columns are read, by
        the primary key (month, household_id): on PostgreSQL one index look-up in each month's
        partition."""
        h = schema.households
        months = list(self.months() if months is None else months)
        if not months:
            return []
        cols = [
            "month",
            "grid_code",
            "village_code",
            "household_type",
            "category",
            "risk_level",
            "risk_level_computed",
            "risk_causes",
            "income_per_capita",
            "measures",
            "eliminated",
            "eliminated_on",
        ]
        query = (
            sa.select(*[h.c[c] for c in cols])
            .where(h.c.month.in_(months), h.c.household_id == household_id)
            .order_by(h.c.month.desc())
        )
        with self.engine.connect() as conn:
            frame = pd.DataFrame(conn.execute(query).all(), columns=cols)
            if frame.empty:
                return []
            policies = self.policies(conn, sorted(set(frame["month"])))
        graded = [
            regrade(part, policies[month].lines)
            for month, part in frame.groupby("month", sort=False)
        ]
        frame = pd.concat(graded).sort_values("month", ascending=False, kind="stable")
        frame = frame.drop(columns=["risk_level_computed", "risk_causes"])
        return [
            {k: None if pd.isna(v) else v for k, v in row.items()}
            for row in frame.astype(object).to_dict("records")
        ]

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
        cols = [
            "household_id",
            "id_number",
            "grid_code",
            "village_code",
            "township_code",
            "county_code",
        ]

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

    def month_has_rows(self, conn: Connection, month: str) -> bool:
        h = schema.households
        return (
            conn.execute(sa.select(h.c.month).where(h.c.month == month).limit(1)).first()
            is not None
        )


_CHUNK = 5000


def fetch_rows(
    conn: Connection,
    postgis: bool,
    select: str,
    args: Sequence[Any],
    keys: Sequence[str] | None = None,
    key_column: str = "household_id",
) -> list[tuple]:
    """The rows of ``select`` (a statement ending in a WHERE clause, ``?`` marking ``args``)
    whose ``key_column`` is one of ``keys`` (all rows, ordered by it, when None), through the
    DB-API cursor: much faster than ORM rows at 10^5 rows."""
    select = select.replace("?", "%s") if postgis else select
    cur = conn.connection.driver_connection.cursor()
    try:
        if keys is None:
            cur.execute(f"{select} ORDER BY {key_column}", list(args))
            return cur.fetchall()
        wanted = sorted({k for k in keys if k is not None})
        if postgis:
            cur.execute(f"{select} AND {key_column} = ANY(%s)", [*args, wanted])
            return cur.fetchall()
        rows: list[tuple] = []
        for start in range(0, len(wanted), _CHUNK):
            part = wanted[start : start + _CHUNK]
            marks = ",".join("?" * len(part))
            cur.execute(f"{select} AND {key_column} IN ({marks})", [*args, *part])
            rows += cur.fetchall()
        return rows
    finally:
        cur.close()
