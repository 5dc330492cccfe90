"""Excel sheets read as the user means them: which sheet (hidden ones are not data), merged
cells (their top-left value over the whole range, header and data), and a header of two rows
(a group label over its sub-headers, columns merged vertically over both rows included).

python-calamine gives the cells, each sheet's visibility and its merged ranges (0-based,
inclusive, in the same coordinates as ``to_python(skip_empty_area=False)``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .errors import Issue, LoadError
from .headers import map_headers

Merged = list[tuple[tuple[int, int], tuple[int, int]]]


@dataclass
class Sheet:
    """The cells of one sheet, and the other sheets of its workbook (for a better error)."""

    name: str
    rows: list[list[object]]
    merged: Merged
    visible_others: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)
    named: bool = False  # chosen with --sheet
    book: object = None


def _visible(meta) -> bool:
    return str(getattr(meta, "visible", "Visible")).rsplit(".", 1)[-1].lower() == "visible"


def open_sheet(path: Path, sheet: str | None) -> Sheet:
    """The sheet named by ``sheet`` (a name or a 1-based number, hidden ones too), else the
    first visible sheet; its merged cells filled from their top-left cell."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine's ZipError, XmlError, CalamineError ...
        raise unreadable(path, exc) from None
    names = list(book.sheet_names)
    try:
        metas = list(book.sheets_metadata)
    except Exception:  # a format without visibility: every sheet counts as visible
        metas = []
    hidden = [m.name for m in metas if not _visible(m)]
    visible = [n for n in names if n not in hidden] or names
    if sheet is None:
        name = visible[0]
    elif sheet in names:
        name = sheet
    elif sheet.isdigit() and 1 <= int(sheet) <= len(names):
        name = names[int(sheet) - 1]
    else:
        file = str(path)
        reason = f"找不到工作表 (sheet: not found; sheets: {', '.join(names)})"
        raise LoadError(file, [Issue(file, None, None, None, sheet, reason)])
    try:
        found = book.get_sheet_by_name(name)
        rows = found.to_python(skip_empty_area=False)
    except Exception as exc:  # a damaged sheet inside a whole archive
        raise unreadable(path, exc) from None
    merged = _merged_ranges(found)
    if merged:
        fill_merged(rows, merged)
    return Sheet(
        name=name,
        rows=rows,
        merged=merged,
        visible_others=[n for n in visible if n != name],
        hidden=hidden,
        named=sheet is not None,
        book=book,
    )


def unreadable(path: Path, exc: BaseException) -> LoadError:
    """The refusal of a workbook calamine cannot read (damaged, encrypted, another format)."""
    file = str(path)
    detail = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
    reason = (
        f"无法读取 Excel 文件: 文件已损坏、加密或不是 {path.suffix.lower() or 'Excel'} 格式 "
        f"(file: unreadable workbook: {detail})"
    )
    return LoadError(file, [Issue(file, None, None, "file", None, reason)])


def _merged_ranges(sheet) -> Merged:
    try:
        ranges = sheet.merged_cell_ranges
    except Exception:  # a format calamine gives no merged ranges for
        return []
    return [((int(a[0]), int(a[1])), (int(b[0]), int(b[1]))) for a, b in ranges or []]


def fill_merged(rows: list[list[object]], merged: Merged) -> None:
    """Every cell of a merged range gets the value of its top-left cell (in place); only rows
    and columns the sheet has are filled."""
    for (r0, c0), (r1, c1) in merged:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            if not isinstance(row, list):
                row = rows[r] = list(row)
            for c in range(c0, min(c1, len(row) - 1) + 1):
                row[c] = value


def header_rows(merged: Merged, header_idx: int, width: int) -> tuple[int, int]:
    """(top, bottom) rows of the header found at ``header_idx``: two rows when a merged cell
    joins it to the row above or below (a column merged over both rows, or a group label
    merged across some, not all, of the columns), else one."""

    def joins(row: int) -> bool:
        for (r0, c0), (r1, c1) in merged:
            if r0 == row and r1 >= row + 1:
                return True  # merged down into the next row
            if r0 == r1 == row and c1 > c0 and 2 * (c1 - c0 + 1) < width:
                return True  # a group label over a few columns (a title spans them all)
        return False

    if header_idx > 0 and joins(header_idx - 1):
        return header_idx - 1, header_idx
    if joins(header_idx):
        return header_idx, header_idx + 1
    return header_idx, header_idx


def join_header(
    top: list[str], bottom: list[str], spec: dict[str, tuple[str, ...]]
) -> list[str]:
    """One header from two rows, per column: the row that names a field of ``spec`` (the
    joined text first, e.g. 劳动力人数 over 其中务工, then the lower, then the upper), else the
    joined text. A cell merged over both rows is one name."""
    taken: set[str] = set()
    out: list[str] = []
    width = max(len(top), len(bottom))
    top = top + [""] * (width - len(top))
    bottom = bottom + [""] * (width - len(bottom))
    for t, b in zip(top, bottom, strict=True):
        t, b = t.strip(), b.strip()
        if not b or b == t:
            candidates = [t]
        elif not t:
            candidates = [b]
        else:
            candidates = [t + b, b, t]
        name = candidates[0]
        for cand in candidates:
            ident = map_headers([cand], spec).get(0)
            if ident and ident not in taken:
                name = cand
                taken.add(ident)
                break
        out.append(name)
    return out


def suggest_sheet(
    sheet: Sheet, has_header: Callable[[list[list[object]]], bool], file: str
) -> Issue | None:
    """When the header is not on the first visible sheet and no --sheet was given: an issue
    that names the sheet holding the data, or lists the sheets to choose from."""
    if sheet.named:
        return None
    holding = []
    for name in sheet.visible_others:
        try:
            rows = sheet.book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        except Exception:
            continue
        if has_header(rows[:15]):
            holding.append(name)
    if holding:
        reason = (
            f"工作表 {sheet.name} 不是数据表, 数据在工作表 {holding[0]}: 请用 --sheet {holding[0]} "
            f"(sheet: the first visible sheet is not the data; use --sheet {holding[0]})"
        )
    else:
        others = ", ".join(sheet.visible_others + [f"{h} (隐藏 hidden)" for h in sheet.hidden])
        if not others:
            return None
        reason = (
            f"读取的是第一个可见工作表 {sheet.name}; 若数据在其他工作表, 请用 --sheet 指定: {others} "
            "(sheet: read the first visible sheet; if the data is on another, name it with --sheet)"
        )
    return Issue(file, None, None, "sheet", sheet.name, reason, sheet.name)
