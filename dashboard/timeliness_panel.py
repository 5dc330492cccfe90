"""时效 on the unit page: days from a department warning to identification and from
identification to the first measure (median, 90th percentile), and the share of problems fixed,
as ``geodata.timeliness.store_timeliness`` gives them. The numbers ride on data- attributes of
``#unit-timeliness`` so tests and scripts read them without parsing the text."""

from __future__ import annotations

from typing import Any

from dash import html
from dash.development.base_component import Component

from . import panels, tables


def _text(value: Any) -> str:
    """A data- attribute: the number as text, "" for none."""
    return "" if value is None else str(value)


def _days(value: int | None) -> str:
    return "—" if value is None else f"{value:,} 天"


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def timeliness_panel(figures: dict[str, Any]) -> Component:
    """``figures``: ``store_timeliness`` of the unit and month (or ``timeliness``)."""
    signal = figures.get("signal_to_identification") or {}
    measure = figures.get("identification_to_measure") or {}
    problems = figures.get("problems") or {}
    days = int(figures.get("national_days") or 15)
    rows = [
        html.Tr(
            [
                html.Td(label, title=hint),
                html.Td(f"{f.get('n', 0):,}", className="rg-num"),
                html.Td(_days(f.get("median")), className="rg-num"),
                html.Td(_days(f.get("p90")), className="rg-num"),
                html.Td(_share(f.get("within_15_share")), className="rg-num"),
            ],
            **{"data-interval": key},
        )
        for key, label, hint, f in (
            (
                "signal",
                "预警→识别",
                "部门预警（识别前180天内最早的一条）到识别监测时间的天数",
                signal,
            ),
            (
                "measure",
                "识别→首次帮扶",
                "识别监测时间到首次列有帮扶措施的月份（按该月1日计）的天数",
                measure,
            ),
        )
    ]
    pending = int(measure.get("pending") or 0)
    body: list[Any] = [
        html.Table(
            [
                html.Thead(
                    tables.header_row(
                        ["环节", "户数", "中位数", "90%分位", f"{days}天内"], {1, 2, 3, 4}
                    )
                ),
                html.Tbody(rows),
            ],
            className="rg-table",
        ),
        html.P(
            f"{figures.get('since') or '—'} 至 {figures.get('through') or '—'} 识别 "
            f"{int(figures.get('identified') or 0):,} 户，尚未落实帮扶 {pending:,} 户；"
            f"要求：发现风险线索{days}天内完成识别，半个月内落实帮扶。",
            className="rg-hint",
        ),
        html.P(
            f"问题整改：发现 {int(problems.get('found') or 0):,} 条，"
            f"已整改 {int(problems.get('fixed') or 0):,} 条，"
            f"已排除 {int(problems.get('dismissed') or 0):,} 条，"
            f"整改率 {_share(problems.get('fixed_share'))}（已整改 ÷ (发现 − 已排除)）",
            className="rg-hint",
        ),
    ]
    attributes = {
        "data-month": _text(figures.get("month")),
        "data-identified": _text(figures.get("identified")),
        "data-signal-n": _text(signal.get("n")),
        "data-signal-median": _text(signal.get("median")),
        "data-signal-p90": _text(signal.get("p90")),
        "data-signal-within": _text(signal.get("within_15")),
        "data-measure-n": _text(measure.get("n")),
        "data-measure-median": _text(measure.get("median")),
        "data-measure-p90": _text(measure.get("p90")),
        "data-measure-within": _text(measure.get("within_15")),
        "data-measure-pending": _text(measure.get("pending")),
        "data-problems-found": _text(problems.get("found")),
        "data-problems-fixed": _text(problems.get("fixed")),
        "data-problems-dismissed": _text(problems.get("dismissed")),
        "data-problems-open": _text(problems.get("open")),
        "data-fixed-share": _text(problems.get("fixed_share")),
    }
    return html.Div(panels.panel("时效", *body), id="unit-timeliness", **attributes)


def timeliness_omitted() -> Component:
    """The 时效 panel of a province or a city: not computed (it reads the records of every
    household in it), a hint to open a county instead."""
    return html.Div(
        panels.panel(
            "时效",
            html.P("时效按县及以下计算，请进入县查看。", className="rg-hint"),
        ),
        id="unit-timeliness",
        **{"data-omitted": "1"},
    )
