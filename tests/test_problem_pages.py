"""The problem list on the dashboard (issue 12, part 3): the list page's filters and Excel,
status changes over HTTP scoped to the account's area, the grid page's list, the map coloured
by open problems, and the same counts on the unit pages, the wall, the briefing and
``riskgrid check --json`` for the demo county and each of its townships."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from dashboard import create_app
from dashboard.data import get_loaders
from dashboard.pages import grid as grid_page
from dashboard.pages import problems as problems_page
from dashboard.pages import unit as unit_page
from dashboard.pages.wall.content import wall_content
from etl.households import load_households
from etl.signals import load_signals
from geodata import Store
from geodata.access import Principal, ScopedStore, audit_rows
from geodata.accounts import Users
from reports.briefing_build import build_briefing
from riskgrid.cli import app as cli
from riskgrid.settings import Settings
from tests import test_dashboard_support as support
from tests.test_auth import PASSWORD, callback_body, dependencies, login, post_callback
from tests.test_dashboard_support import by_id, props, walk
from tests.test_members import two_township_grids
from tests.test_rules import MONTH, PREVIOUS, write_months

runner = CliRunner()
OPEN = ("new", "confirmed")
T1, T2 = "152223101", "152223102"
MOVED = ("R_no_cause", "R_unmonitored_below_line")


def county(tmp_path: Path, store: Store | None = None) -> Store:
    """The rules' test county: the first month loaded and its list synced, then the second
    month (so problems firing in both are a month old: overdue)."""
    if store is None:
        store = Store(f"sqlite:///{tmp_path / 'p.db'}")
        store.migrate()
    grids = two_township_grids()
    with store.write() as conn:
        store.upsert_grids(conn, grids)
    codes = list(grids["grid_code"])
    before, now, warnings = write_months(tmp_path, codes)
    second = next(c for c in codes if c.startswith(T2))
    for path in (before, now):  # two of the rules' households live in the second township
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
        frame.loc[frame["户编号"].isin(MOVED), "网格编码"] = second
        frame.to_csv(path, index=False)
    load_households(store, before, month=PREVIOUS)
    store.sync_problems()
    load_households(store, now, month=MONTH)
    load_signals(store, warnings)
    store.sync_problems()
    return store


def check_json(url: str, code: str) -> dict[str, Any]:
    result = runner.invoke(cli, ["check", "--unit", code, "--json", "--db", url])
    assert result.exit_code in (0, 3), result.output
    return json.loads(result.stdout)


def count_of(page: Any) -> int:
    return int(props(by_id(page, "problems-count"))["data-count"])


def test_the_list_page_filters_as_riskgrid_check_counts(tmp_path: Path) -> None:
    store = county(tmp_path)
    url = str(store.engine.url)
    frame = store.problems_frame(store.unit("152223"), month=MONTH)
    opened = frame[frame["status"].isin(OPEN)]
    late = opened[opened["first_seen"] <= PREVIOUS]
    assert len(late) and len(late) < len(opened)  # some problems a month old, some new
    body = check_json(url, "152223")
    assert len(opened) == sum(p["status"] in OPEN for p in body["problems"])
    app = create_app(Settings(db=url, login=False))
    with app.server.test_request_context("/"):
        page = problems_page.problems_layout("152223", None, None, None)
        assert count_of(page) == len(opened)
        total = props(by_id(page, "unit-problems-total"))
        assert (total["data-open"], total["data-overdue"]) == (str(len(opened)), str(len(late)))
        rows = [props(c) for c in walk(by_id(page, "rg-problems")) if "data-rule" in props(c)]
        assert {(r["data-rule"], r["data-household"]) for r in rows} == set(
            zip(opened["rule"], opened["household_id"], strict=True)
        )
        overdue = problems_page.problems_layout("152223", None, None, "overdue")
        assert count_of(overdue) == len(late)
        fresh = problems_page.problems_layout("152223", None, None, "new")
        assert count_of(fresh) == len(opened) - len(late)
        one = problems_page.problems_layout("152223", None, "no_cause", None)
        assert count_of(one) == (opened["rule"] == "no_cause").sum() == 1
        township = problems_page.problems_layout(T2, None, None, None)
        assert count_of(township) == (opened["township_code"] == T2).sum()
        # unknown filters fall back to the defaults; an unknown unit is not found
        odd = problems_page.problems_layout("152223", "bogus", "nope", "x")
        assert count_of(odd) == len(opened)
        assert by_id(problems_page.problems_layout("999", None, None, None), "rg-notfound")
    ScopedStore(store, Principal("c", "county", "152223")).set_problem_status(
        "no_cause", "R_no_cause", "dismissed", "已补录风险类型"
    )
    with app.server.test_request_context("/"):
        assert (
            count_of(problems_page.problems_layout("152223", None, None, None)) == len(opened) - 1
        )
        dismissed = problems_page.problems_layout("152223", "dismissed", None, None)
        assert count_of(dismissed) == 1
        everything = problems_page.problems_layout("152223", "all", None, None)
        assert count_of(everything) == len(store.problems_frame(store.unit("152223")))


def test_the_store_filters_orders_and_pages_the_list(store: Store, tmp_path: Path) -> None:
    """On SQLite and PostGIS: the list page's query gives what a filter over the whole list
    gives, errors first and the oldest first, one page at a time; the counts agree."""
    county(tmp_path, store)
    unit = store.unit("152223")
    whole = store.problems_frame(unit, month=MONTH)
    opened = whole[whole["status"].isin(OPEN)]
    rows, total = store.list_problems(unit, month=MONTH, statuses=OPEN)
    assert total == len(rows) == len(opened)
    rank = {"error": 0, "warning": 1, "notice": 2}
    order = [(rank[r.severity], r.first_seen) for r in rows.itertuples()]
    assert order == sorted(order) and rows.iloc[0]["severity"] == "error"
    page2, total2 = store.list_problems(unit, month=MONTH, statuses=OPEN, limit=4, offset=4)
    assert total2 == total and list(page2["household_id"]) == list(rows["household_id"][4:8])
    late, n_late = store.list_problems(unit, month=MONTH, statuses=OPEN, age="overdue")
    assert n_late == (opened["first_seen"] <= PREVIOUS).sum() > 0
    assert set(late["first_seen"]) == {PREVIOUS}
    fresh, n_fresh = store.list_problems(unit, month=MONTH, statuses=OPEN, age="new")
    assert n_fresh == total - n_late and set(fresh["first_seen"]) == {MONTH}
    one, _ = store.list_problems(unit, month=MONTH, rule="no_cause")
    assert list(one["household_id"]) == ["R_no_cause"]
    mine, _ = store.list_problems(None, household_id="R_income_drop", month=MONTH)
    assert list(mine["rule"]) == ["income_drop"]
    summary = store.problem_summary(unit, MONTH)
    assert (summary["open"], summary["overdue"]) == (total, n_late)
    assert sum(summary["by_rule"].values()) == sum(summary["by_severity"].values()) == total
    by_township = store.open_problems_by("township", unit, MONTH)
    assert by_township == opened.groupby("township_code").size().to_dict()
    assert sum(store.open_problems_by("grid", unit, MONTH).values()) == total
    # a province that gives two months before a problem is overdue: none is yet
    store.set_thresholds(2024, overdue_months=2)
    store.sync_problems()
    assert store.problem_summary(unit, MONTH)["overdue"] == 0
    assert store.list_problems(unit, month=MONTH, statuses=OPEN, age="overdue")[1] == 0


def test_the_excel_download_holds_every_filtered_row(tmp_path: Path) -> None:
    store = county(tmp_path)
    app = create_app(Settings(db=str(store.engine.url), login=False))
    ctx = {"code": "152223", "status": "open", "rule": None, "age": ""}
    with app.server.test_request_context("/"):
        sent = problems_page.download(ctx)
        page = problems_page.problems_layout("152223", None, None, None)
    sheet = openpyxl.load_workbook(io.BytesIO(base64.b64decode(sent["content"])))["问题清单"]
    assert sent["filename"].endswith("_2024-10_问题清单.xlsx")
    assert sheet.max_row - 1 == count_of(page)
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["规则", "规则编号", "级别", "户编号"]
    ids = {r[3] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert "R_no_cause" in ids
    assert any(
        r["action"] == "export" and "problems xlsx" in r["detail"] for r in audit_rows(store)
    )


def save_body(deps: list[dict[str, Any]], ctx: dict[str, Any], key: str, status: str, reason: str):
    dep = next(d for d in deps if "problems-message.children" in d["output"])
    values = {
        ("problems-save", "n_clicks"): 1,
        (problems_page.CTX, "data"): ctx,
        ("problems-pick", "data"): key,
        ("problems-new-status", "value"): status,
        ("problems-reason", "value"): reason,
    }
    return callback_body(dep, lambda i, p: values[(i, p)])


def test_status_changes_over_http_stay_inside_the_area_and_are_audited(tmp_path: Path) -> None:
    store = county(tmp_path)
    users = Users(store)
    users.add("t1", PASSWORD, "township", T1)
    users.add("wall", PASSWORD, "viewer", "152223")
    app = create_app(Settings(db=str(store.engine.url)))
    frame = store.problems_frame(month=MONTH)
    mine = frame[frame["township_code"] == T1].iloc[0]
    theirs = frame[frame["township_code"] == T2].iloc[0]
    client = app.server.test_client()
    assert login(client, "t1").status_code == 302
    deps = dependencies(client)
    own_ctx = {"code": T1, "status": "open", "rule": None, "age": ""}

    def status_of(row: Any) -> str:
        now = store.problems_frame().set_index(["rule", "household_id"])
        return now.loc[(row["rule"], row["household_id"]), "status"]

    key = f"{mine['rule']}|{mine['household_id']}"
    answer = post_callback(client, save_body(deps, own_ctx, key, "confirmed", "已入户核实"))
    assert answer.status_code == 200, answer.get_data(as_text=True)[:300]
    assert "已保存" in answer.get_data(as_text=True)
    assert status_of(mine) == "confirmed"
    # dismissing needs a reason: a message, nothing changed
    answer = post_callback(client, save_body(deps, own_ctx, key, "dismissed", "  "))
    assert answer.status_code == 200 and "理由" in answer.get_data(as_text=True)
    assert status_of(mine) == "confirmed"
    # a forged callback: the other township's problem under the account's own page
    forged = f"{theirs['rule']}|{theirs['household_id']}"
    answer = post_callback(client, save_body(deps, own_ctx, forged, "fixed", "x"))
    assert answer.status_code == 404
    assert status_of(theirs) == "new"
    # the other township's page itself
    other_ctx = {**own_ctx, "code": T2}
    assert (
        post_callback(client, save_body(deps, other_ctx, forged, "fixed", "x")).status_code == 404
    )
    assert status_of(theirs) == "new"
    # the viewer sees counts only and may change nothing
    viewer = app.server.test_client()
    assert login(viewer, "wall").status_code == 302
    county_ctx = {**own_ctx, "code": "152223"}
    answer = post_callback(viewer, save_body(dependencies(viewer), county_ctx, key, "fixed", "x"))
    assert answer.status_code == 404
    assert status_of(mine) == "confirmed"
    log = audit_rows(store)
    changes = [r for r in log if r["action"] == "problem_status"]
    assert [(r["username"], r["target"]) for r in changes] == [("t1", mine["household_id"])]
    assert "new -> confirmed (已入户核实)" in changes[0]["detail"]
    denied = [r for r in log if r["action"] == "denied" and r["username"] in ("t1", "wall")]
    assert len(denied) >= 3


def test_the_grid_page_lists_its_problems_with_household_links(tmp_path: Path) -> None:
    store = county(tmp_path)
    app = create_app(Settings(db=str(store.engine.url), login=False))
    frame = store.problems_frame(month=MONTH)
    grid = frame["grid_code"].dropna().value_counts().index[0]
    here = frame[frame["grid_code"] == grid]
    with app.server.test_request_context("/"):
        page = grid_page.grid_layout(grid, MONTH)
    panel = by_id(page, "grid-problems")
    assert props(by_id(panel, "grid-problems-total"))["data-count"] == str(len(here))
    links = {
        props(c)["href"] for c in walk(by_id(panel, "grid-problem-table")) if "href" in props(c)
    }
    for hid in here["household_id"]:
        assert f"/household/{hid}?month={MONTH}" in links


def test_the_map_can_be_coloured_by_open_problems_per_grid(tmp_path: Path) -> None:
    store = county(tmp_path)
    app = create_app(Settings(db=str(store.engine.url), login=False))
    per_grid = store.open_problems_by("grid", store.unit("152223"), MONTH)
    with app.server.test_request_context("/"):
        fig, legend = unit_page.map_update("152223", "grid", "problems", MONTH, full=True)
        patch, _ = unit_page.map_update("152223", "grid", "problems", MONTH, full=False)
    trace = fig["data"][0]
    codes = list(trace["locations"])
    want = [sum(1 for b in (1, 3, 6, 11) if per_grid.get(c, 0) >= b) for c in codes]
    assert list(trace["z"]) == want and max(want) > 0
    counts = [int(props(c)["data-count"]) for c in walk(legend) if "data-class" in props(c)]
    assert counts == [want.count(i) for i in range(5)]
    shown = json.dumps(patch.to_plotly_json(), ensure_ascii=False)
    assert "未处理问题" in shown


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    return support.demo_db(tmp_path_factory)


def test_counts_agree_on_unit_pages_the_wall_the_briefing_and_check(demo_db: str) -> None:
    store = Store(demo_db)
    county_code = "152223"
    codes = [county_code, *[u.code for u in store.children(county_code)]]
    app = create_app(Settings(db=demo_db, login=False))
    for code in codes:
        body = check_json(demo_db, code)
        opened = sum(p["status"] in OPEN for p in body["problems"])
        with app.server.test_request_context("/"):
            page = unit_page.unit_layout(code, None)
            shown = props(by_id(page, "unit-problems-total"))["data-open"]
            unit = get_loaders().unit(code)
            wall = wall_content(get_loaders(), unit, {}, (1920, 1080), full=True)
        card = next(
            props(c)
            for c in walk(wall[("wall-cards", "children")])
            if props(c).get("data-key") == "open_problems"
        )
        brief = build_briefing(store, code)
        cards = {c.label: c.value for row in brief.cards for c in row}
        assert (shown, card["data-value"], cards["未处理问题"]) == (
            str(opened),
            str(opened),
            f"{opened:,} 条",
        ), code
    assert opened > 0
    # the county page's 时效 panel shows what riskgrid timeliness prints
    result = runner.invoke(cli, ["timeliness", "--unit", county_code, "--json", "--db", demo_db])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    with app.server.test_request_context("/"):
        panel = props(by_id(unit_page.unit_layout(county_code, None), "unit-timeliness"))
    for key, interval in (
        ("signal", "signal_to_identification"),
        ("measure", "identification_to_measure"),
    ):
        figures = printed[interval]
        assert panel[f"data-{key}-n"] == str(figures["n"]) and figures["n"] > 0
        assert panel[f"data-{key}-median"] == str(figures["median"])
        assert panel[f"data-{key}-p90"] == str(figures["p90"])
    assert panel["data-problems-found"] == str(printed["problems"]["found"])
    store.dispose()


@pytest.mark.browser
def test_a_township_head_works_a_problem_in_the_browser(tmp_path: Path) -> None:
    from tests.browser_support import chromium, serving
    from tests.test_wall import opened

    store = county(tmp_path)
    app = create_app(Settings(db=str(store.engine.url), login=False))
    frame = store.problems_frame(month=MONTH)
    first = len(frame[frame["status"].isin(OPEN)])
    with chromium() as browser, serving(app) as base, opened(browser, 1600, 1000) as page:
        page.goto(f"{base}/problems/152223")
        page.wait_for_selector("#rg-problems")
        assert page.get_attribute("#problems-count", "data-count") == str(first)
        row = page.locator("#rg-problems tbody tr").first
        hid, rule = row.get_attribute("data-household"), row.get_attribute("data-rule")
        row.locator("button").click()
        page.wait_for_function(
            "h => document.querySelector('#problems-picked').innerText.includes(h)", arg=hid
        )
        page.locator("#problems-new-status label", has_text="已排除").click()
        page.click("#problems-save")
        page.wait_for_function(
            "() => document.querySelector('#problems-message').innerText.includes('理由')"
        )
        page.fill("#problems-reason", "已入户核实，收入含一次性赔偿")
        page.click("#problems-save")
        page.wait_for_function(
            "() => document.querySelector('#problems-message').innerText.includes('已保存')"
        )
        page.wait_for_function(
            "n => document.querySelector('#problems-count').dataset.count == n", arg=str(first - 1)
        )
        assert page.get_attribute("#unit-problems-total", "data-open") == str(first - 1)
        page.click("#problems-status-dismissed")
        page.wait_for_function("() => location.search.includes('status=dismissed')")
        page.wait_for_selector(f"#rg-problems tr[data-household='{hid}']")
        assert page.get_attribute("#problems-count", "data-count") == "1"
    now = store.problems_frame().set_index(["rule", "household_id"]).loc[(rule, hid)]
    assert (now["status"], now["reason"]) == ("dismissed", "已入户核实，收入含一次性赔偿")
