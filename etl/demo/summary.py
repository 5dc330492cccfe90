"""The summary of a generated demo: what it holds, in figures, and its files (a JSON file)."""

from __future__ import annotations

import json
from pathlib import Path

from geodata.model import CATEGORIES, RISK_LABELS, RISK_LEVELS

from .geography import Geography
from .monitoring import Monitored
from .parameters import COUNTY_CODE, COUNTY_NAME, DEMO_NOTE
from .population import Population
from .sites import Resettlement


def _write_summary(
    path: Path,
    *,
    seed: int,
    end: int,
    monitoring_line: float,
    observation_line: float,
    geo: Geography,
    people: Population,
    moved: Resettlement,
    monitored: Monitored,
    files: dict[str, Path],
    households: list[tuple[str, Path]],
    warnings: int,
    national: dict | None = None,
) -> dict:
    """The figures as of ``end`` (the last month) into ``path``; returns them. ``files`` names the
    grid, site and warning files; ``households`` is (month, path) per snapshot. ``national``
    (the national layout's) adds the layout, the member rows and the households the grid
    assignment leaves out: they count in their village, township and county but in no grid."""
    persons, lifted, relocated = people.persons, people.lifted, moved.relocated
    mon, mcat, risk = monitored.households, monitored.category, monitored.risk
    on, cleared = monitored.status(end)
    cleared = cleared & on
    mon_persons = persons[mon]
    G, N = len(geo.grids), len(people.grid_of)
    summary = {
        "note": DEMO_NOTE,
        "county_code": COUNTY_CODE,
        "county_name": COUNTY_NAME,
        "demo": True,
        "seed": seed,
        "months": [m_ for m_, _ in households],
        "monitoring_line": monitoring_line,
        "observation_line": observation_line,
        "townships": int(len(geo.townships)),
        "villages": int((geo.villages["village_kind"] != "社区").sum()),
        "communities": int((geo.villages["village_kind"] == "社区").sum()),
        "grids": int(G),
        "grid_workers": int(G),
        "households": int(N),
        "persons": int(persons.sum()),
        "lifted_households": int(lifted.sum()),
        "monitored_households": int(on.sum()),
        "monitored_persons": int(mon_persons[on].sum()),
        "eliminated_households": int(cleared.sum()),
        "eliminated_persons": int(mon_persons[cleared].sum()),
        "monitored_by_category": {
            c: int((on & (mcat == i)).sum()) for i, c in enumerate(CATEGORIES)
        },
        "monitored_by_risk": {
            lvl: int((on & (risk == RISK_LABELS[lvl])).sum()) for lvl in (*RISK_LEVELS, "none")
        }
        | {"computed": int((on & (risk == "")).sum())},
        "sites": int(len(moved.sites)),
        "relocated_households": int(relocated.sum()),
        "relocated_persons": int(persons[relocated].sum()),
        "warnings": warnings,
        "files": {name: p.name for name, p in files.items()}
        | {"households": [p.name for _, p in households]},
    }
    summary["monitored_by_risk"].pop("none")
    if national:
        national = dict(national)
        summary["files"]["assignments"] = national.pop("assignments_file")
        summary |= national
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return summary
