"""The problem list as one principal may see and change it (mixed into ``ScopedStore``).

Counts for every role inside its area; the list itself (household numbers) for the roles that
see households, each look logged; status changes by admin, county, township and village
accounts within their area, each change in the audit log.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

CHANGE_ROLES = {"admin", "county", "township", "village"}


class ProblemAccess:
    """Scoped reads and changes of the problem list; ``self`` is a ``ScopedStore``."""

    def problem_counts(self, code: str) -> dict[str, Any]:
        """Open problems of a unit in the latest month: in all, overdue (逾期), per rule and
        per severity (``Store.problem_summary``); any role inside its area."""
        unit = self.check(code)
        month = self.store.sync_problems()
        if month is None:
            return {"month": None, "open": 0, "overdue": 0, "by_rule": {}, "by_severity": {}}
        return self.store.problem_summary(unit, month)

    def problem_map_counts(self, level: str, code: str) -> dict[str, int]:
        """Open problems of the latest month per unit of ``level`` inside unit ``code``."""
        unit = self.check(code)
        month = self.store.sync_problems()
        return self.store.open_problems_by(level, unit, month) if month else {}

    def problems(self, code: str, *, every: bool = False) -> pd.DataFrame:
        """The problems of a unit the latest month fires (``every``: also those closed before
        it, fixed by the data); household numbers, no names; each look logged."""
        unit = self.check(code)
        self._households_allowed(code)
        month = self.store.sync_problems()
        if month is None:
            return pd.DataFrame()
        frame = self.store.problems_frame(unit, month=None if every else month)
        self._audit("view_problems", code, f"{month} {len(frame)} rows")
        return frame

    def problem_list(
        self,
        code: str,
        *,
        statuses: tuple[str, ...] | None = None,
        rule: str | None = None,
        age: str = "",
        every: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> tuple[pd.DataFrame, int]:
        """One page of the problems of a unit a filter keeps and their number in all
        (``Store.list_problems``): those the latest month fires (``every``: also those closed
        before it); evidence as JSON text; each look logged."""
        unit = self.check(code)
        self._households_allowed(code)
        month = self.store.sync_problems()
        if month is None:
            return pd.DataFrame(), 0
        frame, total = self.store.list_problems(
            unit,
            month=None if every else month,
            statuses=statuses,
            rule=rule,
            age=age,
            limit=limit,
            offset=offset,
        )
        self._audit("view_problems", code, f"{month} {len(frame)}/{total} rows")
        return frame, total

    def household_problems(self, household_id: str) -> pd.DataFrame:
        """The problems the latest month fires for one household (its page); refused like the
        household itself outside the area."""
        month = self.store.sync_problems()
        if month is None or not self.check_household(household_id, month):
            return pd.DataFrame()
        frame, _ = self.store.list_problems(None, household_id=household_id, month=month)
        return frame

    def set_problem_status(
        self, rule: str, household_id: str, status: str, reason: str | None = None
    ) -> dict[str, Any]:
        """Change a problem's status (待核实/已核实/已整改/已排除); refused outside the area and for
        roles that may not (``AccessDenied``); audited."""
        self._households_allowed(household_id)
        if self.principal.role not in CHANGE_ROLES:
            self._refuse_role(
                household_id, "该账号不能处理问题清单 (this account may not change problems)"
            )
        self.store.sync_problems()  # the list as the latest data gives it
        with self.store.engine.connect() as conn:
            codes = self.store.problem_unit_codes(conn, rule, household_id)
        if codes is None:
            raise KeyError(f"问题不存在 (no such problem): {rule} {household_id}")
        self.check(codes["grid_code"] or codes["village_code"])
        change = self.store.set_problem_status(
            rule, household_id, status, reason, self.principal.username
        )
        detail = f"{rule}: {change['before']} -> {change['after']}" + (
            f" ({change['reason']})" if change["reason"] else ""
        )
        self._audit("problem_status", household_id, detail)
        return change
