"""File names of the briefings: only letters (CJK too), digits, ``-`` and ``_``, well under
255 bytes, so they are safe on Windows, Linux and a USB stick."""

from __future__ import annotations

import re

from geodata import Store

# File names: letters (any script, CJK too), digits, - and _; the rest becomes one _.
_UNSAFE_RUN = re.compile(r"[^\w-]+")
NAME_BYTES = 120  # at most this many UTF-8 bytes of the unit's name in a file name
CODE_BYTES = 40


def safe_part(text: str, max_bytes: int, default: str) -> str:
    """Letters, digits, - and _ only (each other run of characters one _), at most
    ``max_bytes`` in UTF-8, cut at a character; ``default`` when nothing is left."""
    text = re.sub(r"_{2,}", "_", _UNSAFE_RUN.sub("_", text)).strip("_-")
    out = text.encode("utf-8")[:max_bytes].decode("utf-8", errors="ignore").strip("_-")
    return out or default


def file_stem(store: Store, code: str, month: str) -> str:
    """``<code>_<name>_<month>``, safe as a file name on Windows, Linux and a USB stick: only
    letters (CJK too), digits, - and _, and well under 255 bytes (names are cut to 120 bytes)."""
    unit = store.unit(code)
    name = safe_part(unit.name if unit else "", NAME_BYTES, "unit")
    return f"{safe_part(code, CODE_BYTES, 'unit')}_{name}_{safe_part(month, 16, 'month')}"


def problem_list_name(name: str, month: str) -> str:
    """The problem list download's file name, ``<name>_<month>_问题清单.xlsx``, same rules."""
    return f"{safe_part(name, NAME_BYTES, 'unit')}_{safe_part(month, 16, 'month')}_问题清单.xlsx"


def deck_name(code: str, month: str) -> str:
    """The PowerPoint deck's file name, ``brief_<code>_<month>.pptx``, with the same rules."""
    return f"brief_{safe_part(code, CODE_BYTES, 'unit')}_{safe_part(month, 16, 'month')}.pptx"
