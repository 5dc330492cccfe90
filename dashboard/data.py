"""The dashboard's read path: the app's Store behind cached loaders.

Every figure shown comes from the stored per-unit, per-month figures (``Store.stats``,
``children_stats``, ``level_stats``, ``trend``); nothing here counts households. Loaders are cached
in the app's flask-caching ``Cache`` under a key made of the loader's name, its arguments and the
data version (``Store.data_version``: last load, units version, income lines, demo flag), so a
reload of the data is seen on the next request and nothing goes stale.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, TypeVar

import flask
from flask_caching import Cache

from geodata import Store, Unit
from geodata.model import LEVELS
from riskgrid.settings import Settings

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


class Loaders:
    """Cached read queries of one app's store."""

    def __init__(self, store: Store, cache: Cache) -> None:
        self.store = store
        self.cache = cache

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
        value = self.cache.get(key)
        if value is None:
            value = compute()
            self.cache.set(key, value)
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
        """The unit, or the default county when ``code`` is None."""
        if code is None:
            return self.memo("default_unit", (), self.store.default_unit)
        return self.memo("unit", (code,), lambda: self.store.unit(code))

    def lineage(self, code: str) -> list[Unit]:
        return self.memo("lineage", (code,), lambda: self.store.lineage(code))

    def units(self) -> dict[str, dict[str, Any]]:
        """code -> name, level, parent_code, label point and area of every unit."""

        def compute() -> dict[str, dict[str, Any]]:
            frame = self.store.units_frame()
            return {
                row["code"]: {k: _clean(v) for k, v in row.items()}
                for row in frame.to_dict("records")
            }

        return self.memo("units", (), compute)

    def features(self, level: str, within: str | None) -> dict[str, Any]:
        """Simplified outlines of one level inside a unit (from ``Store.map_features``)."""
        return self.store.map_features(level, within)

    # ------------------------------------------------------------------ figures
    def stats(self, code: str, month: str) -> dict[str, Any]:
        return self.memo("stats", (code, month), lambda: self.store.stats(code, month))

    def children_stats(self, code: str, month: str) -> list[dict[str, Any]]:
        return self.memo(
            "children_stats", (code, month), lambda: self.store.children_stats(code, month)
        )

    def trend(self, code: str) -> list[dict[str, Any]]:
        return self.memo("trend", (code,), lambda: self.store.trend(code))

    def level_figures(self, level: str, month: str, within: str | None) -> dict[str, dict]:
        """code -> the stored figures maps show (MAP_FIELDS) of every unit of ``level`` inside
        ``within`` in ``month``."""
        assert level in LEVELS, level

        def compute() -> dict[str, dict]:
            frame = self.store.level_stats(level, month, within)
            out = {}
            for code, data in zip(frame["code"], frame["data"], strict=True):
                figures = json.loads(data)
                out[code] = {k: figures.get(k) for k in MAP_FIELDS}
            return out

        return self.memo("level_figures", (level, month, within), compute)

    def site_stats(self, month: str) -> list[dict[str, Any]]:
        def compute() -> list[dict[str, Any]]:
            return [{k: _clean(v) for k, v in row.items()} for row in self.store.site_stats(month)]

        return self.memo("site_stats", (month,), compute)

    def is_demo(self) -> bool:
        return self.store.is_demo()

    def data_as_of(self) -> str | None:
        return self.store.data_as_of()


def get_loaders() -> Loaders:
    """The loaders of the app serving the current request."""
    return flask.current_app.config[LOADERS_KEY]


def get_store() -> Store:
    """The store of the app serving the current request."""
    return flask.current_app.config[STORE_KEY]


def get_settings() -> Settings:
    """The riskgrid Settings of the app serving the current request."""
    return flask.current_app.config[SETTINGS_KEY]
