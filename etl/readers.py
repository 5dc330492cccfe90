"""Reading tables as county offices hand them over: CSV (UTF-8 with or without BOM, or GBK) and
XLSX (first sheet or a named one), with title rows above the header and empty trailing rows.

Every cell comes back as text exactly as the user sees it (numbers without a spurious ``.0``,
dates as ISO text), so that validation can report the value and a reject file can hold the row
unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .csv_text import STR, first_lines, read_csv_fast, wide_rows
from .errors import Issue, LoadError
from .headers import find_header_row, map_headers
from .limits import check_cells, check_file, check_headers, check_rows
from .sheets import header_rows, join_header, open_sheet, suggest_sheet


@dataclass
class Table:
    """A table read from a file: text cells, the identifier per column, and where rows were."""

    file: str
    sheet: str | None
    frame: pd.DataFrame  # original headers as columns, text cells ("" for empty), no empty rows
    fields: dict[str, str]  # original header -> identifier
    excel_rows: pd.Series  # the row number as Excel shows it, per frame row
    # header -> which frame rows were number cells (not text) in the sheet, for the columns of
    # NUMBER_CELL_FIELDS: an 18-digit ID number typed into a number cell lost its last digits
    number_cells: dict[str, np.ndarray] = field(default_factory=dict)

    def column_of(self, ident: str) -> str | None:
        for header, f in self.fields.items():
            if f == ident:
                return header
        return None


def detect_encoding(data: bytes) -> str:
    """utf-8-sig when the bytes are UTF-8 (BOM or not), else GB18030 (a superset of GBK)."""
    try:
        data.decode("utf-8")
        return "utf-8-sig"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise ValueError("既不是 UTF-8 也不是 GBK 编码 (encoding: neither UTF-8 nor GBK)") from exc


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if value.is_integer() and abs(value) < 1e30:
            # its digits as Excel shows them (1522231000010010, 152223199001011000): the
            # shortest repr's digits, not float noise (…008) and no exponent
            return str(int(Decimal(repr(value))))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


# fields whose number cells are remembered (Table.number_cells)
NUMBER_CELL_FIELDS = ("id_number",)


def _text_column(values: Sequence[object]) -> pa.Array:
    """One column of sheet cells as text, as ``_cell_text`` gives it: a column of text cells
    only (the usual export) goes to pyarrow as it is; any other is converted cell by cell."""
    try:
        text = pa.array(values, type=pa.large_string())
        return pc.fill_null(text, "") if text.null_count else text  # None: an empty cell
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return pa.array([_cell_text(v) for v in values], type=pa.large_string())


def _xlsx_frame(
    header: list[object],
    body: list[list[object]],
    watch: Sequence[int] = (),
    numbers: dict[int, np.ndarray] | None = None,
) -> pd.DataFrame:
    """The rows below the header as a frame of text columns, as wide as the header. For the
    columns in ``watch``, ``numbers`` gets which rows held a number cell (any found)."""
    width = len(header)
    if any(len(r) != width for r in body):
        body = [(list(r) + [""] * width)[:width] for r in body]
    columns = list(zip(*body, strict=True)) if body else [() for _ in range(width)]
    for i in watch:
        if numbers is not None and i < width:
            mask = np.fromiter(
                (isinstance(v, (int, float)) and not isinstance(v, bool) for v in columns[i]),
                bool,
                len(columns[i]),
            )
            if mask.any():
                numbers[i] = mask
    frame = pd.DataFrame(
        {
            i: pd.arrays.ArrowStringArray(_text_column(col), dtype=STR)
            for i, col in enumerate(columns)
        }
    )
    frame.columns = _unique(header)
    return frame


def read_table(
    path: str | Path,
    spec: dict[str, tuple[str, ...]],
    required: list[str],
    *,
    sheet: str | None = None,
    alternatives: Sequence[Sequence[str]] = (),
) -> Table:
    """Read a CSV or XLSX file whose header row (within the first 15 rows) names ``required``,
    or else the fields of one of ``alternatives`` (another layout of the same data: the national
    export's member rows); a file with neither is told what ``required`` misses."""
    path = Path(path)
    file = str(path)
    suffix = path.suffix.lower()
    check_file(path)  # there, a file, not empty, not too large; an archive whole
    sheet_name: str | None = None
    numbers: dict[int, np.ndarray] = {}
    if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
        found = open_sheet(path, sheet)
        rows, sheet_name = found.rows, found.name
        head_rows = [[_cell_text(v) for v in row] for row in rows[:16]]
        header_idx = _header_row(head_rows, spec, required, alternatives)
        if header_idx is None:
            error = _no_header(file, spec, required, head_rows, sheet_name)
            hint = suggest_sheet(
                found,
                lambda r: (
                    _header_row(
                        [[_cell_text(v) for v in x] for x in r], spec, required, alternatives
                    )
                    is not None
                ),
                file,
            )
            raise LoadError(file, [*error.issues, hint] if hint else error.issues)
        top, bottom = header_rows(found.merged, header_idx, len(head_rows[header_idx]))
        header = head_rows[header_idx]
        if top < bottom < len(head_rows):
            header = join_header(head_rows[top], head_rows[bottom], spec)
            header_idx = bottom  # the data starts below the header's last row
        watch = [i for i, ident in map_headers(header, spec).items() if ident in NUMBER_CELL_FIELDS]
        frame = _xlsx_frame(header, rows[header_idx + 1 :], watch, numbers)
    elif suffix in (".csv", ".txt", ".tsv"):
        data = path.read_bytes()
        try:  # what detect_encoding would say, decoding only once
            text = data.decode("utf-8-sig")
            raw = data[3:] if data.startswith(b"\xef\xbb\xbf") else data  # text as UTF-8
        except UnicodeDecodeError:
            try:
                encoding = detect_encoding(data)
            except ValueError as exc:
                raise LoadError(file, [Issue(file, None, None, None, None, str(exc))]) from None
            text, raw = data.decode(encoding), None
        if text.startswith("\ufeff"):
            text = text[1:]
            raw = raw[3:] if raw is not None else None
        delimiter = "\t" if suffix == ".tsv" else ","
        head_rows = list(
            csv.reader(io.StringIO("\n".join(first_lines(text, 15))), delimiter=delimiter)
        )
        header_idx = _header_row(head_rows, spec, required, alternatives)
        if header_idx is None:
            raise _no_header(file, spec, required, head_rows, None)
        frame = read_csv_fast(text, delimiter, header_idx, raw)
        if frame is None:
            try:
                frame = pd.read_csv(
                    io.StringIO(text),
                    sep=delimiter,
                    skiprows=header_idx,
                    header=0,
                    dtype=str,
                    keep_default_na=False,
                    na_filter=False,
                    skip_blank_lines=False,
                    engine="c",
                )
            except pd.errors.ParserError:  # a row wider than the header
                raise wide_rows(file, text, delimiter, header_idx) from None
        frame.columns = _unique(list(frame.columns))
    else:
        raise LoadError(
            file,
            [
                Issue(
                    file,
                    None,
                    None,
                    None,
                    path.suffix,
                    "不支持的文件格式 (format: use .xlsx or .csv)",
                )
            ],
        )

    excel_rows = pd.Series(range(header_idx + 2, header_idx + 2 + len(frame)), index=frame.index)
    if any(frame[col].hasnans for col in frame.columns):
        frame = frame.fillna("")
    nonempty = _nonempty_rows(frame)
    if not nonempty.all():
        frame = frame[nonempty].reset_index(drop=True)
        excel_rows = excel_rows[nonempty].reset_index(drop=True)
        numbers = {i: mask[nonempty] for i, mask in numbers.items()}
    fields = {
        frame.columns[i]: ident for i, ident in map_headers(list(frame.columns), spec).items()
    }
    check_rows(file, len(frame), sheet_name)
    check_headers(file, list(frame.columns), sheet_name)
    check_cells(file, frame, fields, excel_rows, sheet_name)
    number_cells = {frame.columns[i]: mask for i, mask in numbers.items()}
    return Table(
        file=file,
        sheet=sheet_name,
        frame=frame,
        fields=fields,
        excel_rows=excel_rows,
        number_cells=number_cells,
    )


def _nonempty_rows(frame: pd.DataFrame) -> np.ndarray:
    """Rows with a cell that is more than spaces; a column is looked at only for rows still empty."""
    n = len(frame)
    nonempty = np.zeros(n, dtype=bool)
    todo = np.arange(n)
    for col in frame.columns:
        if not len(todo):
            break
        values = frame[col] if len(todo) == n else frame[col].iloc[todo]
        found = ((values != "") & (values.astype(str).str.strip() != "")).to_numpy(dtype=bool)
        nonempty[todo[found]] = True
        todo = todo[~found]
    return nonempty


def _unique(headers: list[object]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in headers:
        name = _cell_text(h).strip() or "(空列)"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 0
        out.append(name)
    return out


def _header_row(rows, spec, required, alternatives) -> int | None:
    """The header row of ``required``, else of the first alternative found."""
    for fields in (required, *alternatives):
        found = find_header_row(rows, spec, fields)
        if found is not None:
            return found
    return None


def _no_header(file: str, spec, required, rows, sheet) -> LoadError:
    found: set[str] = set()
    for row in rows[:15]:
        found |= set(map_headers(row, spec).values())
    missing = [r for r in required if r not in found]
    issues = [
        Issue(
            file,
            None,
            spec[m][0] if spec.get(m) else m,
            m,
            None,
            f"缺少必填列 {spec[m][0]} ({m}: required column missing)",
            sheet,
        )
        for m in missing
    ] or [Issue(file, None, None, None, None, "找不到表头行 (header row not found)", sheet)]
    return LoadError(file, issues)
