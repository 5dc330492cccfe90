"""Map figures: the risk map and the resettlement sites map, plain functions from stored figures
to Plotly figure dicts (no Dash components, no database).

The risk map is ONE ``choroplethmap`` trace that carries the simplified geometry once; its colours
are classes (z codes 0..n-1, :mod:`dashboard.measures`) on a stepped colour scale, so changing the
measure or the month only replaces ``z`` and ``customdata`` (see :func:`map_patch`), never the
geometry. The map style is always ``white-bg``: it needs no tiles, and no fonts because names are
written by an HTML overlay (``assets/riskgrid.js``) from ``layout.meta.labels``, not by MapLibre
text layers, which would fetch glyphs from another host.

Every string from data (unit and site names) goes into hover text through :func:`fmt.plotly_text`,
so Plotly's pseudo-HTML never reads a name as tags or entities; the overlay's ``meta.labels`` stay
plain, the script writes them as ``textContent``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from dash import Patch

from geodata.model import RISK_COLORS, RISK_LABELS
from reports import fmt

from .measures import Measure

FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans SC", "Microsoft YaHei", sans-serif'
MAP_STYLE = "white-bg"
# The maps' sizes in pixels, to fit the view: the heights are the CSS heights of ``.rg-map`` and
# ``.rg-map-small`` (assets/riskgrid.css); the width is the map panel's at a 1440-1600 px wide
# window (wider windows show more around the unit, never less of it).
MAP_SIZE = (820, 580)
GRID_MAP_SIZE = (820, 430)
FIT_PADDING = 10  # pixels kept free around the unit on each side


# ---------------------------------------------------------------------- risk map
def feature_codes(features: dict[str, Any]) -> list[str]:
    """The unit codes of a FeatureCollection, in its order (the trace's locations)."""
    return [f["id"] for f in features["features"]]


def feature_names(features: dict[str, Any]) -> dict[str, str]:
    """code -> unit name of a FeatureCollection."""
    return {f["id"]: f["properties"].get("name", f["id"]) for f in features["features"]}


def _hover_row(fig: dict[str, Any] | None, name: str) -> list[str]:
    name = fmt.plotly_text(name)
    if fig is None:
        return [name, "无数据", "—", "—", "—", "—", "—", "—", "—"]
    monitored = fig["monitored"]
    open_ = fig["open_by_level"]
    if "open_problems" in fig:  # the map coloured by the problem list
        name += f"（未处理问题 {fmt.num(fig['open_problems'])} 条）"
    return [
        name,
        RISK_LABELS.get(fig.get("risk_level", "none"), "无"),
        fmt.households(monitored["households"]),
        fmt.persons(monitored["persons"]),
        fmt.num(open_["red"]["households"]),
        fmt.num(open_["yellow"]["households"]),
        fmt.num(open_["blue"]["households"]),
        fmt.pct(fig["clearance_rate"]["persons"]),
        fmt.pct((fig.get("monitored_share") or {}).get("persons")),
    ]


HOVER_TEMPLATE = (
    "<b>%{customdata[0]}</b><br>"
    "风险等级：%{customdata[1]}<br>"
    "监测对象：%{customdata[2]} / %{customdata[3]}<br>"
    "未消除 红 %{customdata[4]} · 黄 %{customdata[5]} · 蓝 %{customdata[6]}（户）<br>"
    "风险消除率（人）：%{customdata[7]}<br>"
    "监测人口占比：%{customdata[8]}"
    "<extra></extra>"
)


def map_values(
    codes: Sequence[str],
    figures_by_code: dict[str, dict[str, Any]],
    names: dict[str, str],
    how: Measure,
) -> tuple[list[int], list[list[str]]]:
    """z codes and hover data, in the order of ``codes``."""
    z = [how.classify(figures_by_code.get(code)) for code in codes]
    custom = [_hover_row(figures_by_code.get(code), names.get(code, code)) for code in codes]
    return z, custom


def _coords(geometry: dict[str, Any]) -> Iterable[Sequence[float]]:
    kind, coords = geometry["type"], geometry["coordinates"]
    if kind == "Polygon":
        coords = [coords]
    for polygon in coords:
        for ring in polygon:
            yield from ring


def bounds(features: dict[str, Any]) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of a FeatureCollection."""
    xs: list[float] = []
    ys: list[float] = []
    for feature in features["features"]:
        for x, y in _coords(feature["geometry"]):
            xs.append(x)
            ys.append(y)
    if not xs:
        return None
    return min(xs), min(ys), max(xs), max(ys)


def _mercator_y(lat: float) -> float:
    lat = max(min(lat, 85.0), -85.0)
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def fit_view(
    box: tuple[float, float, float, float] | None,
    size: tuple[int, int] = MAP_SIZE,
    padding: float = FIT_PADDING,
) -> dict[str, Any]:
    """Centre and zoom that show the whole box in a map of ``size`` pixels, ``padding`` pixels
    (or, below 1, that share of each side) kept free around it."""
    if box is None:
        return {"center": {"lon": 116.4, "lat": 39.9}, "zoom": 3}
    min_x, min_y, max_x, max_y = box
    width, height = size
    if padding < 1:
        width, height = width * (1 - 2 * padding), height * (1 - 2 * padding)
    else:
        width, height = width - 2 * padding, height - 2 * padding
    width, height = max(width, 50), max(height, 50)
    span_x = max(max_x - min_x, 1e-4)
    span_y = max(_mercator_y(max_y) - _mercator_y(min_y), 1e-6)
    zoom_x = math.log2(width * 360 / (512 * span_x))
    zoom_y = math.log2(height * 2 * math.pi / (512 * span_y))
    zoom = min(zoom_x, zoom_y) - 0.02  # rounding: never a pixel too large
    mid_y = (_mercator_y(min_y) + _mercator_y(max_y)) / 2  # the box's middle on the screen
    mid_lat = math.degrees(2 * math.atan(math.exp(mid_y)) - math.pi / 2)
    return {
        "center": {"lon": round((min_x + max_x) / 2, 6), "lat": round(mid_lat, 6)},
        "zoom": round(max(zoom, 1.0), 2),
        # for the browser, which fits the box again to the map's real size (riskgrid.js)
        "fit": {"box": [round(v, 6) for v in box], "padding": padding},
    }


def outline_layer(source: dict[str, Any] | str, color: str, width: float) -> dict[str, Any]:
    """A MapLibre line layer drawing outlines (a FeatureCollection or its URL) above the trace."""
    return {
        "sourcetype": "geojson",
        "source": source,
        "type": "line",
        "color": color,
        "line": {"width": width},
    }


def tile_layer(tile_url: str) -> dict[str, Any]:
    """A raster basemap from an intranet tile server ({z}/{x}/{y}), drawn below the trace."""
    return {"sourcetype": "raster", "source": [tile_url], "below": "traces", "opacity": 0.7}


def map_layout(
    view: dict[str, Any],
    layers: list[dict[str, Any]],
    labels: list[dict[str, Any]],
    revision: str,
    obstacles: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The layout of a map figure: white-bg style, the view, extra layers, and in ``meta`` the
    names for the overlay script (and obstacles names must not cover) and the box the view
    fits (``fit``: the browser fits it to the map's real size)."""
    view = dict(view)
    fit = view.pop("fit", None)
    return {
        "map": {"style": MAP_STYLE, **view, "layers": layers},
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "font": {"family": FONT_FAMILY},
        "hoverlabel": {"font": {"family": FONT_FAMILY}},
        "clickmode": "event",
        "showlegend": False,
        "uirevision": revision,
        "meta": {
            "labels": labels,
            "key": revision,
            "obstacles": obstacles or [],
            **({"fit": fit} if fit else {}),
        },
        "paper_bgcolor": "#ffffff",
    }


def risk_map_figure(
    features: dict[str, Any],
    figures_by_code: dict[str, dict[str, Any]],
    how: Measure,
    *,
    outlines: Sequence[dict[str, Any]] = (),
    labels: Sequence[dict[str, Any]] = (),
    view: dict[str, Any] | None = None,
    tile_url: str = "",
    revision: str = "map",
    line_width: float = 0.4,
    geojson: str | None = None,
    opacity: float = 0.92,
) -> dict[str, Any]:
    """The risk map: one choroplethmap trace of every unit in ``features``.

    The trace carries the geometry once: ``features`` itself, or its URL ``geojson`` when given
    (``features`` then only supplies the codes and names). ``outlines`` are line layers drawn
    over it (e.g. township and county outlines), ``labels`` the names written on the map by the
    overlay script: dicts with ``t`` (text), ``lon``, ``lat`` and ``p`` (priority: larger first
    when labels collide). ``opacity``: the fill's (lower to mute the colours under dots).
    """
    codes = feature_codes(features)
    z, custom = map_values(codes, figures_by_code, feature_names(features), how)
    n = len(how.classes)
    trace = {
        "type": "choroplethmap",
        "geojson": geojson or features,
        "locations": codes,
        "featureidkey": "id",
        "z": z,
        "zmin": -0.5,
        "zmax": n - 0.5,
        "colorscale": how.colorscale(),
        "showscale": False,
        "marker": {"line": {"color": "#ffffff", "width": line_width}, "opacity": opacity},
        "customdata": custom,
        "hovertemplate": HOVER_TEMPLATE,
        "name": "",
    }
    layers = ([tile_layer(tile_url)] if tile_url else []) + list(outlines)
    layout = map_layout(view or fit_view(bounds(features)), layers, list(labels), revision)
    return {"data": [trace], "layout": layout}


def map_patch(z: Sequence[int], customdata: Sequence[list[str]], how: Measure) -> Patch:
    """A partial update of the risk map: new colours and hover data, the geometry untouched."""
    patch = Patch()
    patch["data"][0]["z"] = list(z)
    patch["data"][0]["customdata"] = list(customdata)
    patch["data"][0]["colorscale"] = how.colorscale()
    patch["data"][0]["zmax"] = len(how.classes) - 0.5
    return patch


# ---------------------------------------------------------------------- sites
def sites_map_figure(
    sites: Sequence[dict[str, Any]],
    *,
    outlines: Sequence[dict[str, Any]] = (),
    labels: Sequence[dict[str, Any]] = (),
    view: dict[str, Any],
    tile_url: str = "",
) -> dict[str, Any]:
    """Resettlement sites as circles sized by relocated persons, red where employment
    coverage is below 100 %."""
    trace: dict[str, Any] = {
        "type": "scattermap",
        "mode": "markers",
        "name": "",
        "hovertemplate": "%{customdata}<extra></extra>",
    }
    trace.update(site_marker_values(sites))
    layers = ([tile_layer(tile_url)] if tile_url else []) + list(outlines)
    circles = [
        {"lon": lon, "lat": lat, "r": size / 2}
        for lon, lat, size in zip(trace["lon"], trace["lat"], trace["marker"]["size"], strict=True)
    ]
    return {"data": [trace], "layout": map_layout(view, layers, list(labels), "sites", circles)}


def site_marker_values(sites: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Positions, sizes, colours and hover text of the site markers (patched per month)."""
    persons = [s.get("relocated_persons") or 0 for s in sites]
    biggest = max(persons, default=0) or 1
    sizes = [10 + 30 * math.sqrt(p / biggest) for p in persons]
    colors = [RISK_COLORS["red"] if site_flagged(s) else "#2e8b57" for s in sites]
    hover = [
        f"<b>{fmt.plotly_text(s['site_name'])}</b><br>搬迁 {fmt.households(s.get('relocated_households'))} / "
        f"{fmt.persons(s.get('relocated_persons'))}<br>"
        f"就业帮扶覆盖率 {fmt.pct(s.get('employment_coverage'))}"
        for s in sites
    ]
    return {
        "lon": [s["lon"] for s in sites],
        "lat": [s["lat"] for s in sites],
        "customdata": hover,
        "marker": {"size": sizes, "color": colors, "opacity": 0.85},
    }


def site_flagged(site: dict[str, Any]) -> bool:
    """A site whose households with labour are not all covered by employment (below 100 %)."""
    coverage = site.get("employment_coverage")
    return coverage is not None and coverage < 1.0
