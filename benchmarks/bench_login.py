"""Log-in timing benchmark: does the time of a failed log-in tell which accounts exist?

Posts the log-in form of a fresh install (through Flask's test client, so the network is not
measured) 30 times each (by default) for an unknown name, a wrong password of a real account and
a real account whose address must wait (after too many wrong passwords), with the plain way
beside it: the version before issue 9, which hashed a password for an unknown name but skipped
the verification for a locked account. Prints the median and spread of each, and the largest
difference of medians. Target (issue 9): at most 20 ms. Exit code 1 when riskgrid misses it.

    python benchmarks/bench_login.py [--tries 30] [--json PATH]

``--json PATH`` also writes the figures (milliseconds) for ``benchmarks/compare.py``.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmark_figures import Figures, add_option  # noqa: E402

TARGET_MS = 20.0
PASSWORD = "bench-password-1"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=30)
    add_option(parser)
    args = parser.parse_args()
    figures = Figures("login")

    from dashboard import create_app
    from geodata import Store
    from geodata.accounts import Users
    from riskgrid.settings import Settings
    from tests.factories import load_tiny_grids

    work = Path(tempfile.mkdtemp(prefix="rg-bench-login-"))
    url = f"sqlite:///{work / 'login.db'}"
    store = Store(url)
    store.migrate()
    load_tiny_grids(store)
    users = Users(store)
    users.add("real", PASSWORD, "county", "152223")
    users.add("waiting", PASSWORD, "county", "152223")
    app = create_app(Settings(db=url, max_failures=3))
    client = app.server.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)

    def post(username: str, password: str) -> float:
        data = {"username": username, "password": password, "csrf": token, "next": "/"}
        started = time.perf_counter()
        response = client.post("/login", data=data)
        elapsed = time.perf_counter() - started
        assert response.status_code == 401, response.status_code
        return elapsed * 1000

    for _ in range(3):
        post("waiting", "wrong-password")  # that address now waits
    cases = {
        "unknown name": ("no-such-user", PASSWORD),
        "wrong password": ("real", "wrong-password"),
        "address waits (right password)": ("waiting", PASSWORD),
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.tries):  # interleaved, so that drift of the machine hits all alike
        for name, (username, password) in cases.items():
            times[name].append(post(username, password))
        users.unlock("real")  # keep "wrong password" a wrong password, never a wait

    # the plain way: the code before issue 9 skipped the Argon2 work for a locked account
    from argon2 import PasswordHasher

    hasher = PasswordHasher()
    stored = hasher.hash(PASSWORD)
    plain = {"verify (wrong password)": [], "no verification (locked)": []}
    for _ in range(args.tries):
        started = time.perf_counter()
        try:
            hasher.verify(stored, "wrong-password")
        except Exception:
            pass
        plain["verify (wrong password)"].append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        plain["no verification (locked)"].append((time.perf_counter() - started) * 1000)

    print(f"log-in attempts, {args.tries} tries each (ms)")
    print(f"{'case':40} {'median':>8} {'min':>8} {'max':>8}")
    for group in (times, plain):
        for name, values in group.items():
            print(
                f"{name:40} {statistics.median(values):8.1f} {min(values):8.1f} {max(values):8.1f}"
            )
            control = group is plain
            figures.add(
                f"{'plain way, ' if control else ''}{name}, median",
                statistics.median(values),
                "ms",
                control,
            )
    medians = [statistics.median(v) for v in times.values()]
    spread = max(medians) - min(medians)
    plain_medians = [statistics.median(v) for v in plain.values()]
    plain_spread = max(plain_medians) - min(plain_medians)
    print(f"riskgrid: largest difference of medians {spread:.1f} ms (target <= {TARGET_MS:.0f} ms)")
    print(f"plain way: difference of medians {plain_spread:.1f} ms (a locked account stands out)")
    ok = spread <= TARGET_MS
    figures.add("largest difference of medians", spread, "ms")
    print("target met" if ok else "TARGET MISSED")
    store.dispose()
    figures.write(args.json)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
