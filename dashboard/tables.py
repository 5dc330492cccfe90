"""Tables: the ranking of child units and a grid's household list (names and ID numbers masked).

Numbers are written with :mod:`reports.fmt`; every name is a link to its page.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd
from dash import dcc, html

from geodata.model import (
    CATEGORY_LABELS,
    HOUSEHOLD_TYPES,
    RISK_COLORS,
    RISK_LABELS,
    children_level_word,
    mask_id_number,
    mask_name,
)
from reports import fmt

from .links import household_href, unit_href


def header_row(labels: Sequence[str], numeric: set[int] = frozenset()) -> html.Tr:
    """A table header; numeric columns are right-aligned like their cells."""
    return html.Tr(
        [
            html.Th(label, className="rg-num" if i in numeric else None)
            for i, label in enumerate(labels)
        ]
    )


def risk_badge(level: str | None, done: bool = False) -> html.Span:
    """A risk level in its colour; ``done``: the risk is eliminated (shown faded)."""
    level = level or "none"
    return html.Span(
        RISK_LABELS.get(level, "无"),
        className=f"rg-badge rg-badge-{level}" + (" rg-badge-done" if done else ""),
        style={"background": RISK_COLORS.get(level, RISK_COLORS["none"])},
        title="已消除" if done else None,
    )


def red_per_hundred(figures: dict[str, Any]) -> float | None:
    """Open red-risk households per 100 monitored households of a unit's stored figures (None
    when it monitors none): tells units apart where the risk level is 红 for all of them."""
    monitored = figures["monitored"]["households"]
    if not monitored:
        return None
    return figures["open_by_level"]["red"]["households"] * 100 / monitored


def per_hundred_text(value: float | None) -> str:
    """A rate per hundred with one decimal (— for none)."""
    return "—" if value is None else f"{value:.1f}"


def ranking_table(children: Sequence[dict[str, Any]], month: str, level: str) -> html.Div:
    """Child units ranked by clearance rate (persons), ties by 红色户/百户 (fewer first), each
    row a link to the unit's page.
    Below a township the header says 村, 社区, or 村（社区） when villages and communities mix."""
    word = children_level_word(level, [c["unit"] for c in children])

    def key(c: dict[str, Any]) -> tuple:
        rate = c["clearance_rate"]["persons"]
        red = red_per_hundred(c)
        return (
            rate is None,
            -(rate or 0),
            red is None,
            red or 0,
            c["unit"]["code"],
        )

    rows = []
    for rank, child in enumerate(sorted(children, key=key), start=1):
        unit = child["unit"]
        open_ = child["open_by_level"]
        red = red_per_hundred(child)
        rows.append(
            html.Tr(
                [
                    html.Td(str(rank), className="rg-num"),
                    html.Td(dcc.Link(unit["name"], href=unit_href(unit, month))),
                    html.Td(
                        per_hundred_text(red),
                        className="rg-num rg-red-text" if red else "rg-num",
                    ),
                    html.Td(fmt.num(child["monitored"]["households"]), className="rg-num"),
                    html.Td(fmt.num(child["monitored"]["persons"]), className="rg-num"),
                    html.Td(fmt.pct(child["clearance_rate"]["persons"]), className="rg-num"),
                    html.Td(
                        fmt.num(open_["red"]["households"]),
                        className="rg-num rg-red-text" if open_["red"]["households"] else "rg-num",
                    ),
                    html.Td(fmt.num(open_["yellow"]["households"]), className="rg-num"),
                    html.Td(fmt.num(open_["blue"]["households"]), className="rg-num"),
                ],
                **{"data-code": unit["code"]},
            )
        )
    header = header_row(
        ["排名", word, "红色户/百户", "监测户", "监测人", "消除率（人）", "未消除红", "黄", "蓝"],
        numeric={0, 2, 3, 4, 5, 6, 7, 8},
    )
    return html.Div(
        [
            html.H2(f"{word}排名（按风险消除率）"),
            html.Table(
                [html.Thead(header), html.Tbody(rows)], className="rg-table", id="rg-ranking"
            ),
        ],
        className="rg-panel",
    )


HOUSEHOLD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("household_id", "户编号"),
    ("head_name", "户主"),
    ("id_number", "证件号码"),
    ("persons", "人口"),
    ("category", "监测类别"),
    ("risk_level", "风险等级"),
    ("risk_causes", "风险类型"),
    ("income_per_capita", "人均纯收入"),
    ("identified_on", "识别时间"),
    ("measures", "帮扶措施"),
    ("eliminated", "风险消除"),
    ("warnings", "本月预警"),
)


def household_kind(row: dict[str, Any]) -> str:
    """The category label of a monitored household, else its household type."""
    category = row.get("category")
    if category:
        return CATEGORY_LABELS.get(category, category)
    return HOUSEHOLD_TYPES.get(row.get("household_type") or "", "非监测户")


def eliminated_text(row: dict[str, Any]) -> str:
    """已消除 with its date, 未消除, or — for a household that is not monitored."""
    if not row.get("category"):
        return "—"
    if row.get("eliminated"):
        return f"已消除 {fmt.date_text(row.get('eliminated_on'))}"
    return "未消除"


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or value != value  # NaN


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of Python values, None for missing ones (pandas gives NaN, which is
    truthy); column by column (``astype(object).where(...).to_dict`` is ten times slower)."""
    columns = {
        name: [None if _missing(v) else v for v in frame[name].tolist()] for name in frame.columns
    }
    return [dict(zip(columns, row, strict=True)) for row in zip(*columns.values(), strict=True)]


def households_table(frame: pd.DataFrame, month: str) -> html.Table:
    """Households of a grid: names and ID numbers masked, open risks first."""
    rows_in = records(frame)
    rank = {"red": 0, "yellow": 1, "blue": 2}

    def order(r: dict[str, Any]) -> tuple:
        monitored = bool(r.get("category"))
        open_ = monitored and not r.get("eliminated")
        return (not open_, not monitored, rank.get(r.get("risk_level") or "", 3), r["household_id"])

    rows = []
    for r in sorted(rows_in, key=order):
        level = r.get("risk_level") if r.get("category") else None
        rows.append(
            html.Tr(
                [
                    html.Td(
                        dcc.Link(r["household_id"], href=household_href(r["household_id"], month))
                    ),
                    html.Td(mask_name(r.get("head_name")) or "—"),
                    html.Td(mask_id_number(r.get("id_number")) or "—", className="rg-mono"),
                    html.Td(fmt.num(r.get("persons")), className="rg-num"),
                    html.Td(household_kind(r)),
                    html.Td(risk_badge(level, bool(r.get("eliminated"))) if level else "—"),
                    html.Td(r.get("risk_causes") or "—"),
                    html.Td(fmt.yuan(r.get("income_per_capita")), className="rg-num"),
                    html.Td(fmt.date_text(r.get("identified_on")) if r.get("category") else "—"),
                    html.Td(r.get("measures") or "—"),
                    html.Td(eliminated_text(r)),
                    html.Td(
                        f"{r['warnings']} 条" if r.get("warnings") else "—",
                        className="rg-num rg-warned" if r.get("warnings") else "rg-num",
                    ),
                ],
                **{"data-household": r["household_id"]},
            )
        )
    header = header_row([label for _, label in HOUSEHOLD_COLUMNS], numeric={3, 7, 11})
    return html.Table(
        [html.Thead(header), html.Tbody(rows)], className="rg-table", id="rg-households"
    )
