"""``riskgrid timeliness``: 时效, how fast a unit identifies and helps households at risk and the
share of its problems fixed, through a month (the figures: ``geodata.timeliness``)."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from geodata.timeliness_store import store_timeliness

from .cli_common import DbOption, _settings, console, open_store, unit_and_month


def days_text(value: int | None) -> str:
    return "—" if value is None else f"{value:,} 天"


def share_text(value: float | None) -> str:
    """A share as a percentage with one decimal (99.6%); — when there is none."""
    return "—" if value is None else f"{value * 100:.1f}%"


def timeliness(
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit code (default: the county).")
    ] = None,
    month: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: the latest).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = None,
) -> None:
    """时效 Days from a department warning to identification and from identification to the
    first measure (median, 90th percentile), and the share of problems fixed, through a month."""
    store = open_store(_settings(db))
    target, month = unit_and_month(store, unit, month)
    store.sync_problems()  # the problem list up to the latest month, as riskgrid check has it
    figures = store_timeliness(store, target, month)
    if as_json:
        sys.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
        return
    print_timeliness(figures)


def print_timeliness(figures: dict[str, Any]) -> None:
    unit = figures["unit"]
    table = RichTable(
        title=escape(
            f"{unit['name']} ({unit['code']}) {figures['month']} 时效 timeliness "
            f"({figures['since']} 至 {figures['through']} 识别 identified {figures['identified']:,} 户)"
        ),
        title_justify="left",
    )
    columns = (
        "环节 (interval)",
        "户数 (n)",
        "中位数 (median)",
        "90%分位 (p90)",
        f"{figures['national_days']}天内 (≤{figures['national_days']} d)",
        "待帮扶 (pending)",
    )
    for col in columns:
        table.add_column(col, justify="left" if col == columns[0] else "right")
    rows = (
        ("预警→识别 (warning→identified)", figures["signal_to_identification"]),
        ("识别→首次帮扶 (identified→measure)", figures["identification_to_measure"]),
    )
    for label, f in rows:
        table.add_row(
            label,
            f"{f['n']:,}",
            days_text(f["median"]),
            days_text(f["p90"]),
            f"{f['within_15']:,} ({share_text(f['within_15_share'])})",
            f"{f['pending']:,}" if "pending" in f else "",
        )
    console.print(table)
    p = figures["problems"]
    console.print(
        f"问题整改 (problems fixed): 发现 found {p['found']:,}，已整改 fixed {p['fixed']:,}，"
        f"已排除 dismissed {p['dismissed']:,}，未处理 open {p['open']:,}，"
        f"整改率 fixed share {share_text(p['fixed_share'])} (已整改 / (发现 − 已排除))",
        highlight=False,
        markup=False,
    )
    console.print(
        "百分位: numpy linear, 四舍五入到整天 (percentiles: linear, whole days rounded half up)",
        highlight=False,
        markup=False,
    )
