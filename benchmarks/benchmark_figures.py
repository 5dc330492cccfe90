"""A benchmark's figures in machine-readable form: the ``--json PATH`` option of each benchmark.

``benchmarks/compare.py`` reads these files. The file is one JSON object::

    {"benchmark": "load", "figures": {name: value}, "units": {name: "s" | "ms" | "B"},
     "controls": [names], "code": {package: directory}, "argv": [...]}

Every figure is one where less is better (seconds, milliseconds, bytes). ``controls`` are the
figures of code that is not riskgrid's (the plain way, pandas, Argon2 alone): the same on both
sides of a comparison, they show how noisy the machine was. ``code`` names the directory each
riskgrid package was imported from, so that a comparison can check it measured the code it meant
to.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

PACKAGES = ("geodata", "etl", "dashboard", "reports", "riskgrid", "assets", "tests")
UNITS = ("s", "ms", "B")


def add_option(parser: Any) -> None:
    parser.add_argument(
        "--json",
        metavar="PATH",
        default=None,
        help="also write the figures as JSON to PATH (read by benchmarks/compare.py)",
    )


def code_dirs() -> dict[str, str]:
    """The directory each riskgrid package of this process was imported from."""
    out = {}
    for name in PACKAGES:
        module = sys.modules.get(name)
        where = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", [])), None)
        if where:
            path = Path(where).resolve()
            out[name] = str(path.parent if path.name == "__init__.py" else path)
    return out


class Figures:
    """Figures collected while a benchmark runs; written at its end when ``--json`` was given."""

    def __init__(self, benchmark: str) -> None:
        self.benchmark = benchmark
        self.values: dict[str, float] = {}
        self.units: dict[str, str] = {}
        self.controls: list[str] = []
        self.code: dict[str, str] = {}

    def add(self, name: str, value: float, unit: str, control: bool = False) -> None:
        if unit not in UNITS:
            raise ValueError(f"unit {unit!r} is not one of {UNITS}")
        self.values[name] = float(value)
        self.units[name] = unit
        if control and name not in self.controls:
            self.controls.append(name)

    def write(self, path: str | None) -> None:
        if not path:
            return
        code = {**code_dirs(), **self.code}
        data = {
            "benchmark": self.benchmark,
            "figures": self.values,
            "units": self.units,
            "controls": self.controls,
            "code": code,
            "argv": sys.argv,
        }
        Path(path).write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n")
