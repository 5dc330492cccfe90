"""A ``kill -9`` at random moments of a household load leaves the database as it was.

On SQLite (WAL, synchronous=NORMAL) and on PostGIS, ``riskgrid load households`` runs as a
subprocess on a store holding grids and an earlier month (with its problem list), and is killed
with SIGKILL after a random (seeded) delay spread over the time a clean load takes: while
Python starts, while the file is read and validated, while the rows are written, the figures
computed and the problem list synced. After each kill the store's ``dump()`` equals the one
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

from etl.households import load_households
from tests.factories import county_file, load_tiny_grids, store_url, write_csv

ROOT = Path(__file__).resolve().parents[1]
KILLS = 20
EARLIER, MONTH = "2024-09", "2024-10"
HOUSEHOLDS = 8000
# what a load writes; ``loads`` and ``meta`` also hold the time of the load
DATA_TABLES = ("households", "members", "figures", "site_figures", "problems", "signals")


def _files(tmp_path: Path) -> tuple[Path, Path]:
    """The file of the earlier month (every 8th household) and the file the kills interrupt."""
    grids = [f"{v}{g:03d}" for v in ("152223101001", "152223101002") for g in (1, 2, 3)]
    n = HOUSEHOLDS
    rows = county_file(n // 5, n // 5 * 3, n // 10, n // 10 * 3, grids, others=n - n // 5)
    earlier = write_csv(tmp_path / "earlier.csv", rows[::8])
    return earlier, write_csv(tmp_path / "households.csv", rows)


def _prepared(make_store, backend: str, earlier: Path):
    """A store with the tiny grids and the earlier month loaded (its problem list synced)."""
    store = make_store(backend)
    load_tiny_grids(store)
    load_households(store, earlier, month=EARLIER)
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


def test_kill_9_during_a_household_load_leaves_the_store_as_before(make_store, backend, tmp_path):
    earlier, path = _files(tmp_path)

    # a clean load, through the same command, into a store prepared alike: the expected data,
    # and how long a load takes (Python's start included)
    reference = _prepared(make_store, backend, earlier)
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
    assert len(expected["households"]) == HOUSEHOLDS + HOUSEHOLDS // 8
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import riskgrid.cli, etl.households"], env=_env())
    startup = time.perf_counter() - started

    store = _prepared(make_store, backend, earlier)
    url = store_url(store)
    rng = random.Random(14)
    outcomes = {"before": 0, "committed": 0, "inside the transaction": 0}
    for kill in range(KILLS):
        before = store.dump()
        loads_before = len(before["loads"])
        delay = rng.uniform(0.9 * startup, 0.92 * duration)
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
            store = _prepared(make_store, backend, earlier)
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
    assert f"加载 loaded {HOUSEHOLDS:,}" in rerun.stdout
    assert _data(store) == expected
    assert store.stats("152223", MONTH) == reference.stats("152223", MONTH)
    assert store.stats("152223", MONTH)["households"] == HOUSEHOLDS


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
    assert store.schema_version() == "0011"
    store.dispose()
