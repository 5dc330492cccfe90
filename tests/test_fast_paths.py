"""The byte-level fast paths, each against the plain pandas way, on generated input (hypothesis).

``etl/validate.py`` reads pyarrow text columns through byte tricks (ASCII and digit checks on the
raw buffers, casts of whole columns, one parse per distinct value); ``etl/readers.py`` reads a
plain CSV through pyarrow. Each must give exactly what the plain way gives: the per-cell parser
on a column of Python strings, ``pandas.read_csv`` with every cell as text.
"""

from __future__ import annotations

import unicodedata

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from etl import validate
from etl.headers import HOUSEHOLD_HEADERS
from etl.readers import read_table

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# what cells of county exports hold: digits (also full-width), separators, signs, spaces of
# several widths, a currency word, yes/no words, letters
ALPHABET = "0123456789０１２３４５６７８９,.-+ \u3000\u00a0\tXx元是否aZ"
cell = st.text(alphabet=ALPHABET, max_size=12)
digits = st.text(alphabet="0123456789", min_size=1, max_size=15)


def columns(values: list[str]) -> tuple[pd.Series, pd.Series]:
    """The same cells as a pyarrow text column (what the readers build) and as Python objects."""
    fast = pd.Series(values, dtype="string[pyarrow]")
    plain = pd.Series(values, dtype=object)
    return fast, plain


def repeated(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    """Short columns, and long ones of few distinct values (the one-parse-per-value path)."""
    few = st.lists(strategy, min_size=1, max_size=5).flatmap(
        lambda pool: st.lists(st.sampled_from(pool), min_size=64, max_size=200)
    )
    return st.one_of(st.lists(strategy, max_size=40), few)


def same(a: pd.Series, b: pd.Series) -> None:
    assert a.tolist() == b.tolist() or a.astype(object).where(a.notna(), None).tolist() == b.astype(
        object
    ).where(b.notna(), None).tolist(), (a.tolist(), b.tolist())


@SETTINGS
@given(repeated(cell))
def test_clean_equals_nfkc_and_strip(values):
    fast, _ = columns(values)
    expected = [unicodedata.normalize("NFKC", v).strip() for v in values]
    assert validate.clean(fast).tolist() == expected


@SETTINGS
@given(repeated(st.one_of(cell, digits, st.just(""))))
def test_parse_int_equals_the_plain_parser(values):
    fast, plain = columns([validate.clean(pd.Series([v], dtype=object)).iloc[0] for v in values])
    got, bad = validate.parse_int(fast)
    want, want_bad = validate._parse_int(plain)
    assert bad.tolist() == want_bad.tolist()
    same(got, want)


@SETTINGS
@given(repeated(st.one_of(cell, digits, st.from_regex(r"\d{1,6}\.\d{1,2}", fullmatch=True))))
def test_parse_float_equals_the_plain_parser(values):
    fast, plain = columns([validate.clean(pd.Series([v], dtype=object)).iloc[0] for v in values])
    got, bad = validate.parse_float(fast)
    want, want_bad = validate._parse_float(plain)
    assert bad.tolist() == want_bad.tolist()
    same(got, want)


dates = st.one_of(
    st.dates(min_value=pd.Timestamp("1990-01-01").date(), max_value=pd.Timestamp("2030-12-31").date()).map(
        lambda d: d.isoformat()
    ),
    st.from_regex(r"20\d\d-[01]\d-[0-3]\d", fullmatch=True),
    st.from_regex(r"20\d\d/\d{1,2}/\d{1,2}", fullmatch=True),
    st.from_regex(r"20\d\d(0[1-9]|1[0-2])", fullmatch=True),
    st.integers(30000, 50000).map(str),
    st.just(""),
    cell,
)


@SETTINGS
@given(repeated(dates))
def test_parse_dates_equals_the_plain_parser(values):
    fast, plain = columns(values)
    got, bad = validate.parse_dates(fast)
    want, want_bad = validate._parse_dates(plain)
    assert bad.tolist() == want_bad.tolist()
    assert got.where(got.notna(), None).tolist() == want.where(want.notna(), None).tolist()


def id_number(body: str) -> str:
    return body + validate.id_check_digit(body)


ids = st.one_of(
    st.from_regex(r"1522231970010[1-9]\d{3}", fullmatch=True).map(id_number),
    st.from_regex(r"\d{17}[\dX]", fullmatch=True),
    st.from_regex(r"\d{15}", fullmatch=True),
    st.just(""),
    cell,
)


@SETTINGS
@given(repeated(ids))
def test_id_number_check_equals_the_plain_check(values):
    fast, plain = columns(values)
    got = validate.check_id_numbers(fast)
    want = validate.check_id_numbers(plain)  # object column: the per-cell way
    for a, b in zip(got, want, strict=True):
        assert a.tolist() == b.tolist()


csv_cell = st.text(alphabet="0123456789abc户编号 ，,元\u3000-", max_size=8).map(
    lambda s: s.replace(",", "")  # a comma would need quoting: the plain way's subject too
)


@SETTINGS
@given(st.lists(st.lists(csv_cell, min_size=3, max_size=3), min_size=1, max_size=30))
def test_csv_reader_equals_pandas_read_csv(tmp_path_factory, rows):
    path = tmp_path_factory.mktemp("csv") / "h.csv"
    header = ["户编号", "户主姓名", "网格编码"]
    text = "\n".join(",".join(r) for r in [header, *rows]) + "\n"
    path.write_text(text, encoding="utf-8")
    table = read_table(path, HOUSEHOLD_HEADERS, ["household_id"])
    plain = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, skip_blank_lines=False)
    # rows holding nothing but spaces are dropped (the reader's rule: empty trailing rows)
    plain = plain[(plain.apply(lambda c: c.str.strip()) != "").any(axis=1)].reset_index(drop=True)
    assert list(table.frame.columns) == header
    assert table.frame.astype(object).values.tolist() == plain.astype(object).values.tolist()


@pytest.mark.parametrize(
    "value,number,is_bad",
    [("１２３", 123, False), (" 12 ", 12, False), ("1,234", 1234, False), ("", None, False),
     ("12.5", None, True), ("abc", None, True)],
)
def test_the_plain_parser_itself(value, number, is_bad):
    """Anchors for the comparisons above: the plain way's own answers on typical cells."""
    cleaned = validate.clean(pd.Series([value], dtype=object))
    parsed, bad = validate._parse_int(cleaned)
    assert bool(bad.iloc[0]) is is_bad
    assert (None if pd.isna(parsed.iloc[0]) else int(parsed.iloc[0])) == number


def test_an_id_number_with_digits_of_another_script_is_an_error_not_a_crash():
    """Found by the comparison above: ``\\d`` took U+0660 (Arabic-Indic zero) for a digit and the
    check then failed with UnicodeEncodeError, a traceback for the user."""
    for dtype in ("string[pyarrow]", object):
        _, bad, reason = validate.check_id_numbers(pd.Series(["1522231970010100٠0"], dtype=dtype))
        assert bool(bad.iloc[0]) and "18位" in reason.iloc[0]
