"""A grid's page: its figures, a map of its village's grids, and its households.

``/grid/<code>?month=YYYY-MM[&show=all]``. The household list shows the monitored households by
default (open risks first, red before yellow before blue), every household with ``show=all``.
Head names and ID numbers are masked (``geodata.model.mask_name`` / ``mask_id_number``). The list
is read through the user's ``ScopedStore`` (each look in the audit log); an account that may not
see households (``viewer``) gets the grid's figures and map without them.
"""

from __future__ import annotations

from typing import Any

import dash
import pandas as pd
from dash import Input, dcc, html
from dash.development.base_component import Component

from geodata.model import Unit

from .. import cards, links, map_figures, measures, messages, page_frame, panels, routing, tables
from ..callback_guard import checked_ctx
from ..data import Loaders, get_loaders, get_settings
from ..geo import outline_source
from ..household_dots import GRID_FILL_OPACITY, household_legend, household_traces
from ..maps import map_base, map_geometry_urls
from ..problem_panel import problems_href
from ..problem_table import problems_table, row_units


@messages.refuse_denied
def layout(
    code: str | None = None, month: str | None = None, show: str | None = None, **_: Any
) -> Component:
    """Dash page layout: ``/grid/<code>?month=&show=``."""
    return grid_layout(code, month, show)


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks on ``app``."""
    routing.register_page(
        "dashboard.pages.grid",
        layout,
        "网格",
        "/grid/none",
        "/grid/<code>",
        name=routing.grid_name,
        preload=preload,
    )
    register_callbacks(app)


def preload(code: str | None = None, **_: Any) -> list[str]:
    """The geometry URLs the grid's map fetches: the grids of its village."""
    loaders = get_loaders()
    unit = loaders.unit(code) if code else None
    return map_geometry_urls(loaders, unit) if unit is not None else []


def grid_households(unit: Unit, month: str) -> pd.DataFrame:
    """The household records of a grid in a month, to list (never to count: figures are stored).

    Not cached: records carry names and ID numbers, which must not land in a shared cache
    directory; the query uses the (month, grid_code) index. Read through the user's
    ``ScopedStore``: checked, masked, and logged once per call.
    """
    return get_loaders().households(unit.code, month)


def _monitored(frame: pd.DataFrame) -> pd.DataFrame:
    category = frame["category"].fillna("")
    return frame[category != ""]


def grid_map(
    loaders: Loaders, unit: Unit, month: str, frame: pd.DataFrame | None
) -> dict[str, Any]:
    """The grids of the grid's village coloured by risk (muted), this grid outlined and fitted
    with its neighbours around it, households as dots."""
    village = loaders.unit(unit.village_code) if unit.village_code else None
    base = map_base(loaders, village or unit, "grid")
    own = map_figures.outline_layer(outline_source(loaders, "grid", unit.code), "#111111", 3.2)
    within = village.code if village else unit.code
    box = map_figures.bounds(loaders.features("grid", unit.code)) or map_figures.bounds(
        loaders.features("grid", within)
    )
    fig = map_figures.risk_map_figure(
        base["features"],
        loaders.level_figures("grid", month, within),
        measures.RISK_MEASURE,
        outlines=[*base["outlines"], own],
        labels=base["labels"],
        view=map_figures.fit_view(box, map_figures.GRID_MAP_SIZE, padding=0.2),
        tile_url=get_settings().tile_url,
        revision=f"grid:{unit.code}",
        line_width=1,
        geojson=base["geojson"],
        opacity=GRID_FILL_OPACITY,
    )
    if frame is not None:
        fig["data"].extend(household_traces(frame))
    return fig


def grid_layout(code: str | None, month: str | None, show: str | None = None) -> Component:
    """The page of one grid in a snapshot month."""
    loaders = get_loaders()
    unit = loaders.unit(code) if code else None
    if unit is None or unit.level != "grid":
        return messages.unit_not_found()
    resolved = loaders.resolve_month(month)
    if resolved is None:
        return messages.month_not_found(month)
    month = resolved
    stats = loaders.stats(unit.code, month)
    if not loaders.sees_households:
        return grid_figures_layout(loaders, unit, month, stats)
    households = grid_households(unit, month)
    views = {
        "": ("监测对象", _monitored(households)),
        "warned": ("部门预警", households[households["warnings"] > 0]),
        "all": ("全部农户", households),
    }
    show = show if show in views else ""
    shown = views[show][1]
    toggle = html.Div(
        [
            dcc.Link(
                f"{label}（{len(rows):,} 户）",
                href=links.with_month(f"/grid/{unit.code}", month, show=key or None),
                className="rg-toggle" + (" rg-toggle-on" if key == show else ""),
                id=f"grid-show-{key or 'monitored'}",
            )
            for key, (label, rows) in views.items()
        ],
        className="rg-toggles",
    )
    empty = {
        "": "该网格本月没有监测对象。",
        "warned": "该网格本月没有部门预警。",
        "all": "该网格本月没有农户。",
    }
    return grid_page(
        loaders,
        unit,
        month,
        stats,
        show or "",
        [
            grid_map_graph(loaders, unit, month, households),
            household_legend(households),
            html.P("点击相邻网格可切换；圆点为有位置的农户。", className="rg-hint"),
        ],
        html.Div(
            [
                panels.panel(
                    "农户名单（姓名与证件号码已脱敏）",
                    toggle,
                    tables.households_table(shown, month)
                    if len(shown)
                    else html.P(empty[show], className="rg-hint"),
                ),
                grid_problems(loaders, unit, month),
            ]
        ),
    )


def grid_problems(loaders: Loaders, unit: Unit, month: str) -> Component:
    """The grid's problems of the latest month (every status), each household a link;
    ``month``: the month of the page (its links keep it)."""
    counts = loaders.problem_counts(unit.code)
    latest = counts["month"]
    shown, _ = loaders.problem_list(unit.code)  # what the latest month fires, any status
    body: list[Any] = [
        html.P(
            f"{latest or '—'} 未处理 {counts['open']:,} 条，逾期 {counts['overdue']:,} 条；"
            f"本月触发规则 {len(shown):,} 条。",
            className="rg-hint",
            id="grid-problems-total",
            **{"data-open": str(counts["open"]), "data-count": str(len(shown))},
        )
    ]
    if len(shown):
        body.append(
            problems_table(shown, latest, row_units(loaders, shown), table_id="grid-problem-table")
        )
    body.append(
        html.P(
            dcc.Link("处理问题 →", href=problems_href(unit.code, month=month)), className="rg-hint"
        )
    )
    return html.Div(panels.panel("本网格问题清单", *body), id="grid-problems")


def grid_subtitle(loaders: Loaders, unit: Unit) -> str:
    """网格 · code · 网格员 name and phone (the phone masked for viewer by the ScopedStore)."""
    worker, phone = loaders.grid_worker(unit.code)
    text = f"网格 · {unit.code}"
    if worker or phone:
        text += f" · 网格员 {worker or ''} {phone or ''}".rstrip()
    return text


def grid_map_graph(
    loaders: Loaders, unit: Unit, month: str, households: pd.DataFrame | None
) -> Component:
    """The grid page's map graph (:func:`grid_map`)."""
    return panels.map_graph(
        "grid-map", grid_map(loaders, unit, month, households), "rg-map rg-map-small"
    )


def grid_page(
    loaders: Loaders,
    unit: Unit,
    month: str,
    stats: dict[str, Any],
    show: str,
    map_part: Any,
    below: Component,
) -> Component:
    """The frame of a grid's page: header, ``map_part`` beside the figure cards, ``below``."""
    return html.Div(
        [
            dcc.Store(id="grid-ctx", data={"code": unit.code, "month": month, "show": show}),
            page_frame.month_header(
                loaders,
                unit.name,
                grid_subtitle(loaders, unit),
                loaders.lineage(unit.code),
                month,
                "grid-month",
            ),
            panels.map_and_cards(map_part, cards.stat_cards(stats), small=True),
            below,
        ],
        className="rg-page rg-grid-page",
        **{"data-unit": unit.code, "data-month": month},
    )


def grid_figures_layout(
    loaders: Loaders, unit: Unit, month: str, stats: dict[str, Any]
) -> Component:
    """A grid's page for an account that may not see households: figures and map only."""
    return grid_page(
        loaders,
        unit,
        month,
        stats,
        "",
        grid_map_graph(loaders, unit, month, None),
        html.P("该账号不能查看农户名单。", className="rg-hint", id="rg-no-households"),
    )


def click_href(click: dict[str, Any] | None, month: str) -> str | None:
    """A click on a grid shape opens that grid; on a household dot, that household. A grid or
    household outside the user's area raises ``AccessDenied`` (a forged click)."""
    point = routing.clicked_point(click)
    loaders = get_loaders()
    if point.get("location"):
        target = loaders.unit(str(point["location"]))
        if target is None:
            return None
        return links.with_month(f"/grid/{target.code}", month)
    if point.get("customdata"):
        household_id = str(point["customdata"])
        loaders.check_household(household_id, month)
        return links.household_href(household_id, month)
    return None


def month_href(month: str | None, ctx: dict[str, str]) -> str | None:
    """The grid's page in the month chosen (the household list shown kept), None for the month
    shown. ``AccessDenied`` for a grid outside the user's area."""
    ctx = checked_ctx(ctx, "code", "month")
    if not month or month == ctx["month"]:
        return None
    unit = get_loaders().unit(ctx["code"])  # AccessDenied outside the user's area
    if unit is None:
        return None
    return links.with_month(f"/grid/{unit.code}", month, show=ctx.get("show"))


def map_click_href(click: dict[str, Any] | None, ctx: dict[str, str]) -> str | None:
    """Where a click on the grid's map leads (:func:`click_href`)."""
    return click_href(click, checked_ctx(ctx, "month")["month"])


def register_callbacks(app: dash.Dash) -> None:
    routing.navigate_on(app, Input("grid-month", "value"), "grid-ctx", month_href)
    routing.navigate_on(app, Input("grid-map", "clickData"), "grid-ctx", map_click_href)
