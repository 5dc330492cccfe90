"""Figure cards and the map legend: the stored figures of a unit as labelled numbers.

Numbers are written with :mod:`reports.fmt` (through :mod:`reports.headline`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import html

from geodata.model import LEVEL_LABELS
from reports.headline import headlines

from .measures import Measure


def card(
    key: str, label: str, value: str, raw: Any, sub: str | None = None, tone: str = ""
) -> html.Div:
    """One figure card; ``data-key``/``data-value`` let tests and screen readers find it."""
    return html.Div(
        [
            html.Div(label, className="rg-card-label"),
            html.Div(value, className="rg-card-value", **{"data-key": key, "data-value": str(raw)}),
            html.Div(sub, className="rg-card-sub") if sub else None,
        ],
        className=f"rg-card {tone}".strip(),
    )


def stat_cards(stats: dict[str, Any]) -> html.Div:
    """The unit's headline figures (``reports.headline``), exactly as stored (``Store.stats``)."""
    cards = [
        card(h.key, h.label, h.value, h.raw, h.sub, f"rg-tone-{h.tone}" if h.tone else "")
        for h in headlines(stats)
    ]
    return html.Div(cards, className="rg-cards", id="rg-cards")


def map_legend(how: Measure, counts: Sequence[int], level: str) -> html.Div:
    """The map's colours with the number of units of each colour."""
    unit_word = LEVEL_LABELS[level]
    items = [
        html.Div(
            [
                html.Span(className="rg-swatch", style={"background": cls.color}),
                html.Span(cls.label, className="rg-legend-label"),
                html.Span(
                    f"{count:,}",
                    className="rg-legend-count",
                    **{"data-class": cls.key, "data-count": str(count)},
                ),
            ],
            className="rg-legend-item",
        )
        for cls, count in zip(how.classes, counts, strict=True)
    ]
    total = sum(counts)
    return html.Div(
        [
            html.Div(f"{how.label}（{unit_word}数）", className="rg-legend-title"),
            *items,
            html.Div(
                [
                    html.Span("合计"),
                    html.Span(f"{total:,} 个{unit_word}", **{"data-total": str(total)}),
                ],
                className="rg-legend-total",
            ),
        ],
        className="rg-legend",
    )
