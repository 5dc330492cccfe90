"""``riskgrid users`` and ``riskgrid audit``: accounts bound to a unit, and the audit log."""

from __future__ import annotations

import datetime as dt
import getpass
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from geodata.access import ROLES, audit_rows
from geodata.accounts import Users
from geodata.sessions import end_user_sessions

users_app = typer.Typer(
    help="账号管理 Accounts: add, list, passwd, unlock, disable.", no_args_is_help=True
)
console = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def _users(db: str | None) -> Users:
    from .cli import _settings, open_store

    settings = _settings(db)
    return Users(
        open_store(settings), max_failures=settings.max_failures, lock_seconds=settings.lock_seconds
    )


def _operator() -> str:
    """Who ran the command, for the audit log: ``cli:<account of the PC>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _end_sessions(users: Users, name: str, db: str | None) -> int:
    from .cli import _settings

    return end_user_sessions(users.store, name, _settings(db).redis_url)


DbOption = Annotated[str | None, typer.Option("--db", help="SQLAlchemy URL of the store.")]


def read_password(from_stdin: bool) -> str:
    if from_stdin or not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("密码 password: ")
    if getpass.getpass("再输入一次 again: ") != first:
        err.print("两次输入的密码不一致 (passwords differ)")
        raise typer.Exit(1)
    return first


@users_app.command("add")
def users_add(
    name: Annotated[str, typer.Argument(help="User name")],
    role: Annotated[str, typer.Option(help=f"One of: {', '.join(ROLES)}")],
    unit: Annotated[
        str | None, typer.Option(help="The unit the account is bound to (not for admin).")
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from stdin.")
    ] = False,
    db: DbOption = None,
) -> None:
    """添加账号 Add an account; the password is prompted for, or read from stdin."""
    users = _users(db)
    password = read_password(password_stdin)
    try:
        users.add(name, password, role, unit)
    except ValueError as exc:
        err.print(f"错误 error: {exc}", markup=False)
        raise typer.Exit(1) from None
    console.print(f"已添加 added {name} ({role} {unit or ''})")


@users_app.command("list")
def users_list(db: DbOption = None) -> None:
    """列出账号 List the accounts."""
    table = Table("用户 user", "角色 role", "单位 unit", "状态 state")
    for row in _users(db).list():
        if row["disabled"]:
            state = "停用 disabled"
        elif row["waiting"]:
            state = f"{row['waiting']} 个地址暂停尝试 ({row['waiting']} addresses wait)"
        else:
            state = "正常 active"
        table.add_row(
            row["username"], f"{row['role']} {ROLES[row['role']]}", row["unit_code"] or "—", state
        )
    console.print(table)


@users_app.command("disable")
def users_disable(name: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """停用账号 Disable an account; its sessions end at once."""
    users = _users(db)
    try:
        users.disable(name, by=_operator())
    except ValueError as exc:
        err.print(f"错误 error: {exc}", markup=False)
        raise typer.Exit(1) from None
    ended = _end_sessions(users, name, db)
    console.print(f"已停用 disabled {name} (结束会话 sessions ended: {ended})")


@users_app.command("passwd")
def users_passwd(
    name: Annotated[str, typer.Argument(help="User name")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from stdin.")
    ] = False,
    db: DbOption = None,
) -> None:
    """修改密码 Set a new password (prompted for, or from stdin); the account's sessions end
    and its waits are cleared."""
    users = _users(db)
    if not users.exists(name):  # before asking for a password
        err.print(f"错误 error: 未找到用户 user not found: {name}", markup=False)
        raise typer.Exit(1)
    password = read_password(password_stdin)
    try:
        users.set_password(name, password, by=_operator())
    except ValueError as exc:
        err.print(f"错误 error: {exc}", markup=False)
        raise typer.Exit(1) from None
    ended = _end_sessions(users, name, db)
    console.print(f"已修改密码 password changed: {name} (结束会话 sessions ended: {ended})")


@users_app.command("unlock")
def users_unlock(name: Annotated[str, typer.Argument()], db: DbOption = None) -> None:
    """解除限制 Let every address try the account again at once."""
    try:
        n = _users(db).unlock(name, by=_operator())
    except ValueError as exc:
        err.print(f"错误 error: {exc}", markup=False)
        raise typer.Exit(1) from None
    console.print(f"已解除 unlocked {name} ({n} 个地址 addresses)")


def audit(
    user: Annotated[str | None, typer.Option("--user", help="Only this user.")] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD) on.")] = None,
    db: DbOption = None,
) -> None:
    """审计日志 Print the audit log: who saw which households, exports, log-ins."""
    from .cli import _fail, _settings, open_store

    try:
        start = dt.datetime.fromisoformat(since) if since else None
    except ValueError:
        _fail(f"日期应为 YYYY-MM-DD (since must be YYYY-MM-DD): {since}")
        return
    rows = audit_rows(open_store(_settings(db)), username=user, since=start)
    table = Table(
        "时间 time (UTC)", "用户 user", "操作 action", "对象 target", "说明 detail", "地址 address"
    )
    for r in rows:
        table.add_row(
            f"{r['at']:%Y-%m-%d %H:%M:%S}",
            r["username"] or "—",
            r["action"],
            r["target"] or "",
            r["detail"] or "",
            r["address"] or "",
        )
    console.print(table)
    console.print(f"{len(rows)} 条 rows")
