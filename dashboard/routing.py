"""Pages and the ways between them: registering a page at its address (titled by the unit or
household it shows, read through the user's scoped loaders), and the callbacks that send the
browser to another page through the app's ``dcc.Location`` (``page_frame.NAV_ID``).

A navigation callback stays thin: the page gives a plain function from the trigger's value and
the page's context store to an address (None: stay), which reads nothing but the loaders.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import dash
from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from geodata.access import AccessDenied
from geodata.model import Unit

from . import initial_page
from .data import get_loaders
from .page_frame import INPLACE_ID, NAV_ID

SITE_TITLE = "防返贫动态监测"  # after the page's own name in the browser's title

log = logging.getLogger(__name__)


def register_page(
    module: str,
    layout: Callable[..., Any],
    title: str,
    path: str,
    path_template: str | None = None,
    *,
    name: Callable[..., str | None] | None = None,
    preload: Callable[..., list[str]] | None = None,
    **options: Any,
) -> None:
    """Register a page (``dash.register_page``) at ``path`` (or ``path_template``), titled
    ``<title> · 防返贫动态监测``; with ``name`` (a function of the path variables: the page's
    unit or household, see ``unit_name``) titled ``<name> · 防返贫动态监测``, and ``<title> ·
    防返贫动态监测`` where it gives None. ``preload`` (a function of the path variables and
    query parameters) names the geometry URLs the page's map fetches, preloaded by its index
    page (``initial_page.preload_links``)."""
    if preload is not None:
        initial_page.PRELOADS[module] = preload
    dash.register_page(
        module,
        path=path,
        path_template=path_template,
        title=f"{title} · {SITE_TITLE}" if name is None else named_title(title, name),
        layout=unless_shown_in_place(layout),
        **options,
    )


# ---------------------------------------------------------------------- shown in place
# A drill-down from a unit's map to the unit below changes the page in place (its map is
# patched, not made anew: a new map costs most of a drill's time) and then sets the address,
# for the history, a bookmark and Back. Setting the address calls Dash's router, which would
# render the whole page again; ``in_place(href)`` (an output of the drill into INPLACE_ID, one
# of the router's inputs: ``ROUTER_INPUTS``) tells it the address is shown already, and the
# router then only sets the title. Its next run, whatever the address, clears the store.
ROUTER_INPUTS = {"inplace": State(INPLACE_ID, "data")}  # Dash(routing_callback_inputs=...)


def in_place(href: str) -> dict[str, str]:
    """The INPLACE_ID store's value for a page shown in place at ``href`` (path and query)."""
    parts = urlsplit(href)
    return {"path": parts.path or "/", "search": f"?{parts.query}" if parts.query else ""}


def unless_shown_in_place(layout: Callable[..., Any]) -> Callable[..., Any]:
    """A page's layout function for the router: ``no_update`` (the page stays as it is) when
    the router's address is the one a callback has just shown in place."""

    @functools.wraps(layout)
    def page(*args: Any, inplace: Any = None, **variables: Any) -> Any:
        # the store as the browser sends it: anything at all from a forged request
        if isinstance(inplace, dict) and initial_page.router_address() == (
            inplace.get("path"),
            inplace.get("search", ""),
        ):
            return dash.no_update
        return layout(*args, **variables)

    return page


def register_in_place(app: dash.Dash) -> None:
    """Clear the shown-in-place store after each run of the router (its title output)."""
    app.clientside_callback(
        "function () { return null; }",
        Output(INPLACE_ID, "data", allow_duplicate=True),
        Input(initial_page.STORE_ID, "data"),
        prevent_initial_call=True,
    )


def named_title(neutral: str, name: Callable[..., str | None]) -> Callable[..., str]:
    """A page title Dash computes from the path variables (``dash.register_page`` takes a
    function for ``title``): ``name(**variables)``, or ``neutral`` when it gives None, is
    refused or fails: a title never breaks a page, and never names what the user may not see."""

    def title(**variables: Any) -> str:
        try:
            named = name(**variables)
        except AccessDenied:
            named = None  # outside the area: as unknown
        except Exception as exc:  # a title is not worth a broken page
            log.warning("page title of %s: %s: %s", variables, type(exc).__name__, exc)
            named = None
        return f"{named or neutral} · {SITE_TITLE}"

    return title


def _scoped_unit(code: str | None) -> Unit | None:
    """The unit ``code`` through the current user's cached loaders: None when unknown;
    ``AccessDenied`` outside the user's area (and without a user)."""
    if not code or code == "none":
        return None
    return get_loaders().unit(code)


def unit_name(code: str | None = None, **_: Any) -> str | None:
    """The title of a unit's page: ``<name> · <level>`` (音德尔镇 · 乡镇); None when unknown or
    outside the user's area."""
    unit = _scoped_unit(code)
    return f"{unit.name} · {unit.level_label}" if unit else None


def grid_name(code: str | None = None, **_: Any) -> str | None:
    """The title of a grid's page: ``<name> · 网格``; None for anything but a grid of the area."""
    unit = _scoped_unit(code)
    return f"{unit.name} · {unit.level_label}" if unit and unit.level == "grid" else None


def problems_name(code: str | None = None, **_: Any) -> str | None:
    """The title of a unit's problem list: ``<name> · 问题清单``."""
    unit = _scoped_unit(code)
    return f"{unit.name} · 问题清单" if unit else None


def household_name(household_id: str | None = None, **_: Any) -> str | None:
    """The title of a household's page: ``农户 <id>``, for a household of the area the user's
    role may see (checked without reading its record); None otherwise."""
    loaders = get_loaders()
    if not household_id or household_id == "none" or not loaders.sees_households:
        return None
    return f"农户 {household_id}" if loaders.check_household(household_id) else None


def go_to(href: str | None) -> str:
    """``href`` for the app's Location; no update at all (``PreventUpdate``) for None."""
    if href is None:
        raise PreventUpdate
    return href


def clicked_point(click: dict[str, Any] | None) -> dict[str, Any]:
    """The first point of a graph's ``clickData`` ({} for none)."""
    return ((click or {}).get("points") or [{}])[0]


def navigate_on(
    app: dash.Dash,
    trigger: Input,
    ctx_id: str,
    href: Callable[[Any, dict[str, Any]], str | None],
) -> None:
    """Register a callback opening ``href(value, ctx)`` when ``trigger`` changes: ``value`` is
    the trigger's new value, ``ctx`` the page's context store ``ctx_id``; None stays put."""

    @app.callback(
        Output(NAV_ID, "href", allow_duplicate=True),
        trigger,
        State(ctx_id, "data"),
        prevent_initial_call=True,
    )
    def _navigate(value: Any, ctx: dict[str, Any]) -> str:
        return go_to(href(value, ctx))
