"""One rule for the causes of risk in every chart, card and table: the largest first, the top
``TOP_CAUSES``, and the rest summed in one bar labelled ``其余N类`` ("the other N kinds"), a
label that cannot be read as the cause 其他 ("other") that a file may name itself.

The counts are monitored households naming a cause; a household may name several, so the
remainder is a count of (household, cause) pairs, as every bar is.
"""

from __future__ import annotations

from dataclasses import dataclass

TOP_CAUSES = 8


@dataclass(frozen=True)
class CauseBar:
    label: str
    households: int
    remainder: bool = False  # the sum of the causes beyond the top ones
    kinds: int = 1  # how many causes the bar stands for


def remainder_label(kinds: int) -> str:
    return f"其余{kinds}类"


def top_causes(by_cause: dict[str, int], top: int = TOP_CAUSES) -> list[CauseBar]:
    """The bars of ``by_cause``: largest first (ties by name); when there are more than ``top``
    causes, the first ``top - 1`` and one remainder bar for the others."""
    items = sorted(((k, int(v)) for k, v in by_cause.items() if v), key=lambda kv: (-kv[1], kv[0]))
    if len(items) <= top:
        return [CauseBar(k, v) for k, v in items]
    head, rest = items[: top - 1], items[top - 1 :]
    bars = [CauseBar(k, v) for k, v in head]
    bars.append(CauseBar(remainder_label(len(rest)), sum(v for _, v in rest), True, len(rest)))
    return bars
