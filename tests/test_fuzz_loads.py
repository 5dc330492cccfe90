"""Fuzz test of the loaders (issue 14): hundreds of malformed household, member (national
export), assignment, grid, site and warning files, each made from a seed by
``tests/fuzz_files.py``, end in a clear error (``LoadError``, nothing written: the database
dump is unchanged) or a correct load, on SQLite and PostGIS; a sample goes through the
``riskgrid`` command, which never prints a traceback and exits non-zero on a refusal."""

from __future__ import annotations

import csv
import uuid
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from etl.assignments import load_assignments
from etl.errors import LoadError
from etl.grids import load_grids
from etl.households import load_households
from etl.signals import load_signals
from etl.sites import load_sites
from geodata import Store
from geodata.cell_text import formula_like
from riskgrid.cli import app
from tests import fuzz_files as ff
from tests.conftest import PG_URL, _need_pg

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning", "ignore::UserWarning")

TABLE_KINDS = ("households", "members", "assignments", "sites", "warnings")
SITES = Path(__file__).parent / "data"


def _fuzz(n: int):
    return settings(
        derandomize=True,
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )


def _seed_store(store: Store, folder: Path) -> None:
    """The example county: grids, assignments, a month of the national export, sites and
    warnings (the files the fuzz cases are mutated from)."""
    load_grids(store, ff.DATA / "grids_example.geojson")
    load_assignments(store, ff.DATA / "assignments_example.csv")
    load_households(store, ff.DATA / "national_members_example.csv", month=ff.MONTH)
    for kind, loader in (("sites", load_sites), ("warnings", load_signals)):
        path = folder / f"base-{kind}.csv"
        ff.write_table(ff.base_rows(kind), path, "csv")
        path.write_bytes(ff.write_table(ff.base_rows(kind), path, "csv"))
        loader(store, path)


@pytest.fixture(scope="module")
def sqlite_store(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz-sqlite")
    store = Store(f"sqlite:///{folder / 'fuzz.db'}")
    store.migrate()
    _seed_store(store, folder)
    yield store, folder
    store.dispose()


@pytest.fixture(scope="module")
def pg_store(tmp_path_factory):
    _need_pg()
    folder = tmp_path_factory.mktemp("fuzz-pg")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    engine = sa.create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema},public"})
    store = Store(PG_URL, engine=engine)
    store.migrate()
    _seed_store(store, folder)
    yield store, folder
    store.dispose()
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def _load(store: Store, case: ff.Case, skip_invalid: bool):
    path = case.path
    if case.kind == "grids":
        return load_grids(store, path)
    if case.kind == "households":
        return load_households(store, path, month="2024-11", skip_invalid=skip_invalid)
    if case.kind == "members":
        return load_households(store, path, month=ff.MONTH, skip_invalid=skip_invalid)
    if case.kind == "assignments":
        return load_assignments(store, path, skip_invalid=skip_invalid)
    if case.kind == "sites":
        return load_sites(store, path)
    return load_signals(store, path, skip_invalid=skip_invalid)


def _reject_cells(path: Path) -> list[str]:
    if path.suffix == ".xlsx":
        sheet = openpyxl.load_workbook(path).active
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path, cell.coordinate, cell.value)
        return []
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [cell for row in csv.reader(f) for cell in row]


def run_case(store: Store, case: ff.Case, skip_invalid: bool, seen: Counter) -> None:
    """Load ``case``: a LoadError leaves the dump as it was; a load reports what it did; no
    other exception escapes; a reject file starts no cell with a formula."""
    before = store.dump()
    try:
        report = _load(store, case, skip_invalid)
    except LoadError as exc:
        assert exc.issues and str(exc).startswith(str(case.path)), case
        assert store.dump() == before, f"a refused load wrote: {case}"
        seen[(case.kind, "refused")] += 1
        return
    if case.kind != "grids":  # a grid load counts every grid of its counties afterwards
        assert report.rows_loaded <= report.rows_read, case
    if report.reject_file:
        bad = [c for c in _reject_cells(Path(report.reject_file)) if formula_like(c)]
        assert not bad, (case, bad[:3])
        Path(report.reject_file).unlink()
    seen[(case.kind, "loaded")] += 1


table_cases = st.tuples(
    st.sampled_from(TABLE_KINDS),
    st.sampled_from(ff.TABLE_FORMATS),
    st.lists(st.sampled_from(ff.TABLE_MUTATIONS), min_size=1, max_size=3).map(tuple),
    st.integers(0, 2**31),
    st.one_of(st.none(), st.text(max_size=12)),
    st.booleans(),
)
grid_cases = st.tuples(
    st.sampled_from(ff.GRID_FORMATS),
    st.lists(st.sampled_from(ff.GRID_MUTATIONS), min_size=1, max_size=3).map(tuple),
    st.integers(0, 2**31),
    st.one_of(st.none(), st.text(max_size=12)),
)


def _fuzz_tables(store: Store, folder: Path, n: int) -> Counter:
    seen: Counter = Counter()

    @_fuzz(n)
    @given(table_cases)
    def one(drawn):
        kind, fmt, mutations, seed, text, skip = drawn
        run_case(store, ff.table_case(kind, fmt, mutations, seed, text, folder), skip, seen)

    one()
    return seen


def _fuzz_grids(store: Store, folder: Path, n: int) -> Counter:
    seen: Counter = Counter()

    @_fuzz(n)
    @given(grid_cases)
    def one(drawn):
        fmt, mutations, seed, text = drawn
        run_case(store, ff.grid_case(fmt, mutations, seed, text, folder), False, seen)

    one()
    return seen


def _report(title: str, seen: Counter) -> int:
    total = sum(seen.values())
    print(f"\n{title}: {total} cases", dict(sorted(seen.items())))
    return total


def test_fuzz_tables_sqlite(sqlite_store):
    store, folder = sqlite_store
    seen = _fuzz_tables(store, folder, 300)
    assert _report("tables sqlite", seen) == 300
    assert {k for k, _ in seen} == set(TABLE_KINDS)
    assert sum(v for (_, outcome), v in seen.items() if outcome == "refused") > 150


def test_fuzz_grids_sqlite(sqlite_store):
    store, folder = sqlite_store
    seen = _fuzz_grids(store, folder, 100)
    assert _report("grids sqlite", seen) == 100
    assert seen[("grids", "refused")] > 50


@pytest.mark.postgis
def test_fuzz_postgis(pg_store):
    store, folder = pg_store
    tables = _fuzz_tables(store, folder, 110)
    grids = _fuzz_grids(store, folder, 40)
    assert _report("tables postgis", tables) + _report("grids postgis", grids) == 150
    assert {k for k, _ in tables} == set(TABLE_KINDS)


runner = CliRunner()
COMMANDS = {"members": "households"}


def test_fuzz_through_the_command(sqlite_store):
    """A sample through ``riskgrid load``: no traceback, exit 2 and nothing written on a
    refusal, exit 0 on a load."""
    store, folder = sqlite_store
    seen: Counter = Counter()

    @_fuzz(40)
    @given(st.one_of(table_cases, grid_cases.map(lambda g: ("grids", *g, False))))
    def one(drawn):
        if drawn[0] == "grids":
            _, fmt, mutations, seed, text, _ = drawn
            case = ff.grid_case(fmt, mutations, seed, text, folder)
        else:
            kind, fmt, mutations, seed, text, _ = drawn
            case = ff.table_case(kind, fmt, mutations, seed, text, folder)
        args = ["load", COMMANDS.get(case.kind, case.kind), str(case.path), "--db", store.url]
        if case.kind == "households":
            args += ["--month", "2024-11"]
        before = store.dump()
        result = runner.invoke(app, args)
        assert "Traceback" not in result.output, (case, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), case
        if result.exit_code == 0:
            seen["loaded"] += 1
        else:
            assert result.exit_code == 2, (case, result.output)
            assert "未写入任何数据" in result.output, (case, result.output)
            assert store.dump() == before, case
            seen["refused"] += 1

    one()
    assert _report("command", seen) == 40
    assert seen["refused"] > 20
