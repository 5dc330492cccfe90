"""Malformed input files for the load fuzz test (``tests/test_fuzz_loads.py``): a valid file of
each kind, then mutations drawn by hypothesis (headers, cells, rows, bytes, encodings,
geometries, formats). Every file is made from a seed, so a failing case can be rebuilt."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import openpyxl
import shapely
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from shapely.geometry import LineString, Point, Polygon, mapping

from tests.factories import county_file, tiny_grids

DATA = Path(__file__).parent / "data"
MONTH = "2024-10"
GRID_CODES = list(tiny_grids()["grid_code"])

# values a county office's file may hold where it should not
ODD_VALUES = (
    "",
    " ",
    "abc",
    "-1",
    "-0.5",
    "0",
    "1e300",
    "-1e300",
    "2147483648",
    "9" * 30,
    "NaN",
    "inf",
    "１２３",
    "=1+1",
    "@SUM(A1)",
    "+86",
    "-cmd|' /C calc'!A0",
    "2024-13-45",
    "1900-01-00",
    "202499",
    "是否",
    "\u200b",
    "'",
    '"',
    "a\nb",
    "\t",
    "x" * 100_000,
    "网" * 2_000,
    "152223101001001.0",
    "1522231010010011522231010010",
)
# typed cells (an Excel sheet's numbers, dates and booleans; as text in a CSV)
TYPED_VALUES = (
    1e300,
    -1e300,
    -5,
    0.1,
    2147483648,
    152223197001010011,
    True,
    dt.datetime(1900, 1, 1),
    dt.datetime(9999, 12, 31, 23, 59),
    dt.date(2024, 10, 1),
)
TABLE_MUTATIONS = (
    "typed",
    "cell",
    "cells",
    "drop_column",
    "rename_header",
    "random_headers",
    "duplicate_row",
    "header_only",
    "empty",
    "garbage",
    "truncate",
    "mixed_encoding",
    "blank_lines",
    "ragged",
    "long_cell",
)
GRID_MUTATIONS = (
    "crs",
    "nan_coordinates",
    "drop_member",
    "cell",
    "drop_column",
    "rename_header",
    "duplicate_code",
    "point",
    "line",
    "empty_geometry",
    "null_geometry",
    "bowtie",
    "far_away",
    "huge_coordinates",
    "no_features",
    "garbage",
    "truncate",
    "long_cell",
    "no_geometry",
)
TABLE_FORMATS = ("csv", "csv_gbk", "xlsx")
GRID_FORMATS = ("geojson", "gpkg", "shp_zip")


@dataclass
class Case:
    """One generated file: its kind, format, the mutations applied and the path written."""

    kind: str
    fmt: str
    mutations: tuple[str, ...]
    seed: int
    path: Path


def _household_rows() -> list[list[str]]:
    rows = county_file(3, 8, 1, 2, GRID_CODES, others=3)
    header = list(rows[0])
    return [header, *([r[h] for h in header] for r in rows)]


def _csv_rows(name: str) -> list[list[str]]:
    text = (DATA / name).read_text(encoding="utf-8-sig")
    return [r for r in csv.reader(io.StringIO(text))]


def base_rows(kind: str) -> list[list[str]]:
    """The valid table of ``kind`` (title rows included for the national export)."""
    if kind == "households":
        return _household_rows()
    if kind == "members":
        return _csv_rows("national_members_example.csv")
    if kind == "assignments":
        return _csv_rows("assignments_example.csv")
    if kind == "sites":
        return [
            ["安置点编码", "安置点名称", "乡镇编码", "经度", "纬度", "安置户数", "安置人数"],
            ["AZ01", "好力保安置点", "152223101", "122.90", "46.70", "12", "40"],
            ["AZ02", "五家子安置点", "152223101", "122.95", "46.66", "5", "17"],
        ]
    if kind == "warnings":
        return [
            ["证件号码", "户编号", "来源部门", "预警类型", "金额", "发生日期"],
            ["", "1522231010010001", "医保", "大额医疗支出", "52000", "2024-10-08"],
            ["", "1522231010010002", "民政", "收入骤减", "", "2024-10-12"],
        ]
    raise KeyError(kind)


def _odd(rng: random.Random, text: str | None) -> str:
    if text is not None and rng.random() < 0.3:
        return text
    return rng.choice(ODD_VALUES)


def _header_index(rows: list[list[str]]) -> int:
    """The header row (the longest of the first rows)."""
    return max(range(min(len(rows), 4)), key=lambda i: len(rows[i]))


def _set(rows: list[list[object]], r: int, c: int, value: object) -> None:
    """Cell (r, c) of ``rows`` set to ``value``; a short row (a ragged one) is padded."""
    row = rows[r]
    row.extend([""] * (c + 1 - len(row)))
    row[c] = value


def mutate_rows(
    rows: list[list[str]], mutation: str, rng: random.Random, text: str | None
) -> list[list[str]]:
    """``rows`` with one table mutation applied (the byte-level ones are applied later)."""
    rows = [list(r) for r in rows]
    h = _header_index(rows)
    width = len(rows[h])
    data = list(range(h + 1, len(rows)))
    if mutation == "cell" and data:
        _set(rows, rng.choice(data), rng.randrange(width), _odd(rng, text))
    elif mutation == "typed" and data:
        for _ in range(rng.randint(1, 6)):
            _set(rows, rng.choice(data), rng.randrange(width), rng.choice(TYPED_VALUES))
    elif mutation == "cells" and data:
        for _ in range(rng.randint(2, 8)):
            _set(rows, rng.choice(data), rng.randrange(width), _odd(rng, text))
    elif mutation == "long_cell" and data:
        _set(rows, rng.choice(data), rng.randrange(width), rng.choice(("x", "网", "9")) * 100_000)
    elif mutation == "drop_column":
        c = rng.randrange(width)
        rows = [r[:c] + r[c + 1 :] for r in rows]
    elif mutation == "rename_header":
        _set(rows, h, rng.randrange(width), _odd(rng, text))
    elif mutation == "random_headers":
        rows[h] = [f"{text or ''}{rng.randrange(10**6)}" for _ in rows[h]]
    elif mutation == "duplicate_row" and data:
        rows.append(list(rows[rng.choice(data)]))
    elif mutation == "header_only":
        rows = rows[: h + 1]
    elif mutation == "blank_lines" and data:
        for _ in range(rng.randint(1, 3)):
            rows.insert(rng.randint(h + 1, len(rows)), [""] * width)
    elif mutation == "ragged" and data:
        r = rng.choice(data)
        rows[r] = rows[r][: rng.randrange(width)] + (["extra"] * rng.randint(0, 3))
    return rows


def _clean_for_xlsx(value: object) -> object:
    if not isinstance(value, str):
        return value
    return ILLEGAL_CHARACTERS_RE.sub("", value)[:32_000]  # an Excel cell holds 32,767


def write_table(rows: list[list[str]], path: Path, fmt: str) -> bytes:
    """The table as CSV (UTF-8 with BOM, or GBK) or XLSX bytes."""
    if fmt == "xlsx":
        book = openpyxl.Workbook(write_only=True)
        sheet = book.create_sheet("监测对象")
        for row in rows:
            sheet.append([_clean_for_xlsx(v) for v in row])
        buffer = io.BytesIO()
        book.save(buffer)
        return buffer.getvalue()
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    text = out.getvalue()
    if fmt == "csv_gbk":
        return text.encode("gbk", errors="replace")
    return text.encode("utf-8-sig", errors="surrogatepass")


def mutate_bytes(data: bytes, mutation: str, rng: random.Random) -> bytes:
    """The byte-level mutations: empty, garbage, truncated, half UTF-8 half GBK."""
    if mutation == "empty":
        return b""
    if mutation == "garbage":
        return rng.randbytes(rng.randint(1, 4096))
    if mutation == "truncate" and len(data) > 2:
        return data[: rng.randrange(1, len(data) - 1)]
    if mutation == "mixed_encoding":
        text = data.decode("utf-8-sig", errors="ignore")
        cut = len(text) // 2
        return text[:cut].encode("utf-8") + text[cut:].encode("gbk", errors="replace")
    return data


def table_case(
    kind: str, fmt: str, mutations: tuple[str, ...], seed: int, text: str | None, folder: Path
) -> Case:
    """A ``kind`` file in ``fmt`` with ``mutations`` applied, written into ``folder``."""
    rng = random.Random(seed)
    rows = base_rows(kind)
    for m in mutations:
        rows = mutate_rows(rows, m, rng, text)
    suffix = ".xlsx" if fmt == "xlsx" else ".csv"
    data = write_table(rows, folder / "x", fmt)
    for m in mutations:
        data = mutate_bytes(data, m, rng)
    path = folder / f"{kind}-{seed}{suffix}"
    path.write_bytes(data)
    return Case(kind, fmt, mutations, seed, path)


def _grid_features(mutations: tuple[str, ...], rng: random.Random, text: str | None) -> dict:
    grids = tiny_grids()
    collection = json.loads(grids.to_json())
    features = collection["features"]
    for m in mutations:
        if not features:
            break
        f = rng.choice(features)
        props = f["properties"]
        if m == "cell":
            props[rng.choice(list(props))] = _odd(rng, text)
        elif m == "long_cell":
            props[rng.choice(list(props))] = "9" * 100_000
        elif m == "drop_column":
            key = rng.choice(list(props))
            for g in features:
                g["properties"].pop(key, None)
        elif m == "rename_header":
            key = rng.choice(list(props))
            new = (text or "col") + str(rng.randrange(100))
            for g in features:
                g["properties"][new] = g["properties"].pop(key, None)
        elif m == "duplicate_code":
            features.append(json.loads(json.dumps(f)))
        elif m == "point":
            f["geometry"] = mapping(Point(122.9, 46.7))
        elif m == "line":
            f["geometry"] = mapping(LineString([(122.9, 46.7), (122.95, 46.72)]))
        elif m == "empty_geometry":
            f["geometry"] = {"type": "Polygon", "coordinates": []}
        elif m == "null_geometry":
            f["geometry"] = None
        elif m == "bowtie":
            bow = Polygon([(122.9, 46.6), (123.0, 46.7), (123.0, 46.6), (122.9, 46.7)])
            f["geometry"] = mapping(bow)
        elif m == "far_away":
            f["geometry"] = mapping(shapely.box(-70.0, -30.0, -69.9, -29.9))
        elif m == "huge_coordinates":
            f["geometry"] = mapping(shapely.box(1e12, 1e12, 2e12, 2e12))
        elif m == "no_features":
            features.clear()
        elif m == "no_geometry":
            for g in features:
                g.pop("geometry", None)
        elif m == "crs":
            name = rng.choice(("EPSG::3857", "EPSG::4549", "EPSG::999999", "nonsense"))
            collection["crs"] = {"type": "name", "properties": {"name": f"urn:ogc:def:crs:{name}"}}
        elif m == "nan_coordinates":
            f["geometry"] = {"type": "Polygon", "coordinates": [[[float("nan"), 46.7]] * 4]}
    return collection


def grid_case(
    fmt: str, mutations: tuple[str, ...], seed: int, text: str | None, folder: Path
) -> Case:
    """A grid layer (GeoJSON, GeoPackage or zipped Shapefile) with ``mutations`` applied."""
    rng = random.Random(seed)
    collection = _grid_features(mutations, rng, text)
    geojson = json.dumps(collection, ensure_ascii=False).encode("utf-8")
    suffix = {"geojson": ".geojson", "gpkg": ".gpkg", "shp_zip": ".zip"}[fmt]
    path = folder / f"grids-{seed}{suffix}"
    data = geojson
    if fmt != "geojson":
        data = _converted(geojson, fmt, folder, seed) or geojson
    if "drop_member" in mutations and fmt == "shp_zip" and data[:2] == b"PK":
        data = _drop_member(data, rng)
    for m in mutations:
        data = mutate_bytes(data, m, rng)
    path.write_bytes(data)
    return Case("grids", fmt, mutations, seed, path)


def _drop_member(data: bytes, rng: random.Random) -> bytes:
    """The zipped Shapefile without one of its files (.shx, .dbf, .prj ...)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {n: zf.read(n) for n in zf.namelist()}
    members.pop(rng.choice(sorted(members)))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return buffer.getvalue()


def _converted(geojson: bytes, fmt: str, folder: Path, seed: int) -> bytes | None:
    """The GeoJSON as a GeoPackage or zipped Shapefile; None when GDAL cannot write it (then
    the GeoJSON itself is used, under the other name: a file of the wrong kind)."""
    try:
        frame = gpd.read_file(io.BytesIO(geojson), engine="pyogrio")
        if "geometry" not in frame or frame.empty:
            return None
        work = folder / f"conv-{seed}"
        work.mkdir(exist_ok=True)
        if fmt == "gpkg":
            target = work / "g.gpkg"
            frame.to_file(target, driver="GPKG", engine="pyogrio")
            return target.read_bytes()
        frame.to_file(work / "grids.shp", engine="pyogrio", encoding="UTF-8")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zf:
            for part in work.iterdir():
                if part.stem == "grids":
                    zf.write(part, part.name)
        return buffer.getvalue()
    except Exception:  # GDAL refuses the mutated layer (mixed geometry kinds ...)
        return None
