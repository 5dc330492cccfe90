"""The problem list as a table: one row per problem (rule, severity, household link, grid,
status, first month and age, evidence), and the filters of the list page (status, rule, age);
the store filters, orders and pages the list (``Store.list_problems``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd
from dash import dcc, html
from dash.development.base_component import Component

from geodata.access import AccessDenied
from geodata.checks import RULES_BY_ID, SEVERITY_LABELS
from geodata.records.problem_counts import OPEN, months_between
from geodata.records.problems import STATUSES
from reports.problem_list import evidence_text

from . import tables
from .data import Loaders
from .links import household_href, unit_href

# the status filter: its value -> label, and the statuses it keeps
STATUS_FILTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "open": ("未处理", OPEN),
    "new": ("待核实", ("new",)),
    "confirmed": ("已核实", ("confirmed",)),
    "fixed": ("已整改", ("fixed",)),
    "dismissed": ("已排除", ("dismissed",)),
    "all": ("全部", tuple(STATUSES)),
}
AGE_FILTERS: dict[str, str] = {"": "不限", "new": "本月新发现", "overdue": "逾期"}
MAX_ROWS = 50  # rows drawn on a page (a screen or two); the Excel download has them all


def status_filter(status: str) -> tuple[str, tuple[str, ...], bool]:
    """A status filter's value, the statuses it keeps, and whether it reaches the problems
    closed before the latest month (已整改 by the data) as well as those it fires."""
    status = status if status in STATUS_FILTERS else "open"
    return status, STATUS_FILTERS[status][1], status in ("fixed", "dismissed", "all")


def status_badge(status: str) -> html.Span:
    return html.Span(STATUSES.get(status, status), className=f"rg-status rg-status-{status}")


def severity_badge(severity: str) -> html.Span:
    return html.Span(SEVERITY_LABELS.get(severity, severity), className=f"rg-sev rg-sev-{severity}")


def age_text(first: str, last: str) -> str:
    """How long a problem has fired: 本月 (first seen in its last month), or N 个月."""
    months = months_between(first, last)
    return f"{months} 个月" if months else "本月"


def problem_key(rule: str, household_id: str) -> str:
    """The id of a problem in the page's buttons: ``rule|household``."""
    return f"{rule}|{household_id}"


def problems_table(
    frame: pd.DataFrame,
    month: str,
    units: Mapping[str, Mapping[str, Any]],
    *,
    can_change: bool = False,
    table_id: str = "rg-problems",
    limit: int = MAX_ROWS,
) -> Component:
    """The rows of ``frame`` (``Store.list_problems``), at most ``limit``; ``units``: code -> unit row
    for names; ``can_change``: a 处理 button on each row for the status form."""
    rows = []
    for p in tables.records(frame.head(limit)):
        rule = RULES_BY_ID.get(p["rule"])
        grid = units.get(p.get("grid_code") or "")
        village = units.get(p.get("village_code") or "")
        place = grid or village
        cells = [
            html.Td(rule.title if rule else p["rule"]),  # explained in the counts' panel
            html.Td(severity_badge(p["severity"])),
            html.Td(
                dcc.Link(p["household_id"], href=household_href(p["household_id"], month)),
                className="rg-mono",
            ),
            html.Td(
                dcc.Link(place["name"], href=unit_href(place, month)) if place else "未分配网格"
            ),
            html.Td(status_badge(p["status"])),
            html.Td(p["first_seen"]),
            html.Td(age_text(p["first_seen"], p["last_seen"]), className="rg-num"),
            html.Td(evidence_text(p.get("evidence")), className="rg-evidence"),
            html.Td(p.get("reason") or ""),
        ]
        if can_change:
            cells.append(
                html.Td(
                    html.Button(
                        "处理",
                        id={
                            "type": "problem-pick",
                            "key": problem_key(p["rule"], p["household_id"]),
                        },
                        n_clicks=0,
                        className="rg-button rg-button-small",
                    )
                )
            )
        rows.append(
            html.Tr(
                cells,
                **{
                    "data-rule": p["rule"],
                    "data-household": p["household_id"],
                    "data-status": p["status"],
                },
            )
        )
    labels = ["规则", "级别", "户编号", "网格", "状态", "首次发现", "持续", "依据", "处理说明"]
    if can_change:
        labels.append("")
    return html.Table(
        [html.Thead(tables.header_row(labels, {6})), html.Tbody(rows)],
        className="rg-table rg-problem-table",
        id=table_id,
    )


def row_units(loaders: Loaders, frame: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """code -> code, name and level of the grids and villages the rows of ``frame`` (a problem
    list) name, for ``problems_table``: read unit by unit, so that a grid's or a household's
    few rows do not unpickle ``Loaders.units()`` of a whole province (0.3 s on the 100-county
    demo); a unit outside the user's area is left out (its rows say 未分配网格, as before)."""
    codes = {
        str(code)
        for column in ("grid_code", "village_code")
        if column in frame
        for code in frame[column].dropna().unique()
    }
    named: dict[str, dict[str, Any]] = {}
    for code in sorted(codes):
        try:
            unit = loaders.unit(code)
        except AccessDenied:
            continue
        if unit is not None:
            named[code] = {"code": unit.code, "name": unit.name, "level": unit.level}
    return named
