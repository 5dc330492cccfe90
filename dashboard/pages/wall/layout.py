"""The wall's page layout (full screen, dark) and its settings for the browser."""

from __future__ import annotations

import logging
from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from geodata.access import AccessDenied

from ...data import get_loaders, get_settings
from .content import (
    wall_content,
)
from .ids import (
    BACKGROUND,
    CLOCK,
    CTX,
    DEFAULT_MAP_SIZE,
    MAP,
    REFRESH,
    RELOAD,
    SELECT,
    SIZE,
    TITLE,
    TOUR,
)
from .parts import (
    stale_text,
    truthy,
    wall_unit,
)

log = logging.getLogger("dashboard.pages.wall")


# ---------------------------------------------------------------------- layout
def wall_config(settings: Any) -> dict[str, int]:
    """The wall's intervals in milliseconds, from the app's settings."""
    return {
        "refresh_ms": max(int(settings.wall_refresh_seconds * 1000), 500),
        "tour_ms": max(int(settings.wall_tour_seconds * 1000), 500),
        "reload_ms": max(int(settings.wall_reload_hours * 3600 * 1000), 1000),
    }


def layout(tour: str | None = None, unit: str | None = None, **_: Any) -> Component:
    """Dash page layout: ``/wall?tour=1&unit=CODE``."""
    return wall_layout(unit, truthy(tour))


def wall_layout(code: str | None, tour: bool = False) -> Component:
    """The wall of a unit (the county by default), or of nothing yet when the store is away."""
    config = wall_config(get_settings())
    ctx: dict[str, Any] = {"tour": tour, "code": None, "sig": None, "size": list(DEFAULT_MAP_SIZE)}
    loaders = get_loaders()
    content: dict[Any, Any] = {}
    stale: str | None = None
    empty: str | None = None
    try:
        shown = wall_unit(loaders, code)
        if shown is None:
            empty = "尚未加载数据：请先用 riskgrid load grids / households 加载网格和农户数据。"
        elif loaders.latest_month() is None:
            empty = "尚未加载农户数据：请先用 riskgrid load households 加载农户数据。"
        else:
            content = wall_content(loaders, shown, ctx, DEFAULT_MAP_SIZE, full=True)
            ctx = content[(CTX, "data")]
    except AccessDenied:
        raise
    except Exception as exc:  # shown empty with the warning; the next refresh fills it
        log.warning("wall layout without data: %s: %s", type(exc).__name__, exc)
        stale = stale_text(None)

    def part(key: tuple[str, str], default: Any = None) -> Any:
        return content.get(key, default)

    figure = part((MAP, "figure")) or {
        "data": [],
        "layout": {
            "paper_bgcolor": BACKGROUND,
            "plot_bgcolor": BACKGROUND,
            "xaxis": {"visible": False},
            "yaxis": {"visible": False},
        },
    }
    header = html.Header(
        [
            html.Div(
                [
                    html.Div(TITLE, className="wall-title"),
                    html.Div(
                        part(("wall-unit", "children"), ""), id="wall-unit", className="wall-unit"
                    ),
                    html.Span(
                        part(("wall-tour-badge", "children"), ""),
                        id="wall-tour-badge",
                        className="wall-tour-badge",
                    ),
                ],
                className="wall-head-left",
            ),
            html.Div(
                [
                    html.Div(
                        stale or "",
                        id="wall-stale",
                        className="wall-stale",
                        hidden=not stale,
                        title="恢复后自动更新",
                    ),
                    html.Div(
                        "",
                        id="wall-offline",
                        className="wall-stale wall-offline",
                        hidden=True,
                        title="恢复后自动更新",
                    ),
                ],
                className="wall-head-center",
            ),
            html.Div(
                [
                    html.Span(
                        "演示数据",
                        id="wall-demo",
                        className="wall-demo",
                        title="生成的演示数据，不是真实农户信息",
                        hidden=part(("wall-demo", "hidden"), True),
                    ),
                    html.Span(
                        part(("wall-asof", "children"), ""), id="wall-asof", className="wall-asof"
                    ),
                    html.Div(
                        [
                            html.Span(
                                "--:--:--", id="wall-clock-time", className="wall-clock-time"
                            ),
                            html.Span("", id="wall-clock-date", className="wall-clock-date"),
                        ],
                        className="wall-clock",
                    ),
                ],
                className="wall-head-right",
            ),
        ],
        className="wall-head",
    )
    map_section = html.Section(
        [
            html.Div(
                [
                    dcc.Graph(
                        id=MAP,
                        figure=figure,
                        config={
                            "displayModeBar": False,
                            "scrollZoom": False,
                            "doubleClick": False,
                            "responsive": True,
                            "locale": "zh-CN",
                        },
                        responsive=True,
                        className="rg-map wall-mapgraph",
                    ),
                    html.Div(
                        empty, id="wall-empty-note", className="wall-empty-note", hidden=not empty
                    ),
                    html.Div(
                        dcc.Dropdown(
                            id=SELECT,
                            options=part((SELECT, "options"), []),
                            value=ctx.get("code"),
                            clearable=False,
                            searchable=False,
                            className="wall-select",
                        ),
                        className="wall-select-box",
                        title="选择显示的地区",
                    ),
                ],
                id="wall-map-box",
                className="wall-map-box",
            ),
            html.Div(
                [
                    html.Div(
                        part(("wall-legend", "children")), id="wall-legend", className="wall-legend"
                    ),
                ],
                className="wall-map-foot",
            ),
        ],
        className="wall-map-section",
    )
    side = html.Section(
        [
            html.Div(part(("wall-cards", "children"), []), id="wall-cards", className="wall-cards"),
            html.Div(
                [
                    html.H2("主要风险类型（监测户）", className="wall-h2"),
                    html.Div(
                        part(("wall-causes", "children"), []),
                        id="wall-causes",
                        className="wall-bars",
                    ),
                ],
                className="wall-panel wall-panel-causes",
            ),
            html.Div(
                [
                    html.H2(
                        [
                            "逐月趋势（人）",
                            html.Span(
                                [
                                    html.I(className="wall-key wall-key-mon"),
                                    "监测",
                                    html.I(className="wall-key wall-key-elim"),
                                    "已消除",
                                    html.I(className="wall-key wall-key-rate"),
                                    "消除率",
                                ],
                                className="wall-keys",
                            ),
                        ],
                        className="wall-h2",
                    ),
                    html.Div(
                        part(("wall-trend", "children"), []), id="wall-trend", className="wall-cols"
                    ),
                ],
                className="wall-panel wall-panel-trend",
            ),
        ],
        className="wall-side",
    )
    return html.Div(
        [
            dcc.Store(id=CTX, data=ctx),
            dcc.Store(id=SIZE, data=None),
            dcc.Store(id="wall-config", data=config),
            dcc.Store(id="wall-sink", data=None),
            dcc.Interval(id=REFRESH, interval=config["refresh_ms"], n_intervals=0),
            dcc.Interval(id=TOUR, interval=config["tour_ms"], n_intervals=0, disabled=not tour),
            dcc.Interval(id=CLOCK, interval=1000, n_intervals=0),
            dcc.Interval(id=RELOAD, interval=config["reload_ms"], n_intervals=0),
            header,
            html.Main([map_section, side], className="wall-body"),
        ],
        id="rg-wall",
        className="rg-wall" + (" wall-touring" if tour else ""),
        **{"data-tour": "1" if tour else "0"},
    )
