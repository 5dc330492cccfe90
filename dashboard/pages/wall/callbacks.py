"""The wall's callbacks: refresh, tour, size, selector, clock and reload (thin: the work is in
``content``)."""

from __future__ import annotations

from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State

from ...callback_guard import checked_ctx
from .content import (
    refresh_result,
)
from .ids import (
    CLOCK,
    CTX,
    DATA_OUTPUTS,
    REFRESH,
    RELOAD,
    SELECT,
    SIZE,
    STALE_OUTPUTS,
    TOUR,
)
from .parts import (
    map_size,
)


# ---------------------------------------------------------------------- callbacks
def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        *[Output(i, p) for i, p in DATA_OUTPUTS],
        *[Output(i, p) for i, p in STALE_OUTPUTS],
        Input(REFRESH, "n_intervals"),
        Input(TOUR, "n_intervals"),
        Input(SELECT, "value"),
        Input(SIZE, "data"),
        State(CTX, "data"),
        prevent_initial_call=True,
    )
    def _on_tick(_r: int, _t: int, chosen: str | None, size: Any, ctx: dict) -> tuple[Any, ...]:
        trigger = dash.ctx.triggered_id
        ctx = None if ctx is None else checked_ctx(ctx, "code")
        if trigger == SELECT and chosen == (ctx or {}).get("code"):
            raise dash.exceptions.PreventUpdate  # the callback itself set the selector
        if trigger == SIZE and list(map_size(size)) == list((ctx or {}).get("size") or []):
            raise dash.exceptions.PreventUpdate
        return refresh_result(ctx, trigger, chosen, size)

    # in the browser (assets/wall.js): the clock, and the warning when the server is away
    app.clientside_callback(
        ClientsideFunction("rgWall", "clock"),
        Output("wall-clock-time", "children"),
        Output("wall-clock-date", "children"),
        Output("wall-offline", "children"),
        Output("wall-offline", "hidden"),
        Input(CLOCK, "n_intervals"),
        State("wall-config", "data"),
    )
    # the map's size on screen, whenever the unit changes (and on window resize, by wall.js)
    app.clientside_callback(
        ClientsideFunction("rgWall", "measure"),
        Output(SIZE, "data"),
        Input(CTX, "data"),
        State(SIZE, "data"),
    )
    # a reload after wall_reload_hours keeps the browser's memory bounded
    app.clientside_callback(
        ClientsideFunction("rgWall", "reload"),
        Output("wall-sink", "data"),
        Input(RELOAD, "n_intervals"),
        prevent_initial_call=True,
    )
    # the chosen unit in the address bar (replaceState: the page is not rendered again)
    app.clientside_callback(
        ClientsideFunction("rgWall", "remember"),
        Output("wall-sink", "data", allow_duplicate=True),
        Input(SELECT, "value"),
        State(CTX, "data"),
        prevent_initial_call=True,
    )
