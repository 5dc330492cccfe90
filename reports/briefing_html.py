"""The offline HTML map of a briefing (``riskgrid brief --format html``; ``briefing.render_html``).

One self-contained file: Leaflet's script and styles are inlined from ``reports/vendor/leaflet``
and there is no tile layer, so it opens from a USB stick with no server and no internet.

Unit names and codes come from files county offices are handed: they are text, never markup and
never template source. folium and branca build pages from Jinja templates, and any string that
reaches them can become one: ``folium.Element(s)`` compiles ``s``, and branca compiles the output
of every folium object's script again (``MacroElement.render``), GeoJSON data included, so a
village named ``{{ 7*7 }}`` showed 49 and a name could run commands. So folium only draws the
empty map here (its options are numbers), and everything from data is outside its templates:

- every piece of page written here is a :class:`Fixed` element, whose template is the constant
  ``{{ this.html }}``: its text is output once, never compiled; names in it are HTML-escaped
  (the page title too: branca writes ``<title>{{this.title}}</title>`` as it is);
- the grids, the child units and the outline are drawn by this module's own script
  (``_LAYERS_JS``) from a JSON block escaped for a ``<script>`` (``<``, ``>``, ``&`` as ``\\u``
  escapes); tooltips and labels are built as DOM nodes with ``textContent``, never innerHTML;
- and in case anything got through anyway, a Content-Security-Policy ``<meta>`` allows only the
  page's own inline scripts (each by its SHA-256), inline styles and ``data:`` images, and no
  request to anywhere (``default-src 'none'``): an injected ``onerror=`` handler would not run.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import json
import re
from typing import Any

import folium
from folium import Element, MacroElement
from folium.template import Template

from geodata import Store
from geodata.model import RISK_COLORS, RISK_LABELS

from .briefing import LEAFLET_DIR, OUTLINE, _grid_frame, build_briefing
from .fmt import hp, pct

__all__ = [
    "CSP_META",
    "Fixed",
    "content_security_policy",
    "render_html",
    "script_hashes",
    "script_json",
]

esc = html.escape


class Fixed(Element):
    """A piece of HTML that is never a template: its template is fixed, its ``html`` is output
    as it is. Everything from data in ``html`` must be escaped by whoever builds it."""

    _template = Template("{{ this.html }}")

    def __init__(self, html_text: str):
        super().__init__()
        self._name = "Fixed"
        self.html = html_text


@functools.cache
def _leaflet() -> tuple[str, str]:
    js = (LEAFLET_DIR / "leaflet.js.txt").read_text(encoding="utf-8")
    css = (LEAFLET_DIR / "leaflet.css.txt").read_text(encoding="utf-8")
    # The attribution control (off here) would link the Leaflet site: drop the address so the
    # file names no outside host. The SVG namespace string stays: it is a name, not a request.
    js = re.sub(r'href="https?://leafletjs\.com"\s*', "", js)
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)  # comments cite bug trackers by address
    return js.replace("</script", "<\\/script"), css


def _grid_properties(row: dict[str, Any]) -> dict[str, Any]:
    """The properties of a grid feature, as plain text (the script writes them as text)."""
    data = json.loads(row["data"]) if isinstance(row.get("data"), str) else {}
    open_by = data.get("open_by_level", {})
    cr = data.get("clearance_rate", {})
    monitored = data.get("monitored", {"households": 0, "persons": 0})
    return {
        "level": "grid",
        "name": row["name"],
        "code": row["code"],
        "risk": row["risk_level"],
        "risk_label": f"{RISK_LABELS.get(row['risk_level'], RISK_LABELS['none'])}",
        "monitored": hp(monitored),
        "open_red": hp(open_by.get("red", {})),
        "open_yellow": hp(open_by.get("yellow", {})),
        "open_blue": hp(open_by.get("blue", {})),
        "clearance": f"{pct(cr.get('persons'))} (按人) / {pct(cr.get('households'))} (按户)",
    }


TOOLTIP_FIELDS = (
    ("name", "网格"),
    ("code", "编码"),
    ("risk_label", "风险等级"),
    ("monitored", "监测对象"),
    ("open_red", "未消除 红色"),
    ("open_yellow", "未消除 黄色"),
    ("open_blue", "未消除 蓝色"),
    ("clearance", "风险消除率"),
)

_HTML_STYLE = """
html, body {margin: 0; padding: 0; font-family: "Noto Sans CJK SC", "Microsoft YaHei",
  "PingFang SC", sans-serif;}
.leaflet-container {background: #ffffff;}
.rg-panel {position: fixed; z-index: 1000; background: rgba(255,255,255,0.94); color: #1f2933;
  border: 1px solid #c9d1db; border-radius: 6px; padding: 10px 14px;
  box-shadow: 0 1px 4px rgba(0,0,0,0.15);}
.rg-title {top: 10px; left: 60px; max-width: 60vw;}
.rg-title h1 {font-size: 20px; margin: 0 0 4px 0; overflow-wrap: anywhere;}
.rg-title p {font-size: 13px; margin: 2px 0; color: #5f6b7a; overflow-wrap: anywhere;}
.rg-figures {top: 10px; right: 10px; font-size: 13px; min-width: 230px;}
.rg-figures td {padding: 1px 6px 1px 0;} .rg-figures td.v {text-align: right; font-weight: bold;}
.rg-legend {bottom: 56px; left: 10px; font-size: 13px;}
.rg-legend .sw {display: inline-block; width: 14px; height: 14px; margin-right: 6px;
  vertical-align: -2px; border: 1px solid #8a8a8a;}
.rg-stamp {color: #c81e1e; border: 2px solid #c81e1e; border-radius: 4px; padding: 0 6px;
  font-weight: bold; margin-left: 8px; font-size: 16px;}
.rg-footer {bottom: 6px; right: 10px; font-size: 12px; color: #5f6b7a; padding: 4px 8px;}
.rg-label {background: transparent; border: none; box-shadow: none; font-size: 12px;
  font-weight: bold; color: #1f2933; text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 3px #fff;}
.rg-label::before {display: none;}
.foliumtooltip table {margin: auto;} .foliumtooltip tr {text-align: left;}
.foliumtooltip th {padding: 2px; padding-right: 8px;}
"""

# The map's layers, drawn from the JSON in __DATA__ on the map __MAP__ (both put in by Python's
# str.replace, no template). Every text goes into the page as textContent.
_LAYERS_JS = r"""
(function () {
  "use strict";
  var map = __MAP__;
  var data = __DATA__;
  // Chinese controls: the zoom buttons' tooltips, and a metric scale in 米 / 公里 (Leaflet's own
  // draws "5 km" and "5 mi"); _getRoundNum and _updateScale are those of the inlined Leaflet.
  if (map.zoomControl) map.zoomControl.remove();
  L.control.zoom({zoomInTitle: "放大", zoomOutTitle: "缩小"}).addTo(map);
  var Scale = L.Control.Scale.extend({
    _updateMetric: function (maxMeters) {
      var meters = this._getRoundNum(maxMeters);
      var label = meters < 1000 ? meters + " 米" : meters / 1000 + " 公里";
      this._updateScale(this._mScale, label, meters / maxMeters);
    }
  });
  new Scale({metric: true, imperial: false}).addTo(map);
  function node(tag, text, className) {
    var el = document.createElement(tag);
    if (text !== undefined) el.textContent = text;
    if (className) el.className = className;
    return el;
  }
  function tooltip(props) {
    var table = node("table");
    data.fields.forEach(function (field) {
      var tr = table.appendChild(node("tr"));
      tr.appendChild(node("th", field[1]));
      var value = props[field[0]];
      tr.appendChild(node("td", value === null || value === undefined ? "" : String(value)));
    });
    var div = node("div");
    div.appendChild(table);
    return div;
  }
  var highlight = {weight: 2.5, color: "#1f2933"};
  var grids = L.geoJSON(data.grids, {
    style: function (f) {
      return {fillColor: data.colors[f.properties.risk] || data.colors.none, fillOpacity: 0.9,
              color: "#ffffff", weight: 0.6};
    },
    onEachFeature: function (f, layer) {
      layer.bindTooltip(function () { return tooltip(f.properties); },
                        {sticky: true, className: "foliumtooltip rg-tooltip"});
      layer.on({
        mouseover: function (e) { e.target.setStyle(highlight); },
        mouseout: function (e) { grids.resetStyle(e.target); }
      });
    }
  }).addTo(map);
  window.rg_grids = grids;
  if (data.children) {
    window.rg_children = L.geoJSON(data.children, {
      interactive: false,
      style: function () { return {color: "#3d4450", weight: 1.4, fill: false}; },
      onEachFeature: function (f, layer) {
        layer.bindTooltip(node("span", f.properties.name),
                          {permanent: true, direction: "center", className: "rg-label",
                           interactive: false});
      }
    }).addTo(map);
  }
  window.rg_outline = L.geoJSON(data.outline, {
    interactive: false,
    style: function () { return {color: data.outline_color, weight: 2.5, fill: false}; }
  }).addTo(map);
})();
"""


def script_json(value: Any) -> str:
    """JSON that is safe inside ``<script>``: no ``<``, ``>`` or ``&`` (no ``</script>``, no
    ``<!--``), no line separators; the same values once parsed."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026")):
        text = text.replace(char, escape)
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


class _Layers(MacroElement):
    """The data layers: at render time a :class:`Fixed` script after the map's own script
    (a child of the map renders after it), never a template."""

    def __init__(self, data: dict[str, Any]):
        super().__init__()
        self._name = "RiskgridLayers"
        self.data = data

    def render(self, **kwargs: Any) -> None:
        js = _LAYERS_JS.replace("__MAP__", self._parent.get_name())
        self.get_root().script.add_child(
            Fixed(js.replace("__DATA__", script_json(self.data))), name=self.get_name()
        )


# ---------------------------------------------------------------------------------------- CSP
_SCRIPT_RE = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.I | re.S)
NONE = "'none'"
CSP_META = '<meta http-equiv="Content-Security-Policy" content="{policy}">'


def script_hashes(page: str) -> list[str]:
    """CSP sources (``'sha256-...'``) of every inline ``<script>`` body of ``page``, in order."""
    out = []
    for attrs, body in _SCRIPT_RE.findall(page):
        if "src" in attrs.lower():
            raise ValueError("the briefing loads no script file")
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        source = f"'sha256-{digest}'"
        if source not in out:
            out.append(source)
    return out


def content_security_policy(page: str) -> str:
    """Only this page's own scripts, inline styles, data: images; nothing fetched, no forms."""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src {' '.join(script_hashes(page)) or NONE}",
            "style-src 'unsafe-inline'",
            "img-src data:",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )


def _with_csp(page: str) -> str:
    """The page with its charset and its Content-Security-Policy first in <head>, before the
    title (a long name) and before any script."""
    head = page.index("<head>") + len("<head>")
    policy = content_security_policy(page)
    meta = CSP_META.format(policy=esc(policy, quote=False))
    return page[:head] + '\n<meta charset="utf-8">\n' + meta + page[head:]


# ---------------------------------------------------------------------------------------- page
def _features(store: Store, level: str, code: str, props: Any) -> dict[str, Any]:
    features = store.map_features(level, within=code)["features"]
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f.get("id"),
                "geometry": f["geometry"],
                "properties": props(f),
            }
            for f in features
        ],
    }


def _layer_data(store: Store, unit: Any, month: str) -> dict[str, Any]:
    """Everything the layers script draws: grids with their figures, child units with their
    names, the unit's outline; the tooltip's fields; the colours."""
    grid_rows = {r["code"]: r for r in _grid_frame(store, unit, month).to_dict("records")}

    def grid_props(feature: dict[str, Any]) -> dict[str, Any]:
        row = grid_rows.get(feature["id"]) or {
            "code": feature["id"],
            "name": feature["properties"]["name"],
            "risk_level": "none",
            "data": None,
        }
        return _grid_properties(row)

    child_level = store.child_level(unit.level)
    return {
        "grids": _features(store, "grid", unit.code, grid_props),
        "children": _features(
            store,
            child_level,
            unit.code,
            lambda f: {"level": child_level, "name": f["properties"].get("name", "")},
        )
        if child_level
        else None,
        "outline": _features(store, unit.level, unit.code, lambda f: {}),
        "fields": [list(f) for f in TOOLTIP_FIELDS],
        "colors": dict(RISK_COLORS),
        "outline_color": OUTLINE,
    }


def render_html(store: Store, code: str, month: str | None = None) -> str:
    """One self-contained interactive map of the unit's grids (Leaflet inlined, no tiles)."""
    b = build_briefing(store, code, month)
    unit, month = store.unit(b.code), b.month
    minx, miny, maxx, maxy = (float(v) for v in b.map.bounds)
    fmap = folium.Map(
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        tiles=None,
        zoom_start=9,
        control_scale=False,  # a metric scale in Chinese is added by _LAYERS_JS
        attribution_control=False,
        zoom_snap=0.25,
    )
    fmap.default_js = []  # CDN links: replaced by the inlined Leaflet below
    fmap.default_css = []
    root = fmap.get_root()
    root.header._children.pop("meta_http", None)  # the charset goes first (_with_csp)
    root.title = esc(b.title)
    js, css = _leaflet()
    root.header.add_child(Fixed(f"<style>{css}</style>"), name="leaflet_css_inline")
    root.header.add_child(Fixed(f"<style>{_HTML_STYLE}</style>"), name="riskgrid_css")
    root.header.add_child(Fixed(f"<script>{js}</script>"), name="leaflet_js_inline")
    _Layers(_layer_data(store, unit, month)).add_to(fmap)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]], padding=(20, 20))

    stamp = f'<span class="rg-stamp">{esc(b.stamp)}</span>' if b.stamp else ""
    root.html.add_child(
        Fixed(
            f'<div class="rg-panel rg-title"><h1>{esc(b.title)}{stamp}</h1>'
            f"<p>{esc(b.subtitle)}</p></div>"
        )
    )
    rows = "".join(
        f'<tr><td>{esc(card.label)}</td><td class="v">{esc(card.value)}</td></tr>'
        for row in b.cards
        for card in row
    )
    root.html.add_child(Fixed(f'<div class="rg-panel rg-figures"><table>{rows}</table></div>'))
    legend = "".join(
        f'<div><span class="sw" style="background:{esc(color)}"></span>{esc(text)}</div>'
        for color, text in b.legend
    )
    root.html.add_child(
        Fixed(
            f'<div class="rg-panel rg-legend"><div><b>{esc(b.legend_title)}</b></div>{legend}</div>'
        )
    )
    footer = " · ".join(esc(t) for t in (b.data_date, b.source, b.demo_note or "") if t)
    root.html.add_child(Fixed(f'<div class="rg-panel rg-footer">{footer}</div>'))
    page = root.render()
    page = page.replace("<html>", '<html lang="zh-CN">', 1)
    return _with_csp(page)
