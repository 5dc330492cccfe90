"""The monitoring rules (issue 12, part 1): one household per rule trips exactly that rule, near
misses trip none, clean households trip none: on SQLite and PostGIS, through a real load."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from etl.households import load_households
from etl.signals import load_signals
from geodata.checks import RULES, evaluate_month, facts
from geodata.checks.evaluate import RULE_FUNCTIONS
from geodata.checks.run import check_month
from geodata.model import Lines
from tests.factories import household_row, load_tiny_grids, monitored, write_csv

PREVIOUS, MONTH = "2024-09", "2024-10"  # evaluated as of 2024-10-31
LINES = Lines(7100.0, 8122.0)


def rows(grids: list[str]) -> dict[str, dict[str, str]]:
    """Household number -> its row of MONTH: one per rule (R_…), near misses (N_…), clean ones."""
    g = grids[0]
    ok = {"家庭人均纯收入": "12000", "劳动力人数": "1", "帮扶措施": "产业帮扶、医疗救助"}

    def mon(i: int, **kw: str) -> dict[str, str]:
        row = monitored(i, g, 3, False)
        row.update({**ok, "识别监测时间": "2024-03-15", **kw})
        return row

    def plain(i: int, **kw: str) -> dict[str, str]:
        return household_row(i, g, 3, **{**ok, **kw})

    done = {"风险是否已消除": "是", "风险消除方式": "帮扶消除", "消除监测时间": "2024-09-20"}
    out = {
        "R_unmonitored_below_line": plain(1, 家庭人均纯收入="7099"),
        "R_unmonitored_below_observation": plain(2, 家庭人均纯收入="8000"),
        "R_assisted_elimination_below_line": mon(3, **done, 家庭人均纯收入="7000"),
        "R_eliminated_before_identified": mon(4, **{**done, "消除监测时间": "2024-03-01"}),
        "R_eliminated_too_soon": mon(5, **{**done, "消除监测时间": "2024-09-14"}),
        "R_eliminated_without_labour": mon(6, **done, 劳动力人数="0"),
        "R_no_measures": mon(7, 帮扶措施="", 识别监测时间="2024-09-30"),
        "R_labour_without_development_measure": mon(8, 帮扶措施="医疗救助、低保"),
        "R_no_cause": mon(9, 风险类型=""),
        "R_income_drop": plain(10, 家庭人均纯收入="13900"),  # 19,900 last month: -30.15 %
        "R_signal_not_identified": plain(11),
        # near misses
        "N_six_months_exactly": mon(20, **{**done, "消除监测时间": "2024-09-15"}),
        "N_income_at_the_line": plain(21, 家庭人均纯收入="8122"),
        "N_monitoring_line_only_one_rule": plain(22, 家庭人均纯收入="7100"),  # observation only
        "N_drop_28_percent": plain(23, 家庭人均纯收入="14400"),  # 20,000 last month
        "N_warning_6_days_old": plain(24),
        "N_warning_on_monitored": mon(25),
        "N_11_days_without_measures": mon(26, 帮扶措施="", 识别监测时间="2024-10-20"),
        "N_no_labour_not_eliminated": mon(27, 劳动力人数="0", 帮扶措施="低保、医疗救助"),
        "N_exactly_30_percent": plain(28, 家庭人均纯收入="14000"),  # 20,000 last month
        "clean_1": plain(30),
        "clean_2": mon(31),
        "clean_3": mon(32, **{**done, "消除监测时间": "2024-10-01"}),
    }
    for hid, row in out.items():
        row["户编号"] = hid
    return out


EXPECTED = {
    ("unmonitored_below_line", "R_unmonitored_below_line"),
    ("unmonitored_below_observation", "R_unmonitored_below_observation"),
    ("assisted_elimination_below_line", "R_assisted_elimination_below_line"),
    ("eliminated_before_identified", "R_eliminated_before_identified"),
    ("eliminated_too_soon", "R_eliminated_too_soon"),
    ("eliminated_without_labour", "R_eliminated_without_labour"),
    ("no_measures", "R_no_measures"),
    ("labour_without_development_measure", "R_labour_without_development_measure"),
    ("no_cause", "R_no_cause"),
    ("income_drop", "R_income_drop"),
    ("signal_not_identified", "R_signal_not_identified"),
    # 7,100 is not below the monitoring line: only the observation rule
    ("unmonitored_below_observation", "N_monitoring_line_only_one_rule"),
}
PREVIOUS_INCOME = {"R_income_drop": "19900", "N_drop_28_percent": "20000", "N_exactly_30_percent": "20000"}


def write_months(tmp_path: Path, grids: list[str]) -> tuple[Path, Path, Path]:
    now = rows(grids)
    before = [{**r, "家庭人均纯收入": PREVIOUS_INCOME.get(h, r["家庭人均纯收入"])} for h, r in now.items()]
    warnings = [
        {"户编号": "R_signal_not_identified", "来源部门": "医保局", "预警类型": "大额医疗支出", "发生日期": "2024-10-15"},
        {"户编号": "N_warning_6_days_old", "来源部门": "民政局", "预警类型": "收入骤减", "发生日期": "2024-10-25"},
        {"户编号": "N_warning_on_monitored", "来源部门": "应急局", "预警类型": "自然灾害", "发生日期": "2024-09-01"},
    ]
    return (
        write_csv(tmp_path / "before.csv", before),
        write_csv(tmp_path / "now.csv", list(now.values())),
        write_csv(tmp_path / "warnings.csv", warnings),
    )


def test_each_rule_trips_its_household_only(store, tmp_path: Path) -> None:
    grids = list(load_tiny_grids(store)["grid_code"])
    before, now, warnings = write_months(tmp_path, grids)
    load_households(store, before, month=PREVIOUS)
    report = load_households(store, now, month=MONTH)
    # the contradictory dates load with a warning; the rule lists them
    assert any(w.field == "eliminated_on" for w in report.warnings)
    load_signals(store, warnings)
    hits = check_month(store, MONTH)
    assert set(zip(hits["rule"], hits["household_id"], strict=True)) == EXPECTED
    assert len(hits) == len(EXPECTED)
    assert {r.id for r in RULES} == {rule for rule, _ in EXPECTED}
    evidence = hits.set_index("rule")["evidence"]
    assert evidence["income_drop"]["previous_income"] == 19900.0
    assert evidence["income_drop"]["drop"] == pytest.approx(0.3015, abs=1e-4)
    assert evidence["signal_not_identified"]["oldest_signal"] == "2024-10-15"
    assert evidence["unmonitored_below_line"] == {"income_per_capita": 7099.0, "monitoring_line": 7100.0}
    township = store.unit(grids[0][:9])
    assert len(check_month(store, MONTH, township)) == len(EXPECTED)
    assert check_month(store, MONTH, store.unit(grids[-1])).empty  # another grid: none


def _frame(records: dict[str, dict[str, str]]) -> pd.DataFrame:
    """The rows as the store gives them (identifiers, types)."""
    f = pd.DataFrame(
        {
            "household_id": list(records),
            "category": [{"边缘易致贫户": "marginal", "": None}[r["监测对象类别"]] for r in records.values()],
            "income_per_capita": [float(r["家庭人均纯收入"]) for r in records.values()],
            "identified_on": pd.to_datetime([r["识别监测时间"] or None for r in records.values()]),
            "eliminated": [r["风险是否已消除"] == "是" for r in records.values()],
            "elimination_mode": [r["风险消除方式"] or None for r in records.values()],
            "eliminated_on": pd.to_datetime([r["消除监测时间"] or None for r in records.values()]),
            "measures": [r["帮扶措施"] or None for r in records.values()],
            "risk_causes": [r["风险类型"] or None for r in records.values()],
            "labor_count": [int(r["劳动力人数"]) for r in records.values()],
        }
    )
    for col in ("grid_code", "village_code", "township_code", "county_code"):
        f[col] = "x"
    return f


@pytest.mark.parametrize("rule", sorted(RULE_FUNCTIONS))
def test_each_rule_function_on_its_own(rule: str) -> None:
    """Each rule's function alone fires for exactly the households EXPECTED pairs with it."""
    data = rows(["152223101001001"])
    previous = pd.DataFrame(
        {"household_id": list(PREVIOUS_INCOME), "income_per_capita": [float(v) for v in PREVIOUS_INCOME.values()]}
    )
    signals = pd.DataFrame(
        {
            "household_id": ["R_signal_not_identified", "N_warning_6_days_old", "N_warning_on_monitored"],
            "occurred_on": ["2024-10-15", "2024-10-25", "2024-09-01"],
        }
    )
    f = facts(_frame(data), MONTH, LINES, signals=signals, previous=previous)
    mask, _ = RULE_FUNCTIONS[rule](f)
    fired = set(f.households.loc[mask.to_numpy(dtype=bool), "household_id"])
    assert fired == {h for r, h in EXPECTED if r == rule}


def test_members_decide_labour_over_the_labour_count() -> None:
    data = rows(["152223101001001"])
    frame = _frame({h: data[h] for h in ("R_eliminated_without_labour", "clean_3")})
    members = pd.DataFrame(
        {
            "household_id": ["R_eliminated_without_labour", "R_eliminated_without_labour", "clean_3"],
            "labor_skill": ["丧失劳动力", "无劳动力", "无劳动力"],
        }
    )
    hits = evaluate_month(frame, MONTH, LINES, members=members)
    assert set(zip(hits["rule"], hits["household_id"], strict=True)) == {
        ("eliminated_without_labour", "R_eliminated_without_labour"),
        ("eliminated_without_labour", "clean_3"),  # its only member has no labour capacity
    }


def test_check_cli_prints_the_problems_and_exits_3_on_an_open_error(make_store, tmp_path: Path) -> None:
    import json

    import openpyxl
    from typer.testing import CliRunner

    from riskgrid.cli import app

    store = make_store("sqlite")
    url = str(store.engine.url)
    grids = list(load_tiny_grids(store)["grid_code"])
    before, now, warnings = write_months(tmp_path, grids)
    load_households(store, before, month=PREVIOUS)
    load_households(store, now, month=MONTH)
    load_signals(store, warnings)
    runner = CliRunner()
    result = runner.invoke(app, ["check", "--json", "--db", url])
    assert result.exit_code == 3, result.output
    body = json.loads(result.stdout)
    assert body["month"] == MONTH and body["unit"]["code"] == "152223"
    pairs = {(p["rule"], p["household_id"]) for p in body["problems"]}
    assert pairs == EXPECTED
    assert set(body["problems"][0]) == {"rule", "household_id", "grid_code", "severity", "status", "first_seen", "evidence"}
    assert body["counts"]["unmonitored_below_observation"] == 2
    # only notices: exit 0
    result = runner.invoke(app, ["check", "--rule", "income_drop", "--json", "--db", url])
    assert result.exit_code == 0, result.output
    assert [p["household_id"] for p in json.loads(result.stdout)["problems"]] == ["R_income_drop"]
    out = tmp_path / "问题清单.xlsx"
    result = runner.invoke(app, ["check", "--out", str(out), "--db", url])
    assert result.exit_code == 3
    sheet = openpyxl.load_workbook(out)["问题清单"]
    assert sheet.max_row == len(EXPECTED) + 1 and sheet["B1"].value == "规则编号"
    result = runner.invoke(app, ["check", "--rule", "nope", "--db", url])
    assert result.exit_code == 1 and "nope" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["rules", "--db", url])
    assert result.exit_code == 0
    assert all(r.id in result.output for r in RULES)
