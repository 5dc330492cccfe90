"""The log-in page, ``/login``, and log-out, ``/logout``: plain Flask views, not Dash pages.

The log-in page is the only page served without a user, so it is a self-contained HTML form: no
Dash layout, no scripts, no assets, nothing of the data. The form carries a token kept in the
session (no log-in CSRF); so does log-out, which is a POST. A right password starts a new
session (``auth.start_session``) and goes on to ``next`` (a local path only; with none, the wall
account goes to ``/wall``: ``auth.landing``); a failed attempt
shows one Chinese message whatever the reason (unknown name, wrong password, an address that
must wait: ``geodata.accounts``). Every log-in, failure and log-out is in the audit log, with
the reason.
"""

from __future__ import annotations

import html

import flask
from flask_login import current_user

from geodata.accounts import AuthError

from .. import auth, responses
from ..components import APP_TITLE
from ..data import get_settings

PAGE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>登录 · {title}</title>
<style>
body {{ margin: 0; background: #f4f1ea; color: #222;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif; }}
header {{ background: #9b2a22; color: #fff; padding: 12px 20px; font-size: 18px; font-weight: 700;
  letter-spacing: 1px; }}
main {{ max-width: 380px; margin: 10vh auto; background: #fff; padding: 26px 30px 22px;
  box-shadow: 0 1px 4px rgba(0,0,0,.15); border-top: 4px solid #b8322a; }}
h1 {{ font-size: 20px; margin: 0 0 18px; }}
label {{ display: block; margin: 12px 0 4px; color: #555; }}
input[type=text], input[type=password] {{ width: 100%; box-sizing: border-box; padding: 8px;
  font-size: 15px; border: 1px solid #c9c2b5; }}
button {{ margin-top: 20px; width: 100%; padding: 9px; font-size: 16px; color: #fff;
  background: #b8322a; border: 0; cursor: pointer; }}
.rg-login-error {{ color: #b8322a; background: #fbeeed; padding: 8px 10px; margin: 0 0 8px; }}
.rg-login-note {{ color: #555; background: #f1efe8; padding: 8px 10px; margin: 0 0 8px; }}
.rg-login-foot {{ color: #777; font-size: 12px; margin-top: 16px; }}
</style>
</head>
<body>
<header>{title}</header>
<main>
<h1>用户登录</h1>
{message}
<form method="post" action="/login" id="rg-login" autocomplete="off">
<input type="hidden" name="csrf" value="{csrf}">
<input type="hidden" name="next" value="{next}">
<label for="username">用户名</label>
<input type="text" id="username" name="username" required autofocus>
<label for="password">密码</label>
<input type="password" id="password" name="password" required>
<button type="submit" id="rg-login-submit">登录</button>
</form>
<p class="rg-login-foot">农户信息仅限本辖区工作人员查看，每次查看均记录在审计日志中。</p>
</main>
</body>
</html>
"""


def render(
    *, error: str | None = None, note: str | None = None, status: int = 200
) -> flask.Response:
    """The log-in form, with the session's form token (made on first use; a new session after
    logging in gets a new one). The user name typed is not echoed: the page after a failed
    attempt is the same whatever the name was."""
    token = responses.form_token()
    message = ""
    if error:
        message += f'<p class="rg-login-error" id="rg-login-error">{html.escape(error)}</p>'
    if note:
        message += f'<p class="rg-login-note" id="rg-login-note">{html.escape(note)}</p>'
    body = PAGE.format(
        title=html.escape(APP_TITLE),
        message=message,
        csrf=token,
        next=html.escape(auth.safe_next(flask.request.values.get("next")), quote=True),
    )
    response = flask.Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"
    return response


def login_view() -> flask.Response:
    """GET: the form. POST: check the password; on success a new session and a redirect."""
    if not get_settings().login:
        return flask.redirect("/")
    if flask.request.method == "GET":
        if current_user.is_authenticated:
            principal = getattr(current_user, "principal", None)
            return flask.redirect(auth.landing(principal, flask.request.args.get("next")))
        note = "登录已过期，请重新登录。" if flask.request.args.get("expired") else None
        return render(note=note)
    form = flask.request.form
    username = (form.get("username") or "").strip()
    password = form.get("password") or ""
    if not responses.form_token_ok(form.get("csrf")):
        return render(error="页面已过期，请重新登录", status=400)
    if not username or not password:
        return render(error="请输入用户名和密码", status=401)
    try:
        principal = auth.get_users().authenticate(username, password, flask.request.remote_addr)
    except AuthError as exc:
        return render(error=str(exc), status=401)
    auth.start_session(principal)
    return flask.redirect(auth.landing(principal, form.get("next")))


def logout_view() -> flask.Response:
    """POST with the session's form token: end the session (logged) and go to the log-in form.
    GET (a link, an image a page embeds, a prefetch) changes nothing: it shows a button that
    posts the form."""
    if not get_settings().login:
        return flask.redirect("/")
    if flask.request.method != "POST" or not responses.form_token_ok(
        flask.request.form.get("csrf")
    ):
        if not current_user.is_authenticated:
            return flask.redirect(auth.LOGIN_PATH)
        return responses.message_page("退出登录", "确定要退出登录吗？", 200, links=True)
    if current_user.is_authenticated:
        auth.log_event("logout")
    auth.end_session()
    return flask.redirect(auth.LOGIN_PATH)


def register(server: flask.Flask) -> None:
    """Add ``/login`` and ``/logout`` to the app's Flask server."""
    server.add_url_rule(auth.LOGIN_PATH, "riskgrid_login", login_view, methods=["GET", "POST"])
    server.add_url_rule(auth.LOGOUT_PATH, "riskgrid_logout", logout_view, methods=["GET", "POST"])
