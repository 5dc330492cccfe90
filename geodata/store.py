"""The store: the riskgrid database and everything stored in it, in parts.

``Store`` is made of:
- ``geodata.database.Database``: the connections, the single write path (``write()``), meta,
  migrations and the data version;
- ``geodata.records``: SQL per entity (units and their counts per level, households, members, problems, grid assignments, sites, signals,
  loads, 时效 stored per county and month);
- ``geodata.materialize.FiguresPipeline``: the figures of each month, computed under the month's
  policy, stored and recomputed when stale;
- ``geodata.readmodel.ReadModel``: the reads of the stored figures.
Access (``geodata.access.ScopedStore``) wraps it with the one scope check for a principal.
"""

from __future__ import annotations

from .database import (
    Database,
    DatabaseMissing,
    StoreError,
    is_unavailable,
    missing_database,
    normalize_url,
)
from .materialize import FiguresPipeline
from .readmodel import ReadModel
from .records.assignments import AssignmentRecords
from .records.households import HouseholdRecords
from .records.loads import LoadRecords
from .records.members import MemberRecords
from .records.problem_counts import ProblemCounts
from .records.problem_tally import ProblemTally
from .records.problems import ProblemRecords
from .records.signals import SignalRecords
from .records.sites import SiteRecords
from .records.timeliness_rows import TimelinessRows
from .records.unit_counts import UnitCounts
from .records.units import GRID_COLUMNS, UnitRecords

__all__ = [
    "GRID_COLUMNS",
    "DatabaseMissing",
    "Store",
    "StoreError",
    "is_unavailable",
    "missing_database",
    "normalize_url",
]


class Store(
    ReadModel,
    FiguresPipeline,
    UnitRecords,
    UnitCounts,
    HouseholdRecords,
    MemberRecords,
    ProblemRecords,
    ProblemCounts,
    ProblemTally,
    TimelinessRows,
    AssignmentRecords,
    SiteRecords,
    SignalRecords,
    LoadRecords,
    Database,
):
    """The riskgrid database: schema, writes, figures and reads."""
