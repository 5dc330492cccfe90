"""Loading household snapshots: the habits of real exports, errors, all-or-nothing, upserts."""

from __future__ import annotations

import csv
import datetime as dt

import pytest
import xlsxwriter

from etl.errors import LoadError
from etl.households import load_households, reject_path
from tests.factories import (
    county_file,
    household_row,
    id_number,
    load_tiny_grids,
    monitored,
    write_csv,
)


@pytest.fixture
def grids(store):
    return list(load_tiny_grids(store)["grid_code"])


def _bad_file(tmp_path, grids):
    rows = county_file(20, 60, 10, 30, grids, others=10)
    rows[2]["证件号码"] = rows[2]["证件号码"][:17] + ("0" if rows[2]["证件号码"][17] != "0" else "1")
    rows[5]["网格编码"] = "152223101009999"
    rows[9]["家庭人口数"] = "0"
    rows[14]["家庭人均纯收入"] = "-300"
    return write_csv(tmp_path / "bad.csv", rows, title_rows=1), rows


def test_bad_file_lists_all_errors_and_writes_nothing(store, grids, tmp_path):
    path, rows = _bad_file(tmp_path, grids)
    before = store.dump()
    with pytest.raises(LoadError) as info:
        load_households(store, path, month="2024-10")
    issues = info.value.issues
    # one title row, the header on Excel row 2, data from row 3
    found = {(i.row, i.field, i.value) for i in issues}
    assert found == {
        (5, "id_number", rows[2]["证件号码"]),
        (8, "grid_code", "152223101009999"),
        (12, "persons", "0"),
        (17, "income_per_capita", "-300"),
    }
    by_field = {i.field: i for i in issues}
    assert "校验位" in by_field["id_number"].reason and "check digit" in by_field["id_number"].reason
    assert by_field["persons"].column == "家庭人口数"
    assert all(i.file == str(path) for i in issues)
    assert "bad.csv" in str(info.value) and "第 12 行" in str(info.value)
    assert store.dump() == before


def test_skip_invalid_loads_the_rest_and_rejects_exactly_those_rows(store, grids, tmp_path):
    path, rows = _bad_file(tmp_path, grids)
    report = load_households(store, path, month="2024-10", skip_invalid=True)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (30, 26, 4)
    with reject_path(path).open(encoding="utf-8-sig") as f:
        rejected = list(csv.DictReader(f))
    assert [r["行号 (row)"] for r in rejected] == ["5", "8", "12", "17"]
    for r, original in zip(rejected, (rows[2], rows[5], rows[9], rows[14]), strict=True):
        assert {k: r[k] for k in original} == original  # the row unchanged
        assert r["错误原因 (reasons)"]
    assert store.stats()["households"] == 26


def test_skip_invalid_on_an_excel_file_writes_an_excel_reject_file(store, grids, tmp_path):
    import openpyxl

    _, rows = _bad_file(tmp_path, grids)
    path = tmp_path / "bad.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("农户")
    sheet.write(0, 0, "监测对象明细表")  # a title row above the header
    sheet.write_row(1, 0, list(rows[0]))
    for i, row in enumerate(rows, start=2):
        sheet.write_row(i, 0, list(row.values()))
    book.close()
    report = load_households(store, path, month="2024-10", skip_invalid=True)
    assert (report.rows_loaded, report.rows_rejected) == (26, 4)
    assert report.reject_file == str(tmp_path / "bad.rejects.xlsx")
    sheet = openpyxl.load_workbook(report.reject_file, read_only=True).active
    assert sheet.title == "农户"
    header, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header[0] == "行号 (row)" and header[-1] == "错误原因 (reasons)"
    assert [r[0] for r in body] == [5, 8, 12, 17]  # the row numbers Excel shows for them
    for r, original in zip(body, (rows[2], rows[5], rows[9], rows[14]), strict=True):
        cells = dict(zip(header, r, strict=True))
        assert {k: cells[k] or "" for k in original} == original  # the row unchanged
    assert "证件号码" in body[0][-1] and "家庭人均纯收入" in body[3][-1]


def test_xlsx_with_title_rows_serial_dates_and_text_numbers(store, grids, tmp_path):
    path = tmp_path / "export.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("监测对象")
    sheet.write(0, 0, "扎赉特旗防止返贫监测对象明细表")
    sheet.write(1, 0, "导出时间: 2024年10月31日")
    headers = [" 户编号 ", "户主姓名", "户主证件号码", "网格编码", "家庭人口数", "监测对象类别", "风险等级",
               "致贫返贫风险1", "致贫返贫风险2", "家庭人均纯收入", "识别监测时间", "风险是否已消除", "消除监测时间", "统计月份"]
    for j, h in enumerate(headers):
        sheet.write(2, j, h)
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    serial = (dt.date(2024, 3, 5) - dt.date(1899, 12, 30)).days  # 45356
    data = [
        # household id as number, persons as text with full-width digit, an Excel date cell
        ["H0000001", "王*", id_number(1), grids[0], "３", "边缘易致贫户", "红", "因病", "因学", "6,800", dt.date(2024, 3, 5), "否", "", "202410"],
        # a bare serial day number, YYYYMM dates, trailing spaces
        ["H0000002 ", "李四", id_number(2), grids[1], 4, "脱贫不稳定户", "低", "因灾", "", 7200.5, serial, "是", "202409", 202410],
        ["H0000003", "赵五", "", grids[2], "2", "", "", "", "", "15000", "", "否", "", "2024-10"],
    ]
    for i, row in enumerate(data, start=3):
        for j, v in enumerate(row):
            if isinstance(v, dt.date):
                sheet.write_datetime(i, j, dt.datetime.combine(v, dt.time()), date_fmt)
            else:
                sheet.write(i, j, v)
    sheet.write(7, 0, "")  # empty trailing rows
    book.close()

    report = load_households(store, path)
    assert report.rows_loaded == 3 and report.month == "2024-10"
    h1 = store.household("2024-10", "H0000001")
    h2 = store.household("2024-10", "H0000002")
    assert h1["persons"] == 3 and h1["income_per_capita"] == 6800
    assert h1["identified_on"] == dt.date(2024, 3, 5) and h1["risk_causes"] == "因病、因学"
    assert h2["identified_on"] == dt.date(2024, 3, 5)
    assert h2["eliminated_on"] == dt.date(2024, 9, 1) and h2["eliminated"] is True
    assert h2["risk_level"] == "blue" and h2["category"] == "unstable"
    s = store.stats()
    assert s["monitored"] == {"households": 2, "persons": 7}
    assert s["eliminated"] == {"households": 1, "persons": 4}


def test_gbk_csv_and_blank_level_computed_by_rule(store, grids, tmp_path):
    rows = [
        monitored(1, grids[0], 3, False, category="突发严重困难户", level=""),
        monitored(2, grids[0], 3, False, level=""),
        household_row(3, grids[1], 2),
    ]
    rows[1]["家庭人均纯收入"] = "20000"
    rows[1]["风险类型"] = "因残"
    path = write_csv(tmp_path / "gbk.csv", rows, title_rows=2, encoding="gbk")
    load_households(store, path, month="2024-10")
    assert store.household("2024-10", "H0000001")["risk_level"] == "red"
    assert store.household("2024-10", "H0000001")["risk_level_computed"] is True
    assert store.household("2024-10", "H0000002")["risk_level"] == "blue"
    assert store.household("2024-10", "H0000001")["head_name"].startswith("张")


def test_same_file_twice_changes_nothing_and_months_are_kept(store, grids, tmp_path):
    rows = county_file(40, 120, 10, 30, grids, others=20)
    path = write_csv(tmp_path / "m1.csv", rows)
    load_households(store, path, month="2024-09")
    first = store.dump()
    report = load_households(store, path, month="2024-09")
    assert report.unchanged
    assert store.dump() == first
    sept = store.stats(month="2024-09")

    # October: ten more eliminated, and a second file (another township's export) adds households
    for row in rows[10:20]:
        row.update({"风险是否已消除": "是", "风险消除方式": "帮扶消除", "消除监测时间": "2024-10-08"})
    load_households(store, write_csv(tmp_path / "m2.csv", rows), month="2024-10")
    extra = [household_row(900 + i, grids[0], 2) for i in range(5)]
    load_households(store, write_csv(tmp_path / "m2b.csv", extra), month="2024-10")
    assert store.months() == ["2024-09", "2024-10"]
    assert store.stats(month="2024-09") == sept
    octo = store.stats()
    assert octo["month"] == "2024-10"
    assert octo["eliminated"]["households"] == sept["eliminated"]["households"] + 10
    assert octo["new_this_month"]["eliminated"]["households"] == 10
    assert octo["households"] == sept["households"] + 5
    # a corrected file updates the rows it names
    fix = [dict(rows[0], **{"家庭人口数": "9"})]
    load_households(store, write_csv(tmp_path / "fix.csv", fix), month="2024-10")
    assert store.household("2024-10", rows[0]["户编号"])["persons"] == 9
    assert store.stats()["persons"] == octo["persons"] - int(rows[0]["家庭人口数"]) + 9


def test_missing_month_and_missing_columns_are_clear_errors(store, grids, tmp_path):
    path = write_csv(tmp_path / "nomonth.csv", [household_row(1, grids[0], 2)])
    with pytest.raises(LoadError, match="统计月份"):
        load_households(store, path)
    path = tmp_path / "nocols.csv"
    path.write_text("户编号,户主姓名\nH1,张三\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load_households(store, path, month="2024-10")
    assert {i.field for i in info.value.issues} == {"grid_code", "persons"}


def test_old_15_digit_id_is_accepted_and_flagged(store, grids, tmp_path):
    row = household_row(1, grids[0], 2, **{"证件号码": "152223700101001"})
    report = load_households(store, write_csv(tmp_path / "old.csv", [row]), month="2024-10")
    assert report.rows_loaded == 1
    assert [w.field for w in report.warnings] == ["id_number"]
    assert store.household("2024-10", "H0000001")["id_flag"] == "old15"


@pytest.mark.postgis
def test_postgis_keeps_each_month_in_a_partition_and_agrees_with_sqlite(make_store, tmp_path):
    """PostgreSQL: every month is a partition of households (new months built then attached, a
    file adding a month to a known one creates it); the figures are those SQLite gives."""
    import sqlalchemy as sa

    stats: dict[str, list[dict]] = {}
    for backend in ("sqlite", "postgis"):
        store = make_store(backend)
        grids = list(load_tiny_grids(store)["grid_code"])
        sept = county_file(20, 60, 10, 30, grids, others=10)
        load_households(store, write_csv(tmp_path / f"{backend}9.csv", sept), month="2024-09")
        # one file, two months: September corrected (an update), October for the first time
        mixed = [dict(r, 统计月份="2024-09") for r in sept[:5]]
        mixed[0]["家庭人口数"] = "9"
        mixed += [dict(r, 统计月份="2024-10") for r in county_file(20, 60, 12, 36, grids, others=10)]
        load_households(store, write_csv(tmp_path / f"{backend}mixed.csv", mixed))
        load_households(store, write_csv(tmp_path / f"{backend}11.csv", sept), month="2024-11")
        assert store.household("2024-09", sept[0]["户编号"])["persons"] == 9
        stats[backend] = [store.stats(month=m) for m in ("2024-09", "2024-10", "2024-11")]
        if backend == "postgis":
            with store.engine.connect() as conn:
                parts = conn.execute(
                    sa.text(
                        "SELECT c.relname, (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) "
                        "FROM pg_inherits h JOIN pg_class c ON c.oid = h.inhrelid "
                        "WHERE h.inhparent = 'households'::regclass ORDER BY 1"
                    )
                ).all()
            # the key, the (month, grid) index, the identified records by county and by
            # household (0012, 时效), and the (month, county) and (month, site) indexes made
            # for each new month (month_writer.index_counties)
            assert [tuple(p) for p in parts] == [
                ("households_2024_09", 6),
                ("households_2024_10", 6),
                ("households_2024_11", 6),
            ]
            # a month's first load analyses its partition (the load's own queries are
            # planned on statistics)
            with store.engine.connect() as conn:
                analysed = conn.execute(
                    sa.text(
                        "SELECT DISTINCT tablename FROM pg_stats WHERE tablename LIKE "
                        "'households_2024_%' ORDER BY 1"
                    )
                ).scalars().all()
            assert {"households_2024_09", "households_2024_11"} <= set(analysed)
    assert stats["postgis"] == stats["sqlite"]


def test_two_offices_loading_one_new_month_at_once_get_both_files(store, make_store, tmp_path):
    """Two townships' exports of the same, new month, loaded at the same moment: loads take turns
    (both backends), so the month's figures are those of both files, as if loaded one by one."""
    import threading

    grids = list(load_tiny_grids(store)["grid_code"])
    rows = county_file(40, 120, 20, 60, grids, others=20)
    first = write_csv(tmp_path / "a.csv", rows[::2])
    second = write_csv(tmp_path / "b.csv", rows[1::2])
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def load(path):
        start.wait()
        try:
            load_households(store, path, month="2024-10")
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=load, args=(p,)) for p in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not failures, failures
    together = make_store("sqlite")
    load_tiny_grids(together)
    load_households(together, write_csv(tmp_path / "all.csv", rows), month="2024-10")
    assert store.stats() == together.stats()
    assert store.stats()["monitored"] == {"households": 40, "persons": 120}
