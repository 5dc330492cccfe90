"""What every ``riskgrid`` command shares: the consoles, the ``--db`` option, the settings,
the store (migrated on opening) and the error exit."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from geodata import Lines, Store, StoreError, Unit
from geodata.model import MONTH_RE

from .settings import Settings, load_settings

console = Console(soft_wrap=False)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLAlchemy URL of the store (else RISKGRID_DB, else sqlite:///riskgrid.db)."
    ),
]
UserOption = Annotated[
    str | None,
    typer.Option(
        "--user", help="Export as this account: units outside its area are refused (exit 1)."
    ),
]


def _settings(db: str | None = None, **overrides: Any) -> Settings:
    """The settings, with ``--db`` and the other options given on the command line; a
    malformed environment variable is an error naming it (RISKGRID_PORT='x': ...)."""
    try:
        return load_settings(db=db, **overrides)
    except ValueError as exc:
        _fail(f"设置无效 (bad setting): {exc}")
        raise  # not reached: _fail exits


def open_store(settings: Settings) -> Store:
    """The store of ``settings.db`` with the settings' income lines, its schema migrated."""
    from .cli_errors import set_current_db

    set_current_db(settings.db)  # named by the message of a database error
    store = Store(settings.db, Lines(settings.monitoring_line, settings.observation_line))
    store.migrate()
    return store


def _fail(message: str, code: int = 1) -> None:
    """Print ``message`` (as text, never markup) as an error on stderr and exit with ``code``."""
    err.print(f"[red]错误 error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)


def unit_and_month(store: Store, unit: str | None, month: str | None) -> tuple[Unit, str]:
    """The unit (the default unit when None) and the month YYYY-MM (the latest when None) a
    command asks for; a clear Chinese error and exit 1 for an unknown unit, a malformed month
    or one with no data."""
    try:
        target = store.unit(unit) if unit else store.default_unit()
        if target is None:
            raise StoreError(f"未找到该单位 (no such unit): {unit}")
        if month is not None and not MONTH_RE.match(month):
            raise StoreError(f"月份应为 YYYY-MM (month must be YYYY-MM): {month}")
        month = month or store.latest_month()
        if month is None or month not in store.months():
            raise StoreError(f"没有该月份的数据 (no data for month): {month}")
    except StoreError as exc:
        _fail(str(exc))
        raise  # not reached: _fail exits
    return target, month


def cli_principal(store: Store, user: str | None) -> Any:
    """The account a command reads as: ``user`` (an error and exit 1 when it is unknown or
    disabled), else the local administrator."""
    from geodata.access import LOCAL_ADMIN
    from geodata.accounts import Users

    if user is None:
        return LOCAL_ADMIN
    found = Users(store).get(user)
    if found is None:
        _fail(f"未找到用户或已停用 (unknown or disabled user): {user}")
    return found
