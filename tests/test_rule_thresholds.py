"""The rules' thresholds live in the policy of the year, so a province can change them
(``policy_thresholds``, ``riskgrid rules set``): on SQLite and PostGIS, through a real load."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from etl.households import load_households
from geodata.checks import Thresholds
from geodata.checks.run import check_month
from geodata.policy import THRESHOLD_FIELDS, THRESHOLD_LIMITS
from geodata.records.problems import FIXED_BY_DATA, OPEN
from tests.factories import load_tiny_grids, monitored, write_csv
from tests.test_rules import MONTH, PREVIOUS, PREVIOUS_INCOME, rows

PROVINCE = "15"  # the tiny grids' county is 152223
YEAR = int(MONTH[:4])


def load_county(store, tmp_path: Path) -> None:
    """The one-household-per-rule county of test_rules, with two households more: risk
    eliminated 4 and 2 months after identification (2024-03-15)."""
    grids = list(load_tiny_grids(store)["grid_code"])
    now = rows(grids)
    for i, (hid, on) in enumerate((("E_4_months", "2024-07-15"), ("E_2_months", "2024-05-15"))):
        row = monitored(40 + i, grids[0], 3, True)
        row.update({"户编号": hid, "家庭人均纯收入": "12000", "帮扶措施": "产业帮扶、医疗救助"})
        now[hid] = {**row, "消除监测时间": on}
    before = [
        {**r, "家庭人均纯收入": PREVIOUS_INCOME.get(h, r["家庭人均纯收入"])} for h, r in now.items()
    ]
    load_households(store, write_csv(tmp_path / "before.csv", before), month=PREVIOUS)
    load_households(store, write_csv(tmp_path / "now.csv", list(now.values())), month=MONTH)


def fired(store, rule: str) -> set[str]:
    hits = check_month(store, MONTH, rules=(rule,))
    return set(hits["household_id"])


DEFAULT_TOO_SOON = {"R_eliminated_too_soon", "E_4_months", "E_2_months"}
DEFAULT_DROP = {"R_income_drop"}  # more than 30 %: not the 28 % nor the exactly 30 % drop


def test_a_province_sets_its_thresholds_for_a_year(store, tmp_path: Path) -> None:
    load_county(store, tmp_path)
    assert store.policy(MONTH).thresholds == Thresholds()
    assert fired(store, "eliminated_too_soon") == DEFAULT_TOO_SOON
    assert fired(store, "income_drop") == DEFAULT_DROP
    fingerprint, version = store.policy(MONTH).fingerprint, store.data_version()

    # another year's row, and another province's row for the year: the month keeps the defaults
    store.set_thresholds(YEAR + 1, PROVINCE, elimination_months=3, income_drop=0.25)
    store.set_thresholds(YEAR, "41", elimination_months=3, income_drop=0.25)
    assert store.policy(MONTH).thresholds == Thresholds()
    assert fired(store, "eliminated_too_soon") == DEFAULT_TOO_SOON
    assert fired(store, "income_drop") == DEFAULT_DROP
    assert store.policy(f"{YEAR + 1}-01").thresholds.elimination_months == 3

    row = store.set_thresholds(YEAR, PROVINCE, elimination_months=3, income_drop=0.25)
    assert row == {"elimination_months": 3, "income_drop": 0.25}
    policy = store.policy(MONTH)
    assert policy.thresholds == Thresholds(elimination_months=3, income_drop=0.25)
    assert policy.threshold_source("elimination_months") == PROVINCE
    assert policy.threshold_source("signal_days") is None  # not set: its default
    # 4 months after identification is long enough now; 2 months is not
    assert fired(store, "eliminated_too_soon") == {"E_2_months"}
    # a drop of more than 25 %: the 28 % drop (20,000 -> 14,400) and the 30 % one fire
    assert fired(store, "income_drop") == {
        "R_income_drop",
        "N_drop_28_percent",
        "N_exactly_30_percent",
    }
    # thresholds change no figure: same fingerprint, nothing to recompute; but a new data version
    assert store.policy(MONTH).fingerprint == fingerprint
    assert store.ensure_policy() == []
    assert store.data_version() != version


def test_the_province_row_beats_the_row_for_every_province(store, tmp_path: Path) -> None:
    load_county(store, tmp_path)
    store.set_thresholds(YEAR, None, elimination_months=12, signal_days=10)
    assert store.policy(MONTH).thresholds == Thresholds(elimination_months=12, signal_days=10)
    assert store.policy(MONTH).threshold_source("signal_days") == ""
    # 12 months: every household eliminated within the year of its identification
    assert fired(store, "eliminated_too_soon") >= DEFAULT_TOO_SOON | {
        "N_six_months_exactly",
        "clean_3",
    }
    store.set_thresholds(YEAR, PROVINCE, elimination_months=3)
    policy = store.policy(MONTH)
    # the province's own value wins; what it does not set comes from the row for every province
    assert policy.thresholds == Thresholds(elimination_months=3, signal_days=10)
    assert dict(policy.threshold_rows) == {"elimination_months": PROVINCE, "signal_days": ""}
    assert fired(store, "eliminated_too_soon") == {"E_2_months"}
    # a second set keeps the values set before; clear makes the province default again
    store.set_thresholds(YEAR, PROVINCE, overdue_months=2)
    assert store.policy(MONTH).thresholds == Thresholds(3, signal_days=10, overdue_months=2)
    assert store.clear_thresholds(YEAR, PROVINCE) is True
    assert store.policy(MONTH).thresholds == Thresholds(elimination_months=12, signal_days=10)
    assert [(r["year"], r["province"]) for r in store.thresholds_table()] == [(YEAR, "")]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"elimination_months": 0}, "风险消除最短期限须为 1 到 36 个月的整数"),
        ({"elimination_months": 37}, "elimination_months must be a whole number 1..36"),
        ({"elimination_months": 2.5}, "elimination_months"),
        ({"measure_months": -1}, "帮扶措施落实期限须为 0 到 12 个月的整数"),
        ({"measure_months": 13}, "measure_months must be a whole number 0..12"),
        ({"income_drop": 0}, "人均纯收入降幅须大于 0 且小于 1 (income_drop must be 0 < x < 1)"),
        ({"income_drop": 1.0}, "income_drop must be 0 < x < 1"),
        ({"signal_days": 0}, "部门预警识别期限须为 1 到 90 天的整数"),
        ({"signal_days": 91}, "signal_days must be a whole number 1..90"),
        ({"overdue_months": 0}, "问题逾期期限须为 1 到 12 个月的整数"),
        ({"overdue_months": 13}, "overdue_months must be a whole number 1..12"),
        # one bad value refuses them all
        ({"elimination_months": 3, "signal_days": 100}, "signal_days"),
        ({}, "请至少给出一个阈值 (give at least one threshold)"),
        ({"nope": 3}, "没有该阈值 (no such threshold): nope"),
    ],
)
def test_invalid_thresholds_are_refused(make_store, values, message) -> None:
    store = make_store("sqlite")
    version = store.data_version()
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        store.set_thresholds(YEAR, PROVINCE, **values)
    assert store.thresholds_table() == []
    assert store.data_version() == version


def test_invalid_year_and_province_are_refused(store) -> None:
    with pytest.raises(ValueError, match="年份不合理"):
        store.set_thresholds(1800, None, elimination_months=3)
    with pytest.raises(ValueError, match="省级编码须为 2 位数字"):
        store.set_thresholds(YEAR, "152", elimination_months=3)
    assert store.thresholds_table() == []


def test_every_threshold_has_its_limits() -> None:
    assert set(THRESHOLD_LIMITS) == set(THRESHOLD_FIELDS) == set(Thresholds().as_dict())
    assert Thresholds().overdue_months == 1


def test_setting_thresholds_evaluates_the_problem_list_again(store, tmp_path: Path) -> None:
    load_county(store, tmp_path)
    assert store.sync_problems() == MONTH

    def listed(rule: str) -> dict[str, str]:
        frame = store.problems_frame()
        frame = frame[frame["rule"] == rule]
        return dict(zip(frame["household_id"], frame["status"], strict=True))

    assert listed("eliminated_too_soon") == dict.fromkeys(DEFAULT_TOO_SOON, "new")
    assert listed("income_drop") == dict.fromkeys(DEFAULT_DROP, "new")
    store.set_thresholds(YEAR, PROVINCE, elimination_months=3, income_drop=0.25)
    assert store.sync_problems() == MONTH
    assert listed("eliminated_too_soon") == {
        "R_eliminated_too_soon": "fixed",
        "E_4_months": "fixed",
        "E_2_months": "new",
    }
    frame = store.problems_frame()
    closed = frame[(frame["rule"] == "eliminated_too_soon") & (frame["status"] == "fixed")]
    assert set(closed["reason"]) == {FIXED_BY_DATA}
    assert listed("income_drop") == dict.fromkeys(
        {"R_income_drop", "N_drop_28_percent", "N_exactly_30_percent"}, "new"
    )
    # the open problems are those the new thresholds give
    frame = frame[frame["status"].isin(OPEN)]
    hits = check_month(store, MONTH)
    assert set(zip(frame["rule"], frame["household_id"], strict=True)) == set(
        zip(hits["rule"], hits["household_id"], strict=True)
    )


def test_migration_and_schema_agree(store) -> None:
    from geodata import schema

    with store.engine.connect() as conn:
        columns = {c["name"] for c in sa.inspect(conn).get_columns("policy_thresholds")}
    assert columns == {c.name for c in schema.policy_thresholds.columns}
    assert store.schema_version() == "0013"


def test_rules_cli_sets_lists_and_shows_the_thresholds(make_store, tmp_path: Path) -> None:
    from riskgrid.cli import app

    store = make_store("sqlite")
    url = str(store.engine.url)
    load_county(store, tmp_path)
    runner = CliRunner()
    shown = runner.invoke(app, ["rules", "--db", url])
    assert shown.exit_code == 0, shown.output
    assert "elimination_months  风险消除最短期限  6 个月  默认 default" in shown.output
    result = runner.invoke(
        app,
        ["rules", "set", "--year", str(YEAR), "--province", PROVINCE]
        + ["--elimination-months", "3", "--income-drop", "0.25", "--db", url],
    )
    assert result.exit_code == 0, result.output
    assert "elimination_months 3 个月" in result.output and "income_drop 25%" in result.output
    shown = runner.invoke(app, ["rules", "--month", MONTH, "--db", url])
    assert shown.exit_code == 0, shown.output
    out = shown.output
    assert f"阈值 thresholds ({YEAR} 年)" in out
    assert f"elimination_months  风险消除最短期限  3 个月  已设置 stored ({YEAR} 年, 省 15)" in out
    assert f"income_drop  人均纯收入降幅  25%  已设置 stored ({YEAR} 年, 省 15)" in out
    assert "signal_days  部门预警识别期限  15 天  默认 default" in out
    assert "eliminated_too_soon" in out and "阈值 3 个月" in out
    listing = runner.invoke(app, ["rules", "list", "--db", url])
    assert listing.exit_code == 0, listing.output
    assert str(YEAR) in listing.output and "25%" in listing.output
    bad = runner.invoke(
        app, ["rules", "set", "--year", str(YEAR), "--signal-days", "91", "--db", url]
    )
    assert bad.exit_code == 1
    assert "部门预警识别期限须为 1 到 90 天的整数" in bad.output and "Traceback" not in bad.output
    gone = runner.invoke(
        app, ["rules", "clear", "--year", str(YEAR), "--province", PROVINCE, "--db", url]
    )
    assert gone.exit_code == 0 and "已删除 cleared" in gone.output
    assert store.policy(MONTH).thresholds == Thresholds()
