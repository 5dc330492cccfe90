"""``riskgrid export``: a unit's grids with their figures as a GeoPackage, and its figures
(and, for the roles that see households, the masked household list) as Excel.

Everything is read through ``geodata.access.ScopedStore`` as one principal: a unit outside its
area is refused before anything is read, household rows are masked and logged as a look, and
each file written is logged as an export in the audit log.
"""

from __future__ import annotations

from pathlib import Path

from geodata.access import ScopedStore
from geodata.model import LEVEL_LABELS

from .briefing_names import file_stem
from .export_files import write_gpkg, write_xlsx
from .export_tables import HEADINGS, figures_frame, figures_layer, household_table, levels_below

FORMATS = ("gpkg", "xlsx")
LAYER_NAMES = {
    "grid": "grids",
    "village": "villages",
    "township": "townships",
    "county": "counties",
    "city": "cities",
    "province": "provinces",
}
HOUSEHOLD_SHEET = "农户名单(已脱敏)"


def export_gpkg(scoped: ScopedStore, code: str, month: str, out: Path) -> Path:
    """The unit and every unit below it, a layer per level (``grids`` first), each feature
    with its figures of ``month``, as ``OUT/<code>_<name>_<month>.gpkg``."""
    unit = scoped.check(code)
    store = scoped.store
    layers = {
        LAYER_NAMES[level]: figures_layer(store, level, month, unit.code)
        for level in reversed(levels_below(unit.level))
    }
    path = write_gpkg(out / f"{file_stem(store, unit.code, month)}.gpkg", layers)
    counts = ", ".join(f"{name} {len(layer)}" for name, layer in layers.items())
    scoped.log_export(f"export gpkg {month} {counts}", unit.code)
    return path


def export_xlsx(scoped: ScopedStore, code: str, month: str, out: Path) -> Path:
    """The figures of the unit and of every unit below it (a sheet per level, the unit's own
    first) and, when the principal may see households, the unit's households of ``month``,
    masked, as ``OUT/<code>_<name>_<month>.xlsx``."""
    unit = scoped.check(code)
    store = scoped.store
    sheets = {}
    for level in levels_below(unit.level):
        frame = figures_frame(store, level, month, unit.code)
        sheets[LEVEL_LABELS[level]] = frame.rename(columns=HEADINGS)
    households = 0
    if scoped.principal.sees_households:
        rows = household_table(scoped.households(unit.code, month))  # masked, logged
        sheets[HOUSEHOLD_SHEET] = rows
        households = len(rows)
    path = write_xlsx(out / f"{file_stem(store, unit.code, month)}.xlsx", sheets)
    units = sum(len(f) for name, f in sheets.items() if name != HOUSEHOLD_SHEET)
    scoped.log_export(f"export xlsx {month} {units} units {households} households", unit.code)
    return path
