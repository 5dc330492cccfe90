"""The national monitoring system's export (全国防返贫监测信息系统), as a county office downloads
it: one row per family member, the household's fields repeated on each of its rows, two title
rows above the header, the place by the names of county, township and village (no 网格编码), and
the grid system's assignment table (网格户对应表, 户编号 -> 网格编码) beside it."""

from __future__ import annotations

import calendar
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .files import _write_csv
from .members import IN_LABOUR, Members
from .parameters import COUNTY_NAME

TITLE = "防止返贫监测对象信息（演示数据）"
ASSIGNMENT_STREAM = 13  # the assignment's generator: np.random.default_rng([seed, 13])
UNASSIGNED_SHARE = 0.005  # households the grid system has not assigned yet (未分配网格)
# column of the export -> the household layout's field (household level) or the member's
HOUSEHOLD_FIELDS = {
    "户编号": "household_id",
    "家庭人口数": "persons",
    "户类型": "household_type",
    "监测对象类别": "category",
    "风险等级": "risk_level",
    "风险类型": "risk_causes",
    "人均纯收入（元）": "income_per_capita",
    "识别监测时间": "identified_on",
    "识别途径": "channel",
    "风险是否已消除": "eliminated",
    "风险消除方式": "elimination_mode",
    "消除监测时间": "eliminated_on",
    "帮扶措施": "measures",
    "是否易地搬迁户": "relocated",
    "安置点编码": "site_code",
    "统计月份": "month",
    "经度": "lon",
    "纬度": "lat",
}
MEMBER_FIELDS = {
    "人编号": "member_id",
    "姓名": "name",
    "证件号码": "id_number",
    "与户主关系": "relation",
    "劳动技能": "labour",
    "健康状况": "health",
    "在校生状况": "school",
    "是否务工": "employed",
}
PLACE_FIELDS = {
    "县(市、区、旗)": "county_name",
    "乡(镇)": "township_name",
    "行政村": "village_name",
}
NATIONAL_COLUMNS = (
    "序号",
    "县(市、区、旗)",
    "乡(镇)",
    "行政村",
    "户编号",
    "人编号",
    "姓名",
    "证件号码",
    "与户主关系",
    "家庭人口数",
    "户类型",
    "监测对象类别",
    "风险等级",
    "风险类型",
    "人均纯收入（元）",
    "识别监测时间",
    "识别途径",
    "风险是否已消除",
    "风险消除方式",
    "消除监测时间",
    "帮扶措施",
    "是否易地搬迁户",
    "安置点编码",
    "劳动技能",
    "健康状况",
    "在校生状况",
    "是否务工",
    "统计月份",
    "经度",
    "纬度",
)
MONTHLY = {"month", "category", "risk_level", "risk_causes", "income_per_capita"} | {
    "identified_on",
    "channel",
    "eliminated",
    "elimination_mode",
    "eliminated_on",
    "measures",
}


def _month_end(month: str) -> str:
    year, mon = int(month[:4]), int(month[5:7])
    return f"{month}-{calendar.monthrange(year, mon)[1]:02d}"


def title_rows(month: str, width: int = len(NATIONAL_COLUMNS)) -> list[list[str]]:
    """The two rows above the header: the title, and the export's date and unit."""
    pad = [""] * (width - 1)
    return [[TITLE, *pad], [f"导出时间：{_month_end(month)} 导出单位：{COUNTY_NAME}", *pad]]


def _text(values: np.ndarray) -> list[str]:
    """Each value as ``pandas.DataFrame.to_csv`` writes it (none of the demo's needs quoting)."""
    if values.dtype.kind == "f":
        return [repr(v) for v in values.tolist()]
    return [str(v) for v in values.tolist()]


def _runs(positions: list[int]) -> list[list[int]]:
    """``positions`` (ascending) as runs of consecutive ones."""
    out: list[list[int]] = []
    for i in positions:
        if out and out[-1][-1] == i - 1:
            out[-1].append(i)
        else:
            out.append([i])
    return out


def _joined(columns: list[list[str]]) -> np.ndarray:
    return np.asarray([",".join(cells) for cells in zip(*columns, strict=True)], dtype=object)


def _employed(members: Members, employed_count: np.ndarray | None) -> np.ndarray:
    """是否务工 per member: 是 for as many members of each household as its 务工就业人数, those
    in labour first, then the others, in member order."""
    out = np.full(len(members), "否", dtype=object)
    if employed_count is None:
        return out
    rank = np.where(np.isin(members.labour, IN_LABOUR), 0, 1)
    order = np.lexsort((np.arange(len(members)), rank, members.household))
    household = members.household[order]
    place = np.arange(len(order)) - np.searchsorted(household, household)
    wanted = np.asarray(employed_count, dtype=np.int64)[household]
    out[order[place < wanted]] = "是"
    return out


class MemberExport:
    """The member rows of the export: ``frame`` as a frame, ``lines`` as CSV text (the text of
    the columns that stay the same every month made once). Columns as ``NATIONAL_COLUMNS``."""

    def __init__(
        self,
        members: Members,
        grids: gpd.GeoDataFrame,
        grid_of: np.ndarray,
        employed_count: np.ndarray | None = None,
    ) -> None:
        self.members = members
        self.employed = _employed(members, employed_count)
        self.index = members.household
        grid_rows = grid_of[members.household]
        self.places = {
            column: grids[field].to_numpy().astype(object)[grid_rows]
            for column, field in PLACE_FIELDS.items()
        }
        names = list(NATIONAL_COLUMNS)
        self.monthly = [i for i, c in enumerate(names) if HOUSEHOLD_FIELDS.get(c) in MONTHLY]
        self.steady = _runs([i for i in range(len(names)) if i not in self.monthly])
        self.steady_text: list[np.ndarray] | None = None

    def _column(self, column: str, data: dict[str, np.ndarray]) -> np.ndarray:
        if column == "序号":
            return np.arange(1, len(self.index) + 1)
        if column in self.places:
            return self.places[column]
        field = MEMBER_FIELDS.get(column)
        if field == "member_id":
            ordinal = np.char.zfill(self.members.ordinal.astype(str), 2)
            return np.char.add(data["household_id"][self.index].astype(str), ordinal)
        if field == "employed":
            return self.employed
        if field is not None:
            return getattr(self.members, field)
        return data[HOUSEHOLD_FIELDS[column]][self.index]

    def frame(self, data: dict[str, np.ndarray]) -> pd.DataFrame:
        """The month's export, ``data`` the household layout's columns by field."""
        return pd.DataFrame({c: self._column(c, data) for c in NATIONAL_COLUMNS})

    def lines(self, data: dict[str, np.ndarray]) -> list[str]:
        """The month's export as CSV lines, the header first: what ``frame(data).to_csv``
        writes. The monthly fields are made into text per household, then spread to its rows."""
        names = list(NATIONAL_COLUMNS)
        if self.steady_text is None:
            self.steady_text = [
                _joined([_text(np.asarray(self._column(names[i], data))) for i in run])
                for run in self.steady
            ]
        monthly = [
            _joined([_text(np.asarray(data[HOUSEHOLD_FIELDS[names[i]]])) for i in run])[self.index]
            for run in _runs(self.monthly)
        ]
        # steady and monthly runs alternate, a steady one first
        parts = [None] * (len(self.steady_text) + len(monthly))
        parts[::2], parts[1::2] = self.steady_text, monthly
        return [",".join(names), *(",".join(row) for row in zip(*parts, strict=True))]


def _write_national(lines: list[str], path: Path, month: str) -> None:
    """The export as the system writes it: UTF-8 with a BOM, two title rows, the header, the rows."""
    width = lines[0].count(",") + 1
    titles = [",".join(row) for row in title_rows(month, width)]
    text = "\n".join([*titles, *lines]) + "\n"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))


def _write_assignments(
    seed: int, household_id: np.ndarray, grid_code: np.ndarray, path: Path
) -> np.ndarray:
    """The grid system's table 户编号 -> 网格编码 of every household but a few (about
    ``UNASSIGNED_SHARE``, seeded); returns which households it leaves out."""
    rng = np.random.default_rng([seed, ASSIGNMENT_STREAM])
    left_out = rng.random(len(household_id)) < UNASSIGNED_SHARE
    frame = pd.DataFrame({"户编号": household_id[~left_out], "网格编码": grid_code[~left_out]})
    _write_csv(frame, path)
    return left_out


__all__ = ["NATIONAL_COLUMNS", "MemberExport", "title_rows"]
