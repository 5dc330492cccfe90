"""CSV text as a frame: the fast path for plain files, and the report of rows wider than
their header.

``read_csv_fast`` reads a CSV of the plain shape (no quotes, \\n or \\r\\n line breaks, every row
as wide as the header) with pyarrow into the frame ``pandas.read_csv`` would make of it, every
cell as text; ``etl.readers.read_table`` falls back to pandas for anything else.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .errors import Issue, LoadError

__all__ = ["STR", "first_lines", "read_csv_fast", "wide_rows"]


def wide_rows(file: str, text: str, delimiter: str, header_idx: int) -> LoadError:
    """The rows of a CSV that have more cells than its header, each by its row number."""
    issues = []
    width = None
    for i, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter)):
        if i == header_idx:
            width = len(row)
        elif width is not None and len(row) > width:
            reason = (
                f"此行有 {len(row)} 个单元格, 多于表头的 {width} 列 "
                "(row: more cells than the header has columns)"
            )
            issues.append(Issue(file, i + 1, None, None, None, reason))
            if len(issues) >= 200:
                break
    if not issues:  # pandas saw something csv does not: say so plainly
        issues = [Issue(file, None, None, None, None, "CSV 格式错误 (file: malformed CSV)")]
    return LoadError(file, issues)


def first_lines(text: str, n: int) -> list[str]:
    """``text.splitlines()[:n]`` without splitting the whole text."""
    size = 1 << 16
    while size < len(text):
        lines = text[:size].splitlines()
        if len(lines) > n:  # line n ends before the cut, so it is whole
            return lines[:n]
        size *= 4
    return text.splitlines()[:n]


STR = pd.StringDtype("pyarrow", na_value=float("nan"))
# a quote, NUL, or a character str.splitlines() breaks at but pandas does not (UTF-8)
NOT_PLAIN = (
    b'"',
    b"\x00",
    b"\x0b",
    b"\x0c",
    b"\x1c",
    b"\x1d",
    b"\x1e",
    b"\xc2\x85",
    b"\xe2\x80\xa8",
    b"\xe2\x80\xa9",
)


def read_csv_fast(
    text: str, delimiter: str, header_idx: int, raw: bytes | None = None
) -> pd.DataFrame | None:
    """The frame ``pandas.read_csv`` makes of this text (every cell as text), read by pyarrow.

    Only for the plain shape that both parse alike: no quote character anywhere, no line break
    other than \\n or \\r\\n, no empty line between the header and the last row, every row as
    wide as the header. Anything else returns None and pandas reads the file as before.
    ``raw`` is ``text`` encoded as UTF-8 when the caller has it.
    """
    if raw is None:
        raw = text.encode("utf-8")
    # the first byte of each search is a cheap test: a character's lead byte is rarely there
    if any(b[:1] in raw and b in raw for b in NOT_PLAIN):
        return None
    if b"\r" in raw and raw.count(b"\r") != raw.count(b"\r\n"):
        return None  # lone \r line breaks: pandas counts the rows above the header its own way
    # the rows above the header and the header itself: one physical line each
    pos = 0
    header_line = ""
    for _ in range(header_idx + 1):
        nl = text.find("\n", pos)
        if nl < 0:
            return None
        header_line, pos = text[pos:nl].removesuffix("\r"), nl + 1
    # the rows below the header; empty lines at the end make rows pandas drops anyway
    start, end = len(text[:pos].encode("utf-8")), len(raw)
    while end > start and raw[end - 1] in b"\r\n":
        end -= 1
    if end == start:
        return None
    body = memoryview(raw)[start : min(end + 1, len(raw))]  # with one line break, if any
    # the column names pandas gives this header (Unnamed: n, a.1 for a repeated name)
    columns = list(
        pd.read_csv(
            io.StringIO(header_line), sep=delimiter, header=0, dtype=str, nrows=0, engine="c"
        ).columns
    )
    names = [f"c{i}" for i in range(len(columns))]
    if not columns or len(set(columns)) != len(columns):
        return None
    try:
        table = pacsv.read_csv(
            pa.py_buffer(body),
            read_options=pacsv.ReadOptions(
                column_names=names, use_threads=False, block_size=min(len(body) + 2, 1 << 30)
            ),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                quote_char=False,
                newlines_in_values=False,
                ignore_empty_lines=False,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None  # a row of another width, an empty line: pandas decides
    frame = pd.DataFrame(
        {i: pd.arrays.ArrowStringArray(table.column(i), dtype=STR) for i in range(len(columns))}
    )
    frame.columns = columns
    return frame
