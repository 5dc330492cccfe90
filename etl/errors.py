"""Problems found in an input file, reported all at once with where they are and why."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Issue:
    """One problem: file, sheet, the row number as Excel shows it, column, value and reason.

    ``column`` is the header as it stands in the file; ``field`` is the identifier it maps to.
    ``reason`` is Chinese with the identifier beside it, e.g. "证件号码校验位错误 (id_number:
    bad check digit)".
    """

    file: str
    row: int | None
    column: str | None
    field: str | None
    value: str | None
    reason: str
    sheet: str | None = None
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet:
            where.append(f"工作表 {self.sheet}")
        if self.row is not None:
            where.append(f"第 {self.row} 行")
        if self.column:
            col = (
                self.column
                if not self.field or self.field == self.column
                else f"{self.column} ({self.field})"
            )
            where.append(f"列 {col}")
        value = "" if self.value is None else f" 值 {self.value!r}:"
        return f"{', '.join(where)}:{value} {self.reason}"


@dataclass
class LoadReport:
    """What a load did: rows read, loaded and rejected, errors and warnings."""

    file: str
    kind: str
    month: str | None = None
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    reject_file: str | None = None
    unchanged: bool = False
    households: int | None = None  # households loaded (a household load)
    members: int | None = None  # member rows loaded (the national member-level export)


class LoadError(Exception):
    """A file that cannot be loaded; ``issues`` lists every problem found in one pass."""

    def __init__(self, file: str, issues: list[Issue]):
        self.file = file
        self.issues = issues
        lines = "\n".join(f"  {issue}" for issue in issues[:200])
        more = f"\n  ... 另有 {len(issues) - 200} 个问题" if len(issues) > 200 else ""
        super().__init__(
            f"{file}: {len(issues)} 个错误 (errors), 未写入任何数据 (nothing written)\n{lines}{more}"
        )
