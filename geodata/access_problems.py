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
        """Open problems of a unit in the latest month: per rule, per severity and in all."""
        unit = self.check(code)
        month = self.store.sync_problems()
        counts = self.store.open_problem_counts(unit, month) if month else {}
        by_rule: dict[str, int] = {}
        by_severity: dict[str, int] = {}
        for (rule, severity), n in counts.items():
            by_rule[rule] = by_rule.get(rule, 0) + n
            by_severity[severity] = by_severity.get(severity, 0) + n
        return {
            "month": month,
            "open": sum(by_rule.values()),
            "by_rule": by_rule,
            "by_severity": by_severity,
        }

    def problems(self, code: str) -> pd.DataFrame:
        """The problems of a unit the latest month fires (household numbers, no names)."""
        unit = self.check(code)
        self._households_allowed(code)
        month = self.store.sync_problems()
        frame = self.store.problems_frame(unit, month=month) if month else pd.DataFrame()
        self._audit("view_problems", code, f"{month} {len(frame)} rows")
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
