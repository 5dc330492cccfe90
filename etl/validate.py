"""Vectorized cell parsers. Each returns the parsed values and a mask of the cells that failed.

Cells arrive as text; they are cleaned first (NFKC turns full-width digits and letters into
half-width ones, spaces are trimmed), then parsed column by column with pandas and numpy so that
80,000 rows validate in well under a second.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)

YES = {"是", "y", "yes", "true", "1", "已消除", "是的", "√"}
NO = {"否", "n", "no", "false", "0", "未消除", ""}


_WIDE = re.compile("[\u3000\uff01-\uff5e\u00a0]")


def clean(series: pd.Series) -> pd.Series:
    """NFKC-normalised, trimmed text; empty string for blank.

    Normalising is the slow part, so it runs only on columns holding a full-width character.
    """
    s = series.astype(str)
    if _WIDE.search("".join(s.tolist())):
        s = s.str.normalize("NFKC")
    return s.str.strip()


def id_check_digit(body17: str) -> str:
    """The GB 11643 check character of the first 17 digits of an ID number."""
    total = sum(int(c) * int(w) for c, w in zip(body17, ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def check_id_numbers(values: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """(normalised, bad mask, reason) for 18-character ID numbers; 15-digit old ones pass.

    ``reason`` is "" where fine, "old15" for accepted 15-digit numbers, or the error text.
    """
    v = values.str.upper()
    reason = pd.Series("", index=v.index, dtype=object)
    is18 = v.str.fullmatch(r"\d{17}[\dX]").fillna(False)
    is15 = v.str.fullmatch(r"\d{15}").fillna(False)
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


def parse_int(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    s = values.str.replace(",", "", regex=False)
    num = pd.to_numeric(s, errors="coerce")
    bad = (s != "") & (num.isna() | (num % 1 != 0))
    return num.where(~bad).astype("Float64").round().astype("Int64"), bad


def parse_float(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    s = values.str.replace(",", "", regex=False).str.replace("元", "", regex=False)
    num = pd.to_numeric(s, errors="coerce")
    bad = (s != "") & num.isna()
    return num.astype("Float64"), bad


def parse_yes_no(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    low = values.str.lower()
    yes = low.isin(YES)
    no = low.isin(NO)
    return yes, ~(yes | no)


_SEP = re.compile(r"[/.年月]")
EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Dates as users write them: 2024-03-05, 2024/3/5, 2024年3月5日, 20240305, 202403 (the first
    of that month), 2024-03, an Excel serial day number (45356), or "2024-03-05 00:00:00"."""
    s = values.str.replace("日", "", regex=False).str.replace(_SEP, "-", regex=True).str.strip("-")
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[ns]")
    blank = s == ""
    full = s.str.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}( \d{1,2}:\d{2}(:\d{2})?)?")
    out[full] = pd.to_datetime(s[full].str.split(" ").str[0], format="%Y-%m-%d", errors="coerce")
    ymd = s.str.fullmatch(r"\d{8}")
    out[ymd] = pd.to_datetime(s[ymd], format="%Y%m%d", errors="coerce")
    ym = s.str.fullmatch(r"\d{6}")
    out[ym] = pd.to_datetime(s[ym], format="%Y%m", errors="coerce")
    ym2 = s.str.fullmatch(r"\d{4}-\d{1,2}")
    out[ym2] = pd.to_datetime(s[ym2] + "-1", format="%Y-%m-%d", errors="coerce")
    serial = s.str.fullmatch(r"\d{4,5}(\.0+)?") & ~ym & ~ymd
    if serial.any():
        days = pd.to_numeric(s[serial], errors="coerce")
        ok = (days >= 1) & (days <= 2958465)
        out[serial] = (EXCEL_EPOCH + pd.to_timedelta(days.where(ok), unit="D")).to_numpy()
    bad = ~blank & out.isna()
    out = out.where(out.isna() | ((out >= "1900-01-01") & (out <= "2100-12-31")))
    bad |= ~blank & out.isna()
    return out, bad


def parse_month(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """YYYY-MM text from a month cell (YYYY-MM, YYYYMM, a date or an Excel serial)."""
    dates, bad = parse_dates(values)
    return dates.dt.strftime("%Y-%m").where(dates.notna(), ""), bad


def split_multi(values: pd.Series) -> pd.Series:
    """Several values in one cell, split by 、 , ， ; ； or spaces, joined again by 、."""
    return values.str.replace(r"[、,，;；\s]+", "、", regex=True).str.strip("、")
