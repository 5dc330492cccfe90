"""The monitored households (监测对象): three categories identified over the last 24 months, each
with its risk level, causes, measures, channel of identification and, for most, the month its
risk was eliminated."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np

from geodata.model import (
    CATEGORIES,
    CATEGORY_LABELS,
    CAUSES,
    CHANNELS,
    ELIMINATION_MODES,
    MEASURES,
    RISK_LABELS,
)

from .months import _date_text
from .parameters import CATEGORY_SHARES, IDENTIFICATION_MONTHS, MONITORED_SHARE
from .population import Population

NEVER = 10**9  # the month ordinal of a risk not (yet) eliminated
CAUSE_WEIGHTS: dict[str, tuple[float, ...]] = {
    # 因病 因残 因学 因灾 因意外 因务工 因产业 缺劳力 住房 饮水 刚性支出 其他
    "unstable": (0.30, 0.14, 0.08, 0.06, 0.04, 0.11, 0.07, 0.10, 0.02, 0.01, 0.05, 0.02),
    "marginal": (0.32, 0.10, 0.10, 0.07, 0.05, 0.11, 0.08, 0.06, 0.02, 0.01, 0.06, 0.02),
    "sudden": (0.36, 0.05, 0.03, 0.22, 0.22, 0.03, 0.03, 0.01, 0.01, 0.00, 0.03, 0.01),
}
CAUSE_MEASURES: dict[str, tuple[str, ...]] = {
    "因病": ("医疗救助", "防贫保险", "临时救助"),
    "因残": ("低保", "公益性岗位", "社会帮扶"),
    "因学": ("教育帮扶", "社会帮扶"),
    "因灾": ("临时救助", "产业帮扶", "防贫保险"),
    "因意外事故": ("临时救助", "医疗救助", "防贫保险"),
    "因务工就业不稳": ("就业帮扶", "公益性岗位", "帮扶车间"),
    "因产业项目失败": ("产业帮扶", "小额信贷"),
    "缺劳动力": ("低保", "特困供养", "公益性岗位"),
    "住房安全": ("社会帮扶", "临时救助"),
    "饮水安全": ("社会帮扶",),
    "刚性支出较大": ("临时救助", "低保"),
    "其他": ("社会帮扶", "产业帮扶"),
}
CHANNEL_WEIGHTS: dict[str, tuple[float, ...]] = {
    # 农户自主申报 干部走访排查 部门筛查预警 舆情信访研判 其他
    "unstable": (0.32, 0.48, 0.15, 0.02, 0.03),
    "marginal": (0.36, 0.45, 0.14, 0.02, 0.03),
    "sudden": (0.26, 0.34, 0.35, 0.03, 0.02),
}


@dataclass
class Monitored:
    """The monitored households, ``households`` the rows in the population; months are ordinals."""

    households: np.ndarray
    category: np.ndarray  # index into CATEGORIES
    identified: np.ndarray
    eliminated: np.ndarray  # NEVER where the risk is not eliminated
    income: np.ndarray  # net income per capita once identified
    income_cleared: np.ndarray  # and once the risk is eliminated
    pre_factor: np.ndarray  # income before identification, as a multiple of ``income``
    risk: np.ndarray  # the label, blank for a few: left for the loader's rule
    category_text: np.ndarray
    causes: np.ndarray
    measures: np.ndarray
    channel: np.ndarray
    mode: np.ndarray  # how the risk was eliminated
    identified_on: np.ndarray
    eliminated_on: np.ndarray

    def status(self, month: int) -> tuple[np.ndarray, np.ndarray]:
        """Per monitored household: identified by ``month``; risk eliminated by ``month``."""
        return self.identified <= month, self.eliminated <= month


def _monitor(
    rng: np.random.Generator,
    villages: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame,
    people: Population,
    relocated: np.ndarray,
    base: np.ndarray,
    end: int,
    observation_line: float,
) -> Monitored:
    """``MONITORED_SHARE`` of the households monitored, identified in the ``IDENTIFICATION_MONTHS``
    months up to ``end`` (an ordinal); most risks eliminated 3 to 14 months after identification."""
    local = _village_risk(rng, villages, grids, people.grid_of)
    category = _categories(rng, local, people.lifted, relocated, base)
    mon = np.flatnonzero(category >= 0)
    mcat = category[mon]
    m = len(mon)
    month_w = np.linspace(2.0, 0.7, IDENTIFICATION_MONTHS)
    ident = (
        end
        - IDENTIFICATION_MONTHS
        + 1
        + rng.choice(IDENTIFICATION_MONTHS, m, p=month_w / month_w.sum())
    )
    ident_day = rng.integers(1, 29, m)
    delay_w = np.r_[np.linspace(0.6, 1.4, 6), np.linspace(1.3, 0.5, 6)]
    delay = rng.choice(np.arange(3, 15), m, p=delay_w / delay_w.sum())
    can_clear = rng.random(m) < np.select([mcat == 2, mcat == 0], [0.85, 0.74], 0.78)
    elim = np.where(can_clear & (ident + delay <= end), ident + delay, NEVER)
    elim_day = rng.integers(1, 29, m)
    mode = np.where(rng.random(m) < 0.86, ELIMINATION_MODES[0], ELIMINATION_MODES[1]).astype(object)
    y0 = np.where(mcat == 2, rng.normal(6600, 1700, m), rng.normal(7200, 1250, m))
    y0 = np.clip(y0, 4500, 11000)
    risk = _risk_levels(rng, y0, mcat)

    cat_keys = np.asarray(CATEGORIES)[mcat]
    cause_w = np.stack([CAUSE_WEIGHTS[c] for c in cat_keys]) if m else np.zeros((0, len(CAUSES)))
    n_causes = rng.choice([1, 2, 3], m, p=[0.55, 0.33, 0.12])
    cause_pick = _gumbel_pick(rng, cause_w + 1e-12 * (cause_w == 0), n_causes)
    causes_text = np.array(["、".join(CAUSES[i] for i in row) for row in cause_pick], dtype=object)
    measures_text = _measures(rng, cause_pick, relocated[mon])
    channel_w = (
        np.stack([CHANNEL_WEIGHTS[c] for c in cat_keys]) if m else np.zeros((0, len(CHANNELS)))
    )
    channel = np.asarray(CHANNELS, dtype=object)[
        (rng.random((m, 1)) > np.cumsum(channel_w, axis=1)).sum(axis=1).clip(0, len(CHANNELS) - 1)
    ]
    elim_target = np.maximum(y0 * 1.15, observation_line * rng.uniform(1.03, 1.3, m))
    pre_factor = rng.uniform(1.15, 1.6, m)

    ident_text = _date_text(ident, ident_day).astype(object)
    elim_text = np.where(elim < NEVER, _date_text(np.minimum(elim, end), elim_day), "").astype(
        object
    )
    cat_text = np.asarray([CATEGORY_LABELS[c] for c in CATEGORIES], dtype=object)[mcat]
    return Monitored(
        households=mon,
        category=mcat,
        identified=ident,
        eliminated=elim,
        income=y0,
        income_cleared=elim_target,
        pre_factor=pre_factor,
        risk=risk,
        category_text=cat_text,
        causes=causes_text,
        measures=measures_text,
        channel=channel,
        mode=mode,
        identified_on=ident_text,
        eliminated_on=elim_text,
    )


def _village_risk(
    rng: np.random.Generator,
    villages: gpd.GeoDataFrame,
    grids: gpd.GeoDataFrame,
    grid_of: np.ndarray,
) -> np.ndarray:
    """Per household the risk of its village, a lognormal factor around 1."""
    codes = villages["village_code"]
    v_risk = dict(zip(codes, rng.lognormal(0.0, 0.5, len(codes)), strict=True))
    return np.array([v_risk[v] for v in grids["village_code"]])[grid_of]


def _categories(
    rng: np.random.Generator,
    local: np.ndarray,
    lifted: np.ndarray,
    relocated: np.ndarray,
    base: np.ndarray,
) -> np.ndarray:
    """Per household the index of its category in CATEGORIES, -1 for the households not monitored:
    unstable among the lifted, marginal among the others, sudden hardship among all; likelier where
    ``local`` (the village's risk) is high, at low incomes ``base`` and at the sites."""
    N = len(lifted)
    M = round(N * MONITORED_SHARE)
    n_cat = {
        "unstable": round(M * CATEGORY_SHARES["unstable"]),
        "sudden": round(M * CATEGORY_SHARES["sudden"]),
    }
    n_cat["marginal"] = M - n_cat["unstable"] - n_cat["sudden"]
    category = np.full(N, -1, dtype=np.int64)
    prone = local * np.exp(-(base - 8800) / 9000) * np.where(relocated, 1.5, 1.0)
    for ci, cat in ((0, "unstable"), (1, "marginal"), (2, "sudden")):
        if cat == "unstable":
            pool = np.flatnonzero(lifted & (category < 0))
        elif cat == "marginal":
            pool = np.flatnonzero(~lifted & (category < 0))
        else:
            pool = np.flatnonzero(category < 0)
        w = prone[pool] if cat != "sudden" else local[pool]
        take_n = min(n_cat[cat], len(pool))
        category[rng.choice(pool, take_n, replace=False, p=w / w.sum())] = ci
    return category


def _risk_levels(rng: np.random.Generator, y0: np.ndarray, mcat: np.ndarray) -> np.ndarray:
    """Lower income and sudden hardship rank higher; 50 % blue, 35 % yellow, 15 % red."""
    m = len(y0)
    score = -(y0 - 7200) / 1300 + np.where(mcat == 2, 0.8, 0.0) + rng.normal(0, 0.8, m)
    rank = np.argsort(np.argsort(-score, kind="stable"), kind="stable") / max(m, 1)
    risk = np.where(
        rank < 0.15,
        RISK_LABELS["red"],
        np.where(rank < 0.50, RISK_LABELS["yellow"], RISK_LABELS["blue"]),
    )
    risk = risk.astype(object)
    risk[rng.random(m) < 0.02] = ""  # left for the loader's rule
    return risk


def _measures(
    rng: np.random.Generator, cause_pick: list[list[int]], relocated: np.ndarray
) -> np.ndarray:
    """One to three measures per monitored household: one for each cause first, work for the
    relocated, then any."""
    m = len(cause_pick)
    measures_text = np.empty(m, dtype=object)
    n_meas = rng.choice([1, 2, 3], m, p=[0.35, 0.45, 0.20])
    extra = rng.integers(0, len(MEASURES), (m, 3))
    for i in range(m):
        chosen: list[str] = []
        for ci in cause_pick[i]:
            options = CAUSE_MEASURES[CAUSES[ci]]
            pick = options[int(extra[i, 0]) % len(options)]
            if pick not in chosen:
                chosen.append(pick)
        if relocated[i] and "帮扶车间" not in chosen and "就业帮扶" not in chosen:
            chosen.append("帮扶车间" if extra[i, 1] % 2 else "就业帮扶")
        j = 1
        while len(chosen) < n_meas[i] and j < 3:
            pick = MEASURES[int(extra[i, j])]
            if pick not in chosen:
                chosen.append(pick)
            j += 1
        measures_text[i] = "、".join(chosen[:3])
    return measures_text


def _gumbel_pick(rng: np.random.Generator, weights: np.ndarray, k: np.ndarray) -> list[list[int]]:
    """Per row, ``k[i]`` distinct indices drawn by weight (Gumbel top-k), the likeliest first."""
    with np.errstate(divide="ignore"):
        logw = np.log(weights)
    keys = logw + rng.gumbel(size=weights.shape)
    order = np.argsort(-keys, axis=1, kind="stable")
    return [list(order[i, : k[i]]) for i in range(len(k))]
