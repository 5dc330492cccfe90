"""Bounded input (issue 14): file size, rows and cell length have limits, refused with the file,
row and column; formulas in cells are read as their cached values, never run; no reject file or
Excel export starts a cell of the data with a formula; file names made from unit names are
short and safe."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.errors import LoadError
from etl.headers import HOUSEHOLD_HEADERS
from etl.households import load_households
from etl.readers import read_table
from geodata.cell_text import csv_safe, formula_like
from reports.briefing_names import NAME_BYTES, problem_list_name, safe_part
from reports.problem_list import xlsx_bytes
from tests.factories import HEADERS, county_file, load_tiny_grids, write_csv

MONTH = "2024-10"


@pytest.fixture
def loaded(make_store):
    store = make_store("sqlite")
    grids = list(load_tiny_grids(store)["grid_code"])
    return store, grids


def _rows(grids, n_others=3):
    return county_file(3, 8, 1, 2, grids, others=n_others)


def test_a_100000_character_cell_is_refused_with_its_row_and_column(loaded, tmp_path):
    store, grids = loaded
    rows = _rows(grids)
    rows[2]["帮扶措施"] = "低保" * 50_000
    rows[4]["户编号"] = "H" * 100_000
    path = write_csv(tmp_path / "long.csv", rows)
    before = store.dump()
    with pytest.raises(LoadError) as caught:
        load_households(store, path, month=MONTH)
    issues = {(i.row, i.column): i for i in caught.value.issues}
    assert set(issues) == {(4, "帮扶措施"), (6, "户编号")}
    assert "单元格过长: 100,000 个字符, 上限 1,000" in issues[(4, "帮扶措施")].reason
    assert "单元格过长: 100,000 个字符, 上限 64" in issues[(6, "户编号")].reason
    assert issues[(6, "户编号")].value == "H" * 20 + "…"
    assert len(str(caught.value)) < 2_000  # the report never carries the whole cell
    assert store.dump() == before


def test_cells_at_the_bound_load(loaded, tmp_path):
    store, grids = loaded
    rows = _rows(grids)
    rows[0]["帮扶措施"] = "低" * 1_000
    report = load_households(store, write_csv(tmp_path / "ok.csv", rows), month=MONTH)
    assert report.rows_loaded == len(rows)


def test_too_many_rows(loaded, tmp_path, monkeypatch):
    store, grids = loaded
    monkeypatch.setenv("RISKGRID_MAX_ROWS", "5")
    path = write_csv(tmp_path / "many.csv", _rows(grids))  # 6 households
    with pytest.raises(LoadError) as caught:
        load_households(store, path, month=MONTH)
    assert "行数过多: 6 行, 上限 5 行 (RISKGRID_MAX_ROWS)" in str(caught.value)


def test_file_size_bound_is_a_setting(loaded, tmp_path, monkeypatch):
    store, grids = loaded
    monkeypatch.setenv("RISKGRID_MAX_FILE_MB", "1")
    rows = _rows(grids)
    rows[0]["户主姓名"] = "张"
    path = write_csv(tmp_path / "big.csv", rows * 1)
    with path.open("a", encoding="utf-8") as f:
        f.write(("\n" + "," * 19) * 120_000)  # 2.4 MB of empty rows
    with pytest.raises(LoadError) as caught:
        load_households(store, path, month=MONTH)
    assert "文件过大: 2 MB, 上限 1 MB (RISKGRID_MAX_FILE_MB)" in str(caught.value)


def test_a_workbook_that_unpacks_too_large_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("RISKGRID_MAX_FILE_MB", "1")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/worksheets/sheet1.xml", b"0" * (5 * 1024 * 1024))
    assert bomb.stat().st_size < 100_000
    with pytest.raises(LoadError) as caught:
        read_table(bomb, HOUSEHOLD_HEADERS, ["household_id"])
    assert "Excel 文件解压后过大: 5 MB, 上限 4 MB" in str(caught.value)


def test_formulas_are_read_as_their_cached_values(tmp_path):
    path = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADERS[:5])
    sheet.write_row(1, 0, ["H0000001", "张三", "152223197001010011", "152223101001001"])
    sheet.write_formula(1, 4, "=1+2", None, 3)  # 家庭人口数: the cached value 3
    sheet.write_row(2, 0, ["H0000002", "李四", "152223197001010020", "152223101001001"])
    sheet.write_formula(2, 4, '=HYPERLINK("http://x","y")', None, "y")
    book.close()
    table = read_table(path, HOUSEHOLD_HEADERS, ["household_id"])
    assert list(table.frame["家庭人口数"]) == ["3", "y"]
    assert not any(formula_like(v) for col in table.frame for v in table.frame[col])


def test_csv_safe_keeps_numbers_and_quotes_formulas():
    for text in ("=1+1", "+86 138", "-cmd|' /C calc'!A0", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_safe(text) == "'" + text
    for text in ("-12.5", "+3", "-1e3", "张三", "", "a=b", 7, None):
        assert csv_safe(text) == text


def _bad_rows(grids):
    rows = _rows(grids)
    rows[1].update({"户主姓名": "=1+1", "家庭人口数": "0", "帮扶措施": "@SUM(A1)"})
    rows[2].update({"户主姓名": '=HYPERLINK("http://evil","x")', "家庭人均纯收入": "-5"})
    rows[2]["家庭人口数"] = "-1"
    return rows


def test_csv_reject_file_starts_no_cell_with_a_formula(loaded, tmp_path):
    store, grids = loaded
    path = write_csv(tmp_path / "bad.csv", _bad_rows(grids))
    report = load_households(store, path, month=MONTH, skip_invalid=True)
    assert report.rows_rejected == 2
    with open(report.reject_file, encoding="utf-8-sig", newline="") as f:
        cells = [c for row in csv.reader(f) for c in row]
    assert not [c for c in cells if formula_like(c)]
    assert "'=1+1" in cells and "'@SUM(A1)" in cells
    assert "-5" in cells and "-1" in cells  # numbers stay numbers
    assert '\'=HYPERLINK("http://evil","x")' in cells


def test_xlsx_reject_file_holds_text_not_formulas(loaded, tmp_path):
    store, grids = loaded
    rows = _bad_rows(grids)
    path = tmp_path / "bad.xlsx"
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False})
    sheet = book.add_worksheet("监测对象")
    sheet.write_row(0, 0, list(rows[0]))
    for i, row in enumerate(rows, start=1):
        sheet.write_row(i, 0, list(row.values()))
    book.close()
    report = load_households(store, path, month=MONTH, skip_invalid=True)
    out = openpyxl.load_workbook(report.reject_file)
    assert out.sheetnames == ["监测对象"]
    cells = [c for row in out.active.iter_rows() for c in row if c.value is not None]
    assert not [c for c in cells if c.data_type == "f"]
    names = {c.value: c for c in cells}
    assert names["=1+1"].data_type == "s" and names["=1+1"].quotePrefix
    assert names["@SUM(A1)"].data_type == "s"


def test_problem_list_excel_holds_text_not_formulas():
    row = {"规则": "=1+1", "户编号": "@cmd", "处理说明": "+SUM(A1:A9)", "持续月数": 2}
    book = openpyxl.load_workbook(io.BytesIO(xlsx_bytes([row])))
    cells = {c.value: c for r in book.active.iter_rows() for c in r if c.value is not None}
    for text in ("=1+1", "@cmd", "+SUM(A1:A9)"):
        assert cells[text].data_type == "s", text
    assert cells[2].data_type == "n"


WINDOWS_RESERVED = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)$", re.IGNORECASE)


@settings(derandomize=True, max_examples=300, deadline=None, database=None)
@given(
    st.one_of(
        st.text(max_size=300),
        st.sampled_from(
            [
                "CON",
                "nul",
                "..",
                "../../etc/passwd",
                'a/b\\c:d*e?f"g<h>i|j',
                "\x00\x1f\x7f",
                "LPT1",
                " . ",
                "扎赉特旗/好力保镇",
                "网" * 400,
                "\u202e\u200b",
            ]
        ),
    )
)
def test_file_names_from_unit_names_are_safe(name):
    part = safe_part(name, NAME_BYTES, "unit")
    assert part and len(part.encode("utf-8")) <= NAME_BYTES
    assert not any(ch in part for ch in '/\\:*?"<>|.') and part not in ("", ".", "..")
    assert not any(unicodedata.category(ch).startswith("C") for ch in part)
    file = problem_list_name(name, "2024-10")
    assert file.endswith("_2024-10_问题清单.xlsx") and "/" not in file
    assert len(file.encode("utf-8")) < 255
    assert not WINDOWS_RESERVED.match(file.split(".")[0])
