"""Household snapshots: read, validate every row in one pass, and load all or nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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


class Checker:
    """Collects issues column by column, with the row number as Excel shows it."""

    def __init__(self, table: Table, headers: dict[str, tuple[str, ...]] = HOUSEHOLD_HEADERS):
        self.table = table
        self.headers = headers
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.bad = np.zeros(len(table.frame), dtype=bool)
        self.reasons: dict[int, list[str]] = {}
        self._raw: dict[str | None, pd.Series] = {}
        self._excel_rows: np.ndarray | None = None

    def raw(self, ident: str) -> pd.Series:
        col = self.table.column_of(ident)
        if col is None:
            return pd.Series("", index=self.table.frame.index, dtype=object)
        return self._column(col)

    def _column(self, col: str) -> pd.Series:
        if col not in self._raw:
            self._raw[col] = self.table.frame[col].astype(str)
        return self._raw[col]

    def flag(self, ident: str, mask: pd.Series | np.ndarray, reason: str, warning: bool = False, column: str | None = None) -> None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        header = column or self.table.column_of(ident) or self.headers.get(ident, (ident,))[0]
        raw = self.raw(ident) if column is None else self._column(column)
        rows = np.flatnonzero(mask)
        if self._excel_rows is None:
            self._excel_rows = self.table.excel_rows.to_numpy()
        excel_rows = self._excel_rows[rows].tolist()
        values = raw.take(rows).tolist()
        severity = "warning" if warning else "error"
        issues = [
            Issue(
                file=self.table.file,
                sheet=self.table.sheet,
                row=int(row),
                column=header,
                field=ident,
                value=value,
                reason=reason,
                severity=severity,
            )
            for row, value in zip(excel_rows, values, strict=True)
        ]
        if warning:
            self.warnings.extend(issues)
            return
        self.errors.extend(issues)
        self.bad[rows] = True
        text = f"{header}: {reason}"
        for i in rows.tolist():
            self.reasons.setdefault(i, []).append(text)


def _map_values(values: pd.Series, mapping: dict[str, str]) -> pd.Series:
    """``values.map(mapping)``, looked up once per distinct value."""
    codes, uniques = pd.factorize(values)
    if len(uniques) * 4 > len(values) or (codes < 0).any():
        return values.map(mapping)
    mapped = pd.Series(uniques, dtype=values.dtype).map(mapping)
    out = mapped.take(codes)
    out.index = values.index
    out.name = values.name
    return out


def _repeat(value: str, index: pd.Index) -> pd.Series:
    """A text column holding ``value`` in every row, as assigning the scalar makes it."""
    one = pa.array([value], type=pa.large_string())
    repeated = one.take(pa.array(np.zeros(len(index), dtype=np.int64)))
    return pd.Series(pd.arrays.ArrowStringArray(repeated, dtype=pd.StringDtype("pyarrow", na_value=np.nan)), index=index)


def _duplicated(values: pd.Series) -> pd.Series:
    """``values.duplicated(keep="first")``; a column of distinct text is told by pyarrow at once."""
    array = values.array
    if isinstance(array, pd.arrays.ArrowStringArray):
        arrow = array.__arrow_array__()
        if not arrow.null_count and len(pc.unique(arrow)) == len(arrow):
            return pd.Series(np.zeros(len(values), dtype=bool), index=values.index)
    return values.duplicated(keep="first")


def _none_if_blank(values: pd.Series, absent: bool = False) -> pd.Series:
    """``values.where(values != "", None)``: for text held by pyarrow, done by pyarrow.
    ``absent``: the file has no such column, so every cell is missing (as None)."""
    if absent:
        return pd.Series(np.full(len(values), None, dtype=object), index=values.index)
    array = values.array
    if isinstance(array, pd.arrays.ArrowStringArray) and values.dtype.na_value is not pd.NA:
        arrow = array.__arrow_array__()
        if not arrow.null_count:
            blank = pc.equal(arrow, "")
            if not pc.any(blank).as_py():
                return values
            kept = pc.if_else(blank, pa.scalar(None, arrow.type), arrow)
            return pd.Series(pd.arrays.ArrowStringArray(kept, dtype=values.dtype), index=values.index, name=values.name)
    return values.where(values != "", None)


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

    # the snapshot month: --month, else 统计月份 per row
    if month:
        check_month(month)
        out["month"] = _repeat(month, out.index)
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
    if month:  # one month for every row: a repeated household_id is a repeated key
        dup = _duplicated(c["household_id"])
    else:
        dup = pd.DataFrame({"m": out["month"], "h": c["household_id"]}).duplicated(keep="first")
    ck.flag("household_id", dup & (c["household_id"] != ""), "户编号重复 (household_id: duplicate in this snapshot)")
    out["head_name"] = c["head_name"]
    ck.flag("head_name", c["head_name"] == "", "户主姓名为空 (head_name: required)")

    ids, bad_id, reason = check_id_numbers(c["id_number"])
    for text in reason[bad_id].unique():
        ck.flag("id_number", (reason == text).to_numpy() & bad_id.to_numpy(), text)
    old15 = (reason == "old15").to_numpy()
    ck.flag("id_number", old15, "15位旧证件号码, 已接受并标记 (id_number: old 15-digit number, flagged)", warning=True)
    out["id_number"] = _none_if_blank(ids, absent=not table.column_of("id_number"))
    out["id_flag"] = np.where(old15, "old15", None)

    # the grid, and the units above it
    grids = grid_index.set_index("grid_code")
    known = c["grid_code"].isin(grids.index)
    ck.flag("grid_code", c["grid_code"] == "", "网格编码为空 (grid_code: required)")
    ck.flag("grid_code", (c["grid_code"] != "") & ~known, "网格编码不存在, 请先加载网格 (grid_code: not a loaded grid)")
    out["grid_code"] = c["grid_code"]
    codes, uniques = pd.factorize(c["grid_code"])
    units_of = grids.reindex(uniques) if len(grids) and not (codes < 0).any() and grids.index.is_unique else None
    for col in ("village_code", "township_code", "county_code"):
        if not len(grids):
            out[col] = None
        elif units_of is None:
            out[col] = c["grid_code"].map(grids[col])
        else:  # the same as .map(grids[col]), looked up once per grid
            out[col] = pd.Series(units_of[col].take(codes).array, index=out.index, name=c["grid_code"].name)

    persons, bad = parse_int(c["persons"])
    ck.flag("persons", bad, "家庭人口数应为整数 (persons: not an integer)")
    ck.flag("persons", c["persons"] == "", "家庭人口数为空 (persons: required)")
    ck.flag("persons", ~bad & persons.notna() & (persons < 1), "家庭人口数应不小于1 (persons: must be >= 1)")
    out["persons"] = persons

    htype = _map_values(c["household_type"], TYPE_VALUES)
    ck.flag("household_type", (c["household_type"] != "") & htype.isna(), "户类型应为 脱贫户 或 一般户 (household_type: unknown)")
    out["household_type"] = htype

    category = _map_values(c["category"], CATEGORY_VALUES)
    ck.flag("category", (c["category"] != "") & category.isna(), "监测对象类别应为 脱贫不稳定户/边缘易致贫户/突发严重困难户 (category: unknown)")
    out["category"] = category
    monitored = category.notna()

    # causes: one column, or 致贫返贫风险1 … 5
    cause_cols = [table.column_of(f"risk_cause_{i}") for i in range(1, 6)]
    causes = split_multi(c["risk_causes"])
    extra = [clean(table.frame[col].astype(str)) for col in cause_cols if col]
    if extra:
        causes = _join_causes(causes, extra)
    out["risk_causes"] = _none_if_blank(causes, absent=not table.column_of("risk_causes") and not extra)

    income, bad = parse_float(c["income_per_capita"])
    ck.flag("income_per_capita", bad, "家庭人均纯收入应为数字 (income_per_capita: not a number)")
    ck.flag("income_per_capita", ~bad & income.notna() & (income < 0), "家庭人均纯收入不能为负 (income_per_capita: must be >= 0)")
    out["income_per_capita"] = income

    risk = _map_values(c["risk_level"].str.lower(), RISK_VALUES)
    ck.flag("risk_level", (c["risk_level"] != "") & risk.isna(), "风险等级应为 蓝/黄/红 或 低/中/高 (risk_level: unknown)")
    computed = monitored & (c["risk_level"] == "")
    # the rule grades each household on its own and counts only for monitored ones
    rule = pd.Series(np.full(n, None, dtype=object), index=table.frame.index)
    if monitored.any():
        graded = computed_risk_level(category[monitored], income[monitored], out["risk_causes"][monitored], store.lines)
        rule.iloc[np.flatnonzero(monitored.to_numpy())] = graded.to_numpy(dtype=object)
    out["risk_level"] = risk.where(~computed, rule).where(monitored | risk.notna(), None)
    out["risk_level_computed"] = computed

    identified, bad = parse_dates(c["identified_on"])
    ck.flag("identified_on", bad, "识别监测时间不是日期 (identified_on: not a date)")
    ck.flag("identified_on", monitored & (c["identified_on"] == ""), "监测对象缺少识别监测时间 (identified_on: required for a monitored household)")
    out["identified_on"] = identified

    channel = c["channel"]
    ck.flag("channel", (channel != "") & ~channel.isin(CHANNELS), "识别途径不在列表中 (channel: unknown)")
    out["channel"] = _none_if_blank(channel, absent=not table.column_of("channel"))

    eliminated, bad = parse_yes_no(c["eliminated"])
    ck.flag("eliminated", bad, "风险是否已消除应为 是/否 (eliminated: yes/no)")
    out["eliminated"] = eliminated
    mode = c["elimination_mode"]
    ck.flag("elimination_mode", (mode != "") & ~mode.isin(ELIMINATION_MODES), "风险消除方式应为 帮扶消除 或 自然消除 (elimination_mode: unknown)")
    out["elimination_mode"] = _none_if_blank(mode, absent=not table.column_of("elimination_mode"))
    elim_on, bad = parse_dates(c["eliminated_on"])
    ck.flag("eliminated_on", bad, "消除监测时间不是日期 (eliminated_on: not a date)")
    ck.flag("eliminated_on", eliminated & (c["eliminated_on"] == ""), "已消除风险但缺少消除监测时间 (eliminated_on: required when eliminated)")
    ck.flag("eliminated_on", (elim_on < identified).fillna(False), "消除监测时间早于识别监测时间 (eliminated_on: before identified_on)")
    ck.flag("eliminated", eliminated & ~monitored, "非监测对象不能标记风险已消除 (eliminated: household is not monitored)")
    out["eliminated_on"] = elim_on

    measures = split_multi(c["measures"])
    out["measures"] = _none_if_blank(measures, absent=not table.column_of("measures"))

    relocated, bad = parse_yes_no(c["relocated"])
    ck.flag("relocated", bad, "是否易地搬迁户应为 是/否 (relocated: yes/no)")
    out["relocated"] = relocated
    site = c["site_code"]
    ck.flag("site_code", relocated & (site == ""), "易地搬迁户缺少安置点编码 (site_code: required when relocated)")
    if site_codes:
        ck.flag("site_code", (site != "") & ~site.isin(site_codes), "安置点编码不存在 (site_code: not a loaded site)", warning=True)
    out["site_code"] = _none_if_blank(site, absent=not table.column_of("site_code"))

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


EXCEL_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")


def reject_path(path: Path) -> Path:
    """``NAME.rejects.xlsx`` beside an Excel file (the user opens it where they opened the input),
    ``NAME.rejects.csv`` beside any other."""
    suffix = ".xlsx" if path.suffix.lower() in EXCEL_SUFFIXES else ".csv"
    return path.with_name(f"{path.stem}.rejects{suffix}")


def write_rejects(table: Table, ck: Checker, path: Path) -> Path:
    """The rejected rows unchanged, with their Excel row number and reasons, beside the input.
    Cells are written as the text read from the input, so that nothing is reformatted."""
    out = reject_path(path)
    rows = table.frame[ck.bad].copy()
    rows.insert(0, "行号 (row)", table.excel_rows[ck.bad].to_numpy())
    rows["错误原因 (reasons)"] = ["; ".join(ck.reasons[int(i)]) for i in np.flatnonzero(ck.bad)]
    if out.suffix == ".xlsx":
        rows.to_excel(out, index=False, sheet_name=(table.sheet or "rejects")[:31], engine="openpyxl")
    else:
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
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="riskgrid-sha256") as pool:
        sha_future = pool.submit(_sha256, path)  # hashing releases the GIL: done while reading
        table = read_table(path, HOUSEHOLD_HEADERS, REQUIRED, sheet=sheet)
        rows, ck = validate_households(
            table, month=month, grid_index=store.grid_index(), site_codes=store.site_codes(), store=store
        )
        sha = sha_future.result()
    report = LoadReport(file=str(path), kind="households", month=month, rows_read=len(rows))
    report.warnings = ck.warnings
    report.errors = ck.errors
    if ck.errors and not skip_invalid:
        raise LoadError(str(path), ck.errors)
    good = rows[~ck.bad] if ck.bad.any() else rows
    if ck.bad.any():
        report.reject_file = str(write_rejects(table, ck, path))
    months = sorted(set(good["month"].unique()))
    if report.month is None and len(months) == 1:
        report.month = months[0]
    report.unchanged = store.already_loaded("households", sha, report.month)
    with store.write(load=True) as conn:
        fresh = {
            m: good if len(months) == 1 else good[good["month"] == m]
            for m in months
            if not store.month_has_rows(conn, m)
        }

        def write_rows(sending: Callable[[], None]) -> None:
            # rows of months not loaded before are plain inserts (keys are distinct: checked)
            store.upsert_households(
                conn,
                good,
                new=len(fresh) == len(months),
                chunk_rows=chunk_rows,
                progress=(lambda done: progress("写入 writing", done, len(good))) if progress else None,
                sending=sending,
            )
            if progress:
                progress("计算指标 figures", 0, len(months))

        # the figures of the new months are computed while the rows are written
        written = {m: good if len(months) == 1 else good[good["month"] == m] for m in months if m not in fresh}
        store.refresh_figures(conn, months, snapshots=fresh, alongside=write_rows, written=written)
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
