"""The briefing page drawn in full and written out: a matplotlib Figure, PNG bytes of exactly
the size asked, a one-page PDF with the CJK font embedded."""

from __future__ import annotations

import io

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from PIL import Image

from geodata import Store

from .briefing_build import build_briefing
from .briefing_cards import draw_cards
from .briefing_chart import draw_causes
from .briefing_map import draw_legend, draw_map
from .briefing_model import DEFAULT_SIZE, Briefing, parse_size
from .briefing_page import Page, draw_footer, draw_header


def briefing_figure(
    store: Store, code: str, month: str | None = None, size: tuple[int, int] = DEFAULT_SIZE
) -> Figure:
    """The briefing page as a matplotlib Figure on an Agg canvas (for PNG, PDF and tests)."""
    return draw_page(build_briefing(store, code, month), parse_size(size))


def draw_page(b: Briefing, size: tuple[int, int]) -> Figure:
    """The whole page of ``b`` at ``size`` pixels; the Figure keeps ``b`` as ``.briefing``."""
    page = Page(size)
    draw_header(page, b)
    draw_map(page, b)
    draw_legend(page, b)
    draw_cards(page, b)
    draw_causes(page, b)
    draw_footer(page, b)
    page.fig.briefing = b  # type: ignore[attr-defined]
    return page.fig


def png_bytes(fig: Figure, size: tuple[int, int]) -> bytes:
    """The drawn figure as a PNG of exactly ``size`` pixels."""
    canvas = fig.canvas
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    image = Image.fromarray(rgba[..., :3].copy(), "RGB")
    if image.size != size:  # not expected (see Page), but the size asked is a promise
        image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def render_png(
    store: Store, code: str, month: str | None = None, size: tuple[int, int] | str = DEFAULT_SIZE
) -> bytes:
    """The briefing of one unit and month as a PNG of exactly ``size`` pixels (16:9)."""
    size = parse_size(size)
    return png_bytes(draw_page(build_briefing(store, code, month), size), size)


def render_pdf(
    store: Store, code: str, month: str | None = None, size: tuple[int, int] | str = DEFAULT_SIZE
) -> bytes:
    """The same page as a one-page PDF, the CJK font embedded as TrueType (searchable text)."""
    size = parse_size(size)
    fig = draw_page(build_briefing(store, code, month), size)
    fig.set_size_inches(size[0] / fig.dpi, size[1] / fig.dpi)  # the page: exactly 16:9
    out = io.BytesIO()
    with matplotlib.rc_context({"pdf.fonttype": 42}):
        fig.savefig(
            out,
            format="pdf",
            dpi=fig.dpi,
            facecolor="white",
            metadata={"Title": fig.briefing.title, "Creator": "riskgrid", "Producer": "riskgrid"},  # type: ignore[attr-defined]
        )
    return out.getvalue()
