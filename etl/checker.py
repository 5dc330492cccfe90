"""Issues of a table's rows, collected column by column; the rows with errors are marked bad."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .errors import Issue
from .headers import HOUSEHOLD_HEADERS
from .id_numbers import NUMBER_CELL_REASON, TRAILING_000_REASON, check_id_numbers, excel_cut_ids
from .readers import Table

OLD15_REASON = "15位旧证件号码, 已接受并标记 (id_number: old 15-digit number, flagged)"


class Checker:
    """Collects issues column by column, with the row number as Excel shows it."""

    def __init__(self, table: Table, headers: dict[str, tuple[str, ...]] = HOUSEHOLD_HEADERS):
        self.table = table
        self.headers = headers
        self.errors: list[Issue] = []
        self.warnings: list[Issue] = []
        self.bad = np.zeros(len(table.frame), dtype=bool)
        self.reasons: dict[int, list[str]] = {}
        self._raw: dict[str | None, pd.Series] = {}
        self._excel_rows: np.ndarray | None = None

    def record_load(
        self,
        store: Any,
        conn: Any,
        report: Any,
        *,
        kind: str,
        path: Any,
        sha256: str,
        month: str | None,
    ) -> None:
        """Write the record of this file's load (rows read, loaded, rejected) in the load's
        transaction, and put the counts on ``report``."""
        read, rejected = len(self.table.frame), int(self.bad.sum())
        store.record_load(
            conn,
            kind=kind,
            path=str(path),
            sha256=sha256,
            month=month,
            rows_read=read,
            rows_loaded=read - rejected,
            rows_rejected=rejected,
        )
        report.rows_loaded = read - rejected
        report.rows_rejected = rejected

    def check_ids(
        self, values: pd.Series, *, flag_old15: bool = True
    ) -> tuple[pd.Series, np.ndarray, np.ndarray]:
        """The ``id_number`` column checked and flagged: a bad number (length, check digit,
        birth date) and one Excel cut to 15 digits (a number cell) are errors, one ending in 000
        a warning, an old 15-digit one a warning when ``flag_old15``. (normalised numbers, the
        rows with an error, the rows of old 15-digit numbers)."""
        ids, bad, reason = check_id_numbers(values)
        for why in reason[bad].unique():
            self.flag("id_number", (reason == why).to_numpy() & bad.to_numpy(), why)
        old15 = (reason == "old15").to_numpy()
        if flag_old15:
            self.flag("id_number", old15, OLD15_REASON, warning=True)
        # Excel habits: an ID number typed into a number cell has lost its last digits
        cells = self.table.number_cells.get(self.table.column_of("id_number") or "")
        cut, cut000 = excel_cut_ids(ids, cells)
        self.flag("id_number", cut, NUMBER_CELL_REASON)
        self.flag("id_number", cut000, TRAILING_000_REASON, warning=True)
        return ids, bad.to_numpy(dtype=bool) | cut, old15

    def raw(self, ident: str) -> pd.Series:
        """A field's cells as read (text); "" in every row when the file has no such column."""
        col = self.table.column_of(ident)
        if col is None:
            return pd.Series("", index=self.table.frame.index, dtype=object)
        return self._column(col)

    def _column(self, col: str) -> pd.Series:
        if col not in self._raw:
            self._raw[col] = self.table.frame[col].astype(str)
        return self._raw[col]

    def flag(
        self,
        ident: str,
        mask: pd.Series | np.ndarray,
        reason: str,
        warning: bool = False,
        column: str | None = None,
    ) -> None:
        """``reason`` for the rows of ``mask``: errors (those rows become bad, and the reason goes
        to the rejects file) or, with ``warning``, warnings. ``column``: read and report that
        column of the file instead of the field's."""
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        header = column or self.table.column_of(ident) or self.headers.get(ident, (ident,))[0]
        raw = self.raw(ident) if column is None else self._column(column)
        rows = np.flatnonzero(mask)
        if self._excel_rows is None:
            self._excel_rows = self.table.excel_rows.to_numpy()
        excel_rows = self._excel_rows[rows].tolist()
        values = raw.take(rows).tolist()
        severity = "warning" if warning else "error"
        issues = [
            Issue(
                file=self.table.file,
                sheet=self.table.sheet,
                row=int(row),
                column=header,
                field=ident,
                value=value,
                reason=reason,
                severity=severity,
            )
            for row, value in zip(excel_rows, values, strict=True)
        ]
        if warning:
            self.warnings.extend(issues)
            return
        self.errors.extend(issues)
        self.bad[rows] = True
        text = f"{header}: {reason}"
        for i in rows.tolist():
            self.reasons.setdefault(i, []).append(text)
