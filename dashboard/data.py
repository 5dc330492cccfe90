"""The dashboard's read path: the app's Store behind cached loaders.

Every figure shown comes from the stored per-unit, per-month figures (``Store.stats``,
``children_stats``, ``level_stats``, ``trend``); nothing here counts households. Loaders are cached
in the app's flask-caching ``Cache`` under a key made of the loader's name, its arguments and the
data version (``Store.data_version``: last load, units version, income lines, demo flag), so a
reload of the data is seen on the next request and nothing goes stale.

Scope: every request gets its own ``Loaders`` bound to the logged-in principal (``get_loaders``).
The cache holds only unscoped data (figures of a unit are the same for everyone who may see it);
every loader that names a unit checks it against the principal's area *before* anything is read or
returned from the cache, and raises ``geodata.access.AccessDenied`` otherwise. What is computed on
a cache miss is read through a ``ScopedStore``; household records are never cached and are read
only through the ``ScopedStore``, which masks them and writes each look to the audit log.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Callable
from typing import Any, TypeVar

import flask
import orjson
from flask_caching import Cache

from geodata import Store, StoreError, Unit
from geodata.access import (
    LOCAL_ADMIN,
    AccessDenied,
    Principal,
    ScopedStore,
)
from geodata.model import LEVELS
from geodata.settings import Settings
from geodata.timeliness_store import store_timeliness

log = logging.getLogger(__name__)

STORE_KEY = "RISKGRID_STORE"
LOADERS_KEY = "RISKGRID_LOADERS"
SETTINGS_KEY = "RISKGRID_SETTINGS"

T = TypeVar("T")

# the stored figures a map colours by and shows on hover
MAP_FIELDS = ("risk_level", "monitored", "open_by_level", "clearance_rate", "monitored_share")


def _clean(value: Any) -> Any:
    """NaN (from pandas) as None."""
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


class _CachedUnits:
    """Unit lookups of a ScopedStore, memoised in the loaders' cache."""

    def __init__(self, loaders: Loaders) -> None:
        self.loaders = loaders

    def unit(self, code: str) -> Unit | None:
        store = self.loaders.store
        return self.loaders.memo("unit", (code,), lambda: store.unit(code))

    def default_unit(self) -> Unit | None:
        return self.loaders.memo("default_unit", (), self.loaders.store.default_unit)


class Loaders:
    """Cached read queries of one app's store, as one principal may make them.

    The app keeps an unbound instance (``principal`` None: every unit is refused); each request
    works with ``bind(principal, address)`` of it, which shares the store and the cache.
    """

    def __init__(
        self,
        store: Store,
        cache: Cache,
        principal: Principal | None = None,
        address: str | None = None,
    ) -> None:
        self.store = store
        self.cache = cache
        self.principal = principal
        self.address = address

    def bind(self, principal: Principal, address: str | None = None) -> Loaders:
        """The loaders of ``principal`` (audit rows carry ``address``), on the same cache."""
        return Loaders(self.store, self.cache, principal, address)

    @property
    def scoped(self) -> ScopedStore:
        """The store as the principal may read it: the one scope check (``geodata.access``),
        its unit lookups served from this cache."""
        if self.principal is None:
            raise AccessDenied("未登录 (not logged in)")
        return ScopedStore(self.store, self.principal, self.address, units=_CachedUnits(self))

    def problem_counts(self, code: str) -> dict[str, Any]:
        """Open and overdue problems of a unit (not memoised: a status change is seen at
        once)."""
        return self.scoped.problem_counts(code)

    def timeliness(self, code: str, month: str) -> dict[str, Any]:
        """时效 of a unit and month (``geodata.timeliness``), cached by the data version and
        the state of the problem list (its fixed share)."""
        unit = self._checked(code)
        self.sync()  # the list synced before it is read
        stamp = self.store.problems_stamp()
        return self.memo(
            "timeliness",
            (unit.code, month, stamp),
            lambda: store_timeliness(
                self.store, unit, month, version=self.version(), months=self.months()
            ),
        )

    def sync(self) -> None:
        """The problem list brought up to the data (``Store.sync_problems``), once per
        request."""
        if flask.has_request_context() and flask.g.get("rg_synced"):
            return
        self.store.sync_problems()
        if flask.has_request_context():
            flask.g.rg_synced = True

    def problem_map_counts(self, level: str, code: str) -> dict[str, int]:
        """Open problems per unit of ``level`` inside ``code`` (not memoised)."""
        return self.scoped.problem_map_counts(level, code)

    def problem_list(self, code: str, **filters: Any):
        """One page of a unit's problem list and its length (``ScopedStore.problem_list``:
        household numbers, a logged look, never cached)."""
        return self.scoped.problem_list(code, **filters)

    def household_problems(self, household_id: str):
        """The problems of one household in the latest month (never cached)."""
        return self.scoped.household_problems(household_id)

    # ------------------------------------------------------------------ scope
    def _principal(self) -> Principal:
        if self.principal is None:
            raise AccessDenied("未登录 (not logged in)")
        return self.principal

    def home(self) -> Unit | None:
        """The principal's own unit (the default unit for admin); None before grids are loaded."""
        try:
            return self.scoped.home()
        except StoreError:
            return None

    def check(self, code: str | None) -> Unit | None:
        """The unit ``code`` (the home unit when None) if it lies in the principal's area; None
        for an unknown code. A unit outside the area is logged and raises ``AccessDenied``."""
        try:
            return self.scoped.find(code)
        except StoreError:
            return None  # no grids loaded: no home unit

    def _checked(self, code: str | None) -> Unit:
        unit = self.check(code)
        if unit is None:
            raise AccessDenied("未找到单位 (unit not found)")
        return unit

    @property
    def sees_households(self) -> bool:
        return self._principal().sees_households

    @property
    def sees_unmasked(self) -> bool:
        return self._principal().sees_unmasked

    # ------------------------------------------------------------------ version and cache
    def version(self) -> str:
        """The data version: changes whenever grids, households, sites or lines are loaded."""
        if flask.has_request_context() and "rg_version" in flask.g:
            return flask.g.rg_version
        version = self.store.data_version()
        if flask.has_request_context():
            flask.g.rg_version = version
        return version

    def memo(self, name: str, args: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()``, cached under ``name``, ``args`` and the data version."""
        key = "rg:" + json.dumps([name, self.version(), *args], ensure_ascii=False)
        try:
            value = self.cache.get(key)
        except Exception:  # a shared cache that is down (Redis): compute, never fail the page
            log.warning("cache unavailable, computing %s", name, exc_info=True)
            return compute()
        if value is None:
            value = compute()
            try:
                self.cache.set(key, value)
            except Exception:
                log.warning("cache unavailable, %s not stored", name, exc_info=True)
        return value

    # ------------------------------------------------------------------ units
    def months(self) -> list[str]:
        return self.memo("months", (), self.store.months)

    def latest_month(self) -> str | None:
        months = self.months()
        return months[-1] if months else None

    def resolve_month(self, month: str | None) -> str | None:
        """The month asked for if it is a snapshot month; the latest when none is asked for.

        None when there is no data, or the month asked for has no snapshot.
        """
        months = self.months()
        if not months:
            return None
        if not month:
            return months[-1]
        return month if month in months else None

    def unit(self, code: str | None) -> Unit | None:
        """The unit, or the principal's home unit (the default county for admin) when ``code``
        is None; None when unknown; ``AccessDenied`` outside the principal's area."""
        return self.check(code)

    def lineage(self, code: str) -> list[Unit]:
        """Breadcrumbs: the unit and its ancestors, cut at the principal's own unit."""
        self._checked(code)
        return self.scoped.visible(self.memo("lineage", (code,), lambda: self.store.lineage(code)))

    def units(self) -> dict[str, dict[str, Any]]:
        """code -> name, level, parent_code, label point and area of every unit in the area."""
        return self.scoped.rows_in_area(self._all_units())

    def _all_units(self) -> dict[str, dict[str, Any]]:
        def compute() -> dict[str, dict[str, Any]]:
            frame = self.store.units_frame()
            return {
                row["code"]: {k: _clean(v) for k, v in row.items()}
                for row in frame.to_dict("records")
            }

        return self.memo("units", (), compute)

    def level_counts(self, code: str) -> dict[str, int]:
        """level -> the units of that level inside unit ``code`` (``Store.level_counts``)."""
        unit = self._checked(code)
        return self.memo("level_counts", (unit.code,), lambda: self.store.level_counts(unit))

    def child_rows(self, code: str) -> list[dict[str, Any]]:
        """The children of unit ``code`` with their label points (``Store.child_rows``)."""
        unit = self._checked(code)
        return self.memo("child_rows", (unit.code,), lambda: self.store.child_rows(unit.code))

    def child_of_shapes(self, code: str, level: str) -> dict[str, str]:
        """Each shape of the map of ``code`` by ``level`` -> its ancestor one level below."""
        unit = self._checked(code)
        return self.memo(
            "child_of_shapes", (unit.code, level), lambda: self.store.child_of_shapes(unit, level)
        )

    def features(self, level: str, within: str | None) -> dict[str, Any]:
        """Simplified outlines of one level inside a unit (the home unit when ``within`` is
        None), from ``Store.map_features``."""
        unit = self._checked(within)
        return self.scoped.map_features(level, unit.code)

    def feature_index(self, level: str, within: str | None) -> dict[str, Any]:
        """The features of ``features(level, within)`` without geometry (ids and names, the
        same order), cached by the data version: what a map naming its geometry by URL needs
        (``Store.feature_index``)."""
        unit = self._checked(within)
        return self.memo(
            "feature_index", (level, unit.code), lambda: self.store.feature_index(level, unit.code)
        )

    # ------------------------------------------------------------------ figures
    def stats(self, code: str, month: str) -> dict[str, Any]:
        unit = self._checked(code)
        return self.memo("stats", (unit.code, month), lambda: self.scoped.stats(unit.code, month))

    def children_stats(self, code: str, month: str) -> list[dict[str, Any]]:
        unit = self._checked(code)
        return self.memo(
            "children_stats",
            (unit.code, month),
            lambda: self.scoped.children_stats(unit.code, month),
        )

    def trend(self, code: str) -> list[dict[str, Any]]:
        unit = self._checked(code)
        return self.memo("trend", (unit.code,), lambda: self.scoped.trend(unit.code))

    def level_figures(self, level: str, month: str, within: str | None) -> dict[str, dict]:
        """code -> the stored figures maps show (MAP_FIELDS) of every unit of ``level`` inside
        ``within`` in ``month``."""
        assert level in LEVELS, level
        unit = self._checked(within)

        def compute() -> dict[str, dict]:
            out = {}
            for code, data in self.store.level_data(level, month, unit):  # unit checked above
                figures = orjson.loads(data)  # a county's 1,000 grids: 4 times json's speed
                out[code] = {k: figures.get(k) for k in MAP_FIELDS}
            return out

        return self.memo("level_figures", (level, month, unit.code), compute)

    def site_stats(self, month: str) -> list[dict[str, Any]]:
        """The stored figures of the sites in the principal's area (by grid, else township)."""

        def compute() -> list[dict[str, Any]]:
            return [{k: _clean(v) for k, v in row.items()} for row in self.store.site_stats(month)]

        return self.scoped.sites_in_area(self.memo("site_stats", (month,), compute))

    # ------------------------------------------------------------------ households
    # Never cached: records carry names and ID numbers, which must not land in a shared cache
    # directory; each read is checked, masked and written to the audit log by the ScopedStore.
    def households(self, code: str, month: str):
        """The household records of a unit in a month, masked (a logged view)."""
        self._checked(code)
        return self.scoped.households(code, month)

    def household(
        self, household_id: str, month: str, *, unmask: bool = False
    ) -> dict[str, Any] | None:
        """One household's record, masked unless ``unmask`` and the role may (a logged view)."""
        return self.scoped.household(household_id, month, unmask=unmask)

    def household_history(self, household_id: str) -> list[dict[str, Any]]:
        """One household's rows across the loaded months, newest first (a logged view)."""
        return self.scoped.household_history(household_id)

    def check_household(self, household_id: str, month: str | None = None) -> bool:
        """Refuse (``AccessDenied``) a household outside the area or a role without households,
        without reading its record (for links and pre-checks); False for an unknown one. Its
        grid in ``month`` (the latest month when None or not a snapshot month)."""
        month = month if month in self.months() else self.latest_month()
        return self.scoped.check_household(household_id, month)

    def grid_worker(self, grid_code: str) -> tuple[str | None, str | None]:
        """A grid's worker and phone number, the phone in full for the roles that see households, masked for viewer."""
        self._checked(grid_code)
        return self.scoped.grid_worker(grid_code)

    def is_demo(self) -> bool:
        return self.store.is_demo()

    def data_as_of(self) -> str | None:
        return self.store.data_as_of()


def current_principal() -> Principal:
    """Who the current request acts for: the logged-in user, or ``LOCAL_ADMIN`` when log-in is
    turned off (a single-user install on localhost). ``AccessDenied`` when nobody is logged in."""
    if not get_settings().login:
        return LOCAL_ADMIN
    from flask_login import current_user

    principal = getattr(current_user, "principal", None)
    if principal is None or not current_user.is_authenticated:
        raise AccessDenied("未登录 (not logged in)")
    return principal


def get_loaders() -> Loaders:
    """The loaders of the app serving the current request, bound to the current principal and
    the request's remote address (one instance per request)."""
    if "rg_loaders" in flask.g:
        return flask.g.rg_loaders
    base: Loaders = flask.current_app.config[LOADERS_KEY]
    loaders = base.bind(current_principal(), flask.request.remote_addr)
    flask.g.rg_loaders = loaders
    return loaders


def get_store() -> ScopedStore:
    """The app's store as the current principal may read it (every read checked and logged)."""
    return get_loaders().scoped


def get_raw_store() -> Store:
    """The app's store itself, unscoped: only for accounts and the session key, never for data
    shown to a user."""
    return flask.current_app.config[STORE_KEY]


def get_settings() -> Settings:
    """The riskgrid Settings of the app serving the current request."""
    return flask.current_app.config[SETTINGS_KEY]
