"""``riskgrid rules``: the monitoring rules and the thresholds of a month's policy; ``riskgrid rules
set|list|clear``: the thresholds of a year (and province), kept in the store."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from geodata.checks import RULES, SEVERITY_LABELS, Thresholds
from geodata.policy import THRESHOLD_FIELDS, THRESHOLD_LIMITS, Policy

from .cli_common import DbOption, _fail, _settings, console, open_store

rules_app = typer.Typer(
    help="监测规则 The monitoring rules; set, list or clear the thresholds of a year.",
    invoke_without_command=True,
)
YearOption = Annotated[int, typer.Option("--year", help="The year, e.g. 2026.")]
ProvinceOption = Annotated[
    str | None, typer.Option("--province", help="Province code, 2 digits (default: all).")
]


def threshold_text(name: str, value: float) -> str:
    """A threshold as people read it: 6 个月, 30%, 15 天."""
    if name == "income_drop":
        return f"{value * 100:g}%"
    return f"{value:g} {THRESHOLD_LIMITS[name][1]}"


def source_text(policy: Policy | None, name: str) -> str:
    """Where a threshold of ``policy`` came from: a stored row (year, province) or the default."""
    province = None if policy is None else policy.threshold_source(name)
    if province is None:
        return "默认 default"
    where = f"省 {province}" if province else "全部省份 every province"
    return f"已设置 stored ({policy.year} 年, {where})"


@rules_app.callback()
def rules(
    ctx: typer.Context,
    month: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: the latest).")] = None,
    db: DbOption = None,
) -> None:
    """列出监测规则 The monitoring rules and their thresholds under the month's policy."""
    if ctx.invoked_subcommand is not None:
        return
    store = open_store(_settings(db))
    month = month or store.latest_month()
    lines, policy = store.lines, None
    if month:
        with store.engine.connect() as conn:
            policy = store.policies(conn, [month])[month]
        lines = policy.lines
    t = policy.thresholds if policy is not None else Thresholds()
    values = {
        "monitoring_line": f"监测线 {lines.monitoring:,.0f} 元",
        "observation_line": f"观察线 {lines.observation:,.0f} 元",
        **{n: threshold_text(n, v) for n, v in t.as_dict().items()},
    }
    console.print(f"监测规则 rules ({month or '—'}):", highlight=False, markup=False)
    of = f"{policy.year} 年" if policy is not None else "默认 defaults"
    console.print(f"阈值 thresholds ({of}):", highlight=False, markup=False)
    for name in THRESHOLD_FIELDS:
        console.print(
            f"    {name}  {THRESHOLD_LIMITS[name][0]}  {values[name]}  {source_text(policy, name)}",
            highlight=False,
            markup=False,
        )
    for r in RULES:
        limits = "、".join(values[k] for k in r.thresholds) or "—"
        console.print(
            f"[bold]{r.id}[/bold]  {escape(r.title)}  [{SEVERITY_LABELS[r.severity]}]  "
            f"阈值 {escape(limits)}",
            highlight=False,
        )
        console.print(f"    {r.explanation}", highlight=False, markup=False)


@rules_app.command("set")
def rules_set(
    year: YearOption,
    province: ProvinceOption = None,
    elimination_months: Annotated[
        int | None,
        typer.Option(help="风险消除最短期限 Months from identification to elimination (1..36)."),
    ] = None,
    measure_months: Annotated[
        int | None, typer.Option(help="帮扶措施落实期限 Months until a measure is due (0..12).")
    ] = None,
    income_drop: Annotated[
        float | None,
        typer.Option(help="人均纯收入降幅 Income drop on last month that is flagged (0 < x < 1)."),
    ] = None,
    signal_days: Annotated[
        int | None, typer.Option(help="部门预警识别期限 Days to identify after a warning (1..90).")
    ] = None,
    overdue_months: Annotated[
        int | None,
        typer.Option(help="问题逾期期限 Months an open problem may stay open (1..12)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """设置某年的规则阈值 Set thresholds of a year; the others keep their value.

    The problem list is evaluated again under them."""
    store = open_store(_settings(db))
    given = {
        "elimination_months": elimination_months,
        "measure_months": measure_months,
        "income_drop": income_drop,
        "signal_days": signal_days,
        "overdue_months": overdue_months,
    }
    try:
        row = store.set_thresholds(year, province, **given)
    except ValueError as exc:
        _fail(str(exc))
        return
    where = f" 省 {province.strip()}" if province and province.strip() else " 全部省份"
    shown = ", ".join(f"{n} {threshold_text(n, v)}" for n, v in row.items())
    console.print(
        f"{year} 年{where} 阈值 thresholds: {shown}; 问题清单将按新阈值重新评估 "
        "(the problem list is evaluated again)",
        highlight=False,
        markup=False,
    )


@rules_app.command("list")
def rules_list(db: DbOption = None) -> None:
    """列出已设置的规则阈值 List the stored thresholds of each year, and the defaults."""
    store = open_store(_settings(db))
    table = Table("年份 year", "省 province", *THRESHOLD_FIELDS, "设置于 set (UTC)")
    for row in store.thresholds_table():
        table.add_row(
            str(row["year"]),
            row["province"] or "全部 all",
            *(
                "—" if row[n] is None else escape(threshold_text(n, row[n]))
                for n in THRESHOLD_FIELDS
            ),
            f"{row['set_at']:%Y-%m-%d %H:%M}",
        )
    console.print(table)
    defaults = ", ".join(f"{n} {threshold_text(n, v)}" for n, v in Thresholds().as_dict().items())
    console.print(
        f"未设置的阈值用默认值 thresholds not set use the defaults: {defaults}",
        highlight=False,
        markup=False,
    )


@rules_app.command("clear")
def rules_clear(year: YearOption, province: ProvinceOption = None, db: DbOption = None) -> None:
    """删除某年的规则阈值 Delete the stored thresholds of a year (they default again)."""
    store = open_store(_settings(db))
    try:
        gone = store.clear_thresholds(year, province)
    except ValueError as exc:
        _fail(str(exc))
        return
    where = f" 省 {province.strip()}" if province and province.strip() else " 全部省份"
    state = "已删除 cleared" if gone else "本无设置 nothing was stored"
    console.print(f"{year} 年{where} 阈值 thresholds: {state}", highlight=False, markup=False)
