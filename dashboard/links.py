"""Links between pages: the addresses of units and households with ``?month=``, and the month
read from (and written to) the URL's query string.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash

from geodata.model import Unit

from .data import Loaders


def with_month(path: str, month: str | None, **params: str | None) -> str:
    """``path`` with ``?month=`` (and other non-empty parameters)."""
    query = {"month": month, **params}
    query = {k: v for k, v in query.items() if v}
    return f"{path}?{urlencode(query)}" if query else path


def unit_href(unit: Unit | dict[str, Any], month: str | None) -> str:
    """The page of a unit: ``/unit/<code>`` (a province, city, county, township or village; the
    user's home unit is also ``/``), a grid's is ``/grid/<code>``."""
    level = unit.level if isinstance(unit, Unit) else unit["level"]
    code = unit.code if isinstance(unit, Unit) else unit["code"]
    if level == "grid":
        return with_month(f"/grid/{code}", month)
    return with_month(f"/unit/{code}", month)


def household_href(household_id: str, month: str | None) -> str:
    """The page of a household: ``/household/<id>``."""
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
