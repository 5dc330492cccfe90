"""Net income per capita (元/人/年) of the demo's households: at the end month, and month by month."""

from __future__ import annotations

import numpy as np

from .monitoring import Monitored
from .population import Population


def _base_incomes(
    rng: np.random.Generator, people: Population, monitoring_line: float, observation_line: float
) -> np.ndarray:
    """Incomes at the end month: lifted households a little lower, communities higher, a few
    households between the monitoring and the observation line."""
    N = len(people.lifted)
    f = np.where(people.lifted, 0.85, 1.0) * np.where(people.community, 1.15, 1.0)
    base = 8800 + rng.lognormal(np.log(7500 * f), 0.55)
    few = rng.random(N) < 0.006
    base[few] = rng.uniform(0.75 * monitoring_line, 1.05 * observation_line, int(few.sum()))
    return base


def _month_incomes(
    rng: np.random.Generator,
    month: int,
    end: int,
    base: np.ndarray,
    growth: np.ndarray,
    monitored: Monitored,
) -> np.ndarray:
    """Incomes in ``month`` (an ordinal, ``end`` the last): ``base`` less the growth of the months
    to come; a monitored household's follows its identification and the elimination of its risk."""
    N = len(base)
    mon, m = monitored.households, len(monitored.households)
    y0, ident, elim = monitored.income, monitored.identified, monitored.eliminated
    age = month - end  # <= 0
    income = base * (1 + growth * age) * (1 + rng.normal(0, 0.01, N))
    on, cleared = monitored.status(month)
    y = y0 * (1 + 0.004 * (month - ident))
    y = np.where(on, y, y0 * monitored.pre_factor)
    y = np.where(cleared, monitored.income_cleared * (1 + 0.01 * (month - elim)), y)
    income[mon] = y * (1 + rng.normal(0, 0.01, m))
    return np.round(np.maximum(income, 0), 2)
