"""A ``kill -9`` at random moments of a household load leaves the database as it was.

On SQLite (WAL) and on PostGIS, ``riskgrid load households`` of the national system's
member-level export (a small generated county: 60 grids, 1,500 households, about 4,800 member rows)
runs as a subprocess on a store holding the grids, sites, grid assignment, department warnings
and the earlier month (with its problem list), and is killed with SIGKILL: every other time
after a random (seeded) delay spread over the time a clean load takes (while Python starts,
the file is read and validated, ...), the other times at a random moment once the load holds
its transaction (rows and members written, figures computed, the problem list synced, the
commit). After each kill the store's ``dump()`` equals the one
taken before the load (a load commits its rows, figures, load record and problem list in one
transaction), unless the kill came after the commit, when the data equal a clean load's. Then
the load runs to completion and every figure, household and problem equals those of a clean
load of the same file into a fresh store.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlalchemy as sa

from etl.assignments import load_assignments
from etl.demo.generate import DemoFiles, generate_demo
from etl.grids import load_grids
from etl.households import load_households
from etl.signals import load_signals
from etl.sites import load_sites
from tests.factories import store_url

ROOT = Path(__file__).resolve().parents[1]
KILLS = 20
EARLIER, MONTH = "2026-09", "2026-10"
HOUSEHOLDS = 1500
COUNTY = "152223"
# what a load writes; ``loads`` and ``meta`` also hold the time of the load
DATA_TABLES = ("households", "members", "figures", "site_figures", "problems", "signals")


@pytest.fixture(scope="module")
def county(tmp_path_factory) -> DemoFiles:
    """A small generated county, two months, as the national system exports them."""
    out = tmp_path_factory.mktemp("county")
    return generate_demo(
        out, months=2, households=HOUSEHOLDS, grids=60, villages=15, communities=1, townships=3
    )


def _prepared(make_store, backend: str, county: DemoFiles):
    """A store with the county's grids, sites, grid assignment, the earlier month and the
    warnings (its problem list synced)."""
    store = make_store(backend)
    load_grids(store, county.grids)
    load_sites(store, county.sites)
    load_assignments(store, county.assignments)
    load_households(store, dict(county.households)[EARLIER], month=EARLIER)
    load_signals(store, county.warnings)
    return store


def _command(path: Path, url: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "riskgrid.cli",
        "load",
        "households",
        str(path),
        "--db",
        url,
        "--month",
        MONTH,
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}


def _data(store) -> dict[str, list[tuple]]:
    """The data tables of a dump, the problems without the time a status changed."""
    dump = store.dump()
    out = {t: dump[t] for t in DATA_TABLES}
    cols = [c.name for c in sa.Table("problems", sa.MetaData(), autoload_with=store.engine).c]
    at = cols.index("changed_at")
    out["problems"] = sorted((r[:at] + r[at + 1 :] for r in dump["problems"]), key=repr)
    return out


def _in_transaction(store) -> bool:
    """Whether another connection holds a load's transaction open on the store: SQLite's write
    lock (``BEGIN IMMEDIATE`` refused at once), PostgreSQL's locks on the store's households."""
    if store.is_postgis:
        with store.engine.connect() as conn:
            return bool(
                conn.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_locks WHERE pid <> pg_backend_pid() "
                        "AND relation = to_regclass('households')"
                    )
                ).scalar()
            )
    probe = sqlite3.connect(store.file, timeout=0)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.rollback()
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


def _wait_for_transaction(store, proc: subprocess.Popen, deadline: float) -> bool:
    """Wait until the load ``proc`` holds its transaction (True), or ends first (False)."""
    while time.monotonic() < deadline and proc.poll() is None:
        if _in_transaction(store):
            return True
        time.sleep(0.01)
    return False


def _loads(store) -> int:
    return len(store.dump()["loads"])


def test_kill_9_during_a_household_load_leaves_the_store_as_before(make_store, backend, county):
    path = dict(county.households)[MONTH]

    # a clean load, through the same command, into a store prepared alike: the expected data,
    # and how long a load takes (Python's start included)
    reference = _prepared(make_store, backend, county)
    started = time.perf_counter()
    done = subprocess.run(
        _command(path, store_url(reference)),
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    duration = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    expected = _data(reference)
    assert len(expected["households"]) == 2 * HOUSEHOLDS
    assert len(expected["members"]) > 2 * HOUSEHOLDS
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import riskgrid.cli, etl.households"], env=_env())
    startup = time.perf_counter() - started

    store = _prepared(make_store, backend, county)
    url = store_url(store)
    rng = random.Random(14)
    outcomes = {"before": 0, "committed": 0, "inside the transaction": 0}
    for kill in range(KILLS):
        before = store.dump()
        loads_before = len(before["loads"])
        delay = rng.uniform(0.9 * startup, 0.9 * duration)
        proc = subprocess.Popen(
            _command(path, url), env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        if kill % 2:
            # every other kill: once the load holds its transaction, after a random moment
            # of it (writing rows, computing figures, syncing the problem list, committing)
            if _wait_for_transaction(store, proc, deadline=time.monotonic() + 3 * duration):
                outcomes["inside the transaction"] += 1
                delay = rng.uniform(0.0, 0.4)
                time.sleep(delay)
            if proc.poll() is None:
                proc.send_signal(signal.SIGKILL)
        else:
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode in (0, -signal.SIGKILL), stderr.decode(errors="replace")
        if proc.returncode == 0 or _loads(store) > loads_before:
            # done, or killed after its commit: a complete load; the next kill starts again
            # from a store without the month
            outcomes["committed"] += 1
            assert _data(store) == expected, f"kill {kill} after {delay:.2f} s"
            store = _prepared(make_store, backend, county)
            url = store_url(store)
        else:
            outcomes["before"] += 1
            assert store.dump() == before, f"kill {kill} after {delay:.2f} s"
    print(f"{backend}: {KILLS} kills, a load takes {duration:.2f} s: {outcomes}")
    assert outcomes["before"] >= 1  # the kills landed before the commit, not only after
    assert outcomes["inside the transaction"] >= 1

    # the next load works without repair, with the expected figures
    rerun = subprocess.run(
        _command(path, url), env=_env(), capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{HOUSEHOLDS:,} 户 households" in rerun.stdout
    assert _data(store) == expected
    assert store.stats(COUNTY, MONTH) == reference.stats(COUNTY, MONTH)
    assert store.stats(COUNTY, MONTH)["households"] == HOUSEHOLDS


def test_a_migration_that_fails_half_way_leaves_no_trace_on_sqlite(tmp_path):
    """The first command on a new SQLite file migrates it; Python's sqlite3 would run that DDL
    outside any transaction, so a migration killed half-way left tables and no version row,
    and every later command failed on "table already exists". Now it is one transaction: a
    migration that fails at revision 0010 (its table is in the way) leaves only what was there."""
    from geodata import Store

    path = tmp_path / "new.db"
    store = Store(f"sqlite:///{path}")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE problems (x INTEGER)")  # in 0010's way
    with pytest.raises(sa.exc.OperationalError, match="already exists"):
        store.migrate()
    with store.engine.connect() as conn:
        tables = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")
        assert [r[0] for r in tables] == ["problems"]
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE problems")
    store.migrate()
    assert store.schema_version() == "0013"
    store.dispose()


def test_a_problem_list_sync_failing_half_way_leaves_the_load_and_no_partial_list(
    store, tmp_path, monkeypatch
):
    """The sync runs in a savepoint of the load's transaction: a rule failing after some rows
    of the list were written rolls those back, the load itself commits, and the next read
    syncs the list."""
    from geodata.records.problems import ProblemRecords
    from tests.factories import county_file, load_tiny_grids, write_csv

    grids = list(load_tiny_grids(store)["grid_code"])
    path = write_csv(tmp_path / "h.csv", county_file(40, 120, 10, 30, grids, others=20))
    listed = []

    def half_way(self, month, hits, token, first_seen=None, conn=None, **scope):
        conn.execute(sa.insert(sa.table("problems", *map(sa.column, PROBLEM))), [ROW])
        listed.append(month)
        raise ValueError("a rule failed half way")

    monkeypatch.setattr(ProblemRecords, "_write_problems", half_way)
    load_households(store, path, month="2024-10")
    assert listed == ["2024-10"]
    assert len(store.dump()["households"]) == 60
    assert store.dump()["problems"] == []
    monkeypatch.undo()
    assert store.sync_problems() == "2024-10"
    assert store.open_problem_total("2024-10") > 0


PROBLEM = ("rule", "household_id", "severity", "first_seen", "last_seen", "status", "evidence")
ROW = dict(zip(PROBLEM, ("x", "y", "error", "2024-10", "2024-10", "new", "{}"), strict=True))
