"""The one command line, ``riskgrid``: it wires geodata, etl and dashboard together.

This module is the root app: it registers each command (one module a command or group:
``load_cli``, ``check_cli``, ``rules_cli``, ``stats_cli``, ``demo_cli``, ``brief_cli``,
``lines_cli``, ``users_cli``; the shared options and store in ``cli_common``) and holds
``migrate`` and ``serve``, the dashboard and map wall server (waitress: ``riskgrid.server``).
Every name the commands had here
is still importable from here.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from geodata import Store, StoreError
from geodata.store import missing_database

from .brief_cli import brief
from .check_cli import check
from .cli_common import DbOption, console, err, open_store
from .cli_common import _fail as _fail
from .cli_common import _settings as _settings
from .cli_errors import RiskgridGroup
from .demo_cli import DEMO_PASSWORD, create_demo_users, demo, demo_accounts, print_demo_users
from .load_cli import (
    SheetOption,
    SkipInvalidOption,
    load_app,
    load_grids_cmd,
    load_households_cmd,
    load_sites_cmd,
    load_warnings_cmd,
)
from .load_cli import _print_report as _print_report
from .load_cli import _progress as _progress
from .load_cli import _run_load as _run_load
from .rules_cli import rules as rules
from .rules_cli import rules_app
from .settings import Settings
from .stats_cli import print_stats, stats
from .timeliness_cli import timeliness

__all__ = [
    "DEMO_PASSWORD",
    "DbOption",
    "SheetOption",
    "SkipInvalidOption",
    "app",
    "brief",
    "console",
    "create_demo_users",
    "demo",
    "demo_accounts",
    "err",
    "load_app",
    "load_grids_cmd",
    "load_households_cmd",
    "load_sites_cmd",
    "load_warnings_cmd",
    "migrate",
    "open_store",
    "open_wall",
    "print_demo_users",
    "print_stats",
    "run_server",
    "run_workers",
    "serve",
    "stats",
    "wall_url",
]

app = typer.Typer(
    help="riskgrid: 防止返贫动态监测网格地图 (grid risk map for monitoring against a return to poverty)",
    no_args_is_help=True,
    add_completion=False,
    cls=RiskgridGroup,  # every command's errors: a Chinese message and an exit code
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: Annotated[
        bool,
        typer.Option(
            "--debug",
            help="Show the traceback of an error (also RISKGRID_DEBUG=1).",
        ),
    ] = False,
) -> None:
    """riskgrid: 防止返贫动态监测网格地图."""


app.add_typer(load_app, name="load")
app.command("check")(check)
app.add_typer(rules_app, name="rules")


def _register_account_commands() -> None:
    """The ``lines`` and ``users`` groups and the ``audit`` command."""
    from .lines_cli import lines_app
    from .users_cli import audit, users_app

    app.add_typer(lines_app, name="lines")
    app.add_typer(users_app, name="users")
    app.command("audit")(audit)


def _register_data_commands() -> None:
    """``backup``, ``restore`` and ``export``: the data to a file and back, or for other tools."""
    from .backup_cli import backup_cmd, restore_cmd
    from .export_cli import export

    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
    app.command("export")(export)


def migrate(db: DbOption = None) -> None:
    """创建或升级数据库 Create or upgrade the database schema."""
    store = open_store(_settings(db))
    console.print(f"schema version {store.schema_version()} at {store.url}")


def wall_url(settings: Settings) -> str:
    """The map wall's address (``/wall``) on this machine."""
    host = settings.host if settings.host not in ("", "0.0.0.0", "::") else "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}/wall"


def open_wall(url: str, delay: float = 1.5) -> bool:
    """Open ``url`` in the desktop's browser shortly after the server starts; False (nothing
    opened) on a machine without a desktop, where only the printed address is of use."""
    import os
    import threading
    import webbrowser

    if sys.platform not in ("win32", "darwin") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    threading.Timer(delay, webbrowser.open, args=(url,)).start()
    return True


def _serve(settings: Settings, store: Store | None = None, wall: bool = False) -> None:
    """Run the dashboard (refused on an unsafe binding); with ``wall``, show and open /wall."""
    try:
        from dashboard import create_app
        from dashboard.auth import UnsafeSettings, check_binding
    except ImportError:
        console.print("看板尚未实现 dashboard not available in this build")
        return
    try:
        check_binding(settings)
        dash_app = create_app(settings)
    except (UnsafeSettings, StoreError) as exc:
        _fail(str(exc))
        return
    from dashboard.auth import exposure_warnings

    for warning in exposure_warnings(settings):
        err.print(warning, style="yellow", highlight=False, markup=False)
    host = settings.host
    host = f"[{host}]" if ":" in host and not host.startswith("[") else host
    url = f"http://{host}:{settings.port}/"
    console.print(f"看板地址 dashboard at [bold]{url}[/bold]  (Ctrl+C 退出 to stop)")
    if settings.login:
        from dashboard.data import STORE_KEY
        from geodata.accounts import Users

        if not Users(dash_app.server.config[STORE_KEY]).list():
            err.print(
                "[yellow]尚无账号, 无人能登录: 请先用 riskgrid users add 添加 "
                "(no accounts yet: add one with riskgrid users add)[/yellow]"
            )
    if wall:
        target = wall_url(settings)
        console.print(f"大屏地址 map wall at [bold]{target}[/bold]  (轮播 tour: {target}?tour=1)")
        if not open_wall(target):
            console.print("请在大屏的浏览器中打开该地址 (open it in the wall's browser, F11 全屏)")
    if settings.debug:  # a developer's machine: Flask's reloader and Dash's dev tools
        err.print("[yellow]调试模式: 开发服务器, 勿在共用电脑上使用 (debug mode)[/yellow]")
        dash_app.run(host=settings.host, port=settings.port, debug=True)
        return
    if settings.workers > 1:
        run_workers(dash_app, settings)
        return
    run_server(dash_app, settings)


def run_workers(dash_app: Any, settings: Settings) -> None:
    """Serve with gunicorn: ``settings.workers`` processes that each build their own app (the
    one built here only checked the settings, its connections are closed before the fork);
    where that is not possible (Windows), one waitress process with a note."""
    from .server import can_fork, multi_worker_server

    if not can_fork():
        err.print(
            "[yellow]本机不支持多进程, 改用单进程 (several workers need Linux and gunicorn; "
            "serving with one process)[/yellow]"
        )
        run_server(dash_app, settings)
        return
    from dashboard import create_app
    from dashboard.data import STORE_KEY

    dash_app.server.config[STORE_KEY].dispose()
    if not settings.cache_dir and not settings.redis_url:
        err.print(
            "[yellow]各进程各有缓存: 可设 RISKGRID_CACHE_DIR 或 RISKGRID_REDIS_URL 共用 "
            "(each worker keeps its own cache)[/yellow]"
        )
    from dashboard.warm import start_warming

    def worker_app() -> Any:
        flask_app = create_app(settings).server
        start_warming(flask_app)
        return flask_app

    try:
        server = multi_worker_server(
            worker_app,
            settings.host,
            settings.port,
            settings.workers,
            settings.threads,
        )
    except OSError as exc:
        _fail(
            f"无法监听 {settings.host}:{settings.port} (端口已被占用或地址不属于本机) "
            f"cannot listen on {settings.host}:{settings.port}: {exc}"
        )
        return
    console.print(
        f"服务程序 server: gunicorn, {settings.workers} 个进程 workers × "
        f"{settings.threads} 个线程 threads",
        highlight=False,
    )
    server.run()


def run_server(dash_app: Any, settings: Settings) -> None:
    """Serve ``dash_app`` with waitress (one process, ``settings.threads`` threads) until
    Ctrl+C; a port that is taken is an error in Chinese, not a traceback."""
    from dashboard.warm import start_warming

    from .server import bind

    start_warming(dash_app.server)
    try:
        server = bind(dash_app.server, settings.host, settings.port, settings.threads)
    except OSError as exc:
        _fail(
            f"无法监听 {settings.host}:{settings.port} (端口已被占用或地址不属于本机) "
            f"cannot listen on {settings.host}:{settings.port}: {exc}"
        )
        return
    console.print(f"服务程序 server: waitress, {settings.threads} 个线程 threads", highlight=False)
    server.print_listen("Serving on http://{}:{}")  # waitress's log line, in English
    server.run()


def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8050).")] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Threads of each server process (default 8, RISKGRID_THREADS).",
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Server processes: 1 is waitress; more runs gunicorn, Linux only "
            "(default 1, RISKGRID_WORKERS).",
        ),
    ] = None,
    wall: Annotated[
        bool,
        typer.Option(
            "--wall", help="Print the map wall's address (/wall) and open it in the browser."
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """启动看板 Serve the dashboard."""
    settings = _settings(db, host=host, port=port, threads=threads, workers=workers)
    if not 0 < settings.port < 65536:
        _fail(f"端口应为 1 至 65535 (port must be 1..65535): {settings.port}")
    missing = missing_database(settings.db)  # the dashboard never makes a database
    if missing:
        _fail(missing)
    open_store(settings)
    _serve(settings, wall=wall)


# The commands in the order of ``riskgrid --help`` (the groups are listed after them).
app.command()(stats)
app.command()(migrate)
app.command()(demo)
app.command()(serve)
app.command()(brief)
app.command()(timeliness)
_register_data_commands()

_register_account_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
