"""The riskgrid dashboard: blue / yellow / red risk maps with drill-down, figures and sites.

``create_app(settings)`` builds a Dash app (a Flask server inside) with its own Store. Pages live
in ``dashboard.pages`` (one module each), shared parts in ``components``, figure builders in
``figures``, cached read queries in ``data``. Everything the browser loads is served by the app
itself: scripts, styles (``assets/``), no tiles, no web fonts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dash
from flask_caching import Cache

import assets
from geodata import Lines, Store
from geodata.settings import Settings, load_settings

from . import (
    auth,
    callback_guard,
    components,
    errors,
    geo,
    initial_page,
    page_status,
    pages,
    plotly_bundle,
    responses,
    routing,
)
from .data import LOADERS_KEY, SETTINGS_KEY, STORE_KEY, Loaders

__all__ = ["ASSETS_DIR", "create_app"]

ASSETS_DIR = str(Path(assets.__file__).resolve().parent)

INDEX_STRING = """<!DOCTYPE html>
<html lang="zh-CN">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
        <link rel="preload" as="script" href="{%plotly_js%}">
        <!--rg-preload-->
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def cache_config(settings: Settings) -> dict[str, Any]:
    """A cache in memory, or one shared between workers: in ``settings.cache_dir`` when set,
    else in Redis at ``settings.redis_url`` when set (keys under ``riskgrid:cache:``)."""
    if not settings.cache_dir and settings.redis_url:
        return {
            "CACHE_TYPE": "RedisCache",
            "CACHE_REDIS_URL": settings.redis_url,
            "CACHE_KEY_PREFIX": "riskgrid:cache:",
            "CACHE_DEFAULT_TIMEOUT": 3600,
        }
    if settings.cache_dir:
        return {
            "CACHE_TYPE": "FileSystemCache",
            "CACHE_DIR": settings.cache_dir,
            "CACHE_DEFAULT_TIMEOUT": 3600,
            "CACHE_THRESHOLD": 2000,
        }
    return {"CACHE_TYPE": "SimpleCache", "CACHE_DEFAULT_TIMEOUT": 3600, "CACHE_THRESHOLD": 500}


class RiskgridDash(dash.Dash):
    """Dash, with an index page that preloads what its page will ask for
    (``initial_page.preload_links``) and a layout written by orjson."""

    def index(self, *args: Any, **kwargs: Any) -> str:
        page = super().index(*args, **kwargs)
        return page.replace(initial_page.PRELOAD_MARK, initial_page.preload_links(self), 1)

    def serve_layout(self) -> Any:
        """The layout as JSON, written by orjson (a page's layout holds its whole content and
        map: Plotly's encoder walks it in Python, several times slower)."""
        return self.backend.make_response(
            initial_page.layout_json(self.get_layout()), mimetype="application/json"
        )


def create_app(settings: Settings | None = None) -> dash.Dash:
    """A new dashboard app on the store named by ``settings.db``: an existing database (a
    SQLite file that does not exist is ``geodata.store.DatabaseMissing``, never made)."""
    settings = settings or load_settings()
    auth.check_binding(settings)  # log-in off only on a loopback address
    lines = Lines(settings.monitoring_line, settings.observation_line)
    store = Store(settings.db, lines, create=False)
    store.migrate()
    store.ensure_policy()
    app = RiskgridDash(
        __name__,
        use_pages=True,
        pages_folder="",
        serve_locally=True,
        assets_folder=ASSETS_DIR,
        compress=True,
        suppress_callback_exceptions=True,
        title=components.APP_TITLE,
        update_title=None,
        routing_callback_inputs=routing.ROUTER_INPUTS,  # a page shown in place stays
    )
    # plotly.js is otherwise requested only once the first graph is rendered
    app.index_string = INDEX_STRING.replace(
        "{%plotly_js%}", app.get_relative_path(plotly_bundle.PLOTLY_JS)
    )
    server = app.server
    server.config[STORE_KEY] = store
    server.config[SETTINGS_KEY] = settings
    server.config[LOADERS_KEY] = Loaders(store, Cache(server, config=cache_config(settings)))
    auth.init_auth(app, settings, store)  # deny by default: log-in, scope, 403
    errors.register(server)  # no traceback, no English page: 4xx, 503 stale data, 500 with an id
    callback_guard.register(app)  # a callback body Dash could not run: 400
    geo.register(server)
    plotly_bundle.register(server, app.config.routes_pathname_prefix)  # after the log-in
    pages.register(app)
    page_status.register(app)  # a page address naming nothing: 404 (after the log-in check)
    app.layout = auth.app_layout  # the shell of the logged-in user
    server.config[responses.CSP_KEY] = app  # the content-security policy hashes its inline scripts
    return app
