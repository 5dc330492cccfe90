"""Rendered unit pages cached per data version, scope, problem list and day (dashboard/page_cache).

A unit page is built once and then served as the same JSON to every request that would build
the same page; a load, a status change in the problem list or another account scope builds it
anew. Pages that show households (the grid page) are never cached: every look is audited.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from dashboard import create_app
from dashboard.data import get_loaders
from dashboard.initial_page import layout_json
from dashboard.page_cache import page_key
from dashboard.pages import grid as grid_page
from dashboard.pages import unit
from geodata import Store
from geodata.access import LOCAL_ADMIN, Principal, ScopedStore, audit_rows
from riskgrid.settings import Settings
from tests.test_dashboard_support import by_id, props

BUILD = unit.unit_page  # the page builder itself (the tests count its calls)


@pytest.fixture
def db(tmp_path: Path, small_demo_db: str) -> str:
    """A copy of the small demo (the tests change its problem list and data version)."""
    copy = tmp_path / "cache.db"
    shutil.copy(small_demo_db.removeprefix("sqlite:///"), copy)
    return f"sqlite:///{copy}"


@pytest.fixture
def built(monkeypatch) -> list[str]:
    """The codes ``unit.unit_page`` builds a page for, in order."""
    calls: list[str] = []

    def counting(loaders: Any, shown: Any, month: str) -> Any:
        calls.append(shown.code)
        return BUILD(loaders, shown, month)

    monkeypatch.setattr(unit, "unit_page", counting)
    return calls


def page(app: Any, code: str, month: str | None = None) -> Any:
    with app.server.test_request_context("/"):
        return unit.unit_layout(code, month)


def test_a_unit_page_is_built_once_and_is_the_page_built_afresh(db: str, built: list) -> None:
    app = create_app(Settings(db=db, login=False))
    store = Store(db)
    county = store.default_unit()
    township = store.children(county.code)[0]
    month = store.latest_month()
    first = page(app, township.code, month)
    second = page(app, township.code, month)
    assert built == [township.code]
    assert first == second
    with app.server.test_request_context("/"):
        loaders = get_loaders()
        afresh = orjson.loads(layout_json(BUILD(loaders, loaders.unit(township.code), month)))
    assert afresh == first
    # the same unit in the latest month asked for without a month is the same page...
    page(app, township.code, None)
    assert built[-1] == township.code
    # ...another month or unit another page
    months = store.months()
    page(app, township.code, months[0])
    page(app, county.code, month)
    assert built[-2:] == [township.code, county.code]
    store.dispose()


def test_a_load_or_a_status_change_builds_the_page_anew(db: str, built: list) -> None:
    app = create_app(Settings(db=db, login=False))
    store = Store(db)
    county = store.default_unit()
    before = page(app, county.code)
    open_before = int(props(by_id(before, "unit-problems-total"))["data-open"])
    assert open_before > 0 and built == [county.code]

    # a problem dismissed: the count on the page follows at once
    scoped = ScopedStore(store, LOCAL_ADMIN)
    with store.engine.connect() as conn:
        rule, household = conn.execute(
            sa.text(
                "SELECT rule, household_id FROM problems WHERE status IN ('new', 'confirmed') "
                "AND county_code = :c ORDER BY rule, household_id LIMIT 1"
            ),
            {"c": county.code},
        ).one()
    scoped.set_problem_status(rule, household, "dismissed", "核实无误")
    after = page(app, county.code)
    assert built == [county.code, county.code]
    assert int(props(by_id(after, "unit-problems-total"))["data-open"]) == open_before - 1

    # a load (the data version): built anew
    page(app, county.code)
    assert len(built) == 2
    with store.write() as conn:
        store.set_meta(conn, "data_as_of", "2099-01-01 00:00:00")
    page(app, county.code)
    assert len(built) == 3
    store.dispose()


def test_the_key_is_the_scope_not_the_account(db: str) -> None:
    app = create_app(Settings(db=db, login=False))
    store = Store(db)
    county = store.default_unit()
    townships = store.children(county.code)
    month = store.latest_month()
    with app.server.test_request_context("/"):
        base = get_loaders()

        def key(principal: Principal) -> tuple:
            return page_key(base.bind(principal), "unit", (townships[0].code, month))

        one = key(Principal("a", "county", county.code))
        assert key(Principal("b", "county", county.code)) == one  # another account, same scope
        assert key(Principal("c", "township", townships[0].code)) != one
        assert key(Principal("d", "viewer", county.code)) != one
        assert key(Principal("e", "county", "999999")) != one
    store.dispose()


def test_a_grid_page_is_built_and_audited_at_every_look(db: str) -> None:
    app = create_app(Settings(db=db, login=False))
    store = Store(db)
    county = store.default_unit()
    grid = store.map_features("grid", county.code)["features"][0]["id"]
    month = store.latest_month()
    looks = [len([r for r in audit_rows(store) if r["target"] == grid])]  # earlier tests' too
    for _ in range(2):
        with app.server.test_request_context("/"):
            grid_page.grid_layout(grid, month)
        looks.append(len([r for r in audit_rows(store) if r["target"] == grid]))
    assert looks[2] - looks[1] == looks[1] - looks[0] >= 1
    store.dispose()


def test_a_server_warms_the_timeliness_of_every_month(db: str) -> None:
    from dashboard.warm import start_warming
    from geodata import timeliness_store as timeliness

    timeliness._SHARED.clear()
    app = create_app(Settings(db=db, login=False))
    store = Store(db)
    store.sync_problems()  # as a page's first view: the latest month's 时效 stored with it
    months = store.months()
    start_warming(app.server).join(timeout=120)
    version = store.data_version()
    warmed = sorted(k[2] for k in timeliness._SHARED if k[1] == version)
    # the months whose 时效 is not stored at this data version (the latest is, with the sync)
    county = store.counties()[0]
    stored = [m for m in months if store.stored_timeliness(county, m, version, months[0])]
    assert stored == months[-1:] and len(months) >= 3
    assert warmed == sorted(set(months) - set(stored))
    store.dispose()
