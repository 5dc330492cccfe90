"""Every package the code imports is declared in pyproject.toml.

A session that installs a package by hand and forgets to declare it leaves a main that works on
its own machine and fails on a clean one (it happened: argon2-cffi and flask-login). This test
reads the imports of the shipped packages and of the tests, and fails on any third-party import
whose distribution is not a declared dependency (the tests may also use the ``test`` extra).
"""

from __future__ import annotations

import ast
import importlib.metadata as metadata
import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIRST_PARTY = {"riskgrid", "geodata", "etl", "dashboard", "reports", "assets", "tests", "plain_app"}


def _name(requirement: str) -> str:
    return re.split(r"[\s<>=!~;\[]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_name(r) for r in project["dependencies"]}
    test = {_name(r) for r in project["optional-dependencies"]["test"]}
    return runtime, test


def _imports(folders: list[str]) -> dict[str, str]:
    """Top-level third-party module name -> the first file importing it."""
    found: dict[str, str] = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                else:
                    continue
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or top in FIRST_PARTY or top == "__future__":
                        continue
                    found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def _undeclared(imports: dict[str, str], allowed: set[str]) -> list[str]:
    dists = metadata.packages_distributions()
    problems = []
    for module, where in sorted(imports.items()):
        owners = {d.lower().replace("_", "-") for d in dists.get(module, [])}
        if not owners:
            problems.append(f"{where}: imports {module!r}, which no installed distribution provides")
        elif not owners & allowed:
            problems.append(f"{where}: imports {module!r} from {sorted(owners)}, not declared in pyproject.toml")
    return problems


def test_runtime_imports_are_declared_dependencies():
    runtime, _ = _declared()
    problems = _undeclared(_imports(["riskgrid", "geodata", "etl", "dashboard"]), runtime)
    assert not problems, "\n".join(problems)


def test_test_imports_are_declared():
    runtime, test = _declared()
    problems = _undeclared(_imports(["tests"]), runtime | test)
    assert not problems, "\n".join(problems)


def test_the_check_catches_an_undeclared_import():
    # the check itself can fail: an import of an installed but undeclared distribution
    assert _undeclared({"pytest": "x.py"}, {"dash"}) == [
        "x.py: imports 'pytest' from ['pytest'], not declared in pyproject.toml"
    ]
    assert _undeclared({"no_such_module_xyz": "y.py"}, {"dash"})[0].endswith("no installed distribution provides")
