"""Shared page parts, one import point: the names of the modules that build them, re-exported
here under their old names for the code outside the pages (the app, log-in, the wall).

- :mod:`dashboard.links`: page addresses and the month in the query string;
- :mod:`dashboard.page_frame`: the shell (title bar) and each page's header;
- :mod:`dashboard.messages`: not found and 无权查看 instead of a page;
- :mod:`dashboard.cards`: figure cards and the map legend;
- :mod:`dashboard.tables`: the ranking and household tables.

The pages import those modules (and :mod:`dashboard.panels`, :mod:`dashboard.routing`) directly.
Plain functions returning Dash components; numbers are written with :mod:`reports.fmt`.
"""

from __future__ import annotations

from .cards import card, map_legend, stat_cards
from .links import (
    household_href,
    month_choice,
    month_from_search,
    replace_month,
    unit_href,
    with_month,
)
from .messages import (
    HOUSEHOLD_NOT_FOUND,
    UNIT_NOT_FOUND,
    denied,
    household_not_found,
    not_found,
    refuse_denied,
)
from .page_frame import (
    APP_TITLE,
    BRIEF_DOWNLOAD,
    BRIEF_PDF,
    BRIEF_PNG,
    NAV_ID,
    breadcrumb,
    briefing_buttons,
    child_level_label,
    logout_button,
    month_dropdown,
    overview_label,
    page_header,
    shell,
    user_box,
)
from .tables import (
    HOUSEHOLD_COLUMNS,
    eliminated_text,
    header_row,
    household_kind,
    households_table,
    ranking_table,
    records,
    risk_badge,
)

__all__ = [
    "APP_TITLE",
    "BRIEF_DOWNLOAD",
    "BRIEF_PDF",
    "BRIEF_PNG",
    "HOUSEHOLD_COLUMNS",
    "HOUSEHOLD_NOT_FOUND",
    "NAV_ID",
    "UNIT_NOT_FOUND",
    "breadcrumb",
    "briefing_buttons",
    "card",
    "child_level_label",
    "denied",
    "eliminated_text",
    "header_row",
    "household_href",
    "household_kind",
    "household_not_found",
    "households_table",
    "logout_button",
    "map_legend",
    "month_choice",
    "month_dropdown",
    "month_from_search",
    "not_found",
    "overview_label",
    "page_header",
    "ranking_table",
    "records",
    "refuse_denied",
    "replace_month",
    "risk_badge",
    "shell",
    "stat_cards",
    "unit_href",
    "user_box",
    "with_month",
]
