"""The problem list, 问题清单 (SQL for ``problems``): what the monitoring rules found, per rule and
household, with the status townships give it, kept across months: its reads and the status a
user sets. Its sync with the data is ``geodata.records.problem_sync``.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema
from ..checks.run import in_unit
from ..model import Unit
from .problem_sync import FIXED_BY_DATA, OPEN, UNIT_COLUMNS, ProblemSync

__all__ = ["FIXED_BY_DATA", "OPEN", "PROBLEMS_REVISION", "STATUSES", "ProblemRecords"]

STATUSES = {"new": "待核实", "confirmed": "已核实", "fixed": "已整改", "dismissed": "已排除"}
PROBLEMS_REVISION = "problems_revision"  # meta: a new token at every status change


class ProblemRecords(ProblemSync):
    """The problem list: its sync (``ProblemSync``), reads and status changes."""

    def problems_frame(self, unit: Unit | None = None, *, month: str | None = None) -> pd.DataFrame:
        """The listed problems (of ``unit``): those the latest month fires (``month`` the
        latest) with their status and first month, and the closed ones."""
        p = schema.problems
        with self.engine.connect() as conn:
            frame = pd.read_sql(sa.select(p).order_by(p.c.rule, p.c.household_id), conn)
        if unit is not None and len(frame):
            frame = frame[in_unit(frame, unit, self).to_numpy()]
        frame["evidence"] = [json.loads(e) for e in frame["evidence"]]
        if month is not None:
            frame = frame[frame["last_seen"] == month]
        return frame.reset_index(drop=True)

    def open_problem_counts(self, unit: Unit, month: str) -> dict[tuple[str, str], int]:
        """(rule, severity) -> open problems (待核实, 已核实) of ``unit`` fired in ``month``."""
        p = schema.problems
        query = (
            sa.select(p.c.rule, p.c.severity, sa.func.count())
            .where(p.c.last_seen == month, p.c.status.in_(OPEN), schema.in_unit(p, unit))
            .group_by(p.c.rule, p.c.severity)
        )
        with self.engine.connect() as conn:
            return {(r, s): int(n) for r, s, n in conn.execute(query).all()}

    def open_problem_total(self, month: str) -> int:
        """Open problems (待核实, 已核实) fired in ``month``, in every unit."""
        p = schema.problems
        query = sa.select(sa.func.count()).where(p.c.last_seen == month, p.c.status.in_(OPEN))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar() or 0)

    def set_problem_status(
        self, rule: str, household_id: str, status: str, reason: str | None, by: str | None
    ) -> dict[str, Any]:
        """Change a listed problem's status; 已排除 (dismissed) needs a reason. The row before
        and after (for the audit log)."""
        if status not in STATUSES:
            raise ValueError(
                f"状态应为 {'/'.join(STATUSES.values())} (status: one of {', '.join(STATUSES)})"
            )
        reason = (reason or "").strip() or None
        if status == "dismissed" and not reason:
            raise ValueError("排除问题须填写理由 (dismissed: give a reason)")
        p = schema.problems
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        with self.write() as conn:
            old = conn.execute(
                sa.select(p.c.status, p.c.reason, p.c.county_code).where(
                    p.c.rule == rule, p.c.household_id == household_id
                )
            ).first()
            stamp = self.problems_stamp(conn)
            if old is None:
                raise KeyError(f"问题不存在 (no such problem): {rule} {household_id}")
            conn.execute(
                p.update()
                .where(p.c.rule == rule, p.c.household_id == household_id)
                .values(status=status, reason=reason, changed_by=by, changed_at=now)
            )
            # a new revision of the list: two changes in one second differ (problems_stamp)
            self.set_meta(conn, PROBLEMS_REVISION, uuid.uuid4().hex)
            self.tally_changed(conn, old.county_code, stamp)
        return {"before": old.status, "after": status, "reason": reason}

    def problem_unit_codes(
        self, conn: Connection, rule: str, household_id: str
    ) -> dict[str, Any] | None:
        p = schema.problems
        row = conn.execute(
            sa.select(*[p.c[c] for c in UNIT_COLUMNS]).where(
                p.c.rule == rule, p.c.household_id == household_id
            )
        ).first()
        return None if row is None else dict(row._mapping)

