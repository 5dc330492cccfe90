"""Text from the data written into spreadsheet files (reject files, Excel exports) so that no
spreadsheet program runs it as a formula (CSV/formula injection, OWASP): a text cell that
starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a leading
``'`` in CSV, and as a text cell (never a formula, shown with Excel's quote prefix) in XLSX.
A number written as text (``-12.5``) is left as it is. The readers drop a leading ``'`` again
(``etl.validate.clean``), so a corrected reject file loads as the user means it.
"""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def formula_like(value: object) -> bool:
    """Text a spreadsheet would take as a formula (not a plain number such as ``-5``)."""
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and _NUMBER.fullmatch(value) is None
    )


def csv_safe(value: Any) -> Any:
    """``value`` as a CSV cell: formula-like text gets a leading ``'``, the rest is unchanged."""
    return "'" + value if formula_like(value) else value


def protect_sheet(sheet: Any) -> int:
    """Make every formula-like cell of an openpyxl worksheet a text cell with Excel's quote
    prefix (openpyxl turns text starting with ``=`` into a formula); returns how many."""
    changed = 0
    for row in sheet.iter_rows():
        for cell in row:
            if formula_like(cell.value):
                cell.data_type = "s"
                cell.quotePrefix = True
                changed += 1
    return changed
