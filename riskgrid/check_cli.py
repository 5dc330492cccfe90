"""``riskgrid check``: the rule hits (问题清单) of a unit and month (the rules: ``rules_cli``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.markup import escape
from rich.table import Table as RichTable

from geodata.checks import RULES, RULES_BY_ID, SEVERITY_LABELS
from geodata.checks.run import check_month
from geodata.records.problem_counts import months_between
from geodata.records.problems import OPEN
from reports.problem_list import problem_rows, xlsx_bytes

from .cli_common import DbOption, _fail, _settings, console, open_store, unit_and_month

ERROR_EXIT = 3  # an open 错误-severity problem: for a script after each monthly load


def check(
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit code (default: the county).")
    ] = None,
    month: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: the latest).")] = None,
    rule: Annotated[
        list[str] | None, typer.Option("--rule", help="Only this rule (repeatable).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    out: Annotated[Path | None, typer.Option("--out", help="Write the list as FILE.xlsx.")] = None,
    db: DbOption = None,
) -> None:
    """检查监测规则 The problems the monitoring rules find in a unit and month (exit 3 when an
    error-severity problem is open)."""
    store = open_store(_settings(db))
    unknown = [r for r in rule or [] if r not in RULES_BY_ID]
    if unknown:
        _fail(f"没有该规则 (no such rule): {', '.join(unknown)}; riskgrid rules 列出所有规则")
    target, month = unit_and_month(store, unit, month)
    hits = _problems(store, month, target, tuple(rule) if rule else None)
    problems = [
        {
            "rule": r.rule,
            "household_id": r.household_id,
            "grid_code": r.grid_code,
            "severity": r.severity,
            "status": r.status,
            "first_seen": r.first_seen,
            "evidence": r.evidence,
        }
        for r in hits.itertuples(index=False)
    ]
    counts = hits.groupby("rule").size().to_dict() if len(hits) else {}
    late_after = store.overdue_months(month)
    opened = [p for p in problems if p["status"] in OPEN]
    overdue = sum(months_between(p["first_seen"], month) >= late_after for p in opened)
    if out is not None:
        names = {r["code"]: r for r in store.units_frame().to_dict("records")}
        rows = problem_rows(hits.to_dict("records"), month, names)
        out.write_bytes(xlsx_bytes(rows))
    if as_json:
        body = {
            "unit": {"code": target.code, "name": target.name, "level": target.level},
            "month": month,
            "counts": {r.id: int(counts.get(r.id, 0)) for r in RULES},
            "open": len(opened),
            "overdue": overdue,
            "problems": problems,
        }
        sys.stdout.write(json.dumps(body, ensure_ascii=False, indent=2, default=str) + "\n")
    else:
        table = RichTable(
            title=escape(f"{target.name} ({target.code}) {month} 问题清单 problems"),
            title_justify="left",
        )
        for col in ("规则 rule", "级别 severity", "户数 households"):
            table.add_column(col, justify="right" if "户" in col else "left")
        for r in RULES:
            n = int(counts.get(r.id, 0))
            if n:
                table.add_row(escape(f"{r.title} {r.id}"), SEVERITY_LABELS[r.severity], f"{n:,}")
        table.add_row("合计 total", "", f"{len(problems):,}")
        console.print(table)
        console.print(
            f"未处理 open {len(opened):,} 条，逾期 overdue {overdue:,} 条"
            f"（首次发现 {late_after} 个月后仍未处理）",
            highlight=False,
        )
        if out is not None:
            console.print(f"已写入 written: {escape(str(out))}", highlight=False)
    if any(p["severity"] == "error" and p["status"] in OPEN for p in problems):
        raise typer.Exit(ERROR_EXIT)


def _problems(store, month: str, unit, rules: tuple[str, ...] | None) -> pd.DataFrame:
    """The problems of ``unit`` in ``month`` with their status and first month: from the problem
    list for the latest month (brought up to date), else the month's rule hits with the status
    the list gives them now (待核实 for a hit it does not hold)."""
    if month == store.sync_problems():
        frame = store.problems_frame(unit, month=month)
    else:
        frame = check_month(store, month, unit)
        listed = store.problems_frame(unit).set_index(["rule", "household_id"])
        keys = list(zip(frame["rule"], frame["household_id"], strict=True))
        frame["status"] = [listed["status"].get(k, "new") for k in keys]
        frame["first_seen"] = [min(listed["first_seen"].get(k, month), month) for k in keys]
    if rules is not None:
        frame = frame[frame["rule"].isin(rules)]
    return frame.reset_index(drop=True)
