"""A unit's page (county, township or village): its risk map, figures, charts and ranking.

``/unit/<code>?month=YYYY-MM``; the county's page is also ``/`` (see ``overview``). The map shows
the units of one level inside this unit (grids by default) coloured by a measure, with the
outlines and names of the child units drawn over them. Clicking a shape drills down one level:
to the unit below in place (the same map draws it: ``unit_changes.drilled``), to a grid's page.
Changing the month or the measure patches the map (``map_figures.map_patch``); only changing the
level shown sends new geometry. The parts of the page are ``unit_parts``.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from werkzeug.exceptions import NotFound

from geodata.model import Unit

from .. import (
    initial_page,
    measures,
    messages,
    page_cache,
    page_frame,
    panels,
    routing,
)
from ..callback_guard import checked_ctx
from ..data import Loaders, get_loaders
from ..maps import map_geometry_urls
from ..unit_map import map_update, unit_map
from . import grid as grid_page
from .unit_changes import drill_href, drilled, map_changed, month_changed
from .unit_parts import (
    DETAILS_LATER,
    LATER_CLASS,
    PART_IDS,
    URL_ID,
    map_view,
    radio_control,
    unit_parts,
)

__all__ = ["drill_href", "map_update", "month_changed", "unit_layout", "unit_map", "unit_page"]


@messages.refuse_denied
def layout(code: str | None = None, month: str | None = None, **_: Any) -> Component:
    """Dash page layout: ``/unit/<code>?month=``; 无权查看 for a unit outside the user's area."""
    return unit_layout(code, month)


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks on ``app``."""
    routing.register_page(
        "dashboard.pages.unit",
        layout,
        "单位详情",
        "/unit/none",
        "/unit/<code>",
        name=routing.unit_name,
        preload=preload,
    )
    register_callbacks(app)


def preload(code: str | None = None, **_: Any) -> list[str]:
    """The geometry URLs the page's map fetches (its home unit's for None)."""
    loaders = get_loaders()
    unit = loaders.unit(code)
    return map_geometry_urls(loaders, unit) if unit is not None else []


# ---------------------------------------------------------------------- plain functions
def unit_layout(code: str | None, month: str | None) -> Component:
    """The page of a unit (the user's home unit, the default county for admin, when ``code`` is
    None) in a snapshot month. ``AccessDenied`` for a unit outside the user's area."""
    loaders = get_loaders()
    unit = loaders.unit(code)
    if unit is None:
        if code is None:
            return messages.not_found(
                "尚未加载数据", "请先用 riskgrid load grids / households 加载网格和农户数据。"
            )
        return messages.unit_not_found()
    if unit.level == "grid":
        return grid_page.grid_layout(unit.code, month)
    resolved = loaders.resolve_month(month)
    if resolved is None:
        if month:
            return messages.month_not_found(month)
        return messages.not_found(
            "尚未加载农户数据", "请先用 riskgrid load households 加载农户数据。"
        )
    return page_cache.cached_page(
        loaders, "unit", (unit.code, resolved), lambda: unit_page(loaders, unit, resolved)
    )


def unit_page(loaders: Loaders, unit: Unit, month: str) -> Component:
    """The page of a unit above the grids in a snapshot month (built once per data version
    and scope: ``page_cache``)."""
    parts = unit_parts(loaders, unit, month)
    controls = html.Div(
        [
            radio_control(
                "显示",
                "unit-level",
                parts["unit-level"],
                parts["level"],
                id="unit-level-row",
                style=parts["unit-level-row"],
            ),
            radio_control(
                "着色",
                "unit-measure",
                [{"label": m.label, "value": m.key} for m in measures.MEASURES.values()],
                "risk",
            ),
        ],
        className="rg-controls",
    )
    map_part = [
        controls,
        html.Div(
            [
                panels.map_graph("map", parts["map"]),
                html.Div(parts["map-legend"], id="map-legend", className="rg-legend-box"),
            ],
            className="rg-map-wrap",
        ),
        html.Div(parts["unit-map-notes"], id="unit-map-notes"),
    ]
    header = page_frame.page_header(
        unit.name,
        f"{unit.level_label} · {unit.code}",
        html.Div(parts["unit-crumbs"], id="unit-crumbs"),
        html.Div(
            [
                page_frame.month_dropdown("unit-month", loaders.months(), month),
                page_frame.briefing_buttons(),
            ],
            className="rg-header-controls",
        ),
        title_id="unit-title",
    )
    return html.Div(
        [
            dcc.Location(id=URL_ID, refresh=False, **initial_page.location_props()),
            dcc.Store(id="unit-ctx", data={"code": unit.code, "month": month}),
            dcc.Store(id="unit-map-view", data=map_view(unit.code, parts["level"], "risk", month)),
            header,
            panels.map_and_cards(map_part, parts["unit-cards"], cards_id="unit-cards"),
            dcc.Store(id=DETAILS_LATER, data=parts[DETAILS_LATER]),
            html.Div([], id="unit-details", className=LATER_CLASS),
        ],
        id="unit-page",
        className="rg-page rg-unit-page",
        **{"data-unit": unit.code, "data-month": month},
    )


def briefing_download(code: str, month: str | None, kind: str = "png") -> dict[str, Any]:
    """The 导出简报 download: the briefing of unit ``code`` in ``month`` as a PNG (1920x1080)
    or a PDF, for ``dcc.Download`` (the export is written to the audit log)."""
    from reports import briefing

    loaders = get_loaders()
    unit = loaders.unit(code)  # refuses a unit outside the user's area
    if unit is None or kind not in ("png", "pdf"):
        raise PreventUpdate
    chosen = loaders.resolve_month(month) if month != "" else None
    if chosen is None and month is not None:  # no such month (2026-13, ２０２６－１０, ''): 404
        raise NotFound("没有该月份的数据 (no data for month)")
    month = chosen
    store = loaders.store
    render = briefing.render_pdf if kind == "pdf" else briefing.render_png
    content = render(store, unit.code, month)
    month = month or store.latest_month()
    scoped = getattr(loaders, "scoped", None)
    if scoped is not None and hasattr(scoped, "log_export"):
        scoped.log_export(f"brief {kind} {month}", unit.code)
    mime = "application/pdf" if kind == "pdf" else "image/png"
    return dcc.send_bytes(content, f"{briefing.file_stem(store, unit.code, month)}.{kind}", mime)


# ---------------------------------------------------------------------- callbacks
def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(page_frame.BRIEF_DOWNLOAD, "data"),
        Input(page_frame.BRIEF_PNG, "n_clicks"),
        Input(page_frame.BRIEF_PDF, "n_clicks"),
        State("unit-ctx", "data"),
        running=[
            (Output(page_frame.BRIEF_PNG, "disabled"), True, False),
            (Output(page_frame.BRIEF_PDF, "disabled"), True, False),
        ],
        prevent_initial_call=True,
    )
    def _on_brief(_png: int, _pdf: int, ctx: dict[str, str]) -> dict[str, Any]:
        kind = "pdf" if dash.ctx.triggered_id == page_frame.BRIEF_PDF else "png"
        ctx = checked_ctx(ctx, "code", "month")
        return briefing_download(ctx["code"], ctx["month"], kind)

    @app.callback(
        Output(URL_ID, "search"),
        Output("unit-month", "value"),
        Output("unit-ctx", "data"),
        Output("unit-crumbs", "children"),
        Output("unit-cards", "children"),
        Output(DETAILS_LATER, "data"),
        Output("unit-details", "className"),
        Output("map", "figure", allow_duplicate=True),
        Output("map-legend", "children", allow_duplicate=True),
        Output("unit-map-view", "data", allow_duplicate=True),
        Input("unit-month", "value"),
        Input(URL_ID, "search"),
        State("unit-ctx", "data"),
        State("unit-level", "value"),
        State("unit-measure", "value"),
        prevent_initial_call=True,
    )
    def _on_month(
        month: str, search: str, ctx: dict[str, str], level: str, measure: str
    ) -> tuple[Any, ...]:
        ctx = checked_ctx(ctx, "code", "month")
        return month_changed(
            ctx["code"], month, search, ctx["month"], dash.ctx.triggered_id, level, measure
        )

    @app.callback(
        Output("map", "figure"),
        Output("map-legend", "children"),
        Output("unit-map-view", "data"),
        Input("unit-level", "value"),
        Input("unit-measure", "value"),
        State("unit-ctx", "data"),
        State("unit-map-view", "data"),
        prevent_initial_call=True,
    )
    def _on_map(
        level: str, measure: str, ctx: dict[str, str], shown: dict[str, str] | None
    ) -> tuple[Any, ...]:
        ctx = checked_ctx(ctx, "code", "month")
        return map_changed(ctx["code"], level, measure, ctx["month"], shown)

    @app.callback(
        Output(page_frame.NAV_ID, "href", allow_duplicate=True),
        Output(page_frame.INPLACE_ID, "data", allow_duplicate=True),
        Output("unit-ctx", "data", allow_duplicate=True),
        Output("unit-map-view", "data", allow_duplicate=True),
        Output("unit-page", "data-unit"),
        Output("unit-page", "data-month"),
        Output("unit-level", "value"),
        *(Output(i, p, allow_duplicate=True) for i, p in PART_IDS),
        Input("map", "clickData"),
        State("unit-ctx", "data"),
        State("unit-level", "value"),
        State("unit-measure", "value"),
        prevent_initial_call=True,
    )
    def _on_drill(click: Any, ctx: dict[str, str], level: str, measure: str) -> tuple[Any, ...]:
        ctx = checked_ctx(ctx, "code", "month")
        point = routing.clicked_point(click)
        return drilled(ctx["code"], point.get("location"), ctx["month"], level, measure)

    app.clientside_callback(  # the details, once the map is drawn (assets/riskgrid.js)
        ClientsideFunction("riskgrid", "showLater"),
        Output("unit-details", "children"),
        Output("unit-details", "className", allow_duplicate=True),
        Output(DETAILS_LATER, "data", allow_duplicate=True),
        Input(page_frame.MAP_DRAWN_ID, "data"),
        State(DETAILS_LATER, "data"),
        prevent_initial_call=True,
    )
