"""A page opened by its address, rendered in the app's layout: no router round trip.

Dash's pages put an empty ``_pages_content`` into the layout; the browser then mounts a
``dcc.Location``, which reports the address, which calls the router callback, which answers the
page's layout: a round trip after the layout's, before the page can even ask for its geometry.
Here the layout request (``/_dash-layout``, fetched by Dash's renderer from the page it loaded:
its ``Referer``, sent for the same origin by the app's ``Referrer-Policy: same-origin``) renders
the page of that address into ``_pages_content`` directly, the way the router would (the page's
layout function with its path variables and query parameters, its title), and gives the
Locations the address as their props, so that mounting them reports no change and calls nothing.

Clicks inside the app (``dcc.Link``, the app's Location) still go through Dash's router callback;
:func:`location_props` gives a page's own Location the address in both cases. Without a usable
``Referer`` (another origin, none at all) the container is Dash's own, empty, and the router fills
it as before: never a wrong page, at worst one more round trip.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from typing import Any
from urllib.parse import urlsplit

import dash
import flask
import orjson
import pandas as pd
from dash import dcc, html
from dash._pages import _parse_query_string, _path_to_page  # the router's own matching
from dash.exceptions import MissingCallbackContextException

from . import plotly_bundle

log = logging.getLogger(__name__)

LOCATION_ID, CONTENT_ID, STORE_ID, DUMMY_ID = (
    "_pages_location",
    "_pages_content",
    "_pages_store",
    "_pages_dummy",
)  # Dash's ids: its router callback and title callback keep working on this container
_G_KEY = "rg_page_address"
PRELOAD_MARK = "<!--rg-preload-->"  # in the index string: where the preload links go
# the scripts Dash's components load only once they render (dcc.Graph, dcc.Dropdown)
ASYNC_CHUNKS = (
    "/_dash-component-suites/dash/dcc/async-graph.js",
    "/_dash-component-suites/dash/dcc/async-dropdown.js",
)
Preload = Callable[..., list[str]]
PRELOADS: dict[str, Preload] = {}  # page module -> the geometry URLs its layout's map asks for


def referred_address() -> tuple[str, str] | None:
    """(path, search) of the page whose layout this request fetches: the ``Referer`` of a
    ``/_dash-layout`` request from this very host; None for anything else."""
    if not flask.has_request_context():
        return None
    request = flask.request
    if not request.path.endswith("/_dash-layout") or not request.referrer:
        return None
    parts = urlsplit(request.referrer)
    if parts.netloc != request.host or parts.scheme not in ("http", "https"):
        return None
    return parts.path or "/", f"?{parts.query}" if parts.query else ""


def location_props() -> dict[str, str]:
    """``pathname`` and ``search`` for a page's own ``dcc.Location``, so that it calls nothing
    when it mounts: the address rendered in the layout, or the router's inputs in a client-side
    navigation; {} when neither is known (the Location then reports the address itself)."""
    address = flask.g.get(_G_KEY) if flask.has_request_context() else None
    if address is None:
        address = router_address()
    if address is None:
        return {}
    return {"pathname": address[0], "search": address[1]}


def router_address() -> tuple[str, str] | None:
    """(path, search) of the router callback's inputs; None outside that callback."""
    try:
        inputs = dash.ctx.inputs
    except MissingCallbackContextException:
        return None
    path = inputs.get(f"{LOCATION_ID}.pathname")
    return None if path is None else (path, inputs.get(f"{LOCATION_ID}.search") or "")


def render(path: str, search: str) -> tuple[Any, str] | None:
    """The layout and title of the page at ``path``/``search``, as Dash's router makes them;
    None for an address that names no page (the router shows its not-found page)."""
    app = dash.get_app()
    page, variables = _path_to_page(app.strip_relative_path(path))
    if not page:
        return None
    layout, title = page.get("layout", ""), page["title"]
    if callable(layout):
        layout = layout(**{**(variables or {}), **_parse_query_string(search)})
    if callable(title):
        title = title(**(variables or {}))
    return layout, title


def page_container() -> html.Div:
    """Dash's page container, holding the page of the layout request's address when known."""
    address = referred_address()
    rendered = None
    if address is not None:
        flask.g.setdefault(_G_KEY, address)
        try:
            rendered = render(*address)
        except Exception as exc:  # the router will render it (and report it) instead
            log.warning("page %s%s in the layout: %s: %s", *address, type(exc).__name__, exc)
            rendered = None
    if rendered is None:
        return html.Div(
            [
                dcc.Location(id=LOCATION_ID, refresh="callback-nav"),
                html.Div(id=CONTENT_ID, disable_n_clicks=True),
                dcc.Store(id=STORE_ID),
                html.Div(id=DUMMY_ID, disable_n_clicks=True),
            ]
        )
    layout, title = rendered
    path, search = address
    return html.Div(
        [
            dcc.Location(id=LOCATION_ID, refresh="callback-nav", pathname=path, search=search),
            html.Div(layout, id=CONTENT_ID, disable_n_clicks=True),
            dcc.Store(id=STORE_ID, data={"title": title}),
            html.Div(id=DUMMY_ID, disable_n_clicks=True),
        ]
    )


def preload_links(app: dash.Dash) -> str:
    """``<link rel="preload">`` tags for the index page of this request: the lazily loaded
    component scripts, and the geometry the page's map will fetch (``PRELOADS``, given the
    page's path variables and query), so that both load beside the layout instead of after it.
    A page that fails or is refused here simply preloads nothing more."""
    links = [
        f'<link rel="preload" as="script" href="{escape(app.get_relative_path(p))}">'
        for p in ASYNC_CHUNKS
    ]
    request = flask.request
    page, variables = _path_to_page(app.strip_relative_path(request.path))
    preload = PRELOADS.get(page.get("module", "")) if page else None
    if preload is not None:
        query = {k: v for k, v in request.args.items()}
        try:
            urls = preload(**{**(variables or {}), **query})
        except Exception as exc:  # AccessDenied, an unknown unit: the page says so itself
            log.debug("preload of %s: %s: %s", request.path, type(exc).__name__, exc)
            urls = []
        links += [
            f'<link rel="preload" as="fetch" crossorigin="anonymous" href="{escape(u)}">'
            for u in urls
        ]
        # a page with a map runs plotly.js at once rather than once its graph has rendered:
        # riskgrid.js then starts MapLibre's worker (Plotly.prewarmMap), which boots on the
        # other core while the renderer fetches and renders the layout
        plotly = escape(app.get_relative_path(plotly_bundle.PLOTLY_JS))
        links.append(f'<script async src="{plotly}"></script>')
    return "\n        ".join(links)


def _json_default(value: Any) -> Any:
    """What orjson does not write itself: Dash components, numpy and pandas scalars, dates."""
    if hasattr(value, "to_plotly_json"):
        return value.to_plotly_json()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # a numpy scalar
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if value is pd.NA:
        return None
    raise TypeError(f"not JSON: {type(value).__name__}")


def layout_json(layout: Any) -> bytes:
    """A layout as compact JSON bytes (NaN and infinity as null, as Plotly's encoder writes)."""
    return orjson.dumps(layout, default=_json_default, option=orjson.OPT_SERIALIZE_NUMPY)
