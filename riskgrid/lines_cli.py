"""``riskgrid lines``: the income lines of each year (and province), kept in the store."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

lines_app = typer.Typer(
    help="收入线 Income lines per year: set, list (the months they change are recomputed).",
    no_args_is_help=True,
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
DbOption = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL of the store.")]


@lines_app.command("set")
def lines_set(
    year: Annotated[int, typer.Option("--year", help="The year, e.g. 2025.")],
    monitoring: Annotated[float, typer.Option("--monitoring", help="Monitoring line 监测线, yuan.")],
    observation: Annotated[
        float | None,
        typer.Option("--observation", help="Observation line 观察线, yuan (default: scaled)."),
    ] = None,
    province: Annotated[
        str | None, typer.Option("--province", help="Province code, 2 digits (default: all).")
    ] = None,
    db: DbOption = None,
) -> None:
    """设置某年的监测线和观察线 Set a year's lines; that year's months are recomputed at once."""
    from .cli import _settings, open_store

    store = open_store(_settings(db))
    try:
        lines, months = store.set_lines(year, monitoring, observation, province)
    except ValueError as exc:
        err.print(f"错误 error: {exc}", markup=False)
        raise typer.Exit(1) from None
    where = f" 省 {province}" if province else ""
    console.print(
        f"{year} 年{where}: 监测线 {lines.monitoring:,.0f} 元, 观察线 {lines.observation:,.0f} 元; "
        f"重算 recomputed {len(months)} 个月 months {', '.join(months) if months else ''}",
        markup=False,
    )


@lines_app.command("list")
def lines_list(db: DbOption = None) -> None:
    """列出各年的收入线 List the stored lines, and the defaults of the settings."""
    from .cli import _settings, open_store

    settings = _settings(db)
    store = open_store(settings)
    table = Table("年份 year", "省 province", "监测线 monitoring", "观察线 observation", "设置于 set (UTC)")
    for row in store.lines_table():
        table.add_row(
            str(row["year"]),
            row["province"] or "全部 all",
            f"{row['monitoring']:,.0f}",
            f"{row['observation']:,.0f}",
            f"{row['set_at']:%Y-%m-%d %H:%M}",
        )
    console.print(table)
    console.print(
        f"其他年份用默认值 other years use the defaults: 监测线 {settings.monitoring_line:,.0f}, "
        f"观察线 {settings.observation_line:,.0f} (RISKGRID_MONITORING_LINE, "
        "RISKGRID_OBSERVATION_LINE)",
        markup=False,
    )
