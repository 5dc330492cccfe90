"""The headline cards of the briefing page (主要指标): one rounded card a figure, in rows."""

from __future__ import annotations

from matplotlib.patches import FancyBboxPatch, Rectangle

from .briefing_model import Briefing
from .briefing_page import CARD_FACE, MUTED, Page


def draw_cards(page: Page, b: Briefing) -> None:
    """The rows of headline cards at the top right: label, value and note, shrunk to fit."""
    fig = page.fig
    x0, x1 = 0.605, 0.985
    page.text(x0, 0.852, b.cards_title, 15, weight="bold", va="center")
    top, height, gap, hgap = 0.827, 0.1, 0.012, 0.008
    for r, row in enumerate(b.cards):
        y1 = top - r * (height + gap)
        y0 = y1 - height
        width = (x1 - x0 - hgap * (len(row) - 1)) / len(row)
        for c, card in enumerate(row):
            cx = x0 + c * (width + hgap)
            fig.add_artist(
                FancyBboxPatch(
                    (cx, y0),
                    width,
                    height,
                    boxstyle="round,pad=0,rounding_size=0.006",
                    transform=fig.transFigure,
                    facecolor=CARD_FACE,
                    edgecolor="#dde3ea",
                    lw=0.8,
                    mutation_aspect=1920 / 1080,
                )
            )
            inset = 0.010
            if card.accent:
                fig.add_artist(
                    Rectangle(
                        (cx, y0), 0.0045, height, transform=fig.transFigure, color=card.accent, lw=0
                    )
                )
                inset = 0.013
            label = page.text(cx + inset, y1 - 0.022, card.label, 12.5, color=MUTED, va="center")
            page.fit(label, width - inset - 0.006)
            vy = y0 + (0.052 if card.note else 0.040)
            value = page.text(cx + inset, vy, card.value, 22, weight="bold", va="center")
            page.fit(value, width - inset - 0.006)
            if card.note:
                note = page.text(cx + inset, y0 + 0.017, card.note, 10.5, color=MUTED, va="center")
                page.fit(note, width - inset - 0.006)
