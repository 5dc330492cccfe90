"""Figure builders, one import point: plain functions from stored figures to Plotly figures (no
Dash, no database), written in three modules by job and re-exported here under their old names.

- :mod:`dashboard.measures`: how units are coloured (``Measure``, ``RISK_MEASURE``, ...);
- :mod:`dashboard.map_figures`: the risk map (ONE ``choroplethmap`` trace carrying the geometry
  once, patched per month and measure) and the resettlement sites map, always ``white-bg``;
- :mod:`dashboard.chart_figures`: the causes, categories and trend charts.

Every string from data (unit, site and cause names) goes into a figure's hover text, tick labels
or bar texts through :func:`fmt.plotly_text`; the map overlay's ``meta.labels`` stay plain.
"""

from __future__ import annotations

from .chart_figures import categories_figure, causes_figure, empty_chart, trend_figure
from .map_figures import (
    FONT_FAMILY,
    HOVER_TEMPLATE,
    MAP_SIZE,
    MAP_STYLE,
    bounds,
    feature_codes,
    feature_names,
    fit_view,
    map_layout,
    map_patch,
    map_values,
    outline_layer,
    risk_map_figure,
    site_flagged,
    site_marker_values,
    sites_map_figure,
    tile_layer,
)
from .measures import (
    MEASURES,
    NO_DATA_COLOR,
    RISK_MEASURE,
    SHARE_BOUNDS,
    SHARE_MEASURE,
    MapClass,
    Measure,
    class_counts,
    measure,
)

__all__ = [
    "FONT_FAMILY",
    "HOVER_TEMPLATE",
    "MAP_SIZE",
    "MAP_STYLE",
    "MEASURES",
    "NO_DATA_COLOR",
    "RISK_MEASURE",
    "SHARE_BOUNDS",
    "SHARE_MEASURE",
    "MapClass",
    "Measure",
    "bounds",
    "categories_figure",
    "causes_figure",
    "class_counts",
    "empty_chart",
    "feature_codes",
    "feature_names",
    "fit_view",
    "map_layout",
    "map_patch",
    "map_values",
    "measure",
    "outline_layer",
    "risk_map_figure",
    "site_flagged",
    "site_marker_values",
    "sites_map_figure",
    "tile_layer",
    "trend_figure",
]
