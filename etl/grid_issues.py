"""An issue of a grid layer: a problem (or a warning) of the file, of a feature or of a cell."""

from __future__ import annotations

from typing import Any

from .errors import Issue


def grid_issue(
    file: str,
    reason: str,
    *,
    row: int | None = None,
    column: str | None = None,
    field: str | None = None,
    value: Any = None,
    severity: str = "error",
) -> Issue:
    """An :class:`Issue` of ``file`` (no sheet); ``row`` is the feature number, 1-based, and
    ``value`` is reported as text."""
    return Issue(
        file=file,
        row=row,
        column=column,
        field=field,
        value=None if value is None else str(value),
        reason=reason,
        severity=severity,
    )
