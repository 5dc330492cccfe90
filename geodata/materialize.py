"""The figures pipeline: compute a month's figures (``compute_month``) under the month's
policy, store them stamped with the policy's fingerprint, and recompute what is stale.

A month is stale when its stored figures were computed under other income lines or an older
figures version (``geodata.policy``); ``ensure_policy`` recomputes those, ``set_lines`` stores the
lines of a year and recomputes the months they change, in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema
from .figures import compute_month, empty_warnings, warning_figures, with_upper_codes
from .model import Lines
from .policy import (
    Policy,
    clear_thresholds,
    list_lines,
    list_thresholds,
    policy_for,
    province_of,
    set_thresholds,
    stored_lines,
    stored_thresholds,
)
from .policy import set_lines as set_policy_lines
from .rules import regrade
from .scoped_figures import FIGURE_INPUTS, ScopedFigures

# how a unit with no warnings is written in its stored figures (json.dumps, sort_keys=True)
_NO_WARNINGS = '"warnings": ' + json.dumps(empty_warnings(), ensure_ascii=False, sort_keys=True)


class FiguresPipeline(ScopedFigures):
    """Materialised figures per unit, site and month."""

    def refresh_figures(
        self,
        conn: Connection,
        months: Sequence[str] | None = None,
        snapshots: dict[str, pd.DataFrame] | None = None,
        *,
        alongside: Any = None,
        written: dict[str, pd.DataFrame] | None = None,
        counties: dict[str, Collection[str]] | None = None,
    ) -> None:
        """Recompute the stored figures of the given months (all months by default).

        ``snapshots`` may hand over a month's complete snapshot that is already in memory (a
        month loaded from one file into an empty month), which saves reading it back.

        ``alongside(begin)``, if given, runs first, on this connection (a load writing its
        rows). It calls ``begin()`` once the database is busy with them; from then on a second
        thread computes the figures of the ``snapshots`` months, which need nothing from the
        database but the units and sites, read before.

        ``written`` hands over the rows just upserted into a month that had rows before: when
        the month now holds no other row (the file named every household of it), they are its
        complete snapshot too, and nothing is read back.

        ``counties`` names, for a month, the only counties whose households changed: that
        month's figures are then recomputed for those counties and their city and province
        only (``ScopedFigures.refresh_counties``), the other counties' rows left as they are;
        where that cannot be done, the whole month is.
        """
        snapshots = snapshots or {}
        h = schema.households
        if counties and months is not None:
            if alongside is not None:  # the rows first: the counties' figures read them back
                alongside(lambda: None)
                alongside = None
            scoped = {
                m
                for m in set(months)
                if m in counties and self.refresh_counties(conn, m, counties[m])
            }
            months = [m for m in months if m not in scoped]
            if not months:
                return
        if months is None:
            if alongside is not None:
                alongside(lambda: None)
                alongside = None
            months = list(conn.execute(sa.select(h.c.month).distinct()).scalars())
        units = self.units_frame(conn)
        sites = self.sites_frame(conn)
        policies = self.policies(conn, sorted(set(months)))
        cols = list(FIGURE_INPUTS)
        signals = self._signals_by_month(conn, months)
        computed: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
        if alongside is not None:
            from concurrent.futures import ThreadPoolExecutor

            ahead = {m: snapshots[m][cols].copy() for m in sorted(set(months)) if m in snapshots}

            def compute_ahead() -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
                return {
                    m: compute_month(
                        regrade(f, policies[m].lines),
                        m,
                        units,
                        sites,
                        policies[m].lines,
                        signals=signals.get(m),
                    )
                    for m, f in ahead.items()
                }

            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="riskgrid-figures") as pool:
                started: list[Any] = []

                def begin() -> None:
                    if not started:
                        started.append(pool.submit(compute_ahead))

                alongside(begin)
                begin()  # if the writer never said when
                computed = started[0].result()
        if written:
            snapshots = dict(snapshots)
            for month, rows in written.items():
                stored = conn.execute(
                    sa.select(sa.func.count()).select_from(h).where(h.c.month == month)
                ).scalar()
                if stored == len(rows) and month not in snapshots:
                    snapshots[month] = rows
        for month in sorted(set(months)):
            if month in computed:
                per_unit, per_site = computed[month]
            else:
                if month in snapshots:
                    frame = snapshots[month][cols]
                else:
                    frame = self._read_frame(conn, month, cols)
                per_unit, per_site = compute_month(
                    regrade(frame, policies[month].lines),
                    month,
                    units,
                    sites,
                    policies[month].lines,
                    signals=signals.get(month),
                )
            conn.execute(schema.figures.delete().where(schema.figures.c.month == month))
            conn.execute(schema.site_figures.delete().where(schema.site_figures.c.month == month))
            self.write_figure_rows(conn, self.figure_frame(per_unit, month, units, policies[month]))
            self.write_site_figures(conn, month, per_site, policies[month].fingerprint)
        self.stamp_lines(conn)

    def refresh_warning_figures(self, conn: Connection, months: Sequence[str]) -> None:
        """Only the ``warnings`` figures of these months, after a warnings load: from the
        month's signals and the category of the households they concern, by the same
        computation as ``compute_month`` (``warning_figures``), without reading the month's
        other households. Figure rows whose warnings did not change are left as they are."""
        f, h = schema.figures, schema.households
        signals = self._signals_by_month(conn, months)
        for month in sorted(set(months)):
            fresh: dict[str, dict[str, Any]] = {}
            sig = signals.get(month)
            if sig is not None and len(sig):
                ids = sorted(set(sig["household_id"]))
                rows: list[Any] = []
                for start in range(0, len(ids), 5000):
                    rows += conn.execute(
                        sa.select(h.c.household_id, h.c.category).where(
                            h.c.month == month, h.c.household_id.in_(ids[start : start + 5000])
                        )
                    ).all()
                frame = pd.DataFrame(rows, columns=["household_id", "category"])
                fresh = warning_figures(frame, with_upper_codes(sig, self.county_levels(conn)))
            stored = conn.execute(
                sa.select(f.c.unit_code, f.c.data).where(f.c.month == month)
            ).all()
            changed = []
            for code, data in stored:
                if code not in fresh and _NO_WARNINGS in data:
                    continue  # had none and has none: no need to parse the row
                fig = json.loads(data)
                wanted = fresh.get(code, empty_warnings())
                if fig.get("warnings") != wanted:
                    fig["warnings"] = wanted
                    changed.append(
                        {
                            "b_code": code,
                            "b_data": json.dumps(fig, ensure_ascii=False, sort_keys=True),
                        }
                    )
            if changed:
                conn.execute(
                    f.update()
                    .where(f.c.unit_code == sa.bindparam("b_code"), f.c.month == month)
                    .values(data=sa.bindparam("b_data")),
                    changed,
                )

    def policies(self, conn: Connection, months: Sequence[str]) -> dict[str, Policy]:
        """The policy (income lines and rule thresholds of the year) of each month."""
        stored, thresholds = stored_lines(conn), stored_thresholds(conn)
        province = province_of(conn) if stored or thresholds else ""
        return {m: policy_for(m, self.lines, stored, province, thresholds) for m in months}

    def policy(self, month: str) -> Policy:
        with self.engine.connect() as conn:
            return self.policies(conn, [month])[month]

    def stale_months(self, conn: Connection) -> list[str]:
        """Months whose stored figures were computed under another policy than theirs now
        (other lines, or an older figures version): to be recomputed."""
        f = schema.figures
        stamps: dict[str, set[str | None]] = {}
        for month, stamp in conn.execute(sa.select(f.c.month, f.c.policy).distinct()).all():
            stamps.setdefault(month, set()).add(stamp)
        wanted = self.policies(conn, sorted(stamps))
        return [m for m, got in sorted(stamps.items()) if got != {wanted[m].fingerprint}]

    def ensure_policy(self) -> list[str]:
        """Recompute the figures of every stale month; the months recomputed."""
        with self.engine.connect() as conn:
            if not self.stale_months(conn):
                return []
        with self.write(load=True) as conn:
            stale = self.stale_months(conn)  # again, under the write lock
            if stale:
                self.refresh_figures(conn, stale)
        return stale

    def set_lines(
        self,
        year: int,
        monitoring: float,
        observation: float | None = None,
        province: str | None = None,
    ) -> tuple[Lines, list[str]]:
        """Store the lines of a year and recompute the months they change, in one
        transaction; the lines stored and the months recomputed."""
        with self.write(load=True) as conn:
            lines = set_policy_lines(conn, year, monitoring, observation, province)
            stale = self.stale_months(conn)
            if stale:
                self.refresh_figures(conn, stale)
        return lines, stale

    def lines_table(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return list_lines(conn)

    def set_thresholds(
        self, year: int, province: str | None = None, **values: Any
    ) -> dict[str, Any]:
        """Store rule thresholds of a year (``geodata.policy.set_thresholds``); no figure
        changes, the problem list is evaluated again on its next sync."""
        with self.write() as conn:
            return set_thresholds(conn, year, province, values)

    def clear_thresholds(self, year: int, province: str | None = None) -> bool:
        with self.write() as conn:
            return clear_thresholds(conn, year, province)

    def thresholds_table(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return list_thresholds(conn)
