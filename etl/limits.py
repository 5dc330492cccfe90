"""Bounds on what a load reads, so that no file can exhaust the machine or slip through whole:
the file itself (there, a file not a folder, not empty, at most ``RISKGRID_MAX_FILE_MB``; an
Excel or zip file a whole archive that unpacks to at most 4 times that), the rows of a table
(``RISKGRID_MAX_ROWS``) and the length of a cell (:data:`MAX_TEXT_CHARS`, shorter for codes:
:data:`MAX_CODE_CHARS`). Each refusal is a :class:`~etl.errors.LoadError` naming the file, and
for a cell its row and column.
"""

from __future__ import annotations

import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from geodata.settings import SETTINGS

from .errors import Issue, LoadError

MAX_TEXT_CHARS = 1_000  # a name, a list of measures, a note: far above any real one
MAX_CODE_CHARS = 64  # codes and numbers; their exact length is checked with their values
CODE_FIELDS = frozenset(
    {
        "household_id",
        "person_id",
        "id_number",
        "grid_code",
        "village_code",
        "township_code",
        "county_code",
        "site_code",
        "month",
        "persons",
        "income_per_capita",
        "labor_count",
        "employed_count",
        "households",
        "workshops",
        "public_jobs",
        "amount",
        "lon",
        "lat",
    }
)
MAX_STORED_INT = 2**31 - 1  # an integer column of the database (PostgreSQL's integer)
UNPACKED_FACTOR = 4  # an archive may unpack to this many times the largest file
ZIP_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".zip")
MAX_ISSUES = 200  # cells listed in one refusal (LoadError prints as many)


def setting(name: str, environ: Mapping[str, str] | None = None) -> int:
    """The bound ``name`` (``max_file_mb``, ``max_rows``) from the environment, else its default."""
    env = os.environ if environ is None else environ
    for s in SETTINGS:
        if s.name == name:
            raw = env.get(s.env, "")
            if raw.strip() == "":
                return int(s.default)
            try:
                return int(s.parse(raw))
            except ValueError as exc:
                raise LoadError(
                    s.env, [Issue(s.env, None, None, name, raw, f"设置无效 (bad setting): {exc}")]
                ) from None
    raise KeyError(name)


def _refuse(file: str, reason: str, value: str | None = None) -> LoadError:
    return LoadError(file, [Issue(file, None, None, "file", value, reason)])


def check_file(path: Path, *, folder_ok: bool = False) -> None:
    """A file the loaders may read: it exists, is a file (a folder only with ``folder_ok``: a
    Shapefile's), is not empty and is at most ``max_file_mb``; an Excel or zip file is a
    whole archive that unpacks to at most ``UNPACKED_FACTOR`` times that."""
    file = str(path)
    if not path.exists():
        raise _refuse(file, "文件不存在 (file: not found)")
    if path.is_dir():
        if folder_ok:
            return
        raise _refuse(file, "这是一个目录, 应为文件 (file: is a directory)")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _refuse(file, f"无法读取文件 (file: {exc.strerror or exc})") from None
    if not os.access(path, os.R_OK):
        raise _refuse(file, "没有权限读取文件 (file: permission denied)")
    if size == 0:
        raise _refuse(file, "文件为空 (file: empty, 0 bytes)")
    limit_mb = setting("max_file_mb")
    if size > limit_mb * 1024 * 1024:
        raise _refuse(
            file,
            f"文件过大: {size / 1024 / 1024:,.0f} MB, 上限 {limit_mb:,} MB (RISKGRID_MAX_FILE_MB) "
            "(file: too large)",
        )
    if path.suffix.lower() in ZIP_SUFFIXES:
        check_archive(path, limit_mb)


def check_archive(path: Path, limit_mb: int) -> None:
    """An .xlsx/.ods/.zip is a whole zip archive (a truncated or renamed file is refused) whose
    members unpack to at most ``UNPACKED_FACTOR`` × ``limit_mb``."""
    file = str(path)
    kind = "压缩包" if path.suffix.lower() == ".zip" else " Excel 文件"
    try:
        with zipfile.ZipFile(path) as zf:
            unpacked = sum(max(info.file_size, 0) for info in zf.infolist())
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError):
        raise _refuse(
            file,
            f"不是有效的{kind}: 文件已损坏、不完整或格式不符 "
            f"(file: not a valid {path.suffix.lower()[1:]} archive: truncated or another format)",
        ) from None
    bound = UNPACKED_FACTOR * limit_mb * 1024 * 1024
    if unpacked > bound:
        raise _refuse(
            file,
            f"{kind.strip()}解压后过大: {unpacked / 1024 / 1024:,.0f} MB, 上限 "
            f"{UNPACKED_FACTOR * limit_mb:,} MB (file: unpacks too large)",
        )


def check_rows(file: str, rows: int, sheet: str | None = None) -> None:
    """At most ``max_rows`` data rows."""
    limit = setting("max_rows")
    if rows > limit:
        reason = (
            f"行数过多: {rows:,} 行, 上限 {limit:,} 行 (RISKGRID_MAX_ROWS) (file: too many rows)"
        )
        raise LoadError(file, [Issue(file, None, None, "file", None, reason, sheet)])


def _shown(text: str) -> str:
    """The start of an over-long value, for the report (never the whole value)."""
    return text[:20] + "…"


def check_cells(
    file: str,
    frame: pd.DataFrame,
    fields: Mapping[str, str],
    rows: pd.Series | np.ndarray,
    sheet: str | None = None,
) -> None:
    """No cell longer than its bound (codes :data:`MAX_CODE_CHARS`, any other
    :data:`MAX_TEXT_CHARS`), else a refusal listing each such cell by row and column."""
    issues: list[Issue] = []
    row_numbers = np.asarray(rows)
    for header in frame.columns:
        ident = fields.get(header)
        bound = MAX_CODE_CHARS if ident in CODE_FIELDS else MAX_TEXT_CHARS
        column = frame[header]
        try:
            lengths = column.str.len()
        except AttributeError:  # not a text column (a point layer's attributes)
            lengths = column.astype(str).str.len()
        over = np.flatnonzero((lengths > bound).to_numpy(dtype=bool, na_value=False))
        for i in over[: MAX_ISSUES - len(issues)]:
            value = str(frame[header].iloc[i])
            reason = (
                f"单元格过长: {len(value):,} 个字符, 上限 {bound:,} "
                f"(cell: too long, at most {bound:,} characters)"
            )
            row = int(row_numbers[i]) if i < len(row_numbers) else None
            issues.append(Issue(file, row, str(header), ident, _shown(value), reason, sheet))
        if len(issues) >= MAX_ISSUES:
            break
    if issues:
        raise LoadError(file, issues)


def check_headers(file: str, headers: list[str], sheet: str | None = None) -> None:
    """No header longer than :data:`MAX_TEXT_CHARS`."""
    long = [h for h in headers if len(str(h)) > MAX_TEXT_CHARS]
    if long:
        issues = [
            Issue(
                file,
                None,
                _shown(str(h)),
                None,
                None,
                f"表头过长: {len(str(h)):,} 个字符 (header: too long)",
                sheet,
            )
            for h in long[:MAX_ISSUES]
        ]
        raise LoadError(file, issues)


TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods", ".dbf")
LAYER_KINDS = "GeoPackage (.gpkg)、GeoJSON (.geojson)、Shapefile (.shp) 或其 zip 压缩包"


def check_layer_file(path: Path) -> None:
    """A layer file the loaders may read (:func:`check_file`, a Shapefile's folder too); a
    table (CSV, Excel, a lone .dbf) is refused here, not left to GDAL's English message."""
    check_file(path, folder_ok=True)
    if path.is_file() and path.suffix.lower() in TABLE_SUFFIXES:
        file = str(path)
        raise _refuse(
            file,
            f"这是表格文件, 不是图层: 请用 {LAYER_KINDS} (file: a table, not a layer)",
            path.suffix,
        )


def unreadable_layer(file: str, exc: BaseException) -> Issue:
    """The refusal of a file GDAL cannot open, in Chinese first, GDAL's words after."""
    text = str(exc).strip()
    detail = text.splitlines()[0].split("; ")[0][:200] if text else type(exc).__name__
    reason = f"无法读取图层: 文件已损坏或不是 {LAYER_KINDS} (file: unreadable: {detail})"
    return Issue(file, None, None, "file", None, reason)


def check_layer_frame(
    frame: pd.DataFrame, file: str, headers: Mapping[str, tuple[str, ...]] | None = None
) -> None:
    """A layer read by GDAL has a geometry column, at most ``max_rows`` features and no
    attribute cell longer than its bound (rows are feature numbers, 1-based)."""
    import geopandas as gpd

    from .headers import GRID_HEADERS, map_headers

    if not isinstance(frame, gpd.GeoDataFrame) or frame._geometry_column_name not in frame:
        raise _refuse(
            file, f"文件中没有几何图形: 请用带几何的 {LAYER_KINDS} (file: no geometry column)"
        )
    check_rows(file, len(frame))
    attributes = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    attributes = attributes.loc[
        :,
        [
            c
            for c in attributes.columns
            if attributes[c].dtype == object or pd.api.types.is_string_dtype(attributes[c])
        ],
    ]
    names = [str(c) for c in attributes.columns]
    check_headers(file, names)
    fields = {names[i]: ident for i, ident in map_headers(names, headers or GRID_HEADERS).items()}
    attributes.columns = names
    check_cells(file, attributes, fields, np.arange(1, len(frame) + 1))
