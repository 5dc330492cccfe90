"""The bar chart of the briefing page: monitored households by risk cause (风险类型)."""

from __future__ import annotations

from .briefing_model import Briefing
from .briefing_page import BAR, INK, LITERAL, MUTED, Page


def draw_causes(page: Page, b: Briefing) -> None:
    """The causes as horizontal bars at the bottom right, each with its count (or a note
    when no household is monitored)."""
    fig = page.fig
    x0, x1 = 0.605, 0.985
    page.text(x0, 0.368, b.causes_title, 15, weight="bold", va="center")
    if not b.causes:
        page.text(x0, 0.30, b.empty_causes, 13, color=MUTED, va="center")
        return
    names = [page.text(0, 0, cause, 12) for cause, _, _ in b.causes]
    name_w = max(page.width(t) for t in names) + 0.008
    for t in names:
        t.remove()
    ax = fig.add_axes((x0 + name_w, 0.055, x1 - x0 - name_w - 0.045, 0.29))
    ax.set_axis_off()
    n = len(b.causes)
    values = [v for _, v, _ in b.causes]
    ax.barh(range(n), values, height=0.62, color=BAR)
    ax.set_ylim(max(n, 8) - 0.5, -0.5)
    ax.set_xlim(0, max(values) or 1)
    trans = ax.get_yaxis_transform()
    for i, (cause, _value, count) in enumerate(b.causes):
        ax.text(
            -0.015,
            i,
            cause,
            transform=trans,
            ha="right",
            va="center",
            fontsize=12,
            family=page.family,
            color=INK,
            **LITERAL,
        )
        ax.annotate(
            count,
            (values[i], i),
            xytext=(4, 0),
            textcoords="offset points",
            ha="left",
            va="center",
            fontsize=11.5,
            family=page.family,
            color=INK,
            annotation_clip=False,
            **LITERAL,
        )
