"""Shared fixtures: every test gets its own database, on SQLite and on PostgreSQL + PostGIS.

PostGIS tests run in a database of their own (``riskgrid_test``, made on first use) and a fresh
schema per test. When PostgreSQL cannot be reached they skip on a developer's machine, but
fail under CI (``CI`` set) or with ``RISKGRID_REQUIRE_PG=1``: a skipped PostGIS test is not a
passing one.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from geodata import Lines, Store

PG_ADMIN_URL = os.environ.get(
    "RISKGRID_TEST_PG_ADMIN", "postgresql+psycopg://root@127.0.0.1:5432/test"
)
PG_URL = os.environ.get(
    "RISKGRID_TEST_PG", "postgresql+psycopg://root@127.0.0.1:5432/riskgrid_test"
)
REQUIRE_PG = bool(os.environ.get("CI")) or os.environ.get("RISKGRID_REQUIRE_PG") == "1"

_pg_state: dict[str, object] = {}


def _pg_ready() -> str | None:
    """None when PostGIS is usable, else the reason."""
    if "reason" in _pg_state:
        return _pg_state["reason"]  # type: ignore[return-value]
    reason = None
    try:
        admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        dbname = sa.engine.make_url(PG_URL).database
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": dbname}
            ).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{dbname}"'))
        admin.dispose()
        engine = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS postgis"))
        engine.dispose()
    except Exception as exc:  # pragma: no cover - depends on the machine
        reason = f"PostgreSQL + PostGIS not usable at {PG_URL}: {exc}"
    _pg_state["reason"] = reason
    return reason


def _need_pg() -> None:
    reason = _pg_ready()
    if reason:
        if REQUIRE_PG:
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def make_store(tmp_path) -> Iterator[Callable[..., Store]]:
    """Factory: ``make_store("sqlite" | "postgis", lines=Lines())`` -> a new, migrated store."""
    made: list[tuple[Store, str | None]] = []

    def factory(backend: str = "sqlite", lines: Lines | None = None) -> Store:
        if backend == "sqlite":
            store = Store(f"sqlite:///{tmp_path / f'rg-{len(made)}.db'}", lines)
            store.migrate()
            made.append((store, None))
            return store
        _need_pg()
        schema = f"t_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
        admin.dispose()
        engine = sa.create_engine(
            PG_URL, connect_args={"options": f"-csearch_path={schema},public"}
        )
        store = Store(PG_URL, lines, engine=engine)
        store.migrate()
        made.append((store, schema))
        return store

    yield factory
    for store, schema in made:
        store.dispose()
        if schema:
            admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                # a test that leaks an open transaction would hang this DROP: fail fast instead
                conn.execute(sa.text("SET lock_timeout = '20s'"))
                try:
                    conn.execute(sa.text(f"DROP SCHEMA {schema} CASCADE"))
                except sa.exc.OperationalError as exc:
                    pytest.fail(
                        f"test schema {schema} still locked: a connection was left open ({exc.orig})"
                    )
            admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgis", marks=pytest.mark.postgis)])
def backend(request) -> str:
    return request.param


@pytest.fixture
def store(make_store, backend) -> Store:
    """A fresh, migrated store on each backend."""
    return make_store(backend)


NO_SKIPS = bool(os.environ.get("CI")) or os.environ.get("RISKGRID_NO_SKIPS") == "1"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI (or ``RISKGRID_NO_SKIPS=1``, as ``.ci/run`` sets) a skipped test fails: every
    test must run, PostGIS and browser tests included."""
    outcome = yield
    report = outcome.get_result()
    if NO_SKIPS and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"skipped under CI, which counts as a failure: {reason}"


@pytest.fixture(scope="session")
def small_demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The small demo county of the dashboard tests (``test_dashboard_support``), built once."""
    from tests import test_dashboard_support as support

    return support.small_demo_db(tmp_path_factory)
