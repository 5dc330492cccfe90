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

import hashlib
import logging
from datetime import UTC, datetime
from typing import Any

import dash
from dash import ClientsideFunction, Input, Output, Patch, State, dcc, html
from dash.development.base_component import Component

from geodata.access import AccessDenied
from geodata.model import CHILD_LEVEL, Unit
from reports import fmt
from reports.causes import top_causes
from reports.headline import WALL, headlines

from .. import components, figures
from ..data import Loaders, get_loaders, get_settings
from ..geo import geojson_url
from ..maps import map_base

log = logging.getLogger(__name__)

PATH = "/wall"
TITLE = "防返贫动态监测大屏"
BACKGROUND = "#0a1422"
# the map's background: the usual "white-bg" style (nothing fetched from anywhere) under a dark
# fill covering the world, drawn below the grids
BACKGROUND_LAYER: dict[str, Any] = {
    "sourcetype": "geojson",
    "source": {
        "type": "Feature",
        "properties": {},
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[-180, -85], [180, -85], [180, 85], [-180, 85], [-180, -85]]],
        },
    },
    "type": "fill",
    "color": BACKGROUND,
    "below": "traces",
}
# the risk colours of every other view; only "no open risk" is dark here, so colours stand out
WALL_MEASURE = figures.Measure(
    "risk",
    "未消除风险等级",
    (
        figures.MapClass("none", "无未消除风险", "#3a4a60"),
        *figures.RISK_MEASURE.classes[1:],
    ),
)
DEFAULT_MAP_SIZE = (1250, 940)  # the map's size at 1920x1080, until the browser reports it
TOP_CAUSES = 6  # fewer bars than elsewhere: the wall is read from across the room
TREND_MONTHS = 12

# component ids
CTX = "wall-ctx"
SIZE = "wall-size"
REFRESH = "wall-refresh"
TOUR = "wall-tour"
CLOCK = "wall-clock"
RELOAD = "wall-reload"
SELECT = "wall-select"
MAP = "wall-map"

DATA_OUTPUTS = (
    (MAP, "figure"),
    ("wall-legend", "children"),
    ("wall-cards", "children"),
    ("wall-causes", "children"),
    ("wall-trend", "children"),
    ("wall-unit", "children"),
    ("wall-tour-badge", "children"),
    ("wall-asof", "children"),
    ("wall-demo", "hidden"),
    (CTX, "data"),
    (SELECT, "value"),
    (SELECT, "options"),
    ("wall-empty-note", "hidden"),
)
STALE_OUTPUTS = (("wall-stale", "children"), ("wall-stale", "hidden"))


class NoData(LookupError):
    """The store answers but holds no grids or no households yet."""


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks on ``app``."""
    dash.register_page(
        "dashboard.pages.wall", path=PATH, title=f"{TITLE} · 大屏", layout=layout, order=90
    )
    register_callbacks(app)


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
    townships) by code."""
    child = CHILD_LEVEL.get(root.level)
    if child not in ("township", "village"):  # a village's grids are not toured one by one
        return [root.code]
    units = loaders.units()
    children = sorted(
        code for code, u in units.items() if u["parent_code"] == root.code and u["level"] == child
    )
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
    units = loaders.units()
    return [
        {"label": units[code]["name"], "value": code}
        for code in tour_order(loaders, root)
        if code in units
    ]


def codes_signature(codes: list[str]) -> str:
    """A short token of the map's locations: same token, same geometry, a Patch will do."""
    return hashlib.sha1(",".join(codes).encode()).hexdigest()[:16]


def map_size(size: Any) -> tuple[int, int]:
    """The map's size in pixels from the browser's report (else the 1080p default)."""
    try:
        w, h = int(size["w"]), int(size["h"])
    except (TypeError, KeyError, ValueError):
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
    """The wall's map: the unit's grids by open risk level, on a dark background.

    Returns the figure, the legend's counts and the signature of its locations.
    """
    base = map_base(loaders, unit, "grid")
    outlines = []
    child = CHILD_LEVEL.get(unit.level)
    if child and child != "grid":
        outlines.append(
            figures.outline_layer(geojson_url(loaders, child, unit.code), "#c8d3e0", 1.4)
        )
    outlines.append(
        figures.outline_layer(geojson_url(loaders, unit.level, unit.code), "#ffffff", 2.6)
    )
    tile_url = get_settings().tile_url
    fig = figures.risk_map_figure(
        base["features"],
        loaders.level_figures("grid", month, unit.code),
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


def map_colours(loaders: Loaders, unit: Unit, month: str) -> tuple[list[int], list[list[str]]]:
    features = map_base(loaders, unit, "grid")["features"]
    return figures.map_values(
        figures.feature_codes(features),
        loaders.level_figures("grid", month, unit.code),
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


def wall_cards(stats: dict[str, Any]) -> list[html.Div]:
    """The wall's headline figures (``reports.headline.WALL``), exactly as stored."""
    cards = []
    for h in headlines(stats, WALL):
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


def legend(counts: list[int]) -> Component:
    return components.map_legend(WALL_MEASURE, counts, "grid")


def stale_text(ok_at: str | None) -> str:
    """The stale-data warning: 数据连接中断，显示的是 HH:MM 的数据."""
    return "⚠ 数据连接中断" + (f"，显示的是 {ok_at} 的数据" if ok_at else "")


# ---------------------------------------------------------------------- content
def wall_content(
    loaders: Loaders, unit: Unit, ctx: dict[str, Any], size: tuple[int, int], *, full: bool
) -> dict[str, Any]:
    """Everything the wall shows for ``unit`` in the latest month, keyed by output.

    ``full``: a new map figure (another unit, or the first time); otherwise the map gets a
    ``Patch`` of its colours and hover data, and of its view when the map's size changed.
    """
    month = loaders.latest_month()
    if month is None:
        raise NoData("尚未加载农户数据")
    stats = loaders.stats(unit.code, month)
    root = home_unit(loaders) or unit
    order = tour_order(loaders, root)
    if full:
        fig, counts, signature = wall_map(loaders, unit, month, size)
        map_out: Any = fig
    else:
        z, custom = map_colours(loaders, unit, month)
        signature = ctx.get("sig")
        patch = Patch()
        patch["data"][0]["z"] = z
        patch["data"][0]["customdata"] = custom
        if list(size) != list(ctx.get("size") or []):
            view = wall_view(loaders, unit, size)
            patch["layout"]["map"]["center"] = view["center"]
            patch["layout"]["map"]["zoom"] = view["zoom"]
        counts = figures.class_counts(z, WALL_MEASURE)
        map_out = patch
    new_ctx = {
        **ctx,
        "code": unit.code,
        "month": month,
        "sig": signature,
        "size": list(size),
        "version": loaders.version(),
        "ok_at": now_hm(),
        "ok_ms": int(datetime.now().timestamp() * 1000),
    }
    return {
        (MAP, "figure"): map_out,
        ("wall-legend", "children"): legend(counts),
        ("wall-cards", "children"): wall_cards(stats),
        ("wall-causes", "children"): causes_bars(stats["by_cause"]),
        ("wall-trend", "children"): trend_columns(loaders.trend(unit.code), month),
        ("wall-unit", "children"): unit_title(unit, month),
        ("wall-tour-badge", "children"): tour_badge(order, unit.code, bool(ctx.get("tour"))),
        ("wall-asof", "children"): as_of_text(loaders.data_as_of()),
        ("wall-demo", "hidden"): not loaders.is_demo(),
        (CTX, "data"): new_ctx,
        (SELECT, "value"): unit.code,
        (SELECT, "options"): select_options(loaders, root),
        ("wall-empty-note", "hidden"): True,
    }


def refresh_result(
    ctx: dict[str, Any] | None,
    trigger: str | None,
    chosen: str | None = None,
    size: Any = None,
) -> tuple[Any, ...]:
    """The outputs of one wall update (``DATA_OUTPUTS`` then ``STALE_OUTPUTS``).

    ``trigger``: the refresh interval (same unit, fresh figures), the tour interval (the next
    unit of the playlist), the selector (``chosen``) or the map's size (``size``). When the store
    cannot be read, every data output is ``dash.no_update`` (the last good figures stay on
    screen) and the stale-data warning shows the time of the data shown.
    """
    ctx = dict(ctx or {})
    try:
        loaders = get_loaders()
        current = ctx.get("code")
        if trigger == TOUR:
            root = home_unit(loaders)
            target = root and wall_unit(loaders, tour_next(tour_order(loaders, root), current))
        elif trigger == SELECT and chosen:
            target = wall_unit(loaders, chosen)
        else:
            target = wall_unit(loaders, current)
        if target is None:
            raise NoData("尚未加载网格")
        pixels = map_size(size) if size else ctx_size(ctx)
        full = target.code != current or not ctx.get("sig")
        if not full:
            features = map_base(loaders, target, "grid")["features"]
            full = codes_signature(figures.feature_codes(features)) != ctx.get("sig")
        if (
            trigger == REFRESH
            and not full
            and list(pixels) == list(ctx.get("size") or [])
            and loaders.version() == ctx.get("version")
        ):  # nothing loaded since: only the time of the data shown moves on
            fresh = {**ctx, "ok_at": now_hm(), "ok_ms": int(datetime.now().timestamp() * 1000)}
            unchanged = [fresh if key == (CTX, "data") else dash.no_update for key in DATA_OUTPUTS]
            return (*unchanged, "", True)
        content = wall_content(loaders, target, ctx, pixels, full=full)
    except AccessDenied:
        raise  # a refusal (403), not an outage
    except NoData:  # the store answers, with nothing to show yet
        return (*[dash.no_update] * len(DATA_OUTPUTS), "", True)
    except Exception as exc:  # the database is away: keep the last good figures on screen
        log.warning("wall refresh failed: %s: %s", type(exc).__name__, exc)
        return (*[dash.no_update] * len(DATA_OUTPUTS), stale_text(ctx.get("ok_at")), False)
    return (*[content[key] for key in DATA_OUTPUTS], "", True)


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
