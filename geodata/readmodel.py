"""The one read model: the stored figures of units, months and sites, as every view, export
and the CLI read them (``stats`` is the one source of a unit's figures in a month)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema
from .database import StoreError
from .figures import empty_warnings
from .model import Unit


class ReadModel:
    """Reads of the stored figures."""

    def months(self, conn: Connection | None = None) -> list[str]:
        """The snapshot months, oldest first: read from the stored figures (a county row per
        month, written with the month's households), not from all the households. ``conn``:
        read inside that transaction (a load's)."""
        f = schema.figures
        query = sa.select(f.c.month).where(f.c.level == "county").distinct().order_by(f.c.month)
        if conn is not None:
            return [r.month for r in conn.execute(query).all()]
        with self.engine.connect() as c:
            rows = c.execute(query).all()
        return [r.month for r in rows]

    def latest_month(self, conn: Connection | None = None) -> str | None:
        months = self.months(conn)
        return months[-1] if months else None

    def _stats_envelope(self, unit: Unit, month: str, data: dict[str, Any]) -> dict[str, Any]:
        data = _ordered(data)
        return {
            "unit": {"code": unit.code, "name": unit.name, "level": unit.level},
            "month": month,
            **data,
            # the lines the month was computed under (stored with its figures), never the process's
            "lines": data.get("lines") or self.policy(month).as_dict(),
            "demo": self.is_demo(),
        }

    def stats(self, code: str | None = None, month: str | None = None) -> dict[str, Any]:
        """The figures of one unit and month: the one source for every view, export and CLI."""
        unit = self.unit(code) if code else self.default_unit()
        if unit is None:
            raise StoreError(f"未找到单位 unit not found: {code or '(no county loaded)'}")
        month = month or self.latest_month()
        if month is None:
            raise StoreError("尚未加载农户数据 no household data loaded")
        f = schema.figures
        with self.engine.connect() as conn:
            data = conn.execute(
                sa.select(f.c.data).where(f.c.unit_code == unit.code, f.c.month == month)
            ).scalar()
        if data is None:
            if month not in self.months():
                raise StoreError(f"没有该月份的数据 no snapshot for month {month}")
            raise StoreError(f"该单位没有数据 no figures for {unit.code} in {month}")
        return self._stats_envelope(unit, month, json.loads(data))

    def children_stats(self, code: str, month: str) -> list[dict[str, Any]]:
        """The figures of every child unit of ``code`` in ``month``, by code."""
        f, u = schema.figures, schema.units
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(u.c.code, u.c.name, u.c.level, f.c.data)
                .select_from(f.join(u, u.c.code == f.c.unit_code))
                .where(f.c.parent_code == code, f.c.month == month)
                .order_by(u.c.code)
            ).all()
        return [
            {
                "unit": {"code": r.code, "name": r.name, "level": r.level},
                "month": month,
                **_ordered(json.loads(r.data)),
            }
            for r in rows
        ]

    def level_stats(self, level: str, month: str, within: str | None = None) -> pd.DataFrame:
        """One row per unit of a level (inside ``within``): the columns maps are coloured by."""
        f, u = schema.figures, schema.units
        query = (
            sa.select(
                u.c.code,
                u.c.name,
                f.c.risk_level,
                f.c.households,
                f.c.persons,
                f.c.monitored_persons,
                f.c.open_red,
                f.c.clearance_rate_persons,
                f.c.data,
            )
            .select_from(f.join(u, u.c.code == f.c.unit_code))
            .where(f.c.month == month, u.c.level == level)
            .order_by(u.c.code)
        )
        if within:
            parent = self.unit(within)
            if parent is not None and parent.level != level:
                query = query.where(u.c[f"{parent.level}_code"] == within)
        with self.engine.connect() as conn:
            return pd.read_sql(query, conn)

    def level_data(self, level: str, month: str, within: Unit) -> list[tuple[str, str]]:
        """(code, stored figures as JSON text) of every unit of ``level`` inside ``within`` in
        ``month``, by code: the rows of ``level_stats`` a map colours by, without a frame."""
        f, u = schema.figures, schema.units
        query = (
            sa.select(u.c.code, f.c.data)
            .select_from(f.join(u, u.c.code == f.c.unit_code))
            .where(f.c.month == month, u.c.level == level)
            .order_by(u.c.code)
        )
        if within.level != level:
            query = query.where(u.c[f"{within.level}_code"] == within.code)
        with self.engine.connect() as conn:
            return [(code, data) for code, data in conn.execute(query).all()]

    def trend(self, code: str) -> list[dict[str, Any]]:
        """The unit's figures in every snapshot month, oldest first."""
        f = schema.figures
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(f.c.month, f.c.data).where(f.c.unit_code == code).order_by(f.c.month)
            ).all()
        return [{"month": r.month, **json.loads(r.data)} for r in rows]

    def site_stats(self, month: str) -> list[dict[str, Any]]:
        sf = schema.site_figures
        sites = self.sites_frame()
        with self.engine.connect() as conn:
            rows = dict(
                conn.execute(sa.select(sf.c.site_code, sf.c.data).where(sf.c.month == month)).all()
            )
        out = []
        for site in sites.to_dict("records"):
            fig = json.loads(rows.get(site["site_code"], "{}"))
            out.append({**site, **fig})
        return out


def _ordered(data: dict[str, Any]) -> dict[str, Any]:
    """Causes by count, most first (JSON storage sorts keys)."""
    causes = data.get("by_cause") or {}
    data["by_cause"] = dict(sorted(causes.items(), key=lambda kv: (-kv[1], kv[0])))
    # figures stored before department warnings were counted (schema 0002) had none
    warnings = data.setdefault("warnings", empty_warnings())
    warnings["by_department"] = dict(
        sorted(warnings["by_department"].items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return data
