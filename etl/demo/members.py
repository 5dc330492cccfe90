"""The family members of the demo's households, as the national monitoring system lists them: the
head (户主, the household layout's head name and ID number) and ``persons - 1`` others, each with
a relation to the head, a birth date and sex that fit it, a name, an ID number (GB 11643, unique),
a health state, a labour skill and, at school ages, the school they attend.

A generator of its own (``[seed, MEMBER_STREAM]``), so that every other file and figure of the
demo stays as it was."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .monitoring import Monitored
from .names import FEMALE_GIVEN, MALE_GIVEN, SURNAMES, _person_names
from .parameters import COUNTY_CODE
from .personal_numbers import id_check_digits

MEMBER_STREAM = 11  # the members' generator: np.random.default_rng([seed, MEMBER_STREAM])
HEAD = "户主"
# relation -> sex (True: male, None: either)
RELATIONS: dict[str, bool | None] = {
    HEAD: None,
    "配偶": None,  # the other sex than the head's
    "之子": True,
    "之女": False,
    "之儿媳": False,
    "之孙子": True,
    "之孙女": False,
    "之父": True,
    "之母": False,
    "其他": None,
}
LABOUR_SKILLS = ("普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力")
IN_LABOUR = LABOUR_SKILLS[:3]  # the skills that count as labour (劳动力)
HEALTH_STATES = ("健康", "长期慢性病", "患有大病", "残疾")
# health by age band (under 16, 16-59, 60 and over): 健康, 长期慢性病, 患有大病, 残疾
HEALTH_BY_AGE = ((0.965, 0.01, 0.005, 0.02), (0.86, 0.08, 0.02, 0.04), (0.55, 0.33, 0.05, 0.07))
YEAR = 365.2425  # days
OLDEST = np.datetime64("1925-01-01")
PATRILINEAL = (
    "之子",
    "之女",
    "之孙子",
    "之孙女",
    "之父",
)  # nobody born before (the oldest about 100)


@dataclass
class Members:
    """One row per family member, grouped by household in household order, the head first."""

    household: np.ndarray  # row of the member's household in the population
    ordinal: np.ndarray  # 1 for the head, then 2, 3, ...
    relation: np.ndarray
    name: np.ndarray
    id_number: np.ndarray
    born: np.ndarray  # datetime64[D]
    male: np.ndarray
    health: np.ndarray
    labour: np.ndarray
    school: np.ndarray  # blank when not at school

    def __len__(self) -> int:
        return len(self.household)


def _days(years: float) -> float:
    return years * YEAR


def _family(
    persons: int, head_born: int, head_male: bool, ref: int, latest: int, u: np.ndarray
) -> list[tuple[str, int, bool]]:
    """(relation, birth day, male) of the household's members after the head, ``persons - 1`` of
    them: days are numpy day numbers, ``ref`` the reference day (ages), ``latest`` the last
    birth day allowed, ``u`` uniforms to draw from."""
    k = 0

    def draw() -> float:
        nonlocal k
        k += 1
        return float(u[k - 1])

    out: list[tuple[str, int, bool]] = []
    oldest = int((OLDEST - np.datetime64("1970-01-01")).astype(int))
    age = (ref - head_born) / YEAR

    def room() -> int:
        return persons - 1 - len(out)

    if room() and draw() < (0.93 if age < 70 else 0.75):  # a spouse, up to 6 years apart
        gap = _days(-2 + 8 * draw())
        born = head_born + (gap if head_male else -gap)
        born = int(min(max(born, oldest), ref - _days(20)))
        out.append(("配偶", born, not head_male))

    def children(first_gap: float, at_most: int) -> list[int]:
        """Children of the head's generation: born ``first_gap`` years after the head, then
        1.5-5 years apart, no later than ``latest``."""
        made: list[int] = []
        born = head_born + _days(first_gap)
        while room() and len(made) < at_most and born <= latest:
            male = draw() < 0.52
            out.append(("之子" if male else "之女", int(born), male))
            made.append(len(out) - 1)
            born += _days(1.5 + 3.5 * draw())
        return made

    def grandchildren(son_born: int) -> None:
        born = son_born + _days(22 + 8 * draw())
        while room() and born <= latest:
            male = draw() < 0.52
            out.append(("之孙子" if male else "之孙女", int(born), male))
            born += _days(1.5 + 4 * draw())

    def parents() -> None:
        father = head_born - _days(24 + 8 * draw())
        mother = head_born - _days(21 + 8 * draw())
        for relation, born, male in (("之父", father, True), ("之母", mother, False)):
            if room() and born >= max(oldest, ref - _days(96)) and draw() < 0.85:
                out.append((relation, int(born), male))

    three_generations = age >= 58 and room() >= 3 and draw() < 0.75
    if three_generations:  # a married son, his wife and their children
        son_born = head_born + _days(22 + 8 * draw())
        if son_born + _days(22) <= latest:
            out.append(("之子", int(son_born), True))
            wife = int(min(son_born + _days(-1 + 5 * draw()), ref - _days(20)))
            out.append(("之儿媳", wife, False))
            grandchildren(int(son_born))
        children(24 + 10 * draw(), 2)
    else:
        children(21 + 10 * draw(), 4 if age < 45 else 3)
        if age < 66:
            parents()
        children(21 + 10 * draw(), 2)
    while room():  # a relative living with them, about the head's age
        born = int(min(max(head_born + _days(-8 + 16 * draw()), oldest), latest))
        out.append(("其他", born, draw() < 0.5))
    return out


def _ages(born: np.ndarray, on: np.datetime64) -> np.ndarray:
    """Whole years of age on the day ``on``."""
    y = born.astype("datetime64[Y]").astype(int) + 1970
    md = (born - born.astype("datetime64[Y]")).astype(int)  # day of the year, 0-based
    on_y = int(on.astype("datetime64[Y]").astype(int)) + 1970
    on_md = int((on - on.astype("datetime64[Y]")).astype(int))
    return on_y - y - (md > on_md)


def _schools(rng: np.random.Generator, born: np.ndarray, on: np.datetime64) -> np.ndarray:
    """The school each member attends as of ``on``: ages counted on 31 August of the school year."""
    year = int(on.astype("datetime64[Y]").astype(int)) + 1970
    month = int(on.astype("datetime64[M]").astype(int)) % 12 + 1
    start = np.datetime64(f"{year if month >= 9 else year - 1}-08-31")
    a = _ages(born, start)
    u = rng.random(len(born))
    out = np.full(len(born), "", dtype=object)
    out[(a >= 3) & (a <= 5) & (u < 0.9)] = "学前教育"
    out[(a >= 6) & (a <= 11)] = "小学"
    for grade, text in ((12, "七年级"), (13, "八年级"), (14, "九年级")):
        out[a == grade] = text
    for grade, text in ((15, "普通高中一年级"), (16, "普通高中二年级"), (17, "普通高中三年级")):
        out[(a == grade) & (u < 0.62)] = text
    out[(a >= 15) & (a <= 17) & (u >= 0.62) & (u < 0.93)] = "中职"
    out[(a >= 18) & (a <= 20) & (u < 0.3)] = "大专"
    return out


def _health(
    rng: np.random.Generator, household: np.ndarray, age: np.ndarray, monitored: Monitored
) -> np.ndarray:
    """Health by age; a monitored household at risk through illness (因病) or disability (因残)
    has a member who is ill or disabled."""
    band = np.select([age < 16, age < 60], [0, 1], 2)
    cum = np.cumsum(np.asarray(HEALTH_BY_AGE), axis=1)[band]
    pick = (rng.random(len(age))[:, None] > cum).sum(axis=1).clip(0, len(HEALTH_STATES) - 1)
    health = np.asarray(HEALTH_STATES, dtype=object)[pick]
    starts = np.searchsorted(household, np.arange(household.max() + 2 if len(household) else 1))
    for cause, states in (("因病", ("患有大病", "长期慢性病")), ("因残", ("残疾",))):
        hit = monitored.households[np.char.find(monitored.causes.astype(str), cause) >= 0]
        u = rng.random((len(hit), 2))
        for h, (a, b) in zip(hit, u, strict=True):
            lo, hi = starts[h], starts[h + 1]
            if not np.isin(health[lo:hi], states).any():
                health[lo + int(a * (hi - lo))] = states[int(b * len(states))]
    return health


def _labour(
    rng: np.random.Generator,
    household: np.ndarray,
    age: np.ndarray,
    health: np.ndarray,
    school: np.ndarray,
    labor_count: np.ndarray,
    relocated: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """劳动技能 by age and health: (labour skill, health). A relocated household (whose labour
    counts in the figures of its site) has as many members in labour (``IN_LABOUR``) as its
    劳动力人数 where their ages allow it: the least fit of the others lose their labour (and
    their health with it), the fittest elderly lend a hand."""
    m = len(age)
    u = rng.random((m, 3))
    health = health.copy()
    ill = health != "健康"
    working = (age >= 16) & (age < 60) & (school == "")
    elderly = (age >= 60) & (age < 70)
    common, skilled, weak, lost, none = LABOUR_SKILLS
    fit = np.where(u[:, 1] < 0.25, skilled, common)
    out = np.full(m, none, dtype=object)
    chronic = health == "长期慢性病"
    out[working & ~ill] = fit[working & ~ill]
    out[working & chronic] = np.where(u[working & chronic, 1] < 0.3, common, weak)
    grave = working & ill & ~chronic
    out[grave] = np.where(u[grave, 1] < 0.4, weak, lost)
    old_hand = elderly & ~ill & (u[:, 1] < 0.6)
    out[old_hand] = weak
    # the relocated: as many in labour as 劳动力人数, the fittest first
    aged = age >= 70  # only where 劳动力人数 asks for more hands than the younger give
    score = (
        np.select(
            [
                working & ~ill,
                working & chronic,
                elderly & ~ill,
                working,
                elderly,
                aged & ~ill,
                aged,
            ],
            [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            10.0,
        )
        + u[:, 0]
    )
    starts = np.searchsorted(household, np.arange(len(labor_count) + 1))
    for h in np.flatnonzero(relocated):
        lo, hi = starts[h], starts[h + 1]
        rows = lo + np.argsort(score[lo:hi], kind="stable")
        able = rows[score[rows] < 10]
        want = min(int(labor_count[h]), len(able))
        for i in able[:want]:
            if out[i] not in IN_LABOUR:
                out[i] = fit[i] if working[i] and not ill[i] else weak
        for i in rows[want:]:
            if out[i] in IN_LABOUR:
                out[i] = lost if working[i] else none
                if working[i] and not ill[i]:
                    health[i] = "长期慢性病" if u[i, 2] < 0.6 else "残疾"
    return out, health


def _family_surnames(
    names: np.ndarray,
    household: np.ndarray,
    relation: np.ndarray,
    han: np.ndarray,
    head_male: np.ndarray,
) -> np.ndarray:
    """In a Han household the children and grandchildren carry the surname of the head, or of
    the head's husband when the head is a married woman; the head's father the head's."""
    out = names.copy()
    heads = np.flatnonzero(relation == HEAD)
    surname = np.array([str(names[i])[0] for i in heads], dtype=object)  # per household
    spouses = np.flatnonzero(relation == "配偶")
    husband = spouses[~head_male[household[spouses]]]
    child_surname = surname.copy()
    child_surname[household[husband]] = [str(names[i])[0] for i in husband]
    for i in np.flatnonzero(han[household] & np.isin(relation, list(PATRILINEAL))):
        h = household[i]
        given = str(names[i])[1:]
        out[i] = (surname[h] if relation[i] == "之父" else child_surname[h]) + given
    return out


def _distinct_names(
    rng: np.random.Generator,
    names: np.ndarray,
    household: np.ndarray,
    male: np.ndarray,
    han: np.ndarray,
) -> np.ndarray:
    """No two members of a household with the same name: a later one gets another given name
    (a Han member keeps the surname)."""
    out = names.copy()
    for _ in range(20):
        dup = pd.DataFrame({"h": household, "n": out}).duplicated().to_numpy()
        if not dup.any():
            break
        idx = np.flatnonzero(dup)
        fresh = _person_names(rng, len(idx), male[idx], ~han[idx])
        out[idx] = [
            str(out[i])[0] + str(f)[1:] if han[i] else f for i, f in zip(idx, fresh, strict=True)
        ]
    return out


def _member_id_numbers(
    rng: np.random.Generator, born: np.ndarray, male: np.ndarray, taken: np.ndarray
) -> np.ndarray:
    """ID numbers of the county with the members' birth dates and sexes, unique, none of
    ``taken`` (the heads') and none ending in 000 (which the loader warns of: cut by Excel?)."""
    n = len(born)
    day = (born - OLDEST).astype(np.int64)
    taken_days = (
        np.array([np.datetime64(f"{t[6:10]}-{t[10:12]}-{t[12:14]}") for t in taken]) - OLDEST
    ).astype(np.int64)
    taken_keys = taken_days * 1000 + np.array([int(t[14:17]) for t in taken], dtype=np.int64)
    births = np.char.replace(np.datetime_as_string(born, unit="D"), "-", "")
    head = np.char.add(COUNTY_CODE, births)
    seq = rng.integers(0, 500, n)
    while True:
        key = day * 1000 + seq * 2 + male
        _, first = np.unique(key, return_index=True)
        bad = np.ones(n, dtype=bool)
        bad[first] = False
        bad |= np.isin(key, taken_keys)
        bodies = np.char.add(head, np.char.zfill((seq * 2 + male).astype(str), 3))
        ids = np.char.add(bodies, id_check_digits(bodies))
        bad |= np.char.endswith(ids, "000")
        if not bad.any():
            return ids.astype(object)
        seq[bad] = rng.integers(0, 500, int(bad.sum()))


def _build_members(
    seed: int,
    persons: np.ndarray,
    head_name: np.ndarray,
    head_id: np.ndarray,
    labor_count: np.ndarray,
    relocated: np.ndarray,
    monitored: Monitored,
    reference: np.datetime64,
    latest: np.datetime64,
) -> Members:
    """The members of every household; ages as of ``reference`` (the last month's last day), no
    one born after ``latest`` (so that every snapshot lists the same people)."""
    rng = np.random.default_rng([seed, MEMBER_STREAM])
    n = len(persons)
    epoch = np.datetime64("1970-01-01")
    ref, last = int((reference - epoch).astype(int)), int((latest - epoch).astype(int))
    head_born = np.array(
        [np.datetime64(f"{t[6:10]}-{t[10:12]}-{t[12:14]}") for t in head_id], dtype="datetime64[D]"
    )
    head_days = (head_born - epoch).astype(np.int64)
    head_male = np.array([int(t[16]) % 2 == 1 for t in head_id])
    han_given = set(MALE_GIVEN) | set(FEMALE_GIVEN)
    surnames = set(SURNAMES)
    han = np.array([s[0] in surnames and s[1:] in han_given for s in head_name])
    uniforms = rng.random((n, 48))
    hh, rel, days, male = [], [], [], []
    for h in range(n):
        hh.append(h)
        rel.append(HEAD)
        days.append(int(head_days[h]))
        male.append(bool(head_male[h]))
        others = _family(
            int(persons[h]), int(head_days[h]), bool(head_male[h]), ref, last, uniforms[h]
        )
        for relation, born, is_male in others:
            hh.append(h)
            rel.append(relation)
            days.append(born)
            male.append(is_male)
    household = np.asarray(hh, dtype=np.int64)
    relation = np.asarray(rel, dtype=object)
    born = epoch + np.asarray(days, dtype="timedelta64[D]")
    is_male = np.asarray(male, dtype=bool)
    heads = relation == HEAD
    others = np.flatnonzero(~heads)
    names = np.empty(len(household), dtype=object)
    names[heads] = head_name
    names[others] = _person_names(rng, len(others), is_male[others], ~han[household[others]])
    names = _family_surnames(names, household, relation, han, head_male)
    names = _distinct_names(rng, names, household, is_male, han[household])
    ids = np.empty(len(household), dtype=object)
    ids[heads] = head_id
    ids[others] = _member_id_numbers(rng, born[others], is_male[others], head_id)
    age = _ages(born, reference)
    school = _schools(rng, born, reference)
    school[heads] = ""
    health = _health(rng, household, age, monitored)
    labour, health = _labour(rng, household, age, health, school, labor_count, relocated)
    ordinal = np.arange(len(household)) - np.searchsorted(household, household) + 1
    return Members(
        household=household,
        ordinal=ordinal,
        relation=relation,
        name=names,
        id_number=ids,
        born=born,
        male=is_male,
        health=health,
        labour=labour,
        school=school,
    )
