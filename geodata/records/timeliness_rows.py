"""时效 (timeliness) of a county and the units in it, stored per county and month (schema 0013:
``timeliness_figures``), and the SQL 时效 reads (``geodata.timeliness_store``).

A county's figures come from its own households' records (those with a record with an
identification date in it, all their records) and their warnings: about 0.1 to 0.2 s a county
of the 10-million-household province, the largest part of a county page's first build. They
change only with a load, so they are computed with the load, in its transaction, and stored
with ``stamp``, the data version (``Store.data_version``) at which they are exact: a page reads
one row by key, and a row of another data version is never used (the figures are then computed
from the records, as before).

- A household file (``etl.households``) recomputes the counties whose figures it may change:
  those of its rows, those its households were in before, and every county its identified
  households have a record with an identification date in (a household that moved), for its
  month and the months after it (the figures are cumulative); every other row that was exact
  before the load is exact after it and gets the new stamp (``refresh_timeliness``).
- The problem list's sync (``sync_problems``, after any load and at the first read of a
  generated province) brings the latest month of every county with households up to the data
  version (``sync_timeliness``): only the counties whose row is not of that version.

The problems fixed (问题整改) change with every status change: they are counted when shown, not
stored.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from contextlib import nullcontext
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema
from ..model import UPPER_LEVELS, Unit
from ..timeliness import (
    HOUSEHOLD_FIELDS,
    SIGNAL_FIELDS,
    WARNING_WINDOW_DAYS,
    household_intervals,
    month_bounds,
    units_intervals,
)
from .households import fetch_rows
from .problem_sync import TIMELINESS_SYNCED

STORED_LEVELS = ("county", "township", "village")  # the units whose pages show 时效


def _frame(conn: Connection, query: sa.Select, columns: tuple[str, ...]) -> pd.DataFrame:
    """The rows of ``query`` column by column (a frame of Row objects is slow to build)."""
    rows = conn.execute(query).all()
    values = zip(*rows, strict=True) if rows else ([] for _ in columns)
    return pd.DataFrame(
        {c: pd.Series(list(v), dtype=object) for c, v in zip(columns, values, strict=True)}
    )


class TimelinessRows:
    """Reads of 时效's inputs and the stored figures; ``self`` is the ``Store``."""

    # ------------------------------------------------------------------ inputs
    def timeliness_records(
        self,
        conn: Connection,
        month: str,
        months: list[str],
        first_month: str,
        county: str | None = None,
    ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The household records (HOUSEHOLD_FIELDS) and warnings (SIGNAL_FIELDS) the figures
        of ``month`` need: every record with an identification date (a month bound only when
        later months are stored), the warnings from 180 days before the first month to the
        month's end. ``county``: only the households with such a record in that county, all
        their records, by index (exact for the county and the units in it: a household counts
        where its latest record is, which is one of them)."""
        start, _ = month_bounds(first_month)
        _, end = month_bounds(month)
        h, s = schema.households, schema.signals
        # the latest of a household's records decides where it is now, so a unit filter in SQL
        # would keep a household that left (and cost SQLite a second scan)
        query = sa.select(*[h.c[c] for c in HOUSEHOLD_FIELDS]).where(h.c.identified_on.is_not(None))
        warnings = sa.select(*[s.c[c] for c in SIGNAL_FIELDS]).where(
            s.c.occurred_on >= (start - pd.Timedelta(days=WARNING_WINDOW_DAYS)).date(),
            s.c.occurred_on <= end.date(),
        )
        if month < months[-1]:
            query = query.where(h.c.month <= month)
        if county is not None:
            ever = sa.select(h.c.household_id).where(
                h.c.county_code == county, h.c.identified_on.is_not(None)
            )
            query = query.where(h.c.household_id.in_(ever))
            warnings = warnings.where(s.c.household_id.in_(ever))
        return _frame(conn, query, HOUSEHOLD_FIELDS), _frame(conn, warnings, SIGNAL_FIELDS)

    def county_codes_in(self, unit: Unit) -> frozenset[str]:
        """The codes of the counties in a province or a city."""
        u = schema.units
        with self.engine.connect() as conn:
            codes = conn.execute(
                sa.select(u.c.code).where(
                    u.c.level == "county", u.c[f"{unit.level}_code"] == unit.code
                )
            ).scalars()
            return frozenset(codes)

    def problem_status_counts(self, unit: Unit, month: str) -> dict[str, int]:
        """The problems of ``unit`` first seen in or before ``month``, counted per status (an
        index-only scan)."""
        p = schema.problems
        with self.engine.connect() as conn:
            return dict(
                conn.execute(
                    sa.select(p.c.status, sa.func.count())
                    .where(p.c.first_seen <= month, schema.in_unit(p, unit))
                    .group_by(p.c.status)
                ).all()
            )

    # ------------------------------------------------------------------ stored figures
    def stored_timeliness(
        self, unit: Unit, month: str, version: str, first_month: str
    ) -> dict[str, Any] | None:
        """The stored intervals of ``unit`` (a county or a unit in it) in ``month``, if they
        were stored at data version ``version`` from ``first_month``; else None."""
        if unit.level in UPPER_LEVELS or unit.level not in STORED_LEVELS or not unit.county_code:
            return None
        t = schema.timeliness_figures
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(t.c.stamp, t.c.since, t.c.data).where(
                    t.c.county_code == unit.county_code, t.c.month == month
                )
            ).first()
        if row is None or row.stamp != version or row.since != first_month:
            return None
        return json.loads(row.data).get(unit.code)

    def _timeliness_rows(
        self, conn: Connection, county: str, months: list[str], todo: list[str]
    ) -> list[dict[str, Any]]:
        """The rows of ``county`` for the months ``todo`` (of the loaded ``months``)."""
        u = schema.units
        units = [
            (code, level)
            for code, level in conn.execute(
                sa.select(u.c.code, u.c.level)
                .where(u.c.county_code == county, u.c.level.in_(STORED_LEVELS))
                .order_by(u.c.code)
            ).all()
        ]
        out = []
        for month in todo:
            first_month = months[0] if months[0] <= month else month
            households, signals = self.timeliness_records(conn, month, months, first_month, county)
            intervals = household_intervals(households, signals, month, first_month)
            out.append(
                {
                    "county_code": county,
                    "month": month,
                    "since": first_month,
                    "data": json.dumps(units_intervals(intervals, units), ensure_ascii=False),
                }
            )
        return out

    def _store_timeliness(self, conn: Connection, rows: list[dict[str, Any]], stamp: str) -> None:
        t = schema.timeliness_figures
        for row in rows:
            conn.execute(
                t.delete().where(t.c.county_code == row["county_code"], t.c.month == row["month"])
            )
        if rows:
            conn.execute(t.insert(), [{**r, "stamp": stamp} for r in rows])

    def refresh_timeliness(
        self,
        conn: Connection,
        counties: Collection[str],
        since: str,
        before: str | None,
        first_before: str | None,
    ) -> int:
        """In a load's transaction, after it wrote its rows and its load record: recompute
        the figures of ``counties`` for ``since`` and every loaded month after it, and give
        the new data version to every other row that was exact at ``before`` (the data
        version before the load; ``first_before``: the first loaded month then, which the
        figures count from). The rows written."""
        version = self.data_version(conn)
        months = self.months(conn)
        if not months:
            return 0
        t = schema.timeliness_figures
        counties = sorted(set(counties))
        if before is not None and months[0] == first_before:
            untouched = sa.or_(t.c.month < since, t.c.county_code.not_in(counties))
            conn.execute(t.update().where(t.c.stamp == before, untouched).values(stamp=version))
            if self.meta(TIMELINESS_SYNCED, conn=conn) == before:
                self.set_meta(conn, TIMELINESS_SYNCED, version)
        u = schema.units
        known = set(
            conn.execute(
                sa.select(u.c.code).where(u.c.level == "county", u.c.code.in_(counties))
            ).scalars()
        )
        todo = [m for m in months if m >= since]
        rows = [
            r for c in counties if c in known for r in self._timeliness_rows(conn, c, months, todo)
        ]
        self._store_timeliness(conn, rows, version)
        return len(rows)

    def sync_timeliness(self, conn: Connection | None = None) -> int:
        """Store the latest month's figures of every county with households in it whose row
        is not of the current data version (``conn``: in that transaction); the rows
        written."""
        version = self.data_version(conn)
        months = self.months(conn)
        if not months:
            return 0
        month = months[-1]
        f, t = schema.figures, schema.timeliness_figures
        with nullcontext(conn) if conn is not None else self.engine.connect() as read:
            current = set(
                read.execute(
                    sa.select(t.c.county_code).where(t.c.month == month, t.c.stamp == version)
                ).scalars()
            )
            counties = [
                c
                for c in read.execute(
                    sa.select(f.c.unit_code)
                    .where(f.c.level == "county", f.c.month == month, f.c.households > 0)
                    .order_by(f.c.unit_code)
                ).scalars()
                if c not in current
            ]
            rows = [r for c in counties for r in self._timeliness_rows(read, c, months, [month])]

        def write(c: Connection) -> None:
            self._store_timeliness(c, rows, version)
            self.set_meta(c, TIMELINESS_SYNCED, version)

        if conn is not None:
            write(conn)
            return len(rows)
        try:
            with self.write() as c:
                write(c)
        except sa.exc.IntegrityError:
            pass  # another worker stored the same rows at the same time: its rows stand
        return len(rows)

    def timeliness_scope(
        self, conn: Connection, month: str, rows: pd.DataFrame, stored_in: Collection[str]
    ) -> set[str]:
        """Before a load writes ``rows`` (household records of ``month``): the counties whose
        figures it may change. Those of the rows, ``stored_in`` (the counties the stored
        records of these households lie in, in ``month``), and every county where a household
        whose record with an identification date is written or replaced has such a record in
        any month (its figures count the household where its latest record is)."""
        loading = set(rows["county_code"].dropna())
        scope = loading | set(stored_in)
        ids = set(rows["household_id"])
        named = set(rows.loc[rows["identified_on"].notna(), "household_id"])
        if scope:  # the replaced records with an identification date, by the county index
            h = schema.households
            old = conn.execute(
                sa.select(h.c.household_id).where(
                    h.c.month == month,
                    h.c.identified_on.is_not(None),
                    h.c.county_code.in_(sorted(scope)),
                )
            ).scalars()
            named |= {i for i in old if i in ids}
        if named:
            found = fetch_rows(
                conn,
                self.is_postgis,
                "SELECT county_code FROM households WHERE identified_on IS NOT NULL",
                [],
                sorted(named),
            )
            scope |= {c for (c,) in found if c}
        return scope
