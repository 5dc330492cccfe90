"""Map parts assembled from the cached loaders: geometry, outline layers, names and the view.

The parts that do not change with the month (``map_base``) name their geometry by URL
(``dashboard.geo``); colours come from the stored figures (``figures.risk_map_figure``).
"""

from __future__ import annotations

from typing import Any

from geodata.model import CHILD_LEVEL, Unit

from . import figures, map_detail
from .data import Loaders
from .geo import geojson_url, outline_source
from .links import unit_href


def short_name(name: str, parent_name: str | None) -> str:
    """A name without its parent's name in front (五家子村第1网格 -> 第1网格)."""
    if parent_name and name.startswith(parent_name) and len(name) > len(parent_name):
        return name[len(parent_name) :]
    return name


def child_labels(loaders: Loaders, code: str) -> list[dict[str, Any]]:
    """Names of a unit's children at their label points; bigger units win collisions."""
    unit = loaders.unit(code)
    parent_name = unit.name if unit is not None else None
    return [
        {
            "t": short_name(child["name"], parent_name),
            "lon": child["label_lon"],
            "lat": child["label_lat"],
            "p": round(child["area_km2"] or 0, 3),
        }
        for child in loaders.child_rows(code)
        if child["label_lon"] is not None
    ]


def unit_view(loaders: Loaders, unit: Unit) -> dict[str, Any]:
    """Centre and zoom fitting a unit's outline (cached)."""
    return loaders.memo(
        "view",
        (unit.code,),
        lambda: figures.fit_view(figures.bounds(loaders.features(unit.level, unit.code))),
    )


def map_base(loaders: Loaders, unit: Unit, level: str) -> dict[str, Any]:
    """Everything of a unit's map that does not change with the month.

    ``features``: the shapes of ``level`` inside the unit without their geometry
    (``Loaders.feature_index``: codes and names, in the order of the outlines); ``geojson``:
    the outlines' URL, which the figure carries instead of the geometry itself (built when
    that URL is asked for, not with the page); ``outlines``: line layers of the child units and the unit itself (URLs too);
    ``labels``: the children's names; ``view``: centre and zoom fitting the unit.
    """
    outlines = []
    child = CHILD_LEVEL.get(unit.level)
    if child and level != child:
        outlines.append(
            figures.outline_layer(outline_source(loaders, child, unit.code), "#3a3a3a", 1.3)
        )
    outlines.append(
        figures.outline_layer(outline_source(loaders, unit.level, unit.code), "#111111", 2.4)
    )
    return {
        "features": loaders.feature_index(level, unit.code),
        "geojson": geojson_url(loaders, level, unit.code),
        "outlines": outlines,
        "labels": loaders.memo("labels", (unit.code,), lambda: child_labels(loaders, unit.code)),
        "view": unit_view(loaders, unit),
    }


def map_geometry_urls(loaders: Loaders, unit: Unit) -> list[str]:
    """The geometry the map of ``unit``'s page fetches by URL, for its index page to preload:
    the shapes of the level it opens on (``map_detail.default_level``: the grids of a county,
    the counties of a province); a grid's page, the grids of its village."""
    if unit.level == "grid":
        return [geojson_url(loaders, "grid", unit.village_code or unit.code)]
    level = map_detail.default_level(unit, map_detail.unit_counts(loaders, unit))
    return [geojson_url(loaders, level, unit.code)]


def drill_targets(loaders: Loaders, unit: Unit, level: str) -> dict[str, str]:
    """For the map of ``unit`` showing ``level``: each shape's code -> the page a click on it
    opens (without the month), that of its ancestor one level below ``unit`` (a grid of the
    county's map opens its township). At a click the browser starts fetching the next unit's
    geometry from this (``layout.meta.drill``, ``assets/riskgrid.js``) while the page's drill
    callback (``pages.unit_changes.drilled``) makes its figure, checking the user's area. Cached per unit and level; read by index
    (``Store.child_of_shapes``), not from every unit."""
    child = CHILD_LEVEL.get(unit.level)

    def compute() -> dict[str, str]:
        if child is None:
            return {}
        return {
            code: unit_href({"level": child, "code": above}, None)
            for code, above in loaders.child_of_shapes(unit.code, level).items()
        }

    return loaders.memo("drill", (unit.code, level), compute)
