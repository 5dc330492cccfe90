"""Briefings (reports/briefing.py, ``riskgrid brief``): images, PDF, deck and offline HTML map.

The figures drawn must be the figures of ``riskgrid stats``; Chinese must be drawn with the CJK
font, never as boxes; no household name or ID may appear anywhere; the HTML map must open from a
file with no request to any host.
"""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image
from typer.testing import CliRunner

from etl.demo import generate_demo
from etl.grids import load_grids
from etl.households import load_households
from etl.sites import load_sites
from geodata import Store
from geodata.model import RISK_COLORS
from reports import briefing
from reports.headline import BRIEFING_ROWS, headlines
from riskgrid.cli import app
from tests.browser_support import chromium
from tests.factories import COUNTY, TOWNSHIP, county_file, load_tiny_grids, write_csv

runner = CliRunner()
CJK_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
MONTH = "2024-10"


# ---------------------------------------------------------------------------------- fixtures
def _personal(path: Path, names: bool) -> set[str]:
    """Household numbers, ID numbers (and names) in a household CSV: none may be shown."""
    with path.open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    out = {r["户编号"] for r in rows} | {r["证件号码"] for r in rows}
    if names:
        out |= {r["户主姓名"] for r in rows}
    return {v for v in out if v}


@pytest.fixture
def tiny(tmp_path) -> tuple[str, Store, list[str], set[str]]:
    """Six grids in two villages, Sinan county's figures: 1,900 households / 7,044 persons
    monitored, 1,435 / 5,245 eliminated (74.46 % of persons)."""
    url = f"sqlite:///{tmp_path / 'tiny.db'}"
    store = Store(url)
    store.migrate()
    grids = list(load_tiny_grids(store)["grid_code"])
    path = write_csv(tmp_path / "h.csv", county_file(1900, 7044, 1435, 5245, grids))
    load_households(store, path, month=MONTH)
    yield url, store, grids, _personal(path, names=True)
    store.dispose()


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[str, Store, set[str]]:
    """A small demo county (3 townships, 60 grids, 2 months) loaded through the etl loaders."""
    base = tmp_path_factory.mktemp("brief-demo")
    files = generate_demo(
        base / "files",
        grids=60,
        villages=12,
        communities=2,
        townships=3,
        households=3000,
        months=2,
        layout="households",
    )
    url = f"sqlite:///{base / 'demo.db'}"
    store = Store(url)
    store.migrate()
    load_grids(store, files.grids)
    load_sites(store, files.sites)
    for month, path in files.households:
        load_households(store, path, month=month)
    with store.write() as conn:
        store.set_meta(conn, "demo", "1")
    personal: set[str] = set()
    for _, path in files.households:
        personal |= _personal(path, names=False)  # demo names can be place-name syllables
    yield url, store, personal
    store.dispose()


def cli_stats(url: str, code: str, month: str | None = None) -> dict[str, Any]:
    args = ["stats", "--json", "--unit", code, "--db", url] + (["--month", month] if month else [])
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def pct(x: float | None) -> str:
    return "—" if x is None else f"{x * 100:.2f}%"


def hp(pair: dict[str, int]) -> str:
    return f"{pair['households']:,} 户 / {pair['persons']:,} 人"


def expected_strings(stats: dict[str, Any]) -> list[str]:
    """The headline figures as the briefing must print them."""
    return [
        hp(stats["monitored"]),
        pct(stats["clearance_rate"]["persons"]),
        pct(stats["clearance_rate"]["households"]),
        hp(stats["open_by_level"]["red"]),
        hp(stats["open_by_level"]["yellow"]),
        hp(stats["open_by_level"]["blue"]),
        hp(stats["new_this_month"]["identified"]),
        hp(stats["new_this_month"]["eliminated"]),
    ]


def colour_pixels(image: Image.Image, hex_colour: str, tolerance: int = 6) -> int:
    rgb = np.asarray(image.convert("RGB")).astype(int)
    target = np.array([int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb - target).max(axis=2) <= tolerance).sum())


def drawn_texts(fig: Figure) -> set[str]:
    fig.canvas.draw()
    return {t.get_text() for t in fig.findobj(Text) if t.get_text() and t.get_visible()}


# ---------------------------------------------------------------------------------- images
def test_cli_png_set_is_exact_coloured_and_shows_the_stats_figures(demo, tmp_path):
    url, store, _ = demo
    county = store.counties()[0]
    townships = store.children(county.code)
    out = tmp_path / "png"
    result = runner.invoke(
        app,
        [
            "brief",
            "--unit",
            county.code,
            "--children",
            "--format",
            "png",
            "--out",
            str(out),
            "--db",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    month = store.latest_month()
    units = [county, *townships]
    printed = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    expected = [str(out / f"{u.code}_{u.name}_{month}.png") for u in units]
    assert printed == expected
    assert len(expected) == 1 + len(townships) == 4
    for unit, path in zip(units, expected, strict=True):
        image = Image.open(path)
        assert image.size == (1920, 1080)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 20) or []) > 200  # not blank
        for risk in ("red", "yellow", "blue"):
            assert colour_pixels(image, RISK_COLORS[risk]) > 300, (unit.code, risk)
        stats = cli_stats(url, unit.code)
        texts = briefing.briefing_texts(store, unit.code)
        joined = "\n".join(texts)
        for figure in expected_strings(stats):
            assert figure in texts, (unit.code, figure)
        assert f"{unit.name} {month[:4]}年{int(month[5:])}月 防返贫动态监测简报" in texts
        assert briefing.DEMO_STAMP in texts and "数据来源" in joined
        assert f"数据截至 {store.data_as_of()[:16]}" in texts
        # every word in the image comes from briefing_texts, and the headline ones are drawn
        drawn = drawn_texts(briefing.briefing_figure(store, unit.code))
        assert drawn <= set(texts)
        assert set(expected_strings(stats)) <= drawn
        grids = store.level_stats("grid", month, unit.code)
        counts = grids["risk_level"].value_counts()
        for risk, label in (("red", "红"), ("yellow", "黄"), ("blue", "蓝")):
            assert f"{label}色 {counts.get(risk, 0):,} 个网格" in drawn
        names = {c.name for c in store.children(unit.code)}
        assert names <= drawn, names - drawn  # every child unit is named on the map


def test_4k_and_other_16_9_sizes_are_exact(demo, tmp_path):
    url, store, _ = demo
    county = store.counties()[0].code
    png = briefing.render_png(store, county, size=(3840, 2160))
    image = Image.open(io.BytesIO(png))
    assert image.size == (3840, 2160)
    assert colour_pixels(image, RISK_COLORS["red"]) > 1000
    for size in ((1280, 720), (1366, 768)):
        assert Image.open(io.BytesIO(briefing.render_png(store, county, size=size))).size == size
    result = runner.invoke(
        app,
        [
            "brief",
            "--unit",
            county,
            "--format",
            "png",
            "--size",
            "3840x2160",
            "--out",
            str(tmp_path),
            "--db",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    assert Image.open(result.stdout.strip()).size == (3840, 2160)
    with pytest.raises(briefing.BriefError, match="16:9"):
        briefing.render_png(store, county, size=(1000, 1000))


def test_figures_equal_stats_on_known_county(tiny):
    url, store, _, _ = tiny
    stats = cli_stats(url, COUNTY)
    assert pct(stats["clearance_rate"]["persons"]) == "74.46%"
    texts = briefing.briefing_texts(store, COUNTY, MONTH)
    assert "74.46%" in texts and "1,900 户 / 7,044 人" in texts
    for figure in expected_strings(stats):
        assert figure in texts
    drawn = drawn_texts(briefing.briefing_figure(store, COUNTY, MONTH))
    assert {"74.46%", "1,900 户 / 7,044 人"} <= drawn
    assert briefing.DEMO_STAMP not in texts  # not a demo database: no stamp
    assert briefing.brief_units(store, COUNTY, children=True) == [COUNTY, TOWNSHIP]
    assert briefing.brief_units(store, TOWNSHIP, children=True) == [
        TOWNSHIP,
        "152223101001",
        "152223101002",
    ]


# ---------------------------------------------------------------------------------- glyphs
def _pixels(fig: Figure) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].astype(int)


def _reference(fig: Figure, title: Text, family: str) -> np.ndarray:
    """The title alone, drawn at the same place, size and weight with ``family``."""
    ref = Figure(figsize=fig.get_size_inches(), dpi=fig.dpi)
    FigureCanvasAgg(ref)
    ref.patch.set_facecolor("white")
    x, y = title.get_position()
    ref.text(
        x,
        y,
        title.get_text(),
        fontsize=title.get_fontsize(),
        weight=title.get_weight(),
        ha=title.get_horizontalalignment(),
        va=title.get_verticalalignment(),
        family=family,
        color=title.get_color(),
    )
    return _pixels(ref)


def test_chinese_is_drawn_with_the_cjk_font_not_as_boxes(tiny):
    _, store, _, _ = tiny
    assert CJK_FONT.is_file(), "fonts-noto-cjk is missing: the briefing's Chinese would be boxes"
    family, path = briefing.cjk_font()
    assert Path(path).is_file() and "CJK" in family
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = briefing.render_png(store, COUNTY, MONTH)
        fig = briefing.briefing_figure(store, COUNTY, MONTH)
        fig.canvas.draw()
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert not missing, missing

    title = next(t for t in fig.findobj(Text) if t.get_gid() == "title")
    assert "防返贫动态监测简报" in title.get_text()
    box = title.get_window_extent(fig.canvas.get_renderer())
    height = int(fig.bbox.height)
    x0, x1 = int(box.x0) - 2, int(box.x1) + 3
    y0, y1 = height - int(box.y1) - 3, height - int(box.y0) + 2
    shown = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)[y0:y1, x0:x1]

    cjk = _reference(fig, title, family)[y0:y1, x0:x1]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tofu = _reference(fig, title, "DejaVu Sans")[y0:y1, x0:x1]
    # the check can see boxes: DejaVu Sans lacks the glyphs, and matplotlib says so
    assert any("missing from font" in str(w.message) for w in caught)
    assert (shown < 128).any(), "no ink in the title region"
    same = np.abs(shown - cjk).mean()
    boxes = np.abs(shown - tofu).mean()
    assert same < 1.0, same
    assert boxes > 10 * max(same, 0.5), (same, boxes)


def test_missing_font_is_an_error_not_boxes(monkeypatch, tiny):
    _, store, _, _ = tiny
    monkeypatch.setenv(briefing.FONT_ENV, "/nonexistent/NotoSansCJK-Regular.ttc")
    briefing._cjk_font.cache_clear()
    try:
        with pytest.raises(briefing.BriefError, match="中文字体"):
            briefing.render_png(store, COUNTY, MONTH)
    finally:
        monkeypatch.delenv(briefing.FONT_ENV)
        briefing._cjk_font.cache_clear()
    assert briefing.cjk_font()[1] == str(CJK_FONT)


# ---------------------------------------------------------------------------------- PDF, deck
def test_pdf_is_one_page_with_embedded_font_and_the_figures(tiny, tmp_path):
    import pypdf

    url, store, _, personal = tiny
    result = runner.invoke(
        app, ["brief", "--unit", COUNTY, "--format", "pdf", "--out", str(tmp_path), "--db", url]
    )
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.name == f"{COUNTY}_扎赉特旗_{MONTH}.pdf"
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == 1
    page = reader.pages[0]
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    assert abs(width / height - 16 / 9) < 0.001
    fonts = [f.get_object() for f in page["/Resources"]["/Font"].values()]
    assert fonts and all("NotoSansCJK" in str(f["/BaseFont"]) for f in fonts)
    assert all(f["/Subtype"] == "/Type0" for f in fonts)  # TrueType (fonttype 42), embedded
    for f in fonts:
        descendant = f["/DescendantFonts"][0].get_object()
        assert "/FontFile2" in descendant["/FontDescriptor"].get_object()
    text = page.extract_text()
    assert "扎赉特旗" in text and "防返贫动态监测简报" in text
    assert "74.46%" in text and "1,900 户 / 7,044 人" in text
    assert not [v for v in personal if v in text]


def test_deck_has_one_titled_slide_per_unit(demo, tmp_path):
    from pptx import Presentation
    from pptx.enum.shapes import MSO_SHAPE_TYPE

    url, store, _ = demo
    county = store.counties()[0]
    month = store.latest_month()
    result = runner.invoke(
        app,
        [
            "brief",
            "--unit",
            county.code,
            "--children",
            "--format",
            "pptx",
            "--out",
            str(tmp_path),
            "--db",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path == tmp_path / f"brief_{county.code}_{month}.pptx"
    deck = Presentation(str(path))
    units = [county, *store.children(county.code)]
    assert len(deck.slides) == len(units)
    assert abs(deck.slide_width / deck.slide_height - 16 / 9) < 0.001
    label = f"{month[:4]}年{int(month[5:])}月"
    for slide, unit in zip(deck.slides, units, strict=True):
        assert slide.shapes.title.text == f"{unit.name} {label}"
        # native parts, editable in PowerPoint or WPS: the map alone is a picture
        pictures = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
        assert len(pictures) == 1
        width, height = Image.open(io.BytesIO(pictures[0].image.blob)).size
        assert abs(width / height - pictures[0].width / pictures[0].height) < 0.01
        tables = {s.name: s.table for s in slide.shapes if s.has_table}
        assert set(tables) == {"figures", "causes"}
        cells = {
            tables["figures"].cell(r, 0).text: tables["figures"].cell(r, 1).text
            for r in range(1, len(tables["figures"].rows))
        }
        stats = store.stats(unit.code, month)
        for h in headlines(stats, [k for row in BRIEFING_ROWS for k in row]):
            assert cells[h.label] == (h.both or h.value), (unit.code, h.label)
        assert cells["监测对象户数"] == (
            f"{stats['monitored']['households']:,} 户 / {stats['monitored']['persons']:,} 人"
        )
        words = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        assert "防返贫动态监测简报" in words and "数据截至" in words


# ---------------------------------------------------------------------------------- privacy, errors
def test_no_household_name_or_id_in_any_output(tiny):
    import pypdf

    _, store, grids, personal = tiny
    assert len(personal) > 1000  # 1,950 household numbers, ID numbers, 15 names
    outputs = {
        "texts": "\n".join(
            t
            for code in (COUNTY, TOWNSHIP, grids[0])
            for t in briefing.briefing_texts(store, code, MONTH)
        ),
        "pdf": pypdf.PdfReader(io.BytesIO(briefing.render_pdf(store, COUNTY, MONTH)))
        .pages[0]
        .extract_text(),
        "html": briefing.render_html(store, COUNTY, MONTH),
    }
    for kind, text in outputs.items():
        leaked = sorted(v for v in personal if v in text)
        assert not leaked, (kind, leaked[:5])
    # and nothing shaped like an ID number (18 characters, 17 digits first)
    assert not re.search(r"\d{17}[\dXx]", outputs["texts"] + outputs["pdf"])


def test_unknown_unit_month_and_size_are_clear_errors(tiny, tmp_path):
    url, store, _, _ = tiny
    with pytest.raises(briefing.BriefError, match="未找到单位"):
        briefing.render_png(store, "999999")
    with pytest.raises(briefing.BriefError, match="未找到单位"):
        briefing.brief_units(store, "999999", children=True)
    with pytest.raises(briefing.BriefError, match="2020-01"):
        briefing.build_briefing(store, COUNTY, "2020-01")
    with pytest.raises(briefing.BriefError, match="YYYY-MM"):
        briefing.build_briefing(store, COUNTY, "2024-13")
    with pytest.raises(briefing.BriefError):
        briefing.parse_size("big")
    result = runner.invoke(
        app, ["brief", "--unit", "999999", "--format", "png", "--out", str(tmp_path), "--db", url]
    )
    assert result.exit_code == 1 and "未找到单位" in result.output
    assert not list(tmp_path.glob("*.png"))
    result = runner.invoke(
        app,
        [
            "brief",
            "--unit",
            COUNTY,
            "--month",
            "2020-01",
            "--format",
            "png",
            "--out",
            str(tmp_path),
            "--db",
            url,
        ],
    )
    assert result.exit_code == 1 and "没有该月份的数据" in result.output
    result = runner.invoke(
        app, ["brief", "--unit", COUNTY, "--format", "gif", "--out", str(tmp_path), "--db", url]
    )
    assert result.exit_code == 1 and "格式" in result.output


# ---------------------------------------------------------------------------------- HTML map
def test_html_is_self_contained(tiny):
    _, store, _, _ = tiny
    page = briefing.render_html(store, COUNTY, MONTH)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "<link" not in page.lower()
    assert not re.search(r"<script[^>]+src", page, re.I)
    assert not re.search(r"""url\(\s*["']?(?:https?:)?//""", page, re.I)
    assert "L.map(" in page and "Leaflet 1.9.4" in page  # Leaflet itself is inlined
    for cdn in ("jsdelivr", "cdnjs", "jquery", "bootstrap", "awesome-markers", "fontawesome"):
        assert cdn not in page.lower(), cdn
    hosts = re.findall(r"https?://([A-Za-z0-9.-]+)", page)
    # the SVG namespace (a name, never fetched) and Leaflet's licence header comment
    assert set(hosts) <= {"www.w3.org", "leafletjs.com"}, hosts
    assert hosts.count("leafletjs.com") == 1 and "maps. https://leafletjs.com" in page


@pytest.mark.browser
def test_html_map_opens_offline_with_every_grid_and_the_stats(demo, tmp_path):
    url, store, personal = demo
    county = store.counties()[0]
    township = store.children(county.code)[0]
    month = store.latest_month()
    result = runner.invoke(
        app,
        [
            "brief",
            "--unit",
            county.code,
            "--children",
            "--format",
            "html",
            "--out",
            str(tmp_path),
            "--db",
            url,
        ],
    )
    assert result.exit_code == 0, result.output
    paths = [Path(p) for p in result.stdout.split()]
    assert [p.name for p in paths][:2] == [
        f"{county.code}_{county.name}_{month}.html",
        f"{township.code}_{township.name}_{month}.html",
    ]
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert not [v for v in personal if v in text]

    with chromium() as browser:
        for unit, path in ((county, paths[0]), (township, paths[1])):
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            requests: list[str] = []
            errors: list[str] = []
            page.on("request", lambda r, seen=requests: seen.append(r.url))
            page.on("pageerror", lambda e, seen=errors: seen.append(str(e)))
            page.goto(path.as_uri())
            page.wait_for_selector(".leaflet-interactive", timeout=30_000)
            grids = store.level_stats("grid", month, unit.code)
            assert page.locator(".leaflet-interactive").count() == len(grids) > 0
            assert page.locator(".rg-label").count() == len(store.children(unit.code))
            assert not errors, errors
            outside = [u for u in requests if not u.startswith(("file://", "data:"))]
            assert not outside, outside

            props = page.evaluate(
                """() => { const out = [];
                for (const k of Object.keys(window)) { const v = window[k];
                  if (v instanceof L.GeoJSON) v.eachLayer(l => {
                    if (l.feature && l.feature.properties.level === 'grid') out.push(l.feature.properties); }); }
                return out; }"""
            )
            assert sorted(p["code"] for p in props) == sorted(grids["code"])
            for prop in props:
                stats = store.stats(prop["code"], month)  # what `riskgrid stats` prints
                assert prop["name"] == stats["unit"]["name"]
                assert prop["monitored"] == hp(stats["monitored"])
                assert prop["open_red"] == hp(stats["open_by_level"]["red"])
                assert prop["open_yellow"] == hp(stats["open_by_level"]["yellow"])
                assert prop["open_blue"] == hp(stats["open_by_level"]["blue"])
                cr = stats["clearance_rate"]
                assert (
                    prop["clearance"]
                    == f"{pct(cr['persons'])} (按人) / {pct(cr['households'])} (按户)"
                )
                assert prop["risk"] == stats["risk_level"]

            # hover grids until a tooltip shows, then check it against `riskgrid stats`
            tooltip = None
            for i in range(min(len(grids), 20)):
                page.locator(".leaflet-interactive").nth(i).hover(force=True)
                if page.locator(".leaflet-tooltip.foliumtooltip").count():
                    tooltip = page.inner_text(".leaflet-tooltip.foliumtooltip")
                    break
            assert tooltip, "no tooltip on hover"
            code = re.search(r"编码\s+(\S+)", tooltip).group(1)
            stats = cli_stats(url, code, month)
            assert hp(stats["monitored"]) in tooltip
            assert pct(stats["clearance_rate"]["persons"]) in tooltip
            assert hp(stats["open_by_level"]["red"]) in tooltip
            page.close()
