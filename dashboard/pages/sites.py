"""Resettlement sites (易地扶贫搬迁安置点): ``/sites?month=YYYY-MM``.

Sites on the map as circles sized by relocated persons, red where employment assistance does not
cover every household with labour (below 100 %); a table of the stored site figures with those
sites flagged. Changing the month patches the markers and rewrites the table; the outlines stay.
Only the sites in the user's area are shown, with the figures of the user's home unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from reports import fmt

from .. import (
    cards,
    initial_page,
    links,
    map_figures,
    messages,
    page_frame,
    panels,
    routing,
    tables,
)
from ..callback_guard import checked_ctx
from ..data import Loaders, get_loaders, get_settings
from ..geo import outline_source
from ..maps import child_labels, unit_view
from ..site_layout import spread

URL_ID = "sites-url"


@messages.refuse_denied
def layout(month: str | None = None, **_: Any) -> Component:
    """Dash page layout: ``/sites?month=``."""
    return sites_layout(month)


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks on ``app``."""
    routing.register_page("dashboard.pages.sites", layout, "易地搬迁安置点", "/sites")
    register_callbacks(app)


def sites_map(loaders: Loaders, sites: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """The home unit's child outlines (a county's townships, a township's villages) with the
    sites on them; sites that would cover one another at the map's zoom are spread on a ring
    (``site_layout.spread``), a thin line leading back to each one's true place."""
    home = loaders.unit(None)
    assert home is not None
    child = {"province": "county", "city": "county", "county": "township"}.get(
        home.level, "village" if home.level == "township" else home.level
    )
    view = unit_view(loaders, home)
    sizes = map_figures.site_marker_values(sites)["marker"]["size"]
    shown = spread([(s["lon"], s["lat"]) for s in sites], [z / 2 for z in sizes], view["zoom"])
    placed = [{**s, "lon": lon, "lat": lat} for s, (lon, lat) in zip(sites, shown, strict=True)]
    site_labels = [
        {
            "t": short_name(s),
            "lon": s["lon"],
            "lat": s["lat"],
            "p": 1e6 + (s.get("relocated_persons") or 0),
            "dy": -round(size / 2 + 12),
            "r": round(size / 2),
        }
        for s, size in zip(placed, sizes, strict=True)
    ]
    child_names = [{**lab, "c": "minor"} for lab in child_labels(loaders, home.code)]
    fig = map_figures.sites_map_figure(
        placed,
        outlines=[
            map_figures.outline_layer(outline_source(loaders, child, home.code), "#8a8a8a", 1),
            map_figures.outline_layer(
                outline_source(loaders, home.level, home.code), "#111111", 2.2
            ),
        ],
        labels=site_labels + child_names,
        view=view,
        tile_url=get_settings().tile_url,
    )
    moved = [
        (s, p)
        for s, p in zip(sites, placed, strict=True)
        if (s["lon"], s["lat"]) != (p["lon"], p["lat"])
    ]
    if moved:  # leader lines from the true places to the circles drawn aside
        lon: list[float | None] = []
        lat: list[float | None] = []
        for s, p in moved:
            lon += [s["lon"], p["lon"], None]
            lat += [s["lat"], p["lat"], None]
        fig["data"].append(
            {
                "type": "scattermap",
                "mode": "lines",
                "lon": lon,
                "lat": lat,
                "line": {"color": "#555555", "width": 1},
                "hoverinfo": "skip",
                "name": "",
            }
        )
    return fig


def summary_cards(stats: dict[str, Any], sites: Sequence[dict[str, Any]]) -> html.Div:
    """The county's stored site figures, and the workshops and jobs the sites report."""
    s = stats["sites"]
    workshops = sum(int(x.get("workshops") or 0) for x in sites)
    jobs = sum(int(x.get("public_jobs") or 0) for x in sites)
    flagged = sum(map_figures.site_flagged(x) for x in sites)
    return html.Div(
        [
            cards.card("site_count", "安置点", f"{fmt.num(s['count'])} 个", s["count"]),
            cards.card(
                "relocated_households",
                "搬迁户数",
                fmt.households(s["relocated_households"]),
                s["relocated_households"],
            ),
            cards.card(
                "relocated_persons",
                "搬迁人数",
                fmt.persons(s["relocated_persons"]),
                s["relocated_persons"],
            ),
            cards.card(
                "households_with_labour",
                "有劳动力户",
                fmt.households(s["households_with_labour"]),
                s["households_with_labour"],
                f"其中已就业 {fmt.households(s['employed_households'])}",
            ),
            cards.card(
                "employment_coverage",
                "就业帮扶覆盖率",
                fmt.pct(s["employment_coverage"]),
                s["employment_coverage"],
                "目标 100%",
                "rg-tone-good",
            ),
            cards.card("workshops", "帮扶车间", f"{fmt.num(workshops)} 个", workshops),
            cards.card("public_jobs", "公益性岗位", f"{fmt.num(jobs)} 个", jobs),
            cards.card(
                "flagged_sites",
                "未全覆盖安置点",
                f"{fmt.num(flagged)} 个",
                flagged,
                tone="rg-tone-red" if flagged else "",
            ),
        ],
        className="rg-cards",
        id="rg-cards",
    )


def short_name(site: dict[str, Any]) -> str:
    """A site's label on the map: its name without the township in front and 安置点 at the end
    (音德尔镇康居小区安置点 -> 康居小区), so that more labels fit; the hover has the full name."""
    name = str(site["site_name"])
    township = str(site.get("township_name") or "")
    short = name[len(township) :] if township and name.startswith(township) else name
    for tail in ("安置点", "安置区"):
        if short.endswith(tail) and len(short) > len(tail):
            short = short[: -len(tail)]
    return short or name


def site_link(site: dict[str, Any], month: str | None) -> Any:
    """A site's name, a link to the page of its grid (else its village or township)."""
    for level in ("grid", "village", "township"):
        code = site.get(f"{level}_code")
        if code:
            return dcc.Link(
                site["site_name"], href=links.unit_href({"level": level, "code": code}, month)
            )
    return site["site_name"]


def sites_table(sites: Sequence[dict[str, Any]], month: str | None = None) -> html.Table:
    """One row per site, its name a link to its grid's page; those below 100 % employment
    coverage flagged."""
    header = tables.header_row(
        [
            "安置点",
            "乡镇",
            "搬迁户",
            "搬迁人",
            "有劳动力户",
            "已就业户",
            "就业帮扶覆盖率",
            "帮扶车间",
            "公益性岗位",
            "状态",
        ],
        numeric={2, 3, 4, 5, 6, 7, 8},
    )
    rows = []
    for s in sites:
        flagged = map_figures.site_flagged(s)
        status = (
            html.Span("未全覆盖", className="rg-flag")
            if flagged
            else html.Span(
                "全覆盖" if s.get("employment_coverage") is not None else "无劳动力户",
                className="rg-ok",
            )
        )
        rows.append(
            html.Tr(
                [
                    html.Td(site_link(s, month)),
                    html.Td(s.get("township_name") or "—"),
                    html.Td(fmt.num(s.get("relocated_households")), className="rg-num"),
                    html.Td(fmt.num(s.get("relocated_persons")), className="rg-num"),
                    html.Td(fmt.num(s.get("households_with_labour")), className="rg-num"),
                    html.Td(fmt.num(s.get("employed_households")), className="rg-num"),
                    html.Td(fmt.pct(s.get("employment_coverage")), className="rg-num"),
                    html.Td(fmt.num(s.get("workshops")), className="rg-num"),
                    html.Td(fmt.num(s.get("public_jobs")), className="rg-num"),
                    html.Td(status),
                ],
                className="rg-row-flag" if flagged else None,
                **{"data-site": s["site_code"], "data-flagged": "1" if flagged else "0"},
            )
        )
    return html.Table([html.Thead(header), html.Tbody(rows)], className="rg-table", id="rg-sites")


def sites_layout(month: str | None) -> Component:
    """The resettlement sites page in a snapshot month."""
    loaders = get_loaders()
    county = loaders.unit(None)
    resolved = loaders.resolve_month(month)
    if county is None or resolved is None:
        if month and county is not None:
            return messages.month_not_found(month)
        return messages.not_found("尚未加载数据", "请先加载网格、安置点和农户数据。")
    sites = loaders.site_stats(resolved)
    if not sites:
        body: Any = messages.not_found(
            "尚未加载安置点", "请用 riskgrid load sites 加载易地搬迁安置点。"
        )
        return html.Div(body, className="rg-page")
    return html.Div(
        [
            dcc.Location(id=URL_ID, refresh=False, **initial_page.location_props()),
            dcc.Store(id="sites-ctx", data={"month": resolved}),
            page_frame.month_header(
                loaders,
                "易地扶贫搬迁安置点",
                f"{county.name} · {len(sites)} 个安置点",
                loaders.lineage(county.code),
                resolved,
                "sites-month",
                tail="安置点",
            ),
            panels.map_and_cards(
                [
                    panels.map_graph("sites-map", sites_map(loaders, sites)),
                    html.P(
                        "圆圈大小表示搬迁人数；红色为就业帮扶未全覆盖（低于 100%）的安置点。",
                        className="rg-hint",
                    ),
                ],
                summary_cards(loaders.stats(county.code, resolved), sites),
                cards_id="sites-cards",
            ),
            panels.panel(
                "安置点就业帮扶情况",
                html.Div(sites_table(sites, resolved), id="sites-table"),
                class_name="rg-panel rg-below",
            ),
        ],
        className="rg-page rg-sites-page",
        **{"data-month": resolved},
    )


def month_changed(
    dropdown: str | None, search: str | None, shown: str, trigger: str | None
) -> tuple[Any, ...]:
    """(url search, dropdown value, context, map patch, cards, table) after a month change."""
    loaders = get_loaders()
    month, new_search, value = links.month_choice(
        loaders, dropdown, search, shown, trigger == URL_ID
    )
    if month == shown:
        return (new_search, value, *[dash.no_update] * 4)
    sites = loaders.site_stats(month)
    patch = dash.Patch()
    for key, val in map_figures.site_marker_values(sites).items():
        if key not in ("lon", "lat"):
            patch["data"][0][key] = val
    county = loaders.unit(None)
    assert county is not None
    site_cards = summary_cards(loaders.stats(county.code, month), sites)
    return (new_search, value, {"month": month}, patch, site_cards, sites_table(sites, month))


def register_callbacks(app: dash.Dash) -> None:
    @app.callback(
        Output(URL_ID, "search"),
        Output("sites-month", "value"),
        Output("sites-ctx", "data"),
        Output("sites-map", "figure"),
        Output("sites-cards", "children"),
        Output("sites-table", "children"),
        Input("sites-month", "value"),
        Input(URL_ID, "search"),
        State("sites-ctx", "data"),
        prevent_initial_call=True,
    )
    def _on_month(month: str, search: str, ctx: dict[str, str]) -> tuple[Any, ...]:
        if ctx is None:
            raise PreventUpdate
        ctx = checked_ctx(ctx, "month")
        return month_changed(month, search, ctx["month"], dash.ctx.triggered_id)
