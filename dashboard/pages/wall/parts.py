"""The wall's parts: plain functions (tour order, sizes, the map) and the pieces of the page
(cards, causes, trend, titles)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from dash import html
from dash.development.base_component import Component

from geodata.access import AccessDenied
from geodata.model import CHILD_LEVEL, Unit
from reports import fmt
from reports.causes import top_causes
from reports.headline import WALL, headlines, problem_headline

from ... import components, figures, map_detail
from ...data import Loaders, get_settings
from ...geo import outline_source
from ...maps import map_base
from .ids import (
    BACKGROUND,
    BACKGROUND_LAYER,
    DEFAULT_MAP_SIZE,
    TOP_CAUSES,
    TREND_MONTHS,
    WALL_MEASURE,
)


# ---------------------------------------------------------------------- plain functions
def truthy(value: Any) -> bool:
    return str(value or "").strip().lower() in {"1", "true", "yes", "on"}


def now_hm(now: datetime | None = None) -> str:
    return (now or datetime.now()).strftime("%H:%M")


def as_of_text(as_of: str | None) -> str:
    """数据截至 YYYY-MM-DD HH:MM in local time (the store keeps the load time in UTC)."""
    if not as_of:
        return "尚未加载数据"
    try:
        when = datetime.fromisoformat(as_of).replace(tzinfo=UTC).astimezone()
    except ValueError:
        return f"数据截至 {as_of[:16]}"
    return f"数据截至 {when:%Y-%m-%d %H:%M}"


def tour_order(loaders: Loaders, root: Unit) -> list[str]:
    """The tour's playlist: the wall's home unit (the county), then its children (the
    townships; a province's cities, a city's counties) by code."""
    child = CHILD_LEVEL.get(root.level)
    if child is None or child == "grid":  # a village's grids are not toured one by one
        return [root.code]
    # the root's children by index (not every unit of a province, unpickled: ``units()``)
    children = sorted(r["code"] for r in loaders.child_rows(root.code) if r["level"] == child)
    return [root.code, *children]


def tour_next(order: list[str], current: str | None) -> str:
    """The unit after ``current`` in the playlist (the first when ``current`` is not in it)."""
    if current not in order:
        return order[0]
    return order[(order.index(current) + 1) % len(order)]


def home_unit(loaders: Loaders) -> Unit | None:
    """The wall's home: the default county (or the unit its account is bound to)."""
    return loaders.unit(None)


def wall_unit(loaders: Loaders, code: str | None) -> Unit | None:
    """The unit to show: ``code`` when it is a county, township or village the wall may show
    (a grid shows its village), else the home unit."""
    unit = None
    if code:
        try:
            unit = loaders.unit(code)
        except AccessDenied:
            unit = None
    if unit is not None and unit.level == "grid":
        unit = loaders.unit(unit.village_code) if unit.village_code else None
    return unit or home_unit(loaders)


def select_options(loaders: Loaders, root: Unit) -> list[dict[str, str]]:
    """The selector's choices: the home unit and its children."""
    names = {root.code: root.name, **{r["code"]: r["name"] for r in loaders.child_rows(root.code)}}
    return [
        {"label": names[code], "value": code} for code in tour_order(loaders, root) if code in names
    ]


def codes_signature(codes: list[str]) -> str:
    """A short token of the map's locations: same token, same geometry, a Patch will do."""
    return hashlib.sha1(",".join(codes).encode()).hexdigest()[:16]


def map_size(size: Any) -> tuple[int, int]:
    """The map's size in pixels from the browser's report (else the 1080p default)."""
    try:
        w, h = int(size["w"]), int(size["h"])
    except (TypeError, KeyError, ValueError, OverflowError):
        return DEFAULT_MAP_SIZE
    if w < 100 or h < 100:
        return DEFAULT_MAP_SIZE
    return w, h


def ctx_size(ctx: dict[str, Any]) -> tuple[int, int]:
    """The map size the figure on screen was fitted to."""
    size = ctx.get("size") or DEFAULT_MAP_SIZE
    return map_size({"w": size[0], "h": size[1]})


def wall_view(loaders: Loaders, unit: Unit, size: tuple[int, int]) -> dict[str, Any]:
    """Centre and zoom fitting the unit in a map of ``size`` pixels (a little margin)."""
    box = loaders.memo(
        "bounds", (unit.code,), lambda: figures.bounds(loaders.features(unit.level, unit.code))
    )
    return figures.fit_view(box, (max(size[0] - 40, 100), max(size[1] - 40, 100)))


def wall_map(
    loaders: Loaders, unit: Unit, month: str, size: tuple[int, int]
) -> tuple[dict[str, Any], list[int], str]:
    """The wall's map: the unit's grids by open risk level (a province's counties, a city's
    townships: the level of detail of its page, ``map_detail.default_level``), on a dark
    background.

    Returns the figure, the legend's counts and the signature of its locations.
    """
    level = wall_level(loaders, unit)
    base = map_base(loaders, unit, level)
    outlines = []
    child = CHILD_LEVEL.get(unit.level)
    if child and child != level:
        outlines.append(
            figures.outline_layer(outline_source(loaders, child, unit.code), "#c8d3e0", 1.4)
        )
    outlines.append(
        figures.outline_layer(outline_source(loaders, unit.level, unit.code), "#ffffff", 2.6)
    )
    tile_url = get_settings().tile_url
    fig = figures.risk_map_figure(
        base["features"],
        loaders.level_figures(level, month, unit.code),
        WALL_MEASURE,
        outlines=outlines,
        labels=base["labels"],
        view=wall_view(loaders, unit, size),
        tile_url=tile_url,
        revision=f"wall:{unit.code}",
        line_width=0.4 if unit.level == "county" else 0.8,
        geojson=base["geojson"],
    )
    trace = fig["data"][0]
    trace["marker"] = {"line": {"color": BACKGROUND, "width": trace["marker"]["line"]["width"]}}
    trace["marker"]["opacity"] = 0.95
    layout = fig["layout"]
    layout["map"]["layers"] = [BACKGROUND_LAYER, *layout["map"]["layers"]]
    layout["paper_bgcolor"] = BACKGROUND
    layout["hoverlabel"]["font"]["size"] = 16
    counts = figures.class_counts(trace["z"], WALL_MEASURE)
    return fig, counts, codes_signature(trace["locations"])


def wall_level(loaders: Loaders, unit: Unit) -> str:
    """The level the wall's map of ``unit`` draws: as its page opens (no map of more than
    ``map_detail.MAX_SHAPES`` shapes; a province's 100,000 grids would not draw)."""
    return map_detail.default_level(unit, map_detail.unit_counts(loaders, unit))


def map_colours(loaders: Loaders, unit: Unit, month: str) -> tuple[list[int], list[list[str]]]:
    level = wall_level(loaders, unit)
    features = map_base(loaders, unit, level)["features"]
    return figures.map_values(
        figures.feature_codes(features),
        loaders.level_figures(level, month, unit.code),
        figures.feature_names(features),
        WALL_MEASURE,
    )


# ---------------------------------------------------------------------- parts
def wall_card(
    key: str,
    label: str,
    number: str,
    unit_word: str,
    raw: Any,
    sub: str | None = None,
    tone: str = "",
) -> html.Div:
    """A big figure: label, number (with ``data-key``/``data-value``, as on the unit pages)."""
    return html.Div(
        [
            html.Div(label, className="wall-card-label"),
            html.Div(
                [
                    html.Span(number, className="wall-num"),
                    html.Span(unit_word, className="wall-unitword"),
                ],
                className="rg-card-value wall-card-value",
                **{"data-key": key, "data-value": str(raw)},
            ),
            html.Div(sub, className="wall-card-sub") if sub else None,
        ],
        className=f"wall-card wall-card-{key} {tone}".strip(),
    )


def wall_cards(stats: dict[str, Any], problems: dict[str, Any] | None = None) -> list[html.Div]:
    """The wall's headline figures (``reports.headline.WALL``), exactly as stored, then the
    open and overdue problems of the problem list (``problems``: ``problem_counts``)."""
    cards = []
    shown = headlines(stats, WALL) + ([problem_headline(problems)] if problems else [])
    for h in shown:
        tone = f"wall-tone-{h.tone}" if h.tone else ""
        cards.append(wall_card(h.key, h.label, h.number, h.unit_word, h.raw, h.sub, tone))
    return cards


def causes_bars(by_cause: dict[str, int], top: int = TOP_CAUSES) -> list[Component]:
    """The main causes of risk as bars (monitored households naming each, largest first), by
    the one causes rule (``reports.causes``)."""
    bars = top_causes(by_cause, top)
    items = [(b.label, b.households, b.remainder) for b in bars]
    if not items:
        return [html.Div("无风险类型数据", className="wall-empty")]
    peak = max(v for _, v, _ in items) or 1
    return [
        html.Div(
            [
                html.Span(name, className="wall-bar-label"),
                html.Div(
                    html.Div(className="wall-bar-fill", style={"width": f"{100 * v / peak:.1f}%"}),
                    className="wall-bar-track",
                ),
                html.Span(
                    f"{v:,}",
                    className="wall-bar-value",
                    **{"data-cause": name, "data-value": str(v)},
                ),
            ],
            className="wall-bar wall-bar-rest" if rest else "wall-bar",
        )
        for name, v, rest in items
    ]


def trend_columns(trend: list[dict[str, Any]], month: str) -> list[Component]:
    """The last months: monitored and eliminated persons as columns, the clearance rate above."""
    shown = [t for t in trend if t["month"] <= month][-TREND_MONTHS:]
    if not shown:
        return [html.Div("无趋势数据", className="wall-empty")]
    peak = max(t["monitored"]["persons"] for t in shown) or 1
    cols = []
    for t in shown:
        m, e = t["monitored"]["persons"], t["eliminated"]["persons"]
        year, mon = t["month"].split("-")
        label = f"{year[2:]}年{int(mon)}月" if mon == "01" or t is shown[0] else f"{int(mon)}月"
        cols.append(
            html.Div(
                [
                    html.Span(
                        fmt.pct(t["clearance_rate"]["persons"], 1), className="wall-col-rate"
                    ),
                    html.Div(
                        [
                            html.Div(
                                className="wall-col-mon", style={"height": f"{100 * m / peak:.1f}%"}
                            ),
                            html.Div(
                                className="wall-col-elim",
                                style={"height": f"{100 * e / peak:.1f}%"},
                            ),
                        ],
                        className="wall-col-bars",
                    ),
                    html.Span(label, className="wall-col-label"),
                ],
                className="wall-col" + (" wall-col-current" if t["month"] == month else ""),
                **{"data-month": t["month"], "data-monitored": str(m), "data-eliminated": str(e)},
            )
        )
    return cols


def unit_title(unit: Unit, month: str | None) -> list[Component]:
    """The unit on screen: name, level, month (``data-code`` for tests and tour watchers)."""
    return [
        html.Span(unit.name, className="wall-unit-name", **{"data-code": unit.code}),
        html.Span(
            f"{unit.level_label}" + (f" · {fmt.month_label(month)}" if month else ""),
            className="wall-unit-meta",
        ),
    ]


def tour_badge(order: list[str], code: str, tour: bool) -> str:
    if not tour or code not in order:
        return ""
    return f"轮播 {order.index(code) + 1} / {len(order)}"


def legend(counts: list[int], level: str = "grid") -> Component:
    """The colours with the number of ``level`` units of each (the map's level)."""
    return components.map_legend(WALL_MEASURE, counts, level)


def stale_text(ok_at: str | None) -> str:
    """The stale-data warning: 数据连接中断，显示的是 HH:MM 的数据."""
    return "⚠ 数据连接中断" + (f"，显示的是 {ok_at} 的数据" if ok_at else "")
