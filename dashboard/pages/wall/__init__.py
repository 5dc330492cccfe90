"""The map wall, ``/wall``: the county on a large screen, readable from across the room.

A full-screen dark page for 1920x1080 and 3840x2160 screens (sizes in vw/vh and ``clamp()``, see
``assets/wall.css``): the grid map of the county (or a township) fills most of the screen, beside
the headline figures (monitored, open red / yellow / blue, the clearance rate, identified and
eliminated this month), the main causes and the monthly trend, with the time the data was loaded
(数据截至) and a clock. Every figure is a stored one (``Store.stats``, ``level_stats``, ``trend``)
read through the app's cached loaders; no household is read, so no name or ID number can show.

It runs unattended:

- every ``settings.wall_refresh_seconds`` a ``dcc.Interval`` refreshes the figures in place: the
  map's colours by a ``Patch`` (the geometry is never sent again), the cards and charts as new
  children; no page reload, no loading spinner;
- with ``?tour=1`` it shows the county, then each township by code, ``settings.wall_tour_seconds``
  each, round and round;
- a discreet selector in the bottom-left corner picks the county or a township (``?unit=CODE``);
- when the database cannot be reached it keeps the last good figures and shows
  数据连接中断，显示的是 HH:MM 的数据, until a refresh succeeds again; when the server itself does
  not answer, the browser shows a similar warning (``assets/wall.js``);
- after ``settings.wall_reload_hours`` the browser reloads the page, which keeps its memory bounded.

The map's view is fitted to the map's real size on the screen: the browser reports the size
(``wall-size``), the server answers with a new centre and zoom (a ``Patch`` too).
"""

from __future__ import annotations

import dash

from .callbacks import register_callbacks
from .content import refresh_result
from .ids import (
    BACKGROUND,
    CLOCK,
    CTX,
    DATA_OUTPUTS,
    MAP,
    PATH,
    REFRESH,
    RELOAD,
    SELECT,
    SIZE,
    STALE_OUTPUTS,
    TITLE,
    TOP_CAUSES,
    TOUR,
)
from .layout import layout, wall_config, wall_layout
from .parts import causes_bars, map_colours, tour_next, tour_order, wall_map

# the wall's names the app and the tests reach through ``dashboard.pages.wall``
__all__ = [
    "BACKGROUND",
    "CLOCK",
    "CTX",
    "DATA_OUTPUTS",
    "MAP",
    "PATH",
    "REFRESH",
    "RELOAD",
    "SELECT",
    "SIZE",
    "STALE_OUTPUTS",
    "TITLE",
    "TOP_CAUSES",
    "TOUR",
    "causes_bars",
    "layout",
    "map_colours",
    "refresh_result",
    "register",
    "tour_next",
    "tour_order",
    "wall_config",
    "wall_layout",
    "wall_map",
]


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks on ``app``."""
    dash.register_page(
        "dashboard.pages.wall", path=PATH, title=f"{TITLE} · 大屏", layout=layout, order=90
    )
    register_callbacks(app)
