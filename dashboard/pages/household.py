"""A household's page: ``/household/<id>?month=YYYY-MM``, its snapshot record, masked.

Every look at a household is logged (logger ``riskgrid.access``): household number and month,
no personal data.
"""

from __future__ import annotations

import logging
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from geodata.model import RISK_LABELS, mask_id_number, mask_name

from .. import components, fmt
from ..data import get_loaders, get_store

access_log = logging.getLogger("riskgrid.access")


def layout(household_id: str | None = None, month: str | None = None, **_: Any) -> Component:
    """Dash page layout: ``/household/<household_id>?month=``."""
    return household_layout(household_id, month)


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks on ``app``."""
    dash.register_page(
        "dashboard.pages.household",
        path_template="/household/<household_id>",
        path="/household/none",
        title="农户 · 防返贫动态监测",
        layout=layout,
    )
    register_callbacks(app)


def household_fields(record: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, text) pairs of a household record, name and ID number masked."""
    monitored = bool(record.get("category"))
    level = record.get("risk_level") if monitored else None
    return [
        ("户编号", record["household_id"]),
        ("户主", mask_name(record.get("head_name")) or "—"),
        ("证件号码", mask_id_number(record.get("id_number")) or "—"),
        ("家庭人口", fmt.persons(record.get("persons"))),
        ("类别", components.household_kind(record)),
        (
            "风险等级",
            RISK_LABELS[level] + ("（已消除）" if record.get("eliminated") else "")
            if level in RISK_LABELS
            else "—",
        ),
        ("风险类型", record.get("risk_causes") or "—"),
        ("家庭人均纯收入", fmt.yuan(record.get("income_per_capita"))),
        ("识别监测时间", fmt.date_text(record.get("identified_on")) if monitored else "—"),
        ("识别途径", record.get("channel") or "—"),
        ("风险消除", components.eliminated_text(record)),
        ("消除方式", record.get("elimination_mode") or "—"),
        ("帮扶措施", record.get("measures") or "—"),
        ("易地搬迁", "是" if record.get("relocated") else "否"),
        ("安置点编码", record.get("site_code") or "—"),
        ("劳动力人数", fmt.num(record.get("labor_count"))),
        ("务工就业人数", fmt.num(record.get("employed_count"))),
    ]


def household_layout(household_id: str | None, month: str | None) -> Component:
    """The page of one household in a snapshot month."""
    loaders = get_loaders()
    resolved = loaders.resolve_month(month)
    if resolved is None:
        return components.not_found("没有该月份的数据", f"{month or ''} 不是已加载的统计月份。")
    record = get_store().household(resolved, household_id) if household_id else None
    if record is None:
        return components.not_found(
            "未找到该农户", f"{fmt.month_label(resolved)}没有户编号为 {household_id} 的农户。"
        )
    access_log.info("household viewed: %s month %s", household_id, resolved)
    lineage = loaders.lineage(record["grid_code"])
    rows = [
        html.Div([html.Dt(label), html.Dd(text)], className="rg-field")
        for label, text in household_fields(record)
    ]
    return html.Div(
        [
            dcc.Store(id="household-ctx", data={"id": household_id, "month": resolved}),
            components.page_header(
                f"农户 {household_id}",
                "个人信息已脱敏，查看已记录",
                components.breadcrumb(lineage, resolved, tail=f"户 {household_id}"),
                components.month_dropdown("household-month", loaders.months(), resolved),
            ),
            html.Dl(rows, className="rg-panel rg-fields"),
        ],
        className="rg-page rg-household-page",
    )


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(components.NAV_ID, "href", allow_duplicate=True),
        Input("household-month", "value"),
        State("household-ctx", "data"),
        prevent_initial_call=True,
    )
    def _on_month(month: str, ctx: dict[str, str]) -> str:
        if not month or month == ctx["month"]:
            raise PreventUpdate
        return components.household_href(ctx["id"], month)
