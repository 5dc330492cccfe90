"""Places by name and grid assignment (issue 11, parts 2 and 3).

A household file with 县/乡/村 names and no 网格编码 loads; the county grid system's table of
户编号 -> 网格编码 gives the grids, before or after the households; households left out of it
count in their village, township and county (``unassigned``) and are never dropped; an unknown
village name is refused naming the row and the closest units, writing nothing.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import xlsxwriter
from typer.testing import CliRunner

from etl.assignments import load_assignments
from etl.errors import LoadError
from etl.households import load_households
from geodata import Store
from riskgrid.cli import app
from tests.factories import COUNTY, TOWNSHIP, county_file, load_tiny_grids, write_csv

MONTH = "2024-10"
# the names as a county's export writes them: suffix habits, full-width spaces, trailing spaces
VILLAGE_AS_WRITTEN = {"152223101001": "五家子", "152223101002": "塔本毛都村 "}
LEFT_OUT = 7  # every 7th household is missing from the assignment


@pytest.fixture
def grids(store) -> list[str]:
    return list(load_tiny_grids(store)["grid_code"])


def national_rows(grids: list[str]) -> list[dict[str, str]]:
    """Households with place names instead of a grid code (the grid kept aside in 网格)."""
    rows = []
    for row in county_file(30, 90, 12, 36, grids, others=40):
        grid = row.pop("网格编码")
        rows.append(
            {
                "县(市、区、旗)": "扎赉特旗",
                "乡(镇)": "好力保\u3000",
                "行政村": VILLAGE_AS_WRITTEN[grid[:12]],
                **row,
                "_grid": grid,
            }
        )
    return rows


def write_households(path: Path, rows: list[dict[str, str]]) -> Path:
    return write_csv(path, [{k: v for k, v in r.items() if k != "_grid"} for r in rows], title_rows=2)


def assignment_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        {"户编号": r["户编号"], "网格编码": r["_grid"]}
        for i, r in enumerate(rows)
        if i % LEFT_OUT != 3
    ]


def write_assignments_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("网格户对应表")
    sheet.write_row(0, 0, ["网格户对应表 (县网格化管理系统导出)"])
    sheet.write_row(1, 0, ["户编号", "网格编码"])
    for i, r in enumerate(rows, start=2):
        sheet.write_string(i, 0, r["户编号"])
        sheet.write_string(i, 1, r["网格编码"])
    book.close()
    return path


def expected(rows: list[dict[str, str]], assigned: set[str]) -> dict[str, dict[str, Any]]:
    """Figures per unit counted here, row by row, apart from geodata.figures."""
    acc: dict[str, dict[str, Any]] = defaultdict(
        lambda: defaultdict(int, by_category=defaultdict(lambda: [0, 0]))
    )
    category = {"脱贫不稳定户": "unstable", "边缘易致贫户": "marginal", "突发严重困难户": "sudden"}
    for r in rows:
        village = r["_grid"][:12]
        has_grid = r["户编号"] in assigned
        units = [COUNTY, TOWNSHIP, village] + ([r["_grid"]] if has_grid else [])
        persons = int(r["家庭人口数"])
        for code in units:
            a = acc[code]
            a["households"] += 1
            a["persons"] += persons
            if not has_grid:
                a["unassigned_h"] += 1
                a["unassigned_p"] += persons
            if r["监测对象类别"]:
                a["monitored_h"] += 1
                a["monitored_p"] += persons
                a["by_category"][category[r["监测对象类别"]]][0] += 1
                a["by_category"][category[r["监测对象类别"]]][1] += persons
                if r["风险是否已消除"] == "是":
                    a["eliminated_h"] += 1
                    a["eliminated_p"] += persons
    return acc


def assert_figures(store: Store, code: str, want: dict[str, Any]) -> None:
    s = store.stats(code, MONTH)
    assert s["households"] == want["households"], code
    assert s["persons"] == want["persons"], code
    assert s["monitored"] == {"households": want["monitored_h"], "persons": want["monitored_p"]}
    assert s["eliminated"] == {"households": want["eliminated_h"], "persons": want["eliminated_p"]}
    mh, mp = want["monitored_h"], want["monitored_p"]
    assert s["clearance_rate"]["households"] == pytest.approx(want["eliminated_h"] / mh if mh else None)
    assert s["clearance_rate"]["persons"] == pytest.approx(want["eliminated_p"] / mp if mp else None)
    for cat in ("unstable", "marginal", "sudden"):
        h, p = want["by_category"][cat]
        assert s["by_category"][cat] == {"households": h, "persons": p}, (code, cat)
    unassigned = {"households": want["unassigned_h"], "persons": want["unassigned_p"]}
    assert s["unassigned"] == unassigned, code


def assert_all(store: Store, rows: list[dict[str, str]], assigned: set[str], grids: list[str]) -> None:
    want = expected(rows, assigned)
    for code in (COUNTY, TOWNSHIP, *VILLAGE_AS_WRITTEN):
        assert_figures(store, code, want[code])
    for grid in grids:
        if grid in want:
            assert_figures(store, grid, want[grid])


def test_names_and_no_grid_code_plus_an_assignment_file_load(store, grids, tmp_path):
    rows = national_rows(grids)
    ag = assignment_rows(rows)
    report = load_assignments(store, write_assignments_xlsx(tmp_path / "a.xlsx", ag))
    assert (report.rows_loaded, report.errors) == (len(ag), [])
    report = load_households(store, write_households(tmp_path / "h.csv", rows), month=MONTH)
    assert report.rows_loaded == len(rows)  # none dropped
    assigned = {r["户编号"] for r in ag}
    assert len(assigned) < len(rows)
    assert_all(store, rows, assigned, grids)
    # households left out of the assignment: in their village, with no grid, none dropped
    left = [r for r in rows if r["户编号"] not in assigned]
    assert store.stats(COUNTY, MONTH)["unassigned"]["households"] == len(left)
    stored = store.households_frame(MONTH).set_index("household_id")
    assert len(stored) == len(rows)
    for r in left:
        assert pd.isna(stored.at[r["户编号"], "grid_code"])
        assert stored.at[r["户编号"], "village_code"] == r["_grid"][:12]
    for r in rows:
        if r["户编号"] in assigned:
            assert stored.at[r["户编号"], "grid_code"] == r["_grid"]


def test_assignments_after_households_recompute_the_figures(store, grids, tmp_path):
    rows = national_rows(grids)
    load_households(store, write_households(tmp_path / "h.csv", rows), month=MONTH)
    assert_all(store, rows, set(), grids)  # every household counted, none in a grid
    assert store.stats(COUNTY, MONTH)["unassigned"]["households"] == len(rows)
    assert all(store.stats(g, MONTH)["households"] == 0 for g in grids)
    ag = assignment_rows(rows)
    path = write_csv(tmp_path / "a.csv", ag)
    report = load_assignments(store, path)
    assert not report.unchanged
    assigned = {r["户编号"] for r in ag}
    assert_all(store, rows, assigned, grids)
    # the same file again changes nothing
    before = store.dump()
    again = load_assignments(store, path)
    assert again.unchanged
    assert store.dump() == before
    # a later month's file with no grid code takes the stored assignment
    load_households(store, write_households(tmp_path / "h11.csv", rows), month="2024-11")
    assert store.stats(COUNTY, "2024-11")["unassigned"] == store.stats(COUNTY, MONTH)["unassigned"]


def test_a_later_assignment_moves_only_what_it_changes(store, grids, tmp_path):
    rows = national_rows(grids)
    load_households(store, write_households(tmp_path / "h.csv", rows), month=MONTH)
    load_assignments(store, write_csv(tmp_path / "a.csv", assignment_rows(rows)))
    first = rows[0]
    same_village = next(g for g in grids if g[:12] == first["_grid"][:12] and g != first["_grid"])
    load_assignments(store, write_csv(tmp_path / "b.csv", [{"户编号": first["户编号"], "网格编码": same_village}]))
    assert store.household(MONTH, first["户编号"])["grid_code"] == same_village
    moved = [dict(r, _grid=same_village) if r is first else r for r in rows]
    assert_all(store, moved, {r["户编号"] for r in assignment_rows(rows)}, grids)


def test_unknown_village_name_is_refused_naming_the_row_and_closest_units(store, grids, tmp_path):
    rows = national_rows(grids)
    rows[4]["行政村"] = "五家村"
    rows[9]["乡(镇)"] = "好力"  # a township that is not loaded
    path = write_households(tmp_path / "bad.csv", rows)
    before = store.dump()
    with pytest.raises(LoadError) as info:
        load_households(store, path, month=MONTH)
    issues = {(i.row, i.field): i for i in info.value.issues}
    # two title rows, the header on row 3: rows[4] is Excel row 8
    assert set(issues) == {(8, "village_name"), (13, "township_name")}
    village = issues[(8, "village_name")]
    assert village.value == "五家村" and village.column == "行政村"
    assert "五家子村 (152223101001)" in village.reason and "village_name" in village.reason
    assert "好力保镇 (152223101)" in issues[(13, "township_name")].reason
    assert store.dump() == before


def test_village_codes_win_over_names_and_a_file_needs_some_place(store, grids, tmp_path):
    rows = national_rows(grids)
    coded = [{**{k: v for k, v in r.items() if k != "行政村"}, "村编码": r["_grid"][:12]} for r in rows]
    coded[0]["乡(镇)"] = "no such township"  # codes win: the names of a coded row are not read
    load_households(store, write_households(tmp_path / "h.csv", coded), month=MONTH)
    assert_all(store, rows, set(), grids)
    nowhere = tmp_path / "nowhere.csv"
    nowhere.write_text("户编号,户主姓名,家庭人口数\nH1,张三,2\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load_households(store, nowhere, month=MONTH)
    assert [i.field for i in info.value.issues] == ["grid_code"]


def test_bad_assignment_file_lists_every_problem_and_writes_nothing(store, grids, tmp_path):
    rows = [{"户编号": "H1", "网格编码": grids[0]}, {"户编号": "H2", "网格编码": "152223101009999"},
            {"户编号": "H1", "网格编码": grids[1]}, {"户编号": "", "网格编码": grids[1]}]
    path = write_csv(tmp_path / "a.csv", rows)
    before = store.dump()
    with pytest.raises(LoadError) as info:
        load_assignments(store, path)
    assert {(i.row, i.field) for i in info.value.issues} == {(3, "grid_code"), (4, "household_id"), (5, "household_id")}
    assert store.dump() == before


def test_the_one_row_format_with_grid_codes_ignores_stored_assignments(store, grids, tmp_path):
    rows = county_file(10, 30, 4, 12, grids, others=10)
    load_assignments(store, write_csv(tmp_path / "a.csv", [{"户编号": r["户编号"], "网格编码": grids[0]} for r in rows]))
    load_households(store, write_csv(tmp_path / "h.csv", rows), month=MONTH)
    stored = store.households_frame(MONTH).set_index("household_id")
    assert all(stored.at[r["户编号"], "grid_code"] == r["网格编码"] for r in rows)
    assert store.stats(COUNTY, MONTH)["unassigned"] == {"households": 0, "persons": 0}


def test_cli_loads_assignments_and_stats_shows_unassigned(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    store = Store(url)
    store.migrate()
    grids = list(load_tiny_grids(store)["grid_code"])
    rows = national_rows(grids)
    load_households(store, write_households(tmp_path / "h.csv", rows), month=MONTH)
    runner = CliRunner()
    path = write_csv(tmp_path / "a.csv", assignment_rows(rows))
    result = runner.invoke(app, ["load", "assignments", str(path), "--db", url])
    assert result.exit_code == 0, result.output
    assert f"加载 loaded {len(assignment_rows(rows)):,}" in result.output
    left = len(rows) - len(assignment_rows(rows))
    result = runner.invoke(app, ["stats", "--unit", TOWNSHIP, "--db", url])
    assert "未分配网格 unassigned" in result.output and f"{left:,} 户" in result.output
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([["户编号", "网格编码"], ["H1", "nope"]])
    result = runner.invoke(app, ["load", "assignments", str(bad), "--db", url])
    assert result.exit_code == 2 and "网格编码不存在" in result.output


def test_village_page_shows_unassigned_households(tmp_path):
    from dashboard import create_app
    from dashboard.pages import unit
    from riskgrid.settings import Settings
    from tests.test_dashboard_support import by_id, texts

    url = f"sqlite:///{tmp_path / 'v.db'}"
    store = Store(url)
    store.migrate()
    grids = list(load_tiny_grids(store)["grid_code"])
    rows = national_rows(grids)
    load_households(store, write_households(tmp_path / "h.csv", rows), month=MONTH)
    load_assignments(store, write_csv(tmp_path / "a.csv", assignment_rows(rows)))
    village = "152223101001"
    alone = store.stats(village, MONTH)["unassigned"]
    assert alone["households"] > 0
    dash_app = create_app(Settings(db=url, login=False))
    with dash_app.server.test_request_context("/"):
        page = unit.unit_layout(village, MONTH)
        note = by_id(page, "unit-unassigned")
        assert "未分配网格" in " ".join(texts(note))
        assert f"{alone['households']:,} 户" in " ".join(texts(note))
        # a township page shows no such line
        with pytest.raises(KeyError):
            by_id(unit.unit_layout(TOWNSHIP, MONTH), "unit-unassigned")


def test_warnings_count_on_a_household_with_no_grid(store, grids, tmp_path):
    from etl.signals import load_signals

    rows = national_rows(grids)
    load_households(store, write_households(tmp_path / "h.csv", rows), month=MONTH)
    hid, village = rows[0]["户编号"], rows[0]["_grid"][:12]
    signal = tmp_path / "w.csv"
    signal.write_text(f"户编号,来源部门,预警类型,发生日期\n{hid},医保,大额医疗支出,2024-10-08\n", encoding="utf-8")
    assert load_signals(store, signal).rows_loaded == 1
    for code in (COUNTY, TOWNSHIP, village):
        assert store.stats(code, MONTH)["warnings"]["signals"] == 1
    # then the assignment moves the warning to the household's grid too
    load_assignments(store, write_csv(tmp_path / "a.csv", [{"户编号": hid, "网格编码": rows[0]["_grid"]}]))
    assert store.stats(rows[0]["_grid"], MONTH)["warnings"]["signals"] == 1


def test_an_assigned_grid_in_another_village_is_a_warning_and_the_row_keeps_its_village(store, grids, tmp_path):
    rows = national_rows(grids)
    first = rows[0]
    elsewhere = next(g for g in grids if g[:12] != first["_grid"][:12])
    load_assignments(store, write_csv(tmp_path / "a.csv", [{"户编号": first["户编号"], "网格编码": elsewhere}]))
    report = load_households(store, write_households(tmp_path / "h.csv", rows), month=MONTH)
    assert [w.row for w in report.warnings if w.field == "village_name"] == [4]
    record = store.household(MONTH, first["户编号"])
    assert record["grid_code"] is None and record["village_code"] == first["_grid"][:12]
    assert_all(store, rows, set(), grids)


def test_a_name_of_several_units_is_ambiguous_unless_its_parent_tells():
    from etl.place_names import PlaceIndex

    units = pd.DataFrame(
        [
            ("152223", "county", "扎赉特旗", None, None, None),
            ("152223101", "township", "好力保镇", "152223", "152223", None),
            ("152223102", "township", "音德尔镇", "152223", "152223", None),
            ("152223101001", "village", "新村", "152223101", "152223", "152223101"),
            ("152223102001", "village", "新嘎查", "152223102", "152223", "152223102"),
        ],
        columns=["code", "level", "name", "parent_code", "county_code", "township_code"],
    )
    index = PlaceIndex(units)
    several = index.find("village", "新", None)
    assert several.code is None and "新村 (152223101001)" in several.reason
    assert "新嘎查 (152223102001)" in several.reason and "several" in several.reason
    assert index.find("village", "新村", None).code == "152223101001"  # the exact name first
    assert index.find("village", "新", ("township", "152223102")).code == "152223102001"
    assert index.find("township", "音德尔", ("county", "152223")).code == "152223102"
    assert index.find("county", "扎赉特", None).code == "152223"


def test_same_village_names_in_two_counties_are_told_apart_by_the_county(store, tmp_path):
    """Two counties each with a 好力保镇 and a 五家子村: the county name decides; a row without
    a county name that fits both is an error naming both."""
    from tests.factories import other_county_grids, tiny_grids

    twin = other_county_grids()
    twin["township_name"] = "好力保镇"
    twin["village_name"] = twin["village_name"].map({"索伦村": "五家子村", "归流河嘎查": "塔本毛都嘎查"})
    with store.write() as conn:
        store.upsert_grids(conn, pd.concat([tiny_grids(), twin], ignore_index=True))
    rows = national_rows(list(tiny_grids()["grid_code"]))[:6]
    for i, r in enumerate(rows):
        r["户编号"] = f"T{i:03d}"
        if i % 2:
            r["县(市、区、旗)"] = "扎兰屯市"
    path = write_households(tmp_path / "twins.csv", rows)
    load_households(store, path, month=MONTH)
    for i, r in enumerate(rows):
        county = "150783" if i % 2 else COUNTY
        assert store.household(MONTH, r["户编号"])["county_code"] == county
        assert store.household(MONTH, r["户编号"])["village_code"][6:] == r["_grid"][6:12]
    nameless = [{**r, "县(市、区、旗)": ""} for r in rows[:1]]
    with pytest.raises(LoadError) as info:
        load_households(store, write_households(tmp_path / "nameless.csv", nameless), month=MONTH)
    reasons = " ".join(i.reason for i in info.value.issues)
    assert COUNTY in reasons and "150783" in reasons, reasons
