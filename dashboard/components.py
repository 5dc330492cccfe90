"""Shared page parts: the shell, breadcrumb, month picker, figure cards, legend and tables.

Plain functions returning Dash components; numbers are written with :mod:`reports.fmt`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash
import pandas as pd
from dash import dcc, html

from geodata.access import ROLES, AccessDenied, RoleDenied
from geodata.model import (
    CATEGORY_LABELS,
    CHILD_LEVEL,
    HOUSEHOLD_TYPES,
    LEVEL_LABELS,
    RISK_COLORS,
    RISK_LABELS,
    Unit,
    mask_id_number,
    mask_name,
)
from reports import fmt
from reports.headline import headlines

from .data import Loaders
from .figures import Measure

NAV_ID = "rg-nav"  # the app's dcc.Location for navigating from callbacks (map clicks)
APP_TITLE = "防止返贫动态监测网格地图"


# ---------------------------------------------------------------------- urls
def with_month(path: str, month: str | None, **params: str | None) -> str:
    """``path`` with ``?month=`` (and other non-empty parameters)."""
    query = {"month": month, **params}
    query = {k: v for k, v in query.items() if v}
    return f"{path}?{urlencode(query)}" if query else path


def unit_href(unit: Unit | dict[str, Any], month: str | None) -> str:
    """The page of a unit: the county's is ``/``, a grid's is ``/grid/<code>``."""
    level = unit.level if isinstance(unit, Unit) else unit["level"]
    code = unit.code if isinstance(unit, Unit) else unit["code"]
    if level == "county":
        return with_month("/", month)
    if level == "grid":
        return with_month(f"/grid/{code}", month)
    return with_month(f"/unit/{code}", month)


def household_href(household_id: str, month: str | None) -> str:
    return with_month(f"/household/{household_id}", month)


def month_from_search(search: str | None) -> str | None:
    """The ``month`` parameter of a query string."""
    return dict(parse_qsl((search or "").lstrip("?"))).get("month")


def replace_month(search: str | None, month: str) -> str:
    """A query string with ``month`` set, other parameters kept."""
    params = dict(parse_qsl((search or "").lstrip("?")))
    params["month"] = month
    return "?" + urlencode(params)


def month_choice(
    loaders: Loaders,
    dropdown: str | None,
    search: str | None,
    shown: str,
    from_url: bool,
) -> tuple[str, Any, Any]:
    """The month to show after a change, and the URL search and dropdown value to write.

    A choice in the dropdown writes ``?month=`` (a history entry, so Back returns); Back or
    Forward changing the URL sets the dropdown. ``dash.no_update`` where nothing changes.
    """
    if from_url:
        month = loaders.resolve_month(month_from_search(search)) or shown
        new_search: Any = dash.no_update
    else:
        month = loaders.resolve_month(dropdown) or shown
        wanted = replace_month(search, month)
        new_search = dash.no_update if wanted == search else wanted
    return month, new_search, dash.no_update if dropdown == month else month


# ---------------------------------------------------------------------- shell
def shell(loaders: Loaders) -> html.Div:
    """The frame of every page: title bar with navigation and the demo label, then the page."""
    demo = loaders.is_demo()
    as_of = loaders.data_as_of()
    return html.Div(
        [
            dcc.Location(id=NAV_ID, refresh="callback-nav"),
            html.Header(
                [
                    dcc.Link(APP_TITLE, href="/", className="rg-brand"),
                    html.Nav(
                        [
                            dcc.Link(overview_label(loaders), href="/", className="rg-navlink"),
                            dcc.Link("易地搬迁安置点", href="/sites", className="rg-navlink"),
                        ],
                        className="rg-nav",
                    ),
                    html.Span(
                        "演示数据 (非真实数据)",
                        className="rg-demo",
                        id="rg-demo",
                        title="本看板显示的是生成的演示数据，不是真实农户信息",
                    )
                    if demo
                    else None,
                    html.Span(
                        f"数据更新：{as_of}" if as_of else "尚未加载数据", className="rg-asof"
                    ),
                    user_box(loaders),
                ],
                className="rg-topbar",
            ),
            html.Main(dash.page_container, className="rg-main"),
        ],
        className="rg-app",
    )


def overview_label(loaders: Loaders) -> str:
    """县域总览, or 本乡镇总览 / 本村总览 for an account bound to a township or village."""
    principal = loaders.principal
    home = loaders.home() if principal is not None and principal.unit_code else None
    level = home.level if home is not None else "county"
    return {"township": "本乡镇总览", "village": "本村总览"}.get(level, "县域总览")


def user_box(loaders: Loaders) -> html.Span | None:
    """Who is logged in (name, role, unit) and a log-out link; nothing with log-in off."""
    principal = loaders.principal
    if principal is None or principal.username == "local":
        return None
    unit = loaders.home() if principal.unit_code else None
    where = f" · {unit.name}" if unit is not None else ""
    return html.Span(
        [
            html.Span(f"{principal.username}（{ROLES.get(principal.role, principal.role)}{where}）"),
            logout_button(),
        ],
        className="rg-user",
        id="rg-user",
        **{"data-role": principal.role},
    )


def logout_button() -> html.Form:
    """退出: a form that POSTs the session's token to /logout (a GET of /logout changes nothing)."""
    from .responses import LOGOUT_PATH, form_token

    return html.Form(
        [
            dcc.Input(type="hidden", name="csrf", value=form_token(), id="rg-logout-token"),
            html.Button("退出", type="submit", className="rg-logout", id="rg-logout"),
        ],
        method="POST",
        action=LOGOUT_PATH,
        className="rg-logout-form",
        id="rg-logout-form",
    )


# ---------------------------------------------------------------------- page header
def breadcrumb(lineage: Sequence[Unit], month: str | None, tail: str | None = None) -> html.Nav:
    """县 › 乡镇 › 村 › 网格: every ancestor a link, the current unit in bold."""
    items: list[Any] = []
    for i, unit in enumerate(lineage):
        last = i == len(lineage) - 1 and tail is None
        label = [html.Span(unit.level_label, className="rg-crumb-level"), unit.name]
        if last:
            items.append(html.Span(label, className="rg-crumb rg-crumb-current"))
        else:
            items.append(dcc.Link(label, href=unit_href(unit, month), className="rg-crumb"))
        items.append(html.Span("›", className="rg-crumb-sep"))
    if tail is not None:
        items.append(html.Span(tail, className="rg-crumb rg-crumb-current"))
    elif items:
        items.pop()
    return html.Nav(items, className="rg-breadcrumb", id="rg-breadcrumb")


def month_dropdown(component_id: str, months: Sequence[str], month: str | None) -> html.Div:
    """Any snapshot month can be chosen, the newest first."""
    return html.Div(
        [
            html.Label("统计月份", htmlFor=component_id, className="rg-month-label"),
            dcc.Dropdown(
                id=component_id,
                options=[{"label": fmt.month_label(m), "value": m} for m in reversed(months)],
                value=month,
                clearable=False,
                searchable=False,
                className="rg-month",
            ),
        ],
        className="rg-month-box",
    )


BRIEF_PNG, BRIEF_PDF, BRIEF_DOWNLOAD = "brief-png", "brief-pdf", "brief-download"


def briefing_buttons() -> html.Div:
    """导出简报: the unit's briefing for the month shown, a 1920x1080 PNG or a PDF page
    (``reports.briefing``, the same as ``riskgrid brief``), downloaded by the browser."""
    return html.Div(
        [
            html.Button(
                "导出简报",
                id=BRIEF_PNG,
                n_clicks=0,
                className="rg-button",
                title="下载本单位本月的简报图片（PNG，1920×1080）",
            ),
            html.Button(
                "PDF", id=BRIEF_PDF, n_clicks=0, className="rg-button", title="下载简报 PDF"
            ),
            dcc.Download(id=BRIEF_DOWNLOAD),
        ],
        className="rg-brief-box",
    )


def page_header(title: str, subtitle: str, crumbs: Any, month_control: Any = None) -> html.Div:
    return html.Div(
        [
            html.Div(
                [crumbs, html.H1([title, html.Small(subtitle, className="rg-subtitle")])],
                className="rg-header-text",
            ),
            month_control,
        ],
        className="rg-page-header",
    )


# ---------------------------------------------------------------------- cards
def card(
    key: str, label: str, value: str, raw: Any, sub: str | None = None, tone: str = ""
) -> html.Div:
    """One figure card; ``data-key``/``data-value`` let tests and screen readers find it."""
    return html.Div(
        [
            html.Div(label, className="rg-card-label"),
            html.Div(value, className="rg-card-value", **{"data-key": key, "data-value": str(raw)}),
            html.Div(sub, className="rg-card-sub") if sub else None,
        ],
        className=f"rg-card {tone}".strip(),
    )


def stat_cards(stats: dict[str, Any]) -> html.Div:
    """The unit's headline figures (``reports.headline``), exactly as stored (``Store.stats``)."""
    cards = [
        card(h.key, h.label, h.value, h.raw, h.sub, f"rg-tone-{h.tone}" if h.tone else "")
        for h in headlines(stats)
    ]
    return html.Div(cards, className="rg-cards", id="rg-cards")


# ---------------------------------------------------------------------- legend
def map_legend(how: Measure, counts: Sequence[int], level: str) -> html.Div:
    """The map's colours with the number of units of each colour."""
    unit_word = LEVEL_LABELS[level]
    items = [
        html.Div(
            [
                html.Span(className="rg-swatch", style={"background": cls.color}),
                html.Span(cls.label, className="rg-legend-label"),
                html.Span(
                    f"{count:,}",
                    className="rg-legend-count",
                    **{"data-class": cls.key, "data-count": str(count)},
                ),
            ],
            className="rg-legend-item",
        )
        for cls, count in zip(how.classes, counts, strict=True)
    ]
    total = sum(counts)
    return html.Div(
        [
            html.Div(f"{how.label}（{unit_word}数）", className="rg-legend-title"),
            *items,
            html.Div(
                [
                    html.Span("合计"),
                    html.Span(f"{total:,} 个{unit_word}", **{"data-total": str(total)}),
                ],
                className="rg-legend-total",
            ),
        ],
        className="rg-legend",
    )


# ---------------------------------------------------------------------- tables
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


def ranking_table(children: Sequence[dict[str, Any]], month: str, level: str) -> html.Div:
    """Child units ranked by clearance rate (persons), each row a link to the unit's page."""
    word = LEVEL_LABELS[level]

    def key(c: dict[str, Any]) -> tuple:
        rate = c["clearance_rate"]["persons"]
        return (
            rate is None,
            -(rate or 0),
            c["open_by_level"]["red"]["households"],
            c["unit"]["code"],
        )

    rows = []
    for rank, child in enumerate(sorted(children, key=key), start=1):
        unit = child["unit"]
        open_ = child["open_by_level"]
        rows.append(
            html.Tr(
                [
                    html.Td(str(rank), className="rg-num"),
                    html.Td(dcc.Link(unit["name"], href=unit_href(unit, month))),
                    html.Td(risk_badge(child["risk_level"])),
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
        ["排名", word, "风险", "监测户", "监测人", "消除率（人）", "未消除红", "黄", "蓝"],
        numeric={0, 3, 4, 5, 6, 7, 8},
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
    if not row.get("category"):
        return "—"
    if row.get("eliminated"):
        return f"已消除 {fmt.date_text(row.get('eliminated_on'))}"
    return "未消除"


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts with None for missing values (pandas gives NaN, which is truthy)."""
    return frame.astype(object).where(frame.notna(), None).to_dict("records")


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


# ---------------------------------------------------------------------- messages
def not_found(title: str = "未找到该单位", detail: str | None = None) -> html.Div:
    """A clear Chinese message instead of a traceback, with a way back."""
    return html.Div(
        [
            html.H1(title),
            html.P(detail) if detail else None,
            html.P(dcc.Link("返回县域总览", href="/")),
        ],
        className="rg-notfound",
        id="rg-notfound",
    )


def denied() -> html.Div:
    """The refusal shown instead of a page outside the user's area (no data of it)."""
    return html.Div(
        [
            html.H1("无权查看"),
            html.P("该内容不在您账号的管辖范围内，或您的角色不能查看。本次访问已记录。"),
            html.P(dcc.Link("返回首页", href="/")),
        ],
        className="rg-notfound rg-denied",
        id="rg-denied",
    )


UNIT_NOT_FOUND = ("未找到该单位", "未找到该单位，或它不在您账号的管辖范围内。请从总览进入。")
HOUSEHOLD_NOT_FOUND = ("未找到该农户", "未找到该农户，或它不在您账号的管辖范围内。")


def unit_not_found() -> html.Div:
    """An unknown unit, and a unit outside the user's area: the same message (no probing)."""
    return not_found(*UNIT_NOT_FOUND)


def household_not_found() -> html.Div:
    return not_found(*HOUSEHOLD_NOT_FOUND)


def refuse_denied(
    layout: Callable[..., Any], outside: Callable[[], Any] = unit_not_found
) -> Callable[..., Any]:
    """A page layout that answers ``AccessDenied`` as it answers an unknown unit or household
    (``outside``), and a refusal of the role itself (``RoleDenied``) with ``denied()``."""

    @functools.wraps(layout)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return layout(*args, **kwargs)
        except RoleDenied:
            return denied()
        except AccessDenied:
            return outside()

    return wrapper


def child_level_label(level: str) -> str | None:
    child = CHILD_LEVEL.get(level)
    return LEVEL_LABELS[child] if child else None
