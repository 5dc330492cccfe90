"""时效 (timeliness): warning to identification, identification to first measure, share of problems
fixed; on a hand-made county of three months, on SQLite and PostGIS, the CLI and the panel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from etl.households import load_households
from etl.signals import load_signals
from geodata import schema
from geodata.timeliness import (
    HOUSEHOLD_FIELDS,
    Membership,
    problem_figures,
    timeliness,
    whole_days,
)
from geodata.timeliness_store import store_timeliness
from tests.factories import COUNTY, household_row, load_tiny_grids, monitored, write_csv

MONTHS = ("2024-09", "2024-10", "2024-11")
V1, V2 = "152223101001", "152223101002"

# household -> (identified on, months whose record lists a measure, grid by month: 1 or 2)
# the first loaded month starts on 2024-09-01: E, identified before it, counts nowhere
PLAN: dict[str, tuple[str, set[str], dict[str, int]]] = {
    "A": ("2024-09-10", {"2024-10", "2024-11"}, {}),  # measure 2024-10-01: 21 days
    "B": ("2024-09-20", set(MONTHS), {}),  # listed in its own month: 0 days
    "C": ("2024-10-05", {"2024-11"}, {}),  # 27 days
    "D": ("2024-10-20", set(), {}),  # no measure yet: pending
    "E": ("2024-03-15", set(MONTHS), {}),  # before the loaded history
    "F": ("2024-11-10", {"2024-11"}, {}),  # 0 days
    "G": ("2024-09-15", {"2024-10", "2024-11"}, {m: 2 for m in MONTHS}),  # 16 days, village 2
    "H": ("2024-10-01", {"2024-10", "2024-11"}, {}),  # 0 days
    "M": ("2024-09-25", set(MONTHS), {"2024-11": 2}),  # moves to village 2 in 2024-11
    "I": ("2024-10-12", {"2024-09", "2024-11"}, {}),  # a measure before it: still 20 days
}
WARNINGS = [  # household, date: the earliest in the 180 days up to identification counts
    ("A", "2024-09-01"),  # 9 days
    ("B", "2024-09-18"),  # 2 days
    ("B", "2024-03-01"),  # 203 days before: outside the window
    ("C", "2024-09-05"),  # 30 days
    ("C", "2024-09-25"),
    ("D", "2024-10-25"),  # after its identification: none
    ("E", "2024-03-01"),
    ("F", "2024-11-10"),  # 0 days
    ("G", "2024-08-01"),  # 45 days
    ("H", "2024-05-01"),  # 153 days
    ("M", "2024-09-05"),  # 20 days
]
# rule, household, grid (1 or 2), first seen, status
PROBLEMS = [
    ("no_measures", "P1", 1, "2024-09", "fixed"),
    ("no_measures", "P2", 1, "2024-10", "fixed"),
    ("no_cause", "P3", 1, "2024-10", "dismissed"),
    ("no_cause", "P4", 1, "2024-11", "new"),
    ("income_drop", "P5", 1, "2024-11", "confirmed"),
    ("no_measures", "P6", 2, "2024-10", "fixed"),
    ("income_drop", "P7", 1, "2024-12", "new"),  # after every month asked for
]


def month_rows(month: str, grids: list[str]) -> list[dict[str, str]]:
    rows = []
    for i, (hid, (on, listed, moves)) in enumerate(PLAN.items(), start=1):
        grid = grids[0] if moves.get(month, 1) == 1 else grids[-1]
        measures = "产业帮扶" if month in listed else ""
        if on[:7] <= month:
            row = monitored(i, grid, 3, False)
            row.update({"识别监测时间": on, "帮扶措施": measures})
        else:
            row = household_row(i, grid, 3, 帮扶措施=measures)
        row["户编号"] = hid
        rows.append(row)
    rows += [household_row(20 + i, grids[i], 2) for i in range(3)]  # never identified
    return rows


@pytest.fixture
def county(store, tmp_path: Path):
    """The store with the three months, the warnings and the problem list."""
    grids = list(load_tiny_grids(store)["grid_code"])
    assert grids[0].startswith(V1) and grids[-1].startswith(V2)
    for month in MONTHS:
        load_households(
            store, write_csv(tmp_path / f"{month}.csv", month_rows(month, grids)), month=month
        )
    warnings = [
        {"户编号": h, "来源部门": "医保局", "预警类型": "大额医疗支出", "发生日期": d}
        for h, d in WARNINGS
    ]
    load_signals(store, write_csv(tmp_path / "warnings.csv", warnings))
    add_problems(store, grids)
    return store


def add_problems(store, grids: list[str]) -> None:
    rows = []
    for rule, hid, g, first, status in PROBLEMS:
        grid = grids[0] if g == 1 else grids[-1]
        rows.append(
            {
                "rule": rule,
                "household_id": hid,
                "severity": "warning",
                "grid_code": grid,
                "village_code": grid[:12],
                "township_code": grid[:9],
                "county_code": grid[:6],
                "first_seen": first,
                "last_seen": first,
                "status": status,
                "reason": "核实无误" if status == "dismissed" else None,
                "evidence": "{}",
            }
        )
    with store.write() as conn:
        # the loads listed the rules' own hits: this county's list is the hand-made one
        conn.execute(schema.problems.delete())
        conn.execute(schema.problems.insert(), rows)


def figures_of(f: dict) -> tuple:
    s, m, p = f["signal_to_identification"], f["identification_to_measure"], f["problems"]
    return (
        f["identified"],
        (s["n"], s["median"], s["p90"], s["within_15"]),
        (m["n"], m["median"], m["p90"], m["within_15"], m["pending"]),
        (p["found"], p["fixed"], p["dismissed"], p["open"], p["fixed_share"]),
    )


EXPECTED = {
    # the county, cumulative through 2024-11: warnings 0 2 9 20 30 45 153, measures 0 0 0 0 16 20 21 27
    (COUNTY, "2024-11"): (9, (7, 20, 88, 3), (8, 8, 23, 4, 1), (6, 3, 1, 2, 0.6)),
    # through 2024-10: F not yet, C D I without a measure yet; P4 P5 not yet found
    (COUNTY, "2024-10"): (8, (6, 25, 99, 2), (5, 0, 19, 3, 3), (4, 3, 1, 0, 1.0)),
    # village 2 in 2024-11: G and M (moved in): 32.5 and 42.5 rounded half up
    (V2, "2024-11"): (2, (2, 33, 43, 0), (2, 8, 14, 1, 0), (1, 1, 0, 0, 1.0)),
    (V2, "2024-10"): (1, (1, 45, 45, 0), (1, 16, 16, 0, 0), (1, 1, 0, 0, 1.0)),
    (V1, "2024-11"): (7, (5, 9, 104, 3), (6, 10, 24, 3, 1), (5, 2, 1, 2, 0.5)),
    (V2, "2024-09"): (1, (1, 45, 45, 0), (0, None, None, 0, 1), (0, 0, 0, 0, None)),
}


def test_figures_of_each_unit_and_month(county) -> None:
    for (code, month), expected in EXPECTED.items():
        got = store_timeliness(county, code, month)
        assert figures_of(got) == expected, (code, month)
        assert got["unit"]["code"] == code and got["since"] == "2024-09"
    latest = store_timeliness(county, COUNTY)
    assert latest["month"] == "2024-11" and latest["through"] == "2024-11-30"
    assert latest["signal_to_identification"]["within_15_share"] == pytest.approx(3 / 7)
    assert latest["percentile_method"] == "linear" and latest["national_days"] == 15
    for upper in ("15", "1522"):  # a province or city: by its counties
        assert (
            figures_of(store_timeliness(county, upper, "2024-11")) == EXPECTED[(COUNTY, "2024-11")]
        )


def test_the_pure_function_on_whole_snapshots_agrees(county) -> None:
    """The store reads only what the figures need; the whole history gives the same."""
    history = pd.concat([county.households_frame(m) for m in MONTHS], ignore_index=True)
    signals = county.signals_frame()
    problems = county.problems_frame()
    for (code, month), expected in EXPECTED.items():
        level = "county_code" if len(code) == 6 else "village_code"
        got = timeliness(history, signals, problems, Membership(level, frozenset([code])), month)
        assert figures_of(got) == expected, (code, month)
    assert set(HOUSEHOLD_FIELDS) <= set(history.columns)


def test_rounding_percentiles_and_the_shanxi_share() -> None:
    assert [whole_days(v) for v in (32.5, 42.4999999, 0.49, 7.0)] == [33, 43, 0, 7]
    assert np.percentile([20, 45], 90, method="linear") == pytest.approx(42.5)
    n_found, n_fixed = 14036, 13978  # the Shanxi campaign
    frame = pd.DataFrame(
        {
            "first_seen": ["2024-01"] * n_found,
            "status": ["fixed"] * n_fixed + ["new"] * (n_found - n_fixed),
            "county_code": COUNTY,
        }
    )
    got = problem_figures(frame, Membership("county_code", frozenset([COUNTY])), "2024-01")
    assert (got["found"], got["fixed"], got["open"]) == (14036, 13978, 58)
    assert f"{got['fixed_share'] * 100:.1f}" == "99.6"
    empty = timeliness(
        pd.DataFrame(columns=list(HOUSEHOLD_FIELDS)),
        pd.DataFrame(columns=["household_id", "occurred_on"]),
        frame.iloc[:0],
        Membership("county_code", frozenset([COUNTY])),
        "2024-01",
    )
    assert empty["identified"] == 0 and empty["signal_to_identification"]["median"] is None
    assert empty["problems"]["fixed_share"] is None


def test_cli_json_and_table(make_store, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from riskgrid.cli import app

    store = make_store("sqlite")
    grids = list(load_tiny_grids(store)["grid_code"])
    for month in MONTHS:
        load_households(
            store, write_csv(tmp_path / f"{month}.csv", month_rows(month, grids)), month=month
        )
    warnings = [
        {"户编号": h, "来源部门": "民政局", "预警类型": "收入骤减", "发生日期": d}
        for h, d in WARNINGS
    ]
    load_signals(store, write_csv(tmp_path / "w.csv", warnings))
    url = str(store.engine.url)
    runner = CliRunner()
    result = runner.invoke(app, ["timeliness", "--json", "--db", url])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    # the CLI brings the problem list up to date first, as riskgrid check does
    assert body == store_timeliness(store, COUNTY, "2024-11")
    assert body["unit"] == {"code": COUNTY, "name": "扎赉特旗", "level": "county"}
    assert figures_of(body)[:3] == EXPECTED[(COUNTY, "2024-11")][:3]
    listed = store.problems_frame()
    assert body["problems"]["found"] == len(listed) > 0
    result = runner.invoke(
        app, ["timeliness", "--unit", V2, "--month", "2024-10", "--json", "--db", url]
    )
    assert figures_of(json.loads(result.stdout))[:3] == EXPECTED[(V2, "2024-10")][:3]
    result = runner.invoke(app, ["timeliness", "--db", url])
    assert result.exit_code == 0, result.output
    assert "预警→识别" in result.output and "整改率" in result.output and "20 天" in result.output
    for args in (["--month", "2023-01"], ["--month", "2024-13"], ["--unit", "999"]):
        result = runner.invoke(app, ["timeliness", *args, "--db", url])
        assert result.exit_code == 1 and "Traceback" not in result.output, args


def test_panel_carries_the_numbers() -> None:
    from dashboard.timeliness_panel import timeliness_panel

    figures = {
        "unit": {"code": COUNTY, "name": "扎赉特旗", "level": "county"},
        "month": "2024-11",
        "since": "2024-09",
        "through": "2024-11-30",
        "identified": 9,
        "signal_to_identification": {
            "n": 7,
            "median": 20,
            "p90": 88,
            "within_15": 3,
            "within_15_share": 3 / 7,
        },
        "identification_to_measure": {
            "n": 8,
            "median": 8,
            "p90": 23,
            "within_15": 4,
            "within_15_share": 0.5,
            "pending": 1,
        },
        "problems": {"found": 6, "fixed": 3, "dismissed": 1, "open": 2, "fixed_share": 0.6},
        "national_days": 15,
    }
    panel = timeliness_panel(figures)
    attrs = panel.to_plotly_json()["props"]
    assert attrs["id"] == "unit-timeliness"
    assert (attrs["data-signal-median"], attrs["data-signal-p90"], attrs["data-signal-n"]) == (
        "20",
        "88",
        "7",
    )
    assert (
        attrs["data-measure-median"],
        attrs["data-measure-p90"],
        attrs["data-measure-pending"],
    ) == ("8", "23", "1")
    assert (
        attrs["data-problems-found"],
        attrs["data-problems-fixed"],
        attrs["data-fixed-share"],
    ) == ("6", "3", "0.6")
    text = json.dumps(
        panel.to_plotly_json(), ensure_ascii=False, default=lambda c: c.to_plotly_json()
    )
    assert "时效" in text and "60.0%" in text and "88 天" in text
    blank = timeliness_panel({"problems": {}, "signal_to_identification": {"n": 0, "median": None}})
    assert blank.to_plotly_json()["props"]["data-signal-median"] == ""


def test_no_months(store) -> None:
    load_tiny_grids(store)
    with pytest.raises(ValueError):
        store_timeliness(store, COUNTY)
    assert store.engine.dialect.name in ("sqlite", "postgresql")
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.problems)).scalar() == 0
