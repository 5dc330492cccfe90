"""The demo's orchestration: one seeded generator drawn through the geography, the households, the
sites and the monitoring in a fixed order, then the files written."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .files import _write_grids, _write_sites
from .geography import build_geography
from .incomes import _base_incomes
from .members import _build_members
from .monitoring import _monitor
from .months import _month_ordinal, _month_text
from .national import MemberExport, _month_end, _write_assignments
from .parameters import FILE_PREFIX
from .planted import _plant
from .population import _locate, _settle
from .signals import _write_warnings
from .sites import _resettle
from .snapshots import _write_snapshots
from .summary import _write_summary

LAYOUTS = ("national", "households")


@dataclass
class DemoFiles:
    """The files ``generate_demo`` wrote: grids, (month, path) per snapshot, sites, warnings and
    (national layout) the grid assignment; ``layout`` that of the snapshots."""

    directory: Path
    grids: Path
    households: list[tuple[str, Path]]
    sites: Path
    summary: dict = field(default_factory=dict)
    warnings: Path | None = None
    assignments: Path | None = None
    layout: str = "national"


def generate_demo(
    out_dir: Path,
    *,
    seed: int = 2026,
    months: int = 12,
    end_month: str = "2026-10",
    households: int = 80_000,
    grids: int = 973,
    villages: int = 197,
    communities: int = 11,
    townships: int = 10,
    monitoring_line: float = 7100.0,
    observation_line: float = 8122.0,
    layout: str = "national",
) -> DemoFiles:
    """Write the demo county's grids, monthly household snapshots and sites into ``out_dir``.

    ``layout="national"`` (the default) writes each snapshot as the national system's export, a
    row per family member with the place by names, and the grid assignment table beside them;
    ``layout="households"`` a row per household with its 网格编码 (the data contract's layout).
    The households and every figure are the same in both."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    end = _month_ordinal(end_month)
    if months < 1:
        raise ValueError("months must be at least 1")
    if townships < 1 or villages < townships or communities < 0:
        raise ValueError("need townships >= 1, villages >= townships, communities >= 0")
    if grids < villages + communities:
        raise ValueError("need at least one grid per village and community")
    if households < grids:
        raise ValueError("need at least one household per grid")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    # the order of the draws below is the demo: changing it changes every file
    rng = np.random.default_rng(seed)
    geo = build_geography(
        rng, grids=grids, villages=villages, communities=communities, townships=townships
    )
    people = _settle(rng, geo.grids, households)
    moved = _resettle(rng, geo.sites, geo.grids, people)
    base = _base_incomes(rng, people, monitoring_line, observation_line)
    monitored = _monitor(
        rng, geo.villages, geo.grids, people, moved.relocated, base, end, observation_line
    )
    lon, lat = _locate(rng, geo.grids, people.grid_of)
    growth = rng.normal(0.004, 0.002, households)  # a little every month

    grids_path = out_dir / f"{FILE_PREFIX}_grids.gpkg"
    sites_path = out_dir / f"{FILE_PREFIX}_sites.csv"
    summary_path = out_dir / f"{FILE_PREFIX}_summary.json"
    warnings_path = out_dir / f"{FILE_PREFIX}_warnings.csv"
    _write_grids(geo.grids, grids_path, end_month)
    _write_sites(moved.sites, sites_path)
    month_list = [int(o) for o in range(end - months + 1, end + 1)]
    export, assignments_path, national = None, None, {}
    # generators of their own: the draws above stay as they are. The members come from the
    # households as drawn, the problems are planted after them (labour as either layout reads it)
    members = _build_members(
        seed,
        people.persons,
        people.head_name,
        people.id_number,
        moved.labor,
        moved.relocated,
        monitored,
        reference=np.datetime64(_month_end(end_month)),
        latest=np.datetime64(f"{_month_text(month_list[0])}-01") - np.timedelta64(1, "D"),
    )
    monitored = _plant(
        seed,
        monitored,
        members,
        moved.labor,
        people.persons,
        end=end,
        monitoring_line=monitoring_line,
    )
    if layout == "national":
        export = MemberExport(members, geo.grids, people.grid_of, moved.employed)
        assignments_path = out_dir / f"{FILE_PREFIX}_assignments.csv"
        grid_code = geo.grids["grid_code"].to_numpy().astype(object)[people.grid_of]
        left_out = _write_assignments(seed, people.household_id, grid_code, assignments_path)
        national = {
            "layout": layout,
            "member_rows": len(members),
            "unassigned_households": int(left_out.sum()),
            "unassigned_persons": int(people.persons[left_out].sum()),
            "assignments_file": assignments_path.name,
        }
    elif (out_dir / f"{FILE_PREFIX}_assignments.csv").exists():
        (out_dir / f"{FILE_PREFIX}_assignments.csv").unlink()  # of an earlier national demo
    paths = _write_snapshots(
        rng,
        out_dir,
        month_list,
        end=end,
        grids=geo.grids,
        people=people,
        moved=moved,
        monitored=monitored,
        lon=lon,
        lat=lat,
        base=base,
        growth=growth,
        export=export,
    )
    warning_count = _write_warnings(
        seed, month_list, people.household_id, people.id_number, monitored, warnings_path
    )
    summary = _write_summary(
        summary_path,
        seed=seed,
        end=end,
        monitoring_line=monitoring_line,
        observation_line=observation_line,
        geo=geo,
        people=people,
        moved=moved,
        monitored=monitored,
        files={"grids": grids_path, "sites": sites_path, "warnings": warnings_path},
        households=paths,
        warnings=warning_count,
        national=national,
    )
    return DemoFiles(
        out_dir, grids_path, paths, sites_path, summary, warnings_path, assignments_path, layout
    )
