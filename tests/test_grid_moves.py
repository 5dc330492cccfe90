"""A grid layer that moves a stored grid to another village or township is refused, naming
the grid and both places, unless ``--move-grids``: then the grid's households, in every month,
and both townships' figures follow.

The case of issue 14: grid 152223101001001 of 新林镇 (152223101) listed under a village of
152223100 (音德尔镇). Every input is built here from the tiny synthetic grids; no real data.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from typer.testing import CliRunner

from etl.errors import LoadError
from etl.grids import load_grids
from etl.households import load_households
from geodata import StoreError
from riskgrid.cli import app
from tests.factories import county_file, store_url, tiny_grids, write_csv

GRID = "152223101001001"
OLD_TOWN, NEW_TOWN = "152223101", "152223100"
OLD_VILLAGE, NEW_VILLAGE = "152223101001", "152223100001"
MONTHS = ("2024-09", "2024-10")


def two_townships() -> gpd.GeoDataFrame:
    """新林镇 (152223101: 五家子村, 塔本毛都嘎查) and, 0.3 degrees west, 音德尔镇 (152223100:
    东升村, 永兴嘎查), three grids in each village."""
    east = tiny_grids()
    east["township_name"] = "新林镇"
    west = tiny_grids()
    west["geometry"] = shapely.transform(west.geometry.values, lambda xy: xy - [0.3, 0.0])
    for col in ("grid_code", "village_code", "township_code"):
        west[col] = west[col].str.replace(OLD_TOWN, NEW_TOWN, n=1)
    west["township_name"] = "音德尔镇"
    west["village_name"] = west["village_name"].map(
        {"五家子村": "东升村", "塔本毛都嘎查": "永兴嘎查"}
    )
    west["grid_name"] = [f"{v}第{i % 3 + 1}网格" for i, v in enumerate(west["village_name"])]
    both = pd.concat([east, west], ignore_index=True)
    return gpd.GeoDataFrame(both, geometry="geometry", crs="EPSG:4326")


def moved_layer() -> gpd.GeoDataFrame:
    """The same layer, grid 152223101001001 listed under 东升村 of 音德尔镇."""
    layer = two_townships()
    row = layer.index[layer["grid_code"] == GRID][0]
    layer.loc[row, ["village_code", "village_name", "village_kind", "township_code"]] = [
        NEW_VILLAGE,
        "东升村",
        "村",
        NEW_TOWN,
    ]
    layer.loc[row, "township_name"] = "音德尔镇"
    return layer


def _write(frame: gpd.GeoDataFrame, path: Path) -> Path:
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


@pytest.fixture
def loaded(store, tmp_path):
    """Both townships' grids and two months of households spread over all twelve grids."""
    _write(two_townships(), tmp_path / "grids.geojson")
    load_grids(store, tmp_path / "grids.geojson")
    grids = list(two_townships()["grid_code"])
    rows = county_file(60, 180, 24, 70, grids, others=84)
    path = write_csv(tmp_path / "households.csv", rows)
    for month in MONTHS:
        load_households(store, path, month=month)
    return store


def _households(store, unit: str) -> dict[str, int]:
    return {m: store.stats(unit, m)["households"] for m in MONTHS}


def test_a_grid_moved_to_another_township_is_refused_naming_both(loaded, tmp_path):
    before = loaded.dump()
    path = _write(moved_layer(), tmp_path / "moved.geojson")
    with pytest.raises(LoadError) as exc:
        load_grids(loaded, path)
    [issue] = exc.value.issues
    assert (issue.file, issue.row, issue.column, issue.field, issue.value) == (
        str(path),
        1,  # the grid's feature: the first of the layer
        "village_code",
        "village_code",
        NEW_VILLAGE,
    )
    assert issue.reason == (
        "网格 152223101001001 已属于 新林镇(152223101) 五家子村(152223101001), 本文件将其列在 "
        "音德尔镇(152223100) 东升村(152223100001): 网格不能移到其他村或乡镇; 确需调整请加 "
        "--move-grids (grid_code: stored under another village or township; load with "
        "--move-grids to move it)"
    )
    assert loaded.dump() == before  # nothing written

    # the command says the same, exit code 2
    result = CliRunner().invoke(app, ["load", "grids", str(path), "--db", store_url(loaded)])
    assert result.exit_code == 2
    assert "网格 152223101001001 已属于 新林镇(152223101)" in result.output
    assert "未写入任何数据" in result.output
    assert loaded.dump() == before


def test_move_grids_moves_the_households_and_both_townships_figures(loaded, tmp_path):
    old_town, new_town = _households(loaded, OLD_TOWN), _households(loaded, NEW_TOWN)
    old_village, new_village = _households(loaded, OLD_VILLAGE), _households(loaded, NEW_VILLAGE)
    in_grid = _households(loaded, GRID)
    assert all(n > 0 for n in in_grid.values())
    county = _households(loaded, "152223")

    path = _write(moved_layer(), tmp_path / "moved.geojson")
    result = CliRunner().invoke(
        app, ["load", "grids", str(path), "--move-grids", "--db", store_url(loaded)]
    )
    assert result.exit_code == 0, result.output
    assert (
        "网格 152223101001001 已从 新林镇(152223101) 五家子村(152223101001) 移到" in result.output
    )

    assert loaded.unit(GRID).parent_code == NEW_VILLAGE
    assert loaded.unit(GRID).township_code == NEW_TOWN
    for month in MONTHS:
        n = in_grid[month]
        assert _households(loaded, OLD_TOWN)[month] == old_town[month] - n
        assert _households(loaded, NEW_TOWN)[month] == new_town[month] + n
        assert _households(loaded, OLD_VILLAGE)[month] == old_village[month] - n
        assert _households(loaded, NEW_VILLAGE)[month] == new_village[month] + n
        assert _households(loaded, GRID)[month] == n
        assert _households(loaded, "152223")[month] == county[month]
        rows = loaded.households_frame(month)
        moved = rows[rows["grid_code"] == GRID]
        assert len(moved) == n
        assert set(moved["village_code"]) == {NEW_VILLAGE}
        assert set(moved["township_code"]) == {NEW_TOWN}
    problems = loaded.problems_frame()
    assert set(problems.loc[problems["grid_code"] == GRID, "township_code"]) <= {NEW_TOWN}

    # the same file again: nothing moves any more
    again = load_grids(loaded, path)
    assert not any("移到" in w.reason for w in again.warnings)


def test_a_village_moved_whole_to_another_township_leaves_no_empty_village(loaded, tmp_path):
    """A re-division: 塔本毛都嘎查 (152223101002) goes to 音德尔镇 as 152223100003 with its three
    grids (same grid codes). The old village is gone from the units and the figures."""
    moved = "152223101002"
    layer = two_townships()
    rows = layer["village_code"] == moved
    in_village = _households(loaded, moved)
    new_town = _households(loaded, NEW_TOWN)
    layer.loc[rows, "village_code"] = "152223100003"
    layer.loc[rows, "township_code"] = NEW_TOWN
    layer.loc[rows, "township_name"] = "音德尔镇"
    path = _write(layer, tmp_path / "redivided.geojson")
    with pytest.raises(LoadError) as exc:
        load_grids(loaded, path)
    assert [i.row for i in exc.value.issues] == [4, 5, 6]

    report = load_grids(loaded, path, move_grids=True)
    assert len([w for w in report.warnings if "已从" in w.reason]) == 3
    assert loaded.unit(moved) is None
    assert [u.code for u in loaded.children(NEW_TOWN)] == [
        "152223100001",
        "152223100002",
        "152223100003",
    ]
    for month in MONTHS:
        assert _households(loaded, "152223100003")[month] == in_village[month]
        assert _households(loaded, NEW_TOWN)[month] == new_town[month] + in_village[month]
        with pytest.raises(StoreError):
            loaded.stats(moved, month)
