"""The problem list (issue 12, part 2): statuses persist across restarts and the next month's
load, a problem that stops firing is closed by the data, changes are scoped and audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.households import load_households
from etl.signals import load_signals
from geodata import Store
from geodata.access import AccessDenied, Principal, RoleDenied, ScopedStore, audit_rows
from geodata.records.problems import FIXED_BY_DATA
from tests.factories import write_csv
from tests.test_members import two_township_grids
from tests.test_rules import EXPECTED, MONTH, PREVIOUS, rows, write_months

NEXT = "2024-11"


def load_county(store: Store, tmp_path: Path) -> Store:
    """Two townships' grids, the rules' test households of two months and their warnings."""
    grids = two_township_grids()
    with store.write() as conn:
        store.upsert_grids(conn, grids)
    before, now, warnings = write_months(tmp_path, list(grids["grid_code"]))
    load_households(store, before, month=PREVIOUS)
    load_households(store, now, month=MONTH)
    load_signals(store, warnings)
    return store


@pytest.fixture
def listed(store: Store, tmp_path: Path) -> Store:
    return load_county(store, tmp_path)


def pairs(frame) -> dict[tuple[str, str], str]:
    return {(r.rule, r.household_id): r.status for r in frame.itertuples(index=False)}


def test_statuses_persist_across_restarts_and_the_next_month(listed: Store, tmp_path: Path, make_store, backend) -> None:
    store = listed
    county = ScopedStore(store, Principal("c", "county", "152223"))
    assert county.problem_counts("152223")["open"] == len(EXPECTED)
    assert set(pairs(store.problems_frame(month=MONTH)).values()) == {"new"}
    county.set_problem_status("no_measures", "R_no_measures", "confirmed")
    county.set_problem_status("labour_without_development_measure", "R_labour_without_development_measure", "dismissed", "已有务工, 系统未登记")
    with pytest.raises(ValueError, match="理由"):
        county.set_problem_status("no_cause", "R_no_cause", "dismissed", " ")
    # a restart: a new store on the same database
    again = Store(str(store.engine.url), engine=store.engine) if backend == "postgis" else Store(str(store.engine.url))
    status = pairs(again.problems_frame())
    assert status[("no_measures", "R_no_measures")] == "confirmed"
    assert status[("labour_without_development_measure", "R_labour_without_development_measure")] == "dismissed"
    # the next month: no_cause is mended, the others fire again
    data = rows(list(two_township_grids()["grid_code"]))
    data["R_no_cause"]["风险类型"] = "因病"
    data["R_income_drop"]["家庭人均纯收入"] = "13900"  # no new drop against October's 13,900
    load_households(again, write_csv(tmp_path / "next.csv", list(data.values())), month=NEXT)
    assert again.sync_problems() == NEXT
    frame = again.problems_frame().set_index(["rule", "household_id"])
    assert frame.at[("no_measures", "R_no_measures"), "status"] == "confirmed"
    assert frame.at[("no_measures", "R_no_measures"), "first_seen"] == MONTH  # keeps its age
    assert frame.at[("no_measures", "R_no_measures"), "last_seen"] == NEXT
    assert frame.at[("labour_without_development_measure", "R_labour_without_development_measure"), "status"] == "dismissed"
    for closed in (("no_cause", "R_no_cause"), ("income_drop", "R_income_drop")):
        assert frame.at[closed, "status"] == "fixed"
        assert frame.at[closed, "reason"] == FIXED_BY_DATA
    open_now = ScopedStore(again, Principal("c", "county", "152223")).problem_counts("152223")
    assert open_now["month"] == NEXT
    # every listed pair of the month but the dismissed one is open
    assert open_now["open"] == len(again.problems_frame(month=NEXT)) - 1
    log = [r for r in audit_rows(again) if r["action"] == "problem_status"]
    assert [r["target"] for r in log] == ["R_no_measures", "R_labour_without_development_measure"]
    assert "new -> dismissed (已有务工, 系统未登记)" in log[1]["detail"] and log[1]["username"] == "c"


def test_status_changes_are_refused_outside_the_area_and_for_viewers(listed: Store) -> None:
    store = listed
    store.sync_problems()
    frame = store.problems_frame()
    here = frame.iloc[0]
    township = here["township_code"]
    other = "152223102" if township == "152223101" else "152223101"
    outsider = ScopedStore(store, Principal("o", "township", other))
    with pytest.raises(AccessDenied):
        outsider.set_problem_status(here["rule"], here["household_id"], "confirmed")
    with pytest.raises(AccessDenied):
        outsider.problems(township)
    viewer = ScopedStore(store, Principal("wall", "viewer", "152223"))
    assert viewer.problem_counts("152223")["open"] == len(frame)  # counts only
    with pytest.raises(RoleDenied):
        viewer.problems("152223")
    with pytest.raises(RoleDenied):
        viewer.set_problem_status(here["rule"], here["household_id"], "confirmed")
    assert set(pairs(store.problems_frame()).values()) == {"new"}  # nothing changed
    mine = ScopedStore(store, Principal("t", "township", township))
    assert len(mine.problems(township)) == (frame["township_code"] == township).sum()
    mine.set_problem_status(here["rule"], here["household_id"], "fixed", "已入户核实并整改")
    denied = [r for r in audit_rows(store) if r["action"] == "denied"]
    assert len(denied) >= 3


def test_unit_pages_count_the_open_problems_as_riskgrid_check_does(make_store, tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from dashboard import create_app
    from dashboard.pages import unit as unit_page
    from riskgrid.cli import app as cli
    from riskgrid.settings import Settings
    from tests.test_dashboard_support import by_id, props, walk

    store = load_county(make_store("sqlite"), tmp_path)
    url = str(store.engine.url)
    ScopedStore(store, Principal("c", "county", "152223")).set_problem_status(
        "no_cause", "R_no_cause", "dismissed", "已补录"
    )
    app = create_app(Settings(db=url, login=False))
    for code in ("152223", "152223101", "152223102"):
        result = CliRunner().invoke(cli, ["check", "--unit", code, "--json", "--db", url])
        problems = json.loads(result.stdout)["problems"]
        opened = [p for p in problems if p["status"] in ("new", "confirmed")]
        with app.server.test_request_context("/"):
            page = unit_page.unit_layout(code, MONTH)
        panel = by_id(page, "unit-problems")
        assert props(by_id(panel, "unit-problems-total"))["data-open"] == str(len(opened)), code
        shown = {props(c)["data-rule"]: int(props(c)["data-count"]) for c in walk(panel) if "data-rule" in props(c)}
        want: dict[str, int] = {}
        for p in opened:
            want[p["rule"]] = want.get(p["rule"], 0) + 1
        assert shown == want, code
    assert sum(1 for p in problems if p["rule"] == "no_cause") <= 1
