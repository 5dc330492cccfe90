"""A household's page: ``/household/<id>?month=YYYY-MM[&full=1]``, its snapshot record, masked.

The record is read through the user's ``ScopedStore``: a household outside the user's area, or
any household for an account that may not see households (``viewer``), is refused (无权查看). Every
look is written to the audit log (and to the logger ``riskgrid.access``: household number and
month, no personal data). Roles that may see full names and ID numbers (admin, county) get a
显示完整信息 link (``full=1``) in the header, itself logged as an unmasked view.

The heading is the head's name as the record gives it (王*华 家, masked), the household number in
the subtitle; 风险等级 and 监测类别 are coloured badges; 历史记录 lists the household month by month
(``ScopedStore.household_history``: checked and logged like the record, no names in it).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import dash
from dash import Input, dcc, html
from dash.development.base_component import Component

from geodata.model import CATEGORY_LABELS, RISK_LABELS, mask_id_number, mask_name
from reports import fmt

from .. import links, messages, page_frame, routing, tables
from ..callback_guard import checked_ctx
from ..data import Loaders, get_loaders
from ..problem_table import problems_table, row_units

access_log = logging.getLogger("riskgrid.access")


@functools.partial(messages.refuse_denied, outside=messages.household_not_found)
def layout(
    household_id: str | None = None,
    month: str | None = None,
    full: str | None = None,
    **_: Any,
) -> Component:
    """Dash page layout: ``/household/<household_id>?month=&full=``."""
    return household_layout(household_id, month, full == "1")


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks on ``app``."""
    routing.register_page(
        "dashboard.pages.household",
        layout,
        "农户",
        "/household/none",
        "/household/<household_id>",
        name=routing.household_name,
    )
    register_callbacks(app)


def household_fields(record: dict[str, Any], masked: bool = True) -> list[tuple[str, str]]:
    """(label, text) pairs of a household record, name and ID number masked unless ``masked``
    is False (a record the ScopedStore returned unmasked to a role that may see it)."""
    monitored = bool(record.get("category"))
    level = record.get("risk_level") if monitored else None
    name, id_number = record.get("head_name"), record.get("id_number")
    if masked:
        name, id_number = mask_name(name), mask_id_number(id_number)
    return [
        ("户编号", record["household_id"]),
        ("户主", name or "—"),
        ("证件号码", id_number or "—"),
        ("家庭人口", fmt.persons(record.get("persons"))),
        ("类别", tables.household_kind(record)),
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
        ("风险消除", tables.eliminated_text(record)),
        ("消除方式", record.get("elimination_mode") or "—"),
        ("帮扶措施", record.get("measures") or "—"),
        ("易地搬迁", "是" if record.get("relocated") else "否"),
        ("安置点编码", record.get("site_code") or "—"),
        ("劳动力人数", fmt.num(record.get("labor_count"))),
        ("务工就业人数", fmt.num(record.get("employed_count"))),
    ]


def household_layout(household_id: str | None, month: str | None, full: bool = False) -> Component:
    """The page of one household in a snapshot month; ``full``: names and ID numbers unmasked,
    for the roles that may see them (logged as such). ``AccessDenied`` outside the user's area
    and for roles without households."""
    loaders = get_loaders()
    resolved = loaders.resolve_month(month)
    if resolved is None:
        return messages.month_not_found(month)
    if household_id and not loaders.sees_households:
        loaders.check_household(household_id, resolved)  # refused, logged
    unmask = full and loaders.sees_unmasked
    record = loaders.household(household_id, resolved, unmask=unmask) if household_id else None
    if record is None:
        return messages.household_not_found()
    access_log.info("household viewed: %s month %s", household_id, resolved)
    lineage = loaders.lineage(
        record["grid_code"] or record["village_code"]
    )  # 未分配网格: its village
    rows = [
        html.Div([html.Dt(label), html.Dd(text)], className="rg-field")
        for label, text in household_fields(record, masked=not unmask)
    ]
    head = record.get("head_name")  # masked by the ScopedStore unless unmask
    title = f"{head} 家" if head else f"农户 {household_id}"
    privacy = "完整个人信息，查看已记录" if unmask else "个人信息已脱敏，查看已记录"
    history = loaders.household_history(household_id)
    return html.Div(
        [
            dcc.Store(id="household-ctx", data={"id": household_id, "month": resolved}),
            page_frame.page_header(
                title,
                f"户编号 {household_id} · {privacy}",
                page_frame.breadcrumb(lineage, resolved, f"户 {household_id}"),
                html.Div(
                    [
                        unmask_toggle(loaders, household_id, resolved, unmask),
                        page_frame.month_dropdown("household-month", loaders.months(), resolved),
                    ],
                    className="rg-header-controls",
                ),
            ),
            summary_strip(record),
            html.Dl(rows, className="rg-panel rg-fields"),
            history_panel(history, household_id, resolved, unmask),
            members_panel(record.get("members") or []),
            signals_panel(record.get("signals") or []),
            problems_panel(loaders, household_id),
        ],
        className="rg-page rg-household-page",
    )


def unmask_toggle(
    loaders: Loaders, household_id: str, month: str, unmask: bool
) -> Component | None:
    """显示完整信息 / 隐藏完整信息, for the roles that may see names and ID numbers in full."""
    if not loaders.sees_unmasked:
        return None
    href = links.with_month(f"/household/{household_id}", month, full=None if unmask else "1")
    return dcc.Link(
        "隐藏完整信息" if unmask else "显示完整信息",
        href=href,
        id="rg-unmask",
        className="rg-toggle rg-toggle-on" if unmask else "rg-toggle",
        title="完整姓名和证件号码的查看会写入审计日志",
    )


def category_badge(record: dict[str, Any]) -> html.Span:
    """监测类别 in its colour; a household not monitored: its household type, grey."""
    category = record.get("category")
    return html.Span(
        tables.household_kind(record),
        className=f"rg-cat rg-cat-{category if category in CATEGORY_LABELS else 'none'}",
    )


def risk_badge(record: dict[str, Any]) -> Component:
    """风险等级 in its colour (faded, with 已消除, once eliminated); — when not monitored."""
    level = record.get("risk_level") if record.get("category") else None
    if level not in RISK_LABELS or level == "none":
        return html.Span("—", className="rg-summary-value")
    badge = tables.risk_badge(level, bool(record.get("eliminated")))
    badge.children = f"{RISK_LABELS[level]}色"
    badge.className += " rg-badge-lg"
    badge.id = "household-risk"
    return badge


def summary_strip(record: dict[str, Any]) -> html.Div:
    """The household at a glance: 风险等级 and 监测类别 badges, then persons, income and
    whether the risk is eliminated."""

    def item(label: str, value: Any, **kw: Any) -> html.Div:
        return html.Div(
            [html.Span(label, className="rg-summary-label"), value],
            className="rg-summary-item",
            **kw,
        )

    return html.Div(
        [
            item("风险等级", risk_badge(record)),
            item("监测类别", category_badge(record), id="household-category"),
            item(
                "家庭人口",
                html.Span(fmt.persons(record.get("persons")), className="rg-summary-value"),
            ),
            item(
                "人均纯收入",
                html.Span(fmt.yuan(record.get("income_per_capita")), className="rg-summary-value"),
            ),
            item(
                "风险消除", html.Span(tables.eliminated_text(record), className="rg-summary-value")
            ),
        ],
        className="rg-panel rg-household-summary",
        id="household-summary",
    )


def history_panel(
    history: list[dict[str, Any]], household_id: str, month: str, unmask: bool
) -> Component:
    """历史记录: the household month by month (the loaded months, newest first): category,
    risk level, income per person, measures, eliminated; the month shown highlighted, each
    month a link to the household's page in that month."""
    body: list[Any] = [html.H3(f"历史记录（{len(history)} 个月）")]
    rows = []
    for r in history:
        level = r.get("risk_level") if r.get("category") else None
        current = r["month"] == month
        rows.append(
            html.Tr(
                [
                    html.Td(
                        dcc.Link(
                            fmt.month_label(r["month"]),
                            href=links.with_month(
                                f"/household/{household_id}",
                                r["month"],
                                full="1" if unmask else None,
                            ),
                        )
                    ),
                    html.Td(tables.household_kind(r)),
                    html.Td(
                        tables.risk_badge(level, bool(r.get("eliminated")))
                        if level in RISK_LABELS and level != "none"
                        else "—"
                    ),
                    html.Td(fmt.yuan(r.get("income_per_capita")), className="rg-num"),
                    html.Td(r.get("measures") or "—"),
                    html.Td(tables.eliminated_text(r)),
                ],
                className="rg-row-current" if current else None,
                **{"data-month": r["month"]},
            )
        )
    if rows:
        headers = ["月份", "监测类别", "风险等级", "人均纯收入", "帮扶措施", "风险消除"]
        body.append(
            html.Table(
                [html.Thead(tables.header_row(headers, {3})), html.Tbody(rows)],
                className="rg-table",
                id="household-history-table",
            )
        )
    else:
        body.append(html.P("没有历史记录。", className="rg-hint"))
    return html.Div(body, className="rg-panel rg-history", id="household-history")


def problems_panel(loaders: Loaders, household_id: str) -> Component:
    """The rules this household trips in the latest month (问题清单), with their status."""
    frame = loaders.household_problems(household_id)
    latest = loaders.latest_month()
    body: list[Any] = [html.H3(f"问题清单（{latest or '—'}，{len(frame)} 条）")]
    if len(frame):
        body.append(
            problems_table(
                frame, latest, row_units(loaders, frame), table_id="household-problem-table"
            )
        )
    else:
        body.append(html.P("最新月份没有触发任何监测规则。", className="rg-hint"))
    return html.Div(body, className="rg-panel", id="household-problems")


def members_panel(members: list[dict[str, Any]]) -> Component | None:
    """The household's members (家庭成员), the head first, masked as the ScopedStore gave them;
    nothing for a household loaded one row per household (no member rows)."""
    if not members:
        return None
    rows = [
        html.Tr(
            [
                html.Td(m["name"] or "—"),
                html.Td(m["relation"] or "—"),
                html.Td(m["sex"] or "—"),
                html.Td("—" if m["age"] is None else f"{m['age']}岁", className="rg-num"),
                html.Td(m["id_number"] or "—"),
                html.Td(m["labor_skill"] or "—"),
                html.Td(m["health"] or "—"),
                html.Td(m["schooling"] or "—"),
            ]
        )
        for m in members
    ]
    headers = [
        "姓名",
        "与户主关系",
        "性别",
        "年龄",
        "证件号码",
        "劳动技能",
        "健康状况",
        "在校生状况",
    ]
    return html.Div(
        [
            html.H3(f"家庭成员（{len(members)} 人）"),
            html.Table(
                [html.Thead(tables.header_row(headers, {3})), html.Tbody(rows)],
                className="rg-table",
            ),
        ],
        className="rg-panel rg-members",
        id="household-members",
    )


def signals_panel(signals: list[dict[str, Any]]) -> Component:
    """The household's department warnings (部门预警), newest first."""
    if not signals:
        return html.Div(
            [html.H3("部门预警"), html.P("没有部门预警记录。", className="rg-hint")],
            className="rg-panel rg-signals",
            id="household-signals",
        )
    rows = [
        html.Tr(
            [
                html.Td(fmt.date_text(s["occurred_on"])),
                html.Td(s["department"]),
                html.Td(s["signal"]),
                html.Td(fmt.yuan(s["amount"]), className="rg-num"),
            ]
        )
        for s in signals
    ]
    return html.Div(
        [
            html.H3(f"部门预警（{len(signals)} 条）"),
            html.Table(
                [
                    html.Thead(
                        tables.header_row(["发生日期", "来源部门", "预警类型", "金额"], {3})
                    ),
                    html.Tbody(rows),
                ],
                className="rg-table",
            ),
        ],
        className="rg-panel rg-signals",
        id="household-signals",
    )


def month_href(month: str | None, ctx: dict[str, str]) -> str | None:
    """The household's page in the month chosen, None for the month shown. ``AccessDenied``
    for a household outside the user's area."""
    ctx = checked_ctx(ctx, "id", "month")
    if not month or month == ctx["month"]:
        return None
    get_loaders().check_household(ctx["id"], month)
    return links.household_href(ctx["id"], month)


def register_callbacks(app: dash.Dash) -> None:
    routing.navigate_on(app, Input("household-month", "value"), "household-ctx", month_href)
