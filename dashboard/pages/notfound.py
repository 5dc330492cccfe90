"""The page for an address that names no page: a Chinese message, never a traceback.

Dash shows the page registered under a module name ending in ``not_found_404`` for unknown paths
(a client-side navigation). Loaded by address, an unknown path answers 404 with the same message
as a plain page (``dashboard.page_status``). Unknown unit codes, households and months get the
same message from their own pages.
"""

from __future__ import annotations

from typing import Any

import dash
from dash.development.base_component import Component

from .. import components

TITLE = "未找到该页面"
DETAIL = "地址有误，请从县域总览进入。"


def layout(**_: Any) -> Component:
    """The not-found page."""
    return components.not_found(TITLE, DETAIL)


def register(app: dash.Dash) -> None:
    """Register the not-found page on ``app``."""
    dash.register_page(
        "dashboard.pages.not_found_404",
        path="/404",
        title="未找到 · 防返贫动态监测",
        layout=layout,
    )
