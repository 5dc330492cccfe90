"""Messages shown instead of a page: not found (an unknown unit, household, month or address)
and 无权查看, in Chinese with a way back, never a traceback.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from dash import dcc, html

from geodata.access import AccessDenied, RoleDenied


def not_found(title: str = "未找到该单位", detail: str | None = None) -> html.Div:
    """A clear Chinese message instead of a traceback, with a way back."""
    return html.Div(
        [
            html.H1(title),
            html.P(detail) if detail else None,
            html.P(dcc.Link("返回县域总览", href="/")),
        ],
        className="rg-notfound",
        id="rg-notfound",
    )


def denied() -> html.Div:
    """The refusal shown instead of a page outside the user's area (no data of it)."""
    return html.Div(
        [
            html.H1("无权查看"),
            html.P("该内容不在您账号的管辖范围内，或您的角色不能查看。本次访问已记录。"),
            html.P(dcc.Link("返回首页", href="/")),
        ],
        className="rg-notfound rg-denied",
        id="rg-denied",
    )


UNIT_NOT_FOUND = ("未找到该单位", "未找到该单位，或它不在您账号的管辖范围内。请从总览进入。")
HOUSEHOLD_NOT_FOUND = ("未找到该农户", "未找到该农户，或它不在您账号的管辖范围内。")


def unit_not_found() -> html.Div:
    """An unknown unit, and a unit outside the user's area: the same message (no probing)."""
    return not_found(*UNIT_NOT_FOUND)


def household_not_found() -> html.Div:
    """An unknown household, and one outside the user's area: the same message."""
    return not_found(*HOUSEHOLD_NOT_FOUND)


def month_not_found(month: str | None) -> html.Div:
    """A month that is not a loaded snapshot month."""
    return not_found("没有该月份的数据", f"{month or ''} 不是已加载的统计月份。")


def refuse_denied(
    layout: Callable[..., Any], outside: Callable[[], Any] = unit_not_found
) -> Callable[..., Any]:
    """A page layout that answers ``AccessDenied`` as it answers an unknown unit or household
    (``outside``), and a refusal of the role itself (``RoleDenied``) with ``denied()``."""

    @functools.wraps(layout)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return layout(*args, **kwargs)
        except RoleDenied:
            return denied()
        except AccessDenied:
            return outside()

    return wrapper
