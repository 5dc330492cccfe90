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
"""

from __future__ import annotations

import functools
import io
import math
import os
import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib import font_manager, patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch, Rectangle
from matplotlib.text import Text
from PIL import Image

from geodata import Store, StoreError
from geodata.model import LEVEL_LABELS, RISK_COLORS, RISK_LABELS, Unit, check_month

from .causes import top_causes
from .fmt import DASH, hp, month_label
from .headline import BRIEFING_ROWS, headlines

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

DEFAULT_SIZE: tuple[int, int] = (1920, 1080)
MIN_SIZE, MAX_SIZE = (640, 360), (7680, 4320)
SOURCE_NOTE = "数据来源: 防止返贫监测信息系统 / riskgrid"
DEMO_STAMP = "演示数据"
DEMO_NOTE = "演示数据: 由 riskgrid demo 生成的模拟县, 非真实数据"
REPORT_NAME = "防返贫动态监测简报"

FONT_ENV = "RISKGRID_CJK_FONT"
FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian / Ubuntu fonts-noto-cjk
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch, Alpine
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
)
PREFERRED_FAMILY = "Noto Sans CJK SC"  # simplified Chinese glyph forms from the collection

LEAFLET_DIR = Path(__file__).resolve().parent / "vendor" / "leaflet"

# Colours of the page (the risk colours are geodata.model.RISK_COLORS).
INK = "#1f2933"
MUTED = "#5f6b7a"
RULE = "#c9d1db"
CARD_FACE = "#f4f6f9"
OUTLINE = "#2b2b2b"
BAR = "#5b7fa6"
STAMP = "#c81e1e"
RISK_ORDER = ("red", "yellow", "blue", "none")
# Every text is drawn as it is: no mathtext ($...$), no LaTeX even if a matplotlibrc asks for it.
LITERAL: dict[str, Any] = {"parse_math": False, "usetex": False}
# File names: letters (any script, CJK too), digits, - and _; the rest becomes one _.
_UNSAFE_RUN = re.compile(r"[^\w-]+")
NAME_BYTES = 120  # at most this many UTF-8 bytes of the unit's name in a file name
CODE_BYTES = 40


class BriefError(ValueError):
    """A briefing cannot be made: unknown unit or month, bad size, missing font."""


# ---------------------------------------------------------------------------------------- font
_font_lock = threading.Lock()


@functools.cache
def _cjk_font() -> tuple[str, str]:
    candidates = [os.environ[FONT_ENV]] if os.environ.get(FONT_ENV) else list(FONT_FILES)
    path = next((Path(p) for p in candidates if Path(p).is_file()), None)
    if path is None:
        raise BriefError(
            "未找到中文字体 Noto Sans CJK, 简报中的中文会显示为方框; 请安装 fonts-noto-cjk "
            f"或用 {FONT_ENV} 指定字体文件 (CJK font not found: {', '.join(candidates)})"
        )
    with _font_lock:
        font_manager.fontManager.addfont(str(path))
        bold = path.with_name(path.name.replace("Regular", "Bold"))
        if bold != path and bold.is_file():
            font_manager.fontManager.addfont(str(bold))
    families = [f.name for f in font_manager.fontManager.ttflist if Path(f.fname) == path]
    family = PREFERRED_FAMILY if PREFERRED_FAMILY in families else families[0]
    found = font_manager.findfont(
        font_manager.FontProperties(family=family), fallback_to_default=False
    )
    if Path(found) != path:
        raise BriefError(f"中文字体注册失败 CJK font not registered: {path} -> {found}")
    return family, str(path)


def cjk_font() -> tuple[str, str]:
    """(family, file) of the CJK font the briefings draw with, registered with matplotlib."""
    return _cjk_font()


# ---------------------------------------------------------------------------------------- model
@dataclass
class Card:
    label: str
    value: str
    note: str = ""
    accent: str | None = None


@dataclass
class MapData:
    """Polygons in lon/lat, ready for PolyCollection and LineCollection."""

    grid_polys: list[np.ndarray] = field(default_factory=list)
    grid_colors: list[str] = field(default_factory=list)
    child_rings: list[np.ndarray] = field(default_factory=list)
    unit_rings: list[np.ndarray] = field(default_factory=list)
    labels: list[tuple[str, float, float, float]] = field(default_factory=list)  # name, x, y, area
    bounds: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)


@dataclass
class Briefing:
    """Everything one briefing page shows. ``texts()`` is every string it draws."""

    code: str
    name: str
    level: str
    month: str
    title: str
    subtitle: str
    stamp: str | None
    cards_title: str
    cards: list[list[Card]]
    legend_title: str
    legend: list[tuple[str, str]]  # (colour, text), red, yellow, blue, none
    causes_title: str
    causes: list[tuple[str, int, str]]  # (cause, households, count as text)
    empty_causes: str
    map: MapData
    data_date: str
    source: str
    demo_note: str | None
    stats: dict[str, Any]

    @property
    def slide_title(self) -> str:
        return f"{self.name} {month_label(self.month)}"

    def texts(self) -> list[str]:
        out = [self.title, self.subtitle, self.cards_title, self.legend_title, self.causes_title]
        out += [self.data_date, self.source, self.empty_causes]
        if self.stamp:
            out.append(self.stamp)
        if self.demo_note:
            out.append(self.demo_note)
        for row in self.cards:
            for card in row:
                out += [card.label, card.value] + ([card.note] if card.note else [])
        out += [text for _, text in self.legend]
        for cause, _, count in self.causes:
            out += [cause, count]
        out += [name for name, *_ in self.map.labels]
        return out


def parse_size(text: str | Sequence[int]) -> tuple[int, int]:
    """'1920x1080' (or a pair) -> (1920, 1080); 16:9 only, from 640x360 to 7680x4320."""
    if isinstance(text, str):
        m = re.fullmatch(r"\s*(\d+)\s*[xX×*]\s*(\d+)\s*", text)
        if not m:
            raise BriefError(
                f"尺寸格式应为 宽x高, 如 1920x1080 (size must be WIDTHxHEIGHT): {text!r}"
            )
        width, height = int(m.group(1)), int(m.group(2))
    else:
        width, height = (int(v) for v in text)
    if not (MIN_SIZE[0] <= width <= MAX_SIZE[0] and MIN_SIZE[1] <= height <= MAX_SIZE[1]):
        raise BriefError(f"尺寸超出范围 640x360 至 7680x4320 (size out of range): {width}x{height}")
    if abs(width * 9 - height * 16) > 0.01 * width * 9:
        raise BriefError(f"简报须为 16:9 (a briefing is 16:9): {width}x{height}")
    return width, height


def _resolve(store: Store, code: str, month: str | None) -> tuple[Unit, str]:
    unit = store.unit(code) if code else None
    if unit is None:
        raise BriefError(f"未找到单位 unit not found: {code}")
    months = store.months()
    if not months:
        raise BriefError("尚未加载农户数据 no household data loaded")
    if month is None:
        month = months[-1]
    try:
        check_month(month)
    except ValueError:
        raise BriefError(f"月份格式应为 YYYY-MM (month must be YYYY-MM): {month!r}") from None
    if month not in months:
        raise BriefError(
            f"没有该月份的数据 no snapshot for month {month} (已有 loaded: {months[0]} .. {months[-1]})"
        )
    return unit, month


def brief_units(store: Store, code: str, children: bool = False) -> list[str]:
    """The unit and, with ``children``, each child unit (county -> townships -> villages)."""
    unit = store.unit(code)
    if unit is None:
        raise BriefError(f"未找到单位 unit not found: {code}")
    codes = [unit.code]
    if children:
        codes += [c.code for c in store.children(unit.code)]
    return codes


def _safe_part(text: str, max_bytes: int, default: str) -> str:
    """Letters, digits, - and _ only (each other run of characters one _), at most
    ``max_bytes`` in UTF-8, cut at a character; ``default`` when nothing is left."""
    text = re.sub(r"_{2,}", "_", _UNSAFE_RUN.sub("_", text)).strip("_-")
    out = text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore").strip("_-")
    return out or default


def file_stem(store: Store, code: str, month: str) -> str:
    """``<code>_<name>_<month>``, safe as a file name on Windows, Linux and a USB stick: only
    letters (CJK too), digits, - and _, and well under 255 bytes (names are cut to 120 bytes)."""
    unit = store.unit(code)
    name = _safe_part(unit.name if unit else "", NAME_BYTES, "unit")
    return f"{_safe_part(code, CODE_BYTES, 'unit')}_{name}_{_safe_part(month, 16, 'month')}"


def deck_name(code: str, month: str) -> str:
    """The PowerPoint deck's file name, ``brief_<code>_<month>.pptx``, with the same rules."""
    return f"brief_{_safe_part(code, CODE_BYTES, 'unit')}_{_safe_part(month, 16, 'month')}.pptx"


def _rings(geometry: dict[str, Any]) -> list[list[np.ndarray]]:
    """GeoJSON Polygon / MultiPolygon -> polygons, each a list of rings (exterior first)."""
    coords = geometry.get("coordinates") or []
    if geometry.get("type") == "Polygon":
        coords = [coords]
    elif geometry.get("type") != "MultiPolygon":
        return []
    return [
        [np.asarray(r, dtype=float)[:, :2] for r in poly if len(r) >= 3] for poly in coords if poly
    ]


def _ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1))))


def _label_point(polys: list[list[np.ndarray]]) -> tuple[float, float, float]:
    """A point well inside the largest part (pole of inaccessibility) and the total area."""
    from shapely.geometry import Polygon
    from shapely.ops import polylabel

    parts = [(p, _ring_area(p[0])) for p in polys if p]
    if not parts:
        return math.nan, math.nan, 0.0
    biggest = max(parts, key=lambda pa: pa[1])[0]
    poly = Polygon(biggest[0], biggest[1:]).buffer(0)
    if poly.is_empty:
        x, y = biggest[0].mean(axis=0)
        return float(x), float(y), 0.0
    if poly.geom_type != "Polygon":
        poly = max(poly.geoms, key=lambda g: g.area)
    tolerance = max(math.sqrt(poly.area) / 50, 1e-6)
    point = polylabel(poly, tolerance=tolerance)
    return point.x, point.y, sum(a for _, a in parts)


def _grid_frame(store: Store, unit: Unit, month: str):
    frame = store.level_stats("grid", month, within=unit.code)
    if unit.level == "grid":
        frame = frame[frame["code"] == unit.code]
    return frame


def _map_data(store: Store, unit: Unit, grid_risk: dict[str, str]) -> MapData:
    data = MapData()
    grids = store.map_features("grid", within=unit.code)["features"]
    holed: list[tuple[np.ndarray, str]] = []
    plain: list[tuple[np.ndarray, str]] = []
    points = []
    for feature in grids:
        color = RISK_COLORS[grid_risk.get(feature["id"], "none")]
        for poly in _rings(feature["geometry"]):
            # PolyCollection fills exteriors: a polygon with holes goes first, the grids in its
            # holes are drawn over it.
            (holed if len(poly) > 1 else plain).append((poly[0], color))
            points.append(poly[0])
    for ring, color in holed + plain:
        data.grid_polys.append(ring)
        data.grid_colors.append(color)
    outline = store.map_features(unit.level, within=unit.code)["features"]
    for feature in outline:
        for poly in _rings(feature["geometry"]):
            data.unit_rings += poly
            points += poly
    child_level = store.child_level(unit.level)
    if child_level:
        for feature in store.map_features(child_level, within=unit.code)["features"]:
            polys = _rings(feature["geometry"])
            for poly in polys:
                data.child_rings += poly
            x, y, area = _label_point(polys)
            if not math.isnan(x):
                data.labels.append((feature["properties"]["name"], x, y, area))
    if points:
        allpts = np.concatenate(points)
        data.bounds = (
            float(allpts[:, 0].min()),
            float(allpts[:, 1].min()),
            float(allpts[:, 0].max()),
            float(allpts[:, 1].max()),
        )
    return data


def _as_of(store: Store) -> str:
    value = store.data_as_of()
    return f"数据截至 {value[:16] if value else DASH}"


def build_briefing(store: Store, code: str, month: str | None = None) -> Briefing:
    """The figures, words and outlines of one unit's briefing (no drawing)."""
    unit, month = _resolve(store, code, month)
    try:
        stats = store.stats(unit.code, month)
    except StoreError as exc:
        raise BriefError(str(exc)) from None
    grids = _grid_frame(store, unit, month)
    grid_risk = dict(zip(grids["code"], grids["risk_level"], strict=True))
    map_data = _map_data(store, unit, grid_risk)
    counts = {r: 0 for r in RISK_ORDER}
    n_grids = len(store.map_features("grid", within=unit.code)["features"])
    for risk in grid_risk.values():
        counts[risk if risk in counts else "none"] += 1
    counts["none"] += max(n_grids - len(grid_risk), 0)  # grids without households this month

    parts = [f"{LEVEL_LABELS[unit.level]}级 {unit.code}"]
    chain = store.lineage(unit.code)
    if len(chain) > 1:
        parts.append(" / ".join(u.name for u in chain))
    parts += [f"网格 {stats['grids']:,} 个", f"农户 {hp(stats)}"]
    subtitle = " · ".join(parts)
    cards = [
        [
            Card(h.label, h.both or h.value, "" if h.both else h.sub or "", RISK_COLORS.get(h.tone))
            for h in headlines(stats, row)
        ]
        for row in BRIEFING_ROWS
    ]
    legend = [
        (RISK_COLORS[r], f"{RISK_LABELS[r]}色 {counts[r]:,} 个网格")
        for r in ("red", "yellow", "blue")
    ]
    legend.append((RISK_COLORS["none"], f"无 {counts['none']:,} 个网格"))
    causes = [(b.label, b.households, f"{b.households:,}") for b in top_causes(stats["by_cause"])]
    demo = store.is_demo()
    return Briefing(
        code=unit.code,
        name=unit.name,
        level=unit.level,
        month=month,
        title=f"{unit.name} {month_label(month)} {REPORT_NAME}",
        subtitle=subtitle,
        stamp=DEMO_STAMP if demo else None,
        cards_title="主要指标",
        cards=cards,
        legend_title="网格风险 (未消除户中的最高等级):",
        legend=legend,
        causes_title="风险类型 (监测户数, 一户可有多项)",
        causes=causes,
        empty_causes="暂无监测对象",
        map=map_data,
        data_date=_as_of(store),
        source=SOURCE_NOTE,
        demo_note=DEMO_NOTE if demo else None,
        stats=stats,
    )


def briefing_texts(store: Store, code: str, month: str | None = None) -> list[str]:
    """Every string the briefing image of ``code`` draws: the one source of its words."""
    return build_briefing(store, code, month).texts()


# ---------------------------------------------------------------------------------------- drawing
class _Page:
    """A figure in 1920x1080 layout units (fractions), measured with the Agg renderer."""

    def __init__(self, size: tuple[int, int]):
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


def _draw_header(page: _Page, b: Briefing) -> None:
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


def _draw_map(page: _Page, b: Briefing) -> None:
    fig, m = page.fig, b.map
    ax = fig.add_axes((0.015, 0.135, 0.565, 0.725))
    ax.set_axis_off()
    ax.add_collection(
        PolyCollection(
            m.grid_polys,
            facecolors=m.grid_colors,
            edgecolors="white",
            linewidths=0.35,
            antialiased=True,
        )
    )
    if m.child_rings:
        ax.add_collection(LineCollection(m.child_rings, colors="#3d4450", linewidths=1.1))
    if m.unit_rings:
        ax.add_collection(LineCollection(m.unit_rings, colors=OUTLINE, linewidths=2.0))
    # Degrees of longitude shrink with latitude: a local equirectangular view keeps shapes true.
    # The limits are widened to the axes' own shape, so the map fills its box, centred.
    minx, miny, maxx, maxy = m.bounds
    aspect = 1.0 / math.cos(math.radians((miny + maxy) / 2))
    dx, dy = (maxx - minx) * 1.04 or 0.01, (maxy - miny) * 1.04 or 0.01
    box = ax.get_window_extent(page.renderer)
    if dy * aspect / dx > box.height / box.width:
        dx = dy * aspect * box.width / box.height
    else:
        dy = dx * box.height / box.width / aspect
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    ax.set_xlim(cx - dx / 2, cx + dx / 2)
    ax.set_ylim(cy - dy / 2, cy + dy / 2)
    _place_labels(page, ax, m.labels)


def _place_labels(page: _Page, ax: Any, labels: list[tuple[str, float, float, float]]) -> None:
    """Child unit names at their label points, nudged (with a leader line) or shrunk so that
    none overlaps another or leaves the map."""
    if not labels:
        return
    n = len(labels)
    base = 13.0 if n <= 12 else 11.0 if n <= 24 else 9.5
    box = ax.get_window_extent(page.renderer)
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    placed: list[Any] = []
    to_data = ax.transData.inverted()
    rings = [(0.0, 0.0)] + [
        (math.cos(a) * r, math.sin(a) * r)
        for r in (1.0, 2.0, 3.0)
        for a in (
            math.pi / 2,
            -math.pi / 2,
            0,
            math.pi,
            math.pi / 4,
            3 * math.pi / 4,
            -math.pi / 4,
            -3 * math.pi / 4,
        )
    ]
    for name, x, y, _area in sorted(labels, key=lambda t: -t[3]):
        px, py = ax.transData.transform((x, y))
        text = ax.text(
            x,
            y,
            name,
            fontsize=base,
            family=page.family,
            color=INK,
            ha="center",
            va="center",
            path_effects=halo,
            zorder=5,
            clip_on=True,
            **LITERAL,
        )
        spot = None
        for size in (base, base * 0.85, base * 0.72):
            text.set_fontsize(size)
            ext = page.extent(text)
            w, h = ext.width, ext.height
            for ux, uy in rings:
                dx, dy = ux * w * 0.6, uy * h * 1.1
                text.set_position(to_data.transform((px + dx, py + dy)))
                ext = page.extent(text)
                inside = (
                    ext.x0 >= box.x0 and ext.x1 <= box.x1 and ext.y0 >= box.y0 and ext.y1 <= box.y1
                )
                if inside and not any(ext.overlaps(other) for other in placed):
                    spot = (dx, dy, ext)
                    break
            if spot:
                break
        if spot is None:
            text.remove()  # no room anywhere near: better no name than names over each other
            continue
        dx, dy, ext = spot
        placed.append(ext.padded(2))
        if math.hypot(dx / max(ext.width, 1), dy / max(ext.height, 1)) > 1.0:
            # moved away from its unit: a leader line from the unit to the name's nearest edge
            ex = min(max(px, ext.x0), ext.x1)
            ey = min(max(py, ext.y0), ext.y1)
            (x0, y0), (x1, y1) = to_data.transform([(px, py), (ex, ey)])
            ax.plot([x0, x1], [y0, y1], color=INK, lw=0.7, zorder=4, solid_capstyle="round")
            ax.plot([x0], [y0], "o", color=INK, ms=2.2, zorder=4)


def _draw_legend(page: _Page, b: Briefing) -> None:
    fig = page.fig
    y = 0.093
    title = page.text(0.015, y, b.legend_title, 12.5, color=MUTED, va="center")
    x = 0.015 + page.width(title) + 0.008
    sw, sh = 16 / 1920, 16 / 1080
    items = []
    for color, label in b.legend:
        items.append((color, page.text(0, y, label, 12.5, va="center")))
    right = 0.58
    for color, artist in items:
        w = page.width(artist)
        if x + sw + 0.004 + w > right:  # wrap onto a second line
            y -= 0.034
            x = 0.015
        fig.add_artist(
            Rectangle(
                (x, y - sh / 2),
                sw,
                sh,
                transform=fig.transFigure,
                facecolor=color,
                edgecolor="#8a8a8a" if color == RISK_COLORS["none"] else color,
                lw=0.6,
            )
        )
        artist.set_position((x + sw + 0.004, y))
        x += sw + 0.004 + w + 0.014


def _draw_cards(page: _Page, b: Briefing) -> None:
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


def _draw_causes(page: _Page, b: Briefing) -> None:
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


def _draw_footer(page: _Page, b: Briefing) -> None:
    y = 0.022
    items = [page.text(0.015, y, b.data_date, 12, color=MUTED, va="center")]
    if b.demo_note:
        items.append(page.text(0, y, b.demo_note, 12, color=STAMP, va="center"))
    page.row(0.015, y, items, 0.02)
    page.text(0.985, y, b.source, 12, color=MUTED, ha="right", va="center")


def briefing_figure(
    store: Store, code: str, month: str | None = None, size: tuple[int, int] = DEFAULT_SIZE
) -> Figure:
    """The briefing page as a matplotlib Figure on an Agg canvas (for PNG, PDF and tests)."""
    return _figure(build_briefing(store, code, month), parse_size(size))


def _figure(b: Briefing, size: tuple[int, int]) -> Figure:
    page = _Page(size)
    _draw_header(page, b)
    _draw_map(page, b)
    _draw_legend(page, b)
    _draw_cards(page, b)
    _draw_causes(page, b)
    _draw_footer(page, b)
    page.fig.briefing = b  # type: ignore[attr-defined]
    return page.fig


def _png(fig: Figure, size: tuple[int, int]) -> bytes:
    canvas = fig.canvas
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())
    image = Image.fromarray(rgba[..., :3].copy(), "RGB")
    if image.size != size:  # not expected (see _Page), but the size asked is a promise
        image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def render_png(
    store: Store, code: str, month: str | None = None, size: tuple[int, int] | str = DEFAULT_SIZE
) -> bytes:
    """The briefing of one unit and month as a PNG of exactly ``size`` pixels (16:9)."""
    size = parse_size(size)
    return _png(_figure(build_briefing(store, code, month), size), size)


def render_pdf(
    store: Store, code: str, month: str | None = None, size: tuple[int, int] | str = DEFAULT_SIZE
) -> bytes:
    """The same page as a one-page PDF, the CJK font embedded as TrueType (searchable text)."""
    size = parse_size(size)
    fig = _figure(build_briefing(store, code, month), size)
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
        png = _png(_figure(b, size), size)
        slide = deck.slides.add_slide(layout)
        slide.shapes.title.text = b.slide_title  # the outline and the slide sorter show it
        slide.shapes.add_picture(io.BytesIO(png), 0, 0, deck.slide_width, deck.slide_height)
    deck.core_properties.title = f"{REPORT_NAME} {month_label(b.month)}"
    deck.core_properties.author = "riskgrid"
    out = io.BytesIO()
    deck.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------- HTML
def render_html(store: Store, code: str, month: str | None = None) -> str:
    """One self-contained interactive map of the unit's grids (Leaflet inlined, no tiles); see
    ``reports.briefing_html``, where it is made with nothing from data as markup or template."""
    from .briefing_html import render_html as render

    return render(store, code, month)
