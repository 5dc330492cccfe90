"""Bulk writes of frames into the store's tables: the code behind ``Store``'s single write path.

On SQLite rows go many to a statement through ``executemany``; on PostgreSQL they go in one
``COPY`` (straight into the table for rows that are new, else through a temporary table and one
``INSERT ... ON CONFLICT``). Both store exactly what binding each value would store.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema


def upsert_rows(
    conn: Connection,
    postgres: bool,
    table: str,
    columns: Sequence[str],
    keys: Sequence[str],
    frame: pd.DataFrame,
    geom_column: str | None = None,
    *,
    new: bool = False,
    chunk_rows: int | None = None,
    progress: Any = None,
    sending: Any = None,
    freeze: bool = False,
) -> int:
    """Insert or update ``frame`` rows by ``keys``. Geometry goes as hex EWKB / WKB.

    ``new`` promises that no row of ``frame`` is in the table yet and that its keys are
    distinct (a month loaded for the first time): rows are then inserted without the
    conflict clause. ``progress(done)`` is called after every ``chunk_rows`` rows (all
    rows if not given) are written. ``sending()``, if given, is called once the database
    works on the rows on its own (PostgreSQL) so that other work can go on meanwhile.

    On SQLite rows go many to a statement, and a column that is NULL, or one value, for a
    whole group of rows is written into the statement instead of being bound row by row:
    binding parameters is most of the cost. Rows are grouped by which columns are NULL, so
    they may be written out of order; that happens only when keys are distinct, where the
    order cannot change the result.
    """
    if frame.empty:
        return 0
    cols = list(columns) + ([geom_column] if geom_column else [])
    updates = [c for c in cols if c not in keys]
    if postgres:
        return _upsert_copy(
            conn,
            table,
            cols,
            keys,
            updates,
            frame,
            new=new,
            chunk_rows=chunk_rows,
            progress=progress,
            sending=sending,
            freeze=freeze,
        )
    # SQLite works in this thread, holding the GIL between statements: the figures are
    # better computed after the rows than fighting them for it, so ``sending`` is not called
    if chunk_rows and len(frame) > chunk_rows:
        for start in range(0, len(frame), chunk_rows):
            part = frame.iloc[start : start + chunk_rows]
            upsert_rows(conn, False, table, columns, keys, part, geom_column, new=new)
            if progress is not None:
                progress(start + len(part))
        return len(frame)
    import numpy as np
    import pyarrow.compute as pc

    n = len(frame)

    def literal(value: Any) -> str | None:
        """``value`` as SQL text that stores exactly what binding it stores, else None."""
        if type(value) is str and "\x00" not in value:
            return "'" + value.replace("'", "''") + "'"
        if type(value) is int and abs(value) < 1 << 62:
            return str(value)
        return None

    def values_of(series: pd.Series) -> tuple[Any, np.ndarray | None, str | None]:
        """(a function giving the values as bound before, None where missing, in an object
        array; the missing mask or None; SQL text when every row holds the same value).
        Booleans go as 0 / 1, which is what SQLite stores for them anyway."""
        array, dtype = series.array, series.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "b":
            raw = series.to_numpy()
            same = str(int(raw[0])) if raw.all() or not raw.any() else None
            return (lambda: raw.astype(np.int64).astype(object)), None, same
        if isinstance(array, pd.arrays.ArrowStringArray):
            arrow = array.__arrow_array__().combine_chunks()
            missing = arrow.is_null().to_numpy(zero_copy_only=False) if arrow.null_count else None

            def values(arrow=arrow) -> np.ndarray:
                """Python strings, None where null; a column of few distinct values makes
                one string per value and shares it."""
                sample = arrow.slice(0, 2048)
                if len(arrow) > 4096 and pc.count_distinct(sample).as_py() * 16 < len(sample):
                    encoded = pc.dictionary_encode(arrow)
                    pool = np.array([*encoded.dictionary.to_pylist(), None], dtype=object)
                    return pool[encoded.indices.fill_null(len(encoded.dictionary)).to_numpy()]
                return arrow.to_numpy(zero_copy_only=False)

            if missing is None and pc.all(pc.equal(arrow, arrow[0])).as_py():
                return values, None, literal(arrow[0].as_py())
        elif isinstance(array, pd.arrays.IntegerArray | pd.arrays.FloatingArray):
            missing = series.isna().to_numpy()
            integer = isinstance(array, pd.arrays.IntegerArray)
            raw = series.to_numpy(dtype=np.int64 if integer else np.float64, na_value=0)
            values = lambda: raw.astype(object)  # noqa: E731
            if integer and not missing.any() and (raw == raw[0]).all():
                return values, None, literal(int(raw[0]))
        elif isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            raw = series.to_numpy()
            missing = np.isnan(raw) if dtype.kind == "f" else None
            values = lambda: raw.astype(object)  # noqa: E731
        else:
            missing = series.isna().to_numpy()
            values = lambda: series.to_numpy(dtype=object, copy=True)  # noqa: E731
        if missing is None or not missing.any():
            return values, None, None
        if missing.all():
            return values, missing, "NULL"

        def masked() -> np.ndarray:
            out = values()
            out[missing] = None
            return out

        return masked, missing, None

    data = [values_of(frame[c]) for c in cols]
    bound_values = {j: data[j][0]() for j, (_, _, same) in enumerate(data) if same is None}
    varying = [j for j, (_, _, same) in enumerate(data) if same is None]
    partly_null = [j for j in varying if data[j][1] is not None][:62]
    # rows grouped by which columns are NULL; the rare patterns together, bound as they are
    groups: list[tuple[np.ndarray | None, set[int]]] = [(None, set())]
    if partly_null and (new or not frame.duplicated(subset=list(keys)).any()):
        pattern = np.zeros(n, dtype=np.int64)
        for bit, j in enumerate(partly_null):
            pattern |= data[j][1].astype(np.int64) << bit
        uniques, which, counts = np.unique(pattern, return_inverse=True, return_counts=True)
        common = counts >= max(32, n // 500)
        if len(uniques) > 1 and common.any():
            groups = [
                (
                    np.flatnonzero(which == g),
                    {j for bit, j in enumerate(partly_null) if uniques[g] >> bit & 1},
                )
                for g in np.flatnonzero(common)
            ]
            if not common.all():
                groups.append((np.flatnonzero(~common[which]), set()))
        elif len(uniques) == 1:
            groups = [(None, {j for bit, j in enumerate(partly_null) if uniques[0] >> bit & 1})]

    head = f"INSERT INTO {table} ({','.join(cols)}) VALUES "
    tail = ""
    if not new:
        tail = f" ON CONFLICT ({','.join(keys)}) DO UPDATE SET " + ",".join(
            f"{c}=excluded.{c}" for c in updates
        )
    raw = conn.connection.driver_connection
    # a page cache big enough for the rows and both indexes while they are written: no
    # effect on what is stored or when it is durable, set back afterwards
    cache = raw.execute("PRAGMA cache_size").fetchone()[0] if n > 4096 else None
    if cache is not None:
        raw.execute("PRAGMA cache_size = -131072")
    try:
        for rows, nulls in groups:
            bound = [j for j in varying if j not in nulls]
            row_sql = (
                "("
                + ",".join(
                    "?" if j in bound else ("NULL" if j in nulls else data[j][2])
                    for j in range(len(cols))
                )
                + ")"
            )
            count = n if rows is None else len(rows)
            matrix = np.empty((count, len(bound)), dtype=object)
            for k, j in enumerate(bound):
                matrix[:, k] = bound_values[j] if rows is None else bound_values[j][rows]
            flat = matrix.ravel().tolist()
            per = max(1, min(50, 1000 // max(1, len(bound))))
            width = per * len(bound)
            whole = count // per
            if whole:
                sql = head + ",".join([row_sql] * per) + tail
                raw.executemany(sql, (flat[i * width : (i + 1) * width] for i in range(whole)))
            if count > whole * per:
                sql = head + ",".join([row_sql] * (count - whole * per)) + tail
                raw.execute(sql, flat[whole * width :])
    finally:
        if cache is not None:
            raw.execute(f"PRAGMA cache_size = {int(cache)}")
    if progress is not None:
        progress(n)
    return n


def _upsert_copy(
    conn: Connection,
    table: str,
    cols: list[str],
    keys: Sequence[str],
    updates: list[str],
    frame: pd.DataFrame,
    *,
    new: bool = False,
    chunk_rows: int | None = None,
    progress: Any = None,
    sending: Any = None,
    freeze: bool = False,
) -> int:
    """PostgreSQL: COPY the rows in as CSV, sent in slices so that the server parses one
    while the next is made. New rows (``new``) go straight into the table; others through a
    temporary table and one INSERT ... ON CONFLICT. All rows go in one COPY;
    ``progress(done)`` is called as each ``chunk_rows`` of them have been sent, and
    ``sending()`` once the first slice is on its way.

    Cells are written as ``DataFrame.to_csv`` wrote them: a missing value or an empty string
    as an unquoted empty field, which COPY reads as NULL. pyarrow builds the text; a column
    of a kind it is not sure to write the same way sends the whole frame through to_csv.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    large = pa.large_string()
    null_text = pa.scalar(None, large)
    quote, nothing, comma, newline = (pa.scalar(t, large) for t in ('"', "", ",", "\n"))

    def prepare(series: pd.Series) -> tuple[pa.Array, bool, bool] | None:
        """(the column as a pyarrow array, empty strings to NULL?, quoting needed?), or None
        for a kind of column not handled here. Numbers and booleans are cast to text by
        pyarrow: integers as digits, floats in the shortest form that reads back the same,
        booleans as true / false, all of which COPY reads as to_csv's text."""
        array, dtype = series.array, series.dtype
        if isinstance(array, pd.arrays.ArrowStringArray):
            text = array.__arrow_array__().combine_chunks()
        elif isinstance(dtype, np.dtype) and dtype.kind == "O":
            missing = series.isna().to_numpy()
            if missing.all():
                return pa.nulls(len(series), large), False, False
            values = series.to_numpy()
            if not all(type(v) is str for v in values[~missing]):
                return None
            text = pa.array(np.where(missing, None, values), type=large, from_pandas=True)
        elif isinstance(dtype, np.dtype) and dtype.kind == "b":
            return pa.array(series.to_numpy()), False, False
        elif isinstance(array, pd.arrays.IntegerArray):
            return pa.array(array), False, False
        elif isinstance(array, pd.arrays.FloatingArray):
            return (
                pa.array(series.to_numpy(dtype=np.float64, na_value=np.nan), from_pandas=True),
                False,
                False,
            )
        elif isinstance(dtype, np.dtype) and dtype.kind in "iuf":
            return pa.array(series.to_numpy(), from_pandas=True), False, False
        else:
            return None
        data = text.buffers()[2]
        raw = memoryview(data).tobytes() if data is not None else b""
        # the bytes may hold more than the cells: a hint, checked again per slice
        special = any(c in raw for c in (b",", b'"', b"\r", b"\n"))
        return text, bool(pc.any(pc.equal(text, "")).as_py()), special

    def render(prepared: tuple[pa.Array, bool, bool], start: int, stop: int) -> pa.Array:
        """Rows start … stop of a prepared column as CSV fields (null: an empty field)."""
        array, empty_to_null, special = prepared
        part = array.slice(start, stop - start)
        if not pa.types.is_large_string(part.type):
            return pc.cast(part, large)
        if empty_to_null:
            part = pc.if_else(pc.equal(part, ""), null_text, part)
        if special:
            needs = pc.match_substring_regex(part, '[,"\\r\\n]')
            if pc.any(needs).as_py():
                escaped = pc.replace_substring(part, '"', '""')
                quoted = pc.binary_join_element_wise(quote, escaped, quote, nothing)
                part = pc.if_else(needs, quoted, part)
        return part

    n = len(frame)
    chunk = chunk_rows or n

    def blocks():
        """(CSV text, rows sent once it is written) for consecutive slices of the rows:
        the first goes out while the next ones are made."""
        prepared = [prepare(frame[c]) for c in cols]
        if any(p is None for p in prepared):
            for start in range(0, n, chunk):
                buffer = io.StringIO()
                # lines end in \r\n: the csv module quotes a field holding a character of the
                # line end, so with "\n" alone a lone \r went unquoted and COPY failed
                # ("unquoted carriage return found in data"); COPY reads \r\n line ends as well
                frame[cols].iloc[start : start + chunk].to_csv(
                    buffer, index=False, header=False, lineterminator="\r\n"
                )
                yield buffer.getvalue(), min(start + chunk, n)
            return
        starts = sorted({*range(0, n, 8192), *range(0, n, chunk)})
        for start, stop in zip(starts, [*starts[1:], n], strict=True):
            parts = [render(p, start, stop) for p in prepared]
            rows = pc.binary_join_element_wise(
                *parts, comma, null_handling="replace", null_replacement=""
            )
            lines = pc.binary_join_element_wise(rows, nothing, newline)
            offsets = np.frombuffer(
                lines.buffers()[1], dtype=np.int64, count=len(lines) + 1, offset=lines.offset * 8
            )
            yield memoryview(lines.buffers()[2])[int(offsets[0]) : int(offsets[-1])], stop

    raw = conn.connection.driver_connection
    column_list = ",".join(cols)
    target = table if new else f"tmp_{table}"
    with raw.cursor() as cur:
        if not new:
            cur.execute(f"DROP TABLE IF EXISTS {target}")
            cur.execute(
                f"CREATE TEMP TABLE {target} ON COMMIT DROP AS "
                f"SELECT {column_list} FROM {table} WITH NO DATA"
            )
        # FREEZE (``freeze``, for a table made in this transaction): rows written as already
        # visible to all, so the first reads do not rewrite every page to say so
        options = "FORMAT csv, FREEZE" if freeze and new else "FORMAT csv"
        with cur.copy(f"COPY {target} ({column_list}) FROM STDIN WITH ({options})") as copy:
            for block, sent in blocks():
                copy.write(block)
                if sending is not None:  # the server has work now
                    sending()
                    sending = None
                if progress is not None and (sent % chunk == 0 or sent == n):
                    progress(sent)
        if not new:
            set_clause = ",".join(f"{c}=excluded.{c}" for c in updates)
            # a row whose every column is already as given is left as it is: the result is
            # the same, without a new row version and index entries (floats by their bits)
            known = schema.metadata.tables.get(table)
            plain = known is not None and all(
                c in known.c
                and isinstance(
                    known.c[c].type, sa.Text | sa.Integer | sa.Float | sa.Date | sa.Boolean
                )
                for c in updates
            )
            unchanged = ""
            if plain and updates:

                def side(row: str, c: str) -> str:
                    return (
                        f"float8send({row}.{c})"
                        if isinstance(known.c[c].type, sa.Float)
                        else f"{row}.{c}"
                    )

                unchanged = (
                    f" WHERE ({','.join(side(table, c) for c in updates)})"
                    f" IS DISTINCT FROM ({','.join(side('excluded', c) for c in updates)})"
                )
            cur.execute(
                f"INSERT INTO {table} ({column_list}) SELECT {column_list} FROM {target} "
                f"ON CONFLICT ({','.join(keys)}) DO UPDATE SET {set_clause}{unchanged}"
            )
            cur.execute(f"DROP TABLE {target}")
    return len(frame)
