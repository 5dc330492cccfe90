"""The parts of a unit's page (county, township or village), built from the user's loaders:
the page is made of them (``unit.unit_page``), and a drill-down to the unit below replaces
them in place (``unit_changes.drilled``)."""

from __future__ import annotations

from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from geodata.model import CHILD_LEVEL, UPPER_LEVELS, Unit

from .. import cards, chart_figures, map_detail, measures, page_frame, panels, tables
from ..data import Loaders
from ..problem_panel import problems_panel
from ..timeliness_panel import timeliness_omitted, timeliness_panel
from ..unit_map import unit_map

URL_ID = "unit-url"  # the page's own Location: ?month= by Back and Forward
# The details (charts, ranking, problems, 时效) render once the map is drawn: rendered with it
# they held the map back by half a second on a page's first load, and by a sixth on a drill.
# The page holds them in this store; its map drawn (page_frame.MAP_DRAWN_ID), a client-side
# callback moves them into "unit-details" (riskgrid.showLater in assets/riskgrid.js).
DETAILS_LATER = "unit-details-later"
LATER_CLASS = "rg-later"  # "unit-details" waiting for them (riskgrid.js: at most 3 s)
STALE_CLASS = "rg-later rg-stale"  # the previous unit's or month's, dimmed until then

PART_IDS = (
    ("unit-title", "children"),
    ("unit-crumbs", "children"),
    ("unit-level", "options"),
    ("unit-level-row", "style"),
    ("map", "figure"),
    ("map-legend", "children"),
    ("unit-map-notes", "children"),
    ("unit-cards", "children"),
    (DETAILS_LATER, "data"),
    ("unit-details", "className"),
)  # the parts of a unit's page a drill-down replaces in place, in the order of unit_parts


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


def unit_parts(loaders: Loaders, unit: Unit, month: str, measure: str = "risk") -> dict[str, Any]:
    """The parts of a unit's page that change with its unit: the page (``unit_page``) is made
    of them, and a drill-down to the unit below replaces them in place (``drilled``), keyed by
    their ``PART_IDS`` (and ``level``, the level the map shows).

    The controls (month, level and measure selectors) stay mounted: a selector mounted anew
    would call its callback at once.
    """
    stats = loaders.stats(unit.code, month)
    shapes = map_detail.unit_counts(loaders, unit)
    levels = map_detail.choices(unit, shapes)
    level = map_detail.default_level(unit, shapes)
    fig, counts = unit_map(loaders, unit, level, measure, month)
    child = page_frame.child_level_label(unit.level, loaders.children_stats(unit.code, month))
    return {
        "unit-title": page_frame.title_parts(unit.name, f"{unit.level_label} · {unit.code}"),
        "unit-crumbs": header_parts(loaders, unit, month),
        "unit-level": map_detail.level_options(levels),
        "unit-level-row": {} if len(levels) > 1 else {"display": "none"},
        "map": fig,
        "map-legend": cards.map_legend(measures.measure(measure), counts, level),
        "unit-map-notes": [
            html.P(f"点击地图上的{child}或排名表中的名称，进入下一级。", className="rg-hint"),
            *level_hint(levels),
        ],
        "unit-cards": cards.stat_cards(stats),
        DETAILS_LATER: details(loaders, unit, month),
        "unit-details": STALE_CLASS,
        "level": level,
    }


def map_view(code: str, level: str, measure: str | None, month: str) -> dict[str, str]:
    """What the map draws (the ``unit-map-view`` store): a change to the same is no change."""
    return {"code": code, "level": level, "measure": measures.measure(measure).key, "month": month}
