"""Server-side sessions: the data of a log-in kept by the server, the user's cookie only a token.

A session is stored under the SHA-256 of its token, never the token itself, so a copy of the
database (or of Redis) gives nothing that a browser could present. Ending a session deletes it:
log-out, a disabled account, a changed password and an expired session end at once for every
worker. Two backends with one interface:

- ``DbSessions``: the ``sessions`` table of the riskgrid database (the default);
- ``RedisSessions``: keys in Redis with a time to live (``RISKGRID_REDIS_URL``), for several
  workers on several machines.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any, Protocol

import sqlalchemy as sa

from . import schema
from .store import Store


def token_id(token: str) -> str:
    """What a session is stored under: the SHA-256 of the cookie's token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


class SessionBackend(Protocol):
    def get(self, token: str) -> dict[str, Any] | None: ...

    def put(self, token: str, data: dict[str, Any], username: str | None, seconds: int) -> None: ...

    def delete(self, token: str) -> None: ...

    def end_user(self, username: str) -> int: ...


class DbSessions:
    """Sessions in the ``sessions`` table; expired rows are purged as new ones are written."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def get(self, token: str) -> dict[str, Any] | None:
        s = schema.sessions
        with self.store.engine.connect() as conn:
            row = conn.execute(
                sa.select(s.c.data, s.c.expires_at).where(s.c.id == token_id(token))
            ).first()
        if row is None or row.expires_at <= _now():
            return None
        return json.loads(row.data)

    def put(self, token: str, data: dict[str, Any], username: str | None, seconds: int) -> None:
        s = schema.sessions
        now = _now()
        key = token_id(token)
        values = {
            "username": username,
            "data": json.dumps(data, ensure_ascii=False),
            "expires_at": now + dt.timedelta(seconds=seconds),
        }
        with self.store.write() as conn:
            done = conn.execute(s.update().where(s.c.id == key).values(**values)).rowcount
            if not done:
                conn.execute(s.delete().where(s.c.expires_at <= now))
                conn.execute(s.insert().values(id=key, created_at=now, **values))

    def delete(self, token: str) -> None:
        s = schema.sessions
        with self.store.write() as conn:
            conn.execute(s.delete().where(s.c.id == token_id(token)))

    def end_user(self, username: str) -> int:
        """End every session of ``username``; how many there were."""
        s = schema.sessions
        with self.store.write() as conn:
            return conn.execute(s.delete().where(s.c.username == username)).rowcount or 0


class RedisSessions:
    """Sessions in Redis: ``<prefix>s:<id>`` with a time to live, and a set of a user's ids."""

    def __init__(self, url: str, prefix: str = "riskgrid:") -> None:
        import redis

        self.client = redis.Redis.from_url(url)
        self.prefix = prefix

    def _key(self, token: str) -> str:
        return f"{self.prefix}s:{token_id(token)}"

    def _user_key(self, username: str) -> str:
        return f"{self.prefix}u:{username}"

    def get(self, token: str) -> dict[str, Any] | None:
        raw = self.client.get(self._key(token))
        return None if raw is None else json.loads(raw)["data"]

    def put(self, token: str, data: dict[str, Any], username: str | None, seconds: int) -> None:
        body = json.dumps({"username": username, "data": data}, ensure_ascii=False)
        pipe = self.client.pipeline()
        pipe.set(self._key(token), body, ex=max(1, seconds))
        if username:
            pipe.sadd(self._user_key(username), token_id(token))
            pipe.expire(self._user_key(username), max(1, seconds))
        pipe.execute()

    def delete(self, token: str) -> None:
        self.client.delete(self._key(token))

    def end_user(self, username: str) -> int:
        ids = [i.decode() for i in self.client.smembers(self._user_key(username))]
        keys = [f"{self.prefix}s:{i}" for i in ids]
        n = int(self.client.delete(*keys)) if keys else 0
        self.client.delete(self._user_key(username))
        return n


def session_backend(store: Store, redis_url: str = "") -> SessionBackend:
    """Redis when a URL is configured, else the database."""
    return RedisSessions(redis_url) if redis_url else DbSessions(store)


def end_user_sessions(store: Store, username: str, redis_url: str = "") -> int:
    """End every session of ``username`` (disabled account, new password)."""
    return session_backend(store, redis_url).end_user(username)
