"""The problem list's counts beside a unit's figures: open problems (待核实 and 已核实) of the
latest month by rule and severity, as ``riskgrid check`` counts them."""

from __future__ import annotations

from typing import Any

from dash import html
from dash.development.base_component import Component

from geodata.checks import RULES, SEVERITY_LABELS

from . import panels, tables


def problems_panel(counts: dict[str, Any]) -> Component:
    """``counts``: ``ScopedStore.problem_counts`` of the unit (open, by_rule, by_severity)."""
    by_rule = counts.get("by_rule") or {}
    rows = [
        html.Tr(
            [
                html.Td(r.title),
                html.Td(SEVERITY_LABELS[r.severity], className=f"rg-sev rg-sev-{r.severity}"),
                html.Td(f"{by_rule[r.id]:,}", className="rg-num"),
            ],
            **{"data-rule": r.id, "data-count": str(by_rule[r.id])},
        )
        for r in RULES
        if by_rule.get(r.id)
    ]
    severity = counts.get("by_severity") or {}
    summary = "，".join(
        f"{label} {severity.get(key, 0):,}" for key, label in SEVERITY_LABELS.items()
    )
    body: list[Any] = [
        html.P(
            f"{counts.get('month') or '—'} 未处理问题 {counts.get('open', 0):,} 条（{summary}）",
            className="rg-hint",
            id="unit-problems-total",
            **{"data-open": str(counts.get("open", 0))},
        )
    ]
    if rows:
        body.append(
            html.Table(
                [html.Thead(tables.header_row(["规则", "级别", "户数"], {2})), html.Tbody(rows)],
                className="rg-table",
            )
        )
    return html.Div(panels.panel("问题清单", *body), id="unit-problems")
