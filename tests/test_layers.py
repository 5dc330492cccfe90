"""The layers of the code, enforced with import-linter (contracts in pyproject.toml):
riskgrid > dashboard > reports > geodata, etl > geodata; the dashboard and reports never etl."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("riskgrid", "dashboard", "reports", "etl", "geodata")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from importlinter.cli import lint_imports_command; "
            "sys.exit(lint_imports_command())",
            "--no-cache",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def tree_copy(tmp_path: Path) -> Path:
    for name in PACKAGES:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_layers_hold():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 kept, 0 broken" in result.stdout


def test_a_planted_upward_import_breaks_the_contract(tmp_path: Path):
    tree = tree_copy(tmp_path)
    assert lint_imports(tree).returncode == 0  # the copy itself is clean
    model = tree / "geodata" / "model.py"
    model.write_text(model.read_text(encoding="utf-8") + "\nimport dashboard  # planted\n", "utf-8")
    result = lint_imports(tree)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and "geodata.model -> dashboard" in result.stdout


def test_the_dashboard_importing_etl_breaks_the_contract(tmp_path: Path):
    tree = tree_copy(tmp_path)
    fmt = tree / "reports" / "fmt.py"
    fmt.write_text(fmt.read_text(encoding="utf-8") + "\nimport etl.errors  # planted\n", "utf-8")
    result = lint_imports(tree)
    assert result.returncode != 0 and "reports.fmt -> etl.errors" in result.stdout
