"""The problem list's counts beside a unit's figures: open problems (待核实 and 已核实) of the
latest month by rule and severity, and those overdue (逾期), as ``riskgrid check`` counts them;
each rule a link to the unit's list page when the account may see it."""

from __future__ import annotations

from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from geodata.checks import RULES, SEVERITY_LABELS

from . import panels, tables
from .links import with_month


def problems_href(
    code: str,
    status: str = "open",
    rule: str | None = None,
    age: str | None = None,
    month: str | None = None,
    page: int = 1,
) -> str:
    """The list page of unit ``code`` with these filters (the defaults left out), and the
    month of the page the link is on (the list itself is the latest month's)."""
    return with_month(
        f"/problems/{code}",
        month,
        status=None if status == "open" else status,
        rule=rule or None,
        age=age or None,
        page=str(page) if page > 1 else None,
    )


def problems_panel(
    counts: dict[str, Any],
    code: str | None = None,
    *,
    more: bool = True,
    month: str | None = None,
) -> Component:
    """``counts``: ``ScopedStore.problem_counts`` of the unit (open, overdue, by_rule,
    by_severity); ``code``: the unit whose list page the rules link to (None: no links)."""
    by_rule = counts.get("by_rule") or {}

    def title(rule_id: str, text: str) -> Any:
        return dcc.Link(text, href=problems_href(code, rule=rule_id, month=month)) if code else text

    rows = [
        html.Tr(
            [
                html.Td(title(r.id, r.title), title=r.explanation),
                html.Td(
                    html.Span(SEVERITY_LABELS[r.severity], className=f"rg-sev rg-sev-{r.severity}")
                ),
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
    overdue = int(counts.get("overdue") or 0)
    late_text = f"逾期 {overdue:,} 条"
    body: list[Any] = [
        html.P(
            [
                f"{counts.get('month') or '—'} 未处理问题 {counts.get('open', 0):,} 条（{summary}），",
                dcc.Link(
                    late_text,
                    href=problems_href(code, age="overdue", month=month),
                    className="rg-overdue",
                )
                if code and overdue
                else html.Span(late_text, className="rg-overdue" if overdue else None),
            ],
            className="rg-hint",
            id="unit-problems-total",
            **{"data-open": str(counts.get("open", 0)), "data-overdue": str(overdue)},
        )
    ]
    if rows:
        body.append(
            html.Table(
                [html.Thead(tables.header_row(["规则", "级别", "户数"], {2})), html.Tbody(rows)],
                className="rg-table",
            )
        )
    if code and more:
        body.append(
            html.P(
                dcc.Link("查看问题清单 →", href=problems_href(code, month=month)),
                className="rg-hint",
            )
        )
    return html.Div(panels.panel("问题清单", *body), id="unit-problems")
