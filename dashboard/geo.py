"""Map geometry served as its own, cacheable resource: ``/geojson/<level>/<code>.json?v=``.

Figures name their geometry by URL (Plotly fetches it once and keeps it; MapLibre fetches the
outline layers), so a page's figure carries only codes, colours and hover data, and going back
to a page does not download the outlines again. The ``v`` parameter is the data version: a new
load gives new URLs, so the long browser cache never serves stale outlines.
"""

from __future__ import annotations

import hashlib
from typing import Any

import dash
import flask
import orjson

from geodata.model import LEVELS

from . import map_detail
from .data import Loaders, get_loaders

ROUTE = "/geojson/<level>/<code>.json"


def geojson_url(loaders: Loaders, level: str, code: str) -> str:
    """The URL of the simplified outlines of ``level`` inside unit ``code``."""
    token = hashlib.sha1(loaders.version().encode()).hexdigest()[:12]
    return dash.get_relative_path(f"/geojson/{level}/{code}.json") + f"?v={token}"


def slim_collection(loaders: Loaders, level: str, code: str) -> dict[str, Any]:
    """The outlines of ``level`` inside ``code`` with ids and geometry only (cached)."""

    def slim() -> dict[str, Any]:
        collection = loaders.features(level, code)
        return {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "id": f["id"], "geometry": f["geometry"]}
                for f in collection["features"]
            ],
        }

    return loaders.memo("geojson-slim", (level, code), slim)


def outline_source(loaders: Loaders, level: str, code: str) -> dict[str, Any]:
    """The outlines a map draws as a line layer, carried IN its figure: a few shapes (the
    unit, its townships or villages), so they arrive with the page in one response and are
    drawn in the map's first draw instead of in a request (and a redraw) of their own."""
    return slim_collection(loaders, level, code)


def geojson_body(loaders: Loaders, level: str, code: str) -> bytes:
    """The FeatureCollection as compact JSON bytes (cached under the data version).

    Only ids and geometry: Plotly matches locations by feature id and MapLibre draws outlines;
    names travel in the figure's hover data.
    """

    def body() -> bytes:
        slim = slim_collection(loaders, level, code)
        return orjson.dumps(slim)  # json.dumps's bytes (ids and coordinates), faster

    return loaders.memo("geojson", (level, code), body)


def serve_geojson(level: str, code: str) -> flask.Response:
    """Flask view: the outlines, 404 for an unknown level or unit, for a level above the
    unit's (villages inside a grid) and for more shapes than ``map_detail.MAX_SHAPES``, 404 too (``AccessDenied``, raised by ``loaders.unit``
    before anything is read or taken from the cache) for a unit outside the user's area."""
    loaders = get_loaders()
    unit = loaders.unit(code) if level in LEVELS else None
    if unit is None or LEVELS.index(level) < LEVELS.index(unit.level):
        flask.abort(404)
    try:  # more shapes than a view may draw (the grids of a province): refused, as on the map
        if level != unit.level:
            map_detail.check_level(loaders, unit, level)
    except map_detail.TooManyShapes as refused:
        flask.abort(404, description=str(refused))
    response = flask.Response(geojson_body(loaders, level, code), mimetype="application/json")
    # private: only the user's own browser keeps it (it is behind a log-in), never a shared proxy
    response.cache_control.private = True
    response.cache_control.max_age = 7 * 24 * 3600
    return response


def register(server: flask.Flask) -> None:
    """Add the geometry route to the app's Flask server."""
    server.add_url_rule(ROUTE, "riskgrid_geojson", serve_geojson)
