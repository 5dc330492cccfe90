"""Warming a served app's caches in the background: what the first request of each month would
otherwise compute while a user waits.

The timeliness figures (时效) of a month need the intervals of every household of a county
(``geodata.timeliness``: a few hundred milliseconds a month on a county, kept per process and
data version) unless they are stored at the current data version (``timeliness_figures``: the
months a load or the problem list's sync stored); a server warms them for its home county (a
province's or a city's first county) and every loaded month, the latest first, in a daemon
thread right after it starts (a stored month is only read), so that neither the first visitor
of an older month nor a load test's p95 pays for them. Anything that fails here is only logged: the page computes it again when asked.

The objects of the started app (its modules, the store, plotly's and Dash's) are then moved
out of the garbage collector's full passes (``gc.freeze``, again once warmed): a full pass
over them took about 0.1 s, and fell on about one first page build in ten.
"""

from __future__ import annotations

import gc
import logging
import threading
from typing import Any

from geodata import Store
from geodata.model import UPPER_LEVELS
from geodata.timeliness_store import store_timeliness

from .data import STORE_KEY

log = logging.getLogger(__name__)


def warm(store: Store) -> int:
    """Compute the timeliness of the home unit (its first county above the county) for every month, the latest first; the number
    of months warmed."""
    unit = store.default_unit()
    if unit is None:
        return 0
    if unit.level in UPPER_LEVELS:  # 时效 is shown from the county down: warm it on one
        unit = next((c for c in store.counties() if c.code.startswith(unit.code)), None)
        if unit is None:
            return 0
    done = 0
    for month in reversed(store.months()):
        store_timeliness(store, unit, month)
        done += 1
    return done


def start_warming(flask_app: Any) -> threading.Thread:
    """Warm ``flask_app``'s store (``warm``) in a daemon thread; the thread."""
    store: Store = flask_app.config[STORE_KEY]

    def run() -> None:
        try:
            log.info("warmed %d months", warm(store))
        except Exception as exc:  # never fails the server; the pages compute it when asked
            log.warning("cache warming stopped: %s: %s", type(exc).__name__, exc)
        gc.freeze()

    gc.freeze()  # what is loaded by now lives as long as the process

    thread = threading.Thread(target=run, name="riskgrid-warm", daemon=True)
    thread.start()
    return thread
