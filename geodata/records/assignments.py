"""Grid assignment (网格户对应表): the grid of each household, kept apart from the monthly
snapshots (SQL for ``grid_assignments``).

An assignment holds for every month until a later file changes it: a household load takes a
household's grid from its file's 网格编码 when it has one, else from here. Loading assignments
after households moves the households to their grids in every stored month where their grid
was not given otherwise (no grid, or the grid of the assignment being replaced).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .. import schema

_CHUNK = 5000
UNIT_CODES = ("village_code", "township_code", "county_code")


class AssignmentRecords:
    """Reads and writes of ``grid_assignments``, and their effect on stored households."""

    def assignments(
        self, household_ids: Sequence[str] | None = None, conn: Connection | None = None
    ) -> dict[str, str]:
        """household_id -> assigned grid code, of these households (all when None)."""
        a = schema.grid_assignments

        def read(c: Connection) -> dict[str, str]:
            if household_ids is None:
                return dict(c.execute(sa.select(a.c.household_id, a.c.grid_code)).all())
            wanted = sorted({h for h in household_ids if h})
            out: dict[str, str] = {}
            for start in range(0, len(wanted), _CHUNK):
                out.update(
                    c.execute(
                        sa.select(a.c.household_id, a.c.grid_code).where(
                            a.c.household_id.in_(wanted[start : start + _CHUNK])
                        )
                    ).all()
                )
            return out

        if conn is not None:
            return read(conn)
        with self.engine.connect() as c:
            return read(c)

    def has_assignments(self) -> bool:
        """Whether any grid assignment is stored."""
        a = schema.grid_assignments
        with self.engine.connect() as c:
            return c.execute(sa.select(a.c.household_id).limit(1)).first() is not None

    def apply_assignments(
        self, conn: Connection, frame: pd.DataFrame, grid_index: pd.DataFrame
    ) -> tuple[int, pd.DataFrame]:
        """Store the assignments of ``frame`` (household_id, grid_code) and move the stored
        households they change to their grid.

        Only assignments that differ from the stored ones count. A household's rows move in
        every month where it has no grid or the grid of its old assignment; its village,
        township and county become its grid's (its department warnings of those months move
        with it). Returns the number of assignments changed and the household rows moved
        (month, household_id, grid_code, the new and the old village_code)."""
        a, h, s = schema.grid_assignments, schema.households, schema.signals
        old = self.assignments(frame["household_id"].tolist(), conn)
        new = dict(zip(frame["household_id"], frame["grid_code"], strict=True))
        changed = {k: g for k, g in new.items() if old.get(k) != g}
        moved_cols = ["month", "household_id", "grid_code", "village_code", "old_village_code"]
        if not changed:
            return 0, pd.DataFrame(columns=moved_cols)
        now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        ids = sorted(changed)
        for start in range(0, len(ids), _CHUNK):
            conn.execute(a.delete().where(a.c.household_id.in_(ids[start : start + _CHUNK])))
        conn.execute(
            a.insert(),
            [{"household_id": k, "grid_code": changed[k], "assigned_at": now} for k in ids],
        )
        rows: list[tuple] = []
        for start in range(0, len(ids), _CHUNK):
            rows += conn.execute(
                sa.select(h.c.month, h.c.household_id, h.c.grid_code, h.c.village_code).where(
                    h.c.household_id.in_(ids[start : start + _CHUNK])
                )
            ).all()
        stored = pd.DataFrame(rows, columns=["month", "household_id", "grid_code", "village_code"])
        if stored.empty:
            return len(changed), pd.DataFrame(columns=moved_cols)
        previous = stored["household_id"].map(old)
        target = stored["household_id"].map(changed)
        free = stored["grid_code"].isna() | (stored["grid_code"] == previous)
        move = stored[free & (stored["grid_code"] != target)].copy()
        if move.empty:
            return len(changed), pd.DataFrame(columns=moved_cols)
        grids = grid_index.set_index("grid_code")
        move["old_village_code"] = move["village_code"]
        move["grid_code"] = move["household_id"].map(changed)
        params = []
        for r in move.itertuples(index=False):
            units = grids.loc[r.grid_code]
            params.append(
                {
                    "m": r.month,
                    "hid": r.household_id,
                    "g": r.grid_code,
                    **{f"u_{c}": units[c] for c in UNIT_CODES},
                }
            )
        move["village_code"] = [p["u_village_code"] for p in params]
        values = {"grid_code": sa.bindparam("g")} | {c: sa.bindparam(f"u_{c}") for c in UNIT_CODES}
        for table in (h, s):
            conn.execute(
                table.update()
                .where(
                    table.c.month == sa.bindparam("m"), table.c.household_id == sa.bindparam("hid")
                )
                .values(values),
                params,
            )
        return len(changed), move[moved_cols].reset_index(drop=True)

    def move_grid_households(self, conn: Connection, grids: pd.DataFrame) -> int:
        """Grids moved to another village (``grids``: grid_code and the new village_code,
        township_code, county_code): their households in every month, their department
        warnings and their problems follow them. The households' grid (and so their grid
        assignment) stays; the number of household rows moved."""
        h, s, p = schema.households, schema.signals, schema.problems
        params = [
            {"g": r.grid_code, **{f"u_{c}": getattr(r, c) for c in UNIT_CODES}}
            for r in grids.itertuples(index=False)
        ]
        if not params:
            return 0
        codes = [q["g"] for q in params]
        moved = conn.execute(
            sa.select(sa.func.count()).select_from(h).where(h.c.grid_code.in_(codes))
        ).scalar()
        for table in (h, s, p):
            conn.execute(
                table.update()
                .where(table.c.grid_code == sa.bindparam("g"))
                .values({c: sa.bindparam(f"u_{c}") for c in UNIT_CODES}),
                params,
            )
        return int(moved or 0)
