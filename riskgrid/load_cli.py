"""``riskgrid load``: grids, households, grid assignments, resettlement sites and department
warnings from files, each load reported (rows read, loaded, rejected, warnings) with its exit code."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .cli_common import DbOption, _fail, _settings, console, err, open_store

load_app = typer.Typer(
    help="加载数据 Load grids, households, grid assignments, resettlement sites or department warnings.",
    no_args_is_help=True,
)

SheetOption = Annotated[str | None, typer.Option(help="Sheet name or number (default: the first).")]
SkipInvalidOption = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="Load the valid rows; write rejected rows to NAME.rejects.csv (NAME.rejects.xlsx for an Excel file).",
    ),
]


def _progress() -> Progress:
    """A progress bar on stderr that is gone when done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _print_report(report: Any, seconds: float) -> None:
    """A load's counts on stdout; its first 20 warnings and the rejects file on stderr."""
    console.print(
        f"{escape(str(report.file))}: 读取 read {report.rows_read:,} 行, 加载 loaded {report.rows_loaded:,}, "
        f"拒绝 rejected {report.rows_rejected:,}, 警告 warnings {len(report.warnings):,} "
        f"({seconds:.1f} s)",
        highlight=False,
    )
    if getattr(report, "members", None) is not None:
        console.print(
            f"  按成员一行的导出 member rows: {report.members:,} 名成员 members, "
            f"{report.households:,} 户 households",
            highlight=False,
        )
    for w in report.warnings[:20]:
        err.print(f"[yellow]警告 warning:[/yellow] {escape(str(w))}", highlight=False)
    if len(report.warnings) > 20:
        err.print(f"[yellow]... 另有 {len(report.warnings) - 20} 条警告[/yellow]")
    if report.reject_file:
        err.print(
            f"拒绝的行已写入 rejected rows written to {report.reject_file}",
            highlight=False,
            markup=False,
        )
    if getattr(report, "unchanged", False):
        console.print("该文件此前已加载, 数据未变化 (file loaded before; nothing changed)")


def sync_after_load(store: Any) -> None:
    """Say how many problems are open. The load synced the problem list in its own transaction
    (``etl.problem_sync``); this syncs it only when that could not be done. A failure is a
    warning only: the load stands."""
    from sqlalchemy.exc import SQLAlchemyError

    from geodata import StoreError

    try:
        month = store.sync_problems()
        total = store.open_problem_total(month) if month is not None else None
    except (StoreError, SQLAlchemyError, ValueError, KeyError, OSError) as exc:
        err.print(
            f"[yellow]警告 warning:[/yellow] 问题清单未更新 (problem list not updated): "
            f"{escape(str(exc))}",
            highlight=False,
        )
        return
    if total is not None:
        console.print(
            f"问题清单已更新：{total:,} 条未处理 (problem list updated: open)", highlight=False
        )


def _run_load(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a loader and print its report; a ``LoadError`` goes on to the command's error
    handler (``riskgrid.cli_errors``), which prints it and exits with code 2. A load that
    fails or is cancelled (Ctrl+C) after writing its rejects file leaves no new one behind:
    nothing of it is written."""
    from etl.rejects import reject_path

    rejects = reject_path(Path(args[1])) if len(args) > 1 else None
    existed = rejects is not None and rejects.exists()
    started = time.perf_counter()
    try:
        report = fn(*args, **kwargs)
    except BaseException:
        if rejects is not None and not existed:
            rejects.unlink(missing_ok=True)
        raise
    _print_report(report, time.perf_counter() - started)
    return report


@load_app.command("grids")
def load_grids_cmd(
    path: Annotated[
        Path, typer.Argument(help="GeoPackage, GeoJSON, Shapefile or zipped Shapefile")
    ],
    layer: Annotated[str | None, typer.Option(help="Layer name in a multi-layer file.")] = None,
    crs: Annotated[
        str | None,
        typer.Option(
            help="CRS of a file that declares none (e.g. EPSG:4549), or gcj02 for GCJ-02 coordinates."
        ),
    ] = None,
    move_grids: Annotated[
        bool,
        typer.Option(
            "--move-grids",
            help="Move grids the file lists under another village or township than the stored "
            "one; their households and every month's figures follow (else such a file is refused).",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """加载网格图层 Load the grid polygon layer."""
    from etl.grids import load_grids

    store = open_store(_settings(db))
    _run_load(load_grids, store, path, layer=layer, crs=crs, move_grids=move_grids)


@load_app.command("households")
def load_households_cmd(
    path: Annotated[Path, typer.Argument(help="XLSX or CSV export of household records")],
    month: Annotated[
        str | None, typer.Option(help="Snapshot month YYYY-MM (else the 统计月份 column).")
    ] = None,
    sheet: SheetOption = None,
    skip_invalid: SkipInvalidOption = False,
    db: DbOption = None,
) -> None:
    """加载农户数据 Load household records as a monthly snapshot."""
    from etl.households import load_households
    from geodata.model import MONTH_RE

    if month is not None and not MONTH_RE.match(month):
        _fail(f"月份应为 YYYY-MM (month must be YYYY-MM): {month}")
    store = open_store(_settings(db))
    with _progress() as bar:
        task = bar.add_task("农户 households", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total or None)

        _run_load(
            load_households,
            store,
            path,
            month=month,
            sheet=sheet,
            skip_invalid=skip_invalid,
            progress=progress,
        )
    sync_after_load(store)


@load_app.command("assignments")
def load_assignments_cmd(
    path: Annotated[Path, typer.Argument(help="CSV or XLSX of 户编号 -> 网格编码 (网格户对应表)")],
    sheet: SheetOption = None,
    skip_invalid: SkipInvalidOption = False,
    db: DbOption = None,
) -> None:
    """加载网格户对应表 Load the county grid system's household -> grid assignment."""
    from etl.assignments import load_assignments

    store = open_store(_settings(db))
    _run_load(load_assignments, store, path, sheet=sheet, skip_invalid=skip_invalid)


@load_app.command("sites")
def load_sites_cmd(
    path: Annotated[Path, typer.Argument(help="CSV, XLSX or point layer of resettlement sites")],
    db: DbOption = None,
) -> None:
    """加载易地搬迁安置点 Load resettlement sites."""
    from etl.sites import load_sites

    store = open_store(_settings(db))
    _run_load(load_sites, store, path)


@load_app.command("warnings")
def load_warnings_cmd(
    path: Annotated[Path, typer.Argument(help="CSV or XLSX of department warnings (部门预警数据)")],
    sheet: SheetOption = None,
    skip_invalid: SkipInvalidOption = False,
    db: DbOption = None,
) -> None:
    """加载部门预警数据 Load department warnings, matched to the households of the latest month."""
    from etl.signals import load_signals

    store = open_store(_settings(db))
    _run_load(load_signals, store, path, sheet=sheet, skip_invalid=skip_invalid)
    sync_after_load(store)
