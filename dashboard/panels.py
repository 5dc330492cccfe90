"""Page panels: a titled panel, a chart in one, the map graph, and the top row of a page (its map
beside its figure cards), the same on every page that shows them.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html


def panel(title: str, *children: Any, class_name: str = "rg-panel") -> html.Div:
    """A panel: a heading, then ``children``."""
    return html.Div([html.H2(title), *children], className=class_name)


def chart_panel(title: str, figure: Any, graph_id: str) -> html.Div:
    """A chart (a Plotly figure or its JSON) under its heading, without Plotly's mode bar."""
    return panel(
        title,
        dcc.Graph(figure=figure, config={"displayModeBar": False, "locale": "zh-CN"}, id=graph_id),
    )


def map_graph(graph_id: str, figure: dict[str, Any], class_name: str = "rg-map") -> dcc.Graph:
    """A map: no mode bar, zoomed with the mouse wheel. Drawn once at its panel's size, not
    redrawn by every resize of the page as it fills in (``responsive=False``; a resized window
    resizes it, ``assets/riskgrid.js``)."""
    return dcc.Graph(
        id=graph_id,
        figure=figure,
        responsive=False,
        config={"displayModeBar": False, "scrollZoom": True, "locale": "zh-CN"},
        className=class_name,
    )


def map_and_cards(
    map_part: Any, cards: Any, *, small: bool = False, cards_id: str | None = None
) -> html.Div:
    """The top of a page: the map panel (``small``: a grid's) beside the figure cards."""
    map_class = "rg-map-panel rg-map-panel-small" if small else "rg-map-panel"
    side = {"id": cards_id} if cards_id else {}
    return html.Div(
        [
            html.Section(map_part, className=map_class),
            html.Section(cards, className="rg-side", **side),
        ],
        className="rg-top",
    )
