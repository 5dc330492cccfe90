"""ID numbers (GB 11643): 18 characters with a check character and a real birth date.

15-digit numbers of the old format pass, flagged. A column of ASCII text is checked on its
bytes; any other column by regular expressions and pandas, with the same answers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow.compute as pc

from .text_columns import all_true, arrow_of, text_bytes

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)

_DAYS_IN_MONTH = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def id_check_digit(body17: str) -> str:
    """The GB 11643 check character of the first 17 digits of an ID number."""
    total = sum(int(c) * int(w) for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def _valid_yyyymmdd(digits: np.ndarray) -> np.ndarray:
    """Which rows of 8 ASCII digit values (0-9) are dates ``pandas.to_datetime(format="%Y%m%d")``
    accepts: years 0000-9999, a real month and day of the proleptic Gregorian calendar."""
    year = digits[:, :4] @ np.array([1000, 100, 10, 1])
    month = digits[:, 4:6] @ np.array([10, 1])
    day = digits[:, 6:8] @ np.array([10, 1])
    ok_month = (month >= 1) & (month <= 12)
    dim = _DAYS_IN_MONTH[np.where(ok_month, month, 0)]
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    dim = dim + ((month == 2) & leap)
    return ok_month & (day >= 1) & (day <= dim)


def check_id_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(normalised, bad mask, reason) for 18-character ID numbers; 15-digit old ones pass.

    ``reason`` is "" where fine, "old15" for accepted 15-digit numbers, or the error text.
    """
    v = values.str.upper()
    arr = arrow_of(v)
    if arr is not None and all_true(pc.string_is_ascii(arr)):
        return _check_id_numbers_ascii(v, arr)
    reason = pd.Series("", index=v.index, dtype=object)
    # ASCII digits only: \d also takes other scripts' digits (٠١٢, ৩), which are no ID number
    is18 = v.str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False)
    is15 = v.str.fullmatch(r"[0-9]{15}").fillna(False)
    blank = v == ""
    reason[~blank & ~is18 & ~is15] = "证件号码应为18位 (id_number: must be 18 characters)"
    reason[is15] = "old15"
    if is18.any():
        arr = np.frombuffer("".join(v[is18]).encode("ascii"), dtype=np.uint8).reshape(-1, 18)
        digits = arr[:, :17].astype(np.int64) - 48
        expected = ID_CHECK[(digits @ ID_WEIGHTS) % 11]
        wrong = expected != arr[:, 17]
        # a birth date that does not exist is also wrong
        births = pd.to_datetime(v[is18].str.slice(6, 14), format="%Y%m%d", errors="coerce")
        bad_birth = births.isna().to_numpy()
        idx = v[is18].index
        reason[idx[wrong]] = "证件号码校验位错误 (id_number: bad check digit)"
        reason[idx[bad_birth & ~wrong]] = "证件号码出生日期无效 (id_number: invalid birth date)"
    bad = ~reason.isin(["", "old15"])
    return v, bad, reason


def _digit_rows(
    starts: np.ndarray, data: np.ndarray, width: int, last_x: bool
) -> tuple[np.ndarray, np.ndarray]:
    """For cells of ``width`` bytes starting at ``starts``: (all digits, the byte matrix)."""
    if not len(starts):
        return np.zeros(0, dtype=bool), np.zeros((0, width), dtype=np.uint8)
    if starts[-1] - starts[0] == width * (len(starts) - 1):  # back to back: a plain reshape
        chars = data[starts[0] : starts[0] + width * len(starts)].reshape(-1, width)
    else:
        chars = np.lib.stride_tricks.sliding_window_view(data, width)[starts]
    values = chars - np.uint8(48)  # wraps below "0", so one comparison finds the digits
    digit = values <= 9
    if last_x:
        digit[:, -1] |= chars[:, -1] == 88  # X
    return digit.all(axis=1), chars


def _check_id_numbers_ascii(v: pd.Series, arr) -> tuple[pd.Series, pd.Series, pd.Series]:
    """check_id_numbers for a column of ASCII text: the same answers, computed on the bytes."""
    n = len(v)
    offsets, data = text_bytes(arr)
    lengths = np.diff(offsets)
    is18 = np.zeros(n, dtype=bool)
    is15 = np.zeros(n, dtype=bool)
    rows18 = np.flatnonzero(lengths == 18)
    ok18, chars = _digit_rows(offsets[rows18], data, 18, True)
    is18[rows18[ok18]] = True
    rows15 = np.flatnonzero(lengths == 15)
    ok15, _ = _digit_rows(offsets[rows15], data, 15, False)
    is15[rows15[ok15]] = True
    wrong_length = (lengths != 0) & ~is18 & ~is15
    reason = np.full(n, "", dtype=object)
    reason[wrong_length] = "证件号码应为18位 (id_number: must be 18 characters)"
    reason[is15] = "old15"
    bad = wrong_length
    if is18.any():
        chars = chars[ok18]
        digits = chars[:, :17].astype(np.int64) - 48
        wrong = ID_CHECK[(digits @ ID_WEIGHTS) % 11] != chars[:, 17]
        bad_birth = ~_valid_yyyymmdd(digits[:, 6:14]) & ~wrong
        rows = rows18[ok18]
        reason[rows[wrong]] = "证件号码校验位错误 (id_number: bad check digit)"
        reason[rows[bad_birth]] = "证件号码出生日期无效 (id_number: invalid birth date)"
        bad = bad.copy()
        bad[rows[wrong | bad_birth]] = True
    return v, pd.Series(bad, index=v.index), pd.Series(reason, index=v.index, dtype=object)


NUMBER_CELL_REASON = (
    "证件号码是数字单元格, Excel 只保留15位有效数字, 后几位已丢失: 请把该列设置为文本格式后重新录入 "
    "(id_number: typed into a number cell, Excel keeps 15 significant digits so the last digits "
    "are lost; format the column as text, 设置为文本格式, and enter them again)"
)
TRAILING_000_REASON = (
    "证件号码以000结尾, 可能是 Excel 按数字保存时丢失了后几位: 请核对, 该列应设置为文本格式 "
    "(id_number: ends in 000, perhaps cut by Excel to 15 digits; check it, format the column as text)"
)


def excel_cut_ids(values: pd.Series, number_cells: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """(errors, warnings) for ID numbers Excel may have cut to 15 significant digits: an
    18-digit number that arrived as a number cell (error), and one ending in 000 (warning:
    a column formatted as text after the digits were lost looks like that)."""
    n = len(values)
    errors, warnings = np.zeros(n, dtype=bool), np.zeros(n, dtype=bool)
    v = values.astype(str)
    ends = v.str.endswith("000").to_numpy(dtype=bool)
    number = np.zeros(n, dtype=bool) if number_cells is None else np.asarray(number_cells, dtype=bool)
    rows = np.flatnonzero(ends | number)  # few: the only rows that can be either
    if not len(rows):
        return errors, warnings
    eighteen = v.iloc[rows].str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False).to_numpy(dtype=bool)
    rows = rows[eighteen]
    errors[rows] = number[rows]
    warnings[rows] = ~number[rows]
    return errors, warnings
