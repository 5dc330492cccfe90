"""A unit's page (county, township or village): its risk map, figures, charts and ranking.

``/unit/<code>?month=YYYY-MM``; the county's page is also ``/`` (see ``overview``). The map shows
the units of one level inside this unit (grids by default) coloured by a measure, with the
outlines and names of the child units drawn over them. Clicking a shape drills down one level.
Changing the month or the measure patches the map (``map_figures.map_patch``); only changing the
level shown sends new geometry.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, State, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate
from werkzeug.exceptions import NotFound

from geodata.model import CHILD_LEVEL, UPPER_LEVELS, Unit

from .. import (
    cards,
    chart_figures,
    initial_page,
    links,
    map_detail,
    measures,
    messages,
    page_cache,
    page_frame,
    panels,
    routing,
    tables,
)
from ..callback_guard import checked_ctx
from ..data import Loaders, get_loaders
from ..maps import map_geometry_urls
from ..problem_panel import problems_panel
from ..timeliness_panel import timeliness_omitted, timeliness_panel
from ..unit_map import map_update, unit_map
from . import grid as grid_page

URL_ID = "unit-url"


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
def drill_href(code: str, clicked: str | None, month: str | None) -> str | None:
    """Where a click on the map of unit ``code`` leads: the clicked unit's ancestor one level
    below ``code`` (a township from the county's grid map), or None."""
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
    return links.unit_href(target, month)


def details(loaders: Loaders, unit: Unit, month: str) -> list[Component]:
    """Charts (causes, categories, trend) and the ranking of child units."""
    stats = loaders.stats(unit.code, month)  # checks the unit against the user's area first
    child = CHILD_LEVEL[unit.level]
    # the charts depend only on the unit, month and data version: built once, then reused
    charts = loaders.memo(
        "charts",
        (unit.code, month),
        lambda: {
            "causes": chart_figures.causes_figure(stats["by_cause"]),
            "categories": chart_figures.categories_figure(stats["by_category"]),
            "trend": chart_figures.trend_figure(loaders.trend(unit.code), month),
        },
    )
    return [
        html.Div(
            [
                panels.chart_panel("风险类型（监测户，可多选）", charts["causes"], "chart-causes"),
                panels.chart_panel("监测对象类别", charts["categories"], "chart-categories"),
                panels.chart_panel("逐月趋势（人）", charts["trend"], "chart-trend"),
            ],
            className="rg-charts",
        ),
        tables.ranking_table(loaders.children_stats(unit.code, month), month, child),
        *unassigned_note(unit, stats),
        html.Div(
            [
                problems_panel(
                    loaders.problem_counts(unit.code),
                    unit.code if loaders.sees_households else None,
                    month=month,
                ),
                timeliness_part(loaders, unit, month),
            ],
            className="rg-problem-row",
        ),
    ]


def timeliness_part(loaders: Loaders, unit: Unit, month: str) -> Component:
    """时效 of a county and the units below it; above the county (a province, a city) it needs
    every household of the counties in it, too costly for a page: a hint to open a county."""
    if unit.level in UPPER_LEVELS:
        return timeliness_omitted()
    return timeliness_panel(loaders.timeliness(unit.code, month))


def unassigned_note(unit: Unit, stats: dict[str, Any]) -> list[Component]:
    """Below a village's grid ranking: its households in no grid (未分配网格) and their count;
    nothing when every household has a grid."""
    alone = stats.get("unassigned") or {"households": 0, "persons": 0}
    if unit.level != "village" or not alone["households"]:
        return []
    return [
        html.P(
            f"未分配网格：{alone['households']:,} 户，{alone['persons']:,} 人"
            "（计入本村，不在任何网格）",
            id="unit-unassigned",
            className="rg-hint",
            **{"data-households": str(alone["households"])},
        )
    ]


def level_hint(levels: list[map_detail.LevelChoice]) -> list[Component]:
    """Below the map: why a level of the selector is disabled and where to see it."""
    hints = [c.hint for c in levels if not c.allowed and c.hint]
    if not hints:
        return []
    return [
        html.P(
            "；".join(hints) + "。",
            id="unit-level-hint",
            className="rg-hint rg-level-hint",
            **{"data-refused": ",".join(c.level for c in levels if not c.allowed)},
        )
    ]


def header_parts(loaders: Loaders, unit: Unit, month: str) -> Component:
    """The breadcrumb of the unit's page (replaced when the month changes)."""
    return page_frame.breadcrumb(loaders.lineage(unit.code), month)


def radio_control(
    label: str, component_id: str, options: list[dict[str, str]], value: str, **props: Any
) -> html.Div:
    """A labelled row of radio buttons above the map; ``props``: more of the row's (its style)."""
    return html.Div(
        [
            html.Span(label, className="rg-control-label"),
            dcc.RadioItems(
                id=component_id, options=options, value=value, inline=True, className="rg-radio"
            ),
        ],
        className="rg-control",
        **props,
    )


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
    stats = loaders.stats(unit.code, month)
    shapes = map_detail.unit_counts(loaders, unit)
    levels = map_detail.choices(unit, shapes)
    level = map_detail.default_level(unit, shapes)
    fig, counts = unit_map(loaders, unit, level, "risk", month)
    controls = html.Div(
        [
            radio_control(
                "显示",
                "unit-level",
                map_detail.level_options(levels),
                level,
                style={} if len(levels) > 1 else {"display": "none"},
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
                panels.map_graph("map", fig),
                html.Div(
                    cards.map_legend(measures.RISK_MEASURE, counts, level),
                    id="map-legend",
                    className="rg-legend-box",
                ),
            ],
            className="rg-map-wrap",
        ),
        html.P(
            f"点击地图上的{page_frame.child_level_label(unit.level, loaders.children_stats(unit.code, month))}"
            "或排名表中的名称，进入下一级。",
            className="rg-hint",
        ),
        *level_hint(levels),
    ]
    return html.Div(
        [
            dcc.Location(id=URL_ID, refresh=False, **initial_page.location_props()),
            dcc.Store(id="unit-ctx", data={"code": unit.code, "month": month}),
            page_frame.page_header(
                unit.name,
                f"{unit.level_label} · {unit.code}",
                html.Div(header_parts(loaders, unit, month), id="unit-crumbs"),
                html.Div(
                    [
                        page_frame.month_dropdown("unit-month", loaders.months(), month),
                        page_frame.briefing_buttons(),
                    ],
                    className="rg-header-controls",
                ),
            ),
            panels.map_and_cards(map_part, cards.stat_cards(stats), cards_id="unit-cards"),
            html.Div(details(loaders, unit, month), id="unit-details"),
        ],
        className="rg-page rg-unit-page",
        **{"data-unit": unit.code, "data-month": month},
    )


def month_changed(
    code: str, dropdown_month: str | None, search: str | None, shown_month: str, trigger: str | None
) -> tuple[Any, ...]:
    """Outputs of a month change: from the dropdown, or from Back/Forward changing ``?month=``.

    Returns (url search, dropdown value, context, breadcrumb, cards, details), ``no_update``
    where nothing changes. Only a choice in the dropdown writes the URL (a new history entry).
    """
    loaders = get_loaders()
    unit = loaders.unit(code)
    if unit is None:
        raise PreventUpdate
    month, new_search, dropdown = links.month_choice(
        loaders, dropdown_month, search, shown_month, trigger == URL_ID
    )
    if month == shown_month:
        return (new_search, dropdown, *[dash.no_update] * 4)
    return (
        new_search,
        dropdown,
        {"code": unit.code, "month": month},
        header_parts(loaders, unit, month),
        cards.stat_cards(loaders.stats(unit.code, month)),
        details(loaders, unit, month),
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
        Output("unit-details", "children"),
        Input("unit-month", "value"),
        Input(URL_ID, "search"),
        State("unit-ctx", "data"),
        prevent_initial_call=True,
    )
    def _on_month(month: str, search: str, ctx: dict[str, str]) -> tuple[Any, ...]:
        ctx = checked_ctx(ctx, "code", "month")
        return month_changed(ctx["code"], month, search, ctx["month"], dash.ctx.triggered_id)

    @app.callback(
        Output("map", "figure"),
        Output("map-legend", "children"),
        Input("unit-level", "value"),
        Input("unit-measure", "value"),
        Input("unit-ctx", "data"),
        prevent_initial_call=True,
    )
    def _on_map(level: str, measure: str, ctx: dict[str, str]) -> tuple[Any, Component]:
        ctx = checked_ctx(ctx, "code", "month")
        full = dash.ctx.triggered_id == "unit-level"
        return map_update(ctx["code"], level, measure, ctx["month"], full=full)

    app.clientside_callback(  # a click opens the next level down (assets/riskgrid.js)
        ClientsideFunction("riskgrid", "drill"),
        Output(page_frame.NAV_ID, "href", allow_duplicate=True),
        Input("map", "clickData"),
        State("unit-ctx", "data"),
        State("map", "figure"),
        prevent_initial_call=True,
    )
