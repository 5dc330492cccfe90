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
            problems.append(
                f"{where}: imports {module!r}, which no installed distribution provides"
            )
        elif not owners & allowed:
            problems.append(
                f"{where}: imports {module!r} from {sorted(owners)}, not declared in pyproject.toml"
            )
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
    assert _undeclared({"no_such_module_xyz": "y.py"}, {"dash"})[0].endswith(
        "no installed distribution provides"
    )


SHIPPED = ("riskgrid", "geodata", "etl", "dashboard", "reports", "assets")


def test_the_wheel_holds_every_package_and_its_data(tmp_path):
    # ``pip install .`` (the README's first command) installs the wheel, not the checkout: a
    # subpackage missing from it (geodata/checks once was) breaks ``riskgrid`` on a clean PC
    # while every test run from the checkout passes
    import shutil
    import subprocess
    import zipfile

    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build", "*.db")
    for name in (*SHIPPED, "pyproject.toml", "README.md"):
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, src / name, ignore=ignore)
        else:
            shutil.copy2(path, src / name)
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(tmp_path / "wheel"),
            str(src),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    (wheel,) = (tmp_path / "wheel").glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packages = sorted(
        str(p.parent.relative_to(ROOT))
        for top in SHIPPED
        for p in (ROOT / top).rglob("__init__.py")
    )
    assert "geodata/checks" in packages
    missing = [p for p in packages if f"{p}/__init__.py" not in names]
    assert not missing, f"packages left out of the wheel: {missing}"
    modules = sorted(
        str(p.relative_to(ROOT))
        for top in SHIPPED
        for p in (ROOT / top).rglob("*.py")
        if "__pycache__" not in p.parts
    )
    assert [m for m in modules if m not in names] == []
    data = ["geodata/migrations/script.py.mako", "assets/riskgrid.js", "assets/riskgrid.css"]
    data += [str(p.relative_to(ROOT)) for p in (ROOT / "reports/vendor/leaflet").iterdir()]
    data += ["dashboard/vendor/plotly-riskgrid.min.js", "dashboard/vendor/plotly.js-LICENSE.txt"]
    assert [d for d in data if d not in names] == []
