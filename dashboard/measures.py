"""Map measures: how units are coloured, as a list of colour classes and the rule putting a unit
into one (no Dash, no database).

A unit's class index is the z code of the risk map's one trace (see :mod:`dashboard.map_figures`);
the classes are drawn on a stepped colour scale, so class i is exactly ``classes[i].color``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from geodata.model import RISK_COLORS

NO_DATA_COLOR = "#eeeeee"


@dataclass(frozen=True)
class MapClass:
    """One colour class of a map measure."""

    key: str
    label: str
    color: str


@dataclass(frozen=True)
class Measure:
    """How units are coloured: a list of classes and the rule putting a unit into one."""

    key: str
    label: str
    classes: tuple[MapClass, ...]

    def classify(self, figures: dict[str, Any] | None) -> int:
        """The class index (the trace's z code) of a unit's stored figures."""
        if figures is None:
            return 0
        if self.key == "risk":
            return [c.key for c in self.classes].index(figures.get("risk_level") or "none")
        if self.key == "problems":
            count = int(figures.get("open_problems") or 0)
            return sum(1 for lower in PROBLEM_BOUNDS if count >= lower)
        share = (figures.get("monitored_share") or {}).get("persons")
        if share is None:
            return 0
        for i, upper in enumerate(SHARE_BOUNDS, start=1):
            if share < upper:
                return i
        return len(SHARE_BOUNDS) + 1

    def colorscale(self) -> list[list[Any]]:
        """A stepped colour scale: class i is exactly ``classes[i].color`` for z = i."""
        n = len(self.classes)
        scale: list[list[Any]] = []
        for i, cls in enumerate(self.classes):
            scale.append([i / n, cls.color])
            scale.append([(i + 1) / n, cls.color])
        return scale


RISK_MEASURE = Measure(
    "risk",
    "未消除风险等级",
    (
        MapClass("none", "无未消除风险", RISK_COLORS["none"]),
        MapClass("blue", "蓝色（低）", RISK_COLORS["blue"]),
        MapClass("yellow", "黄色（中）", RISK_COLORS["yellow"]),
        MapClass("red", "红色（高）", RISK_COLORS["red"]),
    ),
)
SHARE_BOUNDS: tuple[float, ...] = (0.01, 0.03, 0.06, 0.10)
SHARE_MEASURE = Measure(
    "share",
    "监测人口占比",
    (
        MapClass("nodata", "无农户", NO_DATA_COLOR),
        MapClass("s0", "低于 1%", "#edf8fb"),
        MapClass("s1", "1%–3%", "#b3cde3"),
        MapClass("s2", "3%–6%", "#8c96c6"),
        MapClass("s3", "6%–10%", "#8856a7"),
        MapClass("s4", "10% 及以上", "#810f7c"),
    ),
)
# open problems (待核实, 已核实) of the latest month per unit: class i holds counts >= bound i-1
PROBLEM_BOUNDS: tuple[int, ...] = (1, 3, 6, 11)
PROBLEM_MEASURE = Measure(
    "problems",
    "未处理问题",
    (
        MapClass("p0", "无未处理问题", "#f2f0f7"),
        MapClass("p1", "1–2 条", "#cbc9e2"),
        MapClass("p2", "3–5 条", "#9e9ac8"),
        MapClass("p3", "6–10 条", "#756bb1"),
        MapClass("p4", "11 条及以上", "#54278f"),
    ),
)
MEASURES: dict[str, Measure] = {m.key: m for m in (RISK_MEASURE, SHARE_MEASURE, PROBLEM_MEASURE)}


def measure(key: str | None) -> Measure:
    """The measure named ``key`` (the risk level by default, and for anything but a name)."""
    return MEASURES.get(key, RISK_MEASURE) if isinstance(key, str) else RISK_MEASURE


def class_counts(z: Iterable[int], how: Measure) -> list[int]:
    """How many units fall into each class of the measure (the legend's numbers)."""
    counts = [0] * len(how.classes)
    for value in z:
        counts[value] += 1
    return counts
