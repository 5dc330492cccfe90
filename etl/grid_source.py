"""Where a grid layer is read from: a file, a folder or a zip, which layer, which .dbf encoding."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pyogrio

from .dbf_text import shapefile_encoding
from .errors import Issue
from .grid_issues import grid_issue
from .limits import unreadable_layer

LAYER_SUFFIXES = (".shp", ".gpkg", ".geojson", ".json")


@dataclass
class LayerSource:
    """What pyogrio opens: the dataset path (maybe /vsizip/), layer and .dbf encoding."""

    dataset: str
    layer: str | None
    encoding: str | None
    is_shapefile: bool


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


def resolve_source(
    path: Path, layer: str | None, file: str
) -> tuple[LayerSource | None, list[Issue]]:
    """Where pyogrio should read from, and how to decode a Shapefile's .dbf text.

    Shapefiles are read without any recoding by GDAL (open option ENCODING=""); their field
    names and values are decoded here, with the .cpg's encoding when there is one and the
    detected one (UTF-8 or GBK) otherwise, tolerating characters cut at a field's end.
    """
    if path.is_dir():  # an unzipped folder: the layer file inside it
        names = sorted(p.name for p in path.iterdir() if p.is_file())
        member, problem = _pick_member(names, layer)
        if member is None:
            return None, [grid_issue(file, problem or "", field="layer", value=layer)]
        inner = None if member.lower().endswith(".shp") else layer
        return resolve_source(path / member, inner, file)
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
                    return None, [grid_issue(file, problem or "", field="layer", value=layer)]
                encoding = None
                is_shp = member.lower().endswith(".shp")
                if is_shp:
                    stem = member[:-4]
                    by_lower = {n.lower(): n for n in names}
                    dbf = by_lower.get((stem + ".dbf").lower())
                    cpg = by_lower.get((stem + ".cpg").lower())
                    encoding, note = shapefile_encoding(
                        zf.read(cpg) if cpg else None, zf.read(dbf) if dbf else None
                    )
                    if note and encoding is None:
                        return None, [grid_issue(file, note, field="encoding")]
                    if note:
                        warnings.append(
                            grid_issue(file, note, field="encoding", severity="warning")
                        )
        except zipfile.BadZipFile as exc:
            return None, [grid_issue(file, f"压缩包无法打开: {exc} (file: bad zip)", field="file")]
        dataset = f"/vsizip/{path.resolve().as_posix()}/{member}"
        inner_layer = None if is_shp else layer
        source = LayerSource(dataset, inner_layer, encoding, is_shp)
    elif suffix == ".shp":
        sidecars = {p.suffix.lower(): p for p in path.parent.iterdir() if p.stem == path.stem}
        cpg = sidecars[".cpg"].read_bytes() if ".cpg" in sidecars else None
        dbf = sidecars[".dbf"].read_bytes() if ".dbf" in sidecars else None
        encoding, note = shapefile_encoding(cpg, dbf)
        if note and encoding is None:
            return None, [grid_issue(file, note, field="encoding")]
        if note:
            warnings.append(grid_issue(file, note, field="encoding", severity="warning"))
        source = LayerSource(str(path), None, encoding, True)
    else:
        source = LayerSource(str(path), layer, None, False)

    if source.is_shapefile:
        return source, warnings
    try:
        layers = pyogrio.list_layers(source.dataset)
    except Exception as exc:
        return None, [unreadable_layer(file, exc)]
    names = [str(n) for n, _ in layers]
    if source.layer is not None:
        if source.layer not in names:
            reason = f"找不到图层 {source.layer}, 文件中有: {', '.join(names)} (layer: not found)"
            return None, [grid_issue(file, reason, field="layer", value=source.layer)]
    elif len(names) > 1:
        polygonal = [str(n) for n, kind in layers if kind and "polygon" in str(kind).lower()]
        if len(polygonal) == 1:
            source.layer = polygonal[0]
        else:
            reason = f"文件中有多个图层, 请用 --layer 指定: {', '.join(names)} (layer: ambiguous)"
            return None, [grid_issue(file, reason, field="layer")]
    return source, []
