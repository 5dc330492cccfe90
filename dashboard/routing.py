"""Pages and the ways between them: registering a page at its address, and the callbacks that
send the browser to another page through the app's ``dcc.Location`` (``page_frame.NAV_ID``).

A navigation callback stays thin: the page gives a plain function from the trigger's value and
the page's context store to an address (None: stay), which reads nothing but the loaders.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
from dash import Input, Output, State
from dash.exceptions import PreventUpdate

from .page_frame import NAV_ID

SITE_TITLE = "防返贫动态监测"  # after the page's own name in the browser's title


def register_page(
    module: str,
    layout: Callable[..., Any],
    title: str,
    path: str,
    path_template: str | None = None,
    **options: Any,
) -> None:
    """Register a page (``dash.register_page``) at ``path`` (or ``path_template``), titled
    ``<title> · 防返贫动态监测``."""
    dash.register_page(
        module,
        path=path,
        path_template=path_template,
        title=f"{title} · {SITE_TITLE}",
        layout=layout,
        **options,
    )


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
