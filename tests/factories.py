"""Deterministic, seeded test data: tiny grid layers and household files. Never real data."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Polygon

from etl.validate import id_check_digit

COUNTY = "152223"
TOWNSHIP = "152223101"
VILLAGES = ("152223101001", "152223101002")

HEADERS = [
    "户编号", "户主姓名", "证件号码", "网格编码", "家庭人口数", "户类型", "监测对象类别", "风险等级",
    "风险类型", "家庭人均纯收入", "识别监测时间", "识别途径", "风险是否已消除", "风险消除方式",
    "消除监测时间", "帮扶措施", "是否易地搬迁户", "安置点编码", "劳动力人数", "务工就业人数",
]


def tiny_grids(n_per_village: int = 3) -> gpd.GeoDataFrame:
    """2 villages x n grids, irregular polygons tiling an area near Jalaid Banner."""
    outline = Polygon([(122.80, 46.60), (123.02, 46.58), (123.05, 46.72), (122.93, 46.80), (122.78, 46.74)])
    halves = [
        outline.intersection(shapely.box(122.0, 46.0, 122.92, 47.0)),
        outline.intersection(shapely.box(122.92, 46.0, 124.0, 47.0)),
    ]
    rng = np.random.default_rng(7)
    rows = []
    for v, (code, half) in enumerate(zip(VILLAGES, halves, strict=True)):
        minx, miny, maxx, maxy = half.bounds
        pts = shapely.points(rng.uniform(minx, maxx, 40), rng.uniform(miny, maxy, 40))
        pts = [p for p in pts if half.contains(p)][:n_per_village]
        cells = shapely.voronoi_polygons(shapely.MultiPoint(pts), extend_to=half.buffer(1))
        for g, cell in enumerate(sorted(cells.geoms, key=lambda c: (c.centroid.x, c.centroid.y)), start=1):
            rows.append(
                {
                    "grid_code": f"{code}{g:03d}",
                    "grid_name": f"{'五家子村' if v == 0 else '塔本毛都嘎查'}第{g}网格",
                    "village_code": code,
                    "village_name": "五家子村" if v == 0 else "塔本毛都嘎查",
                    "village_kind": "村" if v == 0 else "嘎查",
                    "township_code": TOWNSHIP,
                    "township_name": "好力保镇",
                    "county_code": COUNTY,
                    "county_name": "扎赉特旗",
                    "grid_worker": f"网格员{v}{g}",
                    "worker_phone": f"1380000{v}{g:03d}",
                    "geometry": cell.intersection(half),
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs="EPSG:4326")


def other_county_grids(
    county: str = "150783",
    county_name: str = "扎兰屯市",
    dx: float = 0.6,
    **names: str,
) -> gpd.GeoDataFrame:
    """The tiny grids moved ``dx`` degrees east and recoded as another county (by default
    150783 of the city 1507, the same province 15); ``names``: extra columns (city_name …)."""
    grids = tiny_grids()
    grids["geometry"] = shapely.transform(grids.geometry.values, lambda xy: xy + [dx, 0.0])
    for col in ("grid_code", "village_code", "township_code", "county_code"):
        grids[col] = grids[col].str.replace(COUNTY, county, n=1)
    grids["county_name"] = county_name
    grids["township_name"] = "察尔森镇"
    grids["village_name"] = grids["village_name"].map({"五家子村": "索伦村", "塔本毛都嘎查": "归流河嘎查"})
    grids["grid_name"] = [f"{v}第{i % 3 + 1}号网格" for i, v in enumerate(grids["village_name"])]
    for col, value in names.items():
        grids[col] = value
    return grids


def load_tiny_grids(store, n_per_village: int = 3) -> gpd.GeoDataFrame:
    grids = tiny_grids(n_per_village)
    with store.write() as conn:
        store.upsert_grids(conn, grids)
    return grids


def id_number(seq: int, birth: str = "19700101") -> str:
    body = f"{COUNTY}{birth}{seq % 1000:03d}"
    return body + id_check_digit(body)


def spread(n: int, total: int) -> list[int]:
    """n integers >= 1 that add up to total, deterministic."""
    assert total >= n
    base, extra = divmod(total, n)
    return [base + (1 if i < extra else 0) for i in range(n)]


def household_row(i: int, grid: str, persons: int, **overrides: str) -> dict[str, str]:
    row = {
        "户编号": f"H{i:07d}",
        "户主姓名": f"张{'三四五六七'[i % 5]}{'明华军'[i % 3]}",
        "证件号码": id_number(i),
        "网格编码": grid,
        "家庭人口数": str(persons),
        "户类型": "脱贫户" if i % 2 else "一般户",
        "监测对象类别": "",
        "风险等级": "",
        "风险类型": "",
        "家庭人均纯收入": str(12000 + i % 5000),
        "识别监测时间": "",
        "识别途径": "",
        "风险是否已消除": "否",
        "风险消除方式": "",
        "消除监测时间": "",
        "帮扶措施": "",
        "是否易地搬迁户": "否",
        "安置点编码": "",
        "劳动力人数": "1",
        "务工就业人数": "0",
    }
    row.update(overrides)
    return row


def monitored(i: int, grid: str, persons: int, eliminated: bool, category: str = "边缘易致贫户", level: str = "黄") -> dict[str, str]:
    return household_row(
        i, grid, persons,
        **{
            "监测对象类别": category,
            "风险等级": level,
            "风险类型": "因病、因学" if i % 3 == 0 else "因残",
            "家庭人均纯收入": str(6500 + i % 2000),
            "识别监测时间": "2024-03-15",
            "识别途径": "干部走访排查",
            "风险是否已消除": "是" if eliminated else "否",
            "风险消除方式": "帮扶消除" if eliminated else "",
            "消除监测时间": "2024-09-20" if eliminated else "",
            "帮扶措施": "低保、医疗救助",
        },
    )


def county_file(
    monitored_h: int, monitored_p: int, eliminated_h: int, eliminated_p: int, grids: list[str], others: int = 50
) -> list[dict[str, str]]:
    """Households whose county figures are exactly the given monitored / eliminated counts."""
    rows = []
    elim = spread(eliminated_h, eliminated_p)
    open_ = spread(monitored_h - eliminated_h, monitored_p - eliminated_p)
    i = 1
    for p in elim:
        rows.append(monitored(i, grids[i % len(grids)], p, True))
        i += 1
    for p in open_:
        rows.append(monitored(i, grids[i % len(grids)], p, False, level="红黄蓝"[i % 3]))
        i += 1
    for _ in range(others):
        rows.append(household_row(i, grids[i % len(grids)], 1 + i % 5))
        i += 1
    return rows


def write_csv(path: Path, rows: Iterable[dict[str, str]], title_rows: int = 0, encoding: str = "utf-8-sig") -> Path:
    rows = list(rows)
    headers = list(rows[0].keys()) if rows else HEADERS
    with path.open("w", newline="", encoding=encoding) as f:
        w = csv.writer(f)
        for t in range(title_rows):
            w.writerow([f"防返贫监测对象信息表 标题{t + 1}"])
        w.writerow(headers)
        for r in rows:
            w.writerow([r.get(h, "") for h in headers])
    return path


def store_url(store) -> str:
    """The URL of a test store for a ``riskgrid`` command (a subprocess or ``CliRunner``): on
    PostGIS the test's schema goes on the search path (``options=-csearch_path=...``)."""
    import sqlalchemy as sa

    from tests.conftest import PG_URL

    if not store.is_postgis:
        return store.url
    with store.engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_schema()")).scalar()
    return f"{PG_URL}?options=-csearch_path%3D{schema},public"
