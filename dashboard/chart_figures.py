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
from plotly.subplots import make_subplots

from geodata.model import CATEGORY_LABELS
from reports import fmt
from reports.causes import TOP_CAUSES, top_causes

from .map_figures import FONT_FAMILY

# Plotly's default template, less its defaults for the ~40 trace types these charts do not use:
# the same look, half the bytes of a chart, and faster to build.
TEMPLATE = "riskgrid-charts"
_base = pio.templates["plotly"]
pio.templates[TEMPLATE] = go.layout.Template(
    layout=_base.layout, data={"bar": _base.data.bar, "scatter": _base.data.scatter}
)


def _figure(*traces: Any) -> go.Figure:
    return go.Figure(data=list(traces), layout={"template": TEMPLATE})


def _chart_layout(fig: go.Figure, height: int, **extra: Any) -> go.Figure:
    settings: dict[str, Any] = {
        "template": TEMPLATE,
        "height": height,
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "font": {"family": FONT_FAMILY, "size": 12, "color": "#333"},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "showlegend": False,
    }
    fig.update_layout(**(settings | extra))
    return fig


def _horizontal_bars(
    values: Sequence[int],
    labels: Sequence[str],
    colors: Sequence[str],
    texts: Sequence[str],
    hovertemplate: str,
    height: int,
) -> go.Figure:
    """One horizontal bar per label, the first at the bottom, on a grid of whole counts."""
    fig = _figure(
        go.Bar(
            x=values,
            y=labels,
            orientation="h",
            marker_color=colors,
            text=texts,
            textposition="auto",
            hovertemplate=hovertemplate,
        )
    )
    fig.update_xaxes(showgrid=True, gridcolor="#eee", tickformat=",d")
    return _chart_layout(fig, height)


def empty_chart(message: str, height: int = 220) -> go.Figure:
    """A chart area holding only a message (e.g. 无数据)."""
    fig = _figure()
    fig.add_annotation(text=message, showarrow=False, font={"size": 14, "color": "#888"})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _chart_layout(fig, height)


def causes_figure(by_cause: dict[str, int], top: int = TOP_CAUSES) -> go.Figure:
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


def categories_figure(by_category: dict[str, dict[str, int]]) -> go.Figure:
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
) -> go.Bar:
    return go.Bar(x=months, y=persons, name=name, marker_color=color, hovertemplate=hovertemplate)


def trend_figure(trend: Sequence[dict[str, Any]], month: str | None = None) -> go.Figure:
    """Monitored and eliminated persons per snapshot month, and the clearance rate (persons);
    the month shown on the page is shaded."""
    if not trend:
        return empty_chart("无趋势数据")
    months = [fmt.month_label(t["month"]) for t in trend]
    monitored = [t["monitored"]["persons"] for t in trend]
    eliminated = [t["eliminated"]["persons"] for t in trend]
    rate = [
        None if t["clearance_rate"]["persons"] is None else t["clearance_rate"]["persons"] * 100
        for t in trend
    ]
    fig = make_subplots(specs=[[{"secondary_y": True}]], figure=_figure())
    for bar in (
        _trend_bar(months, monitored, "监测人数", "#9fb6d8", "%{x} 监测 %{y:,} 人<extra></extra>"),
        _trend_bar(
            months, eliminated, "已消除人数", "#4c8c4a", "%{x} 已消除 %{y:,} 人<extra></extra>"
        ),
    ):
        fig.add_trace(bar, secondary_y=False)
    fig.add_trace(
        go.Scatter(
            x=months,
            y=rate,
            name="风险消除率（人）",
            mode="lines+markers",
            line={"color": "#d62f2f", "width": 2},
            hovertemplate="%{x} 消除率 %{y:.2f}%<extra></extra>",
        ),
        secondary_y=True,
    )
    shown = [t["month"] for t in trend]
    if month in shown:
        i = shown.index(month)
        fig.add_shape(
            type="rect",
            xref="x",
            yref="paper",
            x0=i - 0.5,
            x1=i + 0.5,
            y0=0,
            y1=1,
            fillcolor="rgba(242, 193, 46, 0.25)",
            line_width=0,
            layer="below",
        )
    fig.update_yaxes(tickformat=",d", gridcolor="#eee", secondary_y=False)
    fig.update_yaxes(ticksuffix="%", range=[0, 100], dtick=20, showgrid=False, secondary_y=True)
    fig.update_xaxes(tickangle=0, nticks=6)
    _chart_layout(
        fig,
        250,
        barmode="overlay",
        showlegend=True,
        legend={"orientation": "h", "y": 1.12, "x": 0},
    )
    fig.update_layout(margin={"l": 8, "r": 8, "t": 30, "b": 8})
    return fig
