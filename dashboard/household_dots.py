"""A grid's households on its map: dots in their risk colour, ringed, red on top, and the
legend that counts them by level (issue 13, defect 1: a red household on a red grid showed
nothing). Used by the grid page (``dashboard.pages.grid``)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from dash import html
from dash.development.base_component import Component

from geodata.model import RISK_COLORS, RISK_LABELS, mask_name
from reports import fmt

from . import tables

RING_COLOR = "#1b2430"  # the dark ring under every household dot (scattermap has no marker line)
GRID_FILL_OPACITY = 0.38  # the grids' fill, muted so a dot shows on a grid of its own colour
LEVELS = ("blue", "yellow", "red")  # drawn in this order: red on top


def household_level(record: dict[str, Any]) -> str | None:
    """The level of a household's open risk (red, yellow, blue), None when none is open."""
    if record.get("category") and not record.get("eliminated"):
        level = record.get("risk_level")
        return level if level in LEVELS else None
    return None


def _located(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if not {"lon", "lat"} <= set(frame.columns):
        return []
    return list(tables.records(frame.dropna(subset=["lon", "lat"])))


def _dots(
    records: list[dict[str, Any]], size: float, color: str, opacity: float = 1.0
) -> dict[str, Any]:
    return {
        "type": "scattermap",
        "mode": "markers",
        "lon": [r["lon"] for r in records],
        "lat": [r["lat"] for r in records],
        "customdata": [r["household_id"] for r in records],
        "text": [
            fmt.plotly_text(f"{r['household_id']} {mask_name(r.get('head_name')) or ''}")
            for r in records
        ],
        "hovertemplate": "%{text}<extra></extra>",
        "marker": {"size": size, "color": color, "opacity": opacity},
        "name": "",
    }


def household_traces(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Households with a location as dots: the others small and grey at the bottom, then the
    open risks in their colour, blue, yellow, red on top, each on a slightly larger dark dot
    (its ring) so that it shows on a grid of its own colour. Every trace carries the household
    ids (``customdata``): a click opens the household whichever trace it reaches."""
    by_level: dict[str | None, list[dict[str, Any]]] = {None: [], **{k: [] for k in LEVELS}}
    for r in _located(frame):
        by_level[household_level(r)].append(r)
    traces = []
    if by_level[None]:
        traces.append(_dots(by_level[None], 6, "#5f6b78", 0.9))
    for level in LEVELS:
        if by_level[level]:
            traces.append(_dots(by_level[level], 16, RING_COLOR))
            traces.append(_dots(by_level[level], 11, RISK_COLORS[level]))
    return traces


def household_points(frame: pd.DataFrame) -> dict[str, Any] | None:
    """The top trace of :func:`household_traces` (the most urgent dots), None when no household
    has a location."""
    traces = household_traces(frame)
    return traces[-1] if traces else None


def household_counts(frame: pd.DataFrame | None) -> dict[str, int]:
    """Households with a location on the map by level (``none``: no open risk)."""
    counts = {"red": 0, "yellow": 0, "blue": 0, "none": 0}
    for r in _located(frame) if frame is not None else []:
        counts[household_level(r) or "none"] += 1
    return counts


def household_legend(frame: pd.DataFrame | None) -> Component:
    """The map's legend: the dots by level with their counts (``data-<level>``)."""
    counts = household_counts(frame)
    items = [html.Span("农户（有位置）", className="rg-legend-title")]
    for level in ("red", "yellow", "blue"):
        items.append(
            html.Span(
                [
                    html.Span(
                        className="rg-dot",
                        style={"background": RISK_COLORS[level], "borderColor": RING_COLOR},
                    ),
                    html.Span(RISK_LABELS[level], className="rg-legend-label"),
                    html.Span(f"{counts[level]:,}", className="rg-legend-count"),
                ],
                className="rg-legend-item",
                **{"data-level": level},
            )
        )
    items.append(
        html.Span(
            [
                html.Span(className="rg-dot rg-dot-small", style={"background": "#5f6b78"}),
                html.Span("无未消除风险", className="rg-legend-label"),
                html.Span(f"{counts['none']:,}", className="rg-legend-count"),
            ],
            className="rg-legend-item",
            **{"data-level": "none"},
        )
    )
    return html.Div(
        items,
        className="rg-legend rg-dot-legend",
        id="grid-household-legend",
        **{f"data-{k}": str(v) for k, v in counts.items()},
    )
