"""The text of a Shapefile's .dbf: its encoding (the .cpg's, else detected) and decoding it.

Shapefiles are read without any recoding by GDAL; their field names and values are decoded
here, tolerating characters cut at a fixed-width field's end.
"""

from __future__ import annotations

import codecs
import re

import geopandas as gpd
import pandas as pd


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


def _text_chunks(raw: bytes) -> list[bytes]:
    """The field names and every non-ASCII field of every record of a .dbf."""
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
    return chunks


def detect_dbf_encoding(raw: bytes) -> str | None:
    """The text encoding of a .dbf from its bytes: "UTF-8", "GBK", "GB18030" or None.

    Looks at the field names in the header and every field of every record. Bytes that are
    valid UTF-8 (including plain ASCII) give "UTF-8"; otherwise GBK (then GB18030), the
    encoding of Chinese GIS desktops; None when neither fits.
    """
    chunks = _text_chunks(raw)
    for encoding in ("UTF-8", "GBK", "GB18030"):
        if _decodes(chunks, encoding):
            return encoding
    return None


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


def shapefile_encoding(cpg: bytes | None, dbf: bytes | None) -> tuple[str | None, str | None]:
    """(codec, note) for the text of a .dbf: the .cpg's if it names one and the bytes decode
    so, else detected. A note with a codec is a warning; with no codec (a .cpg the bytes do
    not fit and no encoding that does), an error: the layer is refused."""
    if cpg is not None:
        codec = cpg_codec(cpg.decode("ascii", errors="ignore"))
        if codec is not None:
            if dbf is None or _decodes(_text_chunks(dbf), codec):
                return codec, None
            # a .cpg that says UTF-8 over GBK bytes (or the like): believe the bytes
            detected = detect_dbf_encoding(dbf)
            said = cpg.decode("ascii", errors="replace").strip()
            if detected is None:
                return None, (
                    f".dbf 文字不是 .cpg 所写的 {said} 编码, 也不是 UTF-8 或 GBK: 无法读取, 请更正 .cpg "
                    f"(encoding: the .dbf text is not {said} as its .cpg says, nor UTF-8 or GBK)"
                )
            return codecs.lookup(detected).name, (
                f".dbf 文字不是 .cpg 所写的 {said} 编码, 按检测到的 {detected} 读取, 请核对名称 "
                f"(encoding: the .dbf text is not {said} as its .cpg says; read as detected {detected})"
            )
    detected = detect_dbf_encoding(dbf) if dbf is not None else "UTF-8"
    if detected is None:
        reason = (
            ".dbf 文字编码无法识别, 按 UTF-8 读取, 可能有乱码 (encoding: unknown, read as UTF-8)"
        )
        return "utf-8", reason
    return codecs.lookup(detected).name, None


def _redecode(text: str, codec: str) -> str:
    """Text that pyogrio decoded as ISO-8859-1 (no recoding), decoded again with ``codec``.

    A multi-byte character cut at the end (a .dbf field or name is fixed-width) is dropped.
    """
    try:
        raw = text.encode("latin-1")
    except UnicodeEncodeError:
        return text
    return codecs.getincrementaldecoder(codec)(errors="replace").decode(raw, final=False)


def decode_dbf_text(frame: gpd.GeoDataFrame, codec: str) -> gpd.GeoDataFrame:
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
