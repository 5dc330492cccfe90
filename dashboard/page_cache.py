"""Rendered pages, cached: a unit's or the sites' page built once per data version and served to
everyone who sees it the same way.

A page is the same for two requests when it shows the same unit and month at the same address
to the same scope (role and unit of the account: masking and areas differ by them), from the
same data (the data version), the same problem list (its stamp: statuses change between loads),
on the same day (problem ages) and by the same code. The key holds all of these; the value is
the page's component tree as plain JSON (dicts and lists), which both the layout request
(``initial_page``) and Dash's router send as they are.

Only pages that read no household record are cached: a look at households is written to the
audit log every time, so the grid, household and problem-list pages are always built.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from .data import Loaders
from .initial_page import layout_json, location_props


def _code_stamp() -> str:
    """Changes with the dashboard's code (an upgrade while a shared cache holds pages)."""
    digest = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for path in sorted(here.rglob("*.py")):
        stat = path.stat()
        digest.update(f"{path.relative_to(here)}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:12]


CODE_STAMP = _code_stamp()


def page_key(loaders: Loaders, page: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Everything a cached page depends on besides the data version (``Loaders.memo`` adds
    it): the page and its arguments, the address, the account's scope, the problem list's
    state, the day and the code."""
    principal = loaders.principal
    scope = (principal.role, principal.unit_code) if principal is not None else (None, None)
    store = loaders.store
    loaders.sync()  # the list brought up to the data first, as the page would
    address = location_props()
    return (
        page,
        *args,
        address.get("pathname"),
        address.get("search"),
        *scope,
        store.problems_stamp(),
        dt.date.today().isoformat(),
        CODE_STAMP,
    )


def cached_page(
    loaders: Loaders, page: str, args: tuple[Any, ...], build: Callable[[], Any]
) -> Any:
    """``build()``'s page as plain JSON, from the cache when the same page was built before
    (see the module's docstring for what makes two pages the same)."""
    return loaders.memo(
        "page", page_key(loaders, page, args), lambda: orjson.loads(layout_json(build()))
    )
