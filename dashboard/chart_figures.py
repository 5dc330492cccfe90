"""Chart figures: plain functions from stored figures to Plotly charts (no Dash, no database).

The causes of risk, the monitored categories and the monthly trend of a unit. Every string from
data (cause names) goes into tick labels, hover text or bar texts through :func:`fmt.plotly_text`,
so Plotly's pseudo-HTML never reads a name as tags or entities.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from geodata.model import CATEGORY_LABELS
from reports import fmt
from reports.causes import TOP_CAUSES, top_causes

from .map_figures import FONT_FAMILY

Figure = dict[str, Any]

# Plotly's default template, less its defaults for the ~40 trace types these charts do not use:
# the same look, half the bytes of a chart. The figures are plain dicts, as ``to_plotly_json``
# of the graph objects would give: built without Plotly's validators, a hundred times faster.
_base = pio.templates["plotly"]
TEMPLATE: dict[str, Any] = go.layout.Template(
    layout=_base.layout, data={"bar": _base.data.bar, "scatter": _base.data.scatter}
).to_plotly_json()


def _chart_layout(height: int, **extra: Any) -> dict[str, Any]:
    return {
        "template": TEMPLATE,
        "height": height,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "font": {"family": FONT_FAMILY, "size": 12, "color": "#333"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
        **extra,
    }


def _horizontal_bars(
    values: Sequence[int],
    labels: Sequence[str],
    colors: Sequence[str],
    texts: Sequence[str],
    hovertemplate: str,
    height: int,
) -> Figure:
    """One horizontal bar per label, the first at the bottom, on a grid of whole counts."""
    bar = {
        "type": "bar",
        "x": list(values),
        "y": list(labels),
        "orientation": "h",
        "marker": {"color": list(colors)},
        "text": list(texts),
        "textposition": "auto",
        "hovertemplate": hovertemplate,
    }
    axis = {"showgrid": True, "gridcolor": "#eee", "tickformat": ",d"}
    return {"data": [bar], "layout": _chart_layout(height, xaxis=axis)}


def empty_chart(message: str, height: int = 220) -> Figure:
    """A chart area holding only a message (e.g. 无数据)."""
    note = {"text": message, "showarrow": False, "font": {"size": 14, "color": "#888"}}
    return {
        "data": [],
        "layout": _chart_layout(
            height, annotations=[note], xaxis={"visible": False}, yaxis={"visible": False}
        ),
    }


def causes_figure(by_cause: dict[str, int], top: int = TOP_CAUSES) -> Figure:
    """Monitored households per cause of risk, largest first (a household may name several),
    by the one causes rule (``reports.causes``)."""
    bars = top_causes(by_cause, top)
    if not bars:
        return empty_chart("无风险类型数据")
    labels = [fmt.plotly_text(b.label) for b in bars][::-1]  # tick labels and %{y}: plotly text
    values = [b.households for b in bars][::-1]
    return _horizontal_bars(
        values,
        labels,
        # the remainder (a sum of several causes) in grey: not a cause to compare with
        ["#a7afba" if b.remainder else "#5b7db1" for b in bars][::-1],
        [f"{v:,} 户" for v in values],
        "%{y}：%{x:,} 户<extra></extra>",
        max(180, 26 * len(bars) + 30),
    )


def categories_figure(by_category: dict[str, dict[str, int]]) -> Figure:
    """Monitored households and persons of the three categories."""
    keys = list(CATEGORY_LABELS)
    labels = [CATEGORY_LABELS[k] for k in keys][::-1]
    h = [by_category.get(k, {}).get("households", 0) for k in keys][::-1]
    p = [by_category.get(k, {}).get("persons", 0) for k in keys][::-1]
    return _horizontal_bars(
        h,
        labels,
        ["#9a6fb0", "#e0884a", "#4f9a8a"],
        [f"{a:,} 户 / {b:,} 人" for a, b in zip(h, p, strict=True)],
        "%{y}：%{text}<extra></extra>",
        170,
    )


def _trend_bar(
    months: Sequence[str], persons: Sequence[int], name: str, color: str, hovertemplate: str
) -> dict[str, Any]:
    return {
        "type": "bar",
        "x": list(months),
        "y": list(persons),
        "name": name,
        "marker": {"color": color},
        "hovertemplate": hovertemplate,
        "xaxis": "x",
        "yaxis": "y",
    }


def trend_figure(trend: Sequence[dict[str, Any]], month: str | None = None) -> Figure:
    """Monitored and eliminated persons per snapshot month (bars) and the clearance rate in
    persons (a line on a second axis, 0-100 %); the month shown on the page is shaded."""
    if not trend:
        return empty_chart("无趋势数据")
    months = [fmt.month_label(t["month"]) for t in trend]
    monitored = [t["monitored"]["persons"] for t in trend]
    eliminated = [t["eliminated"]["persons"] for t in trend]
    rate = [
        None if t["clearance_rate"]["persons"] is None else t["clearance_rate"]["persons"] * 100
        for t in trend
    ]
    rate_line = {
        "type": "scatter",
        "x": months,
        "y": rate,
        "name": "风险消除率（人）",
        "mode": "lines+markers",
        "line": {"color": "#d62f2f", "width": 2},
        "hovertemplate": "%{x} 消除率 %{y:.2f}%<extra></extra>",
        "xaxis": "x",
        "yaxis": "y2",
    }
    shown = [t["month"] for t in trend]
    shapes = []
    if month in shown:
        i = shown.index(month)
        shapes.append(
            {
                "type": "rect",
                "xref": "x",
                "yref": "paper",
                "x0": i - 0.5,
                "x1": i + 0.5,
                "y0": 0,
                "y1": 1,
                "fillcolor": "rgba(242, 193, 46, 0.25)",
                "line": {"width": 0},
                "layer": "below",
            }
        )
    layout = _chart_layout(
        250,
        xaxis={"anchor": "y", "domain": [0.0, 0.94], "tickangle": 0, "nticks": 6},
        yaxis={"anchor": "x", "domain": [0.0, 1.0], "tickformat": ",d", "gridcolor": "#eee"},
        yaxis2={
            "anchor": "x",
            "overlaying": "y",
            "side": "right",
            "ticksuffix": "%",
            "range": [0, 100],
            "dtick": 20,
            "showgrid": False,
        },
        **({"shapes": shapes} if shapes else {}),
        barmode="overlay",
        showlegend=True,
        legend={"orientation": "h", "y": 1.12, "x": 0},
    )
    layout["margin"] = {"l": 8, "r": 8, "t": 30, "b": 8}
    return {
        "data": [
            _trend_bar(
                months, monitored, "监测人数", "#9fb6d8", "%{x} 监测 %{y:,} 人<extra></extra>"
            ),
            _trend_bar(
                months, eliminated, "已消除人数", "#4c8c4a", "%{x} 已消除 %{y:,} 人<extra></extra>"
            ),
            rate_line,
        ],
        "layout": layout,
    }
