"""No traceback reaches a user: every error of every ``riskgrid`` command becomes a Chinese
message with what it is about (the file, the database URL without its password) and a
non-zero exit code; ``riskgrid --debug`` (or ``RISKGRID_DEBUG=1``) also prints the traceback.

The root command group (:class:`RiskgridGroup`) runs each command inside :func:`handled`, so
every command, those added later included, is covered once, here. Exit codes: 1 an error,
2 a file that cannot be loaded (``LoadError``, as before), 130 cancelled (Ctrl+C).
"""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup
from typer.exceptions import TyperException  # usage errors, bad parameters: typer reports them

from .cli_common import err

CANCELLED = 130  # the shell's code for a process ended by SIGINT (128 + 2)

# The database the running command uses (set by ``open_store``), for the messages.
_current_db: dict[str, str | None] = {"url": None}


def set_current_db(url: str | None) -> None:
    """Remember the database URL the command opens, for an error message about it."""
    _current_db["url"] = url


def masked_url(url: str | None) -> str:
    """``url`` without its password (``postgresql+psycopg://user:***@host/db``)."""
    if not url:
        return "(未设置 not set)"
    try:
        import sqlalchemy as sa

        return sa.engine.make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: show no part that could be a password
        return url.split("@", 1)[-1] if "@" in url else url


def debug_wanted(ctx: typer.Context | None) -> bool:
    """``--debug`` on the command line, or RISKGRID_DEBUG set to a true value."""
    root = ctx.find_root() if ctx is not None else None
    if root is not None and root.params.get("debug"):
        return True
    return os.environ.get("RISKGRID_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}


def _first_line(text: object, limit: int = 300) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line if len(line) <= limit else line[:limit] + "…"


def _os_message(exc: OSError, loading: bool) -> str:
    where = " → ".join(str(p) for p in (exc.filename, exc.filename2) if p is not None)
    where = where or masked_url(_current_db["url"])
    nothing = ", 未写入任何数据 (nothing written)" if loading else ""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"磁盘已满{nothing} (disk full: no space left on device): {where}"
    if isinstance(exc, FileNotFoundError):
        return f"文件或目录不存在 (not found): {where}"
    if isinstance(exc, IsADirectoryError):
        return f"这是一个目录, 应为文件 (is a directory, expected a file): {where}"
    if isinstance(exc, NotADirectoryError):
        return f"路径中有一项不是目录 (not a directory): {where}"
    if isinstance(exc, PermissionError):
        return f"没有权限读写 (permission denied): {where}"
    if isinstance(exc, FileExistsError):
        return f"已存在 (already exists): {where}"
    if exc.errno == errno.EROFS:
        return f"文件系统只读 (read-only file system): {where}"
    reason = exc.strerror or _first_line(exc)
    return f"读写失败 (I/O error: {reason}): {where}"


def _database_message(exc: Exception, loading: bool) -> str:
    """A SQLAlchemy error: what went wrong with which database."""
    url = masked_url(_current_db["url"])
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).lower()
    nothing = ", 未写入任何数据 (nothing written)" if loading else ""
    if "database is locked" in text or "database table is locked" in text:
        return (
            f"数据库被锁定: 另一个程序 (另一次加载或看板) 正在写入, 请稍后重试{nothing} "
            f"(database is locked by another writer; try again): {url}"
        )
    if "disk is full" in text or "no space left" in text:
        return f"磁盘已满{nothing} (disk full): {url}"
    if "unable to open database file" in text:
        return f"无法打开数据库文件: 目录不存在或无权限 (cannot open the database file): {url}"
    if "file is not a database" in text or "file is encrypted" in text:
        return f"不是 SQLite 数据库文件, 或文件已损坏 (not a database file): {url}"
    if "readonly database" in text or "read-only" in text:
        return f"数据库只读, 无法写入 (read-only database): {url}"
    if "malformed" in text:
        return f"数据库文件已损坏 (database disk image is malformed): {url}"
    import sqlalchemy as sa

    operational = (sa.exc.OperationalError, sqlite3.OperationalError)
    if _is_psycopg_error(exc):
        operational += (sys.modules["psycopg"].OperationalError,)
    connecting = isinstance(exc, operational) and any(
        word in text
        for word in (
            "connection",
            "could not connect",
            "connect",
            "timeout",
            "host",
            "authentication",
            "does not exist",
            "server closed",
            "terminating",
        )
    )
    if connecting:
        return (
            f"无法连接数据库: 请检查服务是否运行、地址和账号 (cannot connect to the database: "
            f"{_first_line(orig)}): {url}"
        )
    return f"数据库错误{nothing} (database error: {_first_line(orig)}): {url}"


def _is_psycopg_error(exc: BaseException) -> bool:
    """An error of the PostgreSQL driver itself (raised outside SQLAlchemy)."""
    psycopg = sys.modules.get("psycopg")
    return psycopg is not None and isinstance(exc, psycopg.Error)


def explain(exc: BaseException, *, loading: bool = False) -> tuple[str, int] | None:
    """The Chinese message and exit code of a known kind of error; None for any other."""
    import sqlalchemy as sa

    from etl.errors import LoadError
    from geodata import StoreError

    if isinstance(exc, LoadError):
        return str(exc), 2
    if isinstance(exc, (KeyboardInterrupt, typer.Abort)):
        if loading:
            return "已取消, 未写入任何数据 (cancelled, nothing written)", CANCELLED
        return "已取消 (cancelled)", CANCELLED
    if isinstance(exc, StoreError):
        return str(exc), 1
    if isinstance(exc, (sa.exc.ArgumentError, sa.exc.NoSuchModuleError)):
        return (
            "数据库地址无效, 应为 sqlite:///FILE 或 postgresql+psycopg://USER@HOST/DB "
            f"(bad database URL: {_first_line(exc)}): {masked_url(_current_db['url'])}",
            1,
        )
    if isinstance(exc, (sa.exc.DBAPIError, sqlite3.Error)) or _is_psycopg_error(exc):
        return _database_message(exc, loading), 1
    if isinstance(exc, sa.exc.SQLAlchemyError):
        return _database_message(exc, loading), 1
    if isinstance(exc, OSError):
        return _os_message(exc, loading), 1
    if isinstance(exc, MemoryError):
        return "内存不足: 文件过大或电脑内存不够 (out of memory)", 1
    return None


def report(exc: BaseException, ctx: typer.Context | None, *, loading: bool = False) -> int:
    """Print ``exc`` for a user (its traceback too with --debug) and return the exit code."""
    if isinstance(exc, BrokenPipeError):  # the reader went away (riskgrid stats | head)
        return 141
    if debug_wanted(ctx):
        sys.stderr.write("".join(traceback.format_exception(exc)))
    known = explain(exc, loading=loading)
    if known is not None and known[1] == 2:  # a load's report: file, row, column, reason
        sys.stderr.write(f"{known[0]}\n")
        return known[1]
    if known is None:
        message = (
            f"内部错误 (internal error: {type(exc).__name__}: {_first_line(exc)}); "
            "用 --debug 查看详情 (run with --debug for the traceback)"
        )
        code = 1
    else:
        message, code = known
    err.print(f"[red]错误 error:[/red] {escape(message)}", highlight=False)
    return code


@contextmanager
def handled(ctx: typer.Context | None, *, loading: bool = False) -> Iterator[None]:
    """Run a command: typer's own exits and usage errors pass; any other error is reported
    (:func:`report`) and ends the command with its exit code."""
    try:
        yield
    except (typer.Exit, TyperException, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - the one place every error is reported
        raise typer.Exit(report(exc, ctx, loading=loading)) from None


class RiskgridGroup(TyperGroup):
    """The root ``riskgrid`` group: every subcommand runs inside :func:`handled`."""

    def invoke(self, ctx: typer.Context) -> Any:
        set_current_db(None)
        loading = bool(ctx._protected_args) and ctx._protected_args[0] == "load"
        with handled(ctx, loading=loading):
            return super().invoke(ctx)
