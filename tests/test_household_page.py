"""The household page (issue 13): the masked head's name as its heading, 风险等级 and 监测类别 as
coloured badges, the 显示完整信息 toggle in the header, and its month-by-month history (历史记录)
read through the ScopedStore (refused to a viewer, written to the audit log); and a village-level
community (社区) called 社区, not 村, wherever its level word is shown."""

from __future__ import annotations

import flask
import pytest
import sqlalchemy as sa

from dashboard import create_app
from dashboard.data import LOADERS_KEY
from dashboard.pages import household, unit
from geodata import Store, schema
from geodata.access import AccessDenied, Principal, RoleDenied, ScopedStore, audit_rows
from geodata.model import (
    CATEGORY_LABELS,
    RISK_COLORS,
    Unit,
    children_level_word,
    is_community,
    level_word,
    mask_name,
)
from reports import fmt
from reports.briefing_build import build_briefing
from riskgrid.settings import Settings
from tests.factories import TOWNSHIP, VILLAGES
from tests.test_dashboard_support import build_tiny, by_id, kind, props, texts, walk

COMMUNITY, VILLAGE = VILLAGES  # the first village is made a community below
COMMUNITY_NAME = "繁荣社区"
INCOMES = {"2024-10": 6543.0, "2024-11": 7890.0}  # distinct per month


@pytest.fixture(scope="module")
def hh_db(tmp_path_factory) -> tuple[str, str]:
    """The tiny data (two months), its first village an urban community (村类型 社区), one of
    its monitored households given a different income each month: (url, household_id)."""
    url = build_tiny(tmp_path_factory.mktemp("household-page") / "tiny.db")
    store = Store(url)
    u, h = schema.units, schema.households
    month = store.latest_month()
    frame = store.households_frame(month, unit=store.unit(COMMUNITY))
    monitored = frame[frame["category"].notna() & frame["risk_level"].isin(["red", "yellow"])]
    hid = monitored.sort_values("household_id")["household_id"].iloc[0]
    with store.write() as conn:
        conn.execute(
            sa.update(u).where(u.c.code == COMMUNITY).values(kind="社区", name=COMMUNITY_NAME)
        )
        for m, income in INCOMES.items():
            conn.execute(
                sa.update(h)
                .where(h.c.month == m, h.c.household_id == hid)
                .values(income_per_capita=income)
            )
    store.dispose()
    return url, hid


@pytest.fixture
def hh(hh_db):
    """(app, store, household_id) inside a request context, log-in off (the local admin)."""
    url, hid = hh_db
    app = create_app(Settings(db=url, login=False))
    with app.server.test_request_context("/"):
        yield app, Store(url), hid


def with_class(component, name: str) -> list:
    return [c for c in walk(component) if name in (getattr(c, "className", None) or "").split()]


def test_heading_is_the_masked_head_name_and_the_toggle_is_in_the_header(hh):
    app, store, hid = hh
    month = store.latest_month()
    record = store.household(month, hid)
    page = household.household_layout(hid, month)
    (h1,) = [c for c in walk(page) if kind(c) == "H1"]
    title, subtitle = h1.children
    assert title == f"{mask_name(record['head_name'])} 家"
    assert hid in subtitle.children and "脱敏" in subtitle.children
    assert record["head_name"] not in texts(page)
    (header,) = with_class(page, "rg-page-header")
    assert by_id(header, "rg-unmask").children == "显示完整信息"
    # full: the head's full name, the toggle then hides it again
    full = household.household_layout(hid, month, full=True)
    (h1,) = [c for c in walk(full) if kind(c) == "H1"]
    assert h1.children[0] == f"{record['head_name']} 家"
    assert by_id(full, "rg-unmask").children == "隐藏完整信息"
    assert by_id(page, "household-history") is not None


def test_risk_and_category_badges_carry_their_colours(hh):
    app, store, hid = hh
    month = store.latest_month()
    record = store.household(month, hid)
    page = household.household_layout(hid, month)
    badge = by_id(page, "household-risk")
    assert props(badge)["style"]["background"] == RISK_COLORS[record["risk_level"]]
    assert f"rg-badge-{record['risk_level']}" in badge.className.split()
    (category,) = with_class(by_id(page, "household-category"), "rg-cat")
    assert f"rg-cat-{record['category']}" in category.className.split()
    assert category.children == CATEGORY_LABELS[record["category"]]


def test_history_has_one_row_per_loaded_month_with_its_stored_income(hh):
    app, store, hid = hh
    months = store.months()
    assert len(months) == 2
    page = household.household_layout(hid, months[0])
    table = by_id(page, "household-history-table")
    rows = [c for c in walk(table) if "data-month" in props(c)]
    assert [props(r)["data-month"] for r in rows] == sorted(months, reverse=True)  # newest first
    for row in rows:
        m = props(row)["data-month"]
        stored = store.household(m, hid)
        assert stored["income_per_capita"] == INCOMES[m]
        shown = texts(row)
        assert fmt.yuan(INCOMES[m]) in shown
        assert fmt.month_label(m) in shown
        (badge,) = with_class(row, "rg-badge")
        assert props(badge)["style"]["background"] == RISK_COLORS[stored["risk_level"]]
        # the month shown is highlighted
        assert (row.className == "rg-row-current") == (m == months[0])
    assert "历史记录（2 个月）" in texts(page)


def test_history_read_is_scoped_masked_free_and_audited(hh):
    app, store, hid = hh
    before = len(audit_rows(store))
    household.household_layout(hid, store.latest_month())
    new = audit_rows(store)[before:]
    assert {"view_household", "view_household_history"} <= {r["action"] for r in new}
    (look,) = [r for r in new if r["action"] == "view_household_history"]
    assert look["target"] == hid and look["username"] == "local" and "2 months" in look["detail"]
    # the rows carry no names or ID numbers; a village role outside the household's is refused
    scoped = ScopedStore(store, Principal("v1", "village", COMMUNITY))
    history = scoped.household_history(hid)
    assert len(history) == 2 and not {"head_name", "id_number"} & set(history[0])
    with pytest.raises(AccessDenied):
        ScopedStore(store, Principal("v2", "village", VILLAGE)).household_history(hid)
    assert audit_rows(store)[-1]["action"] == "denied"
    assert ScopedStore(store, Principal("v1", "village", COMMUNITY)).household_history("H0") == []


def test_viewer_is_refused_the_household_page_and_its_history(hh):
    app, store, hid = hh
    base = app.server.config[LOADERS_KEY]
    flask.g.rg_loaders = base.bind(Principal("wall", "viewer", "152223"))
    page = household.layout(hid, store.latest_month())
    assert by_id(page, "rg-denied") is not None
    assert hid not in " ".join(texts(page))
    with pytest.raises(RoleDenied):
        ScopedStore(store, Principal("wall", "viewer", "152223")).household_history(hid)
    last = audit_rows(store)[-1]
    assert (last["action"], last["target"], last["username"]) == ("denied", hid, "wall")


def test_a_village_level_community_is_called_shequ(hh):
    app, store, hid = hh
    month = store.latest_month()
    # the household page's breadcrumb
    crumbs = by_id(household.household_layout(hid, month), "rg-breadcrumb")
    levels = [c.children for c in with_class(crumbs, "rg-crumb-level")]
    assert levels == ["县", "乡镇", "社区", "网格"]
    assert COMMUNITY_NAME in texts(crumbs)
    # the community's own page: breadcrumb and heading subtitle
    page = unit.unit_layout(COMMUNITY, month)
    levels = [c.children for c in with_class(by_id(page, "rg-breadcrumb"), "rg-crumb-level")]
    assert levels[-1] == "社区"
    (h1,) = [c for c in walk(page) if kind(c) == "H1"]
    assert h1.children[0] == COMMUNITY_NAME and h1.children[1].children == f"社区 · {COMMUNITY}"
    # a village (嘎查) stays 村; the township's ranking, of both, says 村（社区）
    other = unit.unit_layout(VILLAGE, month)
    (h1,) = [c for c in walk(other) if kind(c) == "H1"]
    assert h1.children[1].children == f"村 · {VILLAGE}"
    township = unit.unit_layout(TOWNSHIP, month)
    (ranking,) = [p for p in with_class(township, "rg-panel") if by_id_or_none(p, "rg-ranking")]
    assert "村（社区）排名（按风险消除率）" in texts(ranking)
    assert "点击地图上的村（社区）或排名表中的名称，进入下一级。" in texts(township)
    # the briefing's subtitle
    assert build_briefing(store, COMMUNITY, month).subtitle.startswith(f"社区级 {COMMUNITY}")


def by_id_or_none(component, component_id: str):
    try:
        return by_id(component, component_id)
    except KeyError:
        return None


def test_level_words():
    assert is_community("社区") and is_community("居委会") and not is_community("嘎查")
    assert is_community(None, "向阳居委会") and not is_community(None, "五家子村")
    assert not is_community("村", "某社区")  # the stored kind decides
    assert level_word("village", "社区") == "社区" and level_word("village", "村") == "村"
    assert level_word("township", "社区") == "乡镇"
    unit_ = Unit("152223100001", "绰尔社区", "village", "152223100", "152223", "152223100", None)
    assert unit_.level_label == "社区" and unit_.is_community
    villages = [{"name": "五家子村"}, {"name": "塔本毛都嘎查"}]
    assert children_level_word("village", villages) == "村"
    assert children_level_word("village", [{"name": "绰尔社区", "kind": "社区"}]) == "社区"
    assert children_level_word("village", [*villages, {"name": "绰尔社区"}]) == "村（社区）"
    assert children_level_word("grid", villages) == "网格"
