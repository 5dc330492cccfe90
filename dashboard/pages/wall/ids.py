"""The wall's constants: its address, colours, sizes and component ids."""

from __future__ import annotations

from typing import Any

from ... import figures

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
