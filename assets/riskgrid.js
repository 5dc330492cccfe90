/*
 * riskgrid map helpers, served by the app itself (no other host).
 *
 * 1. Names on maps: MapLibre text layers need glyph files from a font server; offline that fails
 *    for any digit or Latin letter. So names are drawn as HTML over the map: the figure carries
 *    them in layout.meta.labels ({t: text, lon, lat, p: priority, c: class, dy: offset, r: the
 *    radius of the circle it names: tried above, below, right and left of it}); they are
 *    placed with map.project() on every move, and a label overlapping a higher-priority one or
 *    an obstacle (layout.meta.obstacles: {lon, lat, r: radius in px}, e.g. site circles) is
 *    hidden.
 * 2. Drill-down geometry fetched at the click: a click on a unit page's map drills down through
 *    the page's callback (the unit below is drawn in place, by this same map); the shape's
 *    target is in layout.meta.drill (code -> path), and where it is a unit's page the fetch of
 *    its grid geometry (layout.meta.next_geo, a URL with {code}) starts at once, into the
 *    browser's cache, while the callback makes the unit's figure: the geometry does not wait
 *    for the figure.
 * 3. Maps drawn at their panel's size, their unit fitted to it: a map's dcc.Graph is not
 *    "responsive" (it would redraw the map at every change of the page's layout while it fills
 *    in), so Dash gives Plotly no size and Plotly would draw 700 x 450 px whatever the panel.
 *    Plotly.react is wrapped: a figure bound for a .rg-map gets the graph's width and height,
 *    and where its layout.meta.fit names a box ({box: [w, s, e, n], padding}) the centre and
 *    zoom that fit the box to that size (the server fitted it to an assumed size). A resized
 *    window resizes the maps and fits them again.
 * 4. "Map drawn" signal: after Plotly's plotly_afterplot, MapLibre's idle and dcc.Graph's event
 *    binding, the graph div gets data-drawn="1" and data-drawn-at (ms since navigation start),
 *    for tests and timings, and the app's store rg-map-drawn is set (dash_clientside.set_props).
 * 5. What waits for the map: a unit page's details (charts, ranking, problems, 时效) come in
 *    its store unit-details-later and are rendered, by the client-side callback showLater, once
 *    rg-map-drawn is set: rendered with the map they held it back. A page whose map does not
 *    draw (no WebGL, say) shows them after LATER_MS anyway.
 */
(function () {
  "use strict";

  function mapOf(gd) {
    var full = gd._fullLayout;
    var sub = full && full.map && full.map._subplot;
    return sub && sub.map ? sub.map : null;
  }

  function labelLayer(gd, map) {
    var container = map.getContainer();
    var layer = container.querySelector(":scope > .rg-labels");
    if (!layer) {
      layer = document.createElement("div");
      layer.className = "rg-labels";
      container.appendChild(layer);
    }
    return layer;
  }

  function buildLabels(gd, map) {
    var meta = (gd.layout && gd.layout.meta) || {};
    var labels = meta.labels || [];
    var key = String(meta.key || "") + ":" + labels.length;
    var layer = labelLayer(gd, map);
    if (layer.dataset.key === key && gd.__rgLabels) {
      return gd.__rgLabels;
    }
    layer.textContent = "";
    var items = labels
      .slice()
      .sort(function (a, b) { return (b.p || 0) - (a.p || 0); })
      .map(function (lab) {
        var el = document.createElement("span");
        el.className = "rg-maplabel" + (lab.c ? " rg-maplabel-" + lab.c : "");
        el.textContent = lab.t;
        layer.appendChild(el);
        return { el: el, lab: lab, w: 0, h: 0 };
      });
    items.forEach(function (it) {
      it.w = it.el.offsetWidth;
      it.h = it.el.offsetHeight;
    });
    layer.dataset.key = key;
    gd.__rgLabels = items;
    return items;
  }

  function placeLabels(gd) {
    var map = mapOf(gd);
    if (!map) return;
    var items = buildLabels(gd, map);
    var canvas = map.getCanvas();
    var width = canvas.clientWidth;
    var height = canvas.clientHeight;
    var meta = (gd.layout && gd.layout.meta) || {};
    var placed = (meta.obstacles || []).map(function (o) {
      var c = map.project([o.lon, o.lat]);
      return [c.x - o.r, c.y - o.r, c.x + o.r, c.y + o.r];
    });
    var shown = 0;
    items.forEach(function (it) {
      var pt = map.project([it.lab.lon, it.lab.lat]);
      // a label beside a circle of radius r: above it, else below, right or left of it
      var r = it.lab.r;
      var offsets = r ? [[0, -(r + it.h / 2 + 2)], [0, r + it.h / 2 + 2],
        [r + it.w / 2 + 4, 0], [-(r + it.w / 2 + 4), 0]] : [[0, it.lab.dy || 0]];
      var free = false, x = 0, y = 0, box = null;
      for (var k = 0; k < offsets.length && !free; k++) {
        x = pt.x - it.w / 2 + offsets[k][0];
        y = pt.y - it.h / 2 + offsets[k][1];
        box = [x - 2, y - 1, x + it.w + 2, y + it.h + 1];
        var inside = box[0] >= 0 && box[1] >= 0 && box[2] <= width && box[3] <= height;
        free = inside && placed.every(function (o) {
          return box[2] < o[0] || box[0] > o[2] || box[3] < o[1] || box[1] > o[3];
        });
      }
      if (free) {
        placed.push(box);
        shown += 1;
        it.el.style.transform = "translate(" + Math.round(x) + "px," + Math.round(y) + "px)";
        it.el.style.visibility = "visible";
      } else {
        it.el.style.visibility = "hidden";
      }
    });
    gd.dataset.labelsShown = String(shown);
  }

  function markDrawn(gd) {
    // dcc.Graph binds its click and hover handlers once Plotly.react has resolved, when it
    // removes this class: only then is the map drawn *and* usable.
    if (gd.classList.contains("dash-graph--pending")) {
      window.requestAnimationFrame(function () { markDrawn(gd); });
      return;
    }
    gd.dataset.drawn = "1";
    gd.dataset.drawnAt = String(Math.round(performance.now()));
    var trace = gd.data && gd.data[0];
    gd.dataset.locations = String(trace && trace.locations ? trace.locations.length : 0);
    mapDrawn();
  }

  // ------------------------------------------------------------ what waits for the map
  var LATER_MS = 3000;
  var laterTimer = null;

  function mapDrawn() {
    window.clearTimeout(laterTimer);
    laterTimer = null;
    var dc = window.dash_clientside;
    if (dc && typeof dc.set_props === "function") {
      dc.set_props("rg-map-drawn", { data: Math.round(performance.now()) });
    }
  }

  function waitLater() {
    if (laterTimer === null && document.querySelector(".rg-later")) {
      laterTimer = window.setTimeout(mapDrawn, LATER_MS);
    }
  }

  function showLater(drawn, later) {
    var noUpdate = window.dash_clientside.no_update;
    if (later === null || later === undefined) return [noUpdate, noUpdate, noUpdate];
    return [later, "", null];
  }

  function afterPlot(gd) {
    var map = mapOf(gd);
    if (!map) return;
    if (gd.__rgMap !== map) {
      gd.__rgMap = map;
      var pending = false;
      var redraw = function () {
        if (pending) return;
        pending = true;
        window.requestAnimationFrame(function () {
          pending = false;
          placeLabels(gd);
        });
      };
      map.on("move", redraw);
      map.on("resize", redraw);
    }
    placeLabels(gd);
    if (map.loaded() && map.areTilesLoaded() && !map.isMoving()) {
      markDrawn(gd);
    } else {
      map.once("idle", function () {
        placeLabels(gd);
        markDrawn(gd);
      });
    }
  }

  function attach(gd) {
    if (gd.__rgAttached || typeof gd.on !== "function") return;
    gd.__rgAttached = true;
    gd.on("plotly_afterplot", function () { afterPlot(gd); });
    gd.on("plotly_click", function (event) { prefetchNext(gd, event); });
    if (gd._fullLayout && gd._fullLayout.map) afterPlot(gd);
  }

  function scan() {
    var graphs = document.querySelectorAll(".rg-map .js-plotly-plot");
    for (var i = 0; i < graphs.length; i += 1) attach(graphs[i]);
    waitLater();
  }

  // ------------------------------------------------------------ size and fit
  function mercatorY(lat) {
    lat = Math.max(Math.min(lat, 85), -85);
    return Math.log(Math.tan(Math.PI / 4 + (lat * Math.PI) / 360));
  }

  // the centre and zoom showing fit.box in a width x height map (map_figures.fit_view)
  function fitView(fit, width, height) {
    var b = fit.box, pad = fit.padding || 0;
    if (pad < 1) {
      width *= 1 - 2 * pad;
      height *= 1 - 2 * pad;
    } else {
      width -= 2 * pad;
      height -= 2 * pad;
    }
    width = Math.max(width, 50);
    height = Math.max(height, 50);
    var spanX = Math.max(b[2] - b[0], 1e-4);
    var spanY = Math.max(mercatorY(b[3]) - mercatorY(b[1]), 1e-6);
    var zoom = Math.min(
      Math.log2((width * 360) / (512 * spanX)),
      Math.log2((height * 2 * Math.PI) / (512 * spanY))
    ) - 0.02;
    var midY = (mercatorY(b[1]) + mercatorY(b[3])) / 2;
    var lat = ((2 * Math.atan(Math.exp(midY)) - Math.PI / 2) * 180) / Math.PI;
    return { center: { lon: (b[0] + b[2]) / 2, lat: lat }, zoom: Math.max(zoom, 1) };
  }

  function sized(gd, layout) {
    var width = gd.clientWidth, height = gd.clientHeight;
    if (!(width > 0 && height > 0) || !layout) return layout;
    var out = Object.assign({}, layout, { width: width, height: height });
    var fit = layout.meta && layout.meta.fit;
    if (fit && fit.box && layout.map) {
      out.map = Object.assign({}, layout.map, fitView(fit, width, height));
    }
    return out;
  }

  function wrapPlotly(P) {
    if (!P || P.__rgSized || typeof P.react !== "function") return;
    var react = P.react;
    P.react = function (gd, fig) {
      var args = Array.prototype.slice.call(arguments);
      var node = typeof gd === "string" ? document.getElementById(gd) : gd;
      var onMap = node && node.closest && node.closest(".rg-map");
      if (onMap && fig && fig.layout && !Array.isArray(fig)) {
        args[1] = Object.assign({}, fig, { layout: sized(node, fig.layout) });
        if (node.dataset.drawn === "1") node.dataset.drawn = "0";  // until this one is drawn
      }
      return react.apply(this, args);
    };
    P.__rgSized = true;
    // MapLibre's worker started now, not when the first map is made (plotly_bundle.py)
    if (typeof P.prewarmMap === "function") {
      try { P.prewarmMap(); } catch (e) { /* the map starts it itself */ }
    }
  }

  // Plotly arrives with the graph's lazily loaded chunk: wrap it as soon as it is set
  if (window.Plotly) {
    wrapPlotly(window.Plotly);
  } else {
    var plotly;
    Object.defineProperty(window, "Plotly", {
      configurable: true,
      get: function () { return plotly; },
      set: function (value) { plotly = value; wrapPlotly(value); },
    });
  }

  var resizeTimer = null;
  function resizeMaps() {
    var graphs = document.querySelectorAll(".rg-map .js-plotly-plot");
    for (var i = 0; i < graphs.length; i += 1) {
      var gd = graphs[i];
      if (!window.Plotly || !gd._fullLayout || !gd.layout) continue;
      if (gd.clientWidth === gd._fullLayout.width && gd.clientHeight === gd._fullLayout.height) {
        continue;
      }
      var next = sized(gd, gd.layout);
      var update = { width: next.width, height: next.height };
      if (next.map && next.map !== gd.layout.map) {
        update["map.center"] = next.map.center;
        update["map.zoom"] = next.map.zoom;
      }
      window.Plotly.relayout(gd, update);
    }
  }

  function start() {
    new MutationObserver(scan).observe(document.body, { childList: true, subtree: true });
    scan();
    window.addEventListener("resize", function () {
      window.clearTimeout(resizeTimer);
      resizeTimer = window.setTimeout(resizeMaps, 150);
    });
  }

  function prefetchNext(gd, event) {
    var point = event && event.points && event.points[0];
    var meta = gd.layout && gd.layout.meta;
    var path = point && meta && meta.drill && meta.drill[point.location];
    var match = path && /^\/unit\/([0-9]+)$/.exec(path);
    if (!match || !meta.next_geo) return;
    // read to the end: only a complete response is kept in the HTTP cache
    fetch(meta.next_geo.replace("{code}", match[1]), { credentials: "same-origin" })
      .then(function (response) { return response.arrayBuffer(); })
      .catch(function () {});
  }

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.riskgrid = Object.assign(window.dash_clientside.riskgrid || {}, {
    showLater: showLater,
  });

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
