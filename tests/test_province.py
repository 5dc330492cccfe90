"""The province demo (etl.demo.province) at a small scale, 3 counties in 2 cities, and the partial
recompute of a month's figures (geodata.scoped_figures): a county's load rewrites the figure rows
of that county and its city and province only, with the figures a whole recompute gives."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import shapely
import sqlalchemy as sa

from etl.demo.km_frame import _to_lonlat
from etl.demo.province import load_province, province_grids
from etl.demo.province_files import write_county_month
from etl.demo.province_geography import plan_counties
from etl.demo.province_households import county_households
from etl.households import load_households
from geodata import schema
from geodata.model import CATEGORIES

SMALL = dict(counties=3, grids=40, per_grid=5)
MONTH = "2026-10"
COUNTS = ("households", "persons")


def _figures(store, month: str = MONTH) -> dict[str, dict]:
    f = schema.figures
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(f).where(f.c.month == month)).all()
    return {r.unit_code: dict(r._mapping) for r in rows}


def _identities(store, month: str = MONTH) -> dict[str, object]:
    """unit code -> the stored row's identity: ctid on PostgreSQL (a rewritten row moves), the
    rowid on SQLite (a row deleted and inserted again gets a new one)."""
    ident = "ctid::text" if store.is_postgis else "rowid"
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"SELECT unit_code, {ident} FROM figures WHERE month = '{month}'"
        ).all()
    return dict(rows)


def _data(rows: dict[str, dict]) -> dict[str, tuple]:
    return {c: (r["level"], r["parent_code"], r["data"], r["policy"]) for c, r in rows.items()}


def _full_recompute(store, month: str = MONTH) -> None:
    with store.write(load=True) as conn:
        store.refresh_figures(conn, [month])


def _summed(rows: dict[str, dict], codes: list[str], key: str) -> int:
    return sum(json.loads(rows[c]["data"])["monitored"][key] for c in codes)


@pytest.fixture(scope="module")
def layer():
    return province_grids(2026, plan_counties(2026, 3), 40)


def test_same_seed_same_codes_and_counts_other_seed_differs(layer):
    plans = plan_counties(2026, 3)
    assert [p.code for p in plans] == [p.code for p in plan_counties(2026, 3)]
    assert len({p.city_code for p in plans}) == 2
    assert all(p.code[:4] == p.city_code and p.city_code[:2] == "15" for p in plans)
    assert all(len(p.code) == 6 and len(p.city_code) == 4 for p in plans)
    again = province_grids(2026, plans, 40)
    assert list(again["grid_code"]) == list(layer["grid_code"])
    assert (
        shapely.to_wkb(again.geometry.to_numpy()).tolist()
        == shapely.to_wkb(layer.geometry.to_numpy()).tolist()
    )
    assert len(layer) == 120 and layer["grid_code"].is_unique
    assert (layer["grid_code"].str.len() == 15).all()
    assert (layer["grid_code"].str[:12] == layer["village_code"]).all()
    assert (layer["village_code"].str[:9] == layer["township_code"]).all()
    part = layer[layer["county_code"] == plans[0].code].reset_index(drop=True)
    a = county_households(2026, 0, part, MONTH, per_grid=5)
    b = county_households(2026, 0, part, MONTH, per_grid=5)
    pd.testing.assert_frame_equal(a, b)
    assert a["household_id"].is_unique and a["id_number"].is_unique
    assert len(a) == 5 * len(part)
    other = county_households(7, 0, part, MONTH, per_grid=5)
    assert list(other["id_number"]) != list(a["id_number"])
    other_layer = province_grids(7, plan_counties(7, 3), 40)
    assert shapely.to_wkb(other_layer.geometry.iloc[0]) != shapely.to_wkb(layer.geometry.iloc[0])


def test_grids_tile_each_county_with_irregular_polygons(layer):
    for plan in plan_counties(2026, 3):
        grids = layer[layer["county_code"] == plan.code].geometry.to_numpy()
        county = _to_lonlat(plan.outline)
        union = shapely.union_all(grids)
        assert abs(union.area - county.area) <= 1e-9 * county.area
        assert abs(shapely.area(grids).sum() - union.area) <= 1e-9 * county.area  # no overlaps
        assert shapely.symmetric_difference(union, county).area <= 1e-9 * county.area
        # no squares: Voronoi cells, most of them with 5 or more corners
        corners = shapely.get_num_coordinates(grids) - 1
        assert (corners >= 5).mean() > 0.5
        boxes = shapely.area(shapely.oriented_envelope(grids))
        assert (np.abs(boxes - shapely.area(grids)) > 1e-6 * boxes).all()


@pytest.fixture
def province(store):
    load_province(store, seed=2026, **SMALL)
    return store


NEXT = "2026-11"  # the month after MONTH


def synced_province(store):
    """``store`` with the small province loaded and its problem list synced to MONTH."""
    load_province(store, seed=2026, **SMALL)
    assert store.sync_problems() == MONTH
    return store


def test_province_figures_are_the_sums_of_their_counties(province):
    store = province
    rows = _figures(store)
    counties = [c for c, r in rows.items() if r["level"] == "county"]
    cities = [c for c, r in rows.items() if r["level"] == "city"]
    assert len(counties) == 3 and len(cities) == 2 and rows["15"]["level"] == "province"
    assert store.is_demo()
    total = store.stats("15")
    assert total["households"] == 3 * 40 * 5
    for key in COUNTS:
        assert _summed(rows, ["15"], key) == _summed(rows, counties, key)
        for city in cities:
            inside = [c for c in counties if c.startswith(city)]
            assert _summed(rows, [city], key) == _summed(rows, inside, key)
    fig = json.loads(rows["15"]["data"])
    mon, elim = fig["monitored"], fig["eliminated"]
    assert mon["households"] > 0
    assert fig["clearance_rate"]["persons"] == elim["persons"] / mon["persons"]
    assert sum(json.loads(rows[c]["data"])["grids"] for c in counties) == fig["grids"] == 120
    # the same figures as one computation over the whole month
    before = _data(rows)
    _full_recompute(store)
    assert _data(_figures(store)) == before


def _county_file(store, tmp_path, county_index: int, month: str, change: bool):
    """A county's month as its office's file, a few households' categories changed."""
    layer = store.full_geometries("grid")
    grids = province_grids(2026, plan_counties(2026, 3), 40)
    code = sorted(set(grids["county_code"]))[county_index]
    part = grids[grids["county_code"] == code].reset_index(drop=True)
    assert set(part["grid_code"]) <= set(layer["code"])
    frame = county_households(2026, county_index, part, month, per_grid=5)
    if change:
        plain = frame["category"].isna().to_numpy().nonzero()[0][:7]
        frame.loc[plain, "category"] = CATEGORIES[1]
        frame.loc[plain, "risk_level"] = "red"
        frame.loc[plain, "identified_on"] = f"{month}-02"
        frame.loc[plain, "risk_causes"] = "因病"
        frame.loc[plain, "channel"] = "干部走访排查"
        frame.loc[plain, "measures"] = "医疗救助"
    return code, write_county_month(frame, tmp_path / f"{code}_{month}.csv")


def test_a_county_load_rewrites_that_county_and_its_ancestors_only(province, tmp_path):
    store = province
    before_rows, before_ids = _figures(store), _identities(store)
    code, path = _county_file(store, tmp_path, 0, MONTH, change=True)
    load_households(store, path, month=MONTH)
    after_rows, after_ids = _figures(store), _identities(store)
    units = store.units_frame()
    inside = set(units.loc[units["county_code"] == code, "code"])
    ancestors = {code[:4], code[:2]}
    untouched = set(before_rows) - inside - ancestors
    assert len(untouched) > 80  # two counties' grids, villages, townships, a city
    for unit in untouched:  # same values, same row: not rewritten
        assert after_rows[unit] == before_rows[unit]
        assert after_ids[unit] == before_ids[unit]
    assert all(after_ids[u] != before_ids[u] for u in inside | ancestors)
    county = json.loads(after_rows[code]["data"])
    assert county["monitored"]["households"] == (
        json.loads(before_rows[code]["data"])["monitored"]["households"] + 7
    )
    counties = [c for c, r in after_rows.items() if r["level"] == "county"]
    for key in COUNTS:
        assert _summed(after_rows, ["15"], key) == _summed(after_rows, counties, key)
    # exactly what a recompute of the whole month gives
    _full_recompute(store)
    assert _data(_figures(store)) == _data(after_rows)


def test_a_new_month_county_by_county_agrees_with_a_whole_recompute(province, tmp_path):
    store = province
    month = "2026-11"
    first, path = _county_file(store, tmp_path, 0, month, change=False)
    load_households(store, path, month=month)  # a new month: the whole month (others zero)
    rows = _figures(store, month)
    assert len(rows) == len(_figures(store))
    assert json.loads(rows[first]["data"])["households"] == 200
    second, path = _county_file(store, tmp_path, 2, month, change=True)
    before_ids = _identities(store, month)
    load_households(store, path, month=month)
    after, after_ids = _figures(store, month), _identities(store, month)
    units = store.units_frame()
    first_units = set(units.loc[units["county_code"] == first, "code"])
    assert first_units and all(after_ids[u] == before_ids[u] for u in first_units)
    assert json.loads(after["15"]["data"])["households"] == 400
    _full_recompute(store, month)
    assert _data(_figures(store, month)) == _data(after)
