"""Roles scoped to a unit, masking, log-in failures and the audit log, below the web layer."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from etl.households import load_households
from geodata import schema
from geodata.access import AccessDenied, Principal, ScopedStore, audit_rows
from geodata.accounts import LOGIN_FAILED, AuthError, Users
from tests.factories import county_file, load_tiny_grids, write_csv

PASSWORD = "correct-horse-9"


@pytest.fixture
def loaded(store, tmp_path):
    grids = list(load_tiny_grids(store)["grid_code"])
    load_households(
        store,
        write_csv(tmp_path / "h.csv", county_file(30, 90, 10, 30, grids, others=10)),
        month="2024-10",
    )
    return store, grids


def test_township_sees_its_township_and_nothing_beyond(loaded):
    store, grids = loaded
    # a second county outside the township's area
    other = ScopedStore(store, Principal("t", "township", "152223101"))
    assert other.stats("152223101")["unit"]["code"] == "152223101"
    assert other.stats(grids[0])["unit"]["code"] == grids[0]
    with pytest.raises(AccessDenied):
        other.stats("152223")  # the county above it
    with pytest.raises(AccessDenied):
        other.map_features("grid", "152223")
    assert [u.code for u in other.lineage(grids[0])] == ["152223101", "152223101001", grids[0]]


def test_village_role_is_bound_to_its_village(loaded):
    store, grids = loaded
    v = ScopedStore(store, Principal("v", "village", "152223101001"))
    assert v.stats("152223101001")["grids"] == 3
    mine = [g for g in grids if g.startswith("152223101001")]
    theirs = [g for g in grids if g.startswith("152223101002")]
    v.households(mine[0], "2024-10")
    with pytest.raises(AccessDenied):
        v.households(theirs[0], "2024-10")
    with pytest.raises(AccessDenied):
        v.stats("152223101")


def test_viewer_sees_figures_but_no_households(loaded):
    store, grids = loaded
    viewer = ScopedStore(store, Principal("wall", "viewer", "152223"))
    assert viewer.stats()["monitored"]["households"] == 30
    with pytest.raises(AccessDenied):
        viewer.households(grids[0], "2024-10")
    hid = store.households_frame("2024-10").iloc[0]["household_id"]
    with pytest.raises(AccessDenied):
        viewer.household(hid, "2024-10")


def test_households_masked_and_every_look_logged(loaded):
    store, grids = loaded
    t = ScopedStore(store, Principal("t", "township", "152223101"), address="10.0.0.8")
    frame = t.households(grids[0], "2024-10")
    raw = store.households_frame("2024-10", unit=store.unit(grids[0]))
    assert len(frame) == len(raw) > 0
    for masked, original in zip(frame["id_number"], raw["id_number"], strict=True):
        assert masked == original[:6] + "********" + original[-4:]
    assert all("*" in n for n in frame["head_name"])
    assert not set(frame["head_name"]) & set(raw["head_name"])
    # a township account may not unmask; a county account may
    assert (
        t.household(raw.iloc[0]["household_id"], "2024-10", unmask=True)["id_number"]
        != raw.iloc[0]["id_number"]
    )
    c = ScopedStore(store, Principal("c", "county", "152223"))
    assert (
        c.household(raw.iloc[0]["household_id"], "2024-10", unmask=True)["id_number"]
        == raw.iloc[0]["id_number"]
    )
    rows = audit_rows(store)
    assert [(r["username"], r["action"], r["target"]) for r in rows] == [
        ("t", "view_households", grids[0]),
        ("t", "view_household", raw.iloc[0]["household_id"]),
        ("c", "view_household", raw.iloc[0]["household_id"]),
    ]
    assert rows[0]["address"] == "10.0.0.8"
    phone = ScopedStore(store, Principal("w", "viewer", "152223")).grid_worker(grids[0])[1]
    assert phone.startswith("138") and "****" in phone


def test_users_roles_units_and_lockout(loaded):
    store, _ = loaded
    users = Users(store, max_failures=3, lock_seconds=60)
    users.add("zhang", PASSWORD, "township", "152223101")
    with pytest.raises(ValueError, match="乡镇|township"):
        users.add("li", PASSWORD, "township", "152223")  # a county is not a township
    with pytest.raises(ValueError, match="unit not found"):
        users.add("li", PASSWORD, "county", "999999")
    assert users.authenticate("zhang", PASSWORD) == Principal("zhang", "township", "152223101")
    for _ in range(3):
        with pytest.raises(AuthError):
            users.authenticate("zhang", "wrong-password", "10.0.0.9")
    # that address waits: even the right password is refused from it, with the same message
    with pytest.raises(AuthError) as info:
        users.authenticate("zhang", PASSWORD, "10.0.0.9")
    assert str(info.value) == LOGIN_FAILED and "waits" in info.value.reason
    # another address is not held up
    assert users.authenticate("zhang", PASSWORD, "10.0.0.7").role == "township"
    assert [r["waiting"] for r in users.list() if r["username"] == "zhang"] == [1]
    with store.write() as conn:  # let the wait pass
        conn.execute(
            schema.login_throttle.update().values(locked_until=dt.datetime(2000, 1, 1))
        )
    assert users.authenticate("zhang", PASSWORD, "10.0.0.9").role == "township"
    actions = [r["action"] for r in audit_rows(store, username="zhang")]
    assert actions == [
        "login",
        "login_failed",
        "login_failed",
        "login_failed",
        "login_throttled",
        "login",
        "login",
    ]
    users.disable("zhang")
    with pytest.raises(AuthError):
        users.authenticate("zhang", PASSWORD)
    with store.engine.connect() as conn:
        hashes = list(conn.execute(sa.select(schema.users.c.password_hash)).scalars())
    assert hashes[0].startswith("$argon2id$") and PASSWORD not in hashes[0]
