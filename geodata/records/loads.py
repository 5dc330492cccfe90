"""The log of loads: which file was loaded when, with how many rows (SQL for ``loads``)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema


class LoadRecords:
    """Whether a file was loaded, and the record of each load."""

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
