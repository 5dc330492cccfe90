"""The one command line, ``riskgrid``: it wires geodata, etl and dashboard together."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table as RichTable

from geodata import Lines, Store, StoreError
from geodata.model import CATEGORY_LABELS, LEVEL_LABELS, RISK_LABELS
from reports.causes import top_causes
from reports.headline import headlines

from .settings import Settings, load_settings

app = typer.Typer(
    help="riskgrid: 防止返贫动态监测网格地图 (grid risk map for monitoring against a return to poverty)",
    no_args_is_help=True,
    add_completion=False,
)
load_app = typer.Typer(help="加载数据 Load grids, households, resettlement sites or department warnings.", no_args_is_help=True)
app.add_typer(load_app, name="load")


def _register_account_commands() -> None:
    from .lines_cli import lines_app
    from .users_cli import audit, users_app

    app.add_typer(lines_app, name="lines")
    app.add_typer(users_app, name="users")
    app.command("audit")(audit)

console = Console(soft_wrap=False)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="SQLAlchemy URL of the store (else RISKGRID_DB, else sqlite:///riskgrid.db)."),
]


SheetOption = Annotated[str | None, typer.Option(help="Sheet name or number (default: the first).")]
SkipInvalidOption = Annotated[
    bool,
    typer.Option(
        "--skip-invalid",
        help="Load the valid rows; write rejected rows to NAME.rejects.csv (NAME.rejects.xlsx for an Excel file).",
    ),
]


def _settings(db: str | None = None, **overrides: Any) -> Settings:
    return load_settings(db=db, **overrides)


def open_store(settings: Settings) -> Store:
    store = Store(settings.db, Lines(settings.monitoring_line, settings.observation_line))
    store.migrate()
    return store


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[red]错误 error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )


def _print_report(report: Any, seconds: float) -> None:
    console.print(
        f"{escape(str(report.file))}: 读取 read {report.rows_read:,} 行, 加载 loaded {report.rows_loaded:,}, "
        f"拒绝 rejected {report.rows_rejected:,}, 警告 warnings {len(report.warnings):,} "
        f"({seconds:.1f} s)",
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


def _run_load(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from etl.errors import LoadError

    started = time.perf_counter()
    try:
        report = fn(*args, **kwargs)
    except LoadError as exc:
        sys.stderr.write(f"{exc}\n")
        raise typer.Exit(2) from None
    _print_report(report, time.perf_counter() - started)
    return report


@load_app.command("grids")
def load_grids_cmd(
    path: Annotated[Path, typer.Argument(help="GeoPackage, GeoJSON, Shapefile or zipped Shapefile")],
    layer: Annotated[str | None, typer.Option(help="Layer name in a multi-layer file.")] = None,
    crs: Annotated[
        str | None,
        typer.Option(help="CRS of a file that declares none (e.g. EPSG:4549), or gcj02 for GCJ-02 coordinates."),
    ] = None,
    db: DbOption = None,
) -> None:
    """加载网格图层 Load the grid polygon layer."""
    from etl.grids import load_grids

    store = open_store(_settings(db))
    _run_load(load_grids, store, path, layer=layer, crs=crs)


@load_app.command("households")
def load_households_cmd(
    path: Annotated[Path, typer.Argument(help="XLSX or CSV export of household records")],
    month: Annotated[str | None, typer.Option(help="Snapshot month YYYY-MM (else the 统计月份 column).")] = None,
    sheet: SheetOption = None,
    skip_invalid: SkipInvalidOption = False,
    db: DbOption = None,
) -> None:
    """加载农户数据 Load household records as a monthly snapshot."""
    from etl.households import load_households

    store = open_store(_settings(db))
    with _progress() as bar:
        task = bar.add_task("农户 households", total=None)

        def progress(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total or None)

        _run_load(load_households, store, path, month=month, sheet=sheet, skip_invalid=skip_invalid, progress=progress)


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


def _pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


def print_stats(stats: dict[str, Any]) -> None:
    unit = stats["unit"]
    # names come from the loaded files: shown as text, never as Rich markup
    title = escape(f"{unit['name']} ({LEVEL_LABELS[unit['level']]} {unit['code']}) {stats['month']}")
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
    table.add_row("已消除风险 eliminated", hp(stats["eliminated"]))
    for cat, label in CATEGORY_LABELS.items():
        table.add_row(f"{label} {cat}", hp(stats["by_category"][cat]))
    table.add_row("风险等级 risk level", f"{RISK_LABELS[stats['risk_level']]} {stats['risk_level']}")
    s = stats["sites"]
    table.add_row("安置点 sites", f"{s['count']:,}")
    table.add_row("搬迁 relocated", f"{s['relocated_households']:,} 户 {s['relocated_persons']:,} 人")
    table.add_row("有劳动力户 with labour", f"{s['households_with_labour']:,} 户")
    table.add_row("就业覆盖率 employment coverage", _pct(s["employment_coverage"]))
    causes = escape(", ".join(f"{b.label} {b.households:,}" for b in top_causes(stats["by_cause"])))
    table.add_row("风险类型 causes (户)", causes or "—")
    w = stats["warnings"]
    table.add_row("预警未纳入监测 warned, not monitored", f"{w['unmonitored_households']:,} 户")
    console.print(table)


@app.command()
def stats(
    unit: Annotated[str | None, typer.Option("--unit", help="Unit code (default: the county).")] = None,
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


@app.command()
def migrate(db: DbOption = None) -> None:
    """创建或升级数据库 Create or upgrade the database schema."""
    store = open_store(_settings(db))
    console.print(f"schema version {store.schema_version()} at {store.url}")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same county.")] = 2026,
    months: Annotated[int, typer.Option(help="Number of monthly snapshots.")] = 12,
    households: Annotated[int, typer.Option(help="Households in the demo county.")] = 80_000,
    out: Annotated[Path, typer.Option(help="Directory for the generated input files.")] = Path("demo-data"),
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve the dashboard afterwards.")] = True,
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
        out, seed=seed, months=months, households=households,
        monitoring_line=settings.monitoring_line, observation_line=settings.observation_line,
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
    console.print(f"演示县已加载 demo county loaded in {time.perf_counter() - started:.1f} s: {settings.db}")
    print_stats(store.stats())
    print_demo_users(settings, create_demo_users(store, settings))
    if serve_after:
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
    from geodata.access import ROLES

    table = RichTable(title="演示账号 demo log-ins", title_justify="left")
    for column in ("用户 user", "角色 role", "单位 unit", "密码 password"):
        table.add_column(column)
    for name, role, unit, password in accounts:
        table.add_row(name, f"{role} {ROLES[role]}", unit or "—", password)
    console.print(table)
    if not settings.login:
        console.print("登录已关闭 (RISKGRID_LOGIN=false): 本机单用户模式, 不需要登录 log-in is off")


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
    try:
        from dashboard import create_app
        from dashboard.auth import UnsafeSettings, check_binding
    except ImportError:
        console.print("看板尚未实现 dashboard not available in this build")
        return
    try:
        check_binding(settings)
        dash_app = create_app(settings)
    except UnsafeSettings as exc:
        _fail(str(exc))
        return
    from dashboard.auth import exposure_warnings

    for warning in exposure_warnings(settings):
        err.print(warning, style="yellow", highlight=False, markup=False)
    url = f"http://{settings.host}:{settings.port}/"
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
    dash_app.run(host=settings.host, port=settings.port, debug=settings.debug)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 8050).")] = None,
    wall: Annotated[
        bool, typer.Option("--wall", help="Print the map wall's address (/wall) and open it in the browser.")
    ] = False,
    db: DbOption = None,
) -> None:
    """启动看板 Serve the dashboard."""
    settings = _settings(db, host=host, port=port)
    open_store(settings)
    _serve(settings, wall=wall)


@app.command()
def brief(
    unit: Annotated[str, typer.Option("--unit", help="Unit code: county, township, village or grid.")],
    fmt: Annotated[str, typer.Option("--format", help="png, pdf, pptx (one deck) or html (offline map).")],
    out: Annotated[Path, typer.Option("--out", help="Directory for the files (made if missing).")],
    children: Annotated[
        bool, typer.Option("--children", help="Also each child unit (county -> townships -> villages).")
    ] = False,
    month: Annotated[str | None, typer.Option(help="Month YYYY-MM (default: the latest).")] = None,
    size: Annotated[str, typer.Option(help="Image size WIDTHxHEIGHT, 16:9 (e.g. 3840x2160).")] = "1920x1080",
    user: Annotated[
        str | None,
        typer.Option("--user", help="Export as this account: units outside its area are refused (exit 1)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """生成简报 Briefing images, PDF, PowerPoint deck or offline HTML map of a unit."""
    from geodata.access import LOCAL_ADMIN, AccessDenied, ScopedStore
    from geodata.accounts import Users
    from reports import briefing

    fmt = fmt.lower().lstrip(".")
    if fmt not in ("png", "pdf", "pptx", "html"):
        _fail(f"格式须为 png, pdf, pptx 或 html (format must be png, pdf, pptx or html): {fmt}")
    settings = _settings(db)
    store = open_store(settings)
    store.ensure_policy()
    principal = LOCAL_ADMIN
    if user is not None:
        found = Users(store).get(user)
        if found is None:
            _fail(f"未找到用户或已停用 (unknown or disabled user): {user}")
            return
        principal = found
    scoped = ScopedStore(store, principal, "cli")
    try:
        pixels = briefing.parse_size(size)
        if store.unit(unit) is not None:
            scoped.check(unit)  # before anything of the unit is read (unknown: brief_units says)
        codes = briefing.brief_units(store, unit, children)
        for code in codes:
            scoped.check(code)
        month = briefing.build_briefing(store, codes[0], month).month
        out.mkdir(parents=True, exist_ok=True)
        if fmt == "pptx":
            path = out / briefing.deck_name(codes[0], month)
            path.write_bytes(briefing.render_pptx(store, codes, month, pixels))
            scoped.log_export(f"brief pptx {month} {len(codes)} units", codes[0])
            console.print(str(path), highlight=False, soft_wrap=True, markup=False)
            return
        for code in codes:
            path = out / f"{briefing.file_stem(store, code, month)}.{fmt}"
            if fmt == "png":
                path.write_bytes(briefing.render_png(store, code, month, pixels))
            elif fmt == "pdf":
                path.write_bytes(briefing.render_pdf(store, code, month, pixels))
            else:
                path.write_text(briefing.render_html(store, code, month), encoding="utf-8")
            scoped.log_export(f"brief {fmt} {month}", code)
            console.print(str(path), highlight=False, soft_wrap=True, markup=False)
    except briefing.BriefError as exc:
        _fail(str(exc))
    except AccessDenied as exc:
        _fail(f"{exc} (user {principal.username})")


_register_account_commands()

if __name__ == "__main__":  # pragma: no cover
    app()
