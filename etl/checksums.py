"""SHA-256 of input files: how a load record tells that a file was loaded before."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")


def _hash_into(digest: Any, path: Path) -> None:
    """Feed the bytes of one file to ``digest``, a megabyte at a time."""
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)


def single_file_sha256(path: Path) -> str:
    """SHA-256 of one file's bytes."""
    digest = hashlib.sha256()
    _hash_into(digest, path)
    return digest.hexdigest()


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
        _hash_into(digest, part)
    return digest.hexdigest()
