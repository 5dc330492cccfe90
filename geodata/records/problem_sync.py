"""The problem list brought up to the data (``sync_problems``): the rules' hits of the latest
month written as problems (SQL for ``problems``).

A plain sync evaluates the rules over the latest month (once per data version): a hit not
listed yet is a new problem (待核实) first seen that month; a listed one that still fires keeps its
status and its first month; an open one (待核实 or 已核实) that no longer fires is closed as 已整改
by the data. A problem closed by the data that fires again is listed anew. The month is
evaluated a batch of counties at a time (about ``BATCH_HOUSEHOLDS`` households each), so a
province's 10 million households are never one frame; the hits are the same.

A sync scoped to ``counties`` (a load's, the list being up to date before it) evaluates those
counties only, each at its own latest month with households, and lists, updates and closes only
their problems: a new month of county A never closes county B's problems of the month before.

A problem listed (anew) is first seen in the first month of the unbroken run of loaded months
in which its rule fired for the household, not simply the latest month: after a first load of a
year of history its age is true. The earlier months are evaluated only for the households of
such problems, one month back at a time while some of them still fire.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from contextlib import nullcontext
from datetime import UTC, datetime
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema
from ..checks.evaluate import HIT_COLUMNS
from ..checks.run import check_month
from .households import fetch_rows

OPEN = ("new", "confirmed")
FIXED_BY_DATA = "数据已不再触发该规则 (no longer fired by the data)"
UNIT_COLUMNS = ("grid_code", "village_code", "township_code", "county_code")
_SYNCED = "problems_synced"
# meta: the data version the latest month's 时效 is stored at (records.timeliness_rows)
TIMELINESS_SYNCED = "timeliness_synced"
_WHOLE_MONTH = 20_000  # more households than this to look back on: the month is read in batches
BATCH_HOUSEHOLDS = 400_000  # households evaluated at once (whole counties, at least one)
_STORED = ("rule", "household_id", "status", "reason", "severity", *UNIT_COLUMNS)
_COMPARED = ("severity", *UNIT_COLUMNS, "last_seen", "evidence")


class ProblemSync:
    """The problem list's sync with the data."""

    def problems_in_sync(self, conn: Connection | None = None) -> bool:
        """Whether the list is synced with the data as it is (nothing loaded: trivially); a
        load asks before it writes, to know whether a sync of its counties is enough."""
        month = self.latest_month(conn)
        return month is None or self.meta(_SYNCED, conn=conn) == self._sync_token(month, conn)

    def _sync_token(self, month: str, conn: Connection | None) -> str:
        return json.dumps([month, self.data_version(conn)], ensure_ascii=False)

    def sync_problems(
        self, conn: Connection | None = None, *, counties: Collection[str] | None = None
    ) -> str | None:
        """Bring the problem list up to the latest month's rule hits (once per data version);
        the month synced, None without data.

        ``conn``: a load's transaction, before it commits: the list is read and written in it,
        so the load and its problem list commit together (a load killed half-way leaves
        neither). Without it the list is synced in a transaction of its own.

        ``counties``: only these counties' problems are evaluated (each county at its latest
        month with households), listed, updated and closed; the caller vouches that the list
        was synced before its change to these counties (``problems_in_sync``)."""
        month = self.latest_month(conn)
        if month is None:
            return None
        version = self.data_version(conn)
        token = json.dumps([month, version], ensure_ascii=False)
        m = schema.meta
        with nullcontext(conn) if conn is not None else self.engine.connect() as c:
            metas = dict(
                c.execute(
                    sa.select(m.c.key, m.c.value).where(m.c.key.in_((_SYNCED, TIMELINESS_SYNCED)))
                ).all()
            )
        if metas.get(_SYNCED) == token:
            if metas.get(TIMELINESS_SYNCED) != version:  # 时效 of the latest month, stored
                self.sync_timeliness(conn)
            return month
        with nullcontext(conn) if conn is not None else self.engine.connect() as read:
            if counties is None:
                parts: list[tuple[str, list[str] | None]] = [(month, None)]
            else:
                parts = self._latest_by_county(read, counties)
            evaluated = []
            for m, scope in parts:
                hits = self._month_hits(read, m, counties=scope)
                anew = self._listed_anew(hits, read, counties=scope)
                evaluated.append((m, hits, self._first_seen(m, anew, read, counties=scope), scope))

        def write(c: Connection) -> None:
            for m, hits, first_seen, scope in evaluated:
                self._write_problems(m, hits, None, first_seen, c, counties=scope)
            self.set_meta(c, _SYNCED, token)
            self.sync_timeliness(c)  # 时效 of the latest month, stored with the list
            # the counts of provinces and cities, with the list; all counties, also after a
            # scoped sync (a household moved in from another county moves its problems'
            # county): one GROUP BY, about 0.3 s for the 100-county province's list
            self.refresh_tally(c)

        if conn is not None:
            write(conn)
            return month
        try:
            with self.write() as c:
                write(c)
        except sa.exc.IntegrityError:
            pass  # another worker synced the same month at the same time: its list stands
        return month

    def _latest_by_county(
        self, conn: Connection, counties: Collection[str]
    ) -> list[tuple[str, list[str]]]:
        """(month, counties) for each latest month with households of ``counties``."""
        f = schema.figures
        rows = conn.execute(
            sa.select(f.c.unit_code, sa.func.max(f.c.month))
            .where(
                f.c.level == "county",
                f.c.households > 0,
                f.c.unit_code.in_(sorted(set(counties))),
            )
            .group_by(f.c.unit_code)
        ).all()
        by_month: dict[str, list[str]] = {}
        for code, m in sorted(rows):
            by_month.setdefault(m, []).append(code)
        return sorted(by_month.items())

    def _county_batches(
        self, conn: Connection, month: str, counties: Collection[str] | None
    ) -> tuple[list[list[str]], int]:
        """The counties with households in ``month`` (of ``counties``), in batches of about
        ``BATCH_HOUSEHOLDS`` households (their stored figures' counts), and those households."""
        f = schema.figures
        query = sa.select(f.c.unit_code, f.c.households).where(
            f.c.level == "county", f.c.month == month, f.c.households > 0
        )
        if counties is not None:
            query = query.where(f.c.unit_code.in_(sorted(set(counties))))
        batches: list[list[str]] = []
        size = total = 0
        for code, n in conn.execute(query.order_by(f.c.unit_code)).all():
            if not batches or size + n > BATCH_HOUSEHOLDS:
                batches.append([])
                size = 0
            batches[-1].append(code)
            size += n
            total += n
        return batches, total

    def _month_hits(
        self,
        conn: Connection,
        month: str,
        *,
        counties: Collection[str] | None = None,
        rules: tuple[str, ...] | None = None,
        household_ids: Collection[str] | None = None,
    ) -> pd.DataFrame:
        """The hits of ``month`` (of ``counties``; of ``household_ids``), evaluated a batch of
        counties at a time (a few households: those only); every household of the month when
        ``counties`` is None, also one whose county no figure counts."""
        if household_ids is not None and len(household_ids) <= _WHOLE_MONTH:
            return check_month(self, month, rules=rules, household_ids=household_ids, conn=conn)
        wanted = None if household_ids is None else set(household_ids)
        batches, counted = self._county_batches(conn, month, counties)
        frames = []
        for batch in batches:
            hits = check_month(self, month, rules=rules, counties=batch, conn=conn)
            frames.append(hits if wanted is None else hits[hits["household_id"].isin(wanted)])
        if counties is None and counted != self._month_count(conn, month):
            # households outside the counted counties (none a load makes): the whole month
            known = {c for b in batches for c in b}
            rest = check_month(self, month, rules=rules, conn=conn)
            rest = rest[~rest["county_code"].isin(known)]
            frames.append(rest if wanted is None else rest[rest["household_id"].isin(wanted)])
        frames = [x for x in frames if len(x)]
        if not frames:
            return pd.DataFrame(columns=list(HIT_COLUMNS))
        return pd.concat(frames, ignore_index=True)

    def _month_count(self, conn: Connection, month: str) -> int:
        h = schema.households
        query = sa.select(sa.func.count()).select_from(h).where(h.c.month == month)
        return int(conn.execute(query).scalar_one())

    def _stored(
        self,
        conn: Connection,
        columns: tuple[str, ...],
        counties: Collection[str] | None,
        hits: pd.DataFrame,
    ) -> dict[tuple[str, str], Any]:
        """The listed problems, (rule, household) -> row of ``columns``: all of them, or those
        of ``counties`` and those of the hits' (rule, household) pairs (a household that moved
        in from another county)."""
        p = schema.problems
        query = sa.select(*[p.c[c] for c in columns])
        if counties is None:
            return {(r.rule, r.household_id): r for r in conn.execute(query).all()}
        query = query.where(p.c.county_code.in_(sorted(set(counties))))
        stored = {(r.rule, r.household_id): r for r in conn.execute(query).all()}
        keys = set(zip(hits["rule"], hits["household_id"], strict=True)) - set(stored)
        if keys:
            select = f"SELECT {','.join(columns)} FROM problems WHERE 1 = 1"
            found = fetch_rows(conn, self.is_postgis, select, [], sorted({h for _, h in keys}))
            for values in found:
                row = dict(zip(columns, values, strict=True))
                if (row["rule"], row["household_id"]) in keys:
                    stored[(row["rule"], row["household_id"])] = _Row(row)
        return stored

    def _listed_anew(
        self,
        hits: pd.DataFrame,
        conn: Connection | None = None,
        *,
        counties: Collection[str] | None = None,
    ) -> set[tuple[str, str]]:
        """The (rule, household) pairs of ``hits`` the list does not hold, or holds as closed
        by the data: those it lists (anew)."""
        with nullcontext(conn) if conn is not None else self.engine.connect() as conn:
            stored = self._stored(
                conn, ("rule", "household_id", "status", "reason"), counties, hits
            )
        held = {
            k for k, r in stored.items() if not (r.status == "fixed" and r.reason == FIXED_BY_DATA)
        }
        return set(zip(hits["rule"], hits["household_id"], strict=True)) - held

    def _first_seen(
        self,
        month: str,
        keys: set[tuple[str, str]],
        conn: Connection | None = None,
        *,
        counties: Collection[str] | None = None,
    ) -> dict[tuple[str, str], str]:
        """The first month of the unbroken run of loaded months up to ``month`` in which each
        (rule, household) of ``keys`` fired: earlier months are evaluated (for those households
        and rules only; of ``counties`` only when given) while some of them still fire."""
        first = dict.fromkeys(keys, month)
        remaining = set(keys)
        with nullcontext(conn) if conn is not None else self.engine.connect() as conn:
            for earlier in reversed([m for m in self.months(conn) if m < month]):
                if not remaining:
                    break
                hits = self._month_hits(
                    conn,
                    earlier,
                    counties=counties,
                    rules=tuple(sorted({r for r, _ in remaining})),
                    household_ids={h for _, h in remaining},
                )
                remaining &= set(zip(hits["rule"], hits["household_id"], strict=True))
                first.update(dict.fromkeys(remaining, earlier))
        return first

    def _write_problems(
        self,
        month: str,
        hits: pd.DataFrame,
        token: str | None,
        first_seen: dict[tuple[str, str], str] | None = None,
        conn: Connection | None = None,
        *,
        counties: Collection[str] | None = None,
    ) -> None:
        """The hits of ``month`` written as problems (of ``counties`` only, when given: no
        other county's problem is read, written or closed); a problem whose row would not
        change is not rewritten. ``token``: the sync's mark, set when given."""
        first_seen = first_seen or {}
        p = schema.problems
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        with nullcontext(conn) if conn is not None else self.write() as conn:
            stored = self._stored(conn, (*_STORED, "last_seen", "evidence"), counties, hits)
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
                elif any(getattr(old, c) != row[c] for c in _COMPARED):
                    updates.append({"b_rule": h.rule, "b_hid": h.household_id, **row})
            if inserts:
                conn.execute(p.insert(), inserts)
            _update(conn, updates)
            inside = None if counties is None else set(counties)
            closed = [
                {"b_rule": r, "b_hid": h}
                for (r, h), old in stored.items()
                if (r, h) not in fired
                and old.status in OPEN
                and (inside is None or old.county_code in inside)
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
            if token is not None:
                self.set_meta(conn, _SYNCED, token)


class _Row:
    """A stored problem's values by attribute, as a result row gives them."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _update(conn: Connection, updates: list[dict[str, Any]]) -> None:
    """The problems' rows updated by (rule, household): one executemany per set of columns."""
    p = schema.problems
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for u in updates:
        groups.setdefault(tuple(sorted(u)), []).append(u)
    for group in groups.values():
        values = {k: sa.bindparam(f"v_{k}") for k in group[0] if not k.startswith("b_")}
        conn.execute(
            p.update()
            .where(p.c.rule == sa.bindparam("b_rule"), p.c.household_id == sa.bindparam("b_hid"))
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
