"""Invented ID numbers (with a valid GB 11643 check digit, belonging to no one) and telephone
numbers (1xx-0000-xxxx, not in use)."""

from __future__ import annotations

import numpy as np

from .parameters import COUNTY_CODE

PHONE_PREFIXES = (
    "133",
    "135",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "186",
    "187",
    "189",
)


def _phones(rng: np.random.Generator, n: int) -> np.ndarray:
    prefix = np.asarray(PHONE_PREFIXES)[rng.integers(0, len(PHONE_PREFIXES), n)]
    tail = np.char.zfill(rng.integers(0, 10_000, n).astype(str), 4)
    return np.char.add(np.char.add(prefix, "0000"), tail).astype(object)  # 1xx-0000-xxxx: not real


ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
ID_CHECK = np.asarray(list("10X98765432"))


def id_check_digits(bodies: np.ndarray) -> np.ndarray:
    """GB 11643 check characters for an array of 17-digit strings."""
    raw = np.asarray(bodies, dtype="U17")
    digits = raw.view("U1").reshape(len(raw), 17).astype(np.int64)
    return ID_CHECK[(digits @ ID_WEIGHTS) % 11]


def _id_numbers(rng: np.random.Generator, n: int, male: np.ndarray) -> np.ndarray:
    start = np.datetime64("1940-01-01")
    days = (np.datetime64("2000-12-31") - start).astype(int) + 1
    day = rng.integers(0, days, n)
    seq = rng.integers(0, 500, n)  # sequence 000-999: the last digit odd for men, even for women
    key = day * 500 + seq
    while True:
        _, first = np.unique(key, return_index=True)
        dup = np.ones(n, dtype=bool)
        dup[first] = False
        if not dup.any():
            break
        seq[dup] = rng.integers(0, 500, int(dup.sum()))
        key = day * 500 + seq
    births = np.char.replace(np.datetime_as_string(start + day, unit="D"), "-", "")

    def numbers() -> np.ndarray:
        order_code = seq * 2 + np.where(male, 1, 0)
        bodies = np.char.add(np.char.add(COUNTY_CODE, births), np.char.zfill(order_code.astype(str), 3))
        return np.char.add(bodies, id_check_digits(bodies)).astype(object)

    out = numbers()
    # none ends in 000: the load warns of those (Excel may have cut them to 15 digits). Such a
    # number gets the next free sequence of its day, the others stay as drawn
    taken = set(key.tolist())
    cut = np.flatnonzero(np.char.endswith(out.astype(str), "000"))
    for i in cut:
        s = int(seq[i])
        while True:
            s = (s + 1) % 500
            if day[i] * 500 + s not in taken:
                break
        taken.add(int(day[i] * 500 + s))
        seq[i] = s
    return numbers() if len(cut) else out
