"""The figures of a unit from those of disjoint parts of it: a city's or province's from its
counties'.

Every count of ``figures.compute_month`` is a sum over households (or signals, sites and grids),
and each household lies in one county, so a unit's counts are the sums of its counties' counts,
exactly. What is not a count follows from the summed counts as ``compute_month`` computes it:
the rates (``clearance_rate``, ``monitored_share``, ``sites.employment_coverage``) are the same
quotients of the same integers, and ``risk_level`` is the highest of the parts'. ``lines`` (the
policy the figures were computed under) is the caller's to set.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .figures import _ratio, empty_figures
from .model import RISK_RANK

_DERIVED = {"clearance_rate", "monitored_share", "risk_level", "lines"}


def _add(into: dict[str, Any], part: dict[str, Any]) -> None:
    """Add the counts of ``part`` into ``into`` (nested dicts of integers), key by key."""
    for key, value in part.items():
        if key in _DERIVED or key == "employment_coverage":
            continue
        if isinstance(value, dict):
            _add(into.setdefault(key, {}), value)
        elif isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"figure {key!r} is not a count: {value!r}")
        else:
            into[key] = into.get(key, 0) + value


def roll_up(parts: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The figures of the union of ``parts`` (figures dicts of disjoint units, as stored)."""
    fig = empty_figures()
    fig["grids"] = 0
    rank = 0
    for part in parts:
        _add(fig, part)
        rank = max(rank, RISK_RANK[part.get("risk_level", "none")])
    mon, elim = fig["monitored"], fig["eliminated"]
    fig["clearance_rate"] = {
        "households": _ratio(elim["households"], mon["households"]),
        "persons": _ratio(elim["persons"], mon["persons"]),
    }
    fig["monitored_share"] = {"persons": _ratio(mon["persons"], fig["persons"])}
    sites = fig["sites"]
    sites["employment_coverage"] = _ratio(
        sites["employed_households"], sites["households_with_labour"]
    )
    fig["risk_level"] = {v: k for k, v in RISK_RANK.items()}[rank]
    return fig
