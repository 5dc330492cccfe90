"""The monitoring rules (``catalog``) and their evaluation over a month (``evaluate``)."""

from .catalog import RULES, RULES_BY_ID, SEVERITY_LABELS, Rule, Thresholds
from .evaluate import HIT_COLUMNS, Facts, evaluate, evaluate_month, facts

__all__ = [
    "HIT_COLUMNS",
    "RULES",
    "RULES_BY_ID",
    "SEVERITY_LABELS",
    "Facts",
    "Rule",
    "Thresholds",
    "evaluate",
    "evaluate_month",
    "facts",
]
