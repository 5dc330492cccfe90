"""The problem list, 问题清单 (SQL for ``problems``): what the monitoring rules found, per rule and
household, with the status townships give it, kept across months.

``sync_problems`` evaluates the rules over the latest month (once per data version): a hit not
listed yet is a new problem (待核实) first seen that month; a listed one that still fires keeps its
status and its first month; an open one (待核实 or 已核实) that no longer fires is closed as 已整改
by the data. A problem closed by the data that fires again is listed anew.

A problem listed (anew) is first seen in the first month of the unbroken run of loaded months
in which its rule fired for the household, not simply the latest month: after a first load of a
year of history its age is true. The earlier months are evaluated only for the households of
such problems, one month back at a time while some of them still fire.
"""

from __future__ import annotations

import json
import uuid
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema
from ..checks.run import check_month, in_unit
from ..model import Unit

STATUSES = {"new": "待核实", "confirmed": "已核实", "fixed": "已整改", "dismissed": "已排除"}
OPEN = ("new", "confirmed")
FIXED_BY_DATA = "数据已不再触发该规则 (no longer fired by the data)"
UNIT_COLUMNS = ("grid_code", "village_code", "township_code", "county_code")
_SYNCED = "problems_synced"
PROBLEMS_REVISION = "problems_revision"  # meta: a new token at every status change
_WHOLE_MONTH = 20_000  # more households than this to look back on: the whole month is read


class ProblemRecords:
    """Writes and reads of the problem list."""

    def sync_problems(self, conn: Connection | None = None) -> str | None:
        """Bring the problem list up to the latest month's rule hits (once per data version);
        the month synced, None without data.

        ``conn``: a load's transaction, before it commits: the list is read and written in it,
        so the load and its problem list commit together (a load killed half-way leaves
        neither). Without it the list is synced in a transaction of its own."""
        month = self.latest_month(conn)
        if month is None:
            return None
        token = json.dumps([month, self.data_version(conn)], ensure_ascii=False)
        if self.meta(_SYNCED, conn=conn) == token:
            return month
        hits = check_month(self, month, conn=conn)
        first_seen = self._first_seen(month, self._listed_anew(hits, conn), conn)
        if conn is not None:
            self._write_problems(month, hits, token, first_seen, conn)
            return month
        try:
            self._write_problems(month, hits, token, first_seen)
        except sa.exc.IntegrityError:
            pass  # another worker synced the same month at the same time: its list stands
        return month

    def _listed_anew(
        self, hits: pd.DataFrame, conn: Connection | None = None
    ) -> set[tuple[str, str]]:
        """The (rule, household) pairs of ``hits`` the list does not hold, or holds as closed
        by the data: those it lists (anew)."""
        p = schema.problems
        with nullcontext(conn) if conn is not None else self.engine.connect() as conn:
            held = {
                (r.rule, r.household_id)
                for r in conn.execute(
                    sa.select(p.c.rule, p.c.household_id).where(
                        sa.or_(
                            p.c.status != "fixed", p.c.reason.is_(None), p.c.reason != FIXED_BY_DATA
                        )
                    )
                ).all()
            }
        return set(zip(hits["rule"], hits["household_id"], strict=True)) - held

    def _first_seen(
        self, month: str, keys: set[tuple[str, str]], conn: Connection | None = None
    ) -> dict[tuple[str, str], str]:
        """The first month of the unbroken run of loaded months up to ``month`` in which each
        (rule, household) of ``keys`` fired: earlier months are evaluated (for those households
        and rules only) while some of them still fire."""
        first = dict.fromkeys(keys, month)
        remaining = set(keys)
        for earlier in reversed([m for m in self.months(conn) if m < month]):
            if not remaining:
                break
            households = {h for _, h in remaining}
            hits = check_month(
                self,
                earlier,
                rules=tuple(sorted({r for r, _ in remaining})),
                household_ids=households if len(households) <= _WHOLE_MONTH else None,
                conn=conn,
            )
            remaining &= set(zip(hits["rule"], hits["household_id"], strict=True))
            first.update(dict.fromkeys(remaining, earlier))
        return first

    def _write_problems(
        self,
        month: str,
        hits: pd.DataFrame,
        token: str,
        first_seen: dict[tuple[str, str], str] | None = None,
        conn: Connection | None = None,
    ) -> None:
        first_seen = first_seen or {}
        p = schema.problems
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        with nullcontext(conn) if conn is not None else self.write() as conn:
            stored = {
                (r.rule, r.household_id): r
                for r in conn.execute(
                    sa.select(p.c.rule, p.c.household_id, p.c.status, p.c.reason)
                ).all()
            }
            inserts, updates = [], []
            fired = set()
            for h in hits.itertuples(index=False):
                key = (h.rule, h.household_id)
                fired.add(key)
                row = {
                    "severity": h.severity,
                    **{c: getattr(h, c) for c in UNIT_COLUMNS},
                    "last_seen": month,
                    "evidence": json.dumps(
                        h.evidence, ensure_ascii=False, sort_keys=True, default=str
                    ),
                }
                old = stored.get(key)
                if old is None:
                    inserts.append(
                        {
                            "rule": h.rule,
                            "household_id": h.household_id,
                            "first_seen": first_seen.get(key, month),
                            "status": "new",
                            **row,
                        }
                    )
                elif old.status == "fixed" and old.reason == FIXED_BY_DATA:
                    updates.append(
                        {
                            "b_rule": h.rule,
                            "b_hid": h.household_id,
                            **row,
                            "first_seen": first_seen.get(key, month),
                            "status": "new",
                            "reason": None,
                            "changed_by": None,
                            "changed_at": now,
                        }
                    )
                else:
                    updates.append({"b_rule": h.rule, "b_hid": h.household_id, **row})
            if inserts:
                conn.execute(p.insert(), inserts)
            for group in _by_keys(updates):
                values = {k: sa.bindparam(f"v_{k}") for k in group[0] if not k.startswith("b_")}
                conn.execute(
                    p.update()
                    .where(
                        p.c.rule == sa.bindparam("b_rule"),
                        p.c.household_id == sa.bindparam("b_hid"),
                    )
                    .values(**values),
                    [
                        {
                            **{f"v_{k}": v for k, v in u.items() if not k.startswith("b_")},
                            "b_rule": u["b_rule"],
                            "b_hid": u["b_hid"],
                        }
                        for u in group
                    ],
                )
            closed = [
                {"b_rule": r, "b_hid": h}
                for (r, h), old in stored.items()
                if (r, h) not in fired and old.status in OPEN
            ]
            if closed:
                conn.execute(
                    p.update()
                    .where(
                        p.c.rule == sa.bindparam("b_rule"),
                        p.c.household_id == sa.bindparam("b_hid"),
                    )
                    .values(status="fixed", reason=FIXED_BY_DATA, changed_by=None, changed_at=now),
                    closed,
                )
            self.set_meta(conn, _SYNCED, token)
            self.refresh_tally(conn)  # the counts of provinces and cities, with the list

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


def _by_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Rows grouped by their set of keys (one executemany per shape)."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(tuple(sorted(r)), []).append(r)
    return list(groups.values())
