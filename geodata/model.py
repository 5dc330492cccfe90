"""The domain's vocabulary: levels, categories, risk levels, causes and their Chinese labels."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

# province (2-digit code) > city (4) > county (6) > township (9) > village or community (12) > grid
LEVELS: tuple[str, ...] = ("province", "city", "county", "township", "village", "grid")
LEVEL_LABELS: dict[str, str] = {
    "province": "省",
    "city": "市",
    "county": "县",
    "township": "乡镇",
    "village": "村",
    "grid": "网格",
}
CHILD_LEVEL: dict[str, str] = dict(zip(LEVELS[:-1], LEVELS[1:], strict=True))
# the levels above the county: derived from the county codes of the grid layer
UPPER_LEVELS: dict[str, int] = {"province": 2, "city": 4}
# the levels whose code every household and signal row stores (the others follow from the county)
RECORD_LEVELS: tuple[str, ...] = ("county", "township", "village", "grid")

CATEGORIES: tuple[str, ...] = ("unstable", "marginal", "sudden")
CATEGORY_LABELS: dict[str, str] = {
    "unstable": "脱贫不稳定户",
    "marginal": "边缘易致贫户",
    "sudden": "突发严重困难户",
}
HOUSEHOLD_TYPES: dict[str, str] = {"lifted": "脱贫户", "general": "一般户"}

RISK_LEVELS: tuple[str, ...] = ("blue", "yellow", "red")  # low to high
RISK_LABELS: dict[str, str] = {"blue": "蓝", "yellow": "黄", "red": "红", "none": "无"}
RISK_RANK: dict[str, int] = {"none": 0, "blue": 1, "yellow": 2, "red": 3}
RISK_COLORS: dict[str, str] = {
    "none": "#d9d9d9",
    "blue": "#2f6fd6",
    "yellow": "#f2c12e",
    "red": "#d62f2f",
}

CAUSES: tuple[str, ...] = (
    "因病",
    "因残",
    "因学",
    "因灾",
    "因意外事故",
    "因务工就业不稳",
    "因产业项目失败",
    "缺劳动力",
    "住房安全",
    "饮水安全",
    "刚性支出较大",
    "其他",
)
CHANNELS: tuple[str, ...] = ("农户自主申报", "干部走访排查", "部门筛查预警", "舆情信访研判", "其他")
ELIMINATION_MODES: tuple[str, ...] = ("帮扶消除", "自然消除")
# 部门预警: the departments whose data raises warnings about households (data contract §4)
DEPARTMENTS: tuple[str, ...] = (
    "医保",
    "民政",
    "残联",
    "教育",
    "住建",
    "人社",
    "应急",
    "乡村振兴",
    "其他",
)
MEASURES: tuple[str, ...] = (
    "产业帮扶",
    "就业帮扶",
    "公益性岗位",
    "帮扶车间",
    "小额信贷",
    "低保",
    "特困供养",
    "临时救助",
    "医疗救助",
    "教育帮扶",
    "社会帮扶",
    "防贫保险",
)
VILLAGE_KINDS: tuple[str, ...] = ("村", "嘎查", "社区")
# a village-level unit that is an urban community (社区, 居委会): its level word is 社区, not 村
COMMUNITY_KINDS: tuple[str, ...] = ("社区", "居委会")
COMMUNITY_WORD = "社区"

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class Lines:
    """Income lines, yuan per person per year: configuration, they change by province and year."""

    monitoring: float = 7100.0
    observation: float = 8122.0


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    level: str
    parent_code: str | None
    county_code: str | None
    township_code: str | None
    village_code: str | None
    kind: str | None = None
    province_code: str | None = None
    city_code: str | None = None

    @property
    def level_label(self) -> str:
        """The word of its level: 社区 for a village-level urban community, else LEVEL_LABELS."""
        return level_word(self.level, self.kind, self.name)

    @property
    def is_community(self) -> bool:
        return self.level == "village" and is_community(self.kind, self.name)


def is_community(kind: str | None, name: str | None = None) -> bool:
    """Whether a village-level unit is an urban community: its kind (村类型) says 社区 or 居委会;
    with no kind stored, its name ends with one of them (绰尔社区, 向阳居委会)."""
    if kind:
        return kind.strip() in COMMUNITY_KINDS
    return bool(name) and name.strip().endswith(COMMUNITY_KINDS)  # type: ignore[union-attr]


def level_word(level: str, kind: str | None = None, name: str | None = None) -> str:
    """The level word shown for one unit: 社区 for a community at village level, else 村, 乡镇..."""
    if level == "village" and is_community(kind, name):
        return COMMUNITY_WORD
    return LEVEL_LABELS[level]


def children_level_word(level: str, units: Iterable[Mapping[str, Any] | Unit] = ()) -> str:
    """The level word of a set of units of ``level`` (a ranking of a township's children): 村
    or 社区 when all are one kind, 村（社区） when villages and communities are mixed."""
    if level != "village":
        return LEVEL_LABELS[level]
    words = set()
    for u in units:
        get = u.get if isinstance(u, Mapping) else lambda k, u=u: getattr(u, k, None)
        words.add(level_word(level, get("kind"), get("name")))
    if words == {COMMUNITY_WORD}:
        return COMMUNITY_WORD
    if COMMUNITY_WORD in words:
        return f"{LEVEL_LABELS[level]}（{COMMUNITY_WORD}）"
    return LEVEL_LABELS[level]


def level_of_code(code: str) -> str | None:
    """The level a code names by its shape alone (grid codes are free text)."""
    if re.fullmatch(r"\d{2}", code):
        return "province"
    if re.fullmatch(r"\d{4}", code):
        return "city"
    if re.fullmatch(r"\d{6}", code):
        return "county"
    if re.fullmatch(r"\d{9}", code):
        return "township"
    if re.fullmatch(r"\d{12}", code):
        return "village"
    return None


def upper_codes(county_code: str | None) -> dict[str, str | None]:
    """The province and city codes of a county (152223 -> 15, 1522); None for a county code
    that is not six digits (no level above it)."""
    ok = bool(county_code) and re.fullmatch(r"\d{6}", county_code or "") is not None
    return {f"{lv}_code": county_code[:n] if ok else None for lv, n in UPPER_LEVELS.items()}  # type: ignore[index]


def check_month(month: str) -> str:
    if not MONTH_RE.match(month):
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    return month


def mask_id_number(value: str | None) -> str | None:
    """Show the first 6 and the last 4 characters: 152223********1234."""
    if not value:
        return value
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_name(value: str | None) -> str | None:
    """郑俊青 -> 郑*青, 王蕾 -> 王*."""
    if not value:
        return value
    if len(value) == 1:
        return "*"
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_phone(value: str | None) -> str | None:
    """13812345678 -> 138****5678."""
    if not value:
        return value
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
