"""Grids that a grid layer moves to another village or township than the stored one.

A grid code names one grid of one village: a file that lists a stored grid under another
village (or township) would hand that grid and its households to another office's account
while their figures stayed where they were. So such a file is refused, every moved grid named
with its old and new village and township (names and codes), unless the load says
``move_grids``: then the grids move, and their households and every month's figures follow
(``etl.grids.load_grids``).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from geodata import Store

from .errors import Issue
from .grid_columns import LABELS
from .grid_issues import grid_issue


def moved_grids(store: Store, conn: sa.Connection, grids: gpd.GeoDataFrame) -> pd.DataFrame:
    """The grids of ``grids`` stored under another village: grid_code, the file's row (1-based
    feature number), the new village/township/county codes and names, and the old ones
    (``old_village_code``, ``old_village_name``, ``old_township_code``, ``old_township_name``)."""
    stored = store.grid_places(conn, list(grids["grid_code"]))
    new = grids[["grid_code", "village_code", "village_name", "township_code", "township_name"]]
    new = new.assign(county_code=grids["county_code"], row=range(1, len(grids) + 1))
    old = stored.rename(columns={c: f"old_{c}" for c in stored.columns if c != "grid_code"})
    both = new.merge(old, on="grid_code", how="inner")
    return both[both["village_code"] != both["old_village_code"]].reset_index(drop=True)


def _place(code: str | None, name: str | None) -> str:
    return f"{name or ''}({code})"


def move_issues(
    moves: pd.DataFrame, file: str, columns: dict[str, str], *, moved: bool
) -> list[Issue]:
    """One issue per moved grid: an error (``moved`` False: the load is refused) or, with
    ``--move-grids``, a warning saying it moved."""
    out = []
    for r in moves.itertuples(index=False):
        was = (
            f"{_place(r.old_township_code, r.old_township_name)} "
            f"{_place(r.old_village_code, r.old_village_name)}"
        )
        now = f"{_place(r.township_code, r.township_name)} {_place(r.village_code, r.village_name)}"
        if moved:
            reason = (
                f"网格 {r.grid_code} 已从 {was} 移到 {now}, 其农户和各月指标随之调整 "
                "(grid_code: moved with --move-grids; its households and figures follow)"
            )
        else:
            reason = (
                f"网格 {r.grid_code} 已属于 {was}, 本文件将其列在 {now}: 网格不能移到其他村或"
                "乡镇; 确需调整请加 --move-grids (grid_code: stored under another village or "
                "township; load with --move-grids to move it)"
            )
        out.append(
            grid_issue(
                file,
                reason,
                row=int(r.row),
                column=columns.get("village_code", LABELS["village_code"]),
                field="village_code",
                value=r.village_code,
                severity="warning" if moved else "error",
            )
        )
    return out
