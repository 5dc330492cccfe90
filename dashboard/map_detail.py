"""Level of detail: which levels a unit's map may draw, so that no view draws more than
``MAX_SHAPES`` shapes (issue 15).

A map of a unit shows the units of one level inside it. The shapes of each level under the unit
are counted in the database (``Store.level_counts``, by index, cached by the data version); a
level with more than ``MAX_SHAPES`` of them is offered in the level selector but disabled, with
a hint saying where it can be seen (网格过多（100,000 个），请进入县查看网格), and a request for it
is refused. A province opens on its counties (the cities outlined), a city on its townships (the
counties outlined), a county and the levels below it on their grids, as before; when the
preferred level has too many shapes the map opens on the finest level that fits.
"""

from __future__ import annotations

from dataclasses import dataclass

from geodata.model import LEVEL_LABELS, LEVELS, Unit

from .data import Loaders

MAX_SHAPES = 5_000
PREFERRED_LEVEL = {"province": "county", "city": "township"}  # the other units: grids
FINEST = "grid"


class TooManyShapes(ValueError):
    """A map asked for a level with more than ``MAX_SHAPES`` shapes inside its unit."""


@dataclass(frozen=True)
class LevelChoice:
    """One level of a unit's map: how many shapes it draws, whether it may be drawn, and the
    hint shown when it may not."""

    level: str
    count: int
    allowed: bool
    hint: str | None


def levels_below(unit: Unit) -> list[str]:
    """The levels below ``unit``: those its map can show."""
    return list(LEVELS[LEVELS.index(unit.level) + 1 :])


def where_to_see(unit: Unit, level: str, counts: dict[str, int]) -> str | None:
    """The level of unit to open to see ``level`` (县 for the grids of a city): the highest level
    below ``unit`` whose units hold on average no more than ``MAX_SHAPES`` of them."""
    total = counts.get(level, 0)
    for above in levels_below(unit):
        if above == level:
            break
        if counts.get(above) and total / counts[above] <= MAX_SHAPES:
            return above
    return None


def too_many_hint(unit: Unit, level: str, counts: dict[str, int]) -> str:
    """网格过多（100,000 个），请进入县查看网格."""
    word = LEVEL_LABELS[level]
    text = f"{word}过多（{counts.get(level, 0):,} 个）"
    above = where_to_see(unit, level, counts)
    return f"{text}，请进入{LEVEL_LABELS[above]}查看{word}" if above else f"{text}，请放大查看"


def choices(unit: Unit, counts: dict[str, int]) -> list[LevelChoice]:
    """Every level below ``unit`` with its shape count, allowed or not (with the hint)."""
    out = []
    for level in levels_below(unit):
        n = counts.get(level, 0)
        ok = n <= MAX_SHAPES
        out.append(LevelChoice(level, n, ok, None if ok else too_many_hint(unit, level, counts)))
    return out


def default_level(unit: Unit, counts: dict[str, int]) -> str:
    """The level a unit's map opens on: the preferred one (counties for a province, townships
    for a city, grids below) when it fits, else the finest level above it that fits, else the
    unit's children."""
    below = levels_below(unit)
    preferred = PREFERRED_LEVEL.get(unit.level, FINEST)
    fitting = [c.level for c in choices(unit, counts) if c.allowed]
    upto = below[: below.index(preferred) + 1]
    for level in reversed(upto):
        if level in fitting:
            return level
    return below[0]


def unit_counts(loaders: Loaders, unit: Unit) -> dict[str, int]:
    """The shapes per level under ``unit`` (cached by the data version)."""
    return loaders.level_counts(unit.code)


def check_level(loaders: Loaders, unit: Unit, level: str) -> None:
    """Refuse (``TooManyShapes``) a map of ``unit`` by ``level`` with more than ``MAX_SHAPES``
    shapes."""
    counts = unit_counts(loaders, unit)
    if counts.get(level, 0) > MAX_SHAPES:
        raise TooManyShapes(too_many_hint(unit, level, counts))


def allowed_levels(loaders: Loaders, unit: Unit) -> list[str]:
    """The levels the map of ``unit`` may draw."""
    return [c.level for c in choices(unit, unit_counts(loaders, unit)) if c.allowed]


def level_options(unit_choices: list[LevelChoice]) -> list[dict[str, object]]:
    """The level selector's options: a level with too many shapes disabled."""
    return [
        {"label": LEVEL_LABELS[c.level], "value": c.level, "disabled": not c.allowed}
        for c in unit_choices
    ]
