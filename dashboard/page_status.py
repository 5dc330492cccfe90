"""The HTTP status of a page loaded by address: 404 for an address that names nothing.

Dash serves the same index page for every path and shows a page's not-found message only once the
browser has asked its router callback, so by itself every address answers 200. ``check_page`` (a
``before_request`` hook, after ``auth.require_login``) looks at a GET of a page path the way the
page's layout would, through the user's scoped loaders, and answers 404 with the Chinese message
for:

- a path that names no page (``/nope``, and ``/404`` itself);
- an unknown unit, grid or household (``/unit/<code>``, ``/grid/<code>``, ``/problems/<code>``,
  ``/household/<id>``), and one outside the user's area: ``responses.not_found_response``, the
  same bytes for both (no probing);
- a ``?month=`` that is no loaded snapshot month (the unit, grid, household, overview and sites
  pages; the problem list always shows the latest month and keeps its page).

Only the page GET is checked: a client-side navigation (``dcc.Link``, the app's Location) never
asks the server for the page, and Dash's router callback shows the same messages as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dash
import flask
from dash._pages import _path_to_page  # the router's own matching of a path to a page

from geodata.access import AccessDenied, RoleDenied

from .data import Loaders, get_loaders
from .pages import notfound
from .responses import _is_api, message_page, not_found_response

MONTH_TITLE = "没有该月份的数据"  # as messages.month_not_found

Refusal = Callable[[], flask.Response]


def month_refusal(month: str | None) -> Refusal:
    return lambda: message_page(MONTH_TITLE, f"{month or ''} 不是已加载的统计月份。", 404)


def unknown_path() -> flask.Response:
    return message_page(notfound.TITLE, notfound.DETAIL, 404)


def _code(variables: dict[str, str], key: str = "code") -> str | None:
    value = variables.get(key)
    return value if value and value != "none" else None


def _bad_month(loaders: Loaders, month: str | None) -> bool:
    return bool(month) and loaders.resolve_month(month) is None


def unit_status(loaders: Loaders, variables: dict[str, str], month: str | None) -> Refusal | None:
    """``/unit/<code>`` (a grid's code shows the grid page, with the same checks)."""
    unit = loaders.unit(variables.get("code"))
    if unit is None:
        return not_found_response if variables.get("code") else None  # no data yet: a message
    return month_refusal(month) if _bad_month(loaders, month) else None


def grid_status(loaders: Loaders, variables: dict[str, str], month: str | None) -> Refusal | None:
    code = _code(variables)
    unit = loaders.unit(code) if code else None
    if unit is None or unit.level != "grid":
        return not_found_response
    return month_refusal(month) if _bad_month(loaders, month) else None


def household_status(
    loaders: Loaders, variables: dict[str, str], month: str | None
) -> Refusal | None:
    household_id = _code(variables, "household_id")
    if household_id is None or not loaders.check_household(household_id, month):
        return not_found_response
    return month_refusal(month) if _bad_month(loaders, month) else None


def problems_status(
    loaders: Loaders, variables: dict[str, str], month: str | None
) -> Refusal | None:
    code = _code(variables)
    return not_found_response if code is None or loaders.unit(code) is None else None


def home_status(loaders: Loaders, variables: dict[str, str], month: str | None) -> Refusal | None:
    """The overview and the sites page: the user's home unit in ``month``."""
    if loaders.unit(None) is None:
        return None  # no data yet: the page says so
    return month_refusal(month) if _bad_month(loaders, month) else None


def always_404(loaders: Loaders, variables: dict[str, str], month: str | None) -> Refusal:
    return unknown_path


# page module -> the check of its address (pages not named are always found)
CHECKS: dict[str, Callable[[Loaders, dict[str, str], str | None], Refusal | None]] = {
    "dashboard.pages.unit": unit_status,
    "dashboard.pages.grid": grid_status,
    "dashboard.pages.household": household_status,
    "dashboard.pages.problems": problems_status,
    "dashboard.pages.overview": home_status,
    "dashboard.pages.sites": home_status,
    "dashboard.pages.not_found_404": always_404,
}


def page_refusal(app: dash.Dash, path: str, month: str | None) -> Refusal | None:
    """The 404 a GET of page ``path`` gets, or None when the page is found."""
    page, variables = _path_to_page(app.strip_relative_path(path) or "")
    if not page:  # no page: a script or file the app does not have gets JSON, a page a page
        return not_found_response if _is_api(path) else unknown_path
    check = CHECKS.get(page["module"])
    if check is None:
        return None
    loaders = get_loaders()
    try:
        return check(loaders, variables or {}, month)
    except RoleDenied:
        return None  # the role itself (a viewer's household): the page says 无权查看
    except AccessDenied:
        return not_found_response  # outside the area: as unknown


def register(app: dash.Dash) -> None:
    """Check every page GET on ``app`` (after the log-in hook, which answers without a user)."""
    prefix = app.config.routes_pathname_prefix
    page_endpoints = {prefix, prefix + "<path:path>"}  # Dash's index and catch-all routes

    def check_page() -> Any:
        request = flask.request
        if request.method not in ("GET", "HEAD") or request.endpoint not in page_endpoints:
            return None
        refusal = page_refusal(app, request.path, request.args.get("month"))
        return refusal() if refusal else None

    app.server.before_request(check_page)
