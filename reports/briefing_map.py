"""The left of the briefing page: the map of the grids coloured by risk with the child units'
names placed so that none overlaps another, and the legend of risk colours under it."""

from __future__ import annotations

import math
from typing import Any

from matplotlib import patheffects
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.patches import Rectangle

from geodata.model import RISK_COLORS

from .briefing_model import Briefing
from .briefing_page import INK, LITERAL, MUTED, OUTLINE, Page


def draw_map(page: Page, b: Briefing) -> None:
    """The grids filled with their risk colour, the child units' and the unit's outlines, and
    the child units' names, in a true-shape view that fills the map's box."""
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


def _place_labels(page: Page, ax: Any, labels: list[tuple[str, float, float, float]]) -> None:
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


def draw_legend(page: Page, b: Briefing) -> None:
    """The legend under the map: a swatch and the number of grids of each risk colour."""
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
