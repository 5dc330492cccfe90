"""The PowerPoint deck of briefings: 16:9, one slide per unit, the briefing image filling it."""

from __future__ import annotations

import io
from collections.abc import Sequence

from geodata import Store

from .briefing_build import REPORT_NAME, build_briefing
from .briefing_model import DEFAULT_SIZE, BriefError, parse_size
from .briefing_render import draw_page, png_bytes
from .fmt import month_label


def render_pptx(
    store: Store,
    codes: Sequence[str],
    month: str | None = None,
    size: tuple[int, int] | str = DEFAULT_SIZE,
) -> bytes:
    """One 16:9 deck, one slide per unit: the slide's title is the unit and month, the briefing
    image fills the slide."""
    from pptx import Presentation
    from pptx.util import Emu

    size = parse_size(size)
    if not codes:
        raise BriefError("没有要生成简报的单位 no units given")
    deck = Presentation()
    deck.slide_width, deck.slide_height = Emu(12_192_000), Emu(6_858_000)  # 13.333 x 7.5 in
    layout = next(
        (lay for lay in deck.slide_layouts if lay.name == "Title Only"), deck.slide_layouts[5]
    )
    for code in codes:
        b = build_briefing(store, code, month)
        png = png_bytes(draw_page(b, size), size)
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = b.slide_title  # the outline and the slide sorter show it
        slide.shapes.add_picture(io.BytesIO(png), 0, 0, deck.slide_width, deck.slide_height)
    deck.core_properties.title = f"{REPORT_NAME} {month_label(b.month)}"
    deck.core_properties.author = "riskgrid"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()
