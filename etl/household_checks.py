"""Household rows checked in one pass: every problem of every row, and the rows normalised."""

from __future__ import annotations

from collections.abc import Collection

import numpy as np
import pandas as pd

from geodata import Store
from geodata.model import CHANNELS, ELIMINATION_MODES, check_month
from geodata.rules import computed_risk_level
from geodata.schema import HOUSEHOLD_COLUMNS

from .bounds import HOUSEHOLD_BOUNDS, long_reason, too_long
from .checker import Checker
from .errors import Issue, LoadError
from .headers import HOUSEHOLD_HEADERS
from .places import resolve_places
from .readers import Table
from .text_columns import duplicated, map_values, none_if_blank, repeat_text
from .validate import (
    clean,
    parse_dates,
    parse_float,
    parse_int,
    parse_month,
    parse_yes_no,
    split_multi,
)

CATEGORY_VALUES = {
    "脱贫不稳定户": "unstable",
    "脱贫不稳定": "unstable",
    "unstable": "unstable",
    "边缘易致贫户": "marginal",
    "边缘易致贫": "marginal",
    "marginal": "marginal",
    "突发严重困难户": "sudden",
    "突发严重困难": "sudden",
    "sudden": "sudden",
}
RISK_VALUES = {
    "蓝": "blue",
    "蓝色": "blue",
    "低": "blue",
    "低风险": "blue",
    "blue": "blue",
    "黄": "yellow",
    "黄色": "yellow",
    "中": "yellow",
    "中风险": "yellow",
    "yellow": "yellow",
    "红": "red",
    "红色": "red",
    "高": "red",
    "高风险": "red",
    "red": "red",
}
TYPE_VALUES = {
    "脱贫户": "lifted",
    "lifted": "lifted",
    "一般户": "general",
    "一般农户": "general",
    "general": "general",
}


def _join_causes(causes: pd.Series, extra: list[pd.Series]) -> pd.Series:
    """The cause column and the 致贫返贫风险1 … 5 columns as one 、-separated list per row:
    each row's non-empty parts joined by 、 and split again. A row with no extra cause keeps its
    cause column as it is (splitting it again changes nothing), so only the others are joined."""
    if not len(causes):
        return causes
    has_extra = np.zeros(len(causes), dtype=bool)
    for e in extra:
        has_extra |= (e != "").to_numpy(dtype=bool)
    values = causes.to_numpy(dtype=object, copy=True)
    rows = np.flatnonzero(has_extra)
    if len(rows):
        parts = [p.to_numpy(dtype=object)[rows] for p in (causes, *extra)]
        joined = ["、".join(x for x in r if x) for r in zip(*parts, strict=True)]
        values[rows] = split_multi(pd.Series(joined, dtype="str")).to_numpy(dtype=object)
    return pd.Series(values, index=causes.index, dtype="str")


def validate_households(
    table: Table,
    *,
    month: str | None,
    grid_index: pd.DataFrame,
    site_codes: set[str],
    store: Store,
) -> tuple[pd.DataFrame, Checker]:
    """Every row's problems, and the normalised rows (bad ones included, masked by checker.bad)."""
    ck = Checker(table)
    n = len(table.frame)
    blank = pd.Series("", index=table.frame.index, dtype="str")
    c = {
        ident: clean(ck.raw(ident)) if table.column_of(ident) else blank
        for ident in HOUSEHOLD_HEADERS
    }
    out = pd.DataFrame(index=table.frame.index)

    # kinds of fields: checked the same way
    def implausible(ident: str, value: pd.Series, above: pd.Series, unit: str = "") -> None:
        """A number above its plausible bound (``etl.bounds``): an error."""
        reason = HOUSEHOLD_BOUNDS[ident].reason(HOUSEHOLD_HEADERS[ident][0], ident, unit)
        ck.flag(ident, pd.Series(above, index=value.index).fillna(False), reason)

    def coded(ident: str, mapping: dict[str, str], reason: str) -> pd.Series:
        """A field whose filled cells must be keys of ``mapping``: the values they map to."""
        values = map_values(c[ident], mapping)
        ck.flag(ident, (c[ident] != "") & values.isna(), reason)
        out[ident] = values
        return values

    def one_of(ident: str, allowed: Collection[str], reason: str) -> None:
        """A text field whose filled cells must be in ``allowed``; blank cells are None."""
        values = c[ident]
        ck.flag(ident, (values != "") & ~values.isin(allowed), reason)
        out[ident] = none_if_blank(values, absent=not table.column_of(ident))

    def dated(ident: str, required: pd.Series, missing: str) -> pd.Series:
        """A date field's dates; the reason ``missing`` where it is ``required`` but blank."""
        value, bad = parse_dates(c[ident])
        ck.flag(ident, bad, f"{HOUSEHOLD_HEADERS[ident][0]}不是日期 ({ident}: not a date)")
        ck.flag(ident, required & (c[ident] == ""), missing)
        return value

    # the snapshot month: --month, else 统计月份 per row
    if month:
        check_month(month)
        out["month"] = repeat_text(month, out.index)
        if table.column_of("month"):
            months, bad = parse_month(c["month"])
            ck.flag("month", bad, "统计月份格式错误 (month: not a month)")
            ck.flag(
                "month",
                ~bad & (months != "") & (months != month),
                f"统计月份与 --month {month} 不符 (month: differs from --month)",
            )
    elif table.column_of("month"):
        months, bad = parse_month(c["month"])
        ck.flag("month", bad, "统计月份格式错误 (month: not a month)")
        ck.flag("month", c["month"] == "", "统计月份为空 (month: required)")
        out["month"] = months
    else:
        raise LoadError(
            table.file,
            [
                Issue(
                    table.file,
                    None,
                    "统计月份",
                    "month",
                    None,
                    "缺少统计月份: 请用 --month YYYY-MM 或提供统计月份列 (month: give --month or a 统计月份 column)",
                    table.sheet,
                )
            ],
        )

    # identifiers and names
    out["household_id"] = c["household_id"]
    ck.flag("household_id", c["household_id"] == "", "户编号为空 (household_id: required)")
    if month:  # one month for every row: a repeated household_id is a repeated key
        dup = duplicated(c["household_id"])
    else:
        dup = pd.DataFrame({"m": out["month"], "h": c["household_id"]}).duplicated(keep="first")
    ck.flag(
        "household_id",
        dup & (c["household_id"] != ""),
        "户编号重复 (household_id: duplicate in this snapshot)",
    )
    ck.flag(
        "household_id",
        too_long(c["household_id"]),
        long_reason(HOUSEHOLD_HEADERS["household_id"][0], "household_id"),
    )
    out["head_name"] = c["head_name"]
    ck.flag("head_name", c["head_name"] == "", "户主姓名为空 (head_name: required)")

    ids, _, old15 = ck.check_ids(c["id_number"])
    out["id_number"] = none_if_blank(ids, absent=not table.column_of("id_number"))
    out["id_flag"] = np.where(old15, "old15", None)

    # the grid, and the units above it: the file's grid, village code or names, or the
    # stored grid assignment (etl.places)
    places = resolve_places(table, c, ck, grid_index, store)
    for col in ("grid_code", "village_code", "township_code", "county_code"):
        out[col] = places[col]

    persons, bad = parse_int(c["persons"])
    ck.flag("persons", bad, "家庭人口数应为整数 (persons: not an integer)")
    ck.flag("persons", c["persons"] == "", "家庭人口数为空 (persons: required)")
    ck.flag(
        "persons",
        ~bad & persons.notna() & (persons < 1),
        "家庭人口数应不小于1 (persons: must be >= 1)",
    )
    implausible("persons", persons, ~bad & (persons > HOUSEHOLD_BOUNDS["persons"].high))
    out["persons"] = persons

    coded("household_type", TYPE_VALUES, "户类型应为 脱贫户 或 一般户 (household_type: unknown)")
    category = coded(
        "category",
        CATEGORY_VALUES,
        "监测对象类别应为 脱贫不稳定户/边缘易致贫户/突发严重困难户 (category: unknown)",
    )
    monitored = category.notna()

    # causes: one column, or 致贫返贫风险1 … 5
    cause_cols = [table.column_of(f"risk_cause_{i}") for i in range(1, 6)]
    causes = split_multi(c["risk_causes"])
    extra = [clean(table.frame[col].astype(str)) for col in cause_cols if col]
    if extra:
        causes = _join_causes(causes, extra)
    out["risk_causes"] = none_if_blank(
        causes, absent=not table.column_of("risk_causes") and not extra
    )

    income, bad = parse_float(c["income_per_capita"])
    ck.flag("income_per_capita", bad, "家庭人均纯收入应为数字 (income_per_capita: not a number)")
    ck.flag(
        "income_per_capita",
        ~bad & income.notna() & (income < 0),
        "家庭人均纯收入不能为负 (income_per_capita: must be >= 0)",
    )
    implausible(
        "income_per_capita",
        income,
        ~bad & (income > HOUSEHOLD_BOUNDS["income_per_capita"].high),
        " 元",
    )
    out["income_per_capita"] = income

    risk = map_values(c["risk_level"].str.lower(), RISK_VALUES)
    ck.flag(
        "risk_level",
        (c["risk_level"] != "") & risk.isna(),
        "风险等级应为 蓝/黄/红 或 低/中/高 (risk_level: unknown)",
    )
    computed = monitored & (c["risk_level"] == "")
    # the rule grades each household on its own and counts only for monitored ones
    rule = pd.Series(np.full(n, None, dtype=object), index=table.frame.index)
    if monitored.any():
        graded = computed_risk_level(
            category[monitored], income[monitored], out["risk_causes"][monitored], store.lines
        )
        rule.iloc[np.flatnonzero(monitored.to_numpy())] = graded.to_numpy(dtype=object)
    out["risk_level"] = risk.where(~computed, rule).where(monitored | risk.notna(), None)
    out["risk_level_computed"] = computed

    identified = dated(
        "identified_on",
        monitored,
        "监测对象缺少识别监测时间 (identified_on: required for a monitored household)",
    )
    out["identified_on"] = identified

    one_of("channel", CHANNELS, "识别途径不在列表中 (channel: unknown)")

    eliminated, bad = parse_yes_no(c["eliminated"])
    ck.flag("eliminated", bad, "风险是否已消除应为 是/否 (eliminated: yes/no)")
    out["eliminated"] = eliminated
    one_of(
        "elimination_mode",
        ELIMINATION_MODES,
        "风险消除方式应为 帮扶消除 或 自然消除 (elimination_mode: unknown)",
    )
    elim_on = dated(
        "eliminated_on",
        eliminated,
        "已消除风险但缺少消除监测时间 (eliminated_on: required when eliminated)",
    )
    ck.flag(
        "eliminated_on",
        (elim_on < identified).fillna(False),
        "消除监测时间早于识别监测时间, 已加载并列入问题清单 (eliminated_on: before identified_on; "
        "loaded, and listed by the rule eliminated_before_identified)",
        warning=True,
    )
    ck.flag(
        "eliminated",
        eliminated & ~monitored,
        "非监测对象不能标记风险已消除 (eliminated: household is not monitored)",
    )
    out["eliminated_on"] = elim_on

    measures = split_multi(c["measures"])
    out["measures"] = none_if_blank(measures, absent=not table.column_of("measures"))

    relocated, bad = parse_yes_no(c["relocated"])
    ck.flag("relocated", bad, "是否易地搬迁户应为 是/否 (relocated: yes/no)")
    out["relocated"] = relocated
    site = c["site_code"]
    ck.flag(
        "site_code",
        relocated & (site == ""),
        "易地搬迁户缺少安置点编码 (site_code: required when relocated)",
    )
    if site_codes:
        ck.flag(
            "site_code",
            (site != "") & ~site.isin(site_codes),
            "安置点编码不存在 (site_code: not a loaded site)",
            warning=True,
        )
    out["site_code"] = none_if_blank(site, absent=not table.column_of("site_code"))

    counts: dict[str, pd.Series] = {}
    for ident in ("labor_count", "employed_count"):
        label = HOUSEHOLD_HEADERS[ident][0]
        value, bad = parse_int(c[ident])
        ck.flag(ident, bad, f"{label}应为整数 ({ident}: not an integer)")
        ck.flag(
            ident, ~bad & value.notna() & (value < 0), f"{label}不能为负 ({ident}: must be >= 0)"
        )
        implausible(ident, value, ~bad & (value > HOUSEHOLD_BOUNDS[ident].high))
        out[ident] = counts[ident] = value
    ck.flag(
        "employed_count",
        (counts["employed_count"] > persons).fillna(False),
        "务工就业人数多于家庭人口数 (employed_count: more than persons)",
    )

    for ident, lo, hi in (("lon", 73.0, 136.0), ("lat", 3.0, 54.0)):
        value, bad = parse_float(c[ident])
        ck.flag(ident, bad, f"{HOUSEHOLD_HEADERS[ident][0]}应为数字 ({ident}: not a number)")
        ck.flag(
            ident,
            ~bad & value.notna() & ((value < lo) | (value > hi)),
            f"{HOUSEHOLD_HEADERS[ident][0]}超出中国范围 ({ident}: outside China)",
        )
        out[ident] = value

    assert len(out) == n
    return out[list(HOUSEHOLD_COLUMNS)], ck
