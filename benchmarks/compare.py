"""The benchmarks of ``benchmarks/`` against the last release, side by side, in one run.

For each benchmark (``--only load,dashboard,briefing,login``; all by default) this runs the
benchmark ``--repeats N`` times against the baseline (``--baseline REF``, default ``fe02891``, the
last state before the core redesign) and as often against the current work tree, alternating
(baseline, current, baseline, current, ...) so that the machine's drift hits both alike, and
prints every figure's median on both sides, the ratio current / baseline, the spread of the
repeats and a marker where the current code is slower.

How: the baseline is checked out with ``git worktree add --detach`` (``--worktree``, default
/tmp/rg-baseline; removed at the end). The benchmark scripts of the work tree are copied into it,
so both sides are measured by the same measuring code and only the code under test differs; each
run is a subprocess with its root (the worktree or the work tree) as working directory and on
``PYTHONPATH``, and a ``sitecustomize`` that drops the editable install's import hook, so no module
of the other side can slip in (every run reports the directory of each package it imported and a
run that imported the other side's code counts as failed). The scripts write their figures with
``--json PATH``. The demo database the dashboard and briefing benchmarks read is made for each side
by that side's own ``riskgrid demo`` (its own schema), with the same seed and sizes, in the
household layout on both sides (``--layout households`` where the side's demo has it).

Slower means: the current median exceeds the baseline's by more than ``--threshold`` (10 %) AND by
more than the spread (max - min) of the repeats on either side AND by more than a floor
(0.05 ms, 5 ms for figures in seconds); a figure so marked is ``SLOWER`` (``LARGER`` for bytes),
``SLOWER?`` when there was only one run per side (no spread to judge the noise by); ``faster`` /
``smaller`` likewise the other way. Every figure is one where less is better (seconds,
milliseconds, bytes). The figures of code that is the same on both sides (the plain way, pandas,
Argon2 alone) are listed apart as controls: they show the noise of the machine, and a difference
there is marked ``noise`` and never counts.

``--quick`` uses small sizes (10,000 households, 3 months, 3 drill-down paths, one page load,
960x540 images, 10 log-in tries, 2 repeats): all four benchmarks in 8 minutes on a quiet
two-CPU machine (15 on a busy one), half of it the dashboard. Without it every benchmark runs at
its own default sizes (the demo county of 80,000 households and 12 months) with 3 repeats: there
the load benchmark took 12 minutes and the dashboard 22 (busy). Each run's output is kept in a
logs directory, named at the end. Exit code: 0; 1 when a figure is slower; 2 when a benchmark
could not be run.

    python benchmarks/compare.py [--quick] [--only load,dashboard] [--repeats N]
        [--baseline REF] [--worktree DIR] [--threshold 0.10] [--args NAME=ARGS ...] [--no-pg]
        [--json PATH] [--keep]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_BASELINE = "fe02891"
DEFAULT_WORKTREE = "/tmp/rg-baseline"
PACKAGES = ("geodata", "etl", "dashboard", "reports", "riskgrid", "assets", "tests")
FLOOR = {"ms": 0.05, "s": 0.005, "B": 0.0}  # differences at or below this are never marked

SHIM = '''"""Written by benchmarks/compare.py: import riskgrid's packages from PYTHONPATH only."""
import sys

def _editable(obj):
    return str(getattr(obj, "__module__", "")).startswith("__editable__")

sys.meta_path[:] = [f for f in sys.meta_path if not _editable(f)]
sys.path_hooks[:] = [h for h in sys.path_hooks if not _editable(h)]
sys.path_importer_cache.clear()
'''


@dataclass
class Bench:
    script: str
    quick: list[str]
    full: list[str]
    demo: str = ""  # "db+data" or "db": the options naming the demo the benchmark reads
    warm: tuple[str, ...] = ()  # modules imported once per side before the timed runs
    browser: bool = False  # and Chromium started once


BENCHMARKS: dict[str, Bench] = {
    "load": Bench(
        "bench_load.py",
        ["--households", "10000", "--loads", "2", "--repeat", "10"],
        [],
        warm=("pandas", "sqlalchemy", "xlsxwriter", "openpyxl", "psycopg", "etl.demo", "etl.grids")
        + ("etl.households", "etl.signals", "etl.sites", "geodata"),
    ),
    "dashboard": Bench(
        "bench_dashboard.py",
        ["--paths", "3", "--loads", "1", "--passes", "2"],
        [],
        "db+data",
        warm=("playwright.sync_api", "geopandas", "plotly.express", "dash", "dashboard")
        + ("riskgrid.settings",),
        browser=True,
    ),
    "briefing": Bench(
        "bench_briefing.py",
        ["--size", "960x540"],
        [],
        "db",
        warm=("geodata", "reports.briefing", "dashboard.briefing"),  # whichever the side has
    ),
    "login": Bench(
        "bench_login.py",
        ["--tries", "10"],
        [],
        warm=("argon2", "dashboard", "geodata.accounts", "riskgrid.settings", "tests.factories"),
    ),
}
WARM_CODE = """
import importlib, sys
for name in sys.argv[2:]:
    try:
        importlib.import_module(name)
    except ImportError:
        pass
if sys.argv[1] == "browser":  # Chromium as bench_dashboard starts it, once
    sys.path.insert(0, "benchmarks")
    import bench_dashboard
    bench_dashboard.Browser().close()
"""
DEMO_QUICK = ["--households", "10000", "--months", "3"]
DEMO_FULL: list[str] = []  # riskgrid demo's defaults: 80,000 households, 12 months


def log(msg: str) -> None:
    print(f"[compare] {msg}", file=sys.stderr, flush=True)


def git(*args: str, cwd: Path = REPO) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


# ====================================================================== the two sides
@dataclass
class Side:
    name: str  # "baseline" or "current"
    root: Path  # the code measured: the worktree or the work tree
    tmp: Path  # this side's scratch directory (TMPDIR of its runs, its demo)
    env: dict[str, str] = field(default_factory=dict)
    demo: dict[str, str] = field(default_factory=dict)  # "db", "data" once made
    demo_error: str = ""

    def script(self, bench: Bench) -> Path:
        return self.root / "benchmarks" / bench.script

    def fingerprint(self) -> int:
        """Changes when a source file of the side's packages changes (others edit the work tree)."""
        files = sorted(
            (str(f), f.stat().st_mtime_ns, f.stat().st_size)
            for p in PACKAGES
            if (self.root / p).is_dir()
            for f in (self.root / p).rglob("*")
            if f.is_file() and "__pycache__" not in f.parts
        )
        return hash(tuple(files))


def make_env(root: Path, shim: Path, tmp: Path) -> dict[str, str]:
    env = dict(os.environ)
    rest = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    env["PYTHONPATH"] = os.pathsep.join([str(shim), str(root), *rest])
    env["TMPDIR"] = str(tmp)
    env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def add_worktree(path: Path, ref: str) -> str:
    try:
        commit = git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"compare: {ref!r} names no commit of {REPO}") from None
    listed = git("worktree", "list", "--porcelain").splitlines()
    if path.exists():
        if f"worktree {path}" in listed:
            log(f"removing the worktree left at {path} by an earlier run")
            git("worktree", "remove", "--force", str(path))
        else:
            raise SystemExit(f"compare: {path} exists and is no worktree of {REPO}; use --worktree")
    git("worktree", "add", "--detach", str(path), commit)
    return commit


def remove_worktree(path: Path) -> None:
    try:
        git("worktree", "remove", "--force", str(path))
    except subprocess.CalledProcessError as exc:
        log(f"could not remove the worktree {path}: {exc.stderr.strip()}")
    git("worktree", "prune")


def copy_benchmarks(worktree: Path) -> list[str]:
    """The work tree's measuring scripts into the baseline's checkout (both sides measured alike)."""
    target = worktree / "benchmarks"
    target.mkdir(exist_ok=True)
    copied = []
    for path in sorted(HERE.glob("*.py")):
        shutil.copy2(path, target / path.name)
        copied.append(path.name)
    return copied


def warm_up(side: Side) -> None:
    """Byte-compile the side's packages, so that no timed run compiles them (both sides alike)."""
    dirs = [str(side.root / p) for p in PACKAGES if (side.root / p).is_dir()]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *dirs],
        cwd=side.root,
        env=side.env,
        capture_output=True,
        check=False,
    )


def warm_imports(side: Side, bench: Bench) -> None:
    """Import the benchmark's modules once, untimed, so that the first timed run of either side
    does not read them cold from disk (the baseline runs first in every pair)."""
    subprocess.run(
        [sys.executable, "-c", WARM_CODE, "browser" if bench.browser else "-", *bench.warm],
        cwd=side.root,
        env=side.env,
        capture_output=True,
        check=False,
    )


def load_average() -> str:
    return f"load average {os.getloadavg()[0]:.2f} ({os.cpu_count()} CPUs)"


def make_demo(side: Side, sizes: list[str], logs: Path) -> None:
    """The demo county in the side's own schema, by the side's own ``riskgrid demo``."""
    db = side.tmp / "demo.db"
    data = side.tmp / "demo-data"
    cmd = [sys.executable, "-m", "riskgrid.cli", "demo", "--no-serve", *sizes]
    cmd += ["--db", f"sqlite:///{db}", "--out", str(data)]
    # the same input on both sides: a side whose demo speaks the national member-level format
    # by default writes the household layout the baseline's demo (and plain_app.py) reads
    helped = subprocess.run(
        [sys.executable, "-m", "riskgrid.cli", "demo", "--help"],
        cwd=side.root,
        env=side.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if "--layout" in helped.stdout:
        cmd += ["--layout", "households"]
    started = time.perf_counter()
    with open(logs / f"demo-{side.name}.log", "w") as out:
        proc = subprocess.run(
            cmd, cwd=side.root, env=side.env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if proc.returncode != 0 or not db.is_file():
        side.demo_error = f"riskgrid demo failed (exit {proc.returncode}); see {out.name}"
        log(f"{side.name}: {side.demo_error}")
        return
    side.demo = {"db": f"sqlite:///{db}", "data": str(data)}
    log(f"{side.name}: demo made in {time.perf_counter() - started:.0f} s ({db})")


# ====================================================================== runs
@dataclass
class Run:
    ok: bool
    seconds: float
    figures: dict[str, float] = field(default_factory=dict)
    units: dict[str, str] = field(default_factory=dict)
    controls: list[str] = field(default_factory=list)
    problem: str = ""
    exit_code: int | None = None


def stop(proc: subprocess.Popen) -> None:
    """End a run: its process group (the benchmark and the servers it started), nothing else."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        pass


def run_once(side: Side, bench: Bench, args: list[str], out: Path, timeout: float) -> Run:
    json_path = out.with_suffix(".json")
    json_path.unlink(missing_ok=True)
    cmd = [sys.executable, str(side.script(bench)), *args, "--json", str(json_path)]
    started = time.perf_counter()
    with open(out.with_suffix(".out"), "w") as stdout, open(out.with_suffix(".err"), "w") as err:
        stdout.write(
            f"$ {shlex.join(cmd)}\n  (cwd {side.root}, PYTHONPATH {side.env['PYTHONPATH']})\n\n"
        )
        stdout.flush()
        proc = subprocess.Popen(
            cmd, cwd=side.root, env=side.env, stdout=stdout, stderr=err, start_new_session=True
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            stop(proc)
            code = None
        except BaseException:  # e.g. Ctrl-C: the run is in its own session, so stop it here
            stop(proc)
            raise
    seconds = time.perf_counter() - started
    if not json_path.is_file():
        why = "timed out" if code is None else f"exit {code}"
        tail = out.with_suffix(".err").read_text(errors="replace").strip().splitlines()[-3:]
        return Run(
            False, seconds, problem=f"{why}, no figures: " + " | ".join(tail), exit_code=code
        )
    data = json.loads(json_path.read_text())
    wrong = {
        pkg: where
        for pkg, where in data.get("code", {}).items()
        if not Path(where).resolve().is_relative_to(side.root.resolve())
    }
    if wrong:
        return Run(False, seconds, problem=f"measured code outside {side.root}: {wrong}")
    return Run(
        True,
        seconds,
        data["figures"],
        data["units"],
        data.get("controls", []),
        exit_code=code,
    )


# ====================================================================== report
def fmt_value(value: float | None, unit: str) -> str:
    if value is None or not math.isfinite(value):
        return "-"
    if unit == "B":
        if value < 1024 * 1024:
            return f"{value / 1024:,.1f} KB"
        return f"{value / 1024 / 1024:,.2f} MB"
    if unit == "ms":
        return f"{value:,.2f} ms"
    return f"{value:,.3f} s" if value < 100 else f"{value:,.1f} s"


@dataclass
class Row:
    name: str
    unit: str
    control: bool
    base: list[float]
    cur: list[float]

    @property
    def base_median(self) -> float | None:
        vals = [v for v in self.base if math.isfinite(v)]
        return statistics.median(vals) if vals else None

    @property
    def cur_median(self) -> float | None:
        vals = [v for v in self.cur if math.isfinite(v)]
        return statistics.median(vals) if vals else None

    @staticmethod
    def spread(values: list[float]) -> float:
        vals = [v for v in values if math.isfinite(v)]
        return max(vals) - min(vals) if len(vals) > 1 else 0.0

    @property
    def ratio(self) -> float | None:
        b, c = self.base_median, self.cur_median
        if b is None or c is None or b <= FLOOR[self.unit]:
            return None  # no ratio of two figures too small to tell apart
        return c / b

    def verdict(self, threshold: float) -> str:
        """SLOWER / faster (LARGER / smaller for bytes) beyond the noise, else empty."""
        b, c = self.base_median, self.cur_median
        if b is None or c is None or b <= 0:
            return ""
        noise = max(self.spread(self.base), self.spread(self.cur), FLOOR[self.unit])
        diff = c - b
        if abs(diff) <= threshold * b or abs(diff) <= noise:
            return ""
        if self.control:
            return "noise"
        unsure = "?" if min(len(self.base), len(self.cur)) < 2 else ""
        if diff > 0:
            return ("LARGER" if self.unit == "B" else "SLOWER") + unsure
        return ("smaller" if self.unit == "B" else "faster") + unsure

    def spread_text(self) -> str:
        def rel(values: list[float]) -> str:
            vals = [v for v in values if math.isfinite(v)]
            if len(vals) < 2:
                return "-"
            m = statistics.median(vals)
            return f"{self.spread(vals) / m:.0%}" if m > 0 else f"{self.spread(vals):.2g}"

        return f"{rel(self.base)} / {rel(self.cur)}"


def rows_of(runs: dict[str, list[Run]]) -> list[Row]:
    names: dict[str, tuple[str, bool]] = {}
    for side in ("baseline", "current"):
        for run in runs[side]:
            for name in run.figures:
                names.setdefault(name, (run.units[name], name in run.controls))
    rows = []
    for name, (unit, control) in names.items():
        base = [r.figures[name] for r in runs["baseline"] if name in r.figures]
        cur = [r.figures[name] for r in runs["current"] if name in r.figures]
        rows.append(Row(name, unit, control, base, cur))
    return rows


def print_table(title: str, rows: list[Row], threshold: float) -> list[tuple[str, str]]:
    """The table of one benchmark; the (figure, verdict) of each non-control figure marked."""
    header = ("figure", "baseline", "current", "ratio", "spread b / c", "")
    body: list[str | tuple[str, ...]] = []
    marked = []
    for control in (False, True):
        part = [r for r in rows if r.control == control]
        if part and control:
            body.append("controls (the same code on both sides: they show the machine's noise)")
        for r in part:
            verdict = r.verdict(threshold)
            if verdict and not control:
                marked.append((r.name, verdict))
            body.append(
                (
                    ("  " if control else "") + r.name,
                    fmt_value(r.base_median, r.unit),
                    fmt_value(r.cur_median, r.unit),
                    f"{r.ratio:.2f}" if r.ratio is not None else "n/a",
                    r.spread_text(),
                    f"<< {verdict}" if verdict.startswith(("SLOWER", "LARGER")) else verdict,
                )
            )
    lines = [header, *(b for b in body if isinstance(b, tuple))]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def text(line: tuple[str, ...]) -> str:
        cells = (
            c.ljust(w) if i in (0, len(header) - 1) else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        return "  ".join(cells).rstrip()

    print()
    print(title)
    print(text(header))
    print("  ".join("-" * w for w in widths[:-1]))
    for line in body:
        print(line if isinstance(line, str) else text(line))
    return marked


# ====================================================================== main
def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="\n".join(__doc__.splitlines()[1:]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only",
        default=",".join(BENCHMARKS),
        help=f"benchmarks to run, comma-separated (default: all of {', '.join(BENCHMARKS)})",
    )
    parser.add_argument(
        "--baseline",
        default=DEFAULT_BASELINE,
        help=f"the last release (default {DEFAULT_BASELINE})",
    )
    parser.add_argument(
        "--worktree",
        default=DEFAULT_WORKTREE,
        help=f"baseline checkout (default {DEFAULT_WORKTREE})",
    )
    parser.add_argument(
        "--repeats", type=int, default=None, help="runs per side (default 3; 2 with --quick)"
    )
    parser.add_argument("--quick", action="store_true", help="small sizes (all four: 8-15 min)")
    parser.add_argument(
        "--threshold", type=float, default=0.10, help="relative slow-down marked (default 0.10)"
    )
    parser.add_argument(
        "--args",
        action="append",
        default=[],
        metavar="NAME=ARGS",
        help='extra options for one benchmark, e.g. --args "load=--households 40000"',
    )
    parser.add_argument("--no-pg", action="store_true", help="the load benchmark on SQLite only")
    parser.add_argument(
        "--timeout", type=float, default=3600, help="seconds before a run is stopped (default 3600)"
    )
    parser.add_argument("--json", metavar="PATH", help="also write every run's figures to PATH")
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch directory (demo databases) at the end"
    )
    args = parser.parse_args(argv)
    args.names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown or not args.names:
        parser.error(f"--only: unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    if args.repeats is None:
        args.repeats = 2 if args.quick else 3
    if args.repeats < 1:
        parser.error("--repeats must be at least 1")
    args.extra = {}
    for item in args.args:
        name, sep, rest = item.partition("=")
        if not sep or name not in BENCHMARKS:
            parser.error(
                f"--args {item!r}: expected NAME=ARGS with NAME one of {', '.join(BENCHMARKS)}"
            )
        args.extra.setdefault(name, []).extend(shlex.split(rest))
    return args


def bench_args(name: str, bench: Bench, side: Side, args: argparse.Namespace) -> list[str] | None:
    out = list(bench.quick if args.quick else bench.full)
    if name == "load" and args.no_pg:
        out.append("--no-pg")
    if bench.demo:
        if not side.demo:
            return None
        out += ["--db", side.demo["db"]]
        if bench.demo == "db+data":
            out += ["--data", side.demo["data"]]
    return out + args.extra.get(name, [])


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    worktree = Path(args.worktree).resolve()
    if worktree.is_relative_to(REPO):
        raise SystemExit(f"compare: --worktree must be outside {REPO}")
    commit = add_worktree(worktree, args.baseline)
    scratch = Path(tempfile.mkdtemp(prefix="rg-compare-"))
    logs = scratch / "logs"
    logs.mkdir()
    shim = scratch / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(SHIM)
    started = time.perf_counter()
    failed: list[str] = []
    slower: list[tuple[str, str, str]] = []
    record: dict[str, Any] = {}
    try:
        copy_benchmarks(worktree)
        base_desc = git("log", "-1", "--format=%h %cs %s", commit)
        base_desc = base_desc if len(base_desc) <= 90 else base_desc[:89] + "…"
        head = git("log", "-1", "--format=%h", "HEAD")
        changed = len(git("status", "--porcelain", "--untracked-files=no").splitlines())
        sides = [
            Side("baseline", worktree, scratch / "baseline"),
            Side("current", REPO, scratch / "current"),
        ]
        print(f"baseline: {worktree} at {base_desc}")
        print(f"current:  {REPO} ({head} + {changed} changed files)")
        print(f"host: {load_average()} at the start")
        print(
            f"{args.repeats} run(s) per side, alternated; medians; "
            f"{'quick sizes' if args.quick else 'default sizes'}; ratio = current / baseline; "
            f"marked where the current median exceeds the baseline's by > {args.threshold:.0%} "
            "and by more than the spread (max - min) of either side's runs",
            flush=True,
        )
        for side in sides:
            side.tmp.mkdir()
            side.env = make_env(side.root, shim, side.tmp)
            warm_up(side)
        if any(BENCHMARKS[n].demo for n in args.names):
            for side in sides:
                make_demo(side, DEMO_QUICK if args.quick else DEMO_FULL, logs)
        for name in args.names:
            bench = BENCHMARKS[name]
            runs: dict[str, list[Run]] = {"baseline": [], "current": []}
            problems: list[str] = []
            for side in sides:
                warm_imports(side, bench)
            loads = [os.getloadavg()[0]]
            prints = {side.name: {side.fingerprint()} for side in sides}
            for i in range(args.repeats):
                for side in sides:
                    options = bench_args(name, bench, side, args)
                    if options is None:
                        if i == 0:
                            problems.append(f"{side.name}: no demo database ({side.demo_error})")
                        continue
                    out = logs / f"{name}-{side.name}-{i + 1}"
                    log(f"{name}: run {i + 1}/{args.repeats}, {side.name} ... ({load_average()})")
                    run = run_once(side, bench, options, out, args.timeout)
                    prints[side.name].add(side.fingerprint())
                    note = "" if run.exit_code == 0 else f" (exit {run.exit_code})"
                    log(
                        f"{name}: run {i + 1}/{args.repeats}, {side.name}: "
                        f"{'ok' if run.ok else 'FAILED'} in {run.seconds:.0f} s{note}"
                        + (f": {run.problem}" if run.problem else "")
                    )
                    loads.append(os.getloadavg()[0])
                    if run.ok:
                        runs[side.name].append(run)
                    else:
                        problems.append(f"{side.name} run {i + 1}: {run.problem} (log {out}.err)")
            sizes = (bench.quick if args.quick else bench.full) + args.extra.get(name, [])
            title = (
                f"== {name}: {shlex.join([bench.script, *sizes])}; "
                f"{len(runs['baseline'])} baseline / {len(runs['current'])} current run(s); "
                f"host load average {min(loads):.1f} to {max(loads):.1f}"
            )
            record[name] = {
                side: [
                    {"figures": r.figures, "units": r.units, "seconds": r.seconds}
                    for r in runs[side]
                ]
                for side in runs
            }
            record[name]["baseline_commit"] = commit
            if not runs["baseline"] or not runs["current"]:
                print()
                print(title)
                print("  NOT COMPARED: " + "; ".join(problems))
                failed.append(name)
                continue
            for marked_name, verdict in print_table(title, rows_of(runs), args.threshold):
                if verdict.startswith(("SLOWER", "LARGER")):
                    slower.append((name, marked_name, verdict))
            for problem in problems:
                print(f"  note: {problem}")
            for side_name, seen in prints.items():
                if len(seen) > 1:
                    print(
                        f"  note: the {side_name} code changed while this benchmark ran "
                        f"({len(seen) - 1} time(s)): its runs did not all measure the same code"
                    )
            exits = {r.exit_code for side in runs.values() for r in side} - {0}
            if exits:
                print(
                    f"  note: exit code(s) {sorted(c for c in exits if c is not None)} "
                    "(the benchmark's own target check; its figures are counted)"
                )
    finally:
        remove_worktree(worktree)
        if args.json:
            Path(args.json).write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n")
        if args.keep:
            log(f"scratch directory kept: {scratch}")
        else:
            for side_dir in ("baseline", "current", "shim"):
                shutil.rmtree(scratch / side_dir, ignore_errors=True)
            log(f"logs of every run: {logs}")

    print()
    print(f"compared in {time.perf_counter() - started:.0f} s; host {load_average()} at the end.")
    if slower:
        print(f"Slower (or larger) than the baseline beyond the noise: {len(slower)} figure(s):")
        for name, figure, verdict in slower:
            print(f"  {name}: {figure} ({verdict})")
    else:
        print("No figure slower than the baseline beyond the noise.")
    if failed:
        print(f"Not compared: {', '.join(failed)}")
        return 2
    return 1 if slower else 0


if __name__ == "__main__":
    sys.exit(main())
