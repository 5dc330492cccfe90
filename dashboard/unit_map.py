"""The risk map of a unit's page: its figure (the units of one level inside the unit coloured by
a measure, the child units outlined and named, where a click leads), the patch of a month or
measure change, and the legend's counts. Plain functions of the cached loaders.
"""

from __future__ import annotations

from typing import Any

from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from geodata.model import CHILD_LEVEL, Unit

from . import cards, map_detail, map_figures, measures
from .data import Loaders, get_loaders, get_settings
from .geo import geojson_url
from .maps import drill_targets, map_base


def map_levels(loaders: Loaders, unit: Unit) -> list[str]:
    """The levels a unit's map may show: those below it with at most ``MAX_SHAPES`` shapes
    inside it (``map_detail``)."""
    return map_detail.allowed_levels(loaders, unit)


def unit_map(
    loaders: Loaders, unit: Unit, level: str, measure: str | None, month: str
) -> tuple[dict[str, Any], list[int]]:
    """The full map figure of a unit and the legend's counts per colour class;
    ``map_detail.TooManyShapes`` for a level with more than ``MAX_SHAPES`` shapes in it."""
    map_detail.check_level(loaders, unit, level)
    base = map_base(loaders, unit, level)
    how = measures.measure(measure)
    stored = map_figures_of(loaders, unit, level, month, how)
    fig = map_figures.risk_map_figure(
        base["features"],
        stored,
        how,
        outlines=base["outlines"],
        labels=base["labels"],
        view=base["view"],
        tile_url=get_settings().tile_url,
        revision=f"{unit.code}:{level}",
        line_width=0.3 if (unit.level, level) == ("county", "grid") else 0.6,  # 973 small grids
        geojson=base["geojson"],
    )
    # where a click leads: the browser fetches the next unit's grids at the click
    fig["layout"]["meta"]["drill"] = drill_targets(loaders, unit, level)
    fig["layout"]["meta"]["next_geo"] = next_geometry(loaders, unit)
    return fig, measures.class_counts(fig["data"][0]["z"], how)


def next_geometry(loaders: Loaders, unit: Unit) -> str | None:
    """The geometry URL (with ``{code}``) of the level the pages one level down open on: a
    county's townships open on grids, a province's cities on their townships."""
    child = CHILD_LEVEL.get(unit.level)
    if child is None:
        return None
    return geojson_url(loaders, map_detail.PREFERRED_LEVEL.get(child, map_detail.FINEST), "{code}")


def map_figures_of(
    loaders: Loaders, unit: Unit, level: str, month: str, how: measures.Measure
) -> dict[str, dict[str, Any]]:
    """The stored figures of the map's units; coloured by the problem list, each with its
    count of open problems (of the latest month) as ``open_problems``."""
    stored = loaders.level_figures(level, month, unit.code)
    if how.key != "problems":
        return stored
    counts = loaders.problem_map_counts(level, unit.code)
    return {
        code: {**figures, "open_problems": counts.get(code, 0)} for code, figures in stored.items()
    }


def map_update(
    code: str, level: str, measure: str | None, month: str, *, full: bool
) -> tuple[Any, Component]:
    """The map's new figure (``full``: another level, new geometry) or a patch, and its legend."""
    loaders = get_loaders()
    unit = loaders.unit(code)
    if unit is None or level not in map_levels(loaders, unit):  # too many shapes: refused
        raise PreventUpdate
    how = measures.measure(measure)
    if full:
        fig, counts = unit_map(loaders, unit, level, measure, month)
        return fig, cards.map_legend(how, counts, level)

    def values() -> tuple[list[int], list[list[str]]]:
        features = map_base(loaders, unit, level)["features"]
        return map_figures.map_values(
            map_figures.feature_codes(features),
            map_figures_of(loaders, unit, level, month, how),
            map_figures.feature_names(features),
            how,
        )

    # the same colours and hover rows for everyone who may see the unit: cached (by the
    # problem list's state too when coloured by it)
    key = (unit.code, level, how.key, month)
    if how.key == "problems":
        key += (loaders.store.problems_stamp(),)
    z, custom = loaders.memo("map-values", key, values)
    legend = cards.map_legend(how, measures.class_counts(z, how), level)
    return map_figures.map_patch(z, custom, how), legend
