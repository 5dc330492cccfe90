"""Clearance rates and figures from files built on the seeds' published figures."""

from __future__ import annotations

import json

from etl.households import load_households
from tests.factories import county_file, load_tiny_grids, write_csv


def _load(store, tmp_path, rows, month="2024-10"):
    path = write_csv(tmp_path / "households.csv", rows)
    return load_households(store, path, month=month)


def test_sinan_clearance_rate(store, tmp_path):
    grids = list(load_tiny_grids(store)["grid_code"])
    # 思南: 1,900 monitored households, 7,044 persons; 1,435 households, 5,245 persons eliminated
    _load(store, tmp_path, county_file(1900, 7044, 1435, 5245, grids))
    s = store.stats()
    assert s["unit"] == {"code": "152223", "name": "扎赉特旗", "level": "county"}
    assert s["monitored"] == {"households": 1900, "persons": 7044}
    assert s["eliminated"] == {"households": 1435, "persons": 5245}
    assert round(s["clearance_rate"]["persons"], 4) == 0.7446
    assert s["open"] == {"households": 465, "persons": 7044 - 5245}


def test_shilou_clearance_rates(store, tmp_path):
    grids = list(load_tiny_grids(store)["grid_code"])
    # 石楼: 1,471 households, 3,543 persons monitored; 910 households, 2,389 persons eliminated
    _load(store, tmp_path, county_file(1471, 3543, 910, 2389, grids))
    s = store.stats()
    assert round(s["clearance_rate"]["persons"], 4) == 0.6743
    assert round(s["clearance_rate"]["households"], 4) == 0.6186


def test_levels_add_up_and_match_children(store, tmp_path):
    grids = list(load_tiny_grids(store)["grid_code"])
    _load(store, tmp_path, county_file(300, 900, 200, 600, grids, others=120))
    county = store.stats()
    open_total = sum(county["open_by_level"][lv]["households"] for lv in ("red", "yellow", "blue"))
    assert open_total == county["monitored"]["households"] - county["eliminated"]["households"] == 100
    assert county["households"] == 420
    assert county["grids"] == 6
    assert county["risk_level"] == "red"
    # every level sums to its parent
    for parent in ("152223", "152223101", "152223101001", "152223101002"):
        p = store.stats(parent)
        kids = store.children_stats(parent, p["month"])
        assert kids, parent
        for key in ("households", "persons"):
            assert sum(k[key] for k in kids) == p[key]
        assert sum(k["monitored"]["persons"] for k in kids) == p["monitored"]["persons"]
        assert sum(k["grids"] for k in kids) == p["grids"]
    # by_cause counts monitored households naming the cause
    assert county["by_cause"]["因残"] + county["by_cause"]["因病"] >= 300
    assert county["by_cause"]["因病"] == county["by_cause"]["因学"] == 100
    json.dumps(county)  # serialisable as is


def test_below_lines_use_configured_lines(make_store, tmp_path):
    from geodata import Lines

    store = make_store("sqlite", Lines(monitoring=7000, observation=9000))
    grids = list(load_tiny_grids(store)["grid_code"])
    rows = county_file(10, 30, 5, 15, grids, others=0)
    for i, row in enumerate(rows):
        row["家庭人均纯收入"] = str(6000 + 1000 * (i % 4))  # 6000, 7000, 8000, 9000
    _load(store, tmp_path, rows)
    s = store.stats()
    assert s["below_monitoring_line"] == {"households": 3}  # the 6000s
    assert s["below_observation_line"] == {"households": 8}  # 6000, 7000, 8000
    assert s["lines"] == {
        "monitoring": 7000,
        "observation": 9000,
        "year": 2024,
        "province": None,
        "source": "default",
    }
