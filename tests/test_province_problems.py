"""The problem list's sync at a province's scale (issue 15), on a small province (3 counties in
2 cities): a county's load syncs that county's problems only, at its latest month, and leaves
every other county's rows as they were (same values, same stored row); a whole sync evaluated
a batch of counties at a time lists exactly what one evaluation of the whole month lists."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from etl.demo.province import load_province
from etl.households import load_households
from geodata import schema
from geodata.checks.run import check_counties, check_month, in_unit
from geodata.records import problem_sync
from geodata.records.problems import FIXED_BY_DATA
from tests.test_province import MONTH, NEXT, SMALL, _county_file, synced_province


@pytest.fixture
def province(store):
    return synced_province(store)


def _rows(store) -> dict[tuple[str, str], dict]:
    """(rule, household) -> the stored problem row, with its identity (ctid on PostgreSQL: a
    rewritten row moves; the rowid on SQLite)."""
    ident = "ctid::text" if store.is_postgis else "rowid"
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"SELECT *, {ident} AS ident FROM problems").mappings().all()
    return {(r["rule"], r["household_id"]): dict(r) for r in rows}


def _of(rows: dict, county: str) -> dict:
    return {k: r for k, r in rows.items() if r["county_code"] == county}


def _pairs(hits) -> set[tuple[str, str]]:
    return set(zip(hits["rule"], hits["household_id"], strict=True))


def _counties(store) -> list[str]:
    units = store.units_frame()
    return sorted(units.loc[units["level"] == "county", "code"])


def test_a_county_new_month_syncs_that_county_only(province, tmp_path):
    store = province
    a, b, c = _counties(store)
    before = _rows(store)
    assert all(_of(before, x) for x in (a, b, c))
    # statuses users set in the other counties
    kb = sorted(_of(before, b))[0]
    kc = sorted(_of(before, c))[0]
    store.set_problem_status(*kb, "confirmed", None, "township_b")
    store.set_problem_status(*kc, "dismissed", "已核实无误", "township_c")
    before = _rows(store)
    code, path = _county_file(store, tmp_path, 0, NEXT, change=True)
    assert code == a
    load_households(store, path, month=NEXT)
    after = _rows(store)
    for county in (b, c):  # the same rows, not rewritten: still open, still of 2026-10
        assert _of(after, county) == _of(before, county)
    assert after[kb]["status"] == "confirmed" and after[kb]["changed_by"] == "township_b"
    assert after[kc]["status"] == "dismissed" and after[kc]["reason"] == "已核实无误"
    # county a: exactly what its new month fires, the rest of its list closed by the data
    fired = _pairs(check_counties(store, NEXT, [a]))
    assert fired
    mine = _of(after, a)
    assert {k for k, r in mine.items() if r["last_seen"] == NEXT} == fired
    for key, row in mine.items():
        if key not in fired and before.get(key, {}).get("status") in ("new", "confirmed"):
            assert (row["status"], row["reason"]) == ("fixed", FIXED_BY_DATA)
    assert set(after) - set(before) == fired - set(before)
    # the list is synced: a plain sync after the load changes nothing
    assert store.problems_in_sync()
    assert store.sync_problems() == NEXT
    assert _rows(store) == after


def test_a_county_load_keeps_the_status_a_user_set_in_another_county(province, tmp_path):
    store = province
    a, b, _ = _counties(store)
    key = sorted(_of(_rows(store), a))[0]
    change = store.set_problem_status(*key, "confirmed", "入户核实", "township_a")
    assert change == {"before": "new", "after": "confirmed", "reason": "入户核实"}
    mine = _of(_rows(store), a)
    code, path = _county_file(store, tmp_path, 1, MONTH, change=True)  # b's corrected file
    assert code == b
    load_households(store, path, month=MONTH)
    assert _of(_rows(store), a) == mine
    # and a county's own re-sync keeps the statuses its problems have
    code, path = _county_file(store, tmp_path, 0, MONTH, change=True)
    load_households(store, path, month=MONTH)
    row = _rows(store)[key]
    assert (row["status"], row["reason"], row["changed_by"]) == (
        "confirmed",
        "入户核实",
        "township_a",
    )


def test_a_load_of_a_list_not_synced_before_syncs_the_whole_list(store, tmp_path):
    load_province(store, seed=2026, **SMALL)  # the province demo leaves the list to its next read
    assert not store.problems_in_sync()
    _, path = _county_file(store, tmp_path, 0, MONTH, change=True)
    load_households(store, path, month=MONTH)
    assert store.problems_in_sync()
    rows = _rows(store)
    assert {r["county_code"] for r in rows.values()} == set(_counties(store))
    assert set(rows) == _pairs(check_month(store, MONTH))


def test_a_plain_sync_keeps_the_whole_list_semantics(province, tmp_path):
    """A plain sync (no counties) evaluates the latest month over every county: a county with
    no households in it has its open problems closed by the data, as before."""
    store = province
    a, b, c = _counties(store)
    _, path = _county_file(store, tmp_path, 0, NEXT, change=False)
    load_households(store, path, month=NEXT)
    with store.write() as conn:
        store.set_meta(conn, "problems_synced", "stale")
    assert store.sync_problems() == NEXT
    rows = _rows(store)
    assert all(r["status"] == "fixed" for k, r in rows.items() if r["county_code"] in (b, c))
    assert {k for k, r in rows.items() if r["last_seen"] == NEXT} == _pairs(
        check_month(store, NEXT)
    )


def _resync(store, monkeypatch, batch: int, whole_month: int) -> dict[tuple[str, str], tuple]:
    monkeypatch.setattr(problem_sync, "BATCH_HOUSEHOLDS", batch)
    monkeypatch.setattr(problem_sync, "_WHOLE_MONTH", whole_month)
    with store.write() as conn:
        conn.execute(schema.problems.delete())
        conn.execute(schema.meta.delete().where(schema.meta.c.key == "problems_synced"))
    calls = []
    original = problem_sync.check_month

    def counted(*args, **kwargs):
        calls.append(kwargs.get("counties"))
        return original(*args, **kwargs)

    monkeypatch.setattr(problem_sync, "check_month", counted)
    assert store.sync_problems() == NEXT
    monkeypatch.setattr(problem_sync, "check_month", original)
    rows = _rows(store)
    cols = ("severity", "county_code", "grid_code", "first_seen", "last_seen", "status", "evidence")
    return {k: tuple(r[c] for c in cols) for k, r in rows.items()}, calls


def test_a_batched_whole_sync_equals_one_evaluation_of_the_month(province, tmp_path, monkeypatch):
    store = province
    counties = _counties(store)
    for index in range(3):  # the new month county by county: each load syncs its county
        _, path = _county_file(store, tmp_path, index, NEXT, change=index == 1)
        load_households(store, path, month=NEXT)
    scoped = _rows(store)
    whole = _pairs(check_month(store, NEXT))  # one evaluation of the whole month
    assert {k for k, r in scoped.items() if r["last_seen"] == NEXT} == whole
    # one batch of all counties (the look back: by household number)
    one, calls = _resync(store, monkeypatch, batch=10**9, whole_month=10**9)
    assert [sorted(c) for c in calls[:1]] == [counties] and calls[1:] == [None]
    # a county per batch, the look back over 2026-10 also in batches: never the whole month
    batched, calls = _resync(store, monkeypatch, batch=1, whole_month=0)
    assert [list(c) for c in calls] == [[x] for x in counties] * 2
    assert batched == one
    assert set(one) == whole
    assert any(v[3] == MONTH for v in one.values())  # first seen a month back
    assert {k: (r["first_seen"], r["evidence"]) for k, r in scoped.items() if k in whole} == {
        k: (v[3], v[6]) for k, v in one.items()
    }


@pytest.mark.postgis
def test_a_new_month_partition_is_indexed_by_county(make_store, tmp_path):
    store = make_store("postgis")
    load_province(store, seed=2026, **SMALL)
    _, path = _county_file(store, tmp_path, 0, NEXT, change=False)
    load_households(store, path, month=NEXT)
    with store.engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND indexname IN ('households_2026_10_month_county',"
                " 'households_2026_10_month_site', 'households_2026_11_month_county',"
                " 'households_2026_11_month_site') ORDER BY indexname"
            )
        ).all()
    assert [t for t, _ in found] == ["households_2026_10"] * 2 + ["households_2026_11"] * 2
    assert ["(month, county_code)" in d for _, d in found] == [True, False] * 2
    assert ["(month, site_code) WHERE (site_code IS NOT NULL)" in d for _, d in found] == [
        False,
        True,
    ] * 2


def test_a_county_evaluation_reads_its_households_members_and_previous_month(province, tmp_path):
    """check_counties reads the members (joined to the county's households) and the previous
    month (by the county's index, a household from elsewhere by its number): its hits are the
    whole month's evaluation's hits of that county."""
    store = province
    a, b, _ = _counties(store)
    frame = store.households_frame(MONTH, columns=["household_id", "county_code"])
    skills = ("无劳动力", "普通劳动力", "丧失劳动力", "技能劳动力")
    members = [
        {
            "month": MONTH,
            "household_id": h,
            "person_id": f"{h}01",
            "name": "成员",
            "relation": "户主",
            "is_head": True,
            "labor_skill": skills[i % 4],
        }
        for i, h in enumerate(frame["household_id"])
    ]
    plain = store.households_frame(MONTH, columns=["household_id", "county_code", "category"])
    warned = [
        plain.loc[plain["category"].isna() & (plain["county_code"] == c), "household_id"].iloc[0]
        for c in (a, b)
    ]
    signals = [
        {
            "household_id": h,
            "department": "医保",
            "signal": "大额医疗支出",
            "occurred_on": date(2026, 9, 1),
            "month": "2026-09",
        }
        for h in warned
    ]
    with store.write() as conn:
        conn.execute(schema.members.insert(), members)
        conn.execute(schema.signals.insert(), signals)
    _, path = _county_file(store, tmp_path, 0, NEXT, change=True)
    load_households(store, path, month=NEXT)
    # a household of b in 2026-10 lives in a in 2026-11, its income fallen by nine tenths
    h = schema.households
    moved = frame.loc[frame["county_code"] == b, "household_id"].iloc[0]
    with store.write() as conn:
        row = dict(
            conn.execute(sa.select(h).where(h.c.month == MONTH, h.c.household_id == moved))
            .one()
            ._mapping
        )
        into = conn.execute(
            sa.select(h.c.grid_code, h.c.village_code, h.c.township_code)
            .where(h.c.month == NEXT, h.c.county_code == a)
            .limit(1)
        ).one()
        assert row["income_per_capita"] > 0
        row.update(into._mapping, month=NEXT, county_code=a)
        row["income_per_capita"] = row["income_per_capita"] / 10
        conn.execute(h.insert(), [row])
    for month in (MONTH, NEXT):
        whole = check_month(store, month)
        for county in (a, b):
            mine = check_counties(store, month, [county])
            theirs = whole[whole["county_code"] == county]
            assert len(mine) == len(theirs) and _pairs(mine) == _pairs(theirs)
    assert "eliminated_without_labour" in set(check_counties(store, MONTH, [a])["rule"])
    # a unit's check reads its counties only, with the same hits
    whole = check_month(store, MONTH)
    township = sorted(set(whole.loc[whole["county_code"] == a, "township_code"]))[0]
    for code in (a, a[:4], "15", township):
        unit = store.unit(code)
        theirs = whole[in_unit(whole, unit, store).to_numpy()]
        assert len(theirs) and _pairs(check_month(store, MONTH, unit)) == _pairs(theirs)
    assert ("income_drop", moved) in _pairs(check_counties(store, NEXT, [a]))
    assert ("signal_not_identified", warned[0]) in _pairs(check_counties(store, MONTH, [a]))
    assert ("signal_not_identified", warned[1]) in _pairs(check_counties(store, MONTH, [b]))
