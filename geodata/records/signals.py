"""Department warnings, 部门预警 (SQL for ``signals``)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema
from ..model import RECORD_LEVELS, Unit
from .households import fetch_rows


class SignalRecords:
    """Writes and reads of department warnings."""

    def upsert_signals(self, conn: Connection, frame: pd.DataFrame) -> int:
        """Insert or update department warnings by (household_id, department, signal,
        occurred_on); a signal given again with another amount updates it."""
        frame = frame.copy()
        frame["occurred_on"] = (
            pd.to_datetime(frame["occurred_on"]).dt.strftime("%Y-%m-%d").astype(object)
        )
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
            query = query.where(schema.in_unit(s, unit))
        query = query.order_by(s.c.occurred_on.desc(), s.c.household_id, s.c.department, s.c.signal)
        if conn is not None:
            return pd.read_sql(query, conn)
        with self.engine.connect() as c:
            return pd.read_sql(query, c)

    def signal_dates(
        self,
        conn: Connection,
        *,
        household_ids: Sequence[str] | None = None,
        counties: Collection[str] | None = None,
        month: str | None = None,
    ) -> pd.DataFrame:
        """household_id and occurred_on of every department warning (of ``household_ids``
        only, when given; of the households of ``counties`` in ``month`` only, when given:
        joined to them, not searched by their numbers), for the rules; dates as the driver
        gives them."""
        select = "SELECT household_id, occurred_on FROM signals WHERE 1 = 1"
        keys, key_column, args = household_ids, "household_id", []
        if counties is not None:
            select = (
                "SELECT s.household_id, s.occurred_on FROM signals s JOIN households h"
                " ON h.household_id = s.household_id WHERE h.month = ?"
            )
            keys, key_column, args = sorted(set(counties)), "h.county_code", [month]
        rows = fetch_rows(conn, self.is_postgis, select, args, keys, key_column)
        return pd.DataFrame.from_records(rows, columns=["household_id", "occurred_on"])

    def _signals_by_month(self, conn: Connection, months: Sequence[str]) -> dict[str, pd.DataFrame]:
        s = schema.signals
        wanted = sorted(set(months))
        if not wanted:
            return {}
        rows = conn.execute(
            sa.select(
                s.c.month,
                s.c.household_id,
                s.c.department,
                *[s.c[f"{lv}_code"] for lv in RECORD_LEVELS],
            ).where(s.c.month.in_(wanted))
        ).all()
        if not rows:
            return {}
        frame = pd.DataFrame(
            rows,
            columns=[
                "month",
                "household_id",
                "department",
                *[f"{lv}_code" for lv in RECORD_LEVELS],
            ],
        )
        return {m: part.drop(columns="month") for m, part in frame.groupby("month", sort=False)}
