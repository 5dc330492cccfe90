"""Household snapshots: read, validate every row in one pass, and load all or nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from geodata import Store
from geodata.model import CHANNELS, ELIMINATION_MODES, check_month
from geodata.rules import computed_risk_level
from geodata.schema import HOUSEHOLD_COLUMNS

from .errors import Issue, LoadError, LoadReport
from .headers import HOUSEHOLD_HEADERS
from .readers import Table, read_table
from .validate import (
    check_id_numbers,
    clean,
    parse_dates,
    parse_float,
    parse_int,
    parse_month,
    parse_yes_no,
    split_multi,
)

REQUIRED = ["household_id", "head_name", "grid_code", "persons"]

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
TYPE_VALUES = {"脱贫户": "lifted", "lifted": "lifted", "一般户": "general", "一般农户": "general", "general": "general"}

Progress = Callable[[str, int, int], None]


class _Checker:
    """Collects issues column by column, with the row number as Excel shows it."""

    def __init__(self, table: Table):
        self.table = table
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.bad = np.zeros(len(table.frame), dtype=bool)
        self.reasons: dict[int, list[str]] = {}

    def raw(self, ident: str) -> pd.Series:
        col = self.table.column_of(ident)
        if col is None:
            return pd.Series("", index=self.table.frame.index, dtype=object)
        return self.table.frame[col].astype(str)

    def flag(self, ident: str, mask: pd.Series | np.ndarray, reason: str, warning: bool = False, column: str | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        header = column or self.table.column_of(ident) or HOUSEHOLD_HEADERS.get(ident, (ident,))[0]
        raw = self.raw(ident) if column is None else self.table.frame[column].astype(str)
        for i in np.flatnonzero(mask):
            issue = Issue(
                file=self.table.file,
                sheet=self.table.sheet,
                row=int(self.table.excel_rows.iloc[i]),
                column=header,
                field=ident,
                value=raw.iloc[i],
                reason=reason,
                severity="warning" if warning else "error",
            )
            if warning:
                self.warnings.append(issue)
            else:
                self.errors.append(issue)
                self.bad[i] = True
                self.reasons.setdefault(int(i), []).append(f"{header}: {reason}")


def validate_households(
    table: Table,
    *,
    month: str | None,
    grid_index: pd.DataFrame,
    site_codes: set[str],
    store: Store,
) -> tuple[pd.DataFrame, _Checker]:
    """Every row's problems, and the normalised rows (bad ones included, masked by checker.bad)."""
    ck = _Checker(table)
    n = len(table.frame)
    blank = pd.Series("", index=table.frame.index, dtype=object)
    c = {
        ident: clean(ck.raw(ident)) if table.column_of(ident) else blank
        for ident in HOUSEHOLD_HEADERS
    }
    out = pd.DataFrame(index=table.frame.index)

    # the snapshot month: --month, else 统计月份 per row
    if month:
        check_month(month)
        out["month"] = month
        if table.column_of("month"):
            months, bad = parse_month(c["month"])
            ck.flag("month", bad, "统计月份格式错误 (month: not a month)")
            ck.flag("month", ~bad & (months != "") & (months != month), f"统计月份与 --month {month} 不符 (month: differs from --month)")
    elif table.column_of("month"):
        months, bad = parse_month(c["month"])
        ck.flag("month", bad, "统计月份格式错误 (month: not a month)")
        ck.flag("month", c["month"] == "", "统计月份为空 (month: required)")
        out["month"] = months
    else:
        raise LoadError(
            table.file,
            [Issue(table.file, None, "统计月份", "month", None, "缺少统计月份: 请用 --month YYYY-MM 或提供统计月份列 (month: give --month or a 统计月份 column)", table.sheet)],
        )

    # identifiers and names
    out["household_id"] = c["household_id"]
    ck.flag("household_id", c["household_id"] == "", "户编号为空 (household_id: required)")
    dup = pd.DataFrame({"m": out["month"], "h": c["household_id"]}).duplicated(keep="first")
    ck.flag("household_id", dup & (c["household_id"] != ""), "户编号重复 (household_id: duplicate in this snapshot)")
    out["head_name"] = c["head_name"]
    ck.flag("head_name", c["head_name"] == "", "户主姓名为空 (head_name: required)")

    ids, bad_id, reason = check_id_numbers(c["id_number"])
    for text in reason[bad_id].unique():
        ck.flag("id_number", (reason == text).to_numpy() & bad_id.to_numpy(), text)
    old15 = (reason == "old15").to_numpy()
    ck.flag("id_number", old15, "15位旧证件号码, 已接受并标记 (id_number: old 15-digit number, flagged)", warning=True)
    out["id_number"] = ids.where(ids != "", None)
    out["id_flag"] = np.where(old15, "old15", None)

    # the grid, and the units above it
    grids = grid_index.set_index("grid_code")
    known = c["grid_code"].isin(grids.index)
    ck.flag("grid_code", c["grid_code"] == "", "网格编码为空 (grid_code: required)")
    ck.flag("grid_code", (c["grid_code"] != "") & ~known, "网格编码不存在, 请先加载网格 (grid_code: not a loaded grid)")
    out["grid_code"] = c["grid_code"]
    for col in ("village_code", "township_code", "county_code"):
        out[col] = c["grid_code"].map(grids[col]) if len(grids) else None

    persons, bad = parse_int(c["persons"])
    ck.flag("persons", bad, "家庭人口数应为整数 (persons: not an integer)")
    ck.flag("persons", c["persons"] == "", "家庭人口数为空 (persons: required)")
    ck.flag("persons", ~bad & persons.notna() & (persons < 1), "家庭人口数应不小于1 (persons: must be >= 1)")
    out["persons"] = persons

    htype = c["household_type"].map(TYPE_VALUES)
    ck.flag("household_type", (c["household_type"] != "") & htype.isna(), "户类型应为 脱贫户 或 一般户 (household_type: unknown)")
    out["household_type"] = htype

    category = c["category"].map(CATEGORY_VALUES)
    ck.flag("category", (c["category"] != "") & category.isna(), "监测对象类别应为 脱贫不稳定户/边缘易致贫户/突发严重困难户 (category: unknown)")
    out["category"] = category
    monitored = category.notna()

    # causes: one column, or 致贫返贫风险1 … 5
    cause_cols = [table.column_of(f"risk_cause_{i}") for i in range(1, 6)]
    causes = split_multi(c["risk_causes"])
    extra = [clean(table.frame[col].astype(str)) for col in cause_cols if col]
    if extra:
        joined = pd.concat([causes, *extra], axis=1).apply(lambda r: "、".join(x for x in r if x), axis=1)
        causes = split_multi(joined) if len(joined) else causes
    out["risk_causes"] = causes.where(causes != "", None)

    income, bad = parse_float(c["income_per_capita"])
    ck.flag("income_per_capita", bad, "家庭人均纯收入应为数字 (income_per_capita: not a number)")
    ck.flag("income_per_capita", ~bad & income.notna() & (income < 0), "家庭人均纯收入不能为负 (income_per_capita: must be >= 0)")
    out["income_per_capita"] = income

    risk = c["risk_level"].str.lower().map(RISK_VALUES)
    ck.flag("risk_level", (c["risk_level"] != "") & risk.isna(), "风险等级应为 蓝/黄/红 或 低/中/高 (risk_level: unknown)")
    computed = monitored & (c["risk_level"] == "")
    rule = computed_risk_level(category, income, out["risk_causes"], store.lines)
    out["risk_level"] = risk.where(~computed, rule).where(monitored | risk.notna(), None)
    out["risk_level_computed"] = computed

    identified, bad = parse_dates(c["identified_on"])
    ck.flag("identified_on", bad, "识别监测时间不是日期 (identified_on: not a date)")
    ck.flag("identified_on", monitored & (c["identified_on"] == ""), "监测对象缺少识别监测时间 (identified_on: required for a monitored household)")
    out["identified_on"] = identified

    channel = c["channel"]
    ck.flag("channel", (channel != "") & ~channel.isin(CHANNELS), "识别途径不在列表中 (channel: unknown)")
    out["channel"] = channel.where(channel != "", None)

    eliminated, bad = parse_yes_no(c["eliminated"])
    ck.flag("eliminated", bad, "风险是否已消除应为 是/否 (eliminated: yes/no)")
    out["eliminated"] = eliminated
    mode = c["elimination_mode"]
    ck.flag("elimination_mode", (mode != "") & ~mode.isin(ELIMINATION_MODES), "风险消除方式应为 帮扶消除 或 自然消除 (elimination_mode: unknown)")
    out["elimination_mode"] = mode.where(mode != "", None)
    elim_on, bad = parse_dates(c["eliminated_on"])
    ck.flag("eliminated_on", bad, "消除监测时间不是日期 (eliminated_on: not a date)")
    ck.flag("eliminated_on", eliminated & (c["eliminated_on"] == ""), "已消除风险但缺少消除监测时间 (eliminated_on: required when eliminated)")
    ck.flag("eliminated_on", (elim_on < identified).fillna(False), "消除监测时间早于识别监测时间 (eliminated_on: before identified_on)")
    ck.flag("eliminated", eliminated & ~monitored, "非监测对象不能标记风险已消除 (eliminated: household is not monitored)")
    out["eliminated_on"] = elim_on

    measures = split_multi(c["measures"])
    out["measures"] = measures.where(measures != "", None)

    relocated, bad = parse_yes_no(c["relocated"])
    ck.flag("relocated", bad, "是否易地搬迁户应为 是/否 (relocated: yes/no)")
    out["relocated"] = relocated
    site = c["site_code"]
    ck.flag("site_code", relocated & (site == ""), "易地搬迁户缺少安置点编码 (site_code: required when relocated)")
    if site_codes:
        ck.flag("site_code", (site != "") & ~site.isin(site_codes), "安置点编码不存在 (site_code: not a loaded site)", warning=True)
    out["site_code"] = site.where(site != "", None)

    labor, bad = parse_int(c["labor_count"])
    ck.flag("labor_count", bad, "劳动力人数应为整数 (labor_count: not an integer)")
    ck.flag("labor_count", ~bad & labor.notna() & (labor < 0), "劳动力人数不能为负 (labor_count: must be >= 0)")
    out["labor_count"] = labor
    employed, bad = parse_int(c["employed_count"])
    ck.flag("employed_count", bad, "务工就业人数应为整数 (employed_count: not an integer)")
    ck.flag("employed_count", ~bad & employed.notna() & (employed < 0), "务工就业人数不能为负 (employed_count: must be >= 0)")
    ck.flag("employed_count", (employed > persons).fillna(False), "务工就业人数多于家庭人口数 (employed_count: more than persons)")
    out["employed_count"] = employed

    for ident, lo, hi in (("lon", 73.0, 136.0), ("lat", 3.0, 54.0)):
        value, bad = parse_float(c[ident])
        ck.flag(ident, bad, f"{HOUSEHOLD_HEADERS[ident][0]}应为数字 ({ident}: not a number)")
        ck.flag(ident, ~bad & value.notna() & ((value < lo) | (value > hi)), f"{HOUSEHOLD_HEADERS[ident][0]}超出中国范围 ({ident}: outside China)")
        out[ident] = value

    assert len(out) == n
    return out[list(HOUSEHOLD_COLUMNS)], ck


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def reject_path(path: Path) -> Path:
    return path.with_name(f"{path.stem}.rejects.csv")


def write_rejects(table: Table, ck: _Checker, path: Path) -> Path:
    """The rejected rows unchanged, with their Excel row number and reasons, beside the input."""
    out = reject_path(path)
    rows = table.frame[ck.bad].copy()
    rows.insert(0, "行号 (row)", table.excel_rows[ck.bad].to_numpy())
    rows["错误原因 (reasons)"] = ["; ".join(ck.reasons[int(i)]) for i in np.flatnonzero(ck.bad)]
    rows.to_csv(out, index=False, encoding="utf-8-sig")
    return out


def load_households(
    store: Store,
    path: str | Path,
    *,
    month: str | None = None,
    sheet: str | None = None,
    skip_invalid: bool = False,
    progress: Progress | None = None,
    chunk_rows: int = 50_000,
) -> LoadReport:
    """Load one household file as monthly snapshot rows, upserted by (month, household_id).

    All or nothing: with any error nothing is written and LoadError lists every problem. With
    ``skip_invalid`` the valid rows load and the rejected rows go to ``<name>.rejects.csv``.
    """
    path = Path(path)
    table = read_table(path, HOUSEHOLD_HEADERS, REQUIRED, sheet=sheet)
    rows, ck = validate_households(
        table, month=month, grid_index=store.grid_index(), site_codes=store.site_codes(), store=store
    )
    report = LoadReport(file=str(path), kind="households", month=month, rows_read=len(rows))
    report.warnings = ck.warnings
    report.errors = ck.errors
    if ck.errors and not skip_invalid:
        raise LoadError(str(path), ck.errors)
    good = rows[~ck.bad]
    if ck.bad.any():
        report.reject_file = str(write_rejects(table, ck, path))
    months = sorted(set(good["month"]))
    if report.month is None and len(months) == 1:
        report.month = months[0]
    sha = _sha256(path)
    report.unchanged = store.already_loaded("households", sha, report.month)
    with store.write() as conn:
        fresh = {m: good[good["month"] == m] for m in months if not store.month_has_rows(conn, m)}
        done = 0
        for start in range(0, len(good), chunk_rows):
            part = good.iloc[start : start + chunk_rows]
            store.upsert_households(conn, part)
            done += len(part)
            if progress:
                progress("写入 writing", done, len(good))
        if progress:
            progress("计算指标 figures", 0, len(months))
        store.refresh_figures(conn, months, snapshots=fresh)
        store.record_load(
            conn,
            kind="households",
            path=str(path),
            sha256=sha,
            month=report.month,
            rows_read=len(rows),
            rows_loaded=len(good),
            rows_rejected=int(ck.bad.sum()),
        )
    report.rows_loaded = len(good)
    report.rows_rejected = int(ck.bad.sum())
    return report
