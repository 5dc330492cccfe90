"""The problem list brought up to a load inside the load's transaction.

A load's rows, figures, load record and problem list commit together, so a load killed at any
moment leaves neither (``tests/test_crash_loads.py``). A rule that cannot be evaluated does not
refuse a load: the sync runs in a savepoint, rolled back on such an error, and the list is left
as it was (it is synced again on the next read, and ``riskgrid load`` says it was not updated).

A household file passes the counties it touched: when the list was synced before the load
(``Store.problems_in_sync``, asked before the load writes), only those counties' problems are
evaluated and written, at their latest month; otherwise the whole list is synced.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from geodata import StoreError

log = logging.getLogger(__name__)


def sync_in_load(store: Any, conn: Any, counties: Collection[str] | None = None) -> bool:
    """Sync the problem list on ``conn`` (the load's transaction): of ``counties`` only when
    given (the list was synced before the load), else the whole list; False when the rules
    could not be evaluated (the load stands, the list is synced later)."""
    try:
        with conn.begin_nested():
            store.sync_problems(conn, counties=counties)
    except (StoreError, ValueError, KeyError, TypeError) as exc:
        log.warning("problem list not synced with the load: %s", exc)
        return False
    return True
