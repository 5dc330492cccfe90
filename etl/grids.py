"""The grid layer (网格): read, check and load a county office's polygon file.

Accepted: GeoPackage, GeoJSON, Shapefile (its .dbf in UTF-8 or GBK, with or without a .cpg) and
a zipped Shapefile. Coordinates in any declared CRS are converted to WGS 84; a file without a CRS
whose coordinates are longitudes/latitudes is read as WGS 84 with a warning; ``crs="gcj02"``
converts coordinates taken from GCJ-02 ("Mars") web maps. Every problem of a file is reported
in one :class:`~etl.errors.LoadError`; nothing is written unless the whole file is good.
"""

from __future__ import annotations

import codecs
import hashlib
import math
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePosixPath
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyproj
import shapely
import sqlalchemy as sa
from shapely.geometry import GeometryCollection, MultiPolygon, Polygon

from geodata import Store
from geodata.model import LEVEL_LABELS, VILLAGE_KINDS
from geodata.store import GRID_COLUMNS

from .errors import Issue, LoadError, LoadReport
from .gcj02 import gcj02_to_wgs84
from .headers import GRID_HEADERS, map_headers, normalize_header

__all__ = ["detect_dbf_encoding", "load_grids", "read_grids"]

REQUIRED: tuple[str, ...] = (
    "grid_code",
    "grid_name",
    "village_code",
    "village_name",
    "township_name",
    "county_name",
)
LABELS: dict[str, str] = {
    "grid_code": "网格编码",
    "grid_name": "网格名称",
    "village_code": "村编码",
    "village_name": "村名称",
    "village_kind": "村类型",
    "township_code": "乡镇编码",
    "township_name": "乡镇名称",
    "county_code": "县编码",
    "county_name": "县名称",
    "grid_worker": "网格员",
    "worker_phone": "联系电话",
}
# Codes of administrative units: digits only, and how many.
ADMIN_CODE_DIGITS: dict[str, int] = {"village_code": 12, "township_code": 9, "county_code": 6}
CODE_FIELDS: tuple[str, ...] = ("grid_code", *ADMIN_CODE_DIGITS)
GCJ02_NAMES = {"gcj02", "gcj-02", "gcj", "mars"}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
LAYER_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")
# A generous box around China: coordinates outside it get a warning (wrong CRS?).
CHINA_BOUNDS = (73.0, 3.0, 136.0, 54.0)

_DECIMAL_CODE_RE = re.compile(r"^(\d+)\.0*$")
_SCIENTIFIC_RE = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")


# ---------------------------------------------------------------------- source files
@dataclass
class _Source:
    """What pyogrio opens: the dataset path (maybe /vsizip/), layer and .dbf encoding."""

    dataset: str
    layer: str | None
    encoding: str | None
    is_shapefile: bool


def _issue(
    file: str,
    reason: str,
    *,
    row: int | None = None,
    column: str | None = None,
    field: str | None = None,
    value: Any = None,
    severity: str = "error",
) -> Issue:
    return Issue(
        file=file,
        row=row,
        column=column,
        field=field,
        value=None if value is None else str(value),
        reason=reason,
        severity=severity,
    )


def _dbf_fields(raw: bytes) -> tuple[list[tuple[bytes, int]], int, int]:
    """(name, length) of each .dbf field, the header length and the record length."""
    if len(raw) < 32:
        return [], len(raw), 0
    header_len = int.from_bytes(raw[8:10], "little")
    record_len = int.from_bytes(raw[10:12], "little")
    fields: list[tuple[bytes, int]] = []
    pos = 32
    end = min(header_len, len(raw))
    while pos + 32 <= end and raw[pos] != 0x0D:
        name = raw[pos : pos + 11].split(b"\x00", 1)[0]
        fields.append((name, raw[pos + 16]))
        pos += 32
    return fields, header_len, record_len


def _decodes(chunks: list[bytes], encoding: str) -> bool:
    """True if every chunk decodes; a multi-byte character cut at a chunk's end is allowed.

    Fixed-width .dbf fields are often truncated by bytes, in the middle of a character.
    """
    for chunk in chunks:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            decoder.decode(chunk, final=False)
        except UnicodeDecodeError:
            return False
    return True


def detect_dbf_encoding(raw: bytes) -> str | None:
    """The text encoding of a .dbf from its bytes: "UTF-8", "GBK", "GB18030" or None.

    Looks at the field names in the header and every field of every record. Bytes that are
    valid UTF-8 (including plain ASCII) give "UTF-8"; otherwise GBK (then GB18030), the
    encoding of Chinese GIS desktops; None when neither fits.
    """
    fields, header_len, record_len = _dbf_fields(raw)
    chunks = [name for name, _ in fields]
    if record_len and fields:
        body = raw[header_len:]
        for start in range(0, len(body) - record_len + 1, record_len):
            pos = start + 1  # deletion flag
            for _, length in fields:
                chunk = body[pos : pos + length]
                if any(b >= 0x80 for b in chunk):
                    chunks.append(chunk)
                pos += length
    else:
        chunks.append(raw[header_len:])
    for encoding in ("UTF-8", "GBK", "GB18030"):
        if _decodes(chunks, encoding):
            return encoding
    return None


def _pick_member(names: list[str], layer: str | None) -> tuple[str | None, str | None]:
    """(member, problem) among the layer files of a zip or a folder."""
    candidates = [n for n in names if PurePosixPath(n).suffix.lower() in LAYER_SUFFIXES]
    if layer:
        named = [n for n in candidates if PurePosixPath(n).stem == layer]
        if named:
            return named[0], None
    shps = [n for n in candidates if n.lower().endswith(".shp")]
    pool = shps or candidates
    if not pool:
        return None, "没有 Shapefile、GeoPackage 或 GeoJSON 图层 (file: no layer found)"
    if len(pool) > 1:
        listed = ", ".join(pool)
        return None, f"有多个图层, 请用 --layer 指定: {listed} (layer: ambiguous)"
    return pool[0], None


_CPG_CODEPAGES = {
    "65001": "utf-8",
    "936": "gbk",
    "54936": "gb18030",
    "20936": "gb2312",
    "950": "big5",
    "28591": "latin-1",
}


def cpg_codec(text: str) -> str | None:
    """The Python codec a .cpg names ("UTF-8", "GBK", "936", "ANSI 936", "8859_1" ...), or None."""
    lines = text.strip().splitlines()
    name = lines[0].strip().upper() if lines else ""
    if not name:
        return None
    m = re.fullmatch(r"(?:ANSI\s*|CP\s*|WINDOWS-)?(\d+)", name)
    if m:
        number = m.group(1)
        if number.startswith("8859") and len(number) > 4:
            name = f"iso8859-{number[4:]}"
        else:
            name = _CPG_CODEPAGES.get(number, f"cp{number}")
    elif re.fullmatch(r"8859[_-]?\d+", name):
        name = "iso8859-" + re.sub(r"^8859[_-]?", "", name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _shapefile_encoding(cpg: bytes | None, dbf: bytes | None) -> tuple[str, str | None]:
    """(codec, warning) for the text of a .dbf: the .cpg's if it names one, else detected."""
    if cpg is not None:
        codec = cpg_codec(cpg.decode("ascii", errors="ignore"))
        if codec is not None:
            return codec, None
    detected = detect_dbf_encoding(dbf) if dbf is not None else "UTF-8"
    if detected is None:
        reason = (
            ".dbf 文字编码无法识别, 按 UTF-8 读取, 可能有乱码 (encoding: unknown, read as UTF-8)"
        )
        return "utf-8", reason
    return codecs.lookup(detected).name, None


def _resolve(path: Path, layer: str | None, file: str) -> tuple[_Source | None, list[Issue]]:
    """Where pyogrio should read from, and how to decode a Shapefile's .dbf text.

    Shapefiles are read without any recoding by GDAL (open option ENCODING=""); their field
    names and values are decoded here, with the .cpg's encoding when there is one and the
    detected one (UTF-8 or GBK) otherwise, tolerating characters cut at a field's end.
    """
    if path.is_dir():  # an unzipped folder: the layer file inside it
        names = sorted(p.name for p in path.iterdir() if p.is_file())
        member, problem = _pick_member(names, layer)
        if member is None:
            return None, [_issue(file, problem or "", field="layer", value=layer)]
        inner = None if member.lower().endswith(".shp") else layer
        return _resolve(path / member, inner, file)
    suffix = path.suffix.lower()
    warnings: list[Issue] = []
    if suffix == ".zip":
        try:
            with zipfile.ZipFile(path) as zf:
                names = [
                    n
                    for n in zf.namelist()
                    if not n.endswith("/")
                    and not n.startswith("__MACOSX/")
                    and not PurePosixPath(n).name.startswith(".")
                ]
                member, problem = _pick_member(names, layer)
                if member is None:
                    return None, [_issue(file, problem or "", field="layer", value=layer)]
                encoding = None
                is_shp = member.lower().endswith(".shp")
                if is_shp:
                    stem = member[:-4]
                    by_lower = {n.lower(): n for n in names}
                    dbf = by_lower.get((stem + ".dbf").lower())
                    cpg = by_lower.get((stem + ".cpg").lower())
                    encoding, note = _shapefile_encoding(
                        zf.read(cpg) if cpg else None, zf.read(dbf) if dbf else None
                    )
                    if note:
                        warnings.append(_issue(file, note, field="encoding", severity="warning"))
        except zipfile.BadZipFile as exc:
            return None, [_issue(file, f"压缩包无法打开: {exc} (file: bad zip)", field="file")]
        dataset = f"/vsizip/{path.resolve().as_posix()}/{member}"
        inner_layer = None if is_shp else layer
        source = _Source(dataset, inner_layer, encoding, is_shp)
    elif suffix == ".shp":
        sidecars = {p.suffix.lower(): p for p in path.parent.iterdir() if p.stem == path.stem}
        cpg = sidecars[".cpg"].read_bytes() if ".cpg" in sidecars else None
        dbf = sidecars[".dbf"].read_bytes() if ".dbf" in sidecars else None
        encoding, note = _shapefile_encoding(cpg, dbf)
        if note:
            warnings.append(_issue(file, note, field="encoding", severity="warning"))
        source = _Source(str(path), None, encoding, True)
    else:
        source = _Source(str(path), layer, None, False)

    if source.is_shapefile:
        return source, warnings
    try:
        layers = pyogrio.list_layers(source.dataset)
    except Exception as exc:
        return None, [_issue(file, f"无法读取文件: {exc} (file: unreadable)", field="file")]
    names = [str(n) for n, _ in layers]
    if source.layer is not None:
        if source.layer not in names:
            reason = f"找不到图层 {source.layer}, 文件中有: {', '.join(names)} (layer: not found)"
            return None, [_issue(file, reason, field="layer", value=source.layer)]
    elif len(names) > 1:
        polygonal = [str(n) for n, kind in layers if kind and "polygon" in str(kind).lower()]
        if len(polygonal) == 1:
            source.layer = polygonal[0]
        else:
            reason = f"文件中有多个图层, 请用 --layer 指定: {', '.join(names)} (layer: ambiguous)"
            return None, [_issue(file, reason, field="layer")]
    return source, []


# ---------------------------------------------------------------------- values
def _redecode(text: str, codec: str) -> str:
    """Text that pyogrio decoded as ISO-8859-1 (no recoding), decoded again with ``codec``.

    A multi-byte character cut at the end (a .dbf field or name is fixed-width) is dropped.
    """
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        return text
    return codecs.getincrementaldecoder(codec)(errors="replace").decode(raw, final=False)


def _decode_dbf_text(frame: gpd.GeoDataFrame, codec: str) -> gpd.GeoDataFrame:
    """Field names and text values of a Shapefile read without recoding, decoded."""
    geometry = frame.geometry.name
    data = {}
    for column in frame.columns:
        if column == geometry:
            continue
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values.dtype):
            values = pd.Series(
                [_redecode(v, codec) if isinstance(v, str) else v for v in values],
                index=frame.index,
                dtype=object,
            )
        data[_redecode(str(column), codec)] = values
    return gpd.GeoDataFrame(data, geometry=frame.geometry, crs=frame.crs)


def _text(value: Any) -> str | None:
    """A cell as stripped text; integral numbers without a decimal part; blanks as None."""
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return str(bool(value))
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating):
        if math.isnan(value) or math.isinf(value):
            return None
        if float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    if isinstance(value, pd.Timestamp | datetime):
        if pd.isna(value):
            return None
        return (
            value.date().isoformat()
            if value == pd.Timestamp(value).normalize()
            else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if value is pd.NA or value is pd.NaT:
        return None
    text = str(value).strip()
    return text or None


def _code(value: Any, field: str) -> str | None:
    """A code as text: full-width digits made ASCII (NFKC), spaces stripped.

    Administrative codes that a spreadsheet turned into "152223100001.0" or "1.52223100001E+11"
    are turned back into their digits.
    """
    text = _text(value)
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    if field in ADMIN_CODE_DIGITS:
        m = _DECIMAL_CODE_RE.match(text)
        if m:
            text = m.group(1)
        elif _SCIENTIFIC_RE.match(text):
            try:
                number = Decimal(text)
            except InvalidOperation:
                number = None
            if number is not None and number == number.to_integral_value():
                text = str(int(number))
    return text or None


def _map_columns(columns: Sequence[str], is_shapefile: bool) -> dict[str, str]:
    """Identifier -> column name as it is in the file.

    A .dbf field name holds at most 10 bytes, so Chinese headers of a UTF-8 Shapefile arrive
    cut short ("网格编码" as "网格编"): for a Shapefile, a header that is the beginning of
    exactly one known header (of a field not matched otherwise) maps to that field.
    """
    mapped = {ident: columns[i] for i, ident in map_headers(columns, GRID_HEADERS).items()}
    if not is_shapefile:
        return mapped
    taken = set(mapped.values())
    for column in columns:
        if column in taken:
            continue
        key = normalize_header(column)
        if len(key) < 3 or len(key.encode("utf-8")) < 8:  # too short to have been cut
            continue
        matches = {
            ident
            for ident, aliases in GRID_HEADERS.items()
            if ident not in mapped
            for alias in (ident, *aliases)
            if normalize_header(alias).startswith(key)
        }
        if len(matches) == 1:
            mapped[matches.pop()] = column
    return mapped


# ---------------------------------------------------------------------- geometry
def _polygonal(geom: shapely.Geometry) -> Polygon | MultiPolygon | None:
    """The polygonal parts of a geometry (e.g. after make_valid), or None if there are none."""
    if isinstance(geom, Polygon | MultiPolygon):
        return None if geom.is_empty else geom
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", []):
        if isinstance(part, Polygon) and not part.is_empty:
            parts.append(part)
        elif isinstance(part, MultiPolygon | GeometryCollection):
            sub = _polygonal(part)
            if sub is not None:
                parts.extend(sub.geoms if isinstance(sub, MultiPolygon) else [sub])
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else MultiPolygon(parts)


def _coords_bounds(geoms: np.ndarray) -> tuple[float, float, float, float] | None:
    present = [g for g in geoms if g is not None and not g.is_empty]
    if not present:
        return None
    b = shapely.bounds(np.asarray(present, dtype=object))
    return (
        float(np.nanmin(b[:, 0])),
        float(np.nanmin(b[:, 1])),
        float(np.nanmax(b[:, 2])),
        float(np.nanmax(b[:, 3])),
    )


def _is_lonlat(bounds: tuple[float, float, float, float] | None) -> bool:
    if bounds is None:
        return True
    minx, miny, maxx, maxy = bounds
    return (
        all(math.isfinite(v) for v in bounds)
        and -180 <= minx <= maxx <= 180
        and -90 <= miny <= maxy <= 90
    )


def _gcj_to_wgs(geoms: np.ndarray) -> np.ndarray:
    def shift(coords: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(coords[:, 0], coords[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geoms, shift)


def _to_wgs84(
    geoms: np.ndarray, declared: pyproj.CRS | None, crs: str | None, file: str
) -> tuple[np.ndarray | None, list[Issue]]:
    """The geometries in WGS 84, and the CRS problems and warnings (None if not convertible)."""
    issues: list[Issue] = []
    gcj = crs is not None and crs.strip().lower() in GCJ02_NAMES
    source = declared
    if crs is not None and not gcj:
        try:
            wanted = pyproj.CRS.from_user_input(crs.strip())
        except pyproj.exceptions.CRSError:
            reason = f"无法识别坐标系 {crs}, 请用 EPSG 代码, 如 EPSG:4549 (crs: unknown)"
            return None, [_issue(file, reason, field="crs", value=crs)]
        if declared is not None and not declared.equals(wanted):
            reason = (
                f"按指定的坐标系 {crs} 读取, 不用文件声明的 {declared.to_string()} "
                "(crs: overridden)"
            )
            issues.append(_issue(file, reason, field="crs", value=crs, severity="warning"))
        source = wanted
    if source is None:
        if not _is_lonlat(_coords_bounds(geoms)):
            reason = (
                "文件未声明坐标系, 坐标又不是经纬度; 请用 --crs 指定, 如 EPSG:4549 "
                "(crs: missing, coordinates are not longitude/latitude)"
            )
            return None, [*issues, _issue(file, reason, field="crs")]
        if not gcj:
            reason = "未声明坐标系, 按 WGS 84 读取 (crs: missing, read as WGS 84)"
            issues.append(_issue(file, reason, field="crs", severity="warning"))
        source = pyproj.CRS.from_epsg(4326)
    try:
        series = gpd.GeoSeries(geoms, crs=source).to_crs(4326)
        out = np.asarray(series.values, dtype=object)
    except Exception as exc:
        reason = f"无法从 {source.to_string()} 转换到 WGS 84: {exc} (crs: cannot convert)"
        return None, [*issues, _issue(file, reason, field="crs")]
    if not _is_lonlat(_coords_bounds(out)):
        reason = (
            f"按坐标系 {source.to_string()} 转换后坐标不是经纬度, 坐标系有误? 请用 --crs 指定 "
            "(crs: coordinates out of range, wrong CRS?)"
        )
        return None, [*issues, _issue(file, reason, field="crs", value=source.to_string())]
    if gcj:
        out = _gcj_to_wgs(out)
    bounds = _coords_bounds(out)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds
        cminx, cminy, cmaxx, cmaxy = CHINA_BOUNDS
        if minx < cminx or maxx > cmaxx or miny < cminy or maxy > cmaxy:
            extent = f"{minx:.4f},{miny:.4f},{maxx:.4f},{maxy:.4f}"
            reason = "坐标不在中国范围内, 请检查坐标系 (crs: outside China)"
            issues.append(_issue(file, reason, field="crs", value=extent, severity="warning"))
    return out, issues


# ---------------------------------------------------------------------- checks
def _check_attributes(
    values: dict[str, list[str | None]],
    columns: dict[str, str],
    n: int,
    file: str,
) -> tuple[list[Issue], list[Issue]]:
    """(errors, warnings) of the attribute values; rows are 1-based feature numbers."""
    errors: list[Issue] = []
    warnings: list[Issue] = []

    def err(i: int, field: str, reason: str) -> None:
        errors.append(
            _issue(
                file,
                reason,
                row=i + 1,
                column=columns.get(field),
                field=field,
                value=values[field][i],
            )
        )

    first_row: dict[str, int] = {}
    admin_codes = {
        code for field in ADMIN_CODE_DIGITS for code in values[field] if code is not None
    }
    for i in range(n):
        for field in REQUIRED:
            if field in columns and values[field][i] is None:
                err(i, field, f"{LABELS[field]}为空 ({field}: empty)")
        grid = values["grid_code"][i]
        if grid is not None:
            if grid in first_row:
                first = first_row[grid]
                err(
                    i,
                    "grid_code",
                    f"网格编码重复, 与第 {first} 行相同 (grid_code: duplicate of row {first})",
                )
            else:
                first_row[grid] = i + 1
            if grid in admin_codes:
                err(
                    i,
                    "grid_code",
                    "网格编码与村、乡镇或县编码相同 (grid_code: same as a village, township or county code)",
                )
        village = values["village_code"][i]
        village_ok = (
            village is not None and village.isdigit() and village.isascii() and len(village) == 12
        )
        for field, digits in ADMIN_CODE_DIGITS.items():
            code = values[field][i]
            if code is None:
                continue
            if not (code.isascii() and code.isdigit() and len(code) == digits):
                err(i, field, f"{LABELS[field]}应为 {digits} 位数字 ({field}: not {digits} digits)")
            elif field != "village_code" and village_ok and code != village[:digits]:
                err(
                    i,
                    field,
                    f"{LABELS[field]}与村编码前 {digits} 位 {village[:digits]} 不一致 "
                    f"({field}: not the first {digits} digits of village_code)",
                )
        kind = values["village_kind"][i]
        if kind is not None and kind not in VILLAGE_KINDS:
            err(
                i,
                "village_kind",
                "村类型应为 村、嘎查 或 社区 (village_kind: not one of 村, 嘎查, 社区)",
            )

    # One name (and kind) per unit code: the first is used, others are reported.
    for code_field, name_field in (
        ("village_code", "village_name"),
        ("village_code", "village_kind"),
        ("township_code", "township_name"),
        ("county_code", "county_name"),
    ):
        seen: dict[str, tuple[int, str | None]] = {}
        for i in range(n):
            code = values[code_field][i]
            if code is None:
                continue
            name = values[name_field][i]
            if code not in seen:
                seen[code] = (i + 1, name)
            elif name != seen[code][1] and name is not None:
                first, first_name = seen[code]
                reason = (
                    f"同一{LABELS[code_field]} {code} 有不同的{LABELS[name_field]}, "
                    f"采用第 {first} 行的 {first_name} ({name_field}: differs within {code_field})"
                )
                warnings.append(
                    _issue(
                        file,
                        reason,
                        row=i + 1,
                        column=columns.get(name_field),
                        field=name_field,
                        value=name,
                        severity="warning",
                    )
                )
    return errors, warnings


def _check_geometries(geoms: np.ndarray, file: str) -> tuple[np.ndarray, np.ndarray, list[Issue]]:
    """(2-D geometries, ok mask, errors) of the raw geometries: empty ones, non-polygons."""
    errors: list[Issue] = []
    out = np.empty(len(geoms), dtype=object)
    ok = np.zeros(len(geoms), dtype=bool)
    for i, geom in enumerate(geoms):
        if geom is None or geom.is_empty:
            reason = "几何为空 (geometry: empty)"
            value = None if geom is None else geom.geom_type
            errors.append(_issue(file, reason, row=i + 1, field="geometry", value=value))
            continue
        geom = shapely.force_2d(geom)
        if isinstance(geom, GeometryCollection) and all(
            isinstance(part, Polygon | MultiPolygon) for part in geom.geoms
        ):
            geom = _polygonal(geom)  # a collection of polygons only: a multipolygon
        if not isinstance(geom, Polygon | MultiPolygon):
            kind = geom.geom_type if geom is not None else None
            reason = f"几何类型 {kind} 不是面 (geometry: not a polygon)"
            errors.append(_issue(file, reason, row=i + 1, field="geometry", value=kind))
            continue
        out[i] = geom
        ok[i] = True
    return out, ok, errors


def _repair(geoms: np.ndarray, ok: np.ndarray, file: str) -> tuple[list[Issue], list[Issue]]:
    """Make invalid polygons valid in place (polygonal parts only): a warning per feature."""
    errors: list[Issue] = []
    warnings: list[Issue] = []
    for i in np.flatnonzero(ok):
        geom = geoms[i]
        if shapely.is_valid(geom):
            continue
        why = shapely.is_valid_reason(geom)
        fixed = _polygonal(shapely.make_valid(geom))
        if fixed is None:
            reason = f"几何无效且无法修复为面: {why} (geometry: invalid, cannot be repaired)"
            errors.append(_issue(file, reason, row=int(i) + 1, field="geometry", value=why))
            continue
        geoms[i] = fixed
        reason = f"几何无效, 已修复: {why} (geometry: invalid, repaired)"
        warnings.append(
            _issue(file, reason, row=int(i) + 1, field="geometry", value=why, severity="warning")
        )
    return errors, warnings


def _sorted(issues: list[Issue]) -> list[Issue]:
    """File-level issues first, then by row (stable: the order found within a row)."""
    return sorted(issues, key=lambda x: (x.row is not None, x.row or 0))


# ---------------------------------------------------------------------- read
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
    if not path.exists():
        raise LoadError(file, [_issue(file, "文件不存在 (file: not found)", field="file")])
    source, problems = _resolve(path, layer, file)
    if source is None:
        raise LoadError(file, problems)
    options: dict[str, Any] = {"ENCODING": ""} if source.is_shapefile else {}
    try:
        frame = gpd.read_file(source.dataset, layer=source.layer, engine="pyogrio", **options)
    except Exception as exc:
        raise LoadError(
            file, [_issue(file, f"无法读取文件: {exc} (file: unreadable)", field="file")]
        ) from exc
    if source.is_shapefile and source.encoding:
        frame = _decode_dbf_text(frame, source.encoding)
    n = len(frame)
    if n == 0:
        raise LoadError(file, [_issue(file, "文件中没有要素 (file: no features)", field="file")])

    errors: list[Issue] = []
    warnings: list[Issue] = list(problems)

    # Attributes
    attribute_columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    columns = _map_columns(attribute_columns, source.is_shapefile)
    for field in REQUIRED:
        if field not in columns:
            errors.append(
                _issue(
                    file,
                    f"缺少必填列 {LABELS[field]} ({field}: missing column)",
                    field=field,
                )
            )
    values: dict[str, list[str | None]] = {}
    for field in GRID_COLUMNS:
        if field not in columns:
            values[field] = [None] * n
            continue
        raw = frame[columns[field]].tolist()
        if field in CODE_FIELDS:
            values[field] = [_code(v, field) for v in raw]
        elif field == "village_kind":
            values[field] = [
                None if (t := _text(v)) is None else unicodedata.normalize("NFKC", t).strip()
                for v in raw
            ]
        else:
            values[field] = [_text(v) for v in raw]
    for field in ("township_code", "county_code"):
        if field not in columns:
            digits = ADMIN_CODE_DIGITS[field]
            values[field] = [
                v[:digits] if v is not None and len(v) >= digits else None
                for v in values["village_code"]
            ]
    attr_errors, attr_warnings = _check_attributes(values, columns, n, file)
    errors += attr_errors
    warnings += attr_warnings

    # Geometry
    raw_geoms = np.asarray(frame.geometry.values, dtype=object)
    geoms, ok, geom_errors = _check_geometries(raw_geoms, file)
    errors += geom_errors
    converted, crs_issues = _to_wgs84(geoms, frame.crs, crs, file)
    errors += [x for x in crs_issues if x.severity == "error"]
    warnings += [x for x in crs_issues if x.severity != "error"]
    if converted is not None:
        rep_errors, rep_warnings = _repair(converted, ok, file)
        errors += rep_errors
        warnings += rep_warnings

    if errors:
        raise LoadError(file, _sorted(errors))

    data = pd.DataFrame({field: pd.Series(values[field], dtype=object) for field in GRID_COLUMNS})
    out = gpd.GeoDataFrame(
        data, geometry=gpd.GeoSeries(list(converted), crs="EPSG:4326"), crs="EPSG:4326"
    )
    return out, _sorted(warnings)


# ---------------------------------------------------------------------- load
def file_sha256(path: str | Path) -> str:
    """SHA-256 of the file's bytes.

    For a Shapefile, of its .shp, .shx, .dbf, .prj and .cpg in turn (the attributes live in the
    .dbf); for a folder, of every file in it, by name.
    """
    path = Path(path)
    digest = hashlib.sha256()
    parts = [path]
    if path.is_dir():
        parts = sorted((p for p in path.iterdir() if p.is_file()), key=lambda p: p.name)
    elif path.suffix.lower() == ".shp":
        sidecars = {p.suffix.lower(): p for p in path.parent.iterdir() if p.stem == path.stem}
        parts = [sidecars[s] for s in SHAPEFILE_PARTS if s in sidecars]
    for part in parts:
        if path.is_dir():
            digest.update(part.name.encode("utf-8"))
        with part.open("rb") as fh:
            for block in iter(lambda fh=fh: fh.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


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
            issues.append(_issue(file, reason, field=field, value=code))
    return issues


def load_grids(
    store: Store, path: str | Path, *, layer: str | None = None, crs: str | None = None
) -> LoadReport:
    """Read a grid layer and write it in one transaction: grids, their outlines, the load record.

    Grids are upserted by grid_code; village, township and county outlines are rebuilt as the
    union of their grids. When households are loaded, every month's figures are recomputed in
    the same transaction. Raises :class:`LoadError` (nothing written) if the file has errors.
    """
    file = str(path)
    grids, warnings = read_grids(path, layer=layer, crs=crs)
    sha = file_sha256(path)
    seen_before = store.already_loaded("grids", sha, None)
    with store.write(load=True) as conn:
        conflicts = _level_conflicts(store, conn, grids, file)
        if conflicts:
            raise LoadError(file, conflicts)
        loaded = store.upsert_grids(conn, grids)
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
    return LoadReport(
        file=file,
        kind="grids",
        rows_read=len(grids),
        rows_loaded=loaded,
        rows_rejected=0,
        warnings=warnings,
        unchanged=seen_before,
    )
