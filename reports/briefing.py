"""Briefings: one unit and month as a 16:9 image, a PDF page, a PowerPoint deck or an offline map.

Office staff (乡村振兴局) take these into meetings and onto the map wall. Plain functions, no Dash
callbacks: ``riskgrid brief`` and the dashboard call the same ones.

Every figure comes from ``Store.stats``, ``Store.children_stats`` and ``Store.level_stats`` (the
figures ``riskgrid stats`` prints) and every outline from ``Store.map_features``. No household is
read, so no household name or ID number can appear in a briefing.

Every string drawn in the image comes from one ``Briefing`` object (``briefing_texts`` lists them),
so tests can check the image's words against the figures. Chinese is drawn with Noto Sans CJK,
registered from its file: if the font is missing the briefing fails instead of drawing boxes.

The HTML map is one self-contained file: Leaflet's script and styles are inlined from
``reports/vendor/leaflet`` and there is no tile layer, so it opens from a USB stick with no
server and no internet (``reports/briefing_html.py``).

Names come from the files county offices are handed, so every output shows them as text and
nothing else: matplotlib draws every string with ``parse_math=False`` and ``usetex=False`` (a
``$x^2$`` in a name is no formula), python-pptx writes plain text runs, the HTML map never
makes them markup or a template (``briefing_html``), and file names keep only letters, digits,
``-`` and ``_`` (:func:`file_stem`, :func:`deck_name`).

The work is split by job, and every name is importable from here:
``briefing_model`` (the ``Briefing`` data, size, error), ``briefing_font``, ``briefing_build``
(content from the store), ``briefing_geometry`` (map outlines), ``briefing_page`` (layout,
header, footer), ``briefing_map``, ``briefing_cards``, ``briefing_chart``, ``briefing_render``
(figure, PNG, PDF), ``briefing_deck`` (PowerPoint) and ``briefing_names`` (file names).
"""

from __future__ import annotations

from pathlib import Path

from geodata import Store

from .briefing_build import DEMO_NOTE as DEMO_NOTE
from .briefing_build import DEMO_STAMP as DEMO_STAMP
from .briefing_build import REPORT_NAME as REPORT_NAME
from .briefing_build import RISK_ORDER as RISK_ORDER
from .briefing_build import SOURCE_NOTE as SOURCE_NOTE
from .briefing_build import brief_units, briefing_texts, build_briefing, grid_frame
from .briefing_deck import render_pptx
from .briefing_font import FONT_ENV as FONT_ENV
from .briefing_font import FONT_FILES as FONT_FILES
from .briefing_font import PREFERRED_FAMILY as PREFERRED_FAMILY
from .briefing_font import _cjk_font as _cjk_font
from .briefing_font import cjk_font
from .briefing_model import DEFAULT_SIZE, BriefError, Briefing, parse_size
from .briefing_model import MAX_SIZE as MAX_SIZE
from .briefing_model import MIN_SIZE as MIN_SIZE
from .briefing_model import Card as Card
from .briefing_model import MapData as MapData
from .briefing_names import deck_name, file_stem
from .briefing_page import OUTLINE as OUTLINE
from .briefing_render import briefing_figure, render_pdf, render_png

__all__ = [
    "DEFAULT_SIZE",
    "BriefError",
    "Briefing",
    "brief_units",
    "briefing_figure",
    "briefing_texts",
    "build_briefing",
    "cjk_font",
    "deck_name",
    "file_stem",
    "parse_size",
    "render_html",
    "render_pdf",
    "render_png",
    "render_pptx",
]

LEAFLET_DIR = Path(__file__).resolve().parent / "vendor" / "leaflet"
_grid_frame = grid_frame  # the name briefing_html imports it by


def render_html(store: Store, code: str, month: str | None = None) -> str:
    """One self-contained interactive map of the unit's grids (Leaflet inlined, no tiles); see
    ``reports.briefing_html``, where it is made with nothing from data as markup or template."""
    from .briefing_html import render_html as render

    return render(store, code, month)
