"""Load test on loopback: locust sessions browsing the demo on the production server (waitress).

Copies the SQLite database to a temporary directory, adds three accounts to the copy (county,
township, and the wall's viewer), starts ``riskgrid serve`` on a free port of 127.0.0.1 with
``--threads`` (and ``--workers`` processes, gunicorn, with the ``--cache`` they share), and runs ``benchmarks/locustfile.py`` headless in a child process: ``--users``
sessions (spawned 5 a second) browsing for ``--minutes``, each logged in through the /login form
(9 in 10 county or township, 1 in 10 the wall), ``--think`` seconds between actions. Then prints
requests, failures, median and p95 per request type and for all data requests (everything but
the static scripts and styles, fetched once a session, and the log-in, whose password hash
costs a few hundred milliseconds of CPU by design: shown in its own row), the failures locust
saw, the server's 5xx lines, and the figures against the target: 0 errors (of all requests),
p95 of data requests at most 300 ms; then the CPU seconds the server and locust used. It
asserts nothing.

    python benchmarks/load_test.py [--db URL] [--users 30] [--minutes 3] [--threads 8]
        [--workers 1] [--cache dir|redis://...] [--think 1-3] [--no-login] [--keep]
        [--target-ms 300]

On a province store (``riskgrid demo --scale province``, PostgreSQL: used as it is, the
accounts added to it) sessions start at the province, a city, a county, a township and the
wall (``add_accounts``); the bound of issue 15 is ``--target-ms 500`` with 50 sessions over
``--workers 4`` for 5 minutes.

Needs locust (the ``bench`` extra) and the demo database: ``riskgrid demo --no-serve --db URL``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DEFAULT_DB = "sqlite:////tmp/x/demo.db"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
TYPES = [
    "login",
    "page",
    "layout",
    "dependencies",
    "router",
    "geojson",
    "month callback",
    "chained callback",
    "initial callback",
    "wall callback",
]
NOT_DATA = ("static", "login")  # scripts and styles; the log-in form and its password hash
TARGET_P95_MS = 300.0
WARM_UP_S = 30.0  # logging in and the server's cold caches; shown apart, not left out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def copy_db(url: str, work: Path) -> str:
    """A SQLite URL's file copied into ``work`` (with its -wal/-shm); other URLs unchanged."""
    if not url.startswith("sqlite:///"):
        return url
    source = Path(url.removeprefix("sqlite:///"))
    target = work / source.name
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{target}{suffix}")
    return f"sqlite:///{target}"


def add_accounts(url: str) -> list[list[str]]:
    """Accounts with a random password, and the order sessions take them in.

    A store of one county: ``lt-county``, ``lt-township`` (its first township) and ``lt-wall``
    (viewer), 9 county/township sessions to 1 wall. A store with a province (``riskgrid demo
    --scale province``): also ``lt-province`` and ``lt-city`` (its first city), the wall viewing
    the province; sessions start 2 in 10 at the province, 2 at the city, 3 at the county, 2 at
    the township and 1 at the wall, and drill down from there (to the grids)."""
    import sqlalchemy as sa

    from geodata import Store
    from geodata.accounts import Users

    store = Store(url)

    def first(sql: str, **params: str) -> str | None:
        with store.engine.connect() as conn:
            return conn.execute(sa.text(sql), params).scalar()

    county = first("SELECT code FROM units WHERE level = 'county' ORDER BY code LIMIT 1")
    township = first(
        "SELECT code FROM units WHERE level = 'township' AND county_code = :c ORDER BY code "
        "LIMIT 1",
        c=county or "",
    )
    province = first("SELECT code FROM units WHERE level = 'province' ORDER BY code LIMIT 1")
    city = first("SELECT code FROM units WHERE level = 'city' ORDER BY code LIMIT 1")
    password = secrets.token_urlsafe(12)
    accounts = [("lt-county", "county", county), ("lt-township", "township", township)]
    if province and city:
        accounts += [
            ("lt-province", "province", province),
            ("lt-city", "city", city),
            ("lt-wall", "viewer", province),
        ]
        pattern = ["lt-province", "lt-city", "lt-county", "lt-township", "lt-county"] * 2
        pattern[-1] = "lt-wall"
    else:
        accounts.append(("lt-wall", "viewer", county))
        pattern = ["lt-county", "lt-township"] * 4 + ["lt-county", "lt-wall"]
    users = Users(store)
    for name, role, unit in accounts:
        if users.exists(name):
            users.set_password(name, password)
        else:
            users.add(name, password, role, unit)
    store.dispose()
    return [[name, password] for name in pattern]


def start_server(
    url: str, port: int, threads: int, work: Path, login: bool, workers: int = 1, cache: str = ""
) -> subprocess.Popen:
    env = dict(os.environ, RISKGRID_SECRET_KEY_FILE=str(work / "riskgrid.key"))
    if cache == "dir":
        env["RISKGRID_CACHE_DIR"] = str(work / "cache")
    elif cache:
        env["RISKGRID_REDIS_URL"] = cache
    env["RISKGRID_LOGIN"] = "1" if login else "0"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    cmd = [sys.executable, "-m", "riskgrid.cli", "serve", "--db", url, "--port", str(port)]
    cmd += ["--threads", str(threads), "--workers", str(workers)]
    log = open(work / "server.log", "w", encoding="utf-8")  # noqa: SIM115 (the child's)
    server = subprocess.Popen(cmd, cwd=work, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 180
    while time.time() < deadline:
        if server.poll() is not None:
            sys.exit(f"server exited ({server.returncode}); see {work / 'server.log'}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=5).close()
            return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    sys.exit("server did not answer within 180 s")


def cpu_of_children() -> float:
    """User + system CPU seconds of this process's finished (waited-for) children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank, as locust's report)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))]


def row(label: str, times: list[float], failures: int) -> str:
    if not times:
        return f"{label:<22} {0:>9} {failures:>9} {'-':>10} {'-':>10} {'-':>10}"
    return (
        f"{label:<22} {len(times):>9} {failures:>9} {statistics.median(times):>10.0f} "
        f"{pct(times, 95):>10.0f} {max(times):>10.0f}"
    )


def report(raw: list[list], work: Path, args: argparse.Namespace, seconds: float) -> None:
    by_type: dict[str, list[float]] = {}
    failed: dict[str, int] = {}
    for name, ms, ok, _ in raw:
        by_type.setdefault(name, []).append(ms)
        failed[name] = failed.get(name, 0) + (not ok)
    names = TYPES + sorted(set(by_type) - set(TYPES) - {"static"}) + ["static"]
    data = [ms for name, ms, _, _ in raw if name not in NOT_DATA]
    data_failed = sum(1 for name, _, ok, _ in raw if name not in NOT_DATA and not ok)
    all_failed = sum(1 for _, _, ok, _ in raw if not ok)
    start = min((at for *_, at in raw), default=0.0)
    warm = [(ms, ok) for name, ms, ok, at in raw if name not in NOT_DATA and at > start + WARM_UP_S]
    print(
        f"\nload test: {args.users} sessions, {args.minutes:g} min, "
        f"{'waitress' if args.workers == 1 else f'gunicorn {args.workers} workers x'} "
        f"{args.threads} threads, cache {args.cache or 'in memory'}, log-in {'off' if args.no_login else 'on'}, think {args.think} s, "
        f"{len(raw) / seconds:.1f} requests/s"
    )
    print(f"{'request type':<22} {'requests':>9} {'failures':>9} {'median ms':>10} ", end="")
    print(f"{'p95 ms':>10} {'max ms':>10}")
    print("-" * 75)
    for name in names:
        if name in by_type:
            print(row(name, by_type[name], failed[name]))
    print("-" * 75)
    print(row("all data requests", data, data_failed))
    label = f"  after the first {WARM_UP_S:.0f} s"
    print(row(label, [ms for ms, _ in warm], sum(1 for _, ok in warm if not ok)))
    failures_csv = work / "locust_failures.csv"
    if failures_csv.exists():
        with open(failures_csv, encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for item in rows[:10]:
            print(f"failure: {item['Occurrences']} x {item['Method']} {item['Name']}: ", end="")
            print(item["Error"][:300])
    errors = [
        line.rstrip()
        for line in (work / "server.log").read_text(encoding="utf-8", errors="replace").splitlines()
        if "riskgrid.access" in line and '" 5' in line
    ]
    print(f"server 5xx responses: {len(errors)}")
    for line in errors[:10]:
        print(f"  {line}")
    p95 = pct(data, 95) if data else float("nan")
    print("\ntarget                              measured   verdict")
    print(
        f"errors (all requests) = 0           {all_failed:>8}   {'met' if not all_failed else 'MISSED'}"
    )
    target = args.target_ms
    print(
        f"p95 of data requests <= {target:.0f} ms     {p95:>8.0f}   "
        f"{'met' if p95 <= target else 'MISSED'}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default=DEFAULT_DB, help="store URL (a SQLite file is copied)")
    parser.add_argument("--users", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="server processes (gunicorn)")
    parser.add_argument(
        "--cache", default="", help="shared cache: 'dir' (RISKGRID_CACHE_DIR) or a Redis URL"
    )
    parser.add_argument("--think", default="1-3", help="seconds between actions, MIN-MAX")
    parser.add_argument("--no-login", action="store_true", help="RISKGRID_LOGIN=0")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument(
        "--target-ms",
        type=float,
        default=TARGET_P95_MS,
        help="the p95 bound of data requests (issue 13: 300 on the county; issue 15: 500 on "
        "the province)",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="rg-loadtest-"))
    server = None
    try:
        print(f"copying the database to {work} ...", flush=True)
        url = copy_db(args.db, work)
        accounts = [] if args.no_login else add_accounts(url)
        port = free_port()
        server = start_server(
            url, port, args.threads, work, not args.no_login, args.workers, args.cache
        )
        host = f"http://127.0.0.1:{port}"
        print(f"server at {host}; locust for {args.minutes:g} min ...", flush=True)
        env = dict(os.environ, LT_ACCOUNTS=json.dumps(accounts), LT_RAW=str(work / "raw.json"))
        env["LT_THINK"] = args.think.replace("-", ",")
        cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless"]
        cmd += ["-u", str(args.users), "-r", "5", "-t", f"{round(args.minutes * 60)}s"]
        cmd += ["--host", host, "--csv", str(work / "locust"), "--only-summary"]
        cmd += ["--stop-timeout", "10", "--logfile", str(work / "locust.log")]
        started = time.time()
        before = cpu_of_children()
        with open(work / "locust.out", "w", encoding="utf-8") as out:
            subprocess.run(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
        seconds = time.time() - started
        locust_cpu = cpu_of_children() - before
        load = os.getloadavg()[0]
        raw = json.loads((work / "raw.json").read_text(encoding="utf-8"))
        server.terminate()
        server.wait(timeout=30)
        server_cpu = cpu_of_children() - before - locust_cpu  # its workers' too (reaped by it)
        report(raw, work, args, seconds)
        print(
            f"\nCPU over the run ({os.cpu_count()} CPUs, load average {load:.2f} at the end): "
            f"server {server_cpu:.0f} s ({server_cpu / seconds:.0%} of one CPU, "
            f"{1000 * server_cpu / max(len(raw), 1):.1f} ms a request), "
            f"locust {locust_cpu:.0f} s ({locust_cpu / seconds:.0%} of one CPU)"
        )
    finally:
        if server is not None and server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        for name in work.glob("*.db*"):
            name.unlink()  # the copy of the database is large; logs and CSV stay with --keep
        if args.keep:
            print(f"logs and locust CSV in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
