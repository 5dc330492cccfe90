"""The county overview, ``/?month=YYYY-MM``: the county's unit page (``/unit/<county code>``).

County leaders see every grid coloured by its open risk level, the township outlines and names,
the headline figures, the charts and the township ranking. Its callbacks are the unit page's.
"""

from __future__ import annotations

from typing import Any

import dash
from dash.development.base_component import Component

from .unit import unit_layout


def layout(month: str | None = None, **_: Any) -> Component:
    """Dash page layout: ``/?month=``, the default county."""
    return unit_layout(None, month)


def register(app: dash.Dash) -> None:
    """Register the page on ``app`` (the callbacks are registered by ``unit``)."""
    dash.register_page(
        "dashboard.pages.overview",
        path="/",
        title="县域总览 · 防返贫动态监测",
        layout=layout,
        order=0,
    )
