"""Counts and filtered lists of the problem list (SQL over ``problems``): what the unit pages,
the map, the wall, the briefing and the list page show of it, from one place.

A problem is *open* while it is 待核实 (new) or 已核实 (confirmed) and fired in the month asked
for; it is *overdue* (逾期) when it is open and was first seen at least ``overdue_months`` months
(the policy's threshold, one by default) before that month: the national rules give 15 days to
identify and about half a month to help, so a problem still open a month later is late.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema
from ..checks.catalog import RULES
from ..model import UPPER_LEVELS, Unit
from .problem_sync import _SYNCED as SYNCED
from .problems import PROBLEMS_REVISION

OPEN = ("new", "confirmed")
RULE_RANK = {r.id: i for i, r in enumerate(RULES)}  # the catalog's order


def month_shift(month: str, months: int) -> str:
    """``month`` (YYYY-MM) moved by ``months`` (negative: earlier)."""
    year, mon = int(month[:4]), int(month[5:7])
    index = year * 12 + mon - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_between(first: str, last: str) -> int:
    """Whole months from ``first`` to ``last`` (YYYY-MM), 0 for the same month."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7])


class ProblemCounts:
    """Counts of open and overdue problems; ``self`` is the ``Store``."""

    def overdue_months(self, month: str) -> int:
        """The month's policy threshold for 逾期 (overdue)."""
        return self.policy(month).thresholds.overdue_months

    def problems_stamp(self, conn: Connection | None = None) -> str:
        """Changes whenever the problem list does (a sync or a status change): for caches of
        figures that read it. ``conn``: read in that transaction."""
        p, m = schema.problems, schema.meta
        # no count over the table: a sync writes its token (the month and data version it
        # synced to), a status change a new revision; the last change time by its index (0012)
        with nullcontext(conn) if conn is not None else self.engine.connect() as conn:
            changed = conn.execute(sa.select(sa.func.max(p.c.changed_at))).scalar()
            tokens = dict(
                conn.execute(
                    sa.select(m.c.key, m.c.value).where(m.c.key.in_((PROBLEMS_REVISION, SYNCED)))
                ).all()
            )
        return f"{tokens.get(SYNCED)}:{changed}:{tokens.get(PROBLEMS_REVISION)}"

    def problem_summary(self, unit: Unit, month: str) -> dict[str, Any]:
        """Open problems of ``unit`` fired in ``month``: in all, overdue, per rule and per
        severity (the same counts everywhere they are shown)."""
        p = schema.problems
        overdue_months = self.overdue_months(month)
        cutoff = month_shift(month, -overdue_months)
        late = sa.case((p.c.first_seen <= cutoff, 1), else_=0)
        query = (
            sa.select(p.c.rule, p.c.severity, sa.func.count(), sa.func.sum(late))
            .where(p.c.last_seen == month, p.c.status.in_(OPEN), schema.in_unit(p, unit))
            .group_by(p.c.rule, p.c.severity)
        )
        if unit.level in UPPER_LEVELS:  # a province's or a city's: from the stored tally
            rows = self.tally_summary(unit, month, cutoff)
        else:
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
        by_rule: dict[str, int] = {}
        by_severity: dict[str, int] = {}
        overdue = 0
        for rule, severity, n, n_late in rows:
            by_rule[rule] = by_rule.get(rule, 0) + int(n)
            by_severity[severity] = by_severity.get(severity, 0) + int(n)
            overdue += int(n_late or 0)
        return {
            "month": month,
            "open": sum(by_rule.values()),
            "overdue": overdue,
            "overdue_months": overdue_months,
            "by_rule": by_rule,
            "by_severity": by_severity,
        }

    def open_problems_by(self, level: str, unit: Unit, month: str) -> dict[str, int]:
        """code of each unit of ``level`` inside ``unit`` -> its open problems in ``month``
        (units without any are left out); ``level`` one of grid, village, township, county,
        or city (its counties' problems, by the counties' city in ``units``)."""
        if level not in ("grid", "village", "township", "county", "city"):
            raise ValueError(f"not a level of the problem list: {level}")
        if level == "city":
            counties = self.open_problems_by("county", unit, month)
            u = schema.units
            with self.engine.connect() as conn:
                city_of = dict(
                    conn.execute(
                        sa.select(u.c.code, u.c.city_code).where(u.c.code.in_(list(counties)))
                    ).all()
                )
            cities: dict[str, int] = {}
            for county, n in counties.items():
                if city_of.get(county):
                    cities[city_of[county]] = cities.get(city_of[county], 0) + n
            return cities
        if level == "county" and unit.level in UPPER_LEVELS:
            return self.tally_by_county(unit, month)
        p = schema.problems
        column = p.c[f"{level}_code"]
        query = (
            sa.select(column, sa.func.count())
            .where(
                p.c.last_seen == month,
                p.c.status.in_(OPEN),
                column.is_not(None),
                schema.in_unit(p, unit),
            )
            .group_by(column)
        )
        with self.engine.connect() as conn:
            return {code: int(n) for code, n in conn.execute(query).all()}

    def list_problems(
        self,
        unit: Unit | None,
        *,
        household_id: str | None = None,
        month: str | None = None,
        statuses: tuple[str, ...] | None = None,
        rule: str | None = None,
        age: str = "",
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[pd.DataFrame, int]:
        """The listed problems of ``unit`` (and of one household) a filter keeps, in working order (errors first, then
        warnings, then notices; the oldest first; by rule and household), and how many there
        are in all. ``month``: only those fired in it (None: also those closed before it);
        ``age``: "new" first seen in their last month, "overdue" open and first seen
        ``overdue_months`` or more before ``month``; ``limit``/``offset``: one page of them.
        ``evidence`` stays JSON text (a page parses the rows it draws only)."""
        p = schema.problems
        where = [] if unit is None else [schema.in_unit(p, unit)]
        if household_id is not None:
            where.append(p.c.household_id == household_id)
        if month is not None:
            where.append(p.c.last_seen == month)
        if statuses is not None:
            where.append(p.c.status.in_(statuses))
        if rule is not None:
            where.append(p.c.rule == rule)
        if age == "new":
            where.append(p.c.first_seen == p.c.last_seen)
        elif age == "overdue":
            latest = month or self.latest_month() or "0000-01"
            cutoff = month_shift(latest, -self.overdue_months(latest))
            where += [p.c.status.in_(OPEN), p.c.last_seen == latest, p.c.first_seen <= cutoff]
        severity = sa.case({"error": 0, "warning": 1, "notice": 2}, value=p.c.severity, else_=3)
        rule_rank = sa.case(RULE_RANK, value=p.c.rule, else_=len(RULE_RANK))
        query = (
            sa.select(p)
            .where(*where)
            .order_by(severity, p.c.first_seen, rule_rank, p.c.household_id)
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(p).where(*where)).scalar()
            return pd.read_sql(query, conn), int(total or 0)
