"""The page frame: the app's title bar (navigation, demo label, who is logged in) around every
page, and each page's header (breadcrumb, title, month picker, briefing buttons).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import dcc, html

from geodata.access import ROLES
from geodata.model import CHILD_LEVEL, Unit, children_level_word
from reports import fmt

from . import initial_page
from .data import Loaders
from .links import unit_href

NAV_ID = "rg-nav"  # the app's dcc.Location for navigating from callbacks (map clicks)
# the address a callback has just shown in place (a drill-down): the router leaves it be
INPLACE_ID = "rg-inplace"
# set by assets/riskgrid.js when a page's map is drawn: what waits for the map renders then
MAP_DRAWN_ID = "rg-map-drawn"
APP_TITLE = "防止返贫动态监测网格地图"


# ---------------------------------------------------------------------- shell
def nav_parts() -> list[Any]:
    """In every frame: the app's Location for callbacks, the store of the address shown in
    place (``routing.unless_shown_in_place``) and the map-drawn signal (``MAP_DRAWN_ID``)."""
    return [
        dcc.Location(id=NAV_ID, refresh="callback-nav"),
        dcc.Store(id=INPLACE_ID),
        dcc.Store(id=MAP_DRAWN_ID),
    ]


def shell(loaders: Loaders) -> html.Div:
    """The frame of every page: title bar with navigation and the demo label, then the page."""
    demo = loaders.is_demo()
    as_of = loaders.data_as_of()
    return html.Div(
        [
            *nav_parts(),
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
            html.Main(initial_page.page_container(), className="rg-main"),
        ],
        className="rg-app",
    )


def overview_label(loaders: Loaders) -> str:
    """The title of ``/``, the home unit's overview: 县域总览 for a county (and admin on one
    county), 全省总览 / 全市总览 above it, 本乡镇总览 / 本村总览 (本社区总览 for a community) below."""
    principal = loaders.principal
    home = loaders.home() if principal is not None else None
    level = home.level if home is not None else "county"
    labels = {
        "province": "全省总览",
        "city": "全市总览",
        "township": "本乡镇总览",
        "village": f"本{home.level_label}总览" if home is not None else "本村总览",
    }
    return labels.get(level, "县域总览")


def user_box(loaders: Loaders) -> html.Span | None:
    """Who is logged in (name, role, unit) and a log-out link; nothing with log-in off."""
    principal = loaders.principal
    if principal is None or principal.username == "local":
        return None
    unit = loaders.home() if principal.unit_code else None
    where = f" · {unit.name}" if unit is not None else ""
    return html.Span(
        [
            html.Span(
                f"{principal.username}（{ROLES.get(principal.role, principal.role)}{where}）"
            ),
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


def page_header(
    title: str, subtitle: str, crumbs: Any, month_control: Any = None, title_id: str | None = None
) -> html.Div:
    """A page's header: breadcrumb and title (with a subtitle) beside its month control;
    ``title_id``: the id of the title (a page that changes it in place)."""
    heading = title_parts(title, subtitle)
    return html.Div(
        [
            html.Div(
                [crumbs, html.H1(heading, id=title_id) if title_id else html.H1(heading)],
                className="rg-header-text",
            ),
            month_control,
        ],
        className="rg-page-header",
    )


def title_parts(title: str, subtitle: str) -> list[Any]:
    """The children of a page's title: its name and a subtitle."""
    return [title, html.Small(subtitle, className="rg-subtitle")]


def child_level_label(level: str, children: Sequence[Any] = ()) -> str | None:
    """The name of the level below ``level`` (乡镇 below 县), None below the lowest; below a
    township, of ``children`` (Units, unit dicts or ``children_stats`` rows): 村, 社区, or
    村（社区） when villages and communities mix."""
    child = CHILD_LEVEL.get(level)
    units = [c.get("unit", c) if isinstance(c, dict) else c for c in children]
    return children_level_word(child, units) if child else None


def month_header(
    loaders: Loaders,
    title: str,
    subtitle: str,
    lineage: Sequence[Unit],
    month: str,
    dropdown_id: str,
    tail: str | None = None,
) -> html.Div:
    """A page header with the breadcrumb of ``lineage`` (then ``tail``) and the month dropdown
    ``dropdown_id``: every snapshot month, ``month`` chosen."""
    return page_header(
        title,
        subtitle,
        breadcrumb(lineage, month, tail),
        month_dropdown(dropdown_id, loaders.months(), month),
    )
