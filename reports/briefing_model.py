"""What one briefing page shows, as data: its figures, words and outlines (``Briefing``),
its size (:func:`parse_size`) and the error when it cannot be made (``BriefError``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .fmt import month_label

DEFAULT_SIZE: tuple[int, int] = (1920, 1080)
MIN_SIZE, MAX_SIZE = (640, 360), (7680, 4320)


class BriefError(ValueError):
    """A briefing cannot be made: unknown unit or month, bad size, missing font."""


@dataclass
class Card:
    """One headline card: label, value, an optional note and an accent colour."""

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
