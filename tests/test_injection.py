"""Every text that comes from data reaches every output as text (dashboard, briefings, files).

Unit, grid, site, cause and household names come from files county offices are handed: here they
are payloads for every interpreter a name passes near. Jinja (folium / branca templates), HTML
(the offline map, its tooltips and labels), Plotly's pseudo-HTML (hover texts, tick labels),
matplotlib's mathtext, file names. Each output must show each payload exactly as typed, and
nothing may be evaluated: no 49 for ``{{ 7*7 }}``, no dialog, no file written by the payload
that runs a command.
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from typer.testing import CliRunner

from dashboard import create_app, household_dots
from dashboard.data import get_loaders
from dashboard.figures import causes_figure, site_marker_values
from dashboard.pages import sites, unit, wall
from etl.grids import load_grids
from etl.households import load_households
from etl.sites import load_sites
from geodata import Store
from geodata.model import RISK_COLORS
from reports import briefing, fmt
from reports.briefing_html import content_security_policy, script_hashes, script_json
from riskgrid.cli import app as cli_app
from riskgrid.settings import Settings
from tests.browser_support import chromium, serving
from tests.factories import TOWNSHIP, VILLAGES, county_file, tiny_grids, write_csv

MONTH = "2024-10"
RESULTS = Path(__file__).resolve().parents[1] / "test-results"
runner = CliRunner()

EXPR = "{{ 7*7 }}"
STMT = "{% if true %}x{% endif %}"
GLOBALS = "{{ lipsum.__globals__ }}"
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
MATH = "$x^2$"
PLOTLY = "<b>粗</b>&amp;&lt;&mu;"  # Plotly reads tags and decodes these entities


def command_payload(marker: Path) -> str:
    """A name that runs ``touch marker`` if it is ever rendered as a Jinja template."""
    return f"{{{{ lipsum.__globals__['os'].popen('touch {marker}').read() }}}}"


# The same with no quote, no < > &: nothing that JSON or HTML escaping would change, so only
# never compiling data keeps it from running; the command is in the environment (RG_PWN_CMD).
ENV_COMMAND = "{{ lipsum.__globals__.os.popen(lipsum.__globals__.os.environ.RG_PWN_CMD).read() }}"


@dataclass
class Evil:
    url: str
    store: Store
    marker: Path
    env_marker: Path
    county: str
    township: str
    villages: dict[str, str]  # code -> name
    grids: dict[str, str]  # code -> name
    causes: list[str]
    site: str

    @property
    def payloads(self) -> list[str]:
        return [EXPR, STMT, GLOBALS, SCRIPT, IMG, MATH, PLOTLY, command_payload(self.marker)]


def _no_evaluation(text: str, evil: Evil) -> None:
    """Nothing of a payload was evaluated: no 49, no Jinja output, no file written."""
    assert "网格1 49" not in text and "县49" not in text and "因学49" not in text
    assert "网格2 x" not in text and "<module 'os'" not in text and "&lt;module" not in text
    assert not evil.marker.exists(), "a name was rendered as a template"
    assert not evil.env_marker.exists(), "a name was rendered as a template"


@pytest.fixture(scope="module")
def evil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Evil]:
    """Nine grids in two villages, every name a payload, loaded through the etl loaders."""
    base = tmp_path_factory.mktemp("injection")
    marker, env_marker = base / "pwned", base / "pwned-env"
    payloads = [EXPR, STMT, GLOBALS, SCRIPT, IMG, command_payload(marker), MATH, PLOTLY]
    frame = tiny_grids(5).iloc[:9].copy()  # 9 grids, 5 and 4 in the two villages
    county = f"县{EXPR}{SCRIPT}"
    township = f"镇{IMG}{MATH}"
    villages = {VILLAGES[0]: f"甲村{STMT}{PLOTLY}", VILLAGES[1]: f"乙村{GLOBALS}"}
    frame["county_name"] = county
    frame["township_name"] = township
    frame["village_name"] = frame["village_code"].map(villages)
    frame["grid_name"] = [f"网格{i + 1} {p}" for i, p in enumerate([*payloads, ENV_COMMAND])]
    frame.to_file(base / "grids.geojson", driver="GeoJSON", engine="pyogrio")
    url = f"sqlite:///{base / 'evil.db'}"
    store = Store(url)
    store.migrate()
    load_grids(store, base / "grids.geojson")
    codes = list(frame["grid_code"])

    site = f"安置点{IMG}{EXPR}"
    with (base / "sites.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["安置点编码", "安置点名称", "乡镇编码", "经度", "纬度", "安置户数", "安置人数"])
        w.writerow(["S001", site, TOWNSHIP, "122.85", "46.66", "20", "60"])
    load_sites(store, base / "sites.csv")

    causes = ["因病<b>x</b>", "因学{{7*7}}", "<script>alert(1)</script>", "因残$x^2$"]
    rows = county_file(40, 120, 10, 30, codes, others=20)
    for i, row in enumerate(rows):
        row["户主姓名"] = payloads[i % len(payloads)]
        if row["监测对象类别"]:
            row["风险类型"] = causes[i % len(causes)]
    load_households(store, write_csv(base / "h.csv", rows), month=MONTH)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("RG_PWN_CMD", f"touch {env_marker}")
        yield Evil(
            url,
            store,
            marker,
            env_marker,
            county,
            township,
            villages,
            dict(zip(codes, frame["grid_name"], strict=True)),
            causes,
            site,
        )
    store.dispose()


def test_the_payloads_are_live_when_rendered_as_templates(tmp_path: Path, monkeypatch):
    """The control: these names do evaluate (and write the file) when they are template source."""
    import folium

    def as_template(text: str) -> str:  # what folium.Element(f"...{name}...") did
        return folium.Element(text).render()

    marker = tmp_path / "control"
    assert as_template(f"村{EXPR}") == "村49"
    assert as_template(STMT) == "x"
    assert "<module 'os'" in as_template(GLOBALS)
    as_template(command_payload(marker))
    assert marker.exists()
    env_marker = tmp_path / "control-env"
    monkeypatch.setenv("RG_PWN_CMD", f"touch {env_marker}")
    as_template(ENV_COMMAND)
    assert env_marker.exists()


def test_names_are_stored_as_they_were_typed(evil: Evil):
    s = evil.store
    assert s.unit(TOWNSHIP).name == evil.township
    assert {c: s.unit(c).name for c in evil.grids} == evil.grids
    by_cause = s.stats(TOWNSHIP, MONTH)["by_cause"]
    assert set(evil.causes) <= set(by_cause)


# ---------------------------------------------------------------------------------- HTML map
def _escaped_in_page(page: str, text: str) -> bool:
    return html.escape(text) in page


def test_html_briefing_has_every_name_as_escaped_text_and_runs_none(evil: Evil):
    for code in (TOWNSHIP, VILLAGES[0], VILLAGES[1], *evil.grids):
        page = briefing.render_html(evil.store, code, MONTH)
        _no_evaluation(page, evil)
        b = briefing.build_briefing(evil.store, code, MONTH)
        # the title, escaped, in <title> and in the title panel; the path of units below it
        assert f"<title>{html.escape(b.title)}</title>" in page
        assert f"<h1>{html.escape(b.title)}" in page
        assert f"<p>{html.escape(b.subtitle)}</p>" in page
        # and no payload anywhere as markup
        for raw in (SCRIPT, IMG, "<b>粗</b>"):
            assert raw not in page
        assert page.count("<script>") == len(script_hashes(page))
    page = briefing.render_html(evil.store, TOWNSHIP, MONTH)
    for name in [*evil.grids.values(), *evil.villages.values()]:  # the layers' JSON
        assert script_json(name) in page, name


def test_html_briefing_never_makes_a_template_of_data(evil: Evil, monkeypatch):
    """branca compiles the string given to ``Element(...)`` as a Jinja template, and so the
    output of every folium object's script (``MacroElement.render``): no name, no code may be
    in any of them."""
    import folium

    sources: list[str] = []
    real = folium.Element.__init__

    def spy(self, template=None, template_name=None):
        if template is not None:
            sources.append(template)
        real(self, template, template_name)

    monkeypatch.setattr(folium.Element, "__init__", spy)
    page = briefing.render_html(evil.store, TOWNSHIP, MONTH)
    assert sources  # the spy sees folium's templates
    # pieces of the payloads that any encoding (JSON, \u escapes, HTML) leaves as they are
    pieces = ["7*7", "if true", "lipsum", "alert(1)", "x^2", "RG_PWN_CMD", *evil.grids]
    for source in sources:
        found = [piece for piece in pieces if piece in source]
        assert not found, (found, source[:300])
    _no_evaluation(page, evil)


def test_html_briefing_allows_only_its_own_scripts(evil: Evil):
    page = briefing.render_html(evil.store, TOWNSHIP, MONTH)
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert meta and page.index(meta.group(0)) < page.index("<script")
    policy = html.unescape(meta.group(1))
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["img-src"] == "data:" and directives["style-src"] == "'unsafe-inline'"
    sources = directives["script-src"].split()
    assert sources == script_hashes(page) and len(sources) == 3
    assert all(s.startswith("'sha256-") for s in sources)  # no 'unsafe-inline', no host
    # the meta is not a script: the policy of the page with it is the policy it states
    assert content_security_policy(page) == policy


@pytest.mark.browser
def test_html_briefing_in_chromium_shows_names_literally_and_raises_no_dialog(
    evil: Evil, tmp_path: Path
):
    result = runner.invoke(
        cli_app,
        ["brief", "--unit", TOWNSHIP, "--children", "--format", "html"]
        + ["--out", str(tmp_path), "--db", evil.url],
    )
    assert result.exit_code == 0, result.output
    paths = [Path(p) for p in result.stdout.split()]
    assert len(paths) == 3 and all(p.parent == tmp_path and p.exists() for p in paths)
    RESULTS.mkdir(exist_ok=True)
    with chromium() as browser:
        for path in paths:
            b = briefing.build_briefing(
                evil.store, path.name.split("_", 1)[0], MONTH
            )  # the unit of the file
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            dialogs: list[str] = []
            errors: list[str] = []
            violations: list[str] = []
            page.on("dialog", lambda d, seen=dialogs: (seen.append(d.message), d.dismiss()))
            page.on("pageerror", lambda e, seen=errors: seen.append(str(e)))
            page.on(
                "console",
                lambda m, seen=violations: (
                    seen.append(m.text) if "Content Security Policy" in m.text else None
                ),
            )
            page.goto(path.as_uri())
            page.wait_for_selector(".leaflet-interactive", timeout=30_000)
            assert page.title() == b.title
            body = page.inner_text("body")
            assert b.title in body and b.subtitle in body
            tooltips = page.evaluate(
                """() => { const out = {};
                rg_grids.eachLayer(l => {
                  l.openTooltip(l.getBounds().getCenter());
                  out[l.feature.id] = l.getTooltip().getElement().innerText;
                  l.closeTooltip(); });
                return out; }"""
            )
            grids = {c: n for c, n in evil.grids.items() if c.startswith(b.code)}
            assert set(tooltips) == set(grids)
            for code, name in grids.items():
                assert name in tooltips[code] and code in tooltips[code], (name, tooltips[code])
            labels = page.locator(".rg-label").all_inner_texts()
            children = [u.name for u in evil.store.children(b.code)]
            assert sorted(labels) == sorted(children)
            if b.code == TOWNSHIP:
                page.screenshot(path=str(RESULTS / "injection-briefing.png"))
                shot = Image.open(RESULTS / "injection-briefing.png")
                _assert_grid_colours(evil, shot)
            assert not dialogs and not errors, (dialogs, errors)
            _no_evaluation(body, evil)
            # defence in depth: a handler put into the page anyway does not run
            page.evaluate(
                """() => new Promise(done => { const img = new Image();
                img.addEventListener('error', () => setTimeout(done, 200));
                img.setAttribute('onerror', 'alert("injected")');
                img.src = 'x'; document.body.appendChild(img); })"""
            )
            assert not dialogs, dialogs
            assert violations, "the Content-Security-Policy reported nothing"
            page.close()
        # the control: without the policy the same handler does run (the check can see one)
        bare = tmp_path / "bare.html"
        text = paths[0].read_text(encoding="utf-8")
        bare.write_text(re.sub(r"<meta http-equiv=\"Content-Security-Policy\"[^>]*>", "", text))
        page = browser.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(bare.as_uri())
        page.evaluate(
            """() => new Promise(done => { const img = new Image();
            img.addEventListener('error', () => setTimeout(done, 200));
            img.setAttribute('onerror', 'alert("injected")');
            img.src = 'x'; document.body.appendChild(img); })"""
        )
        assert dialogs == ["injected"]
        page.close()


def _assert_grid_colours(evil: Evil, shot: Image.Image) -> None:
    """The map drew: each risk colour of the township's grids fills part of the screenshot."""
    risks = set(evil.store.level_stats("grid", MONTH, TOWNSHIP)["risk_level"])
    rgb = np.asarray(shot.convert("RGB")).astype(int)
    for risk in risks:
        c = RISK_COLORS[risk]
        target = np.array([int(c[i : i + 2], 16) for i in (1, 3, 5)]) * 0.9 + 255 * 0.1
        hits = int((np.abs(rgb - target).max(axis=2) <= 8).sum())
        assert hits > 2000, (risk, hits)


# ---------------------------------------------------------------------------------- Plotly
@pytest.fixture
def dash_ctx(evil: Evil) -> Iterator[Any]:
    app = create_app(Settings(db=evil.url, login=False))
    with app.server.test_request_context("/"):
        yield get_loaders()


def test_plotly_text_escapes_what_plotly_reads():
    assert fmt.plotly_text("<b>x</b> & &amp; \"q\" 'a'") == (
        "&lt;b&gt;x&lt;/b&gt; &amp; &amp;amp; \"q\" 'a'"
    )
    assert fmt.plotly_text(None) == ""


def test_map_hover_texts_hold_the_escaped_names(evil: Evil, dash_ctx: Any):
    loaders = dash_ctx
    town = loaders.unit(TOWNSHIP)
    fig, _ = unit.unit_map(loaders, town, "grid", "risk", MONTH)
    trace = fig["data"][0]
    hover = dict(zip(trace["locations"], (row[0] for row in trace["customdata"]), strict=True))
    assert hover == {c: fmt.plotly_text(n) for c, n in evil.grids.items()}
    assert "&lt;script&gt;" in hover[next(c for c, n in evil.grids.items() if SCRIPT in n)]
    # the names the overlay script writes as textContent stay as they are
    labels = {lab["t"] for lab in fig["layout"]["meta"]["labels"]}
    assert labels <= set(evil.villages.values()) | {
        n.removeprefix(evil.township) for n in evil.villages.values()
    }
    # the month / measure patch and the wall's map carry the same hover data
    patch = unit.map_update(TOWNSHIP, "grid", "share", MONTH, full=False)[0].to_plotly_json()
    patched = [op for op in patch["operations"] if op["location"][-1] == "customdata"]
    assert [row[0] for row in patched[0]["params"]["value"]] == [
        hover[c] for c in trace["locations"]
    ]
    _, custom = wall.map_colours(loaders, town, MONTH)
    assert sorted(row[0] for row in custom) == sorted(hover.values())
    wall_fig, _, _ = wall.wall_map(loaders, town, MONTH, (1200, 800))
    assert [r[0] for r in wall_fig["data"][0]["customdata"]] == [r[0] for r in custom]


def test_chart_ticks_bars_and_site_hovers_hold_the_escaped_names(evil: Evil, dash_ctx: Any):
    by_cause = evil.store.stats(TOWNSHIP, MONTH)["by_cause"]
    fig = causes_figure(by_cause)
    ticks = list(fig["data"][0]["y"])
    assert set(ticks) == {fmt.plotly_text(c) for c in by_cause}
    assert "因病&lt;b&gt;x&lt;/b&gt;" in ticks and "&lt;script&gt;alert(1)&lt;/script&gt;" in ticks
    loaders = dash_ctx
    rows = loaders.site_stats(MONTH)
    assert [r["site_name"] for r in rows] == [evil.site]
    hover = site_marker_values(rows)["customdata"]
    assert any(f"<b>{fmt.plotly_text(evil.site)}</b>" in h for h in hover)
    assert not any(IMG in h for h in hover)
    fig = sites.sites_map(loaders, rows)
    assert fig["data"][0]["customdata"] == hover
    assert evil.site in {lab["t"] for lab in fig["layout"]["meta"]["labels"]}  # textContent


def test_household_dots_hover_with_escaped_ids_and_names():
    frame = pd.DataFrame(
        [
            {
                "household_id": "H<b>1</b>",
                "head_name": IMG,
                "lon": 122.9,
                "lat": 46.7,
                "category": "边缘易致贫户",
                "risk_level": "red",
                "eliminated": False,
            }
        ]
    )
    points = household_dots.household_points(frame)
    assert points["customdata"] == ["H<b>1</b>"]  # the id the click handler opens, as it is
    text = points["text"][0]
    assert text.startswith("H&lt;b&gt;1&lt;/b&gt; &lt;") and text.endswith("&gt;")
    assert "<" not in text and ">" not in text


# ---------------------------------------------------------------------------------- images, deck
def test_png_and_pdf_draw_the_names_as_typed(evil: Evil):
    import pypdf
    from matplotlib.text import Text

    for code in (TOWNSHIP, VILLAGES[0]):
        texts = briefing.briefing_texts(evil.store, code, MONTH)
        b = briefing.build_briefing(evil.store, code, MONTH)
        assert b.title in texts and evil.township in b.title + b.subtitle
        fig = briefing.briefing_figure(evil.store, code, MONTH)
        fig.canvas.draw()
        drawn = [t for t in fig.findobj(Text) if t.get_text()]
        assert drawn and not any(t.get_parse_math() or t.get_usetex() for t in drawn)
        assert any(MATH in t.get_text() for t in drawn)
        png = briefing.render_png(evil.store, code, MONTH)
        assert Image.open(io.BytesIO(png)).size == briefing.DEFAULT_SIZE
    by_cause = set(evil.store.stats(TOWNSHIP, MONTH)["by_cause"])
    assert set(evil.causes) <= by_cause
    assert set(evil.causes) <= set(briefing.briefing_texts(evil.store, TOWNSHIP, MONTH))
    pdf = briefing.render_pdf(evil.store, TOWNSHIP, MONTH)
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert briefing.REPORT_NAME in text  # CJK text extracts
    squeezed = re.sub(r"\s+", "", text)
    for payload in (MATH, IMG, "因学{{7*7}}", "<b>x</b>", evil.township):
        assert re.sub(r"\s+", "", payload) in squeezed, payload
    assert reader.metadata.title == briefing.build_briefing(evil.store, TOWNSHIP, MONTH).title
    _no_evaluation(text, evil)


def test_deck_titles_hold_the_names_as_typed(evil: Evil, tmp_path: Path):
    from pptx import Presentation

    codes = briefing.brief_units(evil.store, TOWNSHIP, children=True)
    deck = Presentation(io.BytesIO(briefing.render_pptx(evil.store, codes, MONTH)))
    titles = [slide.shapes.title.text_frame.text for slide in deck.slides]
    assert titles == [briefing.build_briefing(evil.store, c, MONTH).slide_title for c in codes]
    assert titles[0].startswith(evil.township) and evil.villages[VILLAGES[0]] in titles[1]


# ---------------------------------------------------------------------------------- file names
def _renamed(evil_url: str, code: str, name: str) -> None:
    import sqlalchemy as sa

    engine = sa.create_engine(evil_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE units SET name = :n WHERE code = :c"), {"n": name, "c": code})
    engine.dispose()


@pytest.mark.parametrize(
    "name",
    [
        "嘎查" * 40,  # 240 bytes of UTF-8
        'a/b\\c:d*e?f"g<h>i|j',
        "..",
        "../../etc/passwd",
        "con",
        f"村{EXPR}{IMG}{MATH} \t\n",
        "\x00\x1f村",
    ],
)
def test_file_stem_keeps_safe_short_names(tmp_path: Path, name: str):
    from tests.factories import load_tiny_grids

    url = f"sqlite:///{tmp_path / 'names.db'}"
    store = Store(url)
    store.migrate()
    frame = load_tiny_grids(store)
    load_households(
        store,
        write_csv(tmp_path / "h.csv", county_file(4, 12, 1, 3, list(frame.grid_code))),
        month=MONTH,
    )
    _renamed(url, VILLAGES[0], name)
    stem = briefing.file_stem(store, VILLAGES[0], MONTH)
    assert re.fullmatch(r"[\w-]+", stem), stem
    assert stem.startswith(f"{VILLAGES[0]}_") and stem.endswith(f"_{MONTH}")
    assert len(f"{stem}.html".encode()) <= 200
    if name == "嘎查" * 40:
        assert "嘎查" * 20 in stem  # cut at a character, not in the middle of one
    result = runner.invoke(
        cli_app,
        ["brief", "--unit", VILLAGES[0], "--format", "html", "--out", str(tmp_path / "o")]
        + ["--db", url],
    )
    assert result.exit_code == 0, result.output
    written = list((tmp_path / "o").iterdir())
    assert [p.name for p in written] == [f"{stem}.html"]
    store.dispose()


def test_deck_name_and_file_stem_sanitise_codes():
    assert briefing.deck_name("152223", MONTH) == f"brief_152223_{MONTH}.pptx"
    assert briefing.deck_name("../../x", MONTH) == f"brief_x_{MONTH}.pptx"
    assert briefing.deck_name("a/b", "2024/10") == "brief_a_b_2024_10.pptx"
    assert briefing.deck_name("///", MONTH) == f"brief_unit_{MONTH}.pptx"
    long_code = "9" * 300
    assert len(briefing.deck_name(long_code, MONTH).encode()) < 100


# ---------------------------------------------------------------------------------- dashboard
@pytest.mark.browser
def test_dashboard_pages_show_names_literally_and_raise_no_dialog(evil: Evil):
    app = create_app(Settings(db=evil.url, login=False))
    grid_code = next(c for c, n in evil.grids.items() if IMG in n)
    pages = {
        f"/unit/{TOWNSHIP}?month={MONTH}": [evil.township, *evil.villages.values()],
        f"/unit/{VILLAGES[0]}?month={MONTH}": [
            evil.villages[VILLAGES[0]],
            *(n for c, n in evil.grids.items() if c.startswith(VILLAGES[0])),
        ],
        f"/grid/{grid_code}?month={MONTH}": [evil.grids[grid_code], evil.township],
        f"/sites?month={MONTH}": [evil.site],
    }
    known = {evil.township, evil.site, *evil.villages.values(), *evil.grids.values()}
    known |= {n.removeprefix(v) for n in evil.grids.values() for v in evil.villages.values()}
    with serving(app) as base, chromium() as browser:
        context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN")
        page = context.new_page()
        dialogs: list[str] = []
        errors: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.set_default_timeout(60_000)
        for path, names in pages.items():
            page.goto(base + path)
            page.wait_for_selector(".js-plotly-plot[data-drawn='1']")
            body = page.inner_text("body")
            for name in names:
                assert name in body, (path, name)
            labels = page.locator(".rg-maplabel").all_text_contents()
            assert labels, path
            assert set(labels) <= known, (path, labels)  # each a name as typed
            if path.split("?")[0] == f"/unit/{TOWNSHIP}":
                assert evil.villages[VILLAGES[0]] in labels  # <b>, &amp; ... as typed
                # the causes chart's tick labels (Plotly's SVG text) show the causes as typed
                page.wait_for_selector(".ytick text")
                ticks = set(page.locator(".ytick text").all_text_contents())
                assert set(evil.causes) <= ticks, ticks
            _no_evaluation(body, evil)
        assert not dialogs and not errors, (dialogs, errors)
        context.close()


def test_cli_prints_names_with_rich_markup_as_typed(tmp_path: Path):
    """``riskgrid stats`` prints names through Rich: ``[/red]`` or ``[link=…]`` in a name is
    text, not markup (it made stats exit 1 with a MarkupError)."""
    from typer.testing import CliRunner

    from riskgrid.cli import app as cli_app
    from tests.factories import load_tiny_grids

    url = f"sqlite:///{tmp_path / 'rich.db'}"
    store = Store(url)
    store.migrate()
    grids = list(load_tiny_grids(store)["grid_code"])
    load_households(
        store, write_csv(tmp_path / "h.csv", county_file(20, 60, 5, 15, grids)), month=MONTH
    )
    store.dispose()
    name = "镇[/red][link=http://evil.example]点我[/link][bold]"
    _renamed(url, TOWNSHIP, name)
    result = CliRunner().invoke(cli_app, ["stats", "--unit", TOWNSHIP, "--db", url])
    assert result.exit_code == 0, result.output
    assert name in result.output
