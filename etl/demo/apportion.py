"""Whole numbers shared out by weight: villages per township, grids per village, households per site."""

from __future__ import annotations

import numpy as np


def _largest_remainder(weights: np.ndarray, total: int, minimum: int) -> np.ndarray:
    n = len(weights)
    base = np.full(n, minimum, dtype=np.int64)
    rest = total - base.sum()
    if rest < 0:
        raise ValueError("too few to give each its minimum")
    share = weights / weights.sum() * rest
    add = np.floor(share).astype(np.int64)
    left = rest - add.sum()
    order = np.argsort(-(share - add), kind="stable")
    add[order[:left]] += 1
    return base + add
