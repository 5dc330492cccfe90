/*
 * The map wall (/wall, dashboard/pages/wall.py): its browser side, served by the app itself.
 *
 * - rgWall.clock: the clock, every second, in the browser's time; and the warning when the
 *   server does not answer the wall's refresh (an error status, no answer, or none for more than
 *   two refresh intervals). The server's own warning (wall-stale) covers a database that cannot
 *   be reached while the server answers; this one a server that cannot answer at all.
 * - rgWall.measure: the map's size on screen, so the server fits the map's view to it; it is
 *   measured whenever the unit shown changes, and after the window is resized (set_props).
 * - rgWall.reload: the page reloads itself after wall_reload_hours.
 * - rgWall.remember: the chosen unit goes into the address bar (replaceState, no new render),
 *   so a reload keeps it.
 * - a watchdog: when the wall could not be rendered at all (the layout failed, e.g. the
 *   database was away when the page was opened), the page is reloaded every minute.
 */
(function () {
  "use strict";

  var WEEKDAYS = ["日", "一", "二", "三", "四", "五", "六"];
  var okAt = Date.now(); // the last time the server answered a callback
  var failedAt = 0; // the last time a callback got an error or no answer

  // watch the answers to Dash's callbacks (the wall's only server callback is its refresh)
  if (window.fetch) {
    var realFetch = window.fetch;
    window.fetch = function (input) {
      var url = typeof input === "string" ? input : (input && input.url) || "";
      var answer = realFetch.apply(this, arguments);
      if (url.indexOf("_dash-update-component") < 0 || !document.getElementById("rg-wall")) {
        return answer;
      }
      return answer.then(
        function (response) {
          if (response.ok) okAt = Date.now(); else failedAt = Date.now();
          return response;
        },
        function (error) {
          failedAt = Date.now();
          throw error;
        }
      );
    };
  }

  function two(n) { return (n < 10 ? "0" : "") + n; }

  function hm(ms) {
    var d = new Date(ms);
    return two(d.getHours()) + ":" + two(d.getMinutes());
  }

  function mapSize() {
    var box = document.getElementById("wall-map-box");
    if (!box) return null;
    var r = box.getBoundingClientRect();
    return { w: Math.round(r.width), h: Math.round(r.height) };
  }

  var noUpdate = function () { return window.dash_clientside.no_update; };

  window.dash_clientside = window.dash_clientside || {};
  window.dash_clientside.rgWall = {
    clock: function (n, config) {
      var now = new Date();
      var time = two(now.getHours()) + ":" + two(now.getMinutes()) + ":" + two(now.getSeconds());
      var date = now.getFullYear() + "年" + (now.getMonth() + 1) + "月" + now.getDate() + "日 星期" +
        WEEKDAYS[now.getDay()];
      var refresh = (config && config.refresh_ms) || 300000;
      var stale = document.getElementById("wall-stale");
      var away = failedAt > okAt || Date.now() - okAt > 2 * refresh + 30000;
      var late = away && !(stale && !stale.hidden);
      var text = late ? "⚠ 数据连接中断，显示的是 " + hm(okAt) + " 的数据" : "";
      return [time, date, text, !late];
    },
    measure: function (ctx, current) {
      var size = mapSize();
      if (!size || size.w < 100 || size.h < 100) return noUpdate();
      var shown = (ctx && ctx.size) || [0, 0];
      if (Math.abs(shown[0] - size.w) <= 2 && Math.abs(shown[1] - size.h) <= 2) return noUpdate();
      if (current && current.w === size.w && current.h === size.h) return noUpdate();
      return size;
    },
    reload: function (n) {
      if (n) window.location.reload();
      return noUpdate();
    },
    remember: function (code, ctx) {
      if (!code || !ctx || ctx.tour) return noUpdate();
      var params = new URLSearchParams(window.location.search);
      if (params.get("unit") !== code) {
        params.set("unit", code);
        window.history.replaceState(window.history.state, "", window.location.pathname + "?" + params);
      }
      return noUpdate();
    }
  };

  // a resized window (e.g. the browser put in full screen): fit the map again
  var resizeTimer = null;
  window.addEventListener("resize", function () {
    if (!document.getElementById("rg-wall")) return;
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(function () {
      var size = mapSize();
      if (size && window.dash_clientside.set_props) {
        window.dash_clientside.set_props("wall-size", { data: size });
      }
    }, 600);
  });

  // the wall could not be rendered (no layout): try again every minute
  var opened = Date.now();
  window.setInterval(function () {
    var onWall = /\/wall\/?$/.test(window.location.pathname);
    if (onWall && !document.getElementById("rg-wall") && Date.now() - opened > 55000) {
      window.location.reload();
    }
  }, 15000);
})();
