"""Log-in, sessions and deny by default for the dashboard's Flask server.

Dash answers every callback at one URL, so nothing in a page layout protects data: the checks sit
on the server.

1. ``require_login`` (a ``before_request`` hook) lets nothing through without a logged-in user
   but ``/login`` itself: a page GET is redirected to ``/login?next=…``, anything else
   (``/_dash-layout``, ``/_dash-dependencies``, ``/_dash-update-component``, ``/geojson/…``,
   scripts, assets) gets 401 with no data. A session older than ``settings.session_minutes`` is
   ended. A page URL naming a unit or household outside the user's area (``/unit/<code>``,
   ``/grid/<code>``, ``/household/<id>``) is refused there and then.
2. Every data read of a request goes through ``dashboard.data.get_loaders()``, bound to the
   user's ``Principal``: a unit outside the area raises ``AccessDenied`` before anything is read
   or taken from the cache, whichever callback asked. ``AccessDenied`` becomes a 403 (a Chinese
   无权查看 page for pages, a short JSON body for callbacks and geometry), never data.
3. Sessions are Flask's signed cookie (HttpOnly, SameSite=Lax, Secure over HTTPS), signed with
   ``settings.secret_key`` or else a random key made once and kept in the database's meta table,
   so that every worker shares it.

With ``settings.login`` off (a single-user install) every request acts as
``geodata.access.LOCAL_ADMIN``; the app then refuses to be built for a non-loopback address and
answers only requests from a loopback address.
"""

from __future__ import annotations

import datetime as dt
import hmac
import html
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
from riskgrid.settings import Settings

from .data import get_loaders, get_raw_store, get_settings
from .sessions import ServerSessionInterface

CSRF_KEY = "rg_csrf"
CSP_KEY = "RISKGRID_CSP"
SESSION_COOKIE = "riskgrid_session"
LOGIN_AT = "rg_login_at"
USERS_KEY = "RISKGRID_USERS"

LOGIN_PATH = "/login"
LOGOUT_PATH = "/logout"
# paths answered to XHR / scripts rather than shown as pages: 401 (not a redirect) without a user
API_PREFIXES = (
    "/_dash-",
    "/_reload-hash",
    "/_alive",
    "/geojson/",
    "/assets/",
    "/_favicon",
    "/favicon.ico",
)
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
    regenerate = getattr(flask.session, "regenerate", None)
    if regenerate is not None:
        regenerate()
    login_user(User(principal), remember=False, fresh=True)
    flask.session.permanent = True
    flask.session[LOGIN_AT] = int(time.time())
    flask.session[CSRF_KEY] = secrets.token_urlsafe(24)


def end_session() -> None:
    """Log out: the session is emptied, so it is deleted on the server (the cookie with it)."""
    logout_user()
    flask.session.clear()


def form_token() -> str:
    """The session's form token (log-in and log-out forms), made on first use."""
    token = flask.session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = flask.session[CSRF_KEY] = secrets.token_urlsafe(24)
    return token


def form_token_ok(sent: str | None) -> bool:
    expected = flask.session.get(CSRF_KEY)
    return bool(expected) and hmac.compare_digest(str(expected), sent or "")


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


# ---------------------------------------------------------------------- refusals
def _is_api(path: str) -> bool:
    return path.startswith(API_PREFIXES)


def logout_form() -> str:
    """The log-out button: a POST with the session's form token (a GET changes nothing)."""
    token = html.escape(form_token(), quote=True)
    return (
        f'<form method="post" action="{LOGOUT_PATH}" id="rg-logout-form">'
        f'<input type="hidden" name="csrf" value="{token}">'
        '<button type="submit" id="rg-logout">退出登录</button></form>'
    )


def message_page(
    title: str, detail: str, status: int, *, links: bool = True, logout: bool = False
) -> flask.Response:
    """A plain Chinese page (no Dash, no data): refusals and errors."""
    signed_in = flask.has_request_context() and current_user.is_authenticated
    nav = '<p><a href="/">返回首页</a></p>' if links else ""
    if (links or logout) and signed_in:
        nav += logout_form()
    body = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)} · 防返贫动态监测</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#f4f1ea;
color:#222;margin:0}}main{{max-width:560px;margin:12vh auto;background:#fff;padding:28px 32px;
border-top:4px solid #b8322a;box-shadow:0 1px 4px rgba(0,0,0,.12)}}h1{{font-size:22px}}
a{{color:#9b2a22}}button{{font-size:15px;padding:6px 16px;color:#fff;background:#b8322a;
border:0;cursor:pointer}}</style></head>
<body><main id="{'rg-notfound' if status == 404 else 'rg-denied'}"><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p>{nav}</main>
</body></html>"""
    response = flask.Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


DENIED_TITLE = "无权查看"
DENIED_DETAIL = "您的角色不能查看该内容。本次访问已记录。"
NOT_FOUND_TITLE = "未找到"
NOT_FOUND_DETAIL = "未找到该单位或农户，或它不在您账号的管辖范围内。请从总览进入。"


def not_found_response(_exc: Exception | None = None) -> flask.Response:
    """404 with no data, the same for an unknown unit or household and for one outside the
    user's area (so that codes cannot be probed): JSON for callbacks and geometry, a Chinese
    page otherwise. The refusal itself is in the audit log."""
    if _is_api(flask.request.path):
        response = flask.jsonify({"error": "未找到 (not found)"})
        response.status_code = 404
        response.headers["Cache-Control"] = "no-store"
        return response
    return message_page(NOT_FOUND_TITLE, NOT_FOUND_DETAIL, 404)


def denied_response(exc: Exception | None = None) -> flask.Response:
    """``AccessDenied`` raised anywhere in a request: answered as an unknown unit (404)."""
    return not_found_response(exc)


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


def security_headers(response: flask.Response) -> flask.Response:
    """Every response: no framing, a content-security policy of the app's own scripts (and
    the hashes of Dash's inline ones), no MIME sniffing, no referrer to other sites."""
    app = flask.current_app.config.get(CSP_KEY)
    if app is not None:
        response.headers.setdefault("Content-Security-Policy", content_security_policy(app))
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


def content_security_policy(app: dash.Dash) -> str:
    """Scripts only from the app itself and Dash's own inline scripts (by hash, no
    ``unsafe-inline``, no ``eval``); styles from the app (inline style attributes allowed:
    plotly.js and React set them); MapLibre's workers from blob URLs; no frames, no plugins,
    forms only to the app.

    Computed for each response: Dash adds inline scripts (its pages' clientside callbacks) when it
    sets itself up on the first request it serves, after the app was built."""
    hashes = " ".join(app.csp_hashes())
    return (
        "default-src 'self'; "
        f"script-src 'self' {hashes}; "
        "style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; "
        "font-src 'self' data:; "
        "connect-src 'self'; "
        "worker-src 'self' blob:; "
        "child-src 'self' blob:; "
        "object-src 'none'; "
        "base-uri 'self'; "
        "form-action 'self'; "
        "frame-ancestors 'none'"
    )


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
    from dash import dcc, html

    from . import components

    try:
        loaders = get_loaders()
    except AccessDenied:
        return html.Div(
            [
                dcc.Location(id=components.NAV_ID, refresh="callback-nav"),
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
    server.register_error_handler(AccessDenied, denied_response)
    server.register_error_handler(404, not_found_response)  # Flask's own (English) page never
    server.after_request(security_headers)
    login_page.register(server)


def log_event(action: str, detail: str | None = None) -> None:
    """An audit row for the current user (log-out and the like)."""
    principal = getattr(current_user, "principal", None)
    log(get_raw_store(), principal, action, None, detail, flask.request.remote_addr)
