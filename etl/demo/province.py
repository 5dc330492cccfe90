"""The province demo (演示数据) generated straight into the store: ``riskgrid demo --scale province``.

A province of ``counties`` counties (about 100) in 10 to 14 cities, about 1,000 grids per county
and 100 households per grid (10 million at 100 counties), for one month. Writing 10 million rows
as CSV files and reading them back would take longer than generating them, so the rows go as
frames through the store's write path (``Store.upsert_grids``, ``upsert_sites``, ``new_month``:
COPY on PostgreSQL), in one transaction: all or nothing, like a load.

Per county: its grids and households are drawn (``province_geography``, ``province_households``),
its rows written and its figures computed from them (``Store.county_figures``); a thread of its
own sends the rows and figure rows to the database while the next county is drawn, so the
database and Python work at the same time. The cities' and the province's figures are then
summed from their counties' (``Store.upper_figures``). The store is marked as demo data.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from geodata import Store

from .province_geography import CountyPlan, county_grids, plan_counties
from .province_households import HOUSEHOLDS_PER_GRID, county_households, county_sites

PROVINCE_MONTH = "2026-10"

Progress = Callable[[str, int, int], None]


@dataclass
class ProvinceReport:
    """What ``load_province`` wrote, and the seconds each step took."""

    counties: int
    cities: int
    grids: int
    households: int
    month: str
    seconds: dict[str, float] = field(default_factory=dict)


def province_grids(seed: int, plans: list[CountyPlan], grids: int) -> gpd.GeoDataFrame:
    """The grid layer of every county of the province, sorted by grid code."""
    villages = max(2, grids // 5)
    townships = min(villages, max(2, grids // 100))
    parts = [
        county_grids(seed, p, grids=grids, villages=villages, townships=townships) for p in plans
    ]
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs="EPSG:4326")


def load_province(
    store: Store,
    *,
    seed: int = 2026,
    counties: int = 100,
    grids: int = 1000,
    per_grid: int = HOUSEHOLDS_PER_GRID,
    month: str = PROVINCE_MONTH,
    progress: Progress | None = None,
) -> ProvinceReport:
    """Generate the province demo and write it into ``store`` (see the module's text)."""
    if grids < 10:
        raise ValueError("grids must be at least 10 per county")
    clock: dict[str, float] = {}
    started = time.perf_counter()
    plans = plan_counties(seed, counties)
    layer = province_grids(seed, plans, grids)
    clock["geography"] = time.perf_counter() - started
    households = 0
    with store.write(load=True) as conn:
        if store.month_has_rows(conn, month):
            raise ValueError(f"month {month} already has households: load into a new database")
        t = time.perf_counter()
        store.upsert_grids(conn, layer)
        sites = pd.concat(
            [county_sites(part) for _, part in layer.groupby("county_code", sort=True)],
            ignore_index=True,
        )
        store.upsert_sites(conn, sites.drop(columns=["village_code"]))
        clock["units"] = time.perf_counter() - t
        units = store.units_frame(conn)
        stored_sites = store.sites_frame(conn)
        policy = store.policies(conn, [month])[month]
        writer = store.new_month(conn, month)
        county_figs: dict[str, dict] = {}
        t = time.perf_counter()
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="riskgrid-province") as pool:
            pending: list[Future] = []

            def send(frame: pd.DataFrame, rows: pd.DataFrame) -> None:
                writer.add(frame)
                store.write_figure_rows(conn, rows)

            for plan, (_, part) in zip(plans, layer.groupby("county_code", sort=True), strict=True):
                frame = county_households(
                    seed,
                    plan.index,
                    part.reset_index(drop=True),
                    month,
                    per_grid=per_grid,
                    monitoring_line=policy.lines.monitoring,
                    observation_line=policy.lines.observation,
                )
                inside = units[units["county_code"] == plan.code]
                c_sites = stored_sites[stored_sites["county_code"] == plan.code]
                per_unit, per_site = store.county_figures(frame, month, inside, c_sites, policy)
                county_figs[plan.code] = per_unit[plan.code]
                rows = store.figure_frame(per_unit, month, units, policy)
                while len(pending) >= 2:  # at most two counties in memory besides this one
                    pending.pop(0).result()
                pending.append(pool.submit(send, frame, rows))
                households += len(frame)
                pending.append(
                    pool.submit(store.write_site_figures, conn, month, per_site, policy.fingerprint)
                )
                if progress:
                    progress("农户 households", plan.index + 1, len(plans))
            for done in pending:
                done.result()
        clock["households"] = time.perf_counter() - t
        t = time.perf_counter()
        writer.finish()
        clock["indexes"] = time.perf_counter() - t
        upper = store.upper_figures(county_figs, units)
        store.write_figure_rows(conn, store.figure_frame(upper, month, units, policy))
        store.stamp_lines(conn)
        digest = hashlib.sha256(f"province demo {seed} {counties} {grids} {per_grid}".encode())
        store.record_load(
            conn,
            kind="households",
            path=f"province-demo-{seed}-{counties}",
            sha256=digest.hexdigest(),
            month=month,
            rows_read=households,
            rows_loaded=households,
            rows_rejected=0,
        )
        store.set_meta(conn, "demo", "1")
        t = time.perf_counter()
    clock["commit"] = time.perf_counter() - t
    clock["total"] = time.perf_counter() - started
    cities = len({p.city_code for p in plans})
    return ProvinceReport(len(plans), cities, len(layer), households, month, clock)
