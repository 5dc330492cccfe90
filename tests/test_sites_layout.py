"""The sites map (issue 13, defect 4): sites that would cover one another at the map's zoom are
spread on a ring with a leader line back to their place; every site keeps its label (tried
above, below, right and left of its circle); a township account's map has its villages'
outlines; each site row links to its grid's page."""

from __future__ import annotations

import csv
import math
import shutil
from pathlib import Path

import flask
import pytest

from dashboard import create_app
from dashboard.data import LOADERS_KEY
from dashboard.pages import sites as sites_page
from dashboard.site_layout import spread, to_lonlat, to_pixels
from etl.sites import load_sites
from geodata import Store
from geodata.access import Principal
from riskgrid.settings import Settings
from tests import test_dashboard_support as support
from tests.browser_support import chromium, serving
from tests.test_dashboard_support import by_id, props, walk
from tests.test_wall import opened

RESULTS = Path(__file__).resolve().parents[1] / "test-results"


def test_round_trip_of_the_projection() -> None:
    for lon, lat in ((122.9, 46.7), (0.0, 0.0), (-70.5, -33.4)):
        x, y = to_pixels(lon, lat, 9.3)
        back = to_lonlat(x, y, 9.3)
        assert back == pytest.approx((lon, lat), abs=1e-9)


def test_touching_circles_are_spread_and_the_others_stay() -> None:
    zoom = 9.0
    x0, y0 = to_pixels(122.85, 46.66, zoom)
    places = [to_lonlat(x0 + dx, y0, zoom) for dx in (0, 5, 10)] + [to_lonlat(x0 + 300, y0, zoom)]
    radii = [15.0, 20.0, 10.0, 12.0]
    shown = spread(places, radii, zoom)
    pixels = [to_pixels(lon, lat, zoom) for lon, lat in shown]
    for i in range(len(pixels)):
        for j in range(i + 1, len(pixels)):
            gap = math.dist(pixels[i], pixels[j]) - radii[i] - radii[j]
            assert gap >= 0, (i, j, gap)
    assert shown[3] == pytest.approx(places[3])  # a site with room keeps its place
    middle = [sum(p[k] for p in pixels[:3]) / 3 for k in (0, 1)]
    assert middle == pytest.approx([x0 + 5, y0], abs=0.5)  # the ring is around the three


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Store]:
    """A copy of the small demo with three more sites of one township 300 m apart."""
    base = tmp_path_factory.mktemp("sites")
    source = support.small_demo_db(tmp_path_factory)
    shutil.copy(source.removeprefix("sqlite:///"), base / "sites.db")
    url = support.sqlite_url(base / "sites.db")
    store = Store(url)
    township = store.children("152223")[0]
    frame = store.units_frame().set_index("code")
    village = frame.loc[store.children(township.code)[0].code]
    with (base / "crowded.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["安置点编码", "安置点名称", "乡镇编码", "经度", "纬度", "安置户数", "安置人数"])
        for i, name in enumerate(("东区", "西区", "北区")):
            lon = village["label_lon"] + i * 0.004
            w.writerow(
                [
                    f"X{i}",
                    f"{township.name}{name}安置点",
                    township.code,
                    f"{lon:.5f}",
                    f"{village['label_lat']:.5f}",
                    "30",
                    "90",
                ]
            )
    load_sites(store, base / "crowded.csv")
    return url, store


def test_no_two_sites_overlap_and_every_site_is_labelled(crowded) -> None:
    url, store = crowded
    app = create_app(Settings(db=url, login=False))
    with app.server.test_request_context("/"):
        page = sites_page.sites_layout(None)
    fig = props(by_id(page, "sites-map"))["figure"]
    markers = fig["data"][0]
    assert len(markers["lon"]) >= 3  # the demo's sites and the three crowded ones
    zoom = fig["layout"]["map"]["zoom"]
    pixels = [to_pixels(x, y, zoom) for x, y in zip(markers["lon"], markers["lat"], strict=True)]
    radii = [size / 2 for size in markers["marker"]["size"]]
    for i in range(len(pixels)):
        for j in range(i + 1, len(pixels)):
            assert math.dist(pixels[i], pixels[j]) >= radii[i] + radii[j], (i, j)
    assert fig["data"][1]["mode"] == "lines"  # leader lines back to the true places
    hrefs = [props(c)["href"] for c in walk(by_id(page, "rg-sites")) if "href" in props(c)]
    assert len(hrefs) == len(markers["lon"]) and all(h.startswith(("/grid/", "/unit/")) for h in hrefs)
    with chromium() as browser, serving(app) as base, opened(browser, 1600, 1000) as tab:
        tab.goto(f"{base}/sites")
        tab.wait_for_selector("#sites-map .js-plotly-plot[data-drawn='1']", timeout=60_000)
        tab.wait_for_timeout(800)
        shown = tab.eval_on_selector_all(
            "#sites-map .rg-maplabel",
            "els => els.filter(e => e.style.visibility === 'visible').map(e => e.textContent)",
        )
        RESULTS.mkdir(exist_ok=True)
        tab.screenshot(path=str(RESULTS / "sites-crowded.png"))
    assert {"东区", "西区", "北区"} <= set(shown), shown


def test_a_township_sees_its_villages_outlined(crowded) -> None:
    url, store = crowded
    township = store.children("152223")[0]
    app = create_app(Settings(db=url))
    with app.server.test_request_context("/"):
        base = app.server.config[LOADERS_KEY]
        flask.g.rg_loaders = base.bind(Principal("t1", "township", township.code))
        fig = sites_page.sites_map(
            flask.g.rg_loaders, flask.g.rg_loaders.site_stats(store.latest_month())
        )
        villages = store.map_features("village", township.code)["features"]
    # the outlines travel in the figure (one response with the page, drawn in its first draw)
    sources = [layer.get("source") for layer in fig["layout"]["map"]["layers"]]
    outlined = [{f["id"] for f in src["features"]} for src in sources if isinstance(src, dict)]
    assert {f["id"] for f in villages} in outlined, outlined
