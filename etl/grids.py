"""The grid layer (网格): read, check and load a county office's polygon file.

Accepted: GeoPackage, GeoJSON, Shapefile (its .dbf in UTF-8 or GBK, with or without a .cpg) and
a zipped Shapefile. Coordinates in any declared CRS are converted to WGS 84; a file without a CRS
whose coordinates are longitudes/latitudes is read as WGS 84 with a warning; ``crs="gcj02"``
converts coordinates taken from GCJ-02 ("Mars") web maps. Every problem of a file is reported
in one :class:`~etl.errors.LoadError`; nothing is written unless the whole file is good.

The steps live beside this module: ``grid_source`` (which file and layer), ``dbf_text`` (the
.dbf's encoding), ``grid_columns`` and ``grid_attribute_checks`` (the attribute table),
``grid_geometry`` (polygons, repaired) and ``grid_crs`` (to WGS 84).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa

from geodata import Store
from geodata.model import LEVEL_LABELS
from geodata.store import GRID_COLUMNS

from .checksums import file_sha256
from .dbf_text import decode_dbf_text, detect_dbf_encoding
from .errors import Issue, LoadError, LoadReport
from .grid_attribute_checks import check_attributes
from .grid_columns import LABELS, read_columns
from .grid_crs import to_wgs84
from .grid_geometry import check_geometries, repair_geometries
from .grid_issues import grid_issue
from .grid_moves import move_issues, moved_grids
from .grid_overlaps import overlap_warnings
from .grid_source import resolve_source
from .limits import check_layer_file, check_layer_frame, unreadable_layer
from .problem_sync import sync_in_load

__all__ = ["detect_dbf_encoding", "load_grids", "read_grids"]


def _sorted(issues: list[Issue]) -> list[Issue]:
    """File-level issues first, then by row (stable: the order found within a row)."""
    return sorted(issues, key=lambda x: (x.row is not None, x.row or 0))


def read_grids(
    path: str | Path, *, layer: str | None = None, crs: str | None = None
) -> tuple[gpd.GeoDataFrame, list[Issue]]:
    """Read and check a grid layer; return it in WGS 84 with its warnings.

    The result has exactly the columns ``geodata.store.GRID_COLUMNS`` (object dtype: text or
    None; codes keep their leading zeros) and a Polygon/MultiPolygon ``geometry`` in EPSG:4326.
    ``layer`` picks a layer of a GeoPackage (or a file inside a zip); ``crs`` is "gcj02" for
    GCJ-02 longitudes/latitudes, or the CRS (e.g. "EPSG:4549") to assume for a file that
    declares none, or to use instead of the declared one.

    Raises :class:`LoadError` listing every problem of the file (rows are feature numbers,
    1-based, as an attribute table shows them).
    """
    path = Path(path)
    file = str(path)
    check_layer_file(path)  # there, a layer's kind, not too large; a zip whole
    source, problems = resolve_source(path, layer, file)
    if source is None:
        raise LoadError(file, problems)
    options: dict[str, Any] = {"ENCODING": ""} if source.is_shapefile else {}
    try:
        frame = gpd.read_file(source.dataset, layer=source.layer, engine="pyogrio", **options)
    except Exception as exc:
        raise LoadError(file, [unreadable_layer(file, exc)]) from exc
    check_layer_frame(frame, file)  # a geometry column, attribute cells of sane length
    if source.is_shapefile and source.encoding:
        frame = decode_dbf_text(frame, source.encoding)
    n = len(frame)
    if n == 0:
        raise LoadError(
            file, [grid_issue(file, "文件中没有要素 (file: no features)", field="file")]
        )

    warnings: list[Issue] = list(problems)

    # Attributes
    columns, values, errors = read_columns(frame, source.is_shapefile, file)
    attr_errors, attr_warnings = check_attributes(values, columns, n, file)
    errors += attr_errors
    warnings += attr_warnings

    # Geometry
    raw_geoms = np.asarray(frame.geometry.values, dtype=object)
    geoms, ok, geom_errors = check_geometries(raw_geoms, file)
    errors += geom_errors
    converted, crs_issues = to_wgs84(geoms, frame.crs, crs, file)
    errors += [x for x in crs_issues if x.severity == "error"]
    warnings += [x for x in crs_issues if x.severity != "error"]
    if converted is not None:
        rep_errors, rep_warnings = repair_geometries(converted, ok, file)
        errors += rep_errors
        warnings += rep_warnings
        if not rep_errors:
            warnings += overlap_warnings(converted, ok, values["grid_code"], file)

    if errors:
        raise LoadError(file, _sorted(errors))

    data = pd.DataFrame({field: pd.Series(values[field], dtype=object) for field in GRID_COLUMNS})
    out = gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(list(converted), crs="EPSG:4326"), crs="EPSG:4326"
    )
    out.attrs["columns"] = dict(columns)  # identifier -> the file's header, for later issues
    return out, _sorted(warnings)


def _level_conflicts(
    store: Store, conn: sa.Connection, grids: gpd.GeoDataFrame, file: str
) -> list[Issue]:
    """Codes of the file that the database already holds at another level."""
    wanted: dict[str, tuple[str, str]] = {}
    for level, field in (
        ("grid", "grid_code"),
        ("village", "village_code"),
        ("township", "township_code"),
        ("county", "county_code"),
    ):
        for code in grids[field]:
            wanted.setdefault(code, (level, field))
    issues = []
    for code, level in store.unit_levels(conn, list(wanted)).items():
        want, field = wanted[code]
        if level != want:
            reason = (
                f"{LABELS[field]} {code} 在数据库中已是{LEVEL_LABELS.get(level, level)}的编码 "
                f"({field}: already the code of a {level})"
            )
            issues.append(grid_issue(file, reason, field=field, value=code))
    return issues


def load_grids(
    store: Store,
    path: str | Path,
    *,
    layer: str | None = None,
    crs: str | None = None,
    move_grids: bool = False,
) -> LoadReport:
    """Read a grid layer and write it in one transaction: grids, their outlines, the load record.

    Grids are upserted by grid_code; village, township and county outlines are rebuilt as the
    union of their grids. When households are loaded, every month's figures are recomputed in
    the same transaction. Raises :class:`LoadError` (nothing written) if the file has errors.

    A stored grid that the file lists under another village or township is an error naming
    it (``etl.grid_moves``), unless ``move_grids``: then it moves, and its households (in every
    month), their warnings and problems, and every month's figures follow.
    """
    file = str(path)
    grids, warnings = read_grids(path, layer=layer, crs=crs)
    sha = file_sha256(path)
    seen_before = store.already_loaded("grids", sha, None)
    with store.write(load=True) as conn:
        conflicts = _level_conflicts(store, conn, grids, file)
        if conflicts:
            raise LoadError(file, conflicts)
        moves = moved_grids(store, conn, grids)
        columns = grids.attrs.get("columns", {})
        if len(moves) and not move_grids:
            raise LoadError(file, move_issues(moves, file, columns, moved=False))
        loaded = store.upsert_grids(conn, grids)
        if len(moves):
            store.move_grid_households(conn, moves)
            store.drop_emptied_units(conn, list(moves["old_village_code"]))
            warnings = _sorted([*warnings, *move_issues(moves, file, columns, moved=True)])
        store.record_load(
            conn,
            kind="grids",
            path=file,
            sha256=sha,
            month=None,
            rows_read=len(grids),
            rows_loaded=loaded,
            rows_rejected=0,
        )
        if store.has_households(conn):
            store.refresh_figures(conn)
            sync_in_load(store, conn)  # the problem list commits with the load
    return LoadReport(
        file=file,
        kind="grids",
        rows_read=len(grids),
        rows_loaded=loaded,
        rows_rejected=0,
        warnings=warnings,
        unchanged=seen_before,
    )
