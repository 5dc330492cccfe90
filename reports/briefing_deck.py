"""The PowerPoint deck of briefings: 16:9, one slide per unit, built of native parts so that
staff can edit a figure or a title before the meeting (PowerPoint or WPS): the title and
subtitle as text, the map as a picture with its legend as text, the headline figures and the
risk causes as tables, the data date and source as text."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from PIL import Image

from geodata import Store

from .briefing_build import REPORT_NAME, build_briefing
from .briefing_map import draw_map
from .briefing_model import DEFAULT_SIZE, BriefError, Briefing, parse_size
from .briefing_page import Page
from .briefing_render import png_bytes
from .fmt import month_label

# the map's box on the briefing page (``draw_map``), as figure fractions: left, bottom, w, h
MAP_BOX = (0.015, 0.135, 0.565, 0.725)
INK, MUTED, RED = "1F2933", "66727F", "C0392B"


def map_png(b: Briefing, size: tuple[int, int]) -> bytes:
    """The briefing's map alone (the grids, outlines and names), cut from a page of ``size``."""
    page = Page(size)
    draw_map(page, b)
    whole = Image.open(io.BytesIO(png_bytes(page.fig, size)))
    left, bottom, width, height = MAP_BOX
    w, h = size
    box = (
        int(left * w),
        int((1 - bottom - height) * h),
        int((left + width) * w),
        int((1 - bottom) * h),
    )
    out = io.BytesIO()
    whole.crop(box).save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _text(slide: Any, x: int, y: int, w: int, h: int, text: str, size: float, **kw: Any) -> Any:
    """A text box of one paragraph (``bold``, ``color`` as hex)."""
    from pptx.dml.color import RGBColor
    from pptx.util import Pt

    box = slide.shapes.add_textbox(x, y, w, h)
    frame = box.text_frame
    frame.word_wrap = True
    run = frame.paragraphs[0].add_run()
    run.text = text
    run.font.size = Pt(size)
    run.font.bold = bool(kw.get("bold"))
    run.font.color.rgb = RGBColor.from_string(kw.get("color", INK))
    return box


def _table(
    slide: Any, x: int, y: int, w: int, rows: list[list[str]], size: float, name: str, row_h: int
) -> Any:
    """A native table of rows ``row_h`` high, the first row its header."""
    from pptx.util import Pt

    shape = slide.shapes.add_table(len(rows), len(rows[0]), x, y, w, row_h * len(rows))
    shape.name = name
    table = shape.table
    for r, row in enumerate(rows):
        table.rows[r].height = row_h
        for c, value in enumerate(row):
            cell = table.cell(r, c)
            cell.text = value
            for paragraph in cell.text_frame.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(size)
                    run.font.bold = r == 0
    return shape


def _inch(value: float) -> Any:
    from pptx.util import Inches

    return Inches(value)


def cause_rows(b: Briefing) -> list[list[str]]:
    """The causes two to a row (风险类型, 户数, 风险类型, 户数), so the table fits the slide."""
    items = [[name, text] for name, _, text in b.causes] or [[b.empty_causes, ""]]
    if len(items) % 2:
        items.append(["", ""])
    return [["风险类型", "监测户数", "风险类型", "监测户数"]] + [
        items[i] + items[i + 1] for i in range(0, len(items), 2)
    ]


def add_slide(deck: Any, layout: Any, b: Briefing, size: tuple[int, int]) -> None:
    """One unit's slide (13.333 x 7.5 in): title and subtitle across the top; on the left the
    map as a picture and its legend as text; on the right the headline figures and the causes
    as tables; the data date and source at the foot."""
    from pptx.dml.color import RGBColor
    from pptx.enum.shapes import MSO_SHAPE
    from pptx.util import Pt

    inch = _inch
    slide = deck.slides.add_slide(layout)
    title = slide.shapes.title
    title.text = b.slide_title  # the outline and the slide sorter show it
    title.left, title.top, title.width, title.height = inch(0.3), inch(0.15), inch(10.5), inch(0.65)
    for paragraph in title.text_frame.paragraphs:
        for run in paragraph.runs:
            run.font.size, run.font.bold = Pt(28), True
    _text(
        slide,
        inch(0.3),
        inch(0.8),
        inch(12.7),
        inch(0.35),
        f"{REPORT_NAME} · {b.subtitle}",
        12,
        color=MUTED,
    )
    if b.stamp:
        _text(slide, inch(11.2), inch(0.2), inch(1.9), inch(0.5), b.stamp, 18, bold=True, color=RED)
    # the map (its true shape: the page's box) and its legend on one line under it
    map_h = inch(4.9)
    map_w = int(map_h * (MAP_BOX[2] * size[0]) / (MAP_BOX[3] * size[1]))
    slide.shapes.add_picture(io.BytesIO(map_png(b, size)), inch(0.3), inch(1.25), map_w, map_h)
    _text(slide, inch(0.3), inch(6.25), inch(2.6), inch(0.35), b.legend_title, 9, color=MUTED)
    x = inch(2.9)
    for color, label in b.legend:
        square = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, x, inch(6.34), Pt(9), Pt(9))
        square.fill.solid()
        square.fill.fore_color.rgb = RGBColor.from_string(color.lstrip("#").upper())
        square.line.color.rgb = RGBColor.from_string("8A8A8A")
        _text(slide, x + Pt(10), inch(6.25), inch(1.15), inch(0.35), label, 9)
        x += inch(1.22)
    # the headline figures and the causes, as tables
    left, width = inch(7.9), inch(5.13)
    _text(slide, left, inch(1.15), width, inch(0.35), b.cards_title, 13, bold=True)
    figures = [["指标", "数值", "说明"]] + [
        [c.label, c.value, c.note] for row in b.cards for c in row
    ]
    table = _table(slide, left, inch(1.5), width, figures, 10, "figures", Pt(19))
    for column, w in zip(table.table.columns, (inch(1.55), inch(1.6), inch(1.98)), strict=True):
        column.width = w
    top = table.top + table.height + inch(0.12)
    _text(slide, left, top, width, inch(0.35), b.causes_title, 13, bold=True)
    _table(slide, left, top + inch(0.35), width, cause_rows(b), 9.5, "causes", Pt(18))
    foot = " · ".join(t for t in (b.data_date, b.source, b.demo_note) if t)
    _text(slide, inch(0.3), inch(7.0), inch(12.7), inch(0.35), foot, 9, color=MUTED)


def render_pptx(
    store: Store,
    codes: Sequence[str],
    month: str | None = None,
    size: tuple[int, int] | str = DEFAULT_SIZE,
) -> bytes:
    """One 16:9 deck, one slide per unit (:func:`add_slide`); ``size``: the pixels the map's
    picture is drawn at (its share of a page of that size)."""
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
        add_slide(deck, layout, b, size)
    deck.core_properties.title = f"{REPORT_NAME} {month_label(b.month)}"
    deck.core_properties.author = "riskgrid"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()
