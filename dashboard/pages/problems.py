"""A unit's problem list (问题清单): the problems the monitoring rules find in its households in
the latest month, filtered by status, rule and age, downloaded as Excel, worked through by
county, township and village accounts (status 待核实 → 已核实 → 已整改, or 已排除 with a reason).

``/problems/<code>?status=open|new|confirmed|fixed|dismissed|all&rule=<id>&age=new|overdue``.
The filters are links (a bookmark keeps them); a change of status is checked against the
account's area by ``ScopedStore.set_problem_status`` and written to the audit log. An account
that may not see households (the wall's viewer) sees the counts only.
"""

from __future__ import annotations

from typing import Any

import dash
from dash import ALL, Input, Output, State, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from geodata.access_problems import CHANGE_ROLES
from geodata.checks import RULES
from geodata.model import Unit
from geodata.records.problems import STATUSES
from reports.briefing_names import problem_list_name
from reports.problem_list import problem_rows, xlsx_bytes

from .. import messages, page_frame, panels, routing
from ..data import Loaders, get_loaders
from ..problem_panel import problems_href, problems_panel
from ..problem_table import AGE_FILTERS, MAX_ROWS, STATUS_FILTERS, problems_table, status_filter

CTX = "problems-ctx"


@messages.refuse_denied
def layout(
    code: str | None = None,
    status: str | None = None,
    rule: str | None = None,
    age: str | None = None,
    month: str | None = None,
    page: str | None = None,
    **_: Any,
) -> Component:
    """Dash page layout: ``/problems/<code>?status=&rule=&age=&month=&page=``."""
    return problems_layout(code, status, rule, age, month, page)


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks on ``app``."""
    routing.register_page(
        "dashboard.pages.problems",
        layout,
        "问题清单",
        "/problems/none",
        "/problems/<code>",
        name=routing.problems_name,
    )
    register_callbacks(app)


# ---------------------------------------------------------------------- plain functions
def clean_filters(
    status: str | None, rule: str | None, age: str | None
) -> tuple[str, str | None, str]:
    """The filters of the address, unknown values as the defaults."""
    rule_ids = {r.id for r in RULES}
    return (
        status if status in STATUS_FILTERS else "open",
        rule if rule in rule_ids else None,
        age if age in AGE_FILTERS else "",
    )


def page_ctx(data: Any) -> dict[str, Any]:
    """The page's context store as sent back by the browser, every value checked (a forged
    or stale one is cleaned, or the update is dropped)."""
    if not isinstance(data, dict) or not isinstance(data.get("code"), str) or not data["code"]:
        raise PreventUpdate
    status, rule, age = clean_filters(
        *(data.get(k) if isinstance(data.get(k), str) else None for k in ("status", "rule", "age"))
    )
    page = data.get("page")
    month = data.get("month")
    return {
        "code": data["code"],
        "status": status,
        "rule": rule,
        "age": age,
        "month": month if isinstance(month, str) else None,
        "page": page if isinstance(page, int) and 0 < page < 10**6 else 1,
    }


def listed(
    loaders: Loaders, unit: Unit, ctx: dict[str, Any], page: int | None = None
) -> tuple[Any, int]:
    """The problems of ``unit`` the filters of ``ctx`` keep, in working order: one page of
    them (``page``; None: every one), and their number in all."""
    _, keep, every = status_filter(ctx["status"])
    paging = {} if page is None else {"limit": MAX_ROWS, "offset": (page - 1) * MAX_ROWS}
    return loaders.problem_list(
        unit.code, statuses=keep, rule=ctx["rule"], age=ctx["age"], every=every, **paging
    )


def filter_links(code: str, ctx: dict[str, Any], key: str, choices: dict[str, str]) -> html.Div:
    """A row of toggles for one filter (status or age), the others kept."""
    items = []
    for value, label in choices.items():
        chosen = {**ctx, key: value}
        items.append(
            dcc.Link(
                label,
                href=problems_href(
                    code, chosen["status"], chosen["rule"], chosen["age"], chosen["month"]
                ),  # a new filter starts at its first page
                className="rg-toggle" + (" rg-toggle-on" if ctx[key] == value else ""),
                id=f"problems-{key}-{value or 'any'}",
            )
        )
    return html.Div(items, className="rg-toggles")


def list_part(loaders: Loaders, unit: Unit, ctx: dict[str, Any], counts: dict[str, Any]):
    """The summary line and the table of the filtered list."""
    month = counts["month"]
    can_change = loaders.principal is not None and loaders.principal.role in CHANGE_ROLES
    page = max(1, int(ctx.get("page") or 1))
    rows, total = listed(loaders, unit, ctx, page)
    pages = max(1, -(-total // MAX_ROWS))
    if page > pages:  # past the end (a bookmark of a shorter list): the last page
        page = pages
        rows, total = listed(loaders, unit, ctx, page)
    return [
        html.P(
            f"{month} 符合条件的问题 {total:,} 条"
            + (f"，每页 {MAX_ROWS} 条，第 {page}/{pages} 页" if pages > 1 else "")
            + "；下载 Excel 得到全部。",
            className="rg-hint",
            id="problems-count",
            **{"data-count": str(total), "data-page": str(page)},
        ),
        problems_table(rows, month, loaders.units(), can_change=can_change)
        if len(rows)
        else html.P("没有符合条件的问题。", className="rg-hint", id="problems-empty"),
        pager(unit.code, ctx, page, pages),
    ]


def pager(code: str, ctx: dict[str, Any], page: int, pages: int) -> html.Div | None:
    """上一页 / 下一页 links of a list longer than a page."""
    if pages <= 1:
        return None

    def link(label: str, target: int, key: str) -> Any:
        if not 1 <= target <= pages or target == page:
            return html.Span(label, className="rg-toggle rg-toggle-off")
        href = problems_href(
            code, ctx["status"], ctx["rule"], ctx["age"], ctx.get("month"), page=target
        )
        return dcc.Link(label, href=href, className="rg-toggle", id=f"problems-page-{key}")

    return html.Div(
        [
            link("首页", 1, "first"),
            link("上一页", page - 1, "prev"),
            html.Span(f"第 {page}/{pages} 页", className="rg-hint"),
            link("下一页", page + 1, "next"),
            link("末页", pages, "last"),
        ],
        className="rg-toggles rg-pager",
    )


def status_form() -> html.Div:
    """The form that changes the status of the problem picked in the table."""
    return html.Div(
        [
            html.P("在下表中点击“处理”选择一条问题。", id="problems-picked", className="rg-hint"),
            dcc.RadioItems(
                id="problems-new-status",
                options=[{"label": label, "value": key} for key, label in STATUSES.items()],
                value="confirmed",
                inline=True,
                className="rg-radio",
            ),
            dcc.Input(
                id="problems-reason",
                type="text",
                maxLength=200,
                placeholder="处理说明（排除时必填，如：已入户核实，收入含一次性赔偿）",
                className="rg-input",
            ),
            html.Button("保存", id="problems-save", n_clicks=0, className="rg-button"),
            html.Span(id="problems-message", className="rg-hint"),
            dcc.Store(id="problems-pick"),
        ],
        className="rg-problem-form",
        id="problems-form",
    )


def problems_layout(
    code: str | None,
    status: str | None,
    rule: str | None,
    age: str | None,
    month: str | None = None,
    page: str | None = None,
) -> Component:
    """The page of unit ``code``'s problem list with these filters. The list is the latest
    month's; ``month`` is the month of the page it was opened from, kept by its links."""
    loaders = get_loaders()
    unit = loaders.unit(code) if code and code != "none" else None
    if unit is None:
        return messages.unit_not_found()
    counts = loaders.problem_counts(unit.code)
    month_of_list = counts["month"]
    if month_of_list is None:
        return messages.not_found("尚未加载农户数据", "请先用 riskgrid load households 加载。")
    status, rule, age = clean_filters(status, rule, age)
    shown_month = loaders.resolve_month(month) or month_of_list
    ctx = {
        "code": unit.code,
        "status": status,
        "rule": rule,
        "age": age,
        "month": shown_month,
        "page": int(page) if str(page or "").isdigit() and 0 < int(page) < 10**6 else 1,
    }
    header = page_frame.page_header(
        f"{unit.name} 问题清单",
        f"{unit.level_label} · {unit.code} · {month_of_list}",
        page_frame.breadcrumb(loaders.lineage(unit.code), shown_month, tail="问题清单"),
    )
    summary = problems_panel(
        counts, unit.code if loaders.sees_households else None, more=False, month=shown_month
    )
    if not loaders.sees_households:
        body: list[Any] = [
            html.P("该账号只能查看问题数量。", className="rg-hint", id="rg-no-households")
        ]
    else:
        rule_options = [{"label": "全部规则", "value": ""}] + [
            {"label": f"{r.title}（{counts['by_rule'].get(r.id, 0):,}）", "value": r.id}
            for r in RULES
        ]
        filters = html.Div(
            [
                html.Div(
                    [
                        html.Span("状态", className="rg-control-label"),
                        filter_links(
                            unit.code, ctx, "status", {k: v[0] for k, v in STATUS_FILTERS.items()}
                        ),
                    ],
                    className="rg-control",
                ),
                html.Div(
                    [
                        html.Span("时长", className="rg-control-label"),
                        filter_links(unit.code, ctx, "age", AGE_FILTERS),
                    ],
                    className="rg-control",
                ),
                html.Div(
                    [
                        html.Span("规则", className="rg-control-label"),
                        dcc.Dropdown(
                            id="problems-rule",
                            options=rule_options,
                            value=rule or "",
                            clearable=False,
                            searchable=False,
                            className="rg-rule-select",
                        ),
                    ],
                    className="rg-control",
                ),
                html.Button("下载 Excel", id="problems-xlsx", n_clicks=0, className="rg-button"),
                dcc.Download(id="problems-download"),
            ],
            className="rg-controls rg-problem-filters",
        )
        can_change = loaders.principal is not None and loaders.principal.role in CHANGE_ROLES
        body = [
            filters,
            status_form() if can_change else None,
            html.Div(list_part(loaders, unit, ctx, counts), id="problems-list"),
        ]
    return html.Div(
        [
            dcc.Store(id=CTX, data=ctx),
            header,
            html.Div(summary, id="problems-summary"),
            panels.panel("问题明细（户编号可点击查看农户）", *body),
        ],
        className="rg-page rg-problems-page",
        **{"data-unit": unit.code, "data-month": month_of_list},
    )


def rule_href(rule: Any, ctx: Any) -> str | None:
    """The list with another rule chosen (None: the rule shown); ``AccessDenied`` for a unit
    outside the account's area (a forged context)."""
    ctx = page_ctx(ctx)
    rule = clean_filters(None, rule if isinstance(rule, str) else None, None)[1]
    if rule == ctx["rule"]:
        return None
    unit = get_loaders().unit(ctx["code"])
    if unit is None:
        return None
    return problems_href(unit.code, ctx["status"], rule, ctx["age"], ctx["month"])


def download(ctx: dict[str, Any]) -> dict[str, Any]:
    """The filtered list as Excel (every row, not only the ones drawn); audited as an export."""
    loaders = get_loaders()
    ctx = page_ctx(ctx)
    unit = loaders.unit(ctx["code"])  # AccessDenied outside the area
    if unit is None:
        raise PreventUpdate
    month = loaders.problem_counts(unit.code)["month"]
    shown, _ = listed(loaders, unit, ctx)
    rows = problem_rows(shown.to_dict("records"), month, loaders.units())
    loaders.scoped.log_export(f"problems xlsx {month} {len(rows)} rows", unit.code)
    return dcc.send_bytes(xlsx_bytes(rows), problem_list_name(unit.name, month))


def picked(triggered: Any, value: Any) -> tuple[str, str]:
    """The key and the line naming the problem a 处理 button picked."""
    if not isinstance(triggered, dict) or not value:
        raise PreventUpdate  # a new table drawn, not a click
    key = str(triggered.get("key") or "")
    rule, _, household_id = key.partition("|")
    title = next((r.title for r in RULES if r.id == rule), rule)
    return key, f"已选：{household_id} · {title}"


def save(
    ctx: dict[str, Any], key: str | None, status: str, reason: str | None
) -> tuple[Any, Any, Any]:
    """Change the picked problem's status; the message, the counts and the list drawn anew.
    A problem outside the account's area is refused (``AccessDenied``: 404, logged)."""
    if not isinstance(key, str) or "|" not in key:
        return "请先在下表中选择一条问题。", dash.no_update, dash.no_update
    ctx = page_ctx(ctx)
    status = status if isinstance(status, str) else ""
    reason = reason if isinstance(reason, str) else None
    loaders = get_loaders()
    unit = loaders.unit(ctx["code"])
    if unit is None:
        raise PreventUpdate
    rule, _, household_id = str(key).partition("|")
    try:
        change = loaders.scoped.set_problem_status(rule, household_id, status, reason)
    except (ValueError, KeyError) as exc:
        return str(exc.args[0] if exc.args else exc).split(" (")[0], dash.no_update, dash.no_update
    counts = loaders.problem_counts(unit.code)
    message = f"已保存：{household_id} {STATUSES[change['before']]} → {STATUSES[change['after']]}"
    summary = problems_panel(counts, unit.code, more=False, month=ctx.get("month"))
    return message, summary, list_part(loaders, unit, ctx, counts)


# ---------------------------------------------------------------------- callbacks
def register_callbacks(app: dash.Dash) -> None:
    routing.navigate_on(app, Input("problems-rule", "value"), CTX, rule_href)

    @app.callback(
        Output("problems-download", "data"),
        Input("problems-xlsx", "n_clicks"),
        State(CTX, "data"),
        prevent_initial_call=True,
    )
    def _on_download(_n: int, ctx: dict[str, Any]) -> dict[str, Any]:
        return download(ctx)

    @app.callback(
        Output("problems-pick", "data"),
        Output("problems-picked", "children"),
        Input({"type": "problem-pick", "key": ALL}, "n_clicks"),
        prevent_initial_call=True,
    )
    def _on_pick(_clicks: list[int]) -> tuple[str, str]:
        return picked(dash.ctx.triggered_id, (dash.ctx.triggered or [{}])[0].get("value"))

    @app.callback(
        Output("problems-message", "children"),
        Output("problems-summary", "children"),
        Output("problems-list", "children"),
        Input("problems-save", "n_clicks"),
        State(CTX, "data"),
        State("problems-pick", "data"),
        State("problems-new-status", "value"),
        State("problems-reason", "value"),
        prevent_initial_call=True,
    )
    def _on_save(_n: int, ctx: dict[str, Any], key: str, status: str, reason: str) -> Any:
        return save(ctx, key, status, reason)
