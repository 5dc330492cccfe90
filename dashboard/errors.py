"""Errors of the dashboard's server: never a traceback, never Flask's English pages.

- an HTTP error (``abort(400)``, a body that is not JSON, a method not allowed, …): its status
  with a short Chinese page, or JSON for callbacks, geometry and scripts (``responses._is_api``);
  404 keeps ``responses.not_found_response`` (the same for unknown and outside the area);
- a script or file of Dash's that does not exist (``/_dash-component-suites/…``, traversal
  attempts included): 404;
- the database away (its SQLite file moved away, unreadable, PostgreSQL restarting:
  ``geodata.store.is_unavailable``): 503 with the stale-data message, the store's pooled
  connections dropped, so the next request connects again and answers as soon as it is back;
  the page reloads itself after ``retry_seconds``;
- anything else (a bug): logged once with a request id, answered 500 with that id
  ("服务器内部错误, 编号 3f2a…") and nothing of the exception.
"""

from __future__ import annotations

import html
import logging
import uuid
from typing import Any

import flask
from dash.exceptions import DependencyException, InvalidResourceError
from werkzeug.exceptions import HTTPException, InternalServerError

from geodata.store import is_unavailable

from .data import SETTINGS_KEY, STORE_KEY
from .responses import _is_api, message_page, not_found_response

log = logging.getLogger(__name__)

STALE_TITLE = "数据暂不可用"
STALE_DETAIL = "⚠ 数据连接中断：数据库暂时无法读取，恢复后本页自动刷新。"
STALE_JSON = "数据暂不可用：数据连接中断，恢复后自动更新 (data temporarily unavailable)"
MAX_RETRY_SECONDS = 30

# Chinese titles of the HTTP errors a request can meet (others: 请求无法处理)
TITLES = {
    400: "请求无效",
    401: "未登录或登录已过期",
    403: "无权查看",
    405: "不支持的请求方法",
    406: "无法提供该格式",
    408: "请求超时",
    413: "请求内容过大",
    414: "地址过长",
    415: "不支持的请求格式",
    429: "请求过于频繁",
    431: "请求头过大",
}


def retry_seconds() -> int:
    """How soon a stale page asks again: the wall's refresh interval, at most 30 s."""
    settings = flask.current_app.config.get(SETTINGS_KEY)
    refresh = getattr(settings, "wall_refresh_seconds", MAX_RETRY_SECONDS)
    return max(1, min(int(refresh), MAX_RETRY_SECONDS))


def _json(payload: dict[str, Any], status: int) -> flask.Response:
    response = flask.jsonify(payload)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


def http_error(exc: HTTPException) -> flask.Response:
    """An HTTP error in Chinese: JSON for callbacks and the like, a short page otherwise."""
    status = exc.code or 400
    if status == 404:
        return not_found_response(exc)
    if status >= 500:
        return internal_error(exc)
    title = TITLES.get(status, "请求无法处理")
    if _is_api(flask.request.path):
        response = _json({"error": f"{title} ({status})"}, status)
    else:
        response = message_page(title, "请从首页重新进入。", status)
    headers = dict(exc.get_headers())
    for key in ("Allow", "Retry-After"):  # what the error says the client may do
        if key in headers:
            response.headers[key] = headers[key]
    return response


def missing_resource(_exc: Exception) -> flask.Response:
    """A script or file of Dash's that the app does not have (traversal attempts included)."""
    return not_found_response()


def stale_response(exc: BaseException) -> flask.Response:
    """The database is away: 503 with the stale-data message; the pool is dropped so that the
    next request connects afresh."""
    store = flask.current_app.config.get(STORE_KEY)
    log.warning(
        "database unavailable on %s %s: %s: %s",
        flask.request.method,
        flask.request.path,
        type(exc).__name__,
        str(exc).splitlines()[0] if str(exc) else "",
    )
    if store is not None:
        store.engine.dispose()
    seconds = retry_seconds()
    if _is_api(flask.request.path):
        response = _json({"error": STALE_JSON, "stale": True}, 503)
    else:
        response = message_page(STALE_TITLE, STALE_DETAIL, 503, links=False, refresh=seconds)
    response.headers["Retry-After"] = str(seconds)
    return response


def internal_error(exc: BaseException) -> flask.Response:
    """Anything unforeseen: logged once with a request id; the answer shows only the id."""
    if isinstance(exc, InternalServerError) and exc.original_exception is not None:
        exc = exc.original_exception
    if is_unavailable(exc):
        return stale_response(exc)
    request_id = uuid.uuid4().hex[:12]
    request = flask.request
    log.error(
        "unhandled error %s on %s %s",
        request_id,
        request.method,
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__),
    )
    if _is_api(request.path):
        response = _json({"error": "服务器内部错误 (internal error)", "id": request_id}, 500)
    else:
        response = message_page(
            "服务器内部错误",
            "处理请求时出错，已记入日志。请稍后重试，或把下面的编号告诉管理员。",
            500,
            extra=f'<p id="rg-request-id">编号 {html.escape(request_id)}</p>',
        )
    response.headers["X-Request-Id"] = request_id
    return response


def any_exception(exc: Exception) -> Any:
    """The handler of every exception no other handler took."""
    if isinstance(exc, HTTPException):
        return http_error(exc)
    return internal_error(exc)


def register(server: flask.Flask) -> None:
    """Install the handlers on the app's Flask server (after Dash's own: they replace its
    English answer for a missing resource; its 204 for ``PreventUpdate`` stays)."""
    server.register_error_handler(HTTPException, http_error)
    server.register_error_handler(DependencyException, missing_resource)
    server.register_error_handler(InvalidResourceError, missing_resource)
    server.register_error_handler(Exception, any_exception)
    server.register_error_handler(500, internal_error)
    # Flask would log an error that reaches its last resort a second time, without the id
    server.log_exception = lambda exc_info: None  # type: ignore[method-assign]
