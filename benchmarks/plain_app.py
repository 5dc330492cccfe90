"""The plain way: the Dash app a developer writes first, for ``bench_dashboard.py`` to measure.

It does what riskgrid's county -> township -> village -> grid drill-down does, in the obvious way:

- at start: the grids' FULL GeoJSON from the GeoPackage with geopandas (unsimplified; township and
  village outlines dissolved from the grids once), and every monthly household CSV with pandas;
- on EVERY callback: the month's households are grouped with pandas (open risk level per unit,
  figure cards) from all households of the month, and the map is a ``px.choropleth_map`` coloured
  by risk level (``map_style="white-bg"``, needed offline) with the unit's polygons;
- the unit is in the URL (``/?unit=CODE``); a click on the map opens the child unit (township,
  village, grid) containing the clicked shape; radio items choose the level coloured and a
  dropdown the month. No caching, no compression (Dash's defaults).

    python benchmarks/plain_app.py [--data DIR] [--port 8051]
"""

from __future__ import annotations

import argparse
import glob
import os
from typing import Any
from urllib.parse import parse_qs, urlencode

import dash
import geopandas as gpd
import numpy as np
import pandas as pd
import plotly.express as px
from dash import Input, Output, State, dcc, html

DEFAULT_DATA = "/tmp/demo-data"
MONITORING_LINE = 7100.0
OBSERVATION_LINE = 8122.0
RISK_COLORS = {"无": "#d9d9d9", "蓝": "#2f6fd6", "黄": "#f2c12e", "红": "#d62f2f"}
RISK_RANK = {"蓝": 1, "黄": 2, "红": 3}
RANK_RISK = {0: "无", 1: "蓝", 2: "黄", 3: "红"}
LEVELS = {"township": "乡镇编码", "village": "村编码", "grid": "网格编码"}
LEVEL_NAMES = {"township": "乡镇名称", "village": "村名称", "grid": "网格名称"}
LEVEL_LABELS = {"county": "县", "township": "乡镇", "village": "村", "grid": "网格"}


def load_data(data_dir: str) -> tuple[dict[str, gpd.GeoDataFrame], pd.DataFrame]:
    """Grid polygons (and dissolved townships / villages) and all household rows of all months."""
    gpkg = glob.glob(os.path.join(data_dir, "*_grids.gpkg"))[0]
    grids = gpd.read_file(gpkg)
    layers = {"grid": grids.set_index("网格编码", drop=False)}
    layers["village"] = grids.dissolve(by="村编码", as_index=False, aggfunc="first").set_index(
        "村编码", drop=False
    )
    layers["township"] = grids.dissolve(by="乡镇编码", as_index=False, aggfunc="first").set_index(
        "乡镇编码", drop=False
    )
    files = sorted(glob.glob(os.path.join(data_dir, "*_households_*.csv")))
    text = {"网格编码": str, "户编号": str, "证件号码": str, "统计月份": str, "安置点编码": str}

    def read(f: str) -> pd.DataFrame:
        # the national export has two title rows above its header
        header = 0 if "户编号" in pd.read_csv(f, nrows=0).columns else 2
        frame = pd.read_csv(f, dtype=text, header=header)
        if "与户主关系" in frame.columns:  # one row per member: the head's row is the household's
            frame = frame[frame["与户主关系"] == "户主"]
        return frame.rename(columns={"人均纯收入（元）": "家庭人均纯收入"})

    households = pd.concat([read(f) for f in files], ignore_index=True)
    if "网格编码" not in households.columns:  # the grid from the grid system's assignment table
        assigned = glob.glob(os.path.join(data_dir, "*_assignments.csv"))
        grid_of = pd.read_csv(assigned[0], dtype=str).set_index("户编号")["网格编码"] if assigned else {}
        households["网格编码"] = households["户编号"].map(grid_of)
    return layers, households


def risk_of(hh: pd.DataFrame) -> pd.Series:
    """The risk level of each household, graded by the rule when the column is blank."""
    causes = hh["风险类型"].fillna("").str.count("、") + hh["风险类型"].notna()
    income = hh["家庭人均纯收入"]
    graded = np.select(
        [
            (hh["监测对象类别"] == "突发严重困难户") | ((income < MONITORING_LINE) & (causes >= 2)),
            (income < OBSERVATION_LINE) | (causes >= 2),
        ],
        ["红", "黄"],
        "蓝",
    )
    return hh["风险等级"].fillna(pd.Series(graded, index=hh.index))


def unit_level(code: str) -> str:
    return {6: "county", 9: "township", 12: "village"}.get(len(code), "grid")


def create_plain_app(data_dir: str = DEFAULT_DATA) -> dash.Dash:
    layers, households = load_data(data_dir)
    grids = layers["grid"]
    county = str(grids["县编码"].iloc[0])
    months = sorted(households["统计月份"].unique())

    def month_households(month: str) -> pd.DataFrame:
        hh = households[households["统计月份"] == month]
        hh = hh.merge(
            grids[["网格编码", "村编码", "乡镇编码", "县编码"]].reset_index(drop=True),
            on="网格编码",
        )
        hh["monitored"] = hh["监测对象类别"].notna()
        hh["open"] = hh["monitored"] & (hh["风险是否已消除"] != "是")
        hh["risk"] = risk_of(hh)
        hh["rank"] = np.where(hh["open"], hh["risk"].map(RISK_RANK).fillna(0), 0)
        return hh

    def in_unit(frame: pd.DataFrame, code: str) -> pd.DataFrame:
        if unit_level(code) == "county":
            return frame
        column = {"township": "乡镇编码", "village": "村编码", "grid": "网格编码"}[unit_level(code)]
        return frame[frame[column] == code]

    def map_figure(hh: pd.DataFrame, code: str, level: str) -> Any:
        # the map of a grid is the map of its village, with that grid's figures in the cards
        area = code if unit_level(code) != "grid" else str(grids.loc[code, "村编码"])
        shapes = in_unit(layers[level], area).copy()
        key = LEVELS[level]
        per_unit = hh.groupby(key).agg(
            monitored=("monitored", "sum"),
            open=("open", "sum"),
            rank=("rank", "max"),
            persons=("家庭人口数", "sum"),
        )
        shapes = shapes.join(per_unit, how="left")
        shapes["风险"] = shapes["rank"].fillna(0).astype(int).map(RANK_RISK)
        shapes = shapes.fillna({"monitored": 0, "open": 0})
        minx, miny, maxx, maxy = shapes.total_bounds
        zoom = float(np.log2(360 / max(maxx - minx, maxy - miny, 1e-3))) + 0.4
        fig = px.choropleth_map(
            shapes,
            geojson=shapes.geometry,
            locations=shapes.index,
            color="风险",
            color_discrete_map=RISK_COLORS,
            hover_name=LEVEL_NAMES[level],
            hover_data={"monitored": True, "open": True, "persons": True},
            map_style="white-bg",
            center={"lon": (minx + maxx) / 2, "lat": (miny + maxy) / 2},
            zoom=zoom,
            opacity=0.8,
        )
        fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0}, height=560, clickmode="event")
        return fig

    def cards(hh: pd.DataFrame) -> list[Any]:
        mon = hh[hh["monitored"]]
        elim = mon[mon["风险是否已消除"] == "是"]
        open_ = mon[mon["open"]]
        items = [
            ("监测对象户数", f"{len(mon):,} 户"),
            ("监测对象人数", f"{int(mon['家庭人口数'].sum()):,} 人"),
            (
                "风险消除率（按人）",
                f"{elim['家庭人口数'].sum() / max(mon['家庭人口数'].sum(), 1):.1%}",
            ),
            ("风险消除率（按户）", f"{len(elim) / max(len(mon), 1):.1%}"),
        ]
        for risk in ("红", "黄", "蓝"):
            items.append((f"未消除 · {risk}色风险", f"{int((open_['risk'] == risk).sum()):,} 户"))
        items += [
            ("低于监测线", f"{int((hh['家庭人均纯收入'] < MONITORING_LINE).sum()):,} 户"),
            ("低于观察线", f"{int((hh['家庭人均纯收入'] < OBSERVATION_LINE).sum()):,} 户"),
            ("农户总数", f"{len(hh):,} 户"),
        ]
        return [html.Div([html.Div(k), html.B(v)], className="card") for k, v in items]

    def household_table(hh: pd.DataFrame) -> html.Table:
        mon = hh[hh["monitored"]].sort_values(["open", "rank"], ascending=False)
        cols = [
            "户编号",
            "户主姓名",
            "家庭人口数",
            "监测对象类别",
            "risk",
            "风险类型",
            "家庭人均纯收入",
            "风险是否已消除",
        ]
        return html.Table(
            [html.Tr([html.Th(c) for c in cols])]
            + [html.Tr([html.Td(str(r[c])) for c in cols]) for r in mon.to_dict("records")]
        )

    app = dash.Dash(__name__, title="防返贫 plain", update_title=None)
    app.layout = html.Div(
        [
            dcc.Location(id="url", refresh=False),
            html.H1("防止返贫动态监测 (plain)", id="title"),
            dcc.Dropdown(id="month", options=months, value=months[-1], clearable=False),
            dcc.RadioItems(
                id="level",
                options=[{"label": LEVEL_LABELS[lv], "value": lv} for lv in LEVELS],
                value="grid",
                inline=True,
            ),
            dcc.Graph(id="map", className="plain-map", style={"height": "560px"}),
            html.Div(id="cards"),
            html.Div(id="table"),
        ]
    )

    @app.callback(
        Output("title", "children"),
        Output("map", "figure"),
        Output("cards", "children"),
        Output("table", "children"),
        Input("url", "search"),
        Input("level", "value"),
        Input("month", "value"),
    )
    def render(search: str | None, level: str, month: str) -> tuple[Any, ...]:
        code = parse_qs((search or "").lstrip("?")).get("unit", [county])[0]
        hh = month_households(month)  # ALL households of the month, every time
        unit_hh = in_unit(hh, code)
        title = f"{LEVEL_LABELS[unit_level(code)]} {code}"
        table = household_table(unit_hh) if unit_level(code) == "grid" else None
        return title, map_figure(hh, code, level), cards(unit_hh), table

    @app.callback(
        Output("url", "search"),
        Input("map", "clickData"),
        State("url", "search"),
        prevent_initial_call=True,
    )
    def drill(click: dict[str, Any] | None, search: str | None) -> str:
        code = parse_qs((search or "").lstrip("?")).get("unit", [county])[0]
        location = ((click or {}).get("points") or [{}])[0].get("location")
        if not location:
            raise dash.exceptions.PreventUpdate
        # the clicked shape's row, then the unit one level below the current one
        layer = layers[unit_level(location)]
        row = layer[layer[LEVELS[unit_level(location)]] == location].iloc[0]
        child = {
            "county": "乡镇编码",
            "township": "村编码",
            "village": "网格编码",
            "grid": "网格编码",
        }
        return "?" + urlencode({"unit": row[child[unit_level(code)]]})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=DEFAULT_DATA)
    parser.add_argument("--port", type=int, default=8051)
    args = parser.parse_args()
    create_plain_app(args.data).run(host="127.0.0.1", port=args.port)


if __name__ == "__main__":
    main()
