"""The age of a problem (issue 12): a problem listed for the first time after several months
are loaded at once is first seen in the first month of its unbroken run of months, so that its
age is true after a first load of a year of history."""

from __future__ import annotations

from pathlib import Path

from etl.households import load_households
from geodata import Store
from tests.factories import household_row, load_tiny_grids, write_csv

MONTHS = ("2024-08", "2024-09", "2024-10")
BELOW = "7000"  # below the monitoring line (unmonitored_below_line), 12,000 is not
INCOMES = {
    "H_three_months": (BELOW, BELOW, BELOW),
    "H_fired_stopped_fired": (BELOW, "12000", BELOW),
    "H_last_two": ("12000", BELOW, BELOW),
    "H_clean": ("12000", "12000", "12000"),
}
RULE = "unmonitored_below_line"


def write_history(tmp_path: Path, grid: str) -> Path:
    """One file of three months (统计月份), as a first load of history gives them."""
    out = []
    for i, (hid, incomes) in enumerate(INCOMES.items()):
        for month, income in zip(MONTHS, incomes, strict=True):
            row = household_row(i + 1, grid, 3, 家庭人均纯收入=income)
            out.append({"统计月份": month, **row, "户编号": hid})
    return write_csv(tmp_path / "history.csv", out)


def first_seen(store: Store) -> dict[str, str]:
    frame = store.problems_frame(month=store.latest_month())
    frame = frame[frame["rule"] == RULE]
    return dict(zip(frame["household_id"], frame["first_seen"], strict=True))


def test_first_seen_walks_back_over_the_months_loaded_at_once(store: Store, tmp_path: Path) -> None:
    grid = load_tiny_grids(store)["grid_code"].iloc[0]
    load_households(store, write_history(tmp_path, grid))
    assert store.months()[-3:] == list(MONTHS)
    assert store.sync_problems() == MONTHS[-1]
    assert first_seen(store) == {
        "H_three_months": "2024-08",  # the first of its three months
        "H_fired_stopped_fired": "2024-10",  # fired, stopped, fired again: the later run
        "H_last_two": "2024-09",
    }
    listed = store.problems_frame(month=MONTHS[-1])
    assert set(listed["last_seen"]) == {MONTHS[-1]} and set(listed["status"]) == {"new"}


def test_a_listed_problem_keeps_its_first_month_and_one_fixed_by_the_data_restarts(
    store: Store, tmp_path: Path
) -> None:
    grid = load_tiny_grids(store)["grid_code"].iloc[0]
    load_households(store, write_history(tmp_path, grid))
    store.sync_problems()
    # November: the steady one still fires, the last two mend, the clean one falls below
    nov = {
        "H_three_months": BELOW,
        "H_fired_stopped_fired": "12000",
        "H_last_two": "12000",
        "H_clean": BELOW,
    }
    rows = [
        {**household_row(i + 1, grid, 3, 家庭人均纯收入=income), "户编号": hid}
        for i, (hid, income) in enumerate(nov.items())
    ]
    load_households(store, write_csv(tmp_path / "nov.csv", rows), month="2024-11")
    store.sync_problems()
    assert first_seen(store) == {"H_three_months": "2024-08", "H_clean": "2024-11"}
    # December: the mended one falls below again: listed anew, first seen in December
    rows[2] = {**rows[2], "家庭人均纯收入": BELOW}
    load_households(store, write_csv(tmp_path / "dec.csv", rows), month="2024-12")
    store.sync_problems()
    assert first_seen(store) == {
        "H_three_months": "2024-08",
        "H_clean": "2024-11",
        "H_last_two": "2024-12",
    }


def test_the_cli_load_brings_the_problem_list_up_to_date(
    make_store, tmp_path: Path, monkeypatch
) -> None:
    from typer.testing import CliRunner

    from geodata import StoreError
    from riskgrid.cli import app

    store = make_store("sqlite")
    url = str(store.engine.url)
    grid = load_tiny_grids(store)["grid_code"].iloc[0]
    result = CliRunner().invoke(
        app, ["load", "households", str(write_history(tmp_path, grid)), "--db", url]
    )
    assert result.exit_code == 0, result.output
    assert f"问题清单已更新：{store.open_problem_total('2024-10')} 条未处理" in result.stdout
    assert set(first_seen(store).values()) == {
        "2024-08",
        "2024-09",
        "2024-10",
    }  # ready, walked back

    def broken(self, conn=None) -> None:
        raise StoreError("数据库忙 (busy)")

    monkeypatch.setattr(Store, "sync_problems", broken)
    rows = [{**household_row(1, grid, 3, 家庭人均纯收入=BELOW), "户编号": "H_three_months"}]
    path = write_csv(tmp_path / "nov.csv", rows)
    result = CliRunner().invoke(
        app, ["load", "households", str(path), "--month", "2024-11", "--db", url]
    )
    assert result.exit_code == 0, result.output  # the load stands
    assert "问题清单未更新" in result.output
    assert "2024-11" in Store(url).months()
