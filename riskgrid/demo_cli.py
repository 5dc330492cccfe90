"""``riskgrid demo``: the demo county generated, loaded and served, with one log-in per role."""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from geodata import Store

from .cli_common import DbOption, _fail, _settings, console, open_store
from .load_cli import _progress, _run_load, sync_after_load
from .settings import Settings
from .stats_cli import print_stats


def demo(
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed gives the same county.")
    ] = 2026,
    months: Annotated[int, typer.Option(help="Number of monthly snapshots.")] = 12,
    households: Annotated[int, typer.Option(help="Households in the demo county.")] = 80_000,
    out: Annotated[Path, typer.Option(help="Directory for the generated input files.")] = Path(
        "demo-data"
    ),
    layout: Annotated[
        str,
        typer.Option(
            help="national: the national system's export, a row per family member, placed by "
            "names, with the grid assignment table; households: a row per household with its "
            "网格编码."
        ),
    ] = "national",
    scale: Annotated[
        str,
        typer.Option(
            help="county: the demo county from files; province: a province of --counties "
            "counties (about 1,000 grids and 100,000 households each, one month) written "
            "straight into the database (PostgreSQL + PostGIS for 100 counties)."
        ),
    ] = "county",
    counties: Annotated[
        int, typer.Option(help="--scale province: the number of counties (10 to 14 cities at 100).")
    ] = 100,
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboard afterwards.")
    ] = True,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    db: DbOption = None,
) -> None:
    """生成并加载演示县 (扎赉特旗式) 或演示省, 然后启动看板 Build, load and serve the demo."""
    from etl.demo import generate_demo
    from etl.grids import load_grids
    from etl.sites import load_sites

    if layout not in ("national", "households"):
        raise typer.BadParameter("national or households", param_hint="--layout")
    if scale not in ("county", "province"):
        raise typer.BadParameter("county or province", param_hint="--scale")
    settings = _settings(db, host=host, port=port)
    if scale == "province":
        store = _load_province(settings, seed, counties)
        print_stats(store.stats())
        print_demo_users(settings, create_demo_users(store, settings))
        if serve_after:
            from .cli import _serve

            _serve(settings, store)
        return
    started = time.perf_counter()
    console.print(f"生成演示数据 generating demo data (seed {seed}) into {out}/ ...")
    try:
        files = generate_demo(
            out,
            seed=seed,
            months=months,
            households=households,
            monitoring_line=settings.monitoring_line,
            observation_line=settings.observation_line,
            layout=layout,
        )
    except ValueError as exc:  # too few households or months for the demo county
        _fail(f"演示数据参数无效 (demo: {exc})")
    console.print(f"  {time.perf_counter() - started:.1f} s")
    store = open_store(settings)
    _run_load(load_grids, store, files.grids)
    _run_load(load_sites, store, files.sites)
    if files.assignments is not None:  # before the households: they are placed by it
        from etl.assignments import load_assignments

        _run_load(load_assignments, store, files.assignments)
    _load_snapshots(store, files)
    if files.warnings is not None:
        from etl.signals import load_signals

        _run_load(load_signals, store, files.warnings)
    with store.write() as conn:
        store.set_meta(conn, "demo", "1")
    sync_after_load(store)  # after the demo flag: it is part of the data version
    console.print(
        f"演示县已加载 demo county loaded in {time.perf_counter() - started:.1f} s: {settings.db}"
    )
    print_stats(store.stats())
    print_demo_users(settings, create_demo_users(store, settings))
    if serve_after:
        from .cli import _serve

        _serve(settings, store)


def _load_province(settings: Settings, seed: int, counties: int) -> Store:
    """The province demo generated into the store (``etl.demo.province``), with a line of what
    it wrote and how long each step took."""
    from etl.demo.province import load_province

    if counties < 1:
        raise typer.BadParameter("at least 1", param_hint="--counties")
    store = open_store(settings)
    console.print(
        f"生成并写入演示省 generating the demo province (seed {seed}, {counties} 个县 counties) "
        f"into {settings.db} ..."
    )
    with _progress() as bar:
        task = bar.add_task("县 counties", total=counties)
        try:
            report = load_province(
                store,
                seed=seed,
                counties=counties,
                progress=lambda _what, done, _total: bar.update(task, completed=done),
            )
        except ValueError as exc:  # a month already loaded, too many counties
            _fail(f"演示数据参数无效 (demo: {exc})")
    steps = ", ".join(f"{k} {v:.1f} s" for k, v in report.seconds.items())
    console.print(
        f"演示省已加载 demo province loaded: {report.cities} 个市 cities, {report.counties} 个县 "
        f"counties, {report.grids:,} 个网格 grids, {report.households:,} 户 households "
        f"({report.month}; {steps})"
    )
    return store


def _load_snapshots(store: Store, files) -> None:
    """The monthly household files, oldest first, and a line saying what they held: the rows
    read and the households they made (a row per family member in the national layout)."""
    from etl.errors import LoadError
    from etl.households import load_households

    rows = households = warnings = 0
    took = time.perf_counter()
    with _progress() as bar:
        task = bar.add_task("农户 households", total=len(files.households))
        for i, (month, path) in enumerate(files.households, start=1):
            try:
                report = load_households(store, path, month=month)
            except LoadError as exc:
                sys.stderr.write(f"{exc}\n")
                raise typer.Exit(2) from None
            count = int(store.stats(month=month)["households"])
            rows += report.rows_read
            warnings += len(report.warnings)
            households += count
            bar.update(task, completed=i, description=f"农户 {month}: {count:,} 户")
    n, seconds = len(files.households), time.perf_counter() - took
    if files.layout == "national":
        what = f"{rows:,} 行成员 member rows -> {households:,} 户 households"
    else:
        what = f"{households:,} 户 households"
    note = f", 警告 warnings {warnings:,}" if warnings else ""
    console.print(f"农户数据 {n} 个月 monthly files: {what}{note} ({seconds:.1f} s)")


DEMO_PASSWORD = "riskgrid-demo"


def demo_accounts(store: Store) -> list[tuple[str, str, str | None]]:
    """(user, role, unit) of the demo's accounts: one per role, bound to the demo's top unit
    (the county; the province of ``--scale province``), the first unit below it, and so on
    down to a village (each named by its role); ``wall`` is the map wall's viewer of the top."""
    top = store.default_unit()
    if top is None:
        return []
    accounts: list[tuple[str, str, str | None]] = [("admin", "admin", None)]
    unit = top
    while unit is not None and unit.level != "grid":
        accounts.append((unit.level, unit.level, unit.code))
        below = store.children(unit.code)
        unit = below[0] if below else None
    accounts.append(("wall", "viewer", top.code))
    return accounts


def create_demo_users(store: Store, settings: Settings) -> list[tuple[str, str, str | None, str]]:
    """The demo's accounts, with the demo password; existing accounts are left as they are.
    (user, role, unit, password or a note) of each."""
    from geodata.accounts import Users

    users = Users(store, max_failures=settings.max_failures, lock_seconds=settings.lock_seconds)
    existing = {row["username"] for row in users.list()}
    made = []
    for name, role, unit in demo_accounts(store):
        if name in existing:
            made.append((name, role, unit, "(已存在, 密码未改 exists, password unchanged)"))
            continue
        users.add(name, DEMO_PASSWORD, role, unit)
        made.append((name, role, unit, DEMO_PASSWORD))
    return made


def print_demo_users(settings: Settings, accounts: list[tuple[str, str, str | None, str]]) -> None:
    """The demo's log-ins as a table, and a note when log-in is off."""
    from geodata.access import ROLES

    table = RichTable(title="演示账号 demo log-ins", title_justify="left")
    for column in ("用户 user", "角色 role", "单位 unit", "密码 password"):
        table.add_column(column)
    for name, role, unit, password in accounts:
        table.add_row(name, f"{role} {ROLES[role]}", unit or "—", password)
    console.print(table)
    if not settings.login:
        console.print("登录已关闭 (RISKGRID_LOGIN=false): 本机单用户模式, 不需要登录 log-in is off")
