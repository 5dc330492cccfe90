"""The briefing page: a figure in 1920x1080 layout units (``Page``), its colours, and the
header (title, subtitle, demo stamp) and footer (data date, source) drawn on it."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from .briefing_font import cjk_font
from .briefing_model import Briefing

# Colours of the page (the risk colours are geodata.model.RISK_COLORS).
INK = "#1f2933"
MUTED = "#5f6b7a"
RULE = "#c9d1db"
CARD_FACE = "#f4f6f9"
OUTLINE = "#2b2b2b"
BAR = "#5b7fa6"
STAMP = "#c81e1e"
# Every text is drawn as it is: no mathtext ($...$), no LaTeX even if a matplotlibrc asks for it.
LITERAL: dict[str, Any] = {"parse_math": False, "usetex": False}


class Page:
    """A figure in 1920x1080 layout units (fractions), measured with the Agg renderer."""

    def __init__(self, size: tuple[int, int]) -> None:
        width, height = size
        self.family, _ = cjk_font()
        self.dpi = 100.0 * height / 1080.0
        # A quarter pixel more than asked: Agg truncates, so the canvas is exactly width x height.
        self.fig = Figure(
            figsize=((width + 0.25) / self.dpi, (height + 0.25) / self.dpi), dpi=self.dpi
        )
        self.fig.patch.set_facecolor("white")
        self.canvas = FigureCanvasAgg(self.fig)
        self.renderer = self.canvas.get_renderer()
        self.size = size

    def text(self, x: float, y: float, s: str, size: float, **kw: Any) -> Text:
        kw.setdefault("color", INK)
        return self.fig.text(x, y, s, fontsize=size, family=self.family, **LITERAL, **kw)

    def extent(self, artist: Text) -> Any:
        return artist.get_window_extent(self.renderer)

    def width(self, artist: Text) -> float:
        """Width as a fraction of the figure."""
        return self.extent(artist).width / self.fig.bbox.width

    def fit(self, artist: Text, max_width: float, min_size: float = 8.0) -> None:
        """Shrink the font until the text is at most ``max_width`` (figure fraction) wide."""
        size = artist.get_fontsize()
        while self.width(artist) > max_width and size > min_size:
            size *= 0.94
            artist.set_fontsize(size)

    def row(self, x: float, y: float, items: Iterable[Text], gap: float) -> float:
        """Place texts one after another from ``x``; the x where the row ends."""
        for artist in items:
            artist.set_x(x)
            x += self.width(artist) + gap
        return x


def draw_header(page: Page, b: Briefing) -> None:
    """The title, the subtitle under it and a rule; the demo stamp at the right."""
    fig = page.fig
    title = page.text(0.015, 0.952, b.title, 30, weight="bold", va="center", gid="title")
    page.fit(title, 0.80 if b.stamp else 0.97)
    sub = page.text(0.015, 0.903, b.subtitle, 14, color=MUTED, va="center", gid="subtitle")
    page.fit(sub, 0.85 if b.stamp else 0.97)
    fig.add_artist(
        Rectangle((0.015, 0.874), 0.97, 0.0025, transform=fig.transFigure, color=RULE, lw=0)
    )
    if b.stamp:
        page.text(
            0.972,
            0.935,
            b.stamp,
            26,
            color=STAMP,
            weight="bold",
            ha="right",
            va="center",
            rotation=8,
            alpha=0.9,
            gid="stamp",
            bbox=dict(boxstyle="round,pad=0.35", fc="none", ec=STAMP, lw=3, alpha=0.9),
        )


def draw_footer(page: Page, b: Briefing) -> None:
    """The data date (and the demo note) at the left of the last line, the source at its right."""
    y = 0.022
    items = [page.text(0.015, y, b.data_date, 12, color=MUTED, va="center")]
    if b.demo_note:
        items.append(page.text(0, y, b.demo_note, 12, color=STAMP, va="center"))
    page.row(0.015, y, items, 0.02)
    page.text(0.985, y, b.source, 12, color=MUTED, ha="right", va="center")
