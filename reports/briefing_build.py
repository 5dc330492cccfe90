"""A briefing's content from the store (no drawing): the unit and month asked for, its figures
(``Store.stats``, ``Store.level_stats``), the words of the page and the map's outlines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from geodata import Store, StoreError
from geodata.model import RISK_COLORS, RISK_LABELS, Unit, check_month

from .briefing_geometry import build_map
from .briefing_model import BriefError, Briefing, Card
from .causes import top_causes
from .fmt import DASH, hp, month_label
from .headline import BRIEFING_ROWS, headlines, problem_headline

if TYPE_CHECKING:
    import pandas as pd

SOURCE_NOTE = "数据来源: 防止返贫监测信息系统 / riskgrid"
DEMO_STAMP = "演示数据"
DEMO_NOTE = "演示数据: 由 riskgrid demo 生成的模拟县, 非真实数据"
REPORT_NAME = "防返贫动态监测简报"
RISK_ORDER = ("red", "yellow", "blue", "none")


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


def grid_frame(store: Store, unit: Unit, month: str) -> pd.DataFrame:
    """The unit's grids in ``month`` (``Store.level_stats``): just the one for a grid."""
    frame = store.level_stats("grid", month, within=unit.code)
    if unit.level == "grid":
        frame = frame[frame["code"] == unit.code]
    return frame


def problem_counts(store: Store, unit: Unit, month: str) -> dict | None:
    """The unit's open and overdue problems when ``month`` is the latest (the problem list
    follows the latest month only); None for an earlier month."""
    if month != store.latest_month() or store.sync_problems() != month:
        return None
    return store.problem_summary(unit, month)


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
    grids = grid_frame(store, unit, month)
    grid_risk = dict(zip(grids["code"], grids["risk_level"], strict=True))
    map_data = build_map(store, unit, grid_risk)
    counts = {r: 0 for r in RISK_ORDER}
    n_grids = len(store.map_features("grid", within=unit.code)["features"])
    for risk in grid_risk.values():
        counts[risk if risk in counts else "none"] += 1
    counts["none"] += max(n_grids - len(grid_risk), 0)  # grids without households this month

    parts = [f"{unit.level_label}级 {unit.code}"]  # 社区级 for a community
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
    problems = problem_counts(store, unit, month)
    if problems is not None:
        h = problem_headline(problems)
        cards[-1].append(Card(h.label, h.value, h.sub or "", RISK_COLORS.get(h.tone)))
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
