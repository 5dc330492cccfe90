"""Who may see what: accounts bound to a unit, deny by default; every look written to the
audit log (``audit``).

Roles:
- ``admin``: users and everything;
- ``province``, ``city``: a province (2-digit code) or city (4-digit code) and all below it,
  figures and households, as ``county`` for its county;
- ``county``: its county, all figures and households;
- ``township``: one township and everything below it;
- ``village``: one village and its grids;
- ``viewer``: figures and maps of its unit, never household names or ID numbers (the wall's
  account).

``ScopedStore`` wraps a Store for one principal: every read that names a unit outside the
principal's area raises ``AccessDenied`` before any data is read, whichever way the request came
(page, callback, export, CLI). Household reads also need a role that may see households, and they
are written to the audit log.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import pandas as pd
import sqlalchemy as sa

from . import schema
from .access_problems import ProblemAccess
from .audit import audit, audit_rows, log  # noqa: F401 - the audit log, also read from here
from .model import LEVELS, Unit, mask_id_number, mask_name, mask_phone
from .store import Store, StoreError

ROLES: dict[str, str] = {
    "admin": "管理员",
    "province": "省级",
    "city": "市级",
    "county": "县级",
    "township": "乡镇级",
    "village": "村级",
    "viewer": "只读大屏",
}
UNIT_ROLES = {lv: lv for lv in ("province", "city", "county", "township", "village")}
HOUSEHOLD_ROLES = {"admin", "province", "city", "county", "township", "village"}
UNMASK_ROLES = {"admin", "province", "city", "county"}
# the levels an area may be: every level with units below it
AREA_LEVELS = tuple(lv for lv in LEVELS if lv != "grid")


class AccessDenied(PermissionError):
    """A request for data outside the principal's area, or beyond its role."""


class RoleDenied(AccessDenied):
    """A request the principal's role may never make (a viewer asking for households), whatever
    the unit: unlike a unit outside the area, it may say so."""


@dataclass(frozen=True)
class Principal:
    username: str
    role: str
    unit_code: str | None  # None for admin

    @property
    def sees_households(self) -> bool:
        return self.role in HOUSEHOLD_ROLES

    @property
    def sees_unmasked(self) -> bool:
        return self.role in UNMASK_ROLES


# the principal of a single-user install on localhost with log-in turned off
LOCAL_ADMIN = Principal("local", "admin", None)


def unit_codes(unit: Unit | Mapping[str, Any]) -> set[str]:
    """The codes of a unit and of every unit above it (a Unit, or a row of ``units_frame``)."""
    get = unit.get if isinstance(unit, Mapping) else lambda k: getattr(unit, k, None)
    return {c for c in (get("code"), *(get(f"{lv}_code") for lv in AREA_LEVELS)) if c}


def in_scope(principal: Principal, unit: Unit | Mapping[str, Any]) -> bool:
    """True when ``unit`` lies in the principal's area (its unit or below it). The one scope
    check: every read of ``ScopedStore`` and of the dashboard's loaders goes through it."""
    if principal.role == "admin":
        return True
    return bool(principal.unit_code) and principal.unit_code in unit_codes(unit)


class UnitSource(Protocol):
    """Where a ScopedStore looks units up: the Store, or a cache in front of it."""

    def unit(self, code: str) -> Unit | None: ...

    def default_unit(self) -> Unit | None: ...


# ---------------------------------------------------------------------- scoped reads
class ScopedStore(ProblemAccess):
    """The reads of a Store as one principal may make them. Anything else raises AccessDenied."""

    def __init__(
        self,
        store: Store,
        principal: Principal,
        address: str | None = None,
        *,
        units: UnitSource | None = None,
    ):
        self.store = store
        self.principal = principal
        self.address = address
        # unit lookups: the store itself, or a cache in front of it (the dashboard's)
        self.units: UnitSource = units or store

    # -- scope
    def home(self) -> Unit:
        """The unit a principal starts at: its own, or the default unit for admin."""
        code = self.principal.unit_code
        unit = self.units.unit(code) if code else self.units.default_unit()
        if unit is None:
            raise StoreError("尚未加载网格 no grids loaded")
        return unit

    def find(self, code: str | None) -> Unit | None:
        """The unit ``code`` (the home unit when None) if it lies in the area; None when
        unknown. A unit outside the area is logged and raises ``AccessDenied``."""
        unit = self.units.unit(code) if code else self.home()
        if unit is not None and not in_scope(self.principal, unit):
            log(self.store, self.principal, "denied", code, None, self.address)
            raise AccessDenied(f"无权查看该单位 (no access to unit {code})")
        return unit

    def check(self, code: str | None) -> Unit:
        """``find``, an unknown code refused like a forbidden one would be to an outsider."""
        unit = self.find(code)
        if unit is None:
            raise StoreError(f"未找到单位 unit not found: {code}")
        return unit

    def visible(self, units: Iterable[Unit]) -> list[Unit]:
        """Those of ``units`` inside the area and not above the home unit (breadcrumbs are
        cut at the principal's unit; for admin at the default unit: a database of one county
        shows no province or city above it)."""
        top = LEVELS.index(self.home().level)
        return [u for u in units if in_scope(self.principal, u) and LEVELS.index(u.level) >= top]

    def rows_in_area(self, rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """Those of code -> unit row (``units_frame`` rows) inside the area."""
        return {code: row for code, row in rows.items() if in_scope(self.principal, row)}

    def sites_in_area(self, rows: Iterable[Mapping[str, Any]]) -> list[Any]:
        """Those of the sites' rows whose grid (else township) lies in the area."""
        out = []
        for row in rows:
            code = row.get("grid_code") or row.get("township_code")
            unit = self.units.unit(code) if code else None
            if unit is not None and in_scope(self.principal, unit):
                out.append(row)
        return out

    def check_household(self, household_id: str, month: str | None) -> bool:
        """Refuse (``RoleDenied``, ``AccessDenied``) a household outside the area or a role
        without households, without reading its record; False for an unknown one. Its grid in
        ``month``; when it has none there, in any month (a household may move between grids)."""
        self._households_allowed(household_id)
        grids = self.store.household_grids(household_id, month)
        for grid_code in sorted(grids):
            self.check(grid_code)
        return bool(grids)

    def _audit(self, action: str, target: str | None, detail: str | None = None) -> None:
        log(self.store, self.principal, action, target, detail, self.address)

    def _refuse_role(self, target: str, message: str) -> None:
        log(self.store, self.principal, "denied", target, "role", self.address)
        raise RoleDenied(message)

    def _households_allowed(self, target: str) -> None:
        if not self.principal.sees_households:
            log(self.store, self.principal, "denied", target, "households", self.address)
            raise RoleDenied("该账号不能查看农户信息 (this account may not see households)")

    # -- figures and maps (any role, inside its area)
    def unit(self, code: str) -> Unit:
        return self.check(code)

    def lineage(self, code: str) -> list[Unit]:
        """Breadcrumbs, cut at the principal's own unit."""
        self.check(code)
        return self.visible(self.store.lineage(code))

    def children(self, code: str) -> list[Unit]:
        self.check(code)
        return self.store.children(code)

    def stats(self, code: str | None = None, month: str | None = None) -> dict[str, Any]:
        unit = self.check(code)
        return self.store.stats(unit.code, month)

    def children_stats(self, code: str, month: str) -> list[dict[str, Any]]:
        self.check(code)
        return self.store.children_stats(code, month)

    def level_stats(self, level: str, month: str, within: str | None = None):
        unit = self.check(within)
        return self.store.level_stats(level, month, unit.code)

    def map_features(self, level: str, within: str | None = None) -> dict[str, Any]:
        unit = self.check(within)
        return self.store.map_features(level, unit.code)

    def trend(self, code: str) -> list[dict[str, Any]]:
        self.check(code)
        return self.store.trend(code)

    def months(self) -> list[str]:
        return self.store.months()

    def latest_month(self) -> str | None:
        return self.store.latest_month()

    def data_as_of(self) -> str | None:
        return self.store.data_as_of()

    def is_demo(self) -> bool:
        return self.store.is_demo()

    def site_stats(self, month: str) -> list[dict[str, Any]]:
        """Sites whose grid (else township) lies in the area."""
        rows = self.store.site_stats(month)
        return rows if self.principal.role == "admin" else self.sites_in_area(rows)

    # -- households (roles that may see them; every look is logged; masked by default)
    def households(self, code: str, month: str, *, unmask: bool = False):
        unit = self.check(code)
        self._households_allowed(code)
        frame = self.store.households_frame(month, unit=unit)
        # the department warnings of each household that month (部门预警; 0 for none)
        counts = self.store.signals_frame(month=month, unit=unit)["household_id"].value_counts()
        frame["warnings"] = frame["household_id"].map(counts).fillna(0).astype(int)
        show = unmask and self.principal.sees_unmasked
        if not show:
            frame["head_name"] = frame["head_name"].map(mask_name)
            frame["id_number"] = frame["id_number"].map(mask_id_number)
        log(
            self.store,
            self.principal,
            "view_households",
            code,
            f"{month} {len(frame)} rows{' unmasked' if show else ''}",
            self.address,
        )
        return frame

    def household(
        self, household_id: str, month: str, *, unmask: bool = False
    ) -> dict[str, Any] | None:
        row = self.store.household(month, household_id)
        if row is None:
            return None
        self.check(row["grid_code"] or row["village_code"])  # no grid: its village
        self._households_allowed(household_id)
        show = unmask and self.principal.sees_unmasked
        if not show:
            row["head_name"] = mask_name(row["head_name"])
            row["id_number"] = mask_id_number(row["id_number"])
        # its members (the national export's member rows), masked like the head
        row["members"] = member_rows(self.store.members_frame(month, household_id), month, show)
        # its department warnings, newest first (part of the same logged look)
        signals = self.store.signals_frame(household_id=household_id)
        row["signals"] = [
            {
                "department": s.department,
                "signal": s.signal,
                "occurred_on": s.occurred_on,
                "amount": None if s.amount != s.amount else s.amount,
            }
            for s in signals.itertuples(index=False)
        ]
        log(
            self.store,
            self.principal,
            "view_household",
            household_id,
            f"{month}{' unmasked' if show else ''}",
            self.address,
        )
        return row

    def household_history(self, household_id: str) -> list[dict[str, Any]]:
        """A household's rows across every loaded month, newest first (month, household_type,
        category, risk_level, income_per_capita, measures, eliminated, eliminated_on, and its
        grid and village that month): no names or ID numbers. The checks of ``household``: a role
        without households is refused (``RoleDenied``), a household outside the area too
        (``AccessDenied``, logged); the months it lay outside the area (it moved in) are left
        out. Empty for an unknown household. The look is written to the audit log."""
        self._households_allowed(household_id)
        rows = self.store.household_history(household_id)
        if not rows:
            return []
        inside: dict[str | None, bool] = {}
        for r in rows:
            place = r["grid_code"] or r["village_code"]  # no grid: its village
            if place not in inside:
                unit = self.units.unit(place) if place else None
                inside[place] = unit is not None and in_scope(self.principal, unit)
        if not any(inside.values()):
            log(self.store, self.principal, "denied", household_id, "history", self.address)
            raise AccessDenied(f"无权查看该农户 (no access to household {household_id})")
        rows = [r for r in rows if inside[r["grid_code"] or r["village_code"]]]
        log(
            self.store,
            self.principal,
            "view_household_history",
            household_id,
            f"{len(rows)} months {rows[-1]['month']}..{rows[0]['month']}",
            self.address,
        )
        return rows

    def grid_worker(self, grid_code: str) -> tuple[str | None, str | None]:
        """A grid's worker and phone: in full for the roles that work with households (admin
        down to village: they call the grid worker), name and phone masked for ``viewer``."""
        self.check(grid_code)
        u = schema.units
        with self.store.engine.connect() as conn:
            row = conn.execute(
                sa.select(u.c.grid_worker, u.c.worker_phone).where(u.c.code == grid_code)
            ).first()
        worker, phone = (row.grid_worker, row.worker_phone) if row else (None, None)
        if not self.principal.sees_households:
            return mask_name(worker), mask_phone(phone)
        return worker, phone

    def log_export(self, what: str, target: str) -> None:
        log(self.store, self.principal, "export", target, what, self.address)


def text(value: Any) -> str | None:
    """A stored text cell, None for NULL (NaN as pandas reads it) and blank."""
    return None if value is None or value != value or value == "" else str(value)


def member_rows(frame: pd.DataFrame, month: str, show: bool) -> list[dict[str, Any]]:
    """A household's members as the household page lists them: the head first, name and ID
    number masked unless ``show``, the age in whole years at the end of ``month`` (no birth
    date: the masked ID number hides it too)."""
    end = pd.Period(month, freq="M").end_time.date()
    out = []
    for m in frame.itertuples(index=False):
        born = pd.to_datetime(m.birth_date, errors="coerce")
        age = None
        if pd.notna(born):
            age = end.year - born.year - ((end.month, end.day) < (born.month, born.day))
        out.append(
            {
                "person_id": m.person_id,
                "name": text(m.name) if show else mask_name(text(m.name)),
                "id_number": text(m.id_number) if show else mask_id_number(text(m.id_number)),
                "relation": text(m.relation),
                "is_head": bool(m.is_head),
                "sex": text(m.sex),
                "age": age,
                "labor_skill": text(m.labor_skill),
                "health": text(m.health),
                "schooling": text(m.schooling),
            }
        )
    return out
