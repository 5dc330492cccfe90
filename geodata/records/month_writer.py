"""A new month of households written in parts (``MonthWriter``), and the rows as the bulk writer
sends them (``as_stored``); on PostgreSQL a month's partition indexed and attached once its
rows are in (``_attach_partition``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy.engine import Connection

from .. import schema


def _attach_partition(conn: Connection, month: str) -> None:
    """PostgreSQL: the month's table, its rows in, indexed and attached as its partition."""
    raw = conn.connection.driver_connection
    name = schema.household_partition(month)
    raw.execute(f"ALTER TABLE {name} ADD PRIMARY KEY (month, household_id)")
    raw.execute(f"CREATE INDEX ON {name} (month, grid_code)")
    index_counties(conn, month)
    # the partition's rule as a constraint first: ATTACH then need not scan the rows
    raw.execute(
        f"ALTER TABLE {name} ADD CONSTRAINT {name}_month CHECK (month IS NOT NULL AND month = '{month}')"
    )
    raw.execute(f"ALTER TABLE households ATTACH PARTITION {name} FOR VALUES IN ('{month}')")
    raw.execute(f"ALTER TABLE {name} DROP CONSTRAINT {name}_month")
    # statistics at once (a sample of the rows, about a second for 10 million): autovacuum
    # would come later, and the load's own queries in this transaction (its problem list, its
    # figures) would be planned on an empty table's guesses
    raw.execute(f"ANALYZE {name}")


def index_counties(conn: Connection, month: str) -> None:
    """PostgreSQL: the month's partition indexed by (month, county_code), and by (month,
    site_code) for the households at a relocation site, if it is not yet. A load of one county
    into a 10-million-row month reads that county's households through the first (its problem
    list, ``geodata.checks.run.check_month``; its figures, ``scoped_figures``) and asks through
    the second whether another county's households live at its sites. The partition's own
    indexes (the partitioned table has none such: no migration adds them), made here for each
    new month; a month attached before they were gets them from this call (``IF NOT EXISTS``)."""
    name = schema.household_partition(month)
    raw = conn.connection.driver_connection
    raw.execute(f"CREATE INDEX IF NOT EXISTS {name}_month_county ON {name} (month, county_code)")
    raw.execute(
        f"CREATE INDEX IF NOT EXISTS {name}_month_site ON {name} (month, site_code)"
        " WHERE site_code IS NOT NULL"
    )


class MonthWriter:
    """The households of a new month written frame by frame (``HouseholdRecords.new_month``).

    On PostgreSQL (partitioned) each frame is COPied into the month's own table, made in this
    transaction (COPY FREEZE), and ``finish`` builds its indexes once and attaches it as the
    month's partition, as a first load of a month does (``_attach_new_months``); elsewhere the
    frames are inserted. The rows' keys must be distinct, the month theirs."""

    def __init__(self, store: Any, conn: Connection, month: str) -> None:
        self.store, self.conn, self.month, self.rows = store, conn, month, 0
        self.partition = store.is_partitioned(conn)
        self.table = schema.household_partition(month) if self.partition else "households"
        if self.partition:
            conn.connection.driver_connection.execute(
                f"CREATE TABLE {self.table} (LIKE households INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
            )

    def add(self, frame: pd.DataFrame) -> int:
        """Write these rows (all of the month); their count."""
        if len(frame) and set(frame["month"].unique()) != {self.month}:
            raise ValueError(f"rows of another month than {self.month}")
        self.store._upsert(
            self.conn,
            self.table,
            schema.HOUSEHOLD_COLUMNS,
            ["month", "household_id"],
            as_stored(frame),
            new=True,
            freeze=self.partition,
        )
        self.rows += len(frame)
        return len(frame)

    def finish(self) -> int:
        """Index and attach the month (PostgreSQL); the rows written."""
        if self.partition:
            _attach_partition(self.conn, self.month)
        return self.rows


def as_stored(frame: pd.DataFrame) -> pd.DataFrame:
    """Household rows as the bulk writer sends them: dates as 'YYYY-MM-DD' text (each distinct
    date formatted once; missing ones stay missing), counts as nullable integers."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    frame = frame.copy(deep=False)
    for col in ("identified_on", "eliminated_on"):
        codes, uniques = pd.factorize(pd.to_datetime(frame[col]))
        text = pa.array(list(uniques.strftime("%Y-%m-%d")), type=pa.large_string())
        picked = pc.take(text, pa.array(codes, mask=codes < 0))
        frame[col] = pd.Series(
            pd.arrays.ArrowStringArray(picked, dtype=pd.StringDtype("pyarrow", na_value=np.nan)),
            index=frame.index,
        )
    for col in ("persons", "labor_count", "employed_count"):
        frame[col] = frame[col].astype("Int64")
    return frame
