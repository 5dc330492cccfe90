"""Helpers shared by the dashboard tests (test_dashboard*.py and test_browser*.py; it holds no
tests itself, and no fixtures: each test module wraps the builders in its own fixtures).

The demo databases are built once per test session under pytest's base temp directory, so two
test modules asking for the same database reuse one build. ``RISKGRID_TEST_DEMO_DB`` may name an
already built full demo database (``riskgrid demo --no-serve --db sqlite:///FILE``) to skip the
build while developing.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from etl.demo import generate_demo
from etl.grids import load_grids
from etl.households import load_households
from etl.signals import load_signals
from etl.sites import load_sites
from geodata import Store
from riskgrid.cli import app as cli_app
from tests.factories import county_file, load_tiny_grids, write_csv

SMALL_DEMO = dict(grids=60, villages=12, communities=2, townships=3, households=3000, months=3)
TINY_MONTHS = {"2024-10": (20, 60, 10, 30), "2024-11": (22, 66, 14, 40)}


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def _once(directory: Path, build: Any) -> None:
    """Run ``build`` unless an earlier fixture instance in this session already did."""
    done = directory / "built"
    if not done.exists():
        directory.mkdir(parents=True, exist_ok=True)
        build()
        done.touch()


def small_demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A small demo county (3 townships, 60 grids, 3 months) loaded through the etl loaders,
    built once per session (call it from a session-scoped fixture)."""
    base = tmp_path_factory.getbasetemp() / "dashboard-small-demo"
    url = sqlite_url(base / "small.db")

    def build() -> None:
        files = generate_demo(base / "files", layout="households", **SMALL_DEMO)
        store = Store(url)
        store.migrate()
        load_grids(store, files.grids)
        load_sites(store, files.sites)
        for month, path in files.households:
            load_households(store, path, month=month)
        load_signals(store, files.warnings)
        with store.write() as conn:
            store.set_meta(conn, "demo", "1")
        store.dispose()

    _once(base, build)
    return url


def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The full demo county (973 grids, 80,000 households, 12 months) built by the CLI, once
    per session (call it from a session-scoped fixture)."""
    prebuilt = os.environ.get("RISKGRID_TEST_DEMO_DB")
    if prebuilt and Path(prebuilt).exists():
        return sqlite_url(Path(prebuilt))
    base = tmp_path_factory.getbasetemp() / "dashboard-demo"
    url = sqlite_url(base / "demo.db")

    def build() -> None:
        result = CliRunner().invoke(
            cli_app, ["demo", "--no-serve", "--db", url, "--out", str(base / "files")]
        )
        assert result.exit_code == 0, result.output

    _once(base, build)
    return url


def build_tiny(path: Path) -> str:
    """Six grids in two villages, two sites, two months (tests/factories.py data)."""
    url = sqlite_url(path)
    store = Store(url)
    store.migrate()
    grids = list(load_tiny_grids(store)["grid_code"])
    sites = path.parent / "sites.csv"
    with sites.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(
            [
                "安置点编码",
                "安置点名称",
                "乡镇编码",
                "经度",
                "纬度",
                "安置户数",
                "安置人数",
                "帮扶车间数",
                "公益性岗位数",
            ]
        )
        w.writerow(
            ["S001", "好力保镇安置小区", "152223101", "122.85", "46.66", "20", "60", "2", "5"]
        )
        w.writerow(["S002", "塔本安置点", "152223101", "122.98", "46.68", "10", "30", "1", "3"])
    load_sites(store, sites)
    for month, (mh, mp, eh, ep) in TINY_MONTHS.items():
        rows = county_file(mh, mp, eh, ep, grids, others=40)
        for i, row in enumerate(rows[-10:]):
            row.update(
                {
                    "是否易地搬迁户": "是",
                    "安置点编码": "S001" if i % 2 else "S002",
                    "劳动力人数": "2",
                    "务工就业人数": "0" if i == 0 else "1",
                }
            )
        load_households(store, write_csv(path.parent / f"h{month}.csv", rows), month=month)
    store.dispose()
    return url


def cli_stats(db: str, code: str | None = None, month: str | None = None) -> dict[str, Any]:
    """``riskgrid stats --unit CODE --month M --json`` on the same database."""
    args = ["stats", "--json", "--db", db]
    if code:
        args += ["--unit", code]
    if month:
        args += ["--month", month]
    result = CliRunner().invoke(cli_app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


# ---------------------------------------------------------------------- component trees
class Plain:
    """A component of a page as plain JSON (``{"type", "namespace", "props"}``: a cached page,
    ``dashboard.page_cache``), read like a Dash component: its props as attributes."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._spec = spec

    def __getattr__(self, name: str) -> Any:
        props = self._spec["props"]
        if name not in props:
            raise AttributeError(name)
        return plain(props[name])

    def __repr__(self) -> str:
        return f"Plain({self._spec['type']}, id={self._spec['props'].get('id')!r})"

    @property
    def type_name(self) -> str:
        return self._spec["type"]

    def to_plotly_json(self) -> dict[str, Any]:
        return self._spec


def plain(value: Any) -> Any:
    """A component given as plain JSON as a ``Plain``; lists of them element by element."""
    if isinstance(value, dict) and "props" in value and "type" in value:
        return Plain(value)
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def walk(component: Any) -> Iterator[Any]:
    """Every Dash component in a tree (children only), also of a page as plain JSON."""
    component = plain(component)
    if component is None or isinstance(component, str | int | float):
        return
    if isinstance(component, list | tuple):
        for child in component:
            yield from walk(child)
        return
    yield component
    yield from walk(getattr(component, "children", None))
    if getattr(component, "id", None) == "unit-details-later":  # rendered once the map is
        yield from walk(getattr(component, "data", None))  # drawn: the page's details


def props(component: Any) -> dict[str, Any]:
    return component.to_plotly_json()["props"]


def texts(component: Any) -> list[str]:
    """Every string child in a tree."""
    out: list[str] = []
    for c in walk(component):
        children = getattr(c, "children", None)
        if isinstance(children, str):
            out.append(children)
        elif isinstance(children, list | tuple):
            out += [x for x in children if isinstance(x, str)]
    return out


def cards(component: Any) -> dict[str, str]:
    """data-key -> shown text of every figure card in a tree."""
    return {props(c)["data-key"]: c.children for c in walk(component) if "data-key" in props(c)}


def by_id(component: Any, component_id: str) -> Any:
    for c in walk(component):
        if getattr(c, "id", None) == component_id:
            return c
    raise KeyError(component_id)


def kind(component: Any) -> str:
    """A component's type name (``H1``, ``Graph``), of a Dash component or a ``Plain`` one."""
    return component.type_name if isinstance(component, Plain) else type(component).__name__
