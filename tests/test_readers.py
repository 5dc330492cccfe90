"""Sheet cells to text columns: what the reader hands to validation, cell by cell."""

from __future__ import annotations

import datetime as dt

from etl.readers import _xlsx_frame


def test_sheet_cells_become_text_as_excel_shows_them():
    header = ["户编号", "家庭人口数", "识别监测时间", "是否易地搬迁户", "备注"]
    body = [
        ["H1", 3.0, dt.datetime(2024, 3, 5), True, None],  # numbers, dates, booleans, empty cells
        ["H2", "４", "202409", "否"],  # a short row: padded with empty cells
        ["H3", 2.5, dt.date(2024, 1, 2), False, "x"],
    ]
    frame = _xlsx_frame(header, body)
    assert list(frame.columns) == header
    assert frame.to_dict("list") == {
        "户编号": ["H1", "H2", "H3"],
        "家庭人口数": ["3", "４", "2.5"],
        "识别监测时间": ["2024-03-05", "202409", "2024-01-02"],
        "是否易地搬迁户": ["是", "否", "否"],
        "备注": ["", "", "x"],
    }
    assert all(str(t) == "str" for t in frame.dtypes)


def test_a_sheet_with_a_header_only():
    frame = _xlsx_frame(["户编号", "户主姓名"], [])
    assert list(frame.columns) == ["户编号", "户主姓名"] and len(frame) == 0
