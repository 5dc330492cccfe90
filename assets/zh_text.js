/*
 * Chinese for the texts the dashboard's libraries write themselves (served by the app itself,
 * like every file in assets/; no other host).
 *
 * 1. Plotly: its zh-CN locale (the dictionary of plotly.js's lib/locales/zh-cn.js, MIT licence,
 *    short month names written as 1月...12月), registered through window.PlotlyLocales, which
 *    plotly.js reads once it has loaded (dcc.Graph loads it after this script has run). The
 *    graphs ask for it with config {locale: "zh-CN"} (dashboard/panels.py): the mode bar's
 *    tooltips, "Double-click to zoom back out", month names on date axes.
 * 2. MapLibre (Plotly's map): the map canvas's aria-label ("Map") and the attribution button's
 *    title and aria-label ("Toggle attribution"). Plotly gives MapLibre no locale option, so
 *    they are set when a map appears, watched with a MutationObserver.
 */
(function () {
  "use strict";

  var ZH_CN = {
    moduleType: "locale",
    name: "zh-CN",
    dictionary: {
      "Autoscale": "自动缩放",
      "Box Select": "矩形框选",
      "Click to enter Colorscale title": "点击输入色阶的标题",
      "Click to enter Component A title": "点击输入组件A的标题",
      "Click to enter Component B title": "点击输入组件B的标题",
      "Click to enter Component C title": "点击输入组件C的标题",
      "Click to enter Plot title": "点击输入图表的标题",
      "Click to enter X axis title": "点击输入X轴的标题",
      "Click to enter Y axis title": "点击输入Y轴的标题",
      "Click to enter radial axis title": "点击输入径向轴标题",
      "Compare data on hover": "悬停时比较数据",
      "Double-click on legend to isolate one trace": "双击图例来突显对应轨迹",
      "Double-click to zoom back out": "双击返回缩小显示",
      "Download plot as a png": "下载图表为PNG格式",
      "Download plot": "下载图表",
      "Edit in Chart Studio": "在线编辑图表",
      "IE only supports svg.  Changing format to svg.": "IE只支持SVG。转换格式为SVG。",
      "Lasso Select": "套索选择",
      "Orbital rotation": "轨道旋转",
      "Pan": "平移",
      "Produced with Plotly.js": "由Plotly.js生成",
      "Reset": "重置",
      "Reset axes": "重置轴",
      "Reset camera to default": "重置镜头视角为默认状态",
      "Reset camera to last save": "重置镜头视角为上次保存状态",
      "Reset view": "重置视图",
      "Reset views": "重置视图",
      "Show closest data on hover": "悬停时显示最近的数据",
      "Snapshot succeeded": "生成快照成功",
      "Sorry, there was a problem downloading your snapshot!": "抱歉，下载快照出现问题！",
      "Taking snapshot - this may take a few seconds": "正在生成快照 - 可能需要几秒钟",
      "Toggle Spike Lines": "切换显示数据点辅助线",
      "Toggle show closest data on hover": "切换悬停时显示最近的数据点",
      "Turntable rotation": "旋转转盘",
      "Zoom": "缩放",
      "Zoom in": "放大",
      "Zoom out": "缩小",
      "close:": "收盘:",
      "high:": "最高:",
      "incoming flow count:": "流入数量:",
      "kde:": "核密度:",
      "lat:": "纬度:",
      "lon:": "经度:",
      "low:": "最低:",
      "lower fence:": "下限:",
      "max:": "最大值:",
      "mean ± σ:": "平均数 ± 标准差σ:",
      "mean:": "平均数:",
      "median:": "中位数:",
      "min:": "最小值:",
      "new text": "新建文本",
      "open:": "开盘:",
      "outgoing flow count:": "流出数量:",
      "q1:": "第一四分位数:",
      "q3:": "第三四分位数:",
      "source:": "源:",
      "target:": "目标:",
      "trace": "轨迹",
      "upper fence:": "上限:"
    },
    format: {
      days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
      shortDays: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
      months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月",
        "十一月", "十二月"],
      shortMonths: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月",
        "11月", "12月"],
      date: "%Y-%m-%d"
    }
  };

  if (window.Plotly && window.Plotly.register) {
    window.Plotly.register(ZH_CN);
  } else {
    window.PlotlyLocales = (window.PlotlyLocales || []).concat([ZH_CN]);
  }

  // MapLibre's own words, as its locale option would set them
  var MAP_TEXT = [
    [".maplibregl-canvas", { "aria-label": "地图" }],
    [".maplibregl-ctrl-attrib-button", { title: "显示或隐藏地图数据来源", "aria-label": "显示或隐藏地图数据来源" }],
    [".maplibregl-ctrl-zoom-in", { title: "放大", "aria-label": "放大" }],
    [".maplibregl-ctrl-zoom-out", { title: "缩小", "aria-label": "缩小" }],
    [".maplibregl-ctrl-compass", { title: "拖动旋转地图，点击恢复正北", "aria-label": "拖动旋转地图，点击恢复正北" }]
  ];

  function translateMaps(root) {
    MAP_TEXT.forEach(function (entry) {
      var found = root.querySelectorAll(entry[0]);
      for (var i = 0; i < found.length; i++) {
        for (var name in entry[1]) {
          if (found[i].hasAttribute(name) && found[i].getAttribute(name) !== entry[1][name]) {
            found[i].setAttribute(name, entry[1][name]);
          }
        }
      }
    });
  }

  function start() {
    translateMaps(document.body);
    new MutationObserver(function (records) {
      for (var i = 0; i < records.length; i++) {
        if (records[i].addedNodes.length || records[i].type === "attributes") {
          translateMaps(document.body);
          return;
        }
      }
    }).observe(document.body, {
      childList: true,
      subtree: true,
      attributes: true,
      attributeFilter: ["title", "aria-label"]
    });
  }

  if (document.body) {
    start();
  } else {
    document.addEventListener("DOMContentLoaded", start);
  }
})();
