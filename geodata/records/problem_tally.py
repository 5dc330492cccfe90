"""The open problems counted per county, month, rule, severity and first month (``problem_tally``,
schema 0012): what a province's or a city's page shows of the problem list, read from a few
thousand stored rows instead of counting the province's 300,000 problems at every page.

The tally is rebuilt with the list: at the end of every sync (in its transaction), and for the
county of a problem whose status changes (in that change's transaction). It carries the
problems stamp it was made at (meta ``problem_tally_stamp``); a read that finds another stamp
(a list changed by some other way) rebuilds it first, so it is never stale.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema
from ..model import Unit

TALLY_STAMP = "problem_tally_stamp"
OPEN = ("new", "confirmed")
KEYS = ("county_code", "last_seen", "rule", "severity", "first_seen")


class ProblemTally:
    """The stored counts of open problems; ``self`` is the ``Store``."""

    def refresh_tally(self, conn: Connection, counties: Sequence[str] | None = None) -> None:
        """Count the open problems again (of ``counties`` only, else all) in ``conn``'s
        transaction, and mark the tally as made at the list's stamp in it."""
        t, p = schema.problem_tally, schema.problems
        delete = t.delete()
        counted = (
            sa.select(*[p.c[k] for k in KEYS], sa.func.count())
            .where(p.c.status.in_(OPEN), p.c.county_code.is_not(None))
            .group_by(*[p.c[k] for k in KEYS])
        )
        if counties is not None:
            delete = delete.where(t.c.county_code.in_(list(counties)))
            counted = counted.where(p.c.county_code.in_(list(counties)))
        conn.execute(delete)
        conn.execute(t.insert().from_select([*KEYS, "n"], counted))
        self.set_meta(conn, TALLY_STAMP, self.problems_stamp(conn))

    def tally_changed(self, conn: Connection, county: str | None, stamp_before: str) -> None:
        """After a status change in ``conn``: the tally of that problem's county counted
        again, when the tally was up to date before it (else the next read rebuilds it)."""
        if county and self.meta(TALLY_STAMP, conn=conn) == stamp_before:
            self.refresh_tally(conn, [county])

    def fresh_tally(self) -> None:
        """Rebuild the tally when it was made at another state of the list than now's."""
        if self.meta(TALLY_STAMP) == self.problems_stamp():
            return
        try:  # not ``write()``: the list's counts change nothing the store caches
            with self.engine.begin() as conn:
                self.refresh_tally(conn)
        except sa.exc.IntegrityError:
            pass  # another worker rebuilt it at the same time: its tally stands

    def tally_summary(self, unit: Unit, month: str, cutoff: str) -> list[tuple[str, str, int, int]]:
        """(rule, severity, open, of them first seen in or before ``cutoff``) of the open
        problems of ``unit`` (a province or a city: by its counties) fired in ``month``."""
        self.fresh_tally()
        t = schema.problem_tally
        late = sa.case((t.c.first_seen <= cutoff, t.c.n), else_=0)
        query = (
            sa.select(t.c.rule, t.c.severity, sa.func.sum(t.c.n), sa.func.sum(late))
            .where(t.c.last_seen == month, schema.in_unit(t, unit))
            .group_by(t.c.rule, t.c.severity)
        )
        with self.engine.connect() as conn:
            return [(r, s, int(n), int(k or 0)) for r, s, n, k in conn.execute(query).all()]

    def tally_by_county(self, unit: Unit, month: str) -> dict[str, int]:
        """county code -> its open problems fired in ``month``, of a province's or a city's
        counties (those with none left out)."""
        self.fresh_tally()
        t = schema.problem_tally
        query = (
            sa.select(t.c.county_code, sa.func.sum(t.c.n))
            .where(t.c.last_seen == month, schema.in_unit(t, unit))
            .group_by(t.c.county_code)
        )
        with self.engine.connect() as conn:
            return {c: int(n) for c, n in conn.execute(query).all() if n}
