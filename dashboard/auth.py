"""Log-in, sessions and deny by default for the dashboard's Flask server.

Dash answers every callback at one URL, so nothing in a page layout protects data: the checks sit
on the server.

1. ``require_login`` (a ``before_request`` hook) lets nothing through without a logged-in user
   but ``/login`` itself: a page GET is redirected to ``/login?next=…``, anything else
   (``/_dash-layout``, ``/_dash-dependencies``, ``/_dash-update-component``, ``/geojson/…``,
   scripts, assets) gets 401 with no data. A session older than ``settings.session_minutes`` is
   ended. A page URL naming a unit or household outside the user's area (``/unit/<code>``,
   ``/grid/<code>``, ``/household/<id>``) is answered there and then exactly as an unknown one
   (404, ``responses.not_found_response``).
2. Every data read of a request goes through ``dashboard.data.get_loaders()``, bound to the
   user's ``Principal``: a unit outside the area raises ``AccessDenied`` before anything is read
   or taken from the cache, whichever callback asked. ``AccessDenied`` becomes the same 404 as
   an unknown unit (a Chinese page, or a short JSON body for callbacks and geometry), never data.
3. Sessions live on the server (``dashboard.sessions``, ``geodata.sessions``: the database, or
   Redis when configured); the cookie holds a random token signed with ``session_key``:
   ``settings.secret_key`` or a key file with mode 0600 beside the database, never the
   database itself. Log-out (a POST with the form token) deletes the session.

With ``settings.login`` off (a single-user install) every request acts as
``geodata.access.LOCAL_ADMIN``; the app then refuses to be built for a non-loopback address and
answers only requests from a loopback address.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
import secrets
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import dash
import flask
from flask_login import LoginManager, UserMixin, current_user, logout_user

from geodata import Store
from geodata.access import AccessDenied, Principal, log
from geodata.accounts import Users
from geodata.private import exposure_warning, read_or_make_key, sqlite_file
from geodata.sessions import session_backend
from geodata.settings import Settings

from .data import get_loaders, get_raw_store, get_settings
from .responses import (
    CSRF_KEY,
    DENIED_DETAIL,
    DENIED_TITLE,
    LOGIN_PATH,
    LOGOUT_PATH,
    _is_api,
    denied_response,
    message_page,
    not_found_response,
    security_headers,
)
from .sessions import ServerSessionInterface, raise_if_unreadable

SESSION_COOKIE = "riskgrid_session"
LOGIN_AT = "rg_login_at"
USERS_KEY = "RISKGRID_USERS"

# page URLs that name a unit or a household: checked against the user's area before serving
PAGE_SCOPE = re.compile(r"^/(unit|grid|household)/([^/]+)/?$")

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


class UnsafeSettings(RuntimeError):
    """Settings the dashboard refuses to start with (log-in off on a non-loopback address)."""


# ---------------------------------------------------------------------- start-up checks
def is_loopback(host: str | None) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost; False for anything else (0.0.0.0, '', names)."""
    if not host:
        return False
    host = host.strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(settings: Settings) -> None:
    """Refuse log-in off on an address other computers can reach."""
    if not settings.login and not is_loopback(settings.host):
        raise UnsafeSettings(
            f"已关闭登录 (RISKGRID_LOGIN=false) 时看板只能监听本机回环地址 (127.0.0.1、::1、"
            f"localhost)，{settings.host or '(空)'} 不是回环地址：请开启登录，或改用 "
            f"--host 127.0.0.1。 / Log-in is off (RISKGRID_LOGIN=false): the dashboard may only "
            f"listen on a loopback address (127.0.0.0/8, ::1, localhost), not "
            f"{settings.host or '(empty)'}. Turn log-in on or use --host 127.0.0.1."
        )


def key_file(settings: Settings) -> Path:
    """Where the session-signing key lives when ``settings.secret_key`` is empty: the setting's
    file, else beside the SQLite database (``FILE.db.key``), else ``riskgrid.key`` here."""
    if settings.secret_key_file:
        return Path(settings.secret_key_file)
    db_file = sqlite_file(settings.db)
    if db_file is not None:
        return db_file.with_name(db_file.name + ".key")
    return Path("riskgrid.key")


def session_key(settings: Settings) -> str:
    """The key that signs session cookies: ``settings.secret_key``, or the key file's (made with
    mode 0600 on first use, so every worker of the install signs with the same key). Never the
    database: whoever can read the data must not be able to sign a session."""
    if settings.secret_key:
        return settings.secret_key
    return read_or_make_key(key_file(settings))


def exposure_warnings(settings: Settings) -> list[str]:
    """Warnings for a database file or key file that other accounts of the PC can read."""
    paths = [p for p in (sqlite_file(settings.db),) if p is not None]
    if not settings.secret_key:
        paths.append(key_file(settings))
    return [w for w in (exposure_warning(p) for p in paths) if w]


# ---------------------------------------------------------------------- sessions
class User(UserMixin):
    """A logged-in account for Flask-Login: a ``Principal``."""

    def __init__(self, principal: Principal) -> None:
        self.principal = principal

    def get_id(self) -> str:
        return self.principal.username


def get_users() -> Users:
    return flask.current_app.config[USERS_KEY]


def start_session(principal: Principal) -> None:
    """Log ``principal`` in: a new session under a new token (no fixation), permanent, stamped
    with the time, with a new form token (for log-out)."""
    from flask_login import login_user

    flask.session.clear()
    flask.session.regenerate()  # a ServerSession (dashboard.sessions): a new token
    login_user(User(principal), remember=False, fresh=True)
    flask.session.permanent = True
    flask.session[LOGIN_AT] = int(time.time())
    flask.session[CSRF_KEY] = secrets.token_urlsafe(24)


def end_session() -> None:
    """Log out: the session is emptied, so it is deleted on the server (the cookie with it)."""
    logout_user()
    flask.session.clear()


def session_expired(settings: Settings) -> bool:
    started = flask.session.get(LOGIN_AT)
    if not isinstance(started, int | float):
        return True
    age = time.time() - started
    return age > settings.session_minutes * 60 or age < -60


def safe_next(target: str | None) -> str:
    """A same-site path to go to after logging in; anything else gives ``/``.

    Browsers drop tabs and newlines from a URL and read a backslash as a slash, so those are
    removed first (``/<TAB>/evil.example`` is ``//evil.example`` to a browser); then only a path
    that starts with one slash, has no scheme or host and no control characters is kept."""
    if not target:
        return "/"
    target = target.replace("\t", "").replace("\n", "").replace("\r", "").replace("\\", "/")
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return "/"
    if not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    if parts.path.startswith((LOGIN_PATH, LOGOUT_PATH)):
        return "/"
    return target


WALL_PATH = "/wall"
WALL_ROLES = frozenset({"viewer"})  # the wall account: its start page is the map wall


def landing(principal: Principal | None, target: str | None) -> str:
    """Where to go after logging in: ``next`` when it names a page (:func:`safe_next`); with no
    page named (``/``), the wall for a wall account (``viewer``), the dashboard otherwise."""
    path = safe_next(target)
    if path == "/" and principal is not None and principal.role in WALL_ROLES:
        return WALL_PATH
    return path


# ---------------------------------------------------------------------- refusals
def unauthorized_response(expired: bool = False) -> flask.Response:
    """No user: a page GET goes to the log-in page, anything else gets 401 and no data."""
    request = flask.request
    if request.method == "GET" and not _is_api(request.path):
        target = request.full_path if request.query_string else request.path
        url = f"{LOGIN_PATH}?next={quote(safe_next(target), safe='/')}"
        if expired:
            url += "&expired=1"
        return flask.redirect(url, code=302)
    response = flask.jsonify({"error": "未登录或登录已过期 (not logged in)"})
    response.status_code = 401
    response.headers["Cache-Control"] = "no-store"
    return response


# ---------------------------------------------------------------------- the hook
def require_login() -> Any:
    """Deny by default: every request but the log-in page needs a user whose session is alive,
    and a page URL naming a unit or household must lie in the user's area."""
    settings = get_settings()
    request = flask.request
    path = request.path
    if not settings.login:
        if not is_loopback(request.remote_addr):
            return message_page(
                "仅限本机访问",
                "本看板关闭了登录，只接受本机 (127.0.0.1) 的访问。",
                403,
                links=False,
            )
    else:
        if path in (LOGIN_PATH, LOGOUT_PATH):
            return None
        if not current_user.is_authenticated:
            return unauthorized_response()
        if session_expired(settings):
            end_session()
            return unauthorized_response(expired=True)
        # the expiry slides with use: a session ends after session_minutes without a request,
        # so a wall that refreshes every few minutes stays logged in
        if time.time() - flask.session[LOGIN_AT] > 60:
            flask.session[LOGIN_AT] = int(time.time())
    match = PAGE_SCOPE.match(path)
    if match and request.method == "GET":
        kind, ident = match.groups()
        loaders = get_loaders()
        try:
            if kind == "household":
                found = loaders.check_household(ident, request.args.get("month"))
            else:
                found = loaders.check(ident) is not None
        except AccessDenied:
            if kind == "household" and not loaders.sees_households:
                return message_page(DENIED_TITLE, DENIED_DETAIL, 403)  # the role, not the unit
            found = False
        if not found:  # unknown, or outside the area: the same 404
            return not_found_response()
    return None


# ---------------------------------------------------------------------- wiring
def app_layout() -> Any:
    """The app's layout: the shell of the current user. Without one (Dash builds the layout
    once on the first request, which may be the log-in page's) a bare frame with no data."""
    from dash import html

    from . import components, page_frame

    try:
        loaders = get_loaders()
    except AccessDenied:
        return html.Div(
            [
                *page_frame.nav_parts(),
                html.Main(dash.page_container, className="rg-main"),
            ],
            className="rg-app",
        )
    return components.shell(loaders)


def init_auth(app: dash.Dash, settings: Settings, store: Store) -> None:
    """Sessions, Flask-Login, the deny-by-default hook, the 403 handler and the log-in page."""
    from .pages import login as login_page

    server = app.server
    server.config.update(
        SECRET_KEY=session_key(settings),
        SESSION_COOKIE_NAME=SESSION_COOKIE,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=dt.timedelta(minutes=settings.session_minutes),
    )
    server.session_interface = ServerSessionInterface(
        session_backend(store, settings.redis_url), settings.session_minutes * 60
    )
    server.config[USERS_KEY] = Users(
        store, max_failures=settings.max_failures, lock_seconds=settings.lock_seconds
    )
    manager = LoginManager()
    manager.session_protection = "basic"
    manager.init_app(server)

    @manager.user_loader
    def _load(username: str) -> User | None:
        principal = get_users().get(username)
        return User(principal) if principal else None

    # first: before Dash's own first-request set-up, which builds the layout (a user's shell)
    server.before_request_funcs.setdefault(None, []).insert(0, require_login)
    server.before_request_funcs[None].insert(0, raise_if_unreadable)  # the store away: 503
    server.register_error_handler(AccessDenied, denied_response)
    server.register_error_handler(404, not_found_response)  # Flask's own (English) page never
    server.after_request(security_headers)
    login_page.register(server)


def log_event(action: str, detail: str | None = None) -> None:
    """An audit row for the current user (log-out and the like)."""
    principal = getattr(current_user, "principal", None)
    log(get_raw_store(), principal, action, None, detail, flask.request.remote_addr)
