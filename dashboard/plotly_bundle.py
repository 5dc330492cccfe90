"""plotly.js as riskgrid needs it: a partial bundle of the trace types the dashboard draws.

Dash's renderer asks for plotly.js at one fixed address (``PLOTLY_JS``: the full 4.8 MB
bundle of the Python plotly package, every trace type). riskgrid draws four trace types, so
that address answers with ``vendor/plotly-riskgrid.min.js`` (3.1 MB), built from plotly.js's
own sources by ``scripts/build_plotly_bundle.sh``: the browser parses and runs it in about a
third of the time (about 0.5 s against 1.4 s on a busy 2-CPU PC), which is most of what a page
opened by its address waits for. A figure of a trace type not in ``TRACES`` would draw nothing:
``tests/test_plotly_bundle.py`` checks every figure the pages build against ``TRACES``.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

import brotli
import flask

__all__ = ["BUNDLE", "PLOTLY_JS", "TRACES", "register"]

# the address Dash's renderer loads plotly.js from when it serves its scripts itself
PLOTLY_JS = "/_dash-component-suites/plotly/package_data/plotly.min.js"
BUNDLE = Path(__file__).resolve().parent / "vendor" / "plotly-riskgrid.min.js"
# the trace types in the bundle (scatter is in plotly.js's core); as in the build script
TRACES = frozenset({"scatter", "bar", "scattermap", "choroplethmap"})


def register(server: flask.Flask, prefix: str = "/") -> None:
    """Answer ``PLOTLY_JS`` (under the app's path ``prefix``) with the partial bundle, after
    the log-in checks that run before it: brotli-compressed once per process (not per request,
    0.1 s each) for a browser that takes it, with an ETag of the content and its encoding, so a
    reload's ``If-None-Match`` gets 304 and no body."""
    path = prefix.rstrip("/") + PLOTLY_JS

    def partial_plotly() -> flask.Response | None:
        if flask.request.path != path:
            return None
        encoding = "br" if "br" in flask.request.accept_encodings else None
        body, tag = _encoded(encoding)
        headers = {"ETag": f'"{tag}"', "Vary": "Accept-Encoding"}
        if flask.request.if_none_match.contains(tag):
            return flask.Response(status=304, headers=headers)
        response = flask.Response(body, mimetype="application/javascript", headers=headers)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        return response

    server.before_request(partial_plotly)


@functools.cache
def _encoded(encoding: str | None) -> tuple[bytes, str]:
    """The bundle's bytes in ``encoding`` (None: as they are) and their entity tag."""
    body = BUNDLE.read_bytes()
    tag = hashlib.sha1(body).hexdigest()
    if encoding == "br":
        return brotli.compress(body, quality=5), f"{tag}:br"
    return body, tag
