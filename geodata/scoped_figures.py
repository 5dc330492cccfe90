"""Figures recomputed for some counties only: a month's load for one county recomputes that
county (its townships, villages, grids and sites) and its ancestors (city, province), and leaves
the stored figure rows of every other county as they are, not rewritten.

The county's figures come from its own households (``compute_month`` over them); those of its
city and province are the sums of their counties' stored figures (``rollup.roll_up``), the
recomputed county's among them. Both equal what a recompute of the whole month gives
(``tests/test_province.py`` compares them). ``refresh_counties`` declines (returns False, the
caller then recomputes the whole month) where that would not hold: a month with no figures yet
or stored under another policy, or a resettlement site shared by households of a county in the
scope and of one outside it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema
from .figures import compute_month
from .rollup import roll_up
from .rules import regrade

# what compute_month reads of a household
FIGURE_INPUTS: tuple[str, ...] = (
    "risk_level_computed",
    "household_id",
    "grid_code",
    "village_code",
    "township_code",
    "county_code",
    "persons",
    "category",
    "risk_level",
    "risk_causes",
    "income_per_capita",
    "identified_on",
    "eliminated",
    "eliminated_on",
    "relocated",
    "site_code",
    "labor_count",
    "employed_count",
)
FIGURE_COLUMNS: tuple[str, ...] = tuple(c.name for c in schema.figures.columns)


class ScopedFigures:
    """Figure rows written by counties, and the levels above them summed from those."""

    def figure_frame(
        self,
        per_unit: dict[str, dict[str, Any]],
        month: str,
        units: pd.DataFrame,
        policy: Any,
    ) -> pd.DataFrame:
        """The ``figures`` rows of ``per_unit`` (figures dicts by unit code) that are units of
        ``units`` (code, level, parent_code), stamped with ``policy``."""
        level = dict(zip(units["code"], units["level"], strict=True))
        parent = dict(zip(units["code"], units["parent_code"], strict=True))
        lines_used = policy.as_dict()
        stamp = policy.fingerprint  # once: a whole month has 10^5 rows
        rows = []
        for code, fig in per_unit.items():
            if code not in level:
                continue
            fig["lines"] = lines_used
            rows.append(
                (
                    code,
                    month,
                    level[code],
                    parent[code],
                    fig["risk_level"],
                    fig["households"],
                    fig["persons"],
                    fig["monitored"]["persons"],
                    fig["open_by_level"]["red"]["households"],
                    fig["clearance_rate"]["persons"],
                    json.dumps(fig, ensure_ascii=False, sort_keys=True),
                    stamp,
                )
            )
        frame = pd.DataFrame(rows, columns=list(FIGURE_COLUMNS), dtype=object)
        for col in ("households", "persons", "monitored_persons", "open_red"):
            frame[col] = frame[col].astype("int64")
        frame["clearance_rate_persons"] = frame["clearance_rate_persons"].astype("float64")
        return frame

    def write_figure_rows(self, conn: Connection, frame: pd.DataFrame) -> int:
        """Insert figure rows (none of them stored: their units' rows of the month were deleted
        or never written): on PostgreSQL in one COPY."""
        if frame.empty:
            return 0
        return self._upsert(
            conn, "figures", FIGURE_COLUMNS, ["unit_code", "month"], frame, new=True
        )

    def write_site_figures(
        self, conn: Connection, month: str, per_site: dict[str, dict[str, Any]], stamp: str
    ) -> None:
        rows = [
            {"site_code": c, "month": month, "data": json.dumps(f, sort_keys=True), "policy": stamp}
            for c, f in per_site.items()
        ]
        if rows:
            conn.execute(schema.site_figures.insert(), rows)

    def county_figures(
        self,
        households: pd.DataFrame,
        month: str,
        units: pd.DataFrame,
        sites: pd.DataFrame,
        policy: Any,
        signals: pd.DataFrame | None = None,
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        """Figures of the units of some counties (``units``: those counties and everything in
        them, as ``units_frame`` gives them) and of their ``sites``, from all the households of
        those counties in ``month``: ``compute_month`` with the levels above the county left
        out (they are summed from all their counties, ``upper_figures``)."""
        per_unit, per_site = compute_month(
            regrade(households, policy.lines),
            month,
            units,
            sites,
            policy.lines,
            signals=signals,
        )
        inside = set(units.loc[units["county_code"].notna(), "code"])
        return {c: f for c, f in per_unit.items() if c in inside}, per_site

    def upper_figures(
        self, counties: dict[str, dict[str, Any]], units: pd.DataFrame
    ) -> dict[str, dict[str, Any]]:
        """The figures of the cities and provinces of ``units`` from those of all their
        counties (``counties``: figures by county code)."""
        out: dict[str, dict[str, Any]] = {}
        county_rows = units[units["level"] == "county"]
        for level in ("city", "province"):
            col = f"{level}_code"
            for code, part in county_rows.dropna(subset=[col]).groupby(col, sort=True):
                out[code] = roll_up(counties[c] for c in part["code"] if c in counties)
        return out

    def refresh_counties(self, conn: Connection, month: str, counties: Collection[str]) -> bool:
        """Recompute the stored figures of ``month`` for ``counties`` and their ancestors only
        (see the module's text); False, with nothing written, where the whole month must be
        recomputed instead."""
        f = schema.figures
        policy = self.policies(conn, [month])[month]
        stamps = set(
            conn.execute(sa.select(f.c.policy).where(f.c.month == month).distinct()).scalars()
        )
        if stamps != {policy.fingerprint}:
            return False  # no figures yet, or stale ones: the whole month
        units = self.units_frame(conn)
        stored = set(conn.execute(sa.select(f.c.unit_code).where(f.c.month == month)).scalars())
        missing = units[~units["code"].isin(stored)]
        scope = set(counties) | set(missing["county_code"].dropna())
        scope &= set(units.loc[units["level"] == "county", "code"])
        if not scope:
            return False
        scope_list = sorted(scope)
        sites = self.sites_frame(conn)
        scope_sites = sites[sites["county_code"].isin(scope)]
        frame = self._county_rows(conn, month, scope_list)
        named = set(frame["site_code"].dropna()) - {""}
        if named - set(scope_sites["site_code"]):
            return False  # a household of the scope lives at a site of another county (or one
            # no file loaded, which households elsewhere may name too)
        if len(scope_sites) and self._site_shared(
            conn, month, scope_list, scope_sites["site_code"]
        ):
            return False  # a site of the scope is home to households of another county
        signals = self._signals_by_month(conn, [month]).get(month)
        if signals is not None:
            signals = signals[signals["county_code"].isin(scope)]
        inside = units[units["county_code"].isin(scope)]
        per_unit, per_site = self.county_figures(frame, month, inside, scope_sites, policy, signals)
        county_rows = units[units["level"] == "county"]
        ancestors = set(county_rows.loc[county_rows["code"].isin(scope), "city_code"].dropna())
        ancestors |= set(county_rows.loc[county_rows["code"].isin(scope), "province_code"].dropna())
        peers = county_rows[
            county_rows["city_code"].isin(ancestors) | county_rows["province_code"].isin(ancestors)
        ]
        counties_figs = {
            code: json.loads(data)
            for code, data in conn.execute(
                sa.select(f.c.unit_code, f.c.data).where(
                    f.c.month == month,
                    f.c.level == "county",
                    f.c.unit_code.in_(sorted(set(peers["code"]) - scope)),
                )
            ).all()
        }
        counties_figs.update({c: per_unit[c] for c in scope if c in per_unit})
        upper = self.upper_figures(
            counties_figs, units[units["code"].isin(set(peers["code"]) | ancestors)]
        )
        per_unit.update({c: fig for c, fig in upper.items() if c in ancestors})
        rewrite = sa.or_(
            f.c.unit_code.in_(
                sa.select(schema.units.c.code).where(schema.units.c.county_code.in_(scope_list))
            ),
            f.c.unit_code.in_(sorted(ancestors)),
            f.c.unit_code.notin_(sa.select(schema.units.c.code)),
        )
        conn.execute(f.delete().where(f.c.month == month, rewrite))
        self.write_figure_rows(conn, self.figure_frame(per_unit, month, units, policy))
        site_codes = sorted(set(per_site) | set(scope_sites["site_code"]))
        sf = schema.site_figures
        if site_codes:
            conn.execute(sf.delete().where(sf.c.month == month, sf.c.site_code.in_(site_codes)))
        self.write_site_figures(conn, month, per_site, policy.fingerprint)
        self.stamp_lines(conn)
        return True

    def stamp_lines(self, conn: Connection) -> None:
        """The policies of the stored months into ``meta`` (part of the data version)."""
        f = schema.figures
        stamps = sorted(
            (m, p or "") for m, p in conn.execute(sa.select(f.c.month, f.c.policy).distinct()).all()
        )
        self.set_meta(conn, "lines", hashlib.sha256(json.dumps(stamps).encode()).hexdigest()[:16])

    def _county_rows(self, conn: Connection, month: str, counties: Sequence[str]) -> pd.DataFrame:
        """What the figures read of the month's households of ``counties``."""
        cur = conn.connection.driver_connection.cursor()
        cols = ",".join(FIGURE_INPUTS)
        if self.is_postgis:
            cur.execute(
                f"SELECT {cols} FROM households WHERE month = %s AND county_code = ANY(%s)",
                (month, list(counties)),
            )
        else:
            marks = ",".join("?" * len(counties))
            cur.execute(
                f"SELECT {cols} FROM households WHERE month = ? AND county_code IN ({marks})",
                (month, *counties),
            )
        frame = pd.DataFrame.from_records(cur.fetchall(), columns=list(FIGURE_INPUTS))
        cur.close()
        return frame

    def _site_shared(
        self, conn: Connection, month: str, counties: Sequence[str], sites: pd.Series
    ) -> bool:
        """Whether a household outside ``counties`` names one of ``sites`` in ``month``."""
        h = schema.households
        return (
            conn.execute(
                sa.select(h.c.household_id)
                .where(
                    h.c.month == month,
                    h.c.site_code.in_(sorted(set(sites))),
                    h.c.county_code.notin_(list(counties)),
                )
                .limit(1)
            ).first()
            is not None
        )

    def stored_counties(
        self,
        conn: Connection,
        month: str,
        household_ids: Sequence[str],
        counties: Collection[str] | None = None,
    ) -> set[str]:
        """The counties the stored rows of these households lie in, in ``month`` (before a
        load upserts them: a household moved to another county changes both). ``counties``:
        the counties of the rows to load; the households stored in them are found through the
        month's county index and only the others are searched by number (on PostgreSQL a
        search of a 10-million-row month for 100,000 numbers reads the whole month)."""
        from .records.households import fetch_rows

        wanted = set(household_ids)
        found: set[str] = set()
        if counties:
            rows = fetch_rows(
                conn,
                self.is_postgis,
                "SELECT household_id, county_code FROM households WHERE month = ?",
                [month],
                sorted(set(counties)),
                "county_code",
            )
            there = {h for h, _ in rows} & wanted
            found = {c for h, c in rows if h in there}
            wanted -= there
        if not wanted:
            return found
        rows = fetch_rows(
            conn,
            self.is_postgis,
            "SELECT county_code FROM households WHERE month = ?",
            [month],
            sorted(wanted),
        )
        return found | {r[0] for r in rows if r[0] is not None}
