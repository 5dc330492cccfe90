"""The demo's department warnings (部门预警): signals of the departments about households, the
input of ``etl.signals``."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .files import _write_csv
from .monitoring import Monitored
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


# the kind of warning that led to a household's identification, by its first risk cause
KIND_BY_CAUSE = {
    "因病": 0,
    "因意外事故": 0,
    "因产业项目失败": 1,
    "缺劳动力": 1,
    "刚性支出较大": 1,
    "因残": 2,
    "因学": 3,
    "住房安全": 4,
    "因务工就业不稳": 5,
    "因灾": 6,
    "饮水安全": 7,
    "其他": 7,
}
WARNINGS_SHARE = 0.004  # of the households, a month
LEADING_SHARE = 0.10  # of the households identified by another channel than 部门筛查预警
OVERDUE_SHARE = 0.0001  # of the households, a month: not monitored, not identified in 15 days
PENDING_SHARE = 0.0001  # and in the last month's second half: not yet verified
DEPARTMENT_CHANNEL = "部门筛查预警"


def _write_warnings(
    seed: int,
    month_ordinals: list[int],
    household_id: np.ndarray,
    id_number: np.ndarray,
    monitored: Monitored,
    path: Path,
) -> int:
    """About ``WARNINGS_SHARE`` of the households a month get a department signal, as a county's
    warnings come: one 1 to 14 days before the identification of each household identified
    through them (部门筛查预警, and a tenth of the others), of the kind of its first cause; most
    of the rest about monitored households (identified before the month); a few
    (``OVERDUE_SHARE``) about households not identified since, which the rule
    signal_not_identified lists; in the last month's second half a few not yet verified. Half
    name the household number, half only the head's ID number.
    A generator of its own, so that the other files do not change with it."""
    rng = np.random.default_rng([seed, 7])
    n = len(household_id)
    mon = monitored.households
    others = np.setdiff1d(np.arange(n), mon)
    ids = pd.Series(id_number, dtype=object)
    ambiguous = ((ids == "") | ids.isna() | ids.duplicated(keep=False)).to_numpy()
    shares = np.array([k[2] for k in WARNING_KINDS])
    p_kind = shares / shares.sum()
    identified = monitored.identified_on.astype(str).astype("datetime64[D]")
    leading = (monitored.channel == DEPARTMENT_CHANNEL) | (rng.random(len(mon)) < LEADING_SHARE)
    lead_on = identified - rng.integers(1, 15, len(mon))
    lead_month = lead_on.astype("datetime64[M]").astype(int) + 1970 * 12
    first = [str(c).split("、")[0] for c in monitored.causes]
    lead_kind = np.array([KIND_BY_CAUSE.get(c, -1) for c in first])
    lead_kind = np.where(
        lead_kind < 0, rng.choice(len(WARNING_KINDS), len(mon), p=p_kind), lead_kind
    )
    frames = []
    for mo in month_ordinals:
        k = max(1, int(rng.poisson(n * WARNINGS_SHARE)))
        lead = np.flatnonzero(leading & (lead_month == mo))
        overdue = max(1, int(rng.poisson(n * OVERDUE_SHARE)))
        pending = int(rng.poisson(n * PENDING_SHARE)) if mo == month_ordinals[-1] else 0
        earlier = mon[monitored.identified < mo]
        pool = earlier if len(earlier) else mon
        rest = max(0, k - len(lead) - overdue - pending)
        who = np.concatenate(
            [
                mon[lead],
                rng.choice(pool, rest) if len(pool) else np.zeros(0, dtype=np.int64),
                rng.choice(others, overdue + pending) if len(others) else np.zeros(0, np.int64),
            ]
        ).astype(np.int64)
        k = len(who)
        day = rng.integers(1, 29, k)
        day[k - pending :] = rng.integers(18, 29, pending)  # within 15 days of the month's end
        when = _date_text(np.full(k, mo), day).astype("datetime64[D]")
        when[: len(lead)] = lead_on[lead]
        kind = rng.choice(len(WARNING_KINDS), k, p=p_kind)
        kind[: len(lead)] = lead_kind[lead]
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
                    "row": who,
                    "证件号码": np.where(by_number, "", id_number[who]),
                    "户编号": np.where(by_number, household_id[who], ""),
                    "来源部门": [WARNING_KINDS[j][0] for j in kind],
                    "预警类型": [WARNING_KINDS[j][1] for j in kind],
                    "金额": amount,
                    "发生日期": np.datetime_as_string(when, unit="D"),
                }
            )
        )
    frame = pd.concat(frames, ignore_index=True)
    # one signal per household, department, signal and date, however it names the household
    frame = frame[~frame.duplicated(["row", "来源部门", "预警类型", "发生日期"])]
    _write_csv(frame.drop(columns="row"), path)
    return len(frame)
