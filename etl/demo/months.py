"""Months as ordinals (year * 12 + month - 1) and back to the texts of the files."""

from __future__ import annotations

import numpy as np

from geodata.model import check_month


def _month_ordinal(month: str) -> int:
    check_month(month)
    return int(month[:4]) * 12 + int(month[5:7]) - 1


def _month_text(ordinal: int | np.ndarray) -> np.ndarray:
    o = np.asarray(ordinal)
    year = (o // 12).astype(str)
    mon = np.char.zfill((o % 12 + 1).astype(str), 2)
    return np.char.add(np.char.add(year, "-"), mon)


def _date_text(ordinal: np.ndarray, day: np.ndarray) -> np.ndarray:
    return np.char.add(np.char.add(_month_text(ordinal), "-"), np.char.zfill(day.astype(str), 2))
