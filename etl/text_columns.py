"""Text columns as pyarrow holds them: their arrays and bytes, and shortcuts that read them.

Each shortcut gives what the plain pandas operation named in its docstring gives, faster where
the column is held by pyarrow or repeats the same few values down the rows; where a shortcut
does not apply, the plain operation runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc


def arrow_of(series: pd.Series) -> pa.ChunkedArray | None:
    """The pyarrow array behind a text column without missing values, else None."""
    if not isinstance(series.array, pd.arrays.ArrowStringArray):
        return None
    arr = series.array.__arrow_array__()
    if arr.null_count:
        return None
    return arr


def all_true(mask: pa.Array | pa.ChunkedArray) -> bool:
    """Whether a pyarrow boolean mask holds no False."""
    return bool(pc.all(mask).as_py() is not False)


def per_value(values: pd.Series, parse: Callable[[pd.Series], Any]) -> Any:
    """``parse(values)`` for a parser that works cell by cell, run once per distinct value.

    Exports repeat the same few values down a column (dates, 是/否, causes), so this is most of
    the work saved; a column of mostly distinct values is parsed as it is.
    """
    if len(values) < 64:
        return parse(values)
    codes, uniques = pd.factorize(values)
    if len(uniques) * 2 > len(values) or (codes < 0).any():
        return parse(values)
    result = parse(pd.Series(uniques, dtype=values.dtype, name=values.name))

    def spread(part: pd.Series) -> pd.Series:
        out = part.take(codes)
        out.index = values.index
        return out

    if isinstance(result, tuple):
        return tuple(spread(part) for part in result)
    return spread(result)


def text_bytes(arr: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(start offsets with the end appended, UTF-8 bytes) of a text array without nulls."""
    arr = arr.combine_chunks() if hasattr(arr, "combine_chunks") else arr
    width = 8 if pa.types.is_large_string(arr.type) else 4
    kind = np.int64 if width == 8 else np.int32
    offsets = np.frombuffer(
        arr.buffers()[1], dtype=kind, count=len(arr) + 1, offset=arr.offset * width
    )
    data = arr.buffers()[2]
    if data is None:
        return offsets.astype(np.int64), np.zeros(0, dtype=np.uint8)
    return offsets.astype(np.int64), np.frombuffer(data, dtype=np.uint8)


def map_values(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``values.map(mapping)``, looked up once per distinct value."""
    codes, uniques = pd.factorize(values)
    if len(uniques) * 4 > len(values) or (codes < 0).any():
        return values.map(mapping)
    mapped = pd.Series(uniques, dtype=values.dtype).map(mapping)
    out = mapped.take(codes)
    out.index = values.index
    out.name = values.name
    return out


def repeat_text(value: str, index: pd.Index) -> pd.Series:
    """A text column holding ``value`` in every row, as assigning the scalar makes it."""
    one = pa.array([value], type=pa.large_string())
    repeated = one.take(pa.array(np.zeros(len(index), dtype=np.int64)))
    return pd.Series(
        pd.arrays.ArrowStringArray(repeated, dtype=pd.StringDtype("pyarrow", na_value=np.nan)),
        index=index,
    )


def duplicated(values: pd.Series) -> pd.Series:
    """``values.duplicated(keep="first")``; a column of distinct text is told by pyarrow at once."""
    array = values.array
    if isinstance(array, pd.arrays.ArrowStringArray):
        arrow = array.__arrow_array__()
        if not arrow.null_count and len(pc.unique(arrow)) == len(arrow):
            return pd.Series(np.zeros(len(values), dtype=bool), index=values.index)
    return values.duplicated(keep="first")


def none_if_blank(values: pd.Series, absent: bool = False) -> pd.Series:
    """``values.where(values != "", None)``: for text held by pyarrow, done by pyarrow.
    ``absent``: the file has no such column, so every cell is missing (as None)."""
    if absent:
        return pd.Series(np.full(len(values), None, dtype=object), index=values.index)
    array = values.array
    if isinstance(array, pd.arrays.ArrowStringArray) and values.dtype.na_value is not pd.NA:
        arrow = array.__arrow_array__()
        if not arrow.null_count:
            blank = pc.equal(arrow, "")
            if not pc.any(blank).as_py():
                return values
            kept = pc.if_else(blank, pa.scalar(None, arrow.type), arrow)
            return pd.Series(
                pd.arrays.ArrowStringArray(kept, dtype=values.dtype),
                index=values.index,
                name=values.name,
            )
    return values.where(values != "", None)
