"""``riskgrid demo``: the demo county generated, loaded and served, with one log-in per role."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from geodata import Store

from .cli_common import DbOption, _settings, console, open_store
from .load_cli import _progress, _run_load
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
    serve_after: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Serve the dashboard afterwards.")
    ] = True,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    db: DbOption = None,
) -> None:
    """生成并加载演示县 (扎赉特旗式), 然后启动看板 Build, load and serve the demo county."""
    from etl.demo import generate_demo
    from etl.grids import load_grids
    from etl.households import load_households
    from etl.sites import load_sites

    settings = _settings(db, host=host, port=port)
    started = time.perf_counter()
    console.print(f"生成演示数据 generating demo data (seed {seed}) into {out}/ ...")
    files = generate_demo(
        out,
        seed=seed,
        months=months,
        households=households,
        monitoring_line=settings.monitoring_line,
        observation_line=settings.observation_line,
    )
    console.print(f"  {time.perf_counter() - started:.1f} s")
    store = open_store(settings)
    _run_load(load_grids, store, files.grids)
    _run_load(load_sites, store, files.sites)
    with _progress() as bar:
        task = bar.add_task("农户 households", total=len(files.households))
        for i, (month, path) in enumerate(files.households, start=1):
            report = load_households(store, path, month=month)
            bar.update(task, completed=i, description=f"农户 {month}: {report.rows_loaded:,}")
    if files.warnings is not None:
        from etl.signals import load_signals

        _run_load(load_signals, store, files.warnings)
    with store.write() as conn:
        store.set_meta(conn, "demo", "1")
    console.print(
        f"演示县已加载 demo county loaded in {time.perf_counter() - started:.1f} s: {settings.db}"
    )
    print_stats(store.stats())
    print_demo_users(settings, create_demo_users(store, settings))
    if serve_after:
        from .cli import _serve

        _serve(settings, store)


DEMO_PASSWORD = "riskgrid-demo"


def demo_accounts(store: Store) -> list[tuple[str, str, str | None]]:
    """(user, role, unit) of the demo's accounts: one per role, bound to the demo county, its
    first township and that township's first village; ``wall`` is the map wall's viewer."""
    county = store.default_unit()
    if county is None:
        return []
    townships = store.children(county.code)
    township = townships[0] if townships else None
    villages = store.children(township.code) if township else []
    accounts: list[tuple[str, str, str | None]] = [
        ("admin", "admin", None),
        ("county", "county", county.code),
    ]
    if township is not None:
        accounts.append(("township", "township", township.code))
    if villages:
        accounts.append(("village", "village", villages[0].code))
    accounts.append(("wall", "viewer", county.code))
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
