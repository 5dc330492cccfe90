"""Column headers: Chinese or English, matched after trimming spaces and full-width characters."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

GRID_HEADERS: dict[str, tuple[str, ...]] = {
    "grid_code": ("网格编码", "网格代码"),
    "grid_name": ("网格名称",),
    "village_code": ("村编码", "社区编码", "村社区编码", "村(社区)编码"),
    "village_name": ("村名称", "社区名称", "村社区名称", "村(社区)名称"),
    "village_kind": ("村类型",),
    "township_code": ("乡镇编码",),
    "township_name": ("乡镇名称",),
    "county_code": ("县编码", "旗县编码"),
    "county_name": ("县名称", "旗县名称"),
    "city_name": ("市名称", "地市名称", "盟市名称", "州名称"),
    "province_name": ("省名称", "省份名称"),
    "grid_worker": ("网格员",),
    "worker_phone": ("联系电话", "网格员电话"),
}

HOUSEHOLD_HEADERS: dict[str, tuple[str, ...]] = {
    "month": ("统计月份",),
    "household_id": ("户编号",),
    "head_name": ("户主姓名",),
    "id_number": ("证件号码", "户主证件号码", "身份证号码"),
    "grid_code": ("网格编码",),
    # the place by name (national export) or village code: when a row has no 网格编码
    "county_name": ("县(市、区、旗)", "县(市、区)", "县名称", "旗县名称", "县"),
    "township_name": ("乡(镇)", "乡(镇、街道)", "乡镇名称", "乡镇", "乡镇(街道)", "乡"),
    "village_name": ("行政村", "村名称", "行政村名称", "村(社区)名称", "村(社区)", "村"),
    "village_code": ("村编码", "行政村编码", "村(社区)编码", "社区编码"),
    "persons": ("家庭人口数",),
    "household_type": ("户类型",),
    "category": ("监测对象类别",),
    "risk_level": ("风险等级",),
    "risk_causes": ("风险类型",),
    "income_per_capita": ("家庭人均纯收入", "人均纯收入(元)", "人均纯收入", "家庭人均纯收入(元)"),
    "identified_on": ("识别监测时间",),
    "channel": ("识别途径",),
    "eliminated": ("风险是否已消除",),
    "elimination_mode": ("风险消除方式",),
    "eliminated_on": ("消除监测时间",),
    "measures": ("帮扶措施",),
    "relocated": ("是否易地搬迁户",),
    "site_code": ("安置点编码",),
    "labor_count": ("劳动力人数",),
    # 其中务工 under 劳动力人数 in a two-row header joins to 劳动力人数其中务工
    "employed_count": ("务工就业人数", "劳动力人数其中务工", "劳动力人数其中:务工", "其中务工人数"),
    "lon": ("经度",),
    "lat": ("纬度",),
    # the national export's member rows (one row per family member, etl.members)
    "person_id": ("人编号", "成员编号"),
    "member_name": ("姓名", "成员姓名"),
    "relation": ("与户主关系",),
    "sex": ("性别",),
    "birth_date": ("出生日期",),
    "labor_skill": ("劳动技能",),
    "health": ("健康状况",),
    "schooling": ("在校生状况",),
    "employed": ("是否务工", "是否已务工", "是否务工人员"),
}
# the fields of a member row (the others of HOUSEHOLD_HEADERS are the household's)
MEMBER_FIELDS: tuple[str, ...] = (
    "person_id",
    "member_name",
    "relation",
    "sex",
    "birth_date",
    "labor_skill",
    "health",
    "schooling",
    "employed",
)
# 致贫返贫风险1 … 致贫返贫风险5 (or 致贫/返贫风险1 …): up to five cause columns
CAUSE_COLUMN_RE = re.compile(r"^致贫/?返贫风险([1-5])$|^risk_cause_?([1-5])$")

SIGNAL_HEADERS: dict[str, tuple[str, ...]] = {
    "id_number": ("证件号码", "身份证号码", "户主证件号码"),
    "household_id": ("户编号",),
    "department": ("来源部门",),
    "signal": ("预警类型",),
    "amount": ("金额",),
    "occurred_on": ("发生日期",),
}

SITE_HEADERS: dict[str, tuple[str, ...]] = {
    "site_code": ("安置点编码",),
    "site_name": ("安置点名称",),
    "township_code": ("乡镇编码",),
    "lon": ("经度",),
    "lat": ("纬度",),
    "households": ("安置户数",),
    "persons": ("安置人数",),
    "workshops": ("帮扶车间数",),
    "public_jobs": ("公益性岗位数",),
}


def normalize_header(text: object) -> str:
    """NFKC (full-width to half-width), no spaces of any kind, lower case for English."""
    s = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    s = re.sub(r"\s+", "", s)
    return s.lower()


def header_lookup(spec: dict[str, tuple[str, ...]]) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for ident, names in spec.items():
        lookup[normalize_header(ident)] = ident
        for name in names:
            lookup[normalize_header(name)] = ident
    return lookup


def map_headers(headers: Sequence[object], spec: dict[str, tuple[str, ...]]) -> dict[int, str]:
    """Column position -> identifier, for the headers that name a field of ``spec``."""
    lookup = header_lookup(spec)
    out: dict[int, str] = {}
    seen: set[str] = set()
    for i, h in enumerate(headers):
        key = normalize_header(h)
        ident = lookup.get(key)
        if ident is None:
            m = CAUSE_COLUMN_RE.match(key)
            if m and spec is HOUSEHOLD_HEADERS:
                ident = f"risk_cause_{m.group(1) or m.group(2)}"
        if ident and ident not in seen:
            out[i] = ident
            seen.add(ident)
    return out


def find_header_row(
    rows: Iterable[Sequence[object]],
    spec: dict[str, tuple[str, ...]],
    required: Iterable[str],
    max_rows: int = 15,
) -> int | None:
    """Index of the first row, among the first ``max_rows``, holding all required headers.

    Exports of the national system carry a title row or two above the header row.
    """
    required = set(required)
    for i, row in enumerate(rows):
        if i >= max_rows:
            break
        if required <= set(map_headers(row, spec).values()):
            return i
    return None
