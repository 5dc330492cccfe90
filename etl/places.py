"""Where each household row lies: its grid and the village, township and county above it.

In this order, per row (data contract §2, §2b, §2c):
1. the file's 网格编码 (a loaded grid): the grid and its units, as always;
2. else the file's 村编码 (12 digits, a loaded village), else its 县/乡/村 names
   (``etl.place_names``): the village and the units above it;
3. the grid, when the row has none, from the stored grid assignment (网格户对应表) of the
   household, if that grid lies in the row's village (or the row names no village);
4. a row with no grid left is 未分配网格: it counts in its village, township and county.
A row that names no place at all and has no assignment is an error.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geodata import Store

from .checker import Checker
from .errors import Issue, LoadError
from .place_names import PlaceIndex, match_names
from .readers import Table

UNIT_CODES = ("village_code", "township_code", "county_code")
NAME_FIELDS = ("county_name", "township_name", "village_name")
PLACE_FIELDS = ("grid_code", "village_code", *NAME_FIELDS)


def _grid_units(grid_code: pd.Series, grids: pd.DataFrame, index: pd.Index) -> pd.DataFrame:
    """The village, township and county codes of each grid code, looked up once per grid."""
    codes, uniques = pd.factorize(grid_code)
    out = pd.DataFrame(index=index)
    for col in UNIT_CODES:
        if not len(grids):
            out[col] = None
        elif (codes < 0).any() or not grids.index.is_unique:
            out[col] = grid_code.map(grids[col]).to_numpy()
        else:  # the same as .map(grids[col])
            out[col] = grids[col].reindex(uniques).take(codes).array
    return out


def resolve_places(
    table: Table,
    c: dict[str, pd.Series],
    ck: Checker,
    grid_index: pd.DataFrame,
    store: Store,
) -> pd.DataFrame:
    """grid_code (None: no grid) and the unit codes of every row; problems flagged on ``ck``."""
    index = table.frame.index
    grids = grid_index.set_index("grid_code")
    gc = c["grid_code"]
    has_grid = (gc != "").to_numpy()
    known = gc.isin(grids.index).to_numpy()
    ck.flag(
        "grid_code",
        has_grid & ~known,
        "网格编码不存在, 请先加载网格 (grid_code: not a loaded grid)",
    )
    if has_grid.all():  # the one-row-per-household format with 网格编码: as before
        out = _grid_units(gc, grids, index)
        out.insert(0, "grid_code", gc)
        return out

    present = [f for f in PLACE_FIELDS if table.column_of(f)]
    rest = ~has_grid
    assigned = pd.Series(
        store.assignments(c["household_id"][rest].tolist()) if store.has_assignments() else {},
        dtype=object,
    )
    ag = c["household_id"].map(assigned).where(lambda s: s.isin(grids.index), None)
    if not present and not ag.notna().any():
        raise LoadError(
            table.file,
            [
                Issue(
                    table.file,
                    None,
                    "网格编码",
                    "grid_code",
                    None,
                    "缺少必填列 网格编码, 或 村编码 / 县(市、区、旗)、乡(镇)、行政村 (grid_code: "
                    "required column missing; or village_code, or place names; or load the grid "
                    "assignment first)",
                    table.sheet,
                )
            ],
        )

    out = pd.DataFrame(index=index)
    out["grid_code"] = pd.Series(np.where(known, gc.to_numpy(dtype=object), None), index=index, dtype=object)
    found = _grid_units(gc.where(pd.Series(known, index=index), ""), grids, index)
    for col in UNIT_CODES:
        values = found[col].to_numpy(dtype=object)
        out[col] = pd.Series(np.where(known, values, None), index=index, dtype=object)

    # 2. the village from its code, else from the names
    units: pd.DataFrame | None = None
    vc = c["village_code"]
    by_code = rest & (vc != "").to_numpy()
    place_known = np.zeros(len(index), dtype=bool)
    if by_code.any():
        units = store.units_frame()
        villages = units[units["level"] == "village"].set_index("code")
        ok = by_code & vc.isin(villages.index).to_numpy()
        ck.flag(
            "village_code",
            by_code & ~vc.str.fullmatch(r"\d{12}").to_numpy(),
            "村编码应为12位数字 (village_code: 12 digits)",
        )
        ck.flag(
            "village_code",
            by_code & ~ok & vc.str.fullmatch(r"\d{12}").to_numpy(),
            "村编码不存在, 请先加载网格 (village_code: not a loaded village)",
        )
        rows = np.flatnonzero(ok)
        out.iloc[rows, out.columns.get_loc("village_code")] = vc.iloc[rows].to_numpy()
        for col in ("township_code", "county_code"):
            out.iloc[rows, out.columns.get_loc(col)] = (
                vc.iloc[rows].map(villages[col]).to_numpy()
            )
        place_known |= ok
    named = rest & ~by_code & np.logical_or.reduce([(c[f] != "").to_numpy() for f in NAME_FIELDS])
    if named.any():
        units = store.units_frame() if units is None else units
        codes, reasons = match_names(
            pd.DataFrame({f: c[f] for f in NAME_FIELDS}).iloc[np.flatnonzero(named)],
            PlaceIndex(units),
        )
        for f, why in reasons.items():
            for text in sorted(set(why) - {""}):
                mask = np.zeros(len(index), dtype=bool)
                mask[np.flatnonzero(named)[(why == text).to_numpy()]] = True
                ck.flag(f, mask, text)
        no_village = named & (c["village_name"] == "").to_numpy()
        ck.flag(
            "village_name",
            no_village,
            "行政村名称为空 (village_name: required when the row has no 网格编码 or 村编码)",
        )
        rows = np.flatnonzero(named)
        for col in UNIT_CODES:
            out.iloc[rows, out.columns.get_loc(col)] = codes[col].to_numpy()
        place_known |= named & codes["village_code"].reindex(index).notna().to_numpy()

    # 3. the stored assignment gives the grid where the row has none
    has_ag = rest & ag.notna().to_numpy()
    if has_ag.any():
        ag_units = _grid_units(ag.where(ag.notna(), ""), grids, index)
        same = (ag_units["village_code"] == out["village_code"]).to_numpy()
        use = has_ag & (~(by_code | named) | (place_known & same))
        other = has_ag & place_known & ~same
        for field, mask in (("village_code", other & by_code), ("village_name", other & named)):
            ck.flag(
                field,
                mask,
                "该户的网格分配不在本行的村中: 本月按本行的村计, 未分配网格 (grid assignment: the "
                "assigned grid lies in another village; counted in this row's village, no grid)",
                warning=True,
            )
        rows = np.flatnonzero(use)
        out.iloc[rows, out.columns.get_loc("grid_code")] = ag.iloc[rows].to_numpy()
        for col in UNIT_CODES:
            out.iloc[rows, out.columns.get_loc(col)] = ag_units[col].iloc[rows].to_numpy()
        place_known |= use

    nothing = rest & ~(by_code | named) & ~has_ag
    ck.flag(
        "grid_code",
        nothing,
        "网格编码为空 (grid_code: required when the row gives no 村编码 or 行政村 name and the "
        "household has no grid assignment)",
    )
    return out
