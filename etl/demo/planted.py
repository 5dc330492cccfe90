"""The problems a county office's list holds (问题清单), planted in the monitored households so
that every monitoring rule (``geodata.checks``) finds some, in proportions like a real
campaign's, and the county's figures stay as they were.

``_monitor`` draws identification, elimination, causes and measures independently; left so, a
third of the eliminations would come within half a year of the identification, a sixth would go
to households without labour, and a third of the households with labour would have no
development measure. ``_plant`` mends most of those and keeps a few, and plants the rare kinds:

- an elimination within half a year: the identification moved earlier (the risk was eliminated
  when it was, so the month's figures stay; in the window's first months the elimination moved
  later); a tenth kept;
- an eliminated household without labour: its risk reopened (兜底保障), its elimination (month,
  date, mode) handed to an open household with labour identified at least half a year before,
  of its size and risk level (the one-person households' to fewer, larger ones), so that the
  last month's eliminated persons and open red households and persons stay as many (the
  eliminated households are fewer); a tenth kept, and the few that cannot be balanced;
- a household with labour but no 产业 or 就业 measure: one added; a tenth kept;
- a few eliminations dated before the identification (a typing error; the loader warns of it),
  a few 帮扶消除 households whose income stays below the monitoring line after the elimination,
  a few open households with no measure, a few with no risk cause.

None of it touches a household whose risk level is left for the loader's rule (its level
follows its income and causes). Labour as the rules read it: the members' 劳动技能 in the
national layout, 劳动力人数 in the household layout; a household is mended if either finds the
problem, kept only where both do, so that both layouts list about as many.

A generator of its own (``[seed, PLANT_STREAM]``): the other draws of the demo stay as they were.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from geodata.checks.catalog import DEVELOPMENT_MEASURES, LABOUR_SKILLS, NO_LABOUR_SKILLS
from geodata.model import ELIMINATION_MODES, RISK_LABELS

from .members import Members
from .monitoring import NEVER, Monitored
from .months import _date_text
from .parameters import IDENTIFICATION_MONTHS

PLANT_STREAM = 17  # the planting's generator: np.random.default_rng([seed, PLANT_STREAM])
HALF_YEAR = 6  # months: the rules' elimination_months
ASSISTED = ELIMINATION_MODES[0]  # 帮扶消除
RED = RISK_LABELS["red"]
# a development (产业 or 就业) measure for a household with labour, by its first cause
DEVELOPMENT_BY_CAUSE = {"因务工就业不稳": "就业帮扶", "因产业项目失败": "产业帮扶"}
DEVELOPMENT = ("就业帮扶", "公益性岗位", "产业帮扶", "帮扶车间", "小额信贷")
DEVELOPMENT_WEIGHTS = (0.34, 0.22, 0.24, 0.10, 0.10)


@dataclass(frozen=True)
class Planting:
    """How many of each problem: shares of the households each rule could find (at least one
    of each where there is any such household)."""

    too_soon_kept: float = 0.10  # of the eliminations within half a year
    no_labour_kept: float = 0.10  # of the eliminated households without labour
    development_kept: float = 0.10  # of the households with labour and no development measure
    before_identified: float = 0.005  # of the eliminated households
    assisted_below_line: float = 0.007  # of the 帮扶消除 ones eliminated before the last month
    no_measures: float = 0.012  # of the open households identified two months or more before
    no_cause: float = 0.004  # of the monitored households


@dataclass
class Labour:
    """Per monitored household: without labour, with labour, by either layout and by both."""

    without_any: np.ndarray
    without_both: np.ndarray
    with_any: np.ndarray
    with_both: np.ndarray


def _labour(households: np.ndarray, members: Members, labor_count: np.ndarray) -> Labour:
    """Labour as the rules read it: the members' skills (national) and 劳动力人数 (households)."""
    n = len(labor_count)
    rows = np.bincount(members.household, minlength=n)
    able = np.bincount(members.household[np.isin(members.labour, LABOUR_SKILLS)], minlength=n)
    unable = np.bincount(members.household[np.isin(members.labour, NO_LABOUR_SKILLS)], minlength=n)
    m_with, m_without = able[households] > 0, (unable == rows)[households]
    c_with = labor_count[households] > 0
    return Labour(m_without | ~c_with, m_without & ~c_with, m_with | c_with, m_with & c_with)


def _sample(rng: np.random.Generator, pool: np.ndarray, share: float) -> np.ndarray:
    """``share`` of ``pool`` (at least one when it has any), sorted."""
    if not len(pool):
        return pool
    k = min(len(pool), max(1, round(share * len(pool))))
    return np.sort(rng.choice(pool, k, replace=False))


def _days(texts: np.ndarray) -> np.ndarray:
    """The day of the month of each date text, 0 for a blank one."""
    return np.array([int(t[8:10]) if t else 0 for t in texts.astype(str)], dtype=np.int64)


def _too_soon(ident: np.ndarray, i_day: np.ndarray, elim: np.ndarray, e_day: np.ndarray):
    """Eliminated less than half a year after the identification (days of month up to 28)."""
    d = elim - ident
    return (elim < NEVER) & ((d < HALF_YEAR) | ((d == HALF_YEAR) & (e_day < i_day)))


@dataclass
class _Dates:
    """The monitored households' identification and elimination, changed in place."""

    ident: np.ndarray
    i_day: np.ndarray
    elim: np.ndarray
    e_day: np.ndarray
    elim_text: np.ndarray
    mode: np.ndarray

    def can_take(self, a: int) -> np.ndarray:
        """Which households were identified at least half a year before ``a``'s elimination."""
        d = self.elim[a] - self.ident
        return (d > HALF_YEAR) | ((d == HALF_YEAR) & (self.e_day[a] >= self.i_day))

    def hand(self, a: int, b: int) -> None:
        """``b``'s risk eliminated as ``a``'s was (month, date, mode)."""
        self.elim[b], self.e_day[b] = self.elim[a], self.e_day[a]
        self.elim_text[b], self.mode[b] = self.elim_text[a], self.mode[a]

    def reopen(self, a: int) -> None:
        self.elim[a], self.e_day[a], self.elim_text[a] = NEVER, 0, ""


def _hand_over(
    rng: np.random.Generator,
    dates: _Dates,
    movers: np.ndarray,
    takers: np.ndarray,
    size: np.ndarray,
    red: np.ndarray,
    category: np.ndarray,
) -> None:
    """The risks of ``movers`` reopened, their eliminations handed to ``takers`` (open, with
    labour, identified half a year before) so that the eliminated persons and the open red
    households and persons stay as many: each to one of its size, risk level and category
    (else of its size and risk level); those left that are not red, mostly of one person, to
    fewer, larger households of as many persons. Whichever cannot be balanced stays."""
    left: list[int] = []
    for a in rng.permutation(movers):
        ok = takers & (red == red[a]) & dates.can_take(a)
        pick = np.flatnonzero(ok & (size == size[a]) & (category == category[a]))
        if not len(pick):
            pick = np.flatnonzero(ok & (size == size[a]))
        if len(pick):
            b = int(rng.choice(pick))
            takers[b] = False
            dates.hand(a, b)
            dates.reopen(a)
        elif not red[a]:
            left.append(int(a))
    need = int(size[left].sum()) if left else 0  # persons reopened, to eliminate elsewhere
    records = sorted(left, key=lambda a: -int(dates.elim[a]))  # the latest first: most can take
    for i, a in enumerate(records):
        if need <= 0:
            break
        want = -(-need // (len(records) - i))
        ok = np.flatnonzero(takers & ~red & dates.can_take(a) & (size <= need))
        if not len(ok):
            continue
        gap = np.abs(size[ok] - want)
        b = int(rng.choice(ok[gap == gap.min()]))
        takers[b] = False
        need -= int(size[b])
        dates.hand(a, b)
    for a in sorted(left, key=lambda a: -int(size[a])):
        if 0 < size[a] <= need:
            need -= int(size[a])  # stays eliminated
        else:
            dates.reopen(a)


def _plant(
    seed: int,
    monitored: Monitored,
    members: Members,
    labor_count: np.ndarray,
    persons: np.ndarray,
    *,
    end: int,
    monitoring_line: float,
    planting: Planting | None = None,
) -> Monitored:
    """``monitored`` with the problems of a county's list planted (the module's doc); ``end``
    the last month's ordinal. ``members``: every household's (from the unplanted households)."""
    p = planting or Planting()
    rng = np.random.default_rng([seed, PLANT_STREAM])
    mon = monitored
    m = len(mon.households)
    ident, elim = mon.identified.copy(), mon.eliminated.copy()
    i_day = _days(mon.identified_on)
    e_day = _days(mon.eliminated_on)
    elim_text, mode = mon.eliminated_on.copy(), mon.mode.copy()
    income_cleared = mon.income_cleared.copy()
    causes, measures = mon.causes.copy(), mon.measures.copy()
    work = _labour(mon.households, members, labor_count)
    graded = mon.risk != ""  # the loader grades the blank ones by income and causes
    size = persons[mon.households]
    planted = np.zeros(m, dtype=bool)  # a household carries one planted problem at most

    # eliminated without labour: the elimination handed to households with labour
    dates = _Dates(ident, i_day, elim, e_day, elim_text, mode)
    cleared = (elim <= end) & graded
    kept = _sample(rng, np.flatnonzero(cleared & work.without_both), p.no_labour_kept)
    planted[kept] = True
    takers = (elim == NEVER) & graded & ~work.without_any
    movers = np.flatnonzero(cleared & work.without_any & ~planted)
    _hand_over(rng, dates, movers, takers, size, mon.risk == RED, mon.category)

    # eliminated within half a year: identified earlier, a few kept
    soon = np.flatnonzero(_too_soon(ident, i_day, elim, e_day))
    kept = _sample(rng, soon[~planted[soon]], p.too_soon_kept)
    planted[kept] = True
    mend = np.setdiff1d(soon, kept)
    start = end - IDENTIFICATION_MONTHS + 1
    gap = rng.choice(np.arange(HALF_YEAR, HALF_YEAR + 4), len(mend), p=[0.4, 0.3, 0.2, 0.1])
    ident[mend] = np.maximum(elim[mend] - gap, start)
    late = mend[elim[mend] - ident[mend] < gap]  # the window's first months: eliminated later
    elim[late] = ident[late] + gap[np.isin(mend, late)]
    e_day[late] = np.maximum(e_day[late], i_day[late])
    elim_text[late] = _date_text(np.minimum(elim[late], end), e_day[late])
    exact = mend[elim[mend] - ident[mend] == HALF_YEAR]
    i_day[exact] = np.minimum(i_day[exact], e_day[exact])
    ident_text = _date_text(ident, i_day).astype(object)

    # an elimination dated before the identification
    cleared = (elim <= end) & ~planted
    typo = _sample(rng, np.flatnonzero(cleared), p.before_identified)
    planted[typo] = True
    before = ident_text[typo].astype("datetime64[D]") - rng.integers(3, 60, len(typo))
    elim_text[typo] = np.datetime_as_string(before, unit="D").astype(object)

    # 帮扶消除 with the income still below the monitoring line
    pool = (elim <= end - 1) & (mode == ASSISTED) & graded & ~planted
    low = _sample(rng, np.flatnonzero(pool), p.assisted_below_line)
    planted[low] = True
    growth = 1 + 0.01 * (end - elim[low])  # the cleared income's growth up to ``end``
    income_cleared[low] = monitoring_line * rng.uniform(0.84, 0.95, len(low)) / growth

    # no measure a month after the identification
    pool = (elim == NEVER) & (ident <= end - 2) & ~planted
    bare = _sample(rng, np.flatnonzero(pool), p.no_measures)
    planted[bare] = True
    measures[bare] = ""

    # no risk cause
    blank = _sample(rng, np.flatnonzero(graded & ~planted), p.no_cause)
    planted[blank] = True
    causes[blank] = ""

    # with labour and no development measure: one added, a tenth kept
    lacking = np.array([m_ != "" and not _developed(m_) for m_ in measures.astype(str)], dtype=bool)
    lacking &= work.with_any
    kept = _sample(rng, np.flatnonzero(lacking & work.with_both & ~planted), p.development_kept)
    mend = np.setdiff1d(np.flatnonzero(lacking), kept)
    extra = rng.choice(len(DEVELOPMENT), len(mend), p=DEVELOPMENT_WEIGHTS)
    for i, e in zip(mend, extra, strict=True):
        first = str(causes[i]).split("、")[0]
        measures[i] = _with_measure(
            str(measures[i]), DEVELOPMENT_BY_CAUSE.get(first, DEVELOPMENT[e])
        )

    return dataclasses.replace(
        mon,
        identified=ident,
        eliminated=elim,
        income_cleared=income_cleared,
        causes=causes,
        measures=measures,
        mode=mode,
        identified_on=ident_text,
        eliminated_on=elim_text,
    )


def _developed(measures: str) -> bool:
    """Whether ``measures`` name a development measure, as the rules read them."""
    return any(d in measures for d in DEVELOPMENT_MEASURES)


def _with_measure(measures: str, measure: str) -> str:
    """``measures`` (1 to 3) with ``measure``: added, or in place of the last of three."""
    parts = measures.split("、")
    if measure in parts:
        return measures
    return "、".join([*parts[:2], measure] if len(parts) >= 3 else [*parts, measure])
