"""One rule for the causes in every chart: the unit page, the wall, the briefing and the CLI."""

from __future__ import annotations

from reports.causes import TOP_CAUSES, CauseBar, top_causes


def test_top_causes_and_a_remainder_that_is_not_the_cause_other():
    by_cause = {f"因{i}": 100 - i for i in range(10)} | {"其他": 50, "因零": 0}
    bars = top_causes(by_cause)
    assert len(bars) == TOP_CAUSES
    assert [b.label for b in bars[:-1]] == [f"因{i}" for i in range(TOP_CAUSES - 1)]
    rest = bars[-1]
    # 因7 (93), 因8 (92), 因9 (91) and the file's own 其他 (50); the zero is no bar
    assert rest == CauseBar("其余4类", 93 + 92 + 91 + 50, True, 4)
    assert "其他" not in [b.label for b in bars]


def test_few_causes_are_shown_as_they_are_largest_first():
    assert top_causes({"因学": 5, "因病": 9, "其他": 5}) == [
        CauseBar("因病", 9),
        CauseBar("其他", 5),  # ties by name: 其 (U+5176) before 因 (U+56E0)
        CauseBar("因学", 5),
    ]
    assert top_causes({}) == []


def test_every_renderer_shows_the_same_bars(tmp_path):
    """The unit page's chart, the wall, the briefing and riskgrid stats draw the same bars."""
    import plotly.graph_objects as go
    from typer.testing import CliRunner

    from dashboard import figures
    from dashboard.pages import wall
    from etl.households import load_households
    from geodata import Store
    from reports import briefing
    from riskgrid.cli import app as cli_app
    from tests.factories import county_file, load_tiny_grids, write_csv

    url = f"sqlite:///{tmp_path / 'c.db'}"
    store = Store(url)
    store.migrate()
    grids = list(load_tiny_grids(store)["grid_code"])
    rows = county_file(60, 180, 10, 30, grids)
    kinds = [f"因{c}" for c in "病残学灾意外务工产业缺劳力住房饮水"] + ["其他"]
    for i, row in enumerate(rows):
        if row["监测对象类别"]:
            row["风险类型"] = "、".join(kinds[j] for j in range(len(kinds)) if (i * 7 + j) % (j + 2) == 0) or "其他"
    load_households(store, write_csv(tmp_path / "h.csv", rows), month="2024-10")
    stats = store.stats()
    want = [(b.label, b.households) for b in top_causes(stats["by_cause"])]
    assert any(b.remainder for b in top_causes(stats["by_cause"]))
    chart = go.Figure(figures.causes_figure(stats["by_cause"]))
    assert list(zip(chart.data[0].y, chart.data[0].x, strict=True))[::-1] == want
    b = briefing.build_briefing(store, stats["unit"]["code"])
    assert [(c, n) for c, n, _ in b.causes] == want
    bars = wall.causes_bars(stats["by_cause"], len(want))
    assert len(bars) == len(want)
    out = CliRunner().invoke(cli_app, ["stats", "--db", url], env={"COLUMNS": "400"}).output
    assert ", ".join(f"{label} {n:,}" for label, n in want) in out
    store.dispose()
