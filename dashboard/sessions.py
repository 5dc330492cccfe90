"""Flask sessions kept on the server (``geodata.sessions``), the cookie only a signed token.

The cookie holds a random token (256 bits) signed with the install's key (``RISKGRID_SECRET_KEY``
or the key file, never the database); the session's data (who is logged in, since when, the
form token) lies in the database or Redis under the token's SHA-256. So:

- a cookie forged with anything read from the database is refused (the key is not there, and
  the stored ids are hashes, not tokens);
- log-out deletes the session: the same cookie replayed afterwards finds nothing;
- a disabled account or a new password ends that user's sessions everywhere at once;
- a session expires on the server after ``session_minutes`` without use, whatever the cookie says.

A session is written only when its data changed (the log-in time slides once a minute), and
never for a visitor who has nothing in it.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import flask
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, Signer
from werkzeug.datastructures import CallbackDict

from geodata.sessions import SessionBackend
from geodata.store import is_unavailable

SALT = "riskgrid-session"

log = logging.getLogger(__name__)


class ServerSession(CallbackDict, SessionMixin):
    """A session's data; ``token`` None until it is first saved."""

    def __init__(self, data: dict[str, Any] | None = None, token: str | None = None) -> None:
        def changed(_: Any) -> None:
            self.modified = True

        super().__init__(data or {}, changed)
        self.token = token
        self.new = token is None
        self.modified = False
        self.rotate = False
        # the store could not be read when the session was opened: raised again by the first
        # hook of the request (``raise_if_unreadable``), so that it gets the stale-data answer
        self.unreadable: BaseException | None = None

    def regenerate(self) -> None:
        """A new token at the next save (log-in: no session fixation); the old one is deleted."""
        self.rotate = True
        self.modified = True


class ServerSessionInterface(SessionInterface):
    """Flask's session interface over a ``SessionBackend``."""

    def __init__(self, backend: SessionBackend, lifetime_seconds: int) -> None:
        self.backend = backend
        self.lifetime_seconds = lifetime_seconds

    def _signer(self, app: flask.Flask) -> Signer:
        return Signer(app.secret_key, salt=SALT, key_derivation="hmac", digest_method="sha256")

    def get_cookie_secure(self, app: flask.Flask) -> bool:
        """Secure when configured, or when the request came over HTTPS, directly or through a
        proxy that says so (``X-Forwarded-Proto: https``: a forged header only makes the cookie
        stricter)."""
        if app.config.get("SESSION_COOKIE_SECURE"):
            return True
        if not flask.has_request_context():
            return False
        request = flask.request
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        return request.is_secure or forwarded == "https"

    def open_session(self, app: flask.Flask, request: flask.Request) -> ServerSession:
        cookie = request.cookies.get(self.get_cookie_name(app))
        if cookie:
            try:
                token = self._signer(app).unsign(cookie).decode("ascii")
            except (BadSignature, UnicodeError, ValueError):
                token = None
            if token:
                try:
                    data = self.backend.get(token)
                except Exception as exc:
                    if not is_unavailable(exc):
                        raise
                    session = ServerSession()
                    session.unreadable = exc
                    return session
                if data is not None:
                    return ServerSession(data, token)
        return ServerSession()

    def save_session(
        self, app: flask.Flask, session: SessionMixin, response: flask.Response
    ) -> None:
        assert isinstance(session, ServerSession)
        if session.unreadable is not None:
            return  # nothing was read, nothing is written (the cookie stays as it was)
        try:
            self._save(app, session, response)
        except Exception as exc:  # the store went away during the request: the change is lost
            if not is_unavailable(exc):
                raise
            log.warning("session not saved: %s: %s", type(exc).__name__, exc)

    def _save(self, app: flask.Flask, session: ServerSession, response: flask.Response) -> None:
        name = self.get_cookie_name(app)
        domain = self.get_cookie_domain(app)
        path = self.get_cookie_path(app)
        if not session:
            if session.token is not None:  # emptied (log-out): gone on the server too
                self.backend.delete(session.token)
                response.delete_cookie(name, domain=domain, path=path)
            return
        if not session.modified and not session.new:
            return
        if session.token is not None and session.rotate:
            self.backend.delete(session.token)
            session.token = None
        if session.token is None:
            session.token = secrets.token_urlsafe(32)
        username = session.get("_user_id")
        self.backend.put(
            session.token,
            dict(session),
            username if isinstance(username, str) else None,
            self.lifetime_seconds,
        )
        response.set_cookie(
            name,
            self._signer(app).sign(session.token).decode("ascii"),
            expires=self.get_expiration_time(app, session),
            httponly=self.get_cookie_httponly(app),
            domain=domain,
            path=path,
            secure=self.get_cookie_secure(app),
            samesite=self.get_cookie_samesite(app),
        )
        response.vary.add("Cookie")


def raise_if_unreadable() -> None:
    """A ``before_request`` hook (the first): the error that kept the session from being read."""
    session = flask.session
    unreadable = getattr(session, "unreadable", None)
    if unreadable is not None:
        raise unreadable
