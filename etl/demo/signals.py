"""The demo's department warnings (部门预警): signals of the departments about households, the
input of ``etl.signals``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .files import _write_csv
from .months import _date_text

# 部门预警: (department, signal, share of signals, amount range in yuan or None)
WARNING_KINDS = (
    ("医保", "大额医疗支出", 0.34, (12_000, 160_000)),
    ("民政", "收入骤减", 0.16, None),
    ("残联", "新增残疾", 0.10, None),
    ("教育", "教育支出", 0.10, (3_000, 25_000)),
    ("住建", "住房安全", 0.08, None),
    ("人社", "失业", 0.10, None),
    ("应急", "自然灾害", 0.10, (2_000, 40_000)),
    ("乡村振兴", "其他", 0.02, None),
)


def _write_warnings(
    seed: int,
    month_ordinals: list[int],
    household_id: np.ndarray,
    id_number: np.ndarray,
    monitored: np.ndarray,
    path: Path,
) -> int:
    """About 0.4 % of households a month get a department signal; 40 % of the signals concern
    monitored households. Half name the household number, half only the head's ID number.
    A generator of its own, so that the other files do not change with it."""
    rng = np.random.default_rng([seed, 7])
    n = len(household_id)
    others = np.setdiff1d(np.arange(n), monitored)
    ids = pd.Series(id_number, dtype=object)
    ambiguous = ((ids == "") | ids.isna() | ids.duplicated(keep=False)).to_numpy()
    shares = np.array([k[2] for k in WARNING_KINDS])
    frames = []
    for mo in month_ordinals:
        k = max(1, int(rng.poisson(n * 0.004)))
        on_monitored = rng.random(k) < 0.4
        who = np.where(
            on_monitored,
            rng.choice(monitored, k) if len(monitored) else rng.choice(others, k),
            rng.choice(others, k) if len(others) else rng.choice(monitored, k),
        )
        kind = rng.choice(len(WARNING_KINDS), k, p=shares / shares.sum())
        by_number = rng.random(k) < 0.5
        by_number |= ambiguous[who]  # a head's ID that is blank or not unique: the number, then
        amount = np.full(k, "", dtype=object)
        for j, (_, _, _, span) in enumerate(WARNING_KINDS):
            rows = np.flatnonzero(kind == j)
            if span and len(rows):
                amount[rows] = np.round(rng.uniform(*span, len(rows)), -2).astype(int).astype(str)
        frames.append(
            pd.DataFrame(
                {
                    "证件号码": np.where(by_number, "", id_number[who]),
                    "户编号": np.where(by_number, household_id[who], ""),
                    "来源部门": [WARNING_KINDS[j][0] for j in kind],
                    "预警类型": [WARNING_KINDS[j][1] for j in kind],
                    "金额": amount,
                    "发生日期": _date_text(np.full(k, mo), rng.integers(1, 29, k)),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    key = frame["户编号"].where(frame["户编号"] != "", frame["证件号码"])
    frame = frame[
        ~pd.DataFrame(
            {"k": key, "d": frame["来源部门"], "s": frame["预警类型"], "t": frame["发生日期"]}
        ).duplicated()
    ]
    _write_csv(frame, path)
    return len(frame)
