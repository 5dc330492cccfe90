"""The tables of ``riskgrid export``: the stored figures of every unit of a level as flat
columns (the same figures as ``stats``: ``Store.level_stats`` rows), the units' outlines with
them, and the masked household list with Chinese headings."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import pandas as pd

from geodata import Store
from geodata.model import CATEGORY_LABELS, HOUSEHOLD_TYPES, LEVELS, RISK_LABELS

# (column in the GeoPackage, heading in Excel, path into the stored figures)
FIGURE_COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("risk_level", "风险等级", ("risk_level",)),
    ("grids", "网格数", ("grids",)),
    ("households", "总户数", ("households",)),
    ("persons", "总人数", ("persons",)),
    ("monitored_households", "监测户数", ("monitored", "households")),
    ("monitored_persons", "监测人数", ("monitored", "persons")),
    ("eliminated_households", "已消除风险户数", ("eliminated", "households")),
    ("eliminated_persons", "已消除风险人数", ("eliminated", "persons")),
    ("open_households", "未消除风险户数", ("open", "households")),
    ("open_persons", "未消除风险人数", ("open", "persons")),
    ("red_households", "红色户数", ("open_by_level", "red", "households")),
    ("red_persons", "红色人数", ("open_by_level", "red", "persons")),
    ("yellow_households", "黄色户数", ("open_by_level", "yellow", "households")),
    ("yellow_persons", "黄色人数", ("open_by_level", "yellow", "persons")),
    ("blue_households", "蓝色户数", ("open_by_level", "blue", "households")),
    ("blue_persons", "蓝色人数", ("open_by_level", "blue", "persons")),
    ("clearance_rate_households", "风险消除率(户)", ("clearance_rate", "households")),
    ("clearance_rate_persons", "风险消除率(人)", ("clearance_rate", "persons")),
    ("monitored_share_persons", "监测人口占比", ("monitored_share", "persons")),
    ("unstable_households", "脱贫不稳定户数", ("by_category", "unstable", "households")),
    ("marginal_households", "边缘易致贫户数", ("by_category", "marginal", "households")),
    ("sudden_households", "突发严重困难户数", ("by_category", "sudden", "households")),
    ("below_monitoring_line", "低于监测线户数", ("below_monitoring_line", "households")),
    ("below_observation_line", "低于观察线户数", ("below_observation_line", "households")),
    ("new_identified_households", "本月新识别户数", ("new_this_month", "identified", "households")),
    ("new_eliminated_households", "本月新消除户数", ("new_this_month", "eliminated", "households")),
    ("warning_households", "部门预警户数", ("warnings", "households")),
    ("warning_signals", "部门预警条数", ("warnings", "signals")),
    ("unassigned_households", "未分配网格户数", ("unassigned", "households")),
)
UNIT_COLUMNS = (("code", "编码"), ("name", "名称"), ("month", "月份"))
HEADINGS = dict(UNIT_COLUMNS) | {key: heading for key, heading, _ in FIGURE_COLUMNS}

# the household list: (column of households_frame, heading, how a value is shown)
HOUSEHOLD_COLUMNS: tuple[tuple[str, str], ...] = (
    ("household_id", "户编号"),
    ("head_name", "户主姓名"),
    ("id_number", "证件号码"),
    ("grid_code", "网格编码"),
    ("village_code", "村编码"),
    ("township_code", "乡镇编码"),
    ("persons", "家庭人口数"),
    ("household_type", "户类型"),
    ("category", "监测对象类别"),
    ("risk_level", "风险等级"),
    ("risk_causes", "风险类型"),
    ("income_per_capita", "家庭人均纯收入"),
    ("identified_on", "识别监测时间"),
    ("eliminated", "风险是否已消除"),
    ("eliminated_on", "消除监测时间"),
    ("measures", "帮扶措施"),
    ("warnings", "部门预警条数"),
)
_SHOWN = {
    "household_type": HOUSEHOLD_TYPES,
    "category": CATEGORY_LABELS,
    "risk_level": RISK_LABELS,
    "eliminated": {True: "是", False: "否"},
}


def _at(data: Mapping[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def levels_below(level: str) -> list[str]:
    """``level`` and every level under it, highest first."""
    return list(LEVELS[LEVELS.index(level) :])


def figures_frame(store: Store, level: str, month: str, within: str) -> pd.DataFrame:
    """One row per unit of ``level`` inside ``within`` (itself when of that level): code, name,
    month and the ``FIGURE_COLUMNS`` of its stored figures (risk level as 红/黄/蓝/无)."""
    rows = store.level_stats(level, month, within)
    if store.unit(within) is not None and store.unit(within).level == level:
        rows = rows[rows["code"] == within]
    out = []
    for r in rows.itertuples(index=False):
        data = json.loads(r.data)
        row: dict[str, Any] = {"code": r.code, "name": r.name, "month": month}
        for key, _, path in FIGURE_COLUMNS:
            row[key] = _at(data, path)
        row["risk_level"] = RISK_LABELS.get(row["risk_level"], row["risk_level"])
        out.append(row)
    columns = [c for c, _ in UNIT_COLUMNS] + [k for k, _, _ in FIGURE_COLUMNS]
    return pd.DataFrame(out, columns=columns)


def figures_layer(store: Store, level: str, month: str, within: str) -> gpd.GeoDataFrame:
    """The full outlines of the units of ``level`` inside ``within`` with their figures (a unit
    without figures that month keeps its outline, its figures empty), EPSG:4326."""
    shapes = store.full_geometries(level, within)
    if store.unit(within) is not None and store.unit(within).level == level:
        shapes = shapes[shapes["code"] == within]
    figures = figures_frame(store, level, month, within).drop(columns="name")
    layer = shapes.merge(figures, on="code", how="left")
    layer["month"] = month
    return gpd.GeoDataFrame(layer, geometry="geometry", crs="EPSG:4326")


def household_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The households of ``ScopedStore.households`` (masked there) with Chinese headings and
    values (脱贫户, 边缘易致贫户, 红 …)."""
    out = pd.DataFrame(index=frame.index)
    for column, heading in HOUSEHOLD_COLUMNS:
        values = frame[column] if column in frame else pd.Series(None, index=frame.index)
        if column in _SHOWN:
            values = values.map(lambda v, m=_SHOWN[column]: m.get(v, v))
        out[heading] = values.astype(object).where(values.notna(), None)
    return out.reset_index(drop=True)
