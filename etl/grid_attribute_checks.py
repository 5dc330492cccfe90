"""The grid layer's attribute values checked: required cells, unique grid codes, unit codes."""

from __future__ import annotations

from geodata.model import VILLAGE_KINDS

from .bounds import shown
from .errors import Issue
from .grid_columns import ADMIN_CODE_DIGITS, CODE_DIGITS, LABELS, REQUIRED
from .grid_issues import grid_issue


def check_attributes(
    values: dict[str, list[str | None]],
    columns: dict[str, str],
    n: int,
    file: str,
) -> tuple[list[Issue], list[Issue]]:
    """(errors, warnings) of the attribute values; rows are 1-based feature numbers."""
    errors: list[Issue] = []
    warnings: list[Issue] = []

    def at(i: int, field: str, reason: str, severity: str = "error") -> Issue:
        """The issue of feature ``i``'s cell of ``field``."""
        return grid_issue(
            file,
            reason,
            row=i + 1,
            column=columns.get(field),
            field=field,
            value=shown(values[field][i]),
            severity=severity,
        )

    def err(i: int, field: str, reason: str) -> None:
        errors.append(at(i, field, reason))

    first_row: dict[str, int] = {}
    admin_codes = {
        code for field in ADMIN_CODE_DIGITS for code in values[field] if code is not None
    }
    for i in range(n):
        for field in REQUIRED:
            if field in columns and values[field][i] is None:
                err(i, field, f"{LABELS[field]}为空 ({field}: empty)")
        grid = values["grid_code"][i]
        if grid is not None:
            if grid in first_row:
                first = first_row[grid]
                err(
                    i,
                    "grid_code",
                    f"网格编码重复, 与第 {first} 行相同 (grid_code: duplicate of row {first})",
                )
            else:
                first_row[grid] = i + 1
            digits = CODE_DIGITS["grid_code"]
            if not (grid.isascii() and grid.isdigit() and len(grid) == digits):
                err(
                    i,
                    "grid_code",
                    f"网格编码应为 {digits} 位数字 (村编码加 3 位网格号) "
                    f"(grid_code: not {digits} digits)",
                )
            if grid in admin_codes:
                err(
                    i,
                    "grid_code",
                    "网格编码与村、乡镇或县编码相同 (grid_code: same as a village, township or county code)",
                )
        village = values["village_code"][i]
        village_ok = (
            village is not None and village.isdigit() and village.isascii() and len(village) == 12
        )
        for field, digits in ADMIN_CODE_DIGITS.items():
            code = values[field][i]
            if code is None:
                continue
            if not (code.isascii() and code.isdigit() and len(code) == digits):
                err(i, field, f"{LABELS[field]}应为 {digits} 位数字 ({field}: not {digits} digits)")
            elif field != "village_code" and village_ok and code != village[:digits]:
                err(
                    i,
                    field,
                    f"{LABELS[field]}与村编码前 {digits} 位 {village[:digits]} 不一致 "
                    f"({field}: not the first {digits} digits of village_code)",
                )
        kind = values["village_kind"][i]
        if kind is not None and kind not in VILLAGE_KINDS:
            err(
                i,
                "village_kind",
                "村类型应为 村、嘎查 或 社区 (village_kind: not one of 村, 嘎查, 社区)",
            )

    # One name (and kind) per unit code: the first is used, others are reported.
    for code_field, name_field in (
        ("village_code", "village_name"),
        ("village_code", "village_kind"),
        ("township_code", "township_name"),
        ("county_code", "county_name"),
    ):
        seen: dict[str, tuple[int, str | None]] = {}
        for i in range(n):
            code = values[code_field][i]
            if code is None:
                continue
            name = values[name_field][i]
            if code not in seen:
                seen[code] = (i + 1, name)
            elif name != seen[code][1] and name is not None:
                first, first_name = seen[code]
                reason = (
                    f"同一{LABELS[code_field]} {code} 有不同的{LABELS[name_field]}, "
                    f"采用第 {first} 行的 {first_name} ({name_field}: differs within {code_field})"
                )
                warnings.append(at(i, name_field, reason, "warning"))
    return errors, warnings
