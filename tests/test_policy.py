"""Income lines belong to a year (issue 10, part 2): each month's figures are computed, graded and
labelled under its own year's lines, whatever the lines of the process that loaded or reads it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from etl.households import load_households
from geodata import Lines, policy
from riskgrid.cli import app as cli_app
from tests.factories import county_file, load_tiny_grids, write_csv

A, B = "2024-10", "2025-10"


def rows_for(grids: list[str]) -> list[dict[str, str]]:
    """A county file whose incomes straddle 7,100 .. 10,000 and whose monitored households leave
    风险等级 blank (graded by the rule, under the lines)."""
    rows = county_file(40, 120, 10, 30, grids, others=40)
    for i, row in enumerate(rows):
        row["家庭人均纯收入"] = str(6500 + 500 * (i % 8))  # 6,500 .. 10,000
        if row["监测对象类别"]:
            row["风险等级"] = ""
            row["风险类型"] = "因病、因学" if i % 2 else "因病"
    return rows


def load(store, tmp_path, month: str) -> None:
    grids = list(store.units_frame().query("level == 'grid'")["code"])
    path = write_csv(tmp_path / f"h-{month}.csv", rows_for(grids))
    load_households(store, path, month=month)


def without_lines(stats: dict) -> dict:
    return {k: v for k, v in stats.items() if k != "lines"}


def fresh_stats(make_store, tmp_path, month: str, lines: Lines) -> dict:
    """The month loaded alone into a new store whose default lines are ``lines``."""
    store = make_store("sqlite", lines)
    load_tiny_grids(store)
    load(store, tmp_path, month)
    return store.stats(month=month)


def test_each_month_keeps_its_own_years_lines(backend, make_store, tmp_path):
    store = make_store(backend, Lines(7100, 8122))
    load_tiny_grids(store)
    store.set_lines(2025, 9000, 10000)  # B's year, before B is loaded
    load(store, tmp_path, A)  # 2024: no stored lines, the defaults
    load(store, tmp_path, B)
    a, b = store.stats(month=A), store.stats(month=B)
    assert (a["lines"]["monitoring"], a["lines"]["source"]) == (7100, "default")
    assert (b["lines"]["monitoring"], b["lines"]["source"]) == (9000, "stored")
    assert without_lines(b) == without_lines(fresh_stats(make_store, tmp_path, B, Lines(9000, 10000)))
    assert without_lines(a) == without_lines(fresh_stats(make_store, tmp_path, A, Lines(7100, 8122)))
    # a later line for A's year: A is recomputed at once, B is left as it is
    lines, recomputed = store.set_lines(2024, 8000, 9000)
    assert lines == Lines(8000, 9000) and recomputed == [A]
    a2 = store.stats(month=A)
    assert a2["lines"]["monitoring"] == 8000 and a2["lines"]["observation"] == 9000
    assert without_lines(a2) == without_lines(fresh_stats(make_store, tmp_path, A, Lines(8000, 9000)))
    assert a2["below_monitoring_line"] != a["below_monitoring_line"]  # the test can tell
    assert a2["open_by_level"] != a["open_by_level"]  # blank levels graded again, by 8,000
    assert store.stats(month=B) == b
    # the households' grades follow too: the grid page shows what the figures count
    frame = store.households_frame(A)
    open_ = frame[(frame["category"].fillna("") != "") & ~frame["eliminated"].astype(bool)]
    counted = {lv: a2["open_by_level"][lv]["households"] for lv in ("red", "yellow", "blue")}
    assert open_["risk_level"].value_counts().to_dict() == {k: v for k, v in counted.items() if v}
    # a process whose settings say other lines still shows each month under its year's lines
    other = type(store)(store.url, Lines(12000, 13000), engine=store.engine)
    assert other.ensure_policy() == []  # A and B have stored lines: nothing is stale
    assert other.stats(month=A)["lines"]["monitoring"] == 8000


def test_a_process_with_other_default_lines_recomputes_the_years_without_stored_lines(
    make_store, tmp_path
):
    store = make_store("sqlite", Lines(7100, 8122))
    load_tiny_grids(store)
    load(store, tmp_path, A)
    before = store.stats(month=A)
    other = type(store)(store.url, Lines(9000, 10000))
    assert other.ensure_policy() == [A]
    after = other.stats(month=A)
    assert after["lines"]["monitoring"] == 9000
    assert without_lines(after) == without_lines(fresh_stats(make_store, tmp_path, A, Lines(9000, 10000)))
    assert after["below_monitoring_line"] != before["below_monitoring_line"]
    other.dispose()


def test_rows_of_an_older_figures_version_are_recomputed_not_a_key_error(
    make_store, tmp_path, monkeypatch
):
    store = make_store("sqlite")
    load_tiny_grids(store)
    load(store, tmp_path, A)
    assert "new_figure" not in store.stats()
    import geodata.materialize

    real = geodata.materialize.compute_month

    def with_a_new_figure(*args, **kwargs):
        per_unit, per_site = real(*args, **kwargs)
        for fig in per_unit.values():
            fig["new_figure"] = fig["households"] * 2
        return per_unit, per_site

    monkeypatch.setattr(geodata.materialize, "compute_month", with_a_new_figure)
    monkeypatch.setattr(policy, "FIGURES_VERSION", policy.FIGURES_VERSION + 1)
    assert store.ensure_policy() == [A]
    stats = store.stats()
    assert stats["new_figure"] == stats["households"] * 2


def test_lines_commands_and_stats_json_report_the_lines_used(tmp_path):
    from geodata import Store

    url = f"sqlite:///{tmp_path / 'lines.db'}"
    store = Store(url)
    store.migrate()
    load_tiny_grids(store)
    load(store, tmp_path, A)
    store.dispose()
    runner = CliRunner()
    result = runner.invoke(
        cli_app, ["lines", "set", "--year", "2024", "--monitoring", "8000", "--db", url]
    )
    assert result.exit_code == 0 and "8,000" in result.output and A in result.output, result.output
    listed = runner.invoke(cli_app, ["lines", "list", "--db", url])
    assert listed.exit_code == 0 and "2024" in listed.output and "8,000" in listed.output
    stats = json.loads(runner.invoke(cli_app, ["stats", "--json", "--db", url]).output)
    assert stats["lines"]["monitoring"] == 8000 and stats["lines"]["year"] == 2024
    assert stats["lines"]["observation"] == round(8000 * 8122 / 7100)
    table = runner.invoke(cli_app, ["stats", "--db", url]).output
    assert "低于监测线（8,000 元）" in table
    bad = runner.invoke(
        cli_app, ["lines", "set", "--year", "2024", "--monitoring", "9000", "--observation", "100", "--db", url]
    )
    assert bad.exit_code == 1 and "观察线不能低于监测线" in bad.output


@pytest.mark.parametrize("month,year", [("2024-01", 2024), ("1999-12", 1999)])
def test_policy_of_a_month_is_its_years(month, year):
    stored = {(2024, ""): Lines(8000, 9000), (2024, "15"): Lines(8500, 9500)}
    p = policy.policy_for(month, Lines(), stored, "15")
    assert p.year == year
    if year == 2024:
        assert p.lines == Lines(8500, 9500) and p.province == "15" and p.source == "stored"
        assert policy.policy_for(month, Lines(), stored, "52").lines == Lines(8000, 9000)
    else:
        assert p.lines == Lines() and p.source == "default"
