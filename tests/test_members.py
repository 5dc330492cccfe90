"""The national system's member-level export (issue 11, part 1): one row per family member.

A 监测对象信息 sheet as the national system exports it (two title rows, place names and no grid
code, the household's fields repeated on every member row, members of some households away from
their household's other rows) plus the county's grid assignment loads; the figures of the county
and of every township equal those counted here from the member rows; households left out of the
assignment are counted, not dropped. A bad export is refused with every problem named and the
database unchanged.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter

from etl.assignments import load_assignments
from etl.errors import LoadError
from etl.households import load_households
from etl.validate import id_check_digit
from geodata import Store
from tests.factories import COUNTY, county_file, tiny_grids, write_csv

MONTH = "2024-10"
TOWNSHIPS = {"152223101": "好力保镇", "152223102": "巴彦高勒镇"}
RELATIONS = ["配偶", "之子", "之女", "之儿媳", "之孙子", "之孙女", "之父", "之母"]
SKILLS = ["普通劳动力", "技能劳动力", "弱劳动力或半劳动力", "丧失劳动力", "无劳动力"]
LEFT_OUT = 9  # every 9th household is missing from the assignment
CATEGORY = {"脱贫不稳定户": "unstable", "边缘易致贫户": "marginal", "突发严重困难户": "sudden"}


def two_township_grids():
    """The tiny layer with its second village moved into a second township."""
    grids = tiny_grids()
    second = grids["village_code"] == "152223101002"
    for col in ("grid_code", "village_code"):
        grids.loc[second, col] = grids.loc[second, col].str.replace(
            "152223101002", "152223102001", n=1
        )
    grids.loc[second, "township_code"] = "152223102"
    grids.loc[second, "township_name"] = "巴彦高勒镇"
    return grids


def member_id(seq: int, birth: str, male: bool) -> str:
    order = (seq % 500) * 2 + (1 if male else 0)
    body = f"{COUNTY}{birth}{order:03d}"
    return body + id_check_digit(body)


def members_of(households: list[dict[str, str]], grids) -> list[dict[str, str]]:
    """Each household of ``households`` (one row per household, as tests.factories makes them)
    as the national export's member rows: the head first, the household's fields on each row,
    the place by name, no grid code."""
    village_name = dict(zip(grids["grid_code"], grids["village_name"], strict=True))
    township_name = dict(zip(grids["grid_code"], grids["township_name"], strict=True))
    rows = []
    seq = 0
    for h in households:
        grid = h["网格编码"]
        shared = {
            "县(市、区、旗)": "扎赉特旗",
            "乡(镇)": township_name[grid],
            "行政村": village_name[grid],
            "户编号": h["户编号"],
            "户类型": h["户类型"],
            "监测对象类别": h["监测对象类别"],
            "风险等级": h["风险等级"],
            "风险类型": h["风险类型"],
            "人均纯收入（元）": h["家庭人均纯收入"],
            "识别监测时间": h["识别监测时间"],
            "识别途径": h["识别途径"],
            "风险是否已消除": h["风险是否已消除"],
            "风险消除方式": h["风险消除方式"],
            "消除监测时间": h["消除监测时间"],
            "帮扶措施": h["帮扶措施"],
            "是否易地搬迁户": h["是否易地搬迁户"],
            "安置点编码": h["安置点编码"],
        }
        for k in range(int(h["家庭人口数"])):
            seq += 1
            head = k == 0
            male = head or k % 2 == 1
            birth = "19700101" if head else f"{1972 + k * 3}0{1 + k % 9}15"
            rows.append(
                {
                    **shared,
                    "人编号": f"{h['户编号']}{k + 1:02d}",
                    "姓名": h["户主姓名"] if head else f"成员{seq}",
                    "证件号码": member_id(seq, birth, male),
                    "与户主关系": "户主" if head else RELATIONS[k % len(RELATIONS)],
                    "劳动技能": SKILLS[seq % len(SKILLS)],
                    "健康状况": "健康" if seq % 4 else "长期慢性病",
                    "在校生状况": "",
                    "是否务工": "是" if SKILLS[seq % len(SKILLS)] in SKILLS[:2] and seq % 3 else "否",
                    "_grid": grid,
                }
            )
    # members of every 5th household away from the rest of their household (sorted by ID, as
    # an export sorted by another column puts them)
    far = [r for r in rows if not r["与户主关系"] == "户主" and int(r["户编号"][1:]) % 5 == 0]
    near = [r for r in rows if r not in far]
    return near + far


def write_xlsx(path: Path, rows: list[dict[str, str]]) -> Path:
    headers = [h for h in rows[0] if not h.startswith("_")]
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("监测对象信息")
    sheet.write_row(0, 0, ["（自定义）监测对象信息"])
    sheet.write_row(1, 0, ["导出时间：2024-10-31 导出单位：扎赉特旗乡村振兴局"])
    sheet.write_row(2, 0, headers)
    for i, r in enumerate(rows, start=3):
        for j, h in enumerate(headers):
            sheet.write_string(i, j, r[h])
    book.close()
    return path


def write_assignments(path: Path, rows: list[dict[str, str]]) -> tuple[Path, set[str]]:
    grid_of = {r["户编号"]: r["_grid"] for r in rows}
    kept = {h: g for i, (h, g) in enumerate(sorted(grid_of.items())) if i % LEFT_OUT != 4}
    write_csv(path, [{"户编号": h, "网格编码": g} for h, g in kept.items()])
    return path, set(kept)


def counted(rows: list[dict[str, str]], assigned: set[str]) -> dict[str, dict[str, Any]]:
    """Figures per unit counted from the member rows here, apart from riskgrid's code."""
    by_household: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows:
        by_household[r["户编号"]].append(r)
    acc: dict[str, dict[str, Any]] = defaultdict(
        lambda: defaultdict(int, cat=defaultdict(lambda: [0, 0]))
    )
    for hid, members in by_household.items():
        first = members[0]
        grid = first["_grid"]
        units = [COUNTY, grid[:9], grid[:12]] + ([grid] if hid in assigned else [])
        persons = len(members)
        for code in units:
            a = acc[code]
            a["households"] += 1
            a["persons"] += persons
            if hid not in assigned:
                a["unassigned"] += 1
            if first["监测对象类别"]:
                a["monitored_h"] += 1
                a["monitored_p"] += persons
                a["cat"][CATEGORY[first["监测对象类别"]]][0] += 1
                a["cat"][CATEGORY[first["监测对象类别"]]][1] += persons
                if first["风险是否已消除"] == "是":
                    a["eliminated_h"] += 1
                    a["eliminated_p"] += persons
    return acc


@pytest.fixture
def county(store: Store, tmp_path: Path):
    grids = two_township_grids()
    with store.write() as conn:
        store.upsert_grids(conn, grids)
    households = county_file(24, 80, 9, 30, list(grids["grid_code"]), others=30)
    rows = members_of(households, grids)
    return grids, rows


def test_member_export_loads_and_figures_equal_the_members(
    store: Store, tmp_path: Path, county
) -> None:
    grids, rows = county
    assignments, assigned = write_assignments(tmp_path / "网格户对应表.csv", rows)
    load_assignments(store, assignments)
    report = load_households(store, write_xlsx(tmp_path / "监测对象信息.xlsx", rows), month=MONTH)
    households = len({r["户编号"] for r in rows})
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (len(rows), len(rows), 0)
    assert (report.households, report.members) == (households, len(rows))
    want = counted(rows, assigned)
    assert want[COUNTY]["unassigned"] > 0
    for code in [COUNTY, *TOWNSHIPS]:
        s = store.stats(code, MONTH)
        w = want[code]
        assert (s["households"], s["persons"]) == (w["households"], w["persons"]), code
        assert s["monitored"] == {"households": w["monitored_h"], "persons": w["monitored_p"]}, code
        assert s["eliminated"] == {"households": w["eliminated_h"], "persons": w["eliminated_p"]}, (
            code
        )
        assert s["clearance_rate"]["persons"] == pytest.approx(w["eliminated_p"] / w["monitored_p"])
        assert s["clearance_rate"]["households"] == pytest.approx(
            w["eliminated_h"] / w["monitored_h"]
        )
        assert s["unassigned"]["households"] == w["unassigned"], code
        for cat, (h, p) in w["cat"].items():
            assert s["by_category"][cat] == {"households": h, "persons": p}, (code, cat)
    assert store.member_count(MONTH) == len(rows)
    # a household's members: the head first, sex and birth date from the ID number
    hid = rows[0]["户编号"]
    members = store.members_frame(MONTH, hid)
    mine = [r for r in rows if r["户编号"] == hid]
    assert list(members["name"])[0] == mine[0]["姓名"]
    assert list(members["relation"]) == [r["与户主关系"] for r in mine]
    assert members["is_head"].tolist() == [True] + [False] * (len(mine) - 1)
    assert str(members["birth_date"].iloc[0])[:10] == "1970-01-01"
    assert members["sex"].iloc[0] == "男"
    head = store.household(MONTH, hid)
    assert head["head_name"] == mine[0]["姓名"] and head["id_number"] == mine[0]["证件号码"]
    assert head["persons"] == len(mine)
    working = sum(r["劳动技能"] in SKILLS[:3] for r in mine)
    assert head["labor_count"] == working
    assert head["employed_count"] == sum(r["是否务工"] == "是" for r in mine)
    assert sum(r["是否务工"] == "是" for r in rows) > 0


def test_bad_member_export_is_refused_naming_each_problem(
    store: Store, tmp_path: Path, county
) -> None:
    grids, rows = county
    load_assignments(store, write_assignments(tmp_path / "a.csv", rows)[0])
    before = store.dump()
    db_file = Path(store.engine.url.database) if store.dialect == "sqlite" else None
    if db_file:
        store.dispose()  # the last connection checkpoints the write-ahead log into the file
    file_before = db_file.read_bytes() if db_file else None
    rows = [dict(r) for r in rows]
    bad_id = rows[3]
    bad_id["证件号码"] = bad_id["证件号码"][:-1] + ("0" if bad_id["证件号码"][-1] != "0" else "1")
    # a member row of a household that disagrees on its category
    by_hid: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(rows):
        by_hid[r["户编号"]].append(i)
    several = [ix for ix in by_hid.values() if len(ix) >= 3]
    disagree = several[1][2]
    rows[disagree]["监测对象类别"] = (
        "突发严重困难户" if rows[disagree]["监测对象类别"] != "突发严重困难户" else "边缘易致贫户"
    )
    unknown = several[2][0]
    for i in several[2]:
        rows[i]["行政村"] = "不存在村"
    no_head_hid = rows[several[3][0]]["户编号"]
    for i in several[3]:
        rows[i]["与户主关系"] = "之子"
    path = write_xlsx(tmp_path / "bad.xlsx", rows)
    with pytest.raises(LoadError) as info:
        load_households(store, path, month=MONTH)
    issues = info.value.issues
    excel = {i: i + 4 for i in range(len(rows))}  # title rows 1-2, header on row 3

    def found(row: int, column: str, text: str) -> bool:
        return any(x.row == row and x.column == column and text in x.reason for x in issues)

    assert found(excel[3], "证件号码", "校验位"), issues
    assert found(excel[disagree], "监测对象类别", "不一致"), issues
    assert found(excel[unknown], "行政村", "不存在村") or any(
        x.row == excel[unknown] and x.column == "行政村" for x in issues
    ), issues
    assert any(no_head_hid in x.reason and "没有户主" in x.reason for x in issues), issues
    assert store.dump() == before
    assert store.member_count() == 0
    if db_file:  # SQLite: the database file itself, byte for byte
        store.dispose()
        assert db_file.read_bytes() == file_before


def test_persons_column_that_disagrees_is_a_warning_and_members_count(
    store: Store, tmp_path: Path, county
) -> None:
    grids, rows = county
    load_assignments(store, write_assignments(tmp_path / "a.csv", rows)[0])
    hid = rows[0]["户编号"]
    rows = [
        {
            **r,
            "家庭人口数": "9"
            if r["户编号"] == hid
            else str(sum(x["户编号"] == r["户编号"] for x in rows)),
        }
        for r in rows
    ]
    report = load_households(store, write_xlsx(tmp_path / "m.xlsx", rows), month=MONTH)
    named = [w for w in report.warnings if w.field == "persons"]
    assert len(named) == 1 and hid in named[0].reason
    assert store.household(MONTH, hid)["persons"] == sum(r["户编号"] == hid for r in rows)


def test_duplicate_numbers_and_two_heads_are_errors(store: Store, tmp_path: Path, county) -> None:
    grids, rows = county
    rows = [dict(r) for r in rows[:40]]
    rows[5]["人编号"] = rows[4]["人编号"]
    rows[8]["证件号码"] = rows[7]["证件号码"]
    heads = [i for i, r in enumerate(rows) if r["与户主关系"] == "户主"]
    second = next(
        i for i in range(heads[2] + 1, len(rows)) if rows[i]["户编号"] == rows[heads[2]]["户编号"]
    )
    rows[second]["与户主关系"] = "户主"
    with pytest.raises(LoadError) as info:
        load_households(store, write_csv(tmp_path / "d.csv", rows, title_rows=2), month=MONTH)
    reasons = {(x.row, x.column): x.reason for x in info.value.issues}
    assert "人编号重复" in reasons[(5 + 4, "人编号")]
    assert "证件号码重复" in reasons[(8 + 4, "证件号码")]
    assert "不止一个户主" in reasons[(second + 4, "与户主关系")]


def test_reload_replaces_members_and_skip_invalid_rejects_whole_households(
    store: Store, tmp_path: Path, county
) -> None:
    grids, rows = county
    load_assignments(store, write_assignments(tmp_path / "a.csv", rows)[0])
    load_households(store, write_csv(tmp_path / "m.csv", rows, title_rows=2), month=MONTH)
    assert store.member_count(MONTH) == len(rows)
    # the next export: the last member of the first household has left it
    hid = rows[0]["户编号"]
    last = max(i for i, r in enumerate(rows) if r["户编号"] == hid)
    fewer = rows[:last] + rows[last + 1 :]
    load_households(store, write_csv(tmp_path / "m2.csv", fewer, title_rows=2), month=MONTH)
    assert store.member_count(MONTH) == len(fewer)
    assert store.household(MONTH, hid)["persons"] == sum(r["户编号"] == hid for r in fewer)
    # one bad member row: its whole household goes to the rejects file, the others load
    broken = [dict(r) for r in fewer]
    broken[last]["证件号码"] = "123"
    bad_hid = broken[last]["户编号"]
    report = load_households(
        store, write_csv(tmp_path / "m3.csv", broken, title_rows=2), month=MONTH, skip_invalid=True
    )
    size = sum(r["户编号"] == bad_hid for r in broken)
    assert (
        report.rows_rejected == size and report.households == len({r["户编号"] for r in broken}) - 1
    )
    rejects = Path(report.reject_file).read_text(encoding="utf-8-sig")
    assert rejects.count(bad_hid) >= size


def test_member_rows_without_relation_column_are_told_what_is_missing(
    store: Store, tmp_path: Path, county
) -> None:
    grids, rows = county
    plain = [{k: v for k, v in r.items() if k not in ("与户主关系", "人编号")} for r in rows]
    with pytest.raises(LoadError) as info:
        load_households(store, write_csv(tmp_path / "n.csv", plain), month=MONTH)
    assert any(x.column == "与户主关系" for x in info.value.issues), info.value.issues


def test_household_page_lists_the_members_masked_and_the_grid_counts_them(tmp_path: Path) -> None:
    from dashboard import create_app
    from dashboard.pages import grid as grid_page
    from dashboard.pages import household as household_page
    from geodata.model import mask_id_number, mask_name
    from riskgrid.settings import Settings
    from tests.test_dashboard_support import by_id, cards, texts

    db = f"sqlite:///{tmp_path / 'm.db'}"
    store = Store(db)
    store.migrate()
    grids = two_township_grids()
    with store.write() as conn:
        store.upsert_grids(conn, grids)
    rows = members_of(county_file(24, 80, 9, 30, list(grids["grid_code"]), others=30), grids)
    load_assignments(store, write_assignments(tmp_path / "a.csv", rows)[0])
    load_households(store, write_xlsx(tmp_path / "m.xlsx", rows), month=MONTH)
    hid = next(r["户编号"] for r in rows if sum(x["户编号"] == r["户编号"] for x in rows) >= 3)
    mine = [r for r in rows if r["户编号"] == hid]
    app = create_app(Settings(db=db, login=False))
    with app.server.test_request_context("/"):
        page = household_page.household_layout(hid, MONTH)
        panel = by_id(page, "household-members")
        shown = texts(panel)
        assert f"家庭成员（{len(mine)} 人）" in shown
        for r in mine:
            assert r["姓名"] not in shown and r["证件号码"] not in shown
            assert mask_name(r["姓名"]) in shown and mask_id_number(r["证件号码"]) in shown
            assert r["与户主关系"] in shown
        assert "54岁" in shown  # the head, born 1970-01-01, at the end of 2024-10
        assert "nan" not in shown and "None" not in shown and "—" in shown  # blank 在校生状况
        full = texts(
            by_id(household_page.household_layout(hid, MONTH, full=True), "household-members")
        )
        assert all(r["姓名"] in full for r in mine)
        # the grid page counts the persons from the member rows
        grid = mine[0]["_grid"]
        assigned = store.assignments()
        here = [r for r in rows if r["_grid"] == grid and r["户编号"] in assigned]
        assert store.stats(grid, MONTH)["persons"] == len(here)
        monitored = sum(1 for r in here if r["监测对象类别"])
        assert (
            cards(grid_page.grid_layout(grid, MONTH, "all"))["monitored_persons"]
            == f"{monitored:,} 人"
        )


DATA = Path(__file__).parent / "data"


def test_the_documented_example_files_load_with_the_cli(tmp_path: Path) -> None:
    """tests/data/grids_example.geojson, assignments_example.csv and national_members_example.csv
    load with the commands README gives."""
    from typer.testing import CliRunner

    from riskgrid.cli import app

    url = f"sqlite:///{tmp_path / 'x.db'}"
    runner = CliRunner()
    for args in (
        ["load", "grids", str(DATA / "grids_example.geojson")],
        ["load", "assignments", str(DATA / "assignments_example.csv")],
        ["load", "households", str(DATA / "national_members_example.csv"), "--month", "2024-10"],
    ):
        result = runner.invoke(app, [*args, "--db", url])
        assert result.exit_code == 0, result.output
    assert "13 名成员" in result.output and "5 户" in result.output
    store = Store(url)
    s = store.stats(COUNTY, "2024-10")
    assert (s["households"], s["persons"]) == (5, 13)
    assert s["monitored"] == {"households": 4, "persons": 10}
    assert s["eliminated"] == {"households": 2, "persons": 3}
    assert s["unassigned"] == {"households": 1, "persons": 3}
    assert s["by_category"]["sudden"] == {"households": 1, "persons": 2}
    head = store.household("2024-10", "1522231010010001")
    assert (head["head_name"], head["persons"], head["labor_count"]) == ("郑俊青", 4, 3)
    assert head["risk_causes"] == "因病"
    assert store.household("2024-10", "1522231010010002")["risk_causes"] == "因残、因学"
    assert store.household("2024-10", "1522231010010002")["income_per_capita"] == 5980
