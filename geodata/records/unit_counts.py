"""How many units of each level lie under a unit, a unit's children with their label points,
which child unit each shape of a map leads to and the codes and names of a map's shapes (its
geometry apart, served by URL): the small reads a map's level of detail needs (``dashboard.map_detail``), each by index (schema 0012: ``units`` by each level's code and
level), never a read of the whole ``units`` table."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .. import schema
from ..model import LEVELS, Unit


class UnitCounts:
    """Counts and child rows of units; ``self`` is the ``Store``."""

    def level_counts(self, unit: Unit) -> dict[str, int]:
        """level -> how many units of that level lie inside ``unit`` (the levels below it;
        0 for a level it has none of): the shapes a map of ``unit`` by that level draws."""
        u = schema.units
        column = u.c[f"{unit.level}_code"]  # every unit carries its own code at its own level
        query = (
            sa.select(u.c.level, sa.func.count())
            .where(column == unit.code, u.c.level != unit.level)
            .group_by(u.c.level)
        )
        with self.engine.connect() as conn:
            found = {level: int(n) for level, n in conn.execute(query).all()}
        below = LEVELS[LEVELS.index(unit.level) + 1 :]
        return {level: found.get(level, 0) for level in below}

    def child_rows(self, code: str) -> list[dict[str, Any]]:
        """The children of unit ``code`` by code: code, name, level, kind, label point and
        area (for the map's names and the ranking)."""
        u = schema.units
        query = (
            sa.select(
                u.c.code, u.c.name, u.c.level, u.c.kind, u.c.label_lon, u.c.label_lat, u.c.area_km2
            )
            .where(u.c.parent_code == code)
            .order_by(u.c.code)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query).all()]

    def child_of_shapes(self, unit: Unit, level: str) -> dict[str, str]:
        """For the map of ``unit`` by ``level``: each shape's code -> the code of its ancestor
        one level below ``unit`` (itself when ``level`` is that level)."""
        child = LEVELS[LEVELS.index(unit.level) + 1]
        u = schema.units
        above = u.c.code if level == child else u.c[f"{child}_code"]  # no grid_code column
        query = sa.select(u.c.code, above).where(
            u.c[f"{unit.level}_code"] == unit.code, u.c.level == level
        )
        with self.engine.connect() as conn:
            return {code: above for code, above in conn.execute(query).all() if above}

    def feature_index(self, level: str, within: str | None = None) -> dict[str, Any]:
        """The features of ``map_features(level, within)`` without their geometry: the same
        ids and names in the same order (by code), what a figure that names its geometry by
        URL needs of them, read without the outlines."""
        u = schema.units
        query = sa.select(u.c.code, u.c.name).where(u.c.level == level)
        if within:
            parent = self.unit(within)
            if parent is None:
                return {"type": "FeatureCollection", "features": []}
            if parent.level != level:
                query = query.where(u.c[f"{parent.level}_code"] == within)
            else:
                query = query.where(u.c.code == within)
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(u.c.code)).all()
        features = [
            {"type": "Feature", "id": code, "properties": {"code": code, "name": name}}
            for code, name in rows
        ]
        return {"type": "FeatureCollection", "features": features}
