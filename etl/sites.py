"""Resettlement sites (易地扶贫搬迁安置点): CSV, XLSX or a point layer."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from geodata import Store

from .bounds import SITE_BOUNDS, long_reason, too_long
from .errors import Issue, LoadError, LoadReport
from .headers import SITE_HEADERS, map_headers
from .households import _sha256
from .limits import check_layer_file, check_layer_frame, unreadable_layer
from .readers import Table, read_table
from .validate import clean, parse_float, parse_int

REQUIRED = ["site_code", "site_name", "township_code"]
POINT_LAYERS = {".gpkg", ".geojson", ".json", ".shp", ".zip"}


def _point_layer_table(path: Path) -> Table:
    import geopandas as gpd

    file = str(path)
    check_layer_file(path)
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:
        raise LoadError(file, [unreadable_layer(file, exc)]) from exc
    check_layer_frame(gdf, file, SITE_HEADERS)
    points = np.array([g is None or g.is_empty or g.geom_type == "Point" for g in gdf.geometry])
    if not points.all():
        reason = "安置点应为点要素 (geometry: a site is a point)"
        rows = np.flatnonzero(~points)[:200]
        issues = [Issue(file, int(i) + 1, "geometry", "geometry", gdf.geometry.iloc[i].geom_type, reason) for i in rows]
        raise LoadError(file, issues)
    try:
        if gdf.crs is not None:
            gdf = gdf.to_crs("EPSG:4326")
    except Exception as exc:
        raise LoadError(file, [Issue(file, None, None, "crs", str(gdf.crs)[:80], f"坐标系无法转换 (crs: cannot convert to WGS 84: {str(exc)[:200]})")]) from exc
    frame = pd.DataFrame(gdf.drop(columns="geometry")).astype(str).replace({"None": "", "nan": ""})
    frame["经度"] = [f"{g.x:.7f}" if g is not None and not g.is_empty else "" for g in gdf.geometry]
    frame["纬度"] = [f"{g.y:.7f}" if g is not None and not g.is_empty else "" for g in gdf.geometry]
    fields = {frame.columns[i]: ident for i, ident in map_headers(list(frame.columns), SITE_HEADERS).items()}
    return Table(str(path), None, frame.astype(object), fields, pd.Series(range(1, len(frame) + 1)))


def read_sites(path: str | Path, township_codes: set[str]) -> pd.DataFrame:
    path = Path(path)
    if path.suffix.lower() in POINT_LAYERS:
        table = _point_layer_table(path)
    else:
        table = read_table(path, SITE_HEADERS, REQUIRED)
    errors: list[Issue] = []

    def col(ident: str) -> pd.Series:
        name = table.column_of(ident)
        return clean(table.frame[name]) if name else pd.Series("", index=table.frame.index)

    def flag(ident: str, mask, reason: str) -> None:
        raw = col(ident)
        for i in np.flatnonzero(np.asarray(mask, dtype=bool)):
            errors.append(
                Issue(table.file, int(table.excel_rows.iloc[i]), table.column_of(ident) or SITE_HEADERS[ident][0], ident, raw.iloc[i], reason, table.sheet)
            )

    out = pd.DataFrame(index=table.frame.index)
    for ident in REQUIRED:
        if table.column_of(ident) is None:
            errors.append(Issue(table.file, None, SITE_HEADERS[ident][0], ident, None, f"缺少必填列 ({ident}: required column missing)"))
    code = col("site_code")
    flag("site_code", code == "", "安置点编码为空 (site_code: required)")
    flag("site_code", code.duplicated() & (code != ""), "安置点编码重复 (site_code: duplicate)")
    flag("site_code", too_long(code), long_reason(SITE_HEADERS["site_code"][0], "site_code"))
    out["site_code"] = code
    out["site_name"] = col("site_name")
    flag("site_name", out["site_name"] == "", "安置点名称为空 (site_name: required)")
    town = col("township_code")
    flag("township_code", ~town.str.fullmatch(r"\d{9}"), "乡镇编码应为9位数字 (township_code: 9 digits)")
    if township_codes:
        flag("township_code", town.str.fullmatch(r"\d{9}") & ~town.isin(township_codes), "乡镇编码不存在, 请先加载网格 (township_code: not a loaded township)")
    out["township_code"] = town
    for ident, lo, hi in (("lon", 73.0, 136.0), ("lat", 3.0, 54.0)):
        value, bad = parse_float(col(ident))
        flag(ident, bad | value.isna(), f"{SITE_HEADERS[ident][0]}应为数字 ({ident}: required number)")
        flag(ident, ~bad & value.notna() & ((value < lo) | (value > hi)), f"{SITE_HEADERS[ident][0]}超出中国范围 ({ident}: outside China)")
        out[ident] = value
    for ident in ("households", "persons", "workshops", "public_jobs"):
        value, bad = parse_int(col(ident))
        flag(ident, bad | (value < 0).fillna(False), f"{SITE_HEADERS[ident][0]}应为非负整数 ({ident}: integer >= 0)")
        bound = SITE_BOUNDS[ident]
        flag(ident, ~bad & (value > bound.high).fillna(False), bound.reason(SITE_HEADERS[ident][0], ident))
        out[ident] = value
    if errors:
        raise LoadError(table.file, errors)
    return out


def load_sites(store: Store, path: str | Path) -> LoadReport:
    path = Path(path)
    units = store.units_frame()
    frame = read_sites(path, set(units.loc[units["level"] == "township", "code"]))
    report = LoadReport(file=str(path), kind="sites", rows_read=len(frame), rows_loaded=len(frame))
    sha = _sha256(path)
    report.unchanged = store.already_loaded("sites", sha, None)
    with store.write(load=True) as conn:
        store.upsert_sites(conn, frame)
        store.refresh_figures(conn)
        store.record_load(conn, kind="sites", path=str(path), sha256=sha, month=None, rows_read=len(frame), rows_loaded=len(frame), rows_rejected=0)
    return report
