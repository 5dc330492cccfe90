"""时效 stored per county and month (issue 15: a county page's first build read its households'
records) on a small province, 3 counties in 2 cities: the stored figures of every county,
township and village and month are exactly those computed from the records as before (the
fallback path and the pure function over every record of the store), after the first sync,
after a corrected month of one county and after a new month of another into which a household
moved; rows a load cannot change are not rewritten and keep being used; a row of another data
version is never used. The map's shapes named without geometry are those of the outlines."""

from __future__ import annotations

import pandas as pd
import pytest
import sqlalchemy as sa

from etl.demo.province import province_grids
from etl.demo.province_files import write_county_month
from etl.demo.province_geography import plan_counties
from etl.demo.province_households import county_households
from etl.households import load_households
from geodata import schema
from geodata.model import CATEGORIES, LEVELS
from geodata.timeliness import HOUSEHOLD_FIELDS, Membership, timeliness
from geodata.timeliness_store import store_timeliness
from tests.test_province import MONTH, NEXT, _county_file, synced_province


@pytest.fixture
def province(store):
    return synced_province(store)


def _units(store) -> list:
    units = store.units_frame()
    codes = units.loc[units["level"].isin(["county", "township", "village"]), "code"]
    return [store.unit(c) for c in sorted(codes)]


def _reference(store, unit, month: str) -> dict:
    """The pure function over every record of the store and the whole problem list."""
    h = schema.households
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(*[h.c[c] for c in HOUSEHOLD_FIELDS])).all()
    households = pd.DataFrame([tuple(r) for r in rows], columns=list(HOUSEHOLD_FIELDS))
    signals = pd.DataFrame({"household_id": [], "occurred_on": []})
    months = store.months()
    figures = timeliness(
        households,
        signals,
        store.problems_frame(),
        Membership(f"{unit.level}_code", frozenset([unit.code])),
        month,
        first_month=months[0],
    )
    return {"unit": {"code": unit.code, "name": unit.name, "level": unit.level}, **figures}


def _moved_file(store, tmp_path, moved: str):
    """County a's new month as _county_file makes it, one of its 7 newly identified
    households being ``moved`` (a household of another county until now)."""
    grids = province_grids(2026, plan_counties(2026, 3), 40)
    code = sorted(set(grids["county_code"]))[0]
    part = grids[grids["county_code"] == code].reset_index(drop=True)
    frame = county_households(2026, 0, part, NEXT, per_grid=5)
    plain = frame["category"].isna().to_numpy().nonzero()[0][:7]
    frame.loc[plain, "category"] = CATEGORIES[1]
    frame.loc[plain, "risk_level"] = "red"
    frame.loc[plain, "identified_on"] = f"{NEXT}-02"
    frame.loc[plain, "risk_causes"] = "因病"
    frame.loc[plain, "channel"] = "干部走访排查"
    frame.loc[plain, "measures"] = "医疗救助"
    frame.loc[plain[0], "household_id"] = moved
    return write_county_month(frame, tmp_path / f"{code}_{NEXT}.csv")


def _stored_rows(store) -> dict[tuple[str, str], tuple[str, str]]:
    t = schema.timeliness_figures
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.county_code, t.c.month, t.c.stamp, t.c.data)).all()
    return {(r.county_code, r.month): (r.stamp, r.data) for r in rows}


def _check_all(store, stored_months: dict[str, set[str]]) -> int:
    """Every unit and month: the stored figures (where ``stored_months`` says a county has a
    current row) equal the computed ones and the pure function's; the count compared."""
    version = store.data_version()
    months = store.months()
    compared = 0
    for unit in _units(store):
        for month in months:
            first = months[0]
            part = store.stored_timeliness(unit, month, version, first)
            assert (part is not None) == (month in stored_months[unit.county_code]), (unit, month)
            got = store_timeliness(store, unit, month)  # the stored row where there is one
            computed = store_timeliness(store, unit, month, version=f"not-{version}")
            assert got == computed == _reference(store, unit, month), (unit.code, month)
            compared += part is not None
    return compared


def test_stored_timeliness_equals_the_computed_figures_through_loads(province, tmp_path):
    store = province
    a, b, c = sorted(u.code for u in store.counties())
    # the first sync stored the latest month of every county
    assert _check_all(store, {a: {MONTH}, b: {MONTH}, c: {MONTH}}) == 3 + 6 + 24
    # a corrected month of county b: 7 of its households identified inside the history
    code, path = _county_file(store, tmp_path, 1, MONTH, change=True)
    assert code == b
    before = _stored_rows(store)
    load_households(store, path, month=MONTH)
    after = _stored_rows(store)
    assert after[(a, MONTH)][1] == before[(a, MONTH)][1]  # the same figures, a new stamp
    assert after[(a, MONTH)][0] == after[(b, MONTH)][0] != before[(a, MONTH)][0]
    assert _check_all(store, {a: {MONTH}, b: {MONTH}, c: {MONTH}}) == 33
    assert store_timeliness(store, b, MONTH)["identified"] == 7
    # a new month of county a, into which one of b's identified households moved
    moved = sorted(
        store.households_frame(MONTH, unit=store.unit(b)).query("identified_on.notna()")[
            "household_id"
        ]
    )[0]
    moved_path = _moved_file(store, tmp_path, moved)
    before = _stored_rows(store)
    load_households(store, moved_path, month=NEXT)
    after = _stored_rows(store)
    # b is recomputed for the new month (its household left), c only restamped
    assert after[(c, MONTH)][1] == before[(c, MONTH)][1]
    assert {k for k in after if k[1] == NEXT} == {(a, NEXT), (b, NEXT)}
    # c has no households in the new month: no row (computed when asked), all else stored
    assert _check_all(store, {a: {MONTH, NEXT}, b: {MONTH, NEXT}, c: {MONTH}}) == 55
    assert store_timeliness(store, b, NEXT)["identified"] == 6
    assert store_timeliness(store, a, NEXT)["identified"] == 7


def test_a_row_of_another_data_version_is_not_used(province):
    store = province
    county = store.counties()[0]
    months = store.months()
    version = store.data_version()
    assert store.stored_timeliness(county, MONTH, version, months[0]) is not None
    assert store.stored_timeliness(county, MONTH, version + "x", months[0]) is None
    with store.write() as conn:  # figures stored under another version are left alone
        conn.execute(schema.timeliness_figures.update().values(stamp="old"))
    assert store.stored_timeliness(county, MONTH, version, months[0]) is None
    assert store_timeliness(store, county, MONTH) == _reference(store, county, MONTH)


def test_the_maps_shapes_without_geometry_are_the_outlines_shapes(province):
    store = province
    units = store.units_frame()
    for code in units.loc[units["level"] != "grid", "code"]:
        unit = store.unit(code)
        for level in LEVELS[LEVELS.index(unit.level) :]:
            outlines = store.map_features(level, code)["features"]
            index = store.feature_index(level, code)["features"]
            assert [(f["id"], f["properties"]) for f in index] == [
                (f["id"], f["properties"]) for f in outlines
            ], (code, level)
