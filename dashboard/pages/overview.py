"""The overview, ``/?month=YYYY-MM``: the unit page of the user's home unit.

County leaders (and admin: the first county) see every grid coloured by its open risk level, the
township outlines and names, the headline figures, the charts and the township ranking; a
township or village account sees its own township or village. Its callbacks are the unit page's.
"""

from __future__ import annotations

from typing import Any

import dash
from dash.development.base_component import Component

from .. import messages, routing
from . import unit as unit_page
from .unit import unit_layout


@messages.refuse_denied
def layout(month: str | None = None, **_: Any) -> Component:
    """Dash page layout: ``/?month=``, the user's home unit."""
    return unit_layout(None, month)


def register(app: dash.Dash) -> None:
    """Register the page on ``app`` (the callbacks are registered by ``unit``)."""
    routing.register_page(
        "dashboard.pages.overview", layout, "县域总览", "/", order=0, preload=unit_page.preload
    )
