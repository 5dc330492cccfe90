"""The monitoring rules as data: identifier, Chinese title, a plain explanation, severity, the
fields each reads and the thresholds it uses (``Thresholds``, part of a month's policy).

The rules follow the national rules of dynamic monitoring (防止返贫动态监测和帮扶):
identification within 15 days of the first risk clue; help within about half a month, and at
least one development measure (产业 or 就业) for a household with labour; risk eliminated only
after stable income above the line, normally at least half a year after identification and with
at least one measure; a household with no labour capacity stays monitored under social
protection (兜底保障); every monitored household names a risk cause.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

ERROR, WARNING, NOTICE = "error", "warning", "notice"
SEVERITY_LABELS = {ERROR: "错误", WARNING: "提醒", NOTICE: "关注"}

# 劳动技能 of a member with labour capacity, and of one with none
LABOUR_SKILLS = ("普通劳动力", "技能劳动力")
NO_LABOUR_SKILLS = ("无劳动力", "丧失劳动力")
# the development (开发式) measure classes: 产业 and 就业
DEVELOPMENT_MEASURES = (
    "产业帮扶",
    "就业帮扶",
    "公益岗位",
    "公益性岗位",
    "务工补助",
    "务工补贴",
    "外出务工补贴",
    "技能培训",
    "小额信贷",
    "帮扶车间",
    "劳务输出",
    "产业奖补",
    "以工代赈",
)


@dataclass(frozen=True)
class Thresholds:
    """The rules' thresholds (a province may set its own for a year, as it sets its lines)."""

    elimination_months: int = 6  # 风险消除: at least half a year after identification
    measure_months: int = 1  # help follows within about half a month: checked after a month
    income_drop: float = 0.30  # an income per person more than 30 % below last month's
    signal_days: int = 15  # identification within 15 days of a department warning
    overdue_months: int = 1  # 逾期: an open problem still open this long after first seen

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    explanation: str
    severity: str
    fields: tuple[str, ...]
    thresholds: tuple[str, ...] = ()  # names of Thresholds fields (and the lines) it uses


RULES: tuple[Rule, ...] = (
    Rule(
        "unmonitored_below_line",
        "未纳入监测但收入低于监测线",
        "这户不是监测对象，但家庭人均纯收入低于当年监测线：应纳未纳，请入户核实是否纳入监测。",
        ERROR,
        ("category", "income_per_capita"),
        ("monitoring_line",),
    ),
    Rule(
        "unmonitored_below_observation",
        "未纳入监测且收入在观察线以下",
        "这户不是监测对象，收入不低于监测线但低于观察线：收入不稳，请关注是否存在返贫致贫风险。",
        NOTICE,
        ("category", "income_per_capita"),
        ("monitoring_line", "observation_line"),
    ),
    Rule(
        "assisted_elimination_below_line",
        "帮扶消除但收入仍低于监测线",
        "这户以帮扶消除方式标记风险已消除，但家庭人均纯收入仍低于监测线：消除依据不足，请核实。",
        ERROR,
        ("eliminated", "elimination_mode", "income_per_capita"),
        ("monitoring_line",),
    ),
    Rule(
        "eliminated_before_identified",
        "消除时间早于识别时间",
        "这户的风险消除时间早于识别监测时间：日期有误，请更正。",
        ERROR,
        ("identified_on", "eliminated_on"),
    ),
    Rule(
        "eliminated_too_soon",
        "识别不满半年即消除风险",
        "这户识别纳入监测后不满6个月就标记风险已消除：收入稳定须持续半年以上，请核实。",
        WARNING,
        ("identified_on", "eliminated_on"),
        ("elimination_months",),
    ),
    Rule(
        "eliminated_without_labour",
        "无劳动能力户标记风险已消除",
        "这户家中无人有劳动能力（均为无劳动力或丧失劳动力），却标记风险已消除：应继续监测并落实兜底保障。",
        ERROR,
        ("eliminated", "labor_skill", "labor_count"),
    ),
    Rule(
        "no_measures",
        "监测对象未落实帮扶措施",
        "这户识别纳入监测已满一个月仍未登记任何帮扶措施：帮扶应在半个月左右跟进。",
        ERROR,
        ("category", "eliminated", "identified_on", "measures"),
        ("measure_months",),
    ),
    Rule(
        "labour_without_development_measure",
        "有劳动力但无开发式帮扶措施",
        "这户家中有劳动力，登记了帮扶措施但没有产业或就业类措施：有劳动能力的监测户应至少有一项开发式帮扶。",
        WARNING,
        ("category", "labor_skill", "labor_count", "measures"),
    ),
    Rule(
        "no_cause",
        "监测对象未填风险类型",
        "这户是监测对象但没有填写任何致贫返贫风险类型：请补充风险类型。",
        WARNING,
        ("category", "risk_causes"),
    ),
    Rule(
        "income_drop",
        "人均纯收入较上月大幅下降",
        "这户的家庭人均纯收入比上一期快照下降超过30%：请入户了解原因，防止返贫。",
        NOTICE,
        ("income_per_capita",),
        ("income_drop",),
    ),
    Rule(
        "signal_not_identified",
        "部门预警超过15天未纳入监测",
        "这户有部门预警已超过15天，至今未纳入监测：识别应在15天内完成，请入户核实。",
        ERROR,
        ("category", "signals"),
        ("signal_days",),
    ),
)
RULES_BY_ID = {r.id: r for r in RULES}
