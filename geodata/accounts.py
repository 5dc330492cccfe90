"""Accounts: add, list, disable, change a password, log in; the slow-down of guessing.

Passwords are hashed with Argon2id. A log-in attempt tells nothing about the account: an unknown
name, a disabled account, a wrong password and an address that must wait get one message
(``LOGIN_FAILED``) after the same key-derivation work (one Argon2 verification, against a dummy
hash when there is no account), while the audit log records which it was.

Guessing is slowed per account *and address*: after ``max_failures`` wrong passwords in a row
from one address, that address waits ``lock_seconds`` (doubling with each further failure)
before it may try that account again. Other addresses are not held up, so nobody can lock a
colleague (or the admin) out by typing wrong passwords; ``unlock`` clears the waits.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from . import schema
from .access import ROLES, UNIT_ROLES, Principal, audit
from .store import Store

LOGIN_FAILED = "用户名或密码错误，或尝试过于频繁，请稍后再试"
MIN_PASSWORD = 8

_hasher = PasswordHasher()
# verified when there is no account, so that an unknown name costs what a real one costs
_DUMMY_HASH = _hasher.hash("riskgrid: no such account")


class AuthError(Exception):
    """A failed log-in. The message is always ``LOGIN_FAILED``; ``reason`` is for the log."""

    def __init__(self, reason: str) -> None:
        super().__init__(LOGIN_FAILED)
        self.reason = reason


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ValueError(f"密码至少{MIN_PASSWORD}位 (password: at least {MIN_PASSWORD} characters)")


class Users:
    """Accounts in the store's database."""

    def __init__(self, store: Store, *, max_failures: int = 5, lock_seconds: int = 300):
        self.store = store
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds

    # ------------------------------------------------------------------ management
    def add(self, username: str, password: str, role: str, unit_code: str | None) -> None:
        if role not in ROLES:
            raise ValueError(f"未知角色 unknown role {role!r}: {', '.join(ROLES)}")
        if role == "admin":
            unit_code = unit_code or None
        else:
            if not unit_code:
                raise ValueError(f"角色 {role} 需要 --unit (role {role} needs a unit)")
            unit = self.store.unit(unit_code)
            if unit is None:
                raise ValueError(f"未找到单位 unit not found: {unit_code}")
            expected = UNIT_ROLES.get(role)
            if expected and unit.level != expected:
                raise ValueError(f"角色 {role} 应绑定{expected}级单位, {unit_code} 是 {unit.level}")
        check_password(password)
        with self.store.write() as conn:
            if conn.execute(
                sa.select(schema.users.c.username).where(schema.users.c.username == username)
            ).first():
                raise ValueError(f"用户已存在 user exists: {username}")
            conn.execute(
                schema.users.insert().values(
                    username=username,
                    password_hash=_hasher.hash(password),
                    role=role,
                    unit_code=unit_code,
                    disabled=False,
                    created_at=_now(),
                )
            )

    def list(self) -> list[dict[str, Any]]:
        """Every account, with ``waiting``: the addresses that must wait to try it now."""
        u, t = schema.users, schema.login_throttle
        now = _now()
        with self.store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(u.c.username, u.c.role, u.c.unit_code, u.c.disabled).order_by(
                    u.c.username
                )
            ).all()
            waiting = dict(
                conn.execute(
                    sa.select(t.c.username, sa.func.count())
                    .where(t.c.locked_until > now)
                    .group_by(t.c.username)
                ).all()
            )
        return [{**r._mapping, "waiting": int(waiting.get(r.username, 0))} for r in rows]

    def exists(self, username: str) -> bool:
        """Whether the account exists (disabled or not)."""
        u = schema.users
        with self.store.engine.connect() as conn:
            return conn.execute(sa.select(u.c.username).where(u.c.username == username)).first() is not None

    def _exists(self, conn: sa.Connection, username: str) -> None:
        u = schema.users
        if conn.execute(sa.select(u.c.username).where(u.c.username == username)).first() is None:
            raise ValueError(f"未找到用户 user not found: {username}")

    def disable(self, username: str, by: str | None = None) -> None:
        """Disable an account (its sessions are ended by the caller: ``end_user_sessions``)."""
        with self.store.write() as conn:
            self._exists(conn, username)
            conn.execute(
                schema.users.update()
                .where(schema.users.c.username == username)
                .values(disabled=True)
            )
            audit(conn, by, "user_disabled", username, None, None)

    def set_password(self, username: str, password: str, by: str | None = None) -> None:
        """A new password; the account's waits are cleared (its sessions are ended by the
        caller)."""
        check_password(password)
        with self.store.write() as conn:
            self._exists(conn, username)
            conn.execute(
                schema.users.update()
                .where(schema.users.c.username == username)
                .values(password_hash=_hasher.hash(password))
            )
            conn.execute(
                schema.login_throttle.delete().where(schema.login_throttle.c.username == username)
            )
            audit(conn, by, "password_changed", username, None, None)

    def unlock(self, username: str, by: str | None = None) -> int:
        """Clear the waits of every address for ``username``; how many addresses waited."""
        t = schema.login_throttle
        with self.store.write() as conn:
            self._exists(conn, username)
            n = conn.execute(t.delete().where(t.c.username == username)).rowcount or 0
            audit(conn, by, "user_unlocked", username, f"{n} addresses", None)
        return n

    def get(self, username: str) -> Principal | None:
        u = schema.users
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(u).where(u.c.username == username)).first()
        if row is None or row.disabled:
            return None
        return Principal(row.username, row.role, row.unit_code)

    # ------------------------------------------------------------------ log-in
    def authenticate(self, username: str, password: str, address: str | None = None) -> Principal:
        """The principal for a right password from an address that need not wait.

        Every attempt verifies one Argon2 hash (a dummy one without an account), then:
        unknown or disabled account -> ``login_failed``; the address must wait ->
        ``login_throttled`` (even with the right password); a wrong password -> ``login_failed``
        and the address's count grows (at ``max_failures`` it waits, doubling after);
        right -> ``login`` and the address's count is cleared. Each failure raises
        ``AuthError`` with the same message."""
        u, t = schema.users, schema.login_throttle
        where = address or "?"
        now = _now()
        with self.store.engine.connect() as conn:
            row = conn.execute(sa.select(u).where(u.c.username == username)).first()
        right = _verify(row.password_hash if row is not None else _DUMMY_HASH, password)
        reason: str
        with self.store.write() as conn:  # failures are committed, then raised
            key = (t.c.username == username) & (t.c.address == where)
            throttle = conn.execute(sa.select(t).where(key)).first()
            if row is None or row.disabled:
                reason = "unknown account" if row is None else "disabled account"
                audit(conn, username, "login_failed", None, reason, address)
            elif throttle is not None and throttle.locked_until and throttle.locked_until > now:
                reason = f"address waits until {throttle.locked_until} UTC"
                audit(conn, username, "login_throttled", None, reason, address)
            elif not right:
                failed = (throttle.failed_count if throttle is not None else 0) + 1
                locked = None
                if failed >= self.max_failures:
                    wait = self.lock_seconds * 2 ** min(failed - self.max_failures, 16)
                    locked = now + dt.timedelta(seconds=wait)
                values = {"failed_count": failed, "locked_until": locked, "last_failed": now}
                if throttle is None:
                    conn.execute(t.insert().values(username=username, address=where, **values))
                else:
                    conn.execute(t.update().where(key).values(**values))
                reason = f"wrong password, failure {failed} from this address"
                if locked is not None:
                    reason += f", waits until {locked} UTC"
                audit(conn, username, "login_failed", None, reason, address)
            else:
                conn.execute(t.delete().where(key))
                audit(conn, username, "login", None, None, address)
                if _hasher.check_needs_rehash(row.password_hash):
                    conn.execute(
                        u.update()
                        .where(u.c.username == username)
                        .values(password_hash=_hasher.hash(password))
                    )
                return Principal(row.username, row.role, row.unit_code)
        raise AuthError(reason)
