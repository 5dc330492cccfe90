"""``riskgrid stats``: the figures of one unit and month, as a table or as JSON."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from geodata import StoreError
from geodata.model import CATEGORY_LABELS, LEVEL_LABELS, RISK_LABELS
from reports.causes import top_causes
from reports.fmt import pct
from reports.headline import headlines

from .cli_common import DbOption, _fail, _settings, console, open_store


def print_stats(stats: dict[str, Any]) -> None:
    """The figures of ``Store.stats`` as a table: the headline figures first, then the rest."""
    unit = stats["unit"]
    # names come from the loaded files: shown as text, never as Rich markup
    title = escape(
        f"{unit['name']} ({LEVEL_LABELS[unit['level']]} {unit['code']}) {stats['month']}"
    )
    if stats.get("demo"):
        title += "  [演示数据 demo data]"
    table = RichTable(title=title, show_header=False, title_justify="left")
    table.add_column("指标")
    table.add_column("值", justify="right")
    # the headline figures, as every view shows them (reports.headline), then the rest
    for h in headlines(stats):
        value = h.both or h.value
        if h.sub and not h.both:
            value += f"  ({h.sub})"
        table.add_row(escape(f"{h.label} {h.key}"), escape(value))
    hp = lambda d: f"{d['households']:,} 户 / {d['persons']:,} 人"  # noqa: E731
    table.add_row("网格 grids", f"{stats['grids']:,}")
    if unit["level"] != "grid" and "unassigned" in stats:
        table.add_row("未分配网格 unassigned", hp(stats["unassigned"]))
    table.add_row("已消除风险 eliminated", hp(stats["eliminated"]))
    for cat, label in CATEGORY_LABELS.items():
        table.add_row(f"{label} {cat}", hp(stats["by_category"][cat]))
    table.add_row(
        "风险等级 risk level", f"{RISK_LABELS[stats['risk_level']]} {stats['risk_level']}"
    )
    s = stats["sites"]
    table.add_row("安置点 sites", f"{s['count']:,}")
    table.add_row(
        "搬迁 relocated", f"{s['relocated_households']:,} 户 {s['relocated_persons']:,} 人"
    )
    table.add_row("有劳动力户 with labour", f"{s['households_with_labour']:,} 户")
    table.add_row("就业覆盖率 employment coverage", pct(s["employment_coverage"]))
    causes = escape(", ".join(f"{b.label} {b.households:,}" for b in top_causes(stats["by_cause"])))
    table.add_row("风险类型 causes (户)", causes or "—")
    w = stats["warnings"]
    table.add_row("预警未纳入监测 warned, not monitored", f"{w['unmonitored_households']:,} 户")
    console.print(table)


def stats(
    unit: Annotated[
        str | None, typer.Option("--unit", help="Unit code (default: the county).")
    ] = None,
    month: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: the latest).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOption = None,
) -> None:
    """打印一个单位的指标 Print the figures of one unit and month."""
    store = open_store(_settings(db))
    store.ensure_policy()
    try:
        figures = store.stats(unit, month)
    except StoreError as exc:
        _fail(str(exc))
        return
    if as_json:
        sys.stdout.write(json.dumps(figures, ensure_ascii=False, indent=2) + "\n")
    else:
        print_stats(figures)
