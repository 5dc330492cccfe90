"""Plausible bounds: a value beyond them cannot be true, and its row is refused.

Every bound the loaders check is here, in one place. They are wide: a real export is never near
them, so a value beyond one is a typing slip, a shifted column or a number that Excel or a
script mangled (2,147,483,648 persons, an income of 1e300), never data.

| field | bounds | why |
|---|---|---|
| 家庭人口数 ``persons`` | 1 … 30 | a rural household registered together; the national export counts 3–5 on average |
| 劳动力人数 ``labor_count``, 务工就业人数 ``employed_count`` | 0 … 30 | members of one household |
| 家庭人均纯收入 ``income_per_capita`` | 0 … 1,000,000 yuan | per person and year; the monitoring lines are 7,100–8,122 yuan |
| 安置户数 ``households`` of a site | 0 … 50,000 | the largest resettlement communities hold a few thousand (Shilou town: 2,781) |
| 安置人数 ``persons`` of a site | 0 … 200,000 | four persons per household and more |
| 帮扶车间数 ``workshops`` | 0 … 1,000 | |
| 公益性岗位数 ``public_jobs`` | 0 … 50,000 | |
| 金额 ``amount`` of a department warning | 0 … 100,000,000 yuan | a year's medical bills or a disaster's loss of one household |
| 户编号 ``household_id``, 人编号 ``person_id``, 安置点编码 ``site_code`` | at most 64 characters | the national system's numbers have about 20 |
| 经度 / 纬度, grid coordinates | lon 73 … 136, lat 3 … 54 | a box around China (``CHINA_BOUNDS``) |

The codes of the levels (county 6 digits, township 9, village 12, grid 15) are
``LEVEL_DIGITS``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Bound:
    """The plausible range of a number, both ends included."""

    low: float
    high: float

    def text(self) -> str:
        return f"{_number(self.low)} 到 {_number(self.high)}"

    def reason(self, label: str, ident: str, unit: str = "") -> str:
        """The Chinese reason with the identifier, e.g. 家庭人口数应在 1 到 30 之间."""
        return (
            f"{label}应在 {self.text()}{unit} 之间, 该值不可能为真 "
            f"({ident}: must be between {_number(self.low)} and {_number(self.high)})"
        )


def _number(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,}"


HOUSEHOLD_BOUNDS: dict[str, Bound] = {
    "persons": Bound(1, 30),
    "labor_count": Bound(0, 30),
    "employed_count": Bound(0, 30),
    "income_per_capita": Bound(0, 1_000_000),
}
SITE_BOUNDS: dict[str, Bound] = {
    "households": Bound(0, 50_000),
    "persons": Bound(0, 200_000),
    "workshops": Bound(0, 1_000),
    "public_jobs": Bound(0, 50_000),
}
SIGNAL_BOUNDS: dict[str, Bound] = {"amount": Bound(0, 100_000_000)}
# the longest household number, member number or site code that can be true
MAX_CODE_LENGTH = 64
# the codes of the levels of the hierarchy: digits, and how many
LEVEL_DIGITS: dict[str, int] = {"county": 6, "township": 9, "village": 12, "grid": 15}
# a generous box around China (min lon, min lat, max lon, max lat)
CHINA_BOUNDS: tuple[float, float, float, float] = (73.0, 3.0, 136.0, 54.0)


def too_long(values: pd.Series) -> np.ndarray:
    """The rows whose text is longer than ``MAX_CODE_LENGTH``."""
    return (values.astype(str).str.len() > MAX_CODE_LENGTH).to_numpy(dtype=bool)


def long_reason(label: str, ident: str) -> str:
    return (
        f"{label}超过 {MAX_CODE_LENGTH} 个字符, 不可能为真 "
        f"({ident}: longer than {MAX_CODE_LENGTH} characters)"
    )


def shown(value: str | None, limit: int = 40) -> str | None:
    """A value as an error message shows it: a long one cut, with its length."""
    if value is None or len(value) <= limit:
        return value
    return f"{value[:limit]}…（共 {len(value):,} 个字符）"
