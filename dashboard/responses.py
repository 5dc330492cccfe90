"""Plain responses of the dashboard's server, outside Dash: refusals, not found, the session's
form token (log-in and log-out forms), and the security headers of every response.

An unknown unit or household and one outside the user's area get the same 404 (page or JSON),
byte for byte, so that codes cannot be probed. Every response says: no framing
(``X-Frame-Options: DENY``, ``frame-ancestors 'none'``), scripts only from the app itself and
Dash's inline ones by hash, no MIME sniffing, no referrer to other sites.
"""

from __future__ import annotations

import hmac
import html
import re
import secrets

import dash
import flask
from flask_login import current_user

CSRF_KEY = "rg_csrf"
CSP_KEY = "RISKGRID_CSP"
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


def form_token() -> str:
    """The session's form token (log-in and log-out forms), made on first use."""
    token = flask.session.get(CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = flask.session[CSRF_KEY] = secrets.token_urlsafe(24)
    return token


def form_token_ok(sent: str | None) -> bool:
    expected = flask.session.get(CSRF_KEY)
    return bool(expected) and hmac.compare_digest(str(expected), sent or "")


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


def _signed_in() -> bool:
    try:
        return flask.has_request_context() and current_user.is_authenticated
    except Exception:  # the account store is away (the stale-data page): not signed in here
        return False


def message_page(
    title: str,
    detail: str,
    status: int,
    *,
    links: bool = True,
    logout: bool = False,
    extra: str = "",
    refresh: int | None = None,
) -> flask.Response:
    """A plain Chinese page (no Dash, no data): refusals and errors. ``extra``: more HTML after
    the detail (already escaped); ``refresh``: the page reloads itself after that many
    seconds."""
    nav = '<p><a href="/">返回首页</a></p>' if links else ""
    if (links or logout) and _signed_in():
        nav += logout_form()
    reload = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    body = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">{reload}<title>{html.escape(title)} · 防返贫动态监测</title>
<style>body{{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;background:#f4f1ea;
color:#222;margin:0}}main{{max-width:560px;margin:12vh auto;background:#fff;padding:28px 32px;
border-top:4px solid #b8322a;box-shadow:0 1px 4px rgba(0,0,0,.12)}}h1{{font-size:22px}}
a{{color:#9b2a22}}button{{font-size:15px;padding:6px 16px;color:#fff;background:#b8322a;
border:0;cursor:pointer}}</style></head>
<body><main id="{_main_id(status)}"><h1>{html.escape(title)}</h1><p>{html.escape(detail)}</p>{extra}{nav}</main>
</body></html>"""
    response = flask.Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def _main_id(status: int) -> str:
    if status == 404:
        return "rg-notfound"
    return "rg-denied" if status in (401, 403) else "rg-error"


def shown_as_typed(text: str) -> str:
    """``text`` (a code from an address, already decoded) as it was typed, for a page: control
    characters as ``\\x0a``, anything that cannot be written as UTF-8 as U+FFFD, HTML-escaped."""
    out = []
    for ch in text:
        point = ord(ch)
        if point < 0x20 or point == 0x7F:
            out.append(f"\\x{point:02x}")
        elif 0xD800 <= point <= 0xDFFF:
            out.append("\ufffd")
        else:
            out.append(ch)
    return html.escape("".join(out), quote=True)


# page addresses naming a code: the not-found page shows the code as it was typed
TYPED_CODE = re.compile(r"^/(unit|grid|problems|household)/([^/]+)/?\Z")


def typed_code_line(path: str) -> str:
    """``<p id="rg-typed">编码 …</p>`` for a page address naming a code, else ''."""
    match = TYPED_CODE.match(path)
    if not match:
        return ""
    label = "农户编号" if match.group(1) == "household" else "编码"
    return f'<p id="rg-typed">{label} <code>{shown_as_typed(match.group(2))}</code></p>'


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
    return message_page(
        NOT_FOUND_TITLE, NOT_FOUND_DETAIL, 404, extra=typed_code_line(flask.request.path)
    )


def denied_response(exc: Exception | None = None) -> flask.Response:
    """``AccessDenied`` raised anywhere in a request: answered as an unknown unit (404)."""
    return not_found_response(exc)


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
