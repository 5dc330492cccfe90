"""What a click or a selector changes on a unit's page: a drill-down (the unit below in place,
or a grid's page), another month, another level or measure on the map. Plain functions of the
callbacks' values, read through the user's loaders."""

from __future__ import annotations

from typing import Any

import dash
from dash.exceptions import PreventUpdate

from geodata.model import CHILD_LEVEL, Unit

from .. import cards, links, measures, routing
from ..data import get_loaders
from ..unit_map import map_update
from .unit_parts import (
    PART_IDS,
    STALE_CLASS,
    URL_ID,
    details,
    header_parts,
    map_view,
    unit_parts,
)


def drill_target(code: str, clicked: str | None) -> Unit | None:
    """The unit a click on the map of unit ``code`` opens: the clicked unit's ancestor one
    level below ``code`` (a township from the county's grid map), or None."""
    if not clicked:
        return None
    loaders = get_loaders()
    unit, target = loaders.unit(code), loaders.unit(clicked)
    if unit is None or target is None or unit.level not in CHILD_LEVEL:
        return None
    child = CHILD_LEVEL[unit.level]
    if target.level != child:
        ancestor = getattr(target, f"{child}_code", None)
        target = loaders.unit(ancestor) if ancestor else None
    if target is None or getattr(target, f"{unit.level}_code", None) != unit.code:
        return None
    return target


def drill_href(code: str, clicked: str | None, month: str | None) -> str | None:
    """The address of ``drill_target``'s unit in ``month``, or None."""
    target = drill_target(code, clicked)
    return links.unit_href(target, month) if target is not None else None


def drilled(
    code: str, clicked: str | None, month: str, level: str, measure: str | None
) -> tuple[Any, ...]:
    """Outputs of a click on the map of unit ``code`` (showing ``level``): the unit below shown
    in place, or for a grid the address alone (its page is another page); nothing for a click
    on nothing.

    Returns (href, in place, context, map view, data-unit, data-month, the level selector's
    value, then the ``PART_IDS``); the level's value only when it changes (setting it calls
    ``_on_map``, which the map view then tells the map is drawn already).
    """
    loaders = get_loaders()
    if not isinstance(clicked, str) or loaders.resolve_month(month) != month:
        raise PreventUpdate  # a click on nothing, a month that is none (a forged request)
    target = drill_target(code, clicked)
    if target is None:
        raise PreventUpdate
    href = links.unit_href(target, month)
    if target.level == "grid":
        return (href, *[dash.no_update] * (6 + len(PART_IDS)))
    parts = unit_parts(loaders, target, month, measures.measure(measure).key)
    return (
        href,
        routing.in_place(href),
        {"code": target.code, "month": month},
        map_view(target.code, parts["level"], measure, month),
        target.code,
        month,
        parts["level"] if parts["level"] != level else dash.no_update,
        *(parts[k] for k, _ in PART_IDS),
    )


def month_changed(
    code: str,
    dropdown_month: str | None,
    search: str | None,
    shown_month: str,
    trigger: str | None,
    level: str,
    measure: str | None,
) -> tuple[Any, ...]:
    """Outputs of a month change: from the dropdown, or from Back/Forward changing ``?month=``.

    Returns (url search, dropdown value, context, breadcrumb, cards, details (for
    ``DETAILS_LATER``: shown once the map is patched), their box's class, map patch, legend,
    map view), ``no_update`` where nothing changes. Only a choice in the dropdown
    writes the URL (a new history entry).
    """
    loaders = get_loaders()
    unit = loaders.unit(code)
    if unit is None:
        raise PreventUpdate
    month, new_search, dropdown = links.month_choice(
        loaders, dropdown_month, search, shown_month, trigger == URL_ID
    )
    if month == shown_month:
        return (new_search, dropdown, *[dash.no_update] * 8)
    return (
        new_search,
        dropdown,
        {"code": unit.code, "month": month},
        header_parts(loaders, unit, month),
        cards.stat_cards(loaders.stats(unit.code, month)),
        details(loaders, unit, month),
        STALE_CLASS,
        *month_map(unit.code, level, measure, month),
    )


def month_map(code: str, level: str, measure: str | None, month: str) -> tuple[Any, ...]:
    """The map's patch, legend and view for another month (nothing for a level it cannot
    show)."""
    try:
        patch, legend = map_update(code, level, measure, month, full=False)
    except PreventUpdate:
        return dash.no_update, dash.no_update, dash.no_update
    return patch, legend, map_view(code, level, measure, month)


def map_changed(
    code: str, level: str, measure: str | None, month: str, shown: dict[str, str] | None
) -> tuple[Any, ...]:
    """Outputs of the level or measure selector: the map (a new figure for another level, a
    patch for another measure), its legend and view; nothing when the map shows that already
    (a drill-down that set the level)."""
    view = map_view(code, level, measure, month)
    shown = shown if isinstance(shown, dict) else None  # as sent: anything, when forged
    if shown == view:
        raise PreventUpdate
    full = shown is None or shown.get("level") != level or shown.get("code") != code
    return (*map_update(code, level, measure, month, full=full), view)
