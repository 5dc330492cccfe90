"""The audit log: who looked at what, exported what, logged in and changed what; written in the
caller's transaction (``audit``) or in one of its own (``log``), read by ``riskgrid users``."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from . import schema
from .store import Store

if TYPE_CHECKING:
    from .access import Principal

__all__ = ["audit", "audit_rows", "log"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def audit(
    conn: sa.Connection,
    username: str | None,
    action: str,
    target: str | None,
    detail: str | None = None,
    address: str | None = None,
) -> None:
    conn.execute(
        schema.audit_log.insert().values(
            at=_now(),
            username=username,
            action=action,
            target=target,
            detail=detail,
            address=address,
        )
    )


def log(
    store: Store,
    principal: Principal | None,
    action: str,
    target: str | None,
    detail: str | None = None,
    address: str | None = None,
) -> None:
    with store.write() as conn:
        audit(conn, principal.username if principal else None, action, target, detail, address)


def audit_rows(
    store: Store, *, username: str | None = None, since: dt.datetime | None = None
) -> list[dict[str, Any]]:
    a = schema.audit_log
    query = sa.select(a).order_by(a.c.id)
    if username:
        query = query.where(a.c.username == username)
    if since:
        query = query.where(a.c.at >= since)
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query).all()]
