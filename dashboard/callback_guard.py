"""The shape of a callback request, checked before Dash sees it.

Dash's dispatch (``/_dash-update-component``) trusts its body: ``null``, ``[]``, ``{}``, an
output no callback has, inputs of the wrong number or kind each end in a ``KeyError`` or
``TypeError`` inside Dash (an HTTP 500). ``check_callback`` (a ``before_request`` hook, after the
log-in check) answers those with 400 and a short JSON error instead, so Dash only ever runs a
callback with the inputs and state it declared:

- the body is a JSON object whose ``output`` is a registered callback's;
- ``outputs`` is one ``{id, property}`` object or a list of them, as many as the output names;
- ``inputs`` and ``state`` are lists of ``{id, property, value}`` objects naming exactly the
  callback's inputs and state, in order (``state`` may be left out when it has none);
- ``changedPropIds`` is a list of ``"id.property"`` strings of those inputs;
- the values of the properties the renderer fills have its types: click counts and intervals
  are whole numbers, addresses strings, a graph's ``clickData`` an object of points;
- no string anywhere holds a lone surrogate (``\\ud800``: not text, and no database takes it).

Beyond their types the values are the callbacks' to judge (a month of ``2026-13`` is "no such
month"); a page's context store is read through ``checked_ctx``, which refuses one that is not the
object the page wrote (400).
"""

from __future__ import annotations

import json
from typing import Any

import dash
import flask
from dash._utils import split_callback_id
from werkzeug.exceptions import BadRequest

CALLBACK_PATH = "/_dash-update-component"
MAX_DEPTH = 64


class BadCallback(ValueError):
    """A callback body that is not one the app's renderer could send."""


def _refuse(reason: str) -> flask.Response:
    response = flask.jsonify({"error": f"请求无效 (bad callback request): {reason}"})
    response.status_code = 400
    response.headers["Cache-Control"] = "no-store"
    return response


def has_surrogate(value: Any, depth: int = 0) -> bool:
    """True when a string in ``value`` (keys included) holds a lone surrogate."""
    if depth > MAX_DEPTH:
        raise BadCallback("嵌套过深 (nested too deeply)")
    if isinstance(value, str):
        return any(0xD800 <= ord(ch) <= 0xDFFF for ch in value) if not value.isascii() else False
    if isinstance(value, dict):
        return any(
            has_surrogate(k, depth + 1) or has_surrogate(v, depth + 1) for k, v in value.items()
        )
    if isinstance(value, list):
        return any(has_surrogate(v, depth + 1) for v in value)
    return False


def _count(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0)


def _text(value: Any) -> bool:
    return value is None or isinstance(value, str)


def _path(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("/")


def _choice(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, str | int | float) for v in value)
    return value is None or isinstance(value, str | int | float)


def _points(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, dict):
        return False
    points = value.get("points", [])
    return isinstance(points, list) and all(isinstance(p, dict) for p in points)


# the value types the renderer sends for a property (others are not checked here)
PROPERTY_TYPES = {
    "n_clicks": _count,
    "n_intervals": _count,
    "pathname": _path,
    "search": _text,
    "href": _text,
    "hash": _text,
    "value": _choice,
    "clickData": _points,
    "hoverData": _points,
}


def checked_ctx(ctx: Any, *keys: str) -> dict[str, Any]:
    """A page's context store as a callback got it: an object with ``keys`` each a string or
    None (the page wrote it so); anything else is a forged request, answered 400."""
    if not isinstance(ctx, dict) or not all(k in ctx and _text(ctx[k]) for k in keys):
        raise BadRequest("页面状态无效 (bad page context)")
    return ctx


def _spec_key(spec: dict[str, Any]) -> tuple[Any, Any]:
    return spec["id"], spec["property"]


def _check_items(sent: Any, declared: list[dict[str, Any]], what: str) -> None:
    if not isinstance(sent, list):
        raise BadCallback(f"{what} 应为列表 (must be a list)")
    if len(sent) != len(declared):
        raise BadCallback(f"{what} 数目不符 (expected {len(declared)}, got {len(sent)})")
    for item, spec in zip(sent, declared, strict=True):
        if isinstance(spec["id"], str) and spec["id"].startswith("{"):  # a pattern (ALL, …)
            _check_pattern(item, spec, what)
        else:
            _check_item(item, spec["id"], spec["property"], what)


def _check_item(item: Any, id_: Any, prop: str, what: str) -> None:
    if not isinstance(item, dict) or "id" not in item or "property" not in item:
        raise BadCallback(f"{what} 的每一项应有 id 和 property")
    if (item["id"], item["property"]) != (id_, prop):
        raise BadCallback(f"{what} 与回调不符 (does not match the callback)")
    check = PROPERTY_TYPES.get(prop)
    if check is not None and not check(item.get("value")):
        raise BadCallback(f"{prop} 的值类型无效 (wrong type)")


def _check_pattern(item: Any, spec: dict[str, Any], what: str) -> None:
    """A pattern-matching input: one ``{id: {...}, property, value}`` per matching component
    (a list; a single object for MATCH), each id an object with the pattern's keys."""
    keys = set(json.loads(spec["id"]))
    for one in item if isinstance(item, list) else [item]:
        id_ = one.get("id") if isinstance(one, dict) else None
        if not isinstance(id_, dict) or set(id_) != keys:
            raise BadCallback(f"{what} 与回调不符 (does not match the callback)")
        _check_item(one, id_, spec["property"], what)


def _check_outputs(sent: Any, output: str) -> None:
    """One ``{id, property}`` for a single output, a list of them for several: the ones the
    output names, in order."""
    expected = split_callback_id(output)
    items = sent if isinstance(expected, list) else [sent]
    wanted = expected if isinstance(expected, list) else [expected]
    if not isinstance(items, list) or len(items) != len(wanted):
        raise BadCallback("outputs 数目不符 (wrong number of outputs)")
    for item, spec in zip(items, wanted, strict=True):
        if not isinstance(item, dict) or (item.get("id"), item.get("property")) != (
            spec["id"],
            spec["property"],
        ):
            raise BadCallback("outputs 与回调不符 (does not match the callback)")


def _changed_ok(changed: Any, callback: dict[str, Any]) -> bool:
    """``id.property`` of one of the callback's inputs (of a pattern's: a JSON object id)."""
    if not isinstance(changed, str) or "." not in changed:
        return False
    id_, prop = changed.rsplit(".", 1)
    for spec in callback["inputs"]:
        if spec["property"] != prop:
            continue
        if not spec["id"].startswith("{"):
            if id_ == spec["id"]:
                return True
            continue
        try:
            parsed = json.loads(id_)
        except ValueError:
            return False
        if isinstance(parsed, dict) and set(parsed) == set(json.loads(spec["id"])):
            return True
    return False


def validate_body(app: dash.Dash, body: Any) -> None:
    """Raise ``BadCallback`` unless ``body`` is a request for one of ``app``'s callbacks."""
    if not isinstance(body, dict):
        raise BadCallback("应为 JSON 对象 (must be a JSON object)")
    output = body.get("output")
    if not isinstance(output, str) or output not in app.callback_map:
        raise BadCallback("未知的输出 (unknown output)")
    callback = app.callback_map[output]
    if not callback.get("no_output"):
        _check_outputs(body.get("outputs"), output)
    _check_items(body.get("inputs"), callback["inputs"], "inputs")
    _check_items(
        body.get("state", [] if not callback["state"] else None), callback["state"], "state"
    )
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(_changed_ok(c, callback) for c in changed):
        raise BadCallback("changedPropIds 无效")
    if has_surrogate(body):
        raise BadCallback("含无效字符 (lone surrogate)")


def register(app: dash.Dash) -> None:
    """Check every callback request on ``app`` (after the log-in hook)."""
    path = app.config.requests_pathname_prefix.rstrip("/") + CALLBACK_PATH

    def check_callback() -> Any:
        request = flask.request
        if request.path != path or request.method != "POST":
            return None
        try:
            body = request.get_json(force=True, silent=True)
        except RecursionError:  # nested deeper than the JSON parser goes
            body = None
        if body is None:
            return _refuse("不是 JSON 对象 (not a JSON object)")
        try:
            validate_body(app, body)
        except BadCallback as exc:
            return _refuse(str(exc))
        return None

    app.server.before_request(check_callback)
