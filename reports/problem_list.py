"""The problem list (问题清单) as a table for people: its rows with Chinese headings, and the same
as an Excel workbook (``riskgrid check --out`` and the dashboard's download write the same file).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd

from geodata.cell_text import protect_sheet
from geodata.checks import RULES_BY_ID, SEVERITY_LABELS
from geodata.records.problem_counts import months_between
from geodata.records.problems import STATUSES

from . import fmt

SHEET = "问题清单"
COLUMNS = (
    "规则",
    "规则编号",
    "级别",
    "户编号",
    "网格编码",
    "网格",
    "村（社区）",
    "乡镇",
    "状态",
    "首次发现",
    "持续月数",
    "依据",
    "处理说明",
)


# the values a rule reads, as a township head reads them
EVIDENCE_LABELS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "income_per_capita": ("人均纯收入", fmt.yuan),
    "previous_income": ("上期人均纯收入", fmt.yuan),
    "monitoring_line": ("监测线", fmt.yuan),
    "observation_line": ("观察线", fmt.yuan),
    "drop": ("降幅", lambda v: fmt.pct(v, 1)),
    "identified_on": ("识别时间", str),
    "eliminated_on": ("消除时间", str),
    "measures": ("帮扶措施", str),
    "oldest_signal": ("最早预警", str),
    "signals": ("预警条数", lambda v: f"{fmt.num(v)} 条"),
}


def evidence_text(evidence: Mapping[str, Any] | str | None) -> str:
    """The values that made a rule fire (a mapping, or as stored: JSON text), as one line:
    ``人均纯收入 6,330 元；监测线 7,100 元``."""
    if isinstance(evidence, str):
        evidence = json.loads(evidence) if evidence else {}
    parts = []
    for key, value in (evidence or {}).items():
        label, show = EVIDENCE_LABELS.get(key, (key, str))
        parts.append(f"{label} {'—' if value is None or value != value else show(value)}")
    return "；".join(parts)


def problem_rows(
    problems: Iterable[Mapping[str, Any]],
    month: str,
    names: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """One row per problem with the headings of ``COLUMNS``; ``names``: code -> unit row (its
    "name") for the grid, village and township names (codes alone when None)."""
    names = names or {}

    def name(code: Any) -> str:
        row = names.get(code) if code else None
        return str(row.get("name")) if row else ""

    rows = []
    for p in problems:
        rule = RULES_BY_ID.get(p["rule"])
        first = p.get("first_seen") or month
        rows.append(
            {
                "规则": rule.title if rule else p["rule"],
                "规则编号": p["rule"],
                "级别": SEVERITY_LABELS.get(p["severity"], p["severity"]),
                "户编号": p["household_id"],
                "网格编码": p.get("grid_code") or "未分配网格",
                "网格": name(p.get("grid_code")),
                "村（社区）": name(p.get("village_code")),
                "乡镇": name(p.get("township_code")),
                "状态": STATUSES.get(p.get("status") or "new", p.get("status")),
                "首次发现": first,
                "持续月数": months_between(first, month),
                "依据": evidence_text(p.get("evidence")),
                "处理说明": p.get("reason") or "",
            }
        )
    return rows


def xlsx_bytes(rows: list[dict[str, Any]]) -> bytes:
    """The rows of :func:`problem_rows` as an Excel workbook (one sheet, 问题清单)."""
    buffer = io.BytesIO()
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        frame.to_excel(writer, index=False, sheet_name=SHEET)
        sheet = writer.sheets[SHEET]
        protect_sheet(sheet)  # names and reasons from the data: text, never a formula
        sheet.freeze_panes = "A2"
        for letter, width in zip(
            "ABCDEFGHIJKLM", (26, 30, 6, 18, 18, 14, 14, 12, 8, 10, 8, 50, 30), strict=True
        ):
            sheet.column_dimensions[letter].width = width
    return buffer.getvalue()
