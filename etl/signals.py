"""Department warnings (部门预警数据): signals from a department's data, matched to households.

One row per signal (data contract §4): 证件号码 or 户编号 (at least one), 来源部门, 预警类型,
金额 (optional), 发生日期. Each row is matched to a household of the latest snapshot month, by its
household number, else by the household head's ID number. The ID number is used only to
match: the store keeps the household number. As every load: every problem of the file in one
pass, all or nothing, ``skip_invalid`` with a reject file beside the input, and the same file
twice changes nothing (a signal is keyed by household, department, signal and date).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geodata import Store
from geodata.model import DEPARTMENTS

from .bounds import SIGNAL_BOUNDS
from .errors import Issue, LoadError, LoadReport
from .headers import SIGNAL_HEADERS
from .households import Checker, _sha256, write_rejects
from .problem_sync import sync_in_load
from .readers import Table, read_table
from .validate import clean, parse_dates, parse_float

REQUIRED = ["department", "signal", "occurred_on"]
KEY = ["household_id", "department", "signal", "occurred_on"]
UNIT_COLUMNS = ["grid_code", "village_code", "township_code", "county_code"]


def _department(values: pd.Series) -> pd.Series:
    """The department's short name: 医保局 and 县医保局 are 医保; None if not one of the list."""
    names = values.str.replace(
        r"^.*?(医保|民政|残联|教育|住建|人社|应急|乡村振兴)(局|部门)?$", r"\1", regex=True
    )
    return names.where(names.isin(DEPARTMENTS), None)


def validate_signals(
    table: Table, keys: pd.DataFrame, month: str | None
) -> tuple[pd.DataFrame, Checker]:
    """Every row's problems, and the matched rows (bad ones included, masked by checker.bad).

    ``keys``: household_id, id_number and unit codes of the households to match against (the
    snapshot of ``month``)."""
    ck = Checker(table, SIGNAL_HEADERS)
    index = table.frame.index
    blank = pd.Series("", index=index, dtype="str")
    c = {
        ident: clean(ck.raw(ident)) if table.column_of(ident) else blank for ident in SIGNAL_HEADERS
    }
    where = f"{month} 月农户快照" if month else "农户数据"

    hid, idn = c["household_id"], c["id_number"]
    ids, bad_id, _ = ck.check_ids(idn, flag_old15=False)
    bad_id = pd.Series(bad_id, index=idn.index)
    neither = (hid == "") & (idn == "")
    ck.flag(
        "household_id" if table.column_of("household_id") else "id_number",
        neither,
        "证件号码和户编号至少填一项 (id_number / household_id: give at least one)",
    )

    known = keys.drop_duplicates("household_id").set_index("household_id")
    by_hid = hid.where(hid.isin(known.index), None)
    ck.flag(
        "household_id",
        (hid != "") & by_hid.isna(),
        f"户编号在{where}中不存在 (household_id: no such household in {month or 'the store'})",
    )
    heads = keys.dropna(subset=["id_number"])
    heads = heads.assign(id_number=heads["id_number"].str.upper())
    several = set(heads.loc[heads["id_number"].duplicated(keep=False), "id_number"])
    one_head = heads.drop_duplicates("id_number", keep=False).set_index("id_number")["household_id"]
    by_id = ids.map(one_head).where(~bad_id & (ids != ""), None)
    by_id = by_id.astype(object).where(by_id.notna(), None)
    ck.flag(
        "id_number",
        (hid == "") & (ids != "") & ~bad_id & by_id.isna() & ~ids.isin(several),
        f"证件号码未匹配到{where}中的户主 (id_number: matches no household head)",
    )
    ck.flag(
        "id_number",
        (hid == "") & ids.isin(several),
        "证件号码匹配到多户, 请填写户编号 (id_number: matches several households; give household_id)",
    )
    ck.flag(
        "id_number",
        by_hid.notna() & by_id.notna() & (by_hid != by_id),
        "证件号码与户编号不是同一户 (id_number: the head of another household)",
    )
    household = by_hid.where(by_hid.notna(), by_id)

    department = _department(c["department"])
    ck.flag("department", c["department"] == "", "来源部门为空 (department: required)")
    ck.flag(
        "department",
        (c["department"] != "") & department.isna(),
        f"来源部门应为 {'/'.join(DEPARTMENTS)} (department: unknown)",
    )
    ck.flag("signal", c["signal"] == "", "预警类型为空 (signal: required)")
    amount, bad = parse_float(c["amount"])
    ck.flag("amount", bad, "金额应为数字 (amount: not a number)")
    ck.flag("amount", ~bad & amount.notna() & (amount < 0), "金额不能为负 (amount: must be >= 0)")
    bound = SIGNAL_BOUNDS["amount"]
    ck.flag(
        "amount",
        (~bad & (amount > bound.high)).fillna(False),
        bound.reason(SIGNAL_HEADERS["amount"][0], "amount", " 元"),
    )
    occurred, bad = parse_dates(c["occurred_on"])
    ck.flag("occurred_on", bad, "发生日期不是日期 (occurred_on: not a date)")
    ck.flag("occurred_on", c["occurred_on"] == "", "发生日期为空 (occurred_on: required)")

    out = pd.DataFrame(
        {
            "household_id": household,
            "department": department,
            "signal": c["signal"],
            "occurred_on": occurred,
            "amount": amount,
        },
        index=index,
    )
    out["month"] = pd.to_datetime(out["occurred_on"]).dt.strftime("%Y-%m")
    units = known.reindex(out["household_id"].where(out["household_id"].notna(), ""))
    for col in UNIT_COLUMNS:
        out[col] = units[col].to_numpy()
    complete = out[KEY].notna().all(axis=1).to_numpy() & ~ck.bad
    dup = np.zeros(len(out), dtype=bool)
    dup[complete] = out.loc[complete, KEY].duplicated(keep="first").to_numpy()
    ck.flag(
        "signal", dup, "重复的预警: 同一户、部门、类型和日期已在前面的行中 (signal: duplicate row)"
    )
    return out, ck


def load_signals(
    store: Store, path: str | Path, *, sheet: str | None = None, skip_invalid: bool = False
) -> LoadReport:
    """Load a department warnings file; the warnings figures of the months it touches are updated."""
    path = Path(path)
    table = read_table(path, SIGNAL_HEADERS, REQUIRED, sheet=sheet)
    if not (table.column_of("household_id") or table.column_of("id_number")):
        raise LoadError(
            table.file,
            [
                Issue(
                    table.file,
                    None,
                    "证件号码 / 户编号",
                    "id_number",
                    None,
                    "缺少证件号码或户编号列 (id_number / household_id: one of them is required)",
                    table.sheet,
                )
            ],
        )
    snapshot_months = store.months()
    month = snapshot_months[-1] if snapshot_months else None
    if month is None:
        raise LoadError(
            table.file,
            [
                Issue(
                    table.file,
                    None,
                    None,
                    None,
                    None,
                    "尚未加载农户数据, 请先加载农户 (households: load them first)",
                )
            ],
        )

    def named(ident: str) -> pd.Series:
        column = table.column_of(ident)
        return clean(table.frame[column].astype(str)) if column else pd.Series([], dtype="str")

    # only the households this file may name are read (ID numbers as check_id_numbers gives them)
    keys = store.household_keys(
        month, named("household_id").tolist(), named("id_number").str.upper().tolist()
    )
    rows, ck = validate_signals(table, keys, month)
    report = LoadReport(file=str(path), kind="warnings", rows_read=len(rows))
    report.errors, report.warnings = ck.errors, ck.warnings
    if ck.errors and not skip_invalid:
        raise LoadError(str(path), ck.errors)
    good = rows[~ck.bad]
    if ck.bad.any():
        report.reject_file = str(write_rejects(table, ck, path))
    sha = _sha256(path)
    report.unchanged = store.already_loaded("warnings", sha, None)
    pending = good.loc[~good["month"].isin(snapshot_months), "month"].value_counts().sort_index()
    for m, n in pending.items():
        report.warnings.append(
            Issue(
                table.file,
                None,
                "发生日期",
                "occurred_on",
                m,
                f"{n} 条预警发生于 {m}, 该月尚无农户快照: 加载该月快照后计入统计 (occurred_on: counted once that month's snapshot is loaded)",
                table.sheet,
                "warning",
            )
        )
    with store.write(load=True) as conn:
        store.upsert_signals(conn, good)
        touched = sorted(set(good["month"]) & set(snapshot_months))
        if touched:
            store.refresh_warning_figures(conn, touched)
        ck.record_load(store, conn, report, kind="warnings", path=path, sha256=sha, month=None)
        sync_in_load(store, conn)  # the problem list commits with the load, or neither does
    return report
