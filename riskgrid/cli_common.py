"""What every ``riskgrid`` command shares: the consoles, the ``--db`` option, the settings,
the store (migrated on opening) and the error exit."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from geodata import Lines, Store

from .settings import Settings, load_settings

console = Console(soft_wrap=False)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db", help="SQLAlchemy URL of the store (else RISKGRID_DB, else sqlite:///riskgrid.db)."
    ),
]


def _settings(db: str | None = None, **overrides: Any) -> Settings:
    """The settings, with ``--db`` and the other options given on the command line."""
    return load_settings(db=db, **overrides)


def open_store(settings: Settings) -> Store:
    """The store of ``settings.db`` with the settings' income lines, its schema migrated."""
    store = Store(settings.db, Lines(settings.monitoring_line, settings.observation_line))
    store.migrate()
    return store


def _fail(message: str, code: int = 1) -> None:
    """Print ``message`` (as text, never markup) as an error on stderr and exit with ``code``."""
    err.print(f"[red]错误 error:[/red] {escape(message)}", highlight=False)
    raise typer.Exit(code)
