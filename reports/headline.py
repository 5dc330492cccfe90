"""The headline figures, declared once: the unit pages' cards, the wall, the briefings and
``riskgrid stats`` all render this list.

Each ``Headline`` is one figure of a unit and month taken from ``Store.stats`` as stored:
``key`` (the ``data-key`` of a card), a Chinese ``label``, the ``value`` as text (``number`` and
``unit_word`` for a big figure on the wall), ``raw`` (the stored value, the ``data-value`` of a
card), a ``sub`` line and a ``tone`` (good, red, yellow, blue or plain). Adding a figure here
adds it to every view; a view picks the figures it has room for by key (``WALL``,
``BRIEFING_ROWS``), never by its own list.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from geodata.model import RISK_LABELS

from . import fmt


@dataclass(frozen=True)
class Headline:
    key: str
    label: str
    value: str
    raw: Any
    sub: str | None = None
    tone: str = ""
    number: str = ""  # the value without its unit word (the wall's big figure)
    unit_word: str = ""
    both: str | None = None  # households and persons in one text (the briefing's cards)


def _count(key: str, label: str, hp: dict[str, int], tone: str = "", sub: str | None = None):
    households = hp["households"]
    return Headline(
        key,
        label,
        fmt.households(households),
        households,
        fmt.persons(hp["persons"]) if sub is None and "persons" in hp else sub,
        tone,
        fmt.num(households),
        "户",
        fmt.hp(hp) if "persons" in hp else None,
    )


def _rate(key: str, label: str, rate: float | None, sub: str) -> Headline:
    text = fmt.pct(rate)
    return Headline(
        key, label, text, rate, sub, "good", text.rstrip("%"), "%" if rate is not None else ""
    )


def _monitored(s: dict[str, Any]) -> Headline:
    return _count("monitored_households", "监测对象户数", s["monitored"])


def _monitored_persons(s: dict[str, Any]) -> Headline:
    persons = s["monitored"]["persons"]
    text = fmt.persons(persons)
    return Headline(
        "monitored_persons", "监测对象人数", text, persons, None, "", fmt.num(persons), "人"
    )


def _clearance(by: str) -> Callable[[dict[str, Any]], Headline]:
    """The clearance rate in persons (its sub-line: eliminated persons and the rate in
    households) or in households."""

    def make(s: dict[str, Any]) -> Headline:
        rate, eliminated = s["clearance_rate"], s["eliminated"]
        sub = f"已消除 {fmt.households(eliminated['households'])}"
        if by == "persons":
            sub = (
                f"已消除 {fmt.persons(eliminated['persons'])} · 按户 {fmt.pct(rate['households'])}"
            )
        word = "人" if by == "persons" else "户"
        return _rate(f"clearance_rate_{by}", f"风险消除率（按{word}）", rate[by], sub)

    return make


def _open_all(s: dict[str, Any]) -> Headline:
    return _count("open_households", "未消除风险", s["open"])


def _open(level: str) -> Callable[[dict[str, Any]], Headline]:
    def make(s: dict[str, Any]) -> Headline:
        label = f"未消除 · {RISK_LABELS[level]}色风险"
        return _count(f"open_{level}_households", label, s["open_by_level"][level], level)

    return make


def _new(which: str, label: str, tone: str = "") -> Callable[[dict[str, Any]], Headline]:
    def make(s: dict[str, Any]) -> Headline:
        return _count(f"new_{which}_households", label, s["new_this_month"][which], tone)

    return make


def _below(which: str, label: str) -> Callable[[dict[str, Any]], Headline]:
    def make(s: dict[str, Any]) -> Headline:
        line = s["lines"][which]  # the lines the month was computed with
        return _count(
            f"below_{which}_households",
            f"{label}（{fmt.num(line)} 元）",
            s[f"below_{which}_line"],
            sub="",
        )

    return make


def _all(s: dict[str, Any]) -> Headline:
    return _count(
        "all_households",
        "农户总数",
        {"households": s["households"]},
        sub=f"{fmt.persons(s['persons'])} · {fmt.num(s.get('grids'))} 个网格",
    )


def _warned(s: dict[str, Any]) -> Headline:
    w = s["warnings"]
    return _count(
        "warned_households",
        "本月部门预警",
        {"households": w["households"]},
        sub=f"{fmt.num(w['signals'])} 条 · 未纳入监测 {fmt.households(w['unmonitored_households'])}",
    )


# every headline figure, in the order the unit pages show them
HEADLINES: tuple[tuple[str, Callable[[dict[str, Any]], Headline]], ...] = (
    ("monitored_households", _monitored),
    ("monitored_persons", _monitored_persons),
    ("clearance_rate_persons", _clearance("persons")),
    ("clearance_rate_households", _clearance("households")),
    ("open_households", _open_all),
    ("open_red_households", _open("red")),
    ("open_yellow_households", _open("yellow")),
    ("open_blue_households", _open("blue")),
    ("new_identified_households", _new("identified", "本月新识别")),
    ("new_eliminated_households", _new("eliminated", "本月消除风险", "good")),
    ("below_monitoring_households", _below("monitoring", "低于监测线")),
    ("below_observation_households", _below("observation", "低于观察线")),
    ("all_households", _all),
    ("warned_households", _warned),
)
KEYS = tuple(k for k, _ in HEADLINES)

# the wall: the figures read from across the room
WALL = (
    "monitored_households",
    "clearance_rate_persons",
    "open_red_households",
    "open_yellow_households",
    "open_blue_households",
    "new_identified_households",
    "new_eliminated_households",
)
# the briefing image: its rows of cards
BRIEFING_ROWS = (
    ("monitored_households", "open_households"),
    ("clearance_rate_persons", "clearance_rate_households"),
    ("open_red_households", "open_yellow_households", "open_blue_households"),
    ("new_identified_households", "new_eliminated_households"),
)


def headlines(stats: dict[str, Any], keys: Sequence[str] = KEYS) -> list[Headline]:
    """The headline figures ``keys`` of one unit and month, from its stored figures."""
    makers = dict(HEADLINES)
    unknown = [k for k in keys if k not in makers]
    if unknown:
        raise KeyError(f"not a headline figure: {', '.join(unknown)}")
    return [makers[k](stats) for k in keys]


def problem_headline(counts: dict[str, Any]) -> Headline:
    """未处理问题: the open problems of the problem list (``Store.problem_summary``) and, below,
    those overdue; the wall and the briefing show it beside the stored figures."""
    n, late = int(counts.get("open") or 0), int(counts.get("overdue") or 0)
    return Headline(
        "open_problems",
        "未处理问题",
        f"{fmt.num(n)} 条",
        n,
        f"逾期 {fmt.num(late)} 条",
        "red" if late else "",
        fmt.num(n),
        "条",
    )
