"""Department warnings (部门预警数据): matched to households, errors in one pass, figures."""

from __future__ import annotations

import csv

import pytest

from etl.errors import LoadError
from etl.households import load_households, reject_path
from etl.signals import load_signals
from tests.factories import county_file, id_number, load_tiny_grids, write_csv

HEADERS = ["证件号码", "户编号", "来源部门", "预警类型", "金额", "发生日期"]


def _rows(*rows: tuple[str, ...]) -> list[dict[str, str]]:
    return [dict(zip(HEADERS, r, strict=True)) for r in rows]


@pytest.fixture
def loaded(store, tmp_path):
    """30 households in 2024-10: H0000001 … H0000020 monitored, H0000021 … H0000030 not."""
    grids = list(load_tiny_grids(store)["grid_code"])
    rows = county_file(20, 60, 10, 30, grids, others=10)
    load_households(store, write_csv(tmp_path / "h.csv", rows), month="2024-10")
    return store, {r["户编号"]: r["网格编码"] for r in rows}


GOOD = _rows(
    ("", "H0000021", "医保", "大额医疗支出", "36,500", "2024-10-08"),  # by household number, not monitored
    (id_number(22), "", "民政局", "收入骤减", "", "2024/10/15"),  # by ID number; 民政局 is 民政
    (id_number(22), "H0000022", "应急", "自然灾害", "8000", "20241020"),  # both, agreeing
    ("", "H0000003", "残联", "新增残疾", "", "2024-10-30"),  # a monitored household
    ("", "H0000021", "人社", "失业", "", "2024-09-12"),  # an earlier month: no snapshot there
)


def test_signals_are_matched_and_counted(loaded, tmp_path):
    store, grid_of = loaded
    path = write_csv(tmp_path / "warnings.csv", GOOD, title_rows=1)
    report = load_signals(store, path)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (5, 5, 0)
    assert [w.value for w in report.warnings] == ["2024-09"]  # said: not counted until loaded
    county = store.stats()["warnings"]
    assert county == {
        "signals": 4,
        "households": 3,
        "unmonitored_households": 2,
        "by_department": {"医保": 1, "应急": 1, "民政": 1, "残联": 1},
    }
    grid = grid_of["H0000021"]
    assert store.stats(grid)["warnings"]["signals"] == sum(
        1 for r in GOOD[:4] if grid_of[r["户编号"] or "H0000022"] == grid
    )
    stored = store.signals_frame(household_id="H0000022")
    assert list(stored["signal"]) == ["自然灾害", "收入骤减"]  # newest first
    assert "id_number" not in stored.columns  # the ID number only matched; it is not kept
    assert store.signals_frame(month="2024-10")["amount"].dropna().tolist() == [8000.0, 36500.0]


def test_same_file_twice_changes_nothing(loaded, tmp_path):
    store, _ = loaded
    path = write_csv(tmp_path / "warnings.csv", GOOD)
    load_signals(store, path)
    before = store.dump()
    again = load_signals(store, path)
    assert again.unchanged and store.dump() == before


def _bad_rows() -> list[dict[str, str]]:
    return _rows(
        ("", "H0000021", "医保", "大额医疗支出", "1200", "2024-10-01"),  # row 2: fine
        ("", "", "民政", "收入骤减", "", "2024-10-02"),  # row 3: neither identifier
        ("", "H9999999", "民政", "收入骤减", "", "2024-10-02"),  # row 4: no such household
        (id_number(22)[:17] + "0" if id_number(22)[17] != "0" else id_number(22)[:17] + "1", "", "民政", "收入骤减", "", "2024-10-02"),  # row 5
        (id_number(23), "H0000024", "民政", "收入骤减", "", "2024-10-02"),  # row 6: another household's head
        ("", "H0000025", "税务", "收入骤减", "", "2024-10-02"),  # row 7: unknown department
        ("", "H0000025", "民政", "收入骤减", "-5", "2024-10-02"),  # row 8: negative amount
        ("", "H0000025", "民政", "收入骤减", "", "去年"),  # row 9: not a date
        ("", "H0000021", "医保", "大额医疗支出", "1300", "2024-10-01"),  # row 10: repeats row 2
        ("", "H0000026", "教育", "教育支出", "3000", "2024-10-05"),  # row 11: fine
    )


def test_bad_file_lists_every_error_by_row_and_writes_nothing(loaded, tmp_path):
    store, _ = loaded
    path = write_csv(tmp_path / "bad.csv", _bad_rows())
    before = store.dump()
    with pytest.raises(LoadError) as caught:
        load_signals(store, path)
    found = [(i.row, i.field) for i in caught.value.issues]
    assert found == [
        (5, "id_number"),  # bad check digit
        (3, "household_id"),  # neither given
        (4, "household_id"),  # not in the snapshot
        (6, "id_number"),  # head of another household
        (7, "department"),
        (8, "amount"),
        (9, "occurred_on"),
        (10, "signal"),  # duplicate
    ]
    reasons = {i.row: i.reason for i in caught.value.issues}
    assert "校验位" in reasons[5] and "2024-10" in reasons[4] and "来源部门" in reasons[7]
    assert store.dump() == before


def test_skip_invalid_loads_the_rest_and_rejects_exactly_those_rows(loaded, tmp_path):
    store, _ = loaded
    rows = _bad_rows()
    path = write_csv(tmp_path / "bad.csv", rows)
    report = load_signals(store, path, skip_invalid=True)
    assert (report.rows_read, report.rows_loaded, report.rows_rejected) == (10, 2, 8)
    with reject_path(path).open(encoding="utf-8-sig") as f:
        rejected = list(csv.DictReader(f))
    assert [r["行号 (row)"] for r in rejected] == ["3", "4", "5", "6", "7", "8", "9", "10"]
    for r, original in zip(rejected, rows[1:9], strict=True):
        assert {k: r[k] for k in original} == original
    assert store.stats()["warnings"]["signals"] == 2


def test_a_file_without_an_identifier_column_or_before_households(store, tmp_path):
    load_tiny_grids(store)
    path = write_csv(tmp_path / "w.csv", _rows(("", "H0000021", "医保", "大额医疗支出", "", "2024-10-08")))
    with pytest.raises(LoadError, match="请先加载农户"):
        load_signals(store, path)
    no_ids = tmp_path / "no_ids.csv"
    no_ids.write_text("来源部门,预警类型,发生日期\n医保,大额医疗支出,2024-10-08\n", encoding="utf-8")
    with pytest.raises(LoadError, match="缺少证件号码或户编号列"):
        load_signals(store, no_ids)


def test_signals_of_a_month_count_once_its_snapshot_loads(loaded, tmp_path):
    store, _ = loaded
    load_signals(store, write_csv(tmp_path / "w.csv", GOOD))
    rows = county_file(20, 60, 12, 36, sorted(set(loaded[1].values())), others=10)
    load_households(store, write_csv(tmp_path / "h9.csv", rows), month="2024-09")
    assert store.stats(month="2024-09")["warnings"]["signals"] == 1  # 人社 失业 on H0000021
    assert store.stats(month="2024-10")["warnings"]["signals"] == 4  # unchanged


def test_partial_refresh_equals_a_full_recompute(loaded, tmp_path):
    """A warnings load patches only the warnings figures; they equal what a full recompute of
    the month from every household gives (one computation)."""
    store, _ = loaded
    load_signals(store, write_csv(tmp_path / "w.csv", GOOD))
    more = _rows(
        ("", "H0000021", "医保", "大额医疗支出", "9000", "2024-10-21"),
        ("", "H0000005", "教育", "教育支出", "", "2024-10-02"),
    )
    load_signals(store, write_csv(tmp_path / "w2.csv", more))
    patched = store.dump()["figures"]
    with store.write() as conn:
        store.refresh_figures(conn)
    assert store.dump()["figures"] == patched
    assert store.stats()["warnings"]["signals"] == 6
