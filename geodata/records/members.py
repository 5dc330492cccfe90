"""Household members, 家庭成员 (SQL for ``members``): the member rows of a household's monthly
snapshot, as the national system's member-level export gives them."""

from __future__ import annotations

from collections.abc import Collection, Sequence

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema
from .households import fetch_rows

_CHUNK = 5000


class MemberRecords:
    """Writes and reads of household members."""

    def replace_members(
        self, conn: Connection, frame: pd.DataFrame, *, new_months: Sequence[str] = ()
    ) -> int:
        """The members of the households of ``frame`` (MEMBER_COLUMNS), month by month, replace
        the ones stored for those households: a member no longer in the file is gone. Months
        of ``new_months`` had no rows before this load: their rows are only inserted."""
        if frame.empty:
            return 0
        m = schema.members
        for month, part in frame.groupby("month", sort=True):
            if month in new_months:
                continue
            ids = sorted(set(part["household_id"]))
            for start in range(0, len(ids), _CHUNK):
                conn.execute(
                    m.delete().where(
                        m.c.month == month, m.c.household_id.in_(ids[start : start + _CHUNK])
                    )
                )
        rows = frame.copy(deep=False)
        rows["birth_date"] = (
            pd.to_datetime(rows["birth_date"]).dt.strftime("%Y-%m-%d").astype(object)
        )
        rows["birth_date"] = rows["birth_date"].where(rows["birth_date"].notna(), None)
        return self._upsert(
            conn,
            "members",
            schema.MEMBER_COLUMNS,
            ["month", "household_id", "person_id"],
            rows,
            new=True,
        )

    def members_frame(
        self, month: str, household_id: str, conn: Connection | None = None
    ) -> pd.DataFrame:
        """A household's members in a month: the head first, then by 人编号."""
        m = schema.members
        query = (
            sa.select(*[m.c[c] for c in schema.MEMBER_COLUMNS])
            .where(m.c.month == month, m.c.household_id == household_id)
            .order_by(m.c.is_head.desc(), m.c.person_id)
        )
        if conn is not None:
            return pd.read_sql(query, conn)
        with self.engine.connect() as c:
            return pd.read_sql(query, c)

    def member_skills(
        self,
        month: str,
        conn: Connection | None = None,
        *,
        household_ids: Sequence[str] | None = None,
        counties: Collection[str] | None = None,
    ) -> pd.DataFrame:
        """household_id and labor_skill of every member row of a month (of ``household_ids``
        only, when given; of the month's households of ``counties`` only, when given: joined to
        them by household, not searched by their numbers), for the rules; read through the
        DB-API cursor."""
        cols = ["household_id", "labor_skill"]
        select = "SELECT household_id, labor_skill FROM members WHERE month = ?"
        keys, key_column = household_ids, "household_id"
        if counties is not None:
            select = (
                "SELECT m.household_id, m.labor_skill FROM members m JOIN households h"
                " ON h.month = m.month AND h.household_id = m.household_id WHERE m.month = ?"
            )
            keys, key_column = sorted(set(counties)), "h.county_code"

        def read(c: Connection) -> pd.DataFrame:
            rows = fetch_rows(c, self.is_postgis, select, [month], keys, key_column)
            return pd.DataFrame.from_records(rows, columns=cols)

        if conn is not None:
            return read(conn)
        with self.engine.connect() as c:
            return read(c)

    def member_count(self, month: str | None = None) -> int:
        """Member rows stored (of a month)."""
        m = schema.members
        query = sa.select(sa.func.count()).select_from(m)
        if month is not None:
            query = query.where(m.c.month == month)
        with self.engine.connect() as c:
            return int(c.execute(query).scalar() or 0)
