"""The monthly household snapshots: one CSV of every household per month, oldest first, in the
headers of the data contract (``layout="households"``), or as the national system's member-level
export (``layout="national"``, ``etl.demo.national``)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from etl.headers import HOUSEHOLD_HEADERS
from geodata.model import HOUSEHOLD_TYPES

from .files import _write_csv
from .incomes import _month_incomes
from .monitoring import Monitored
from .months import _month_text
from .national import MemberExport, _write_national
from .parameters import FILE_PREFIX
from .population import Population
from .sites import Resettlement


def _write_snapshots(
    rng: np.random.Generator,
    out_dir: Path,
    months: list[int],
    *,
    end: int,
    grids: gpd.GeoDataFrame,
    people: Population,
    moved: Resettlement,
    monitored: Monitored,
    lon: np.ndarray,
    lat: np.ndarray,
    base: np.ndarray,
    growth: np.ndarray,
    export: MemberExport | None = None,
) -> list[tuple[str, Path]]:
    """A snapshot per month of ``months`` (ordinals, ``end`` the last) into ``out_dir``, whose
    earlier snapshots are removed; (month, path) of each, oldest first. With ``export`` each is
    the national member-level export, else one row per household."""
    N = len(people.grid_of)
    mon = monitored.households
    relocated, site_of = moved.relocated, moved.site_of
    type_text = np.where(
        people.lifted, HOUSEHOLD_TYPES["lifted"], HOUSEHOLD_TYPES["general"]
    ).astype(object)
    reloc_text = np.where(relocated, "是", "否").astype(object)
    site_text = np.where(
        relocated, moved.sites["site_code"].to_numpy().astype(str)[site_of.clip(0)], ""
    ).astype(object)
    static = {
        "household_id": people.household_id,
        "head_name": people.head_name,
        "id_number": people.id_number,
        "grid_code": grids["grid_code"].to_numpy()[people.grid_of],
        "persons": people.persons,
        "household_type": type_text,
    }
    tail = {
        "relocated": reloc_text,
        "site_code": site_text,
        "labor_count": moved.labor,
        "employed_count": moved.employed,
        "lon": np.round(lon, 6),
        "lat": np.round(lat, 6),
    }

    def col(values: np.ndarray, when: np.ndarray) -> np.ndarray:
        out = np.full(N, "", dtype=object)
        out[mon[when]] = values[when]
        return out

    paths: list[tuple[str, Path]] = []
    for old in sorted(out_dir.glob(f"{FILE_PREFIX}_households_*.csv")):
        old.unlink()
    for mo in months:
        month = str(_month_text(mo))
        income = _month_incomes(rng, mo, end, base, growth, monitored)
        on, cleared = monitored.status(mo)
        monthly = {
            "category": col(monitored.category_text, on),
            "risk_level": col(monitored.risk, on),
            "risk_causes": col(monitored.causes, on),
            "income_per_capita": income,
            "identified_on": col(monitored.identified_on, on),
            "channel": col(monitored.channel, on),
            "eliminated": col(np.where(cleared, "是", "否").astype(object), on),
            "elimination_mode": col(monitored.mode, cleared),
            "eliminated_on": col(monitored.eliminated_on, cleared),
            "measures": col(monitored.measures, on),
        }
        data = {"month": np.full(N, month, dtype=object), **static, **monthly, **tail}
        path = out_dir / f"{FILE_PREFIX}_households_{month}.csv"
        if export is not None:
            _write_national(export.lines(data), path, month)
        else:
            frame = pd.DataFrame({HOUSEHOLD_HEADERS[k][0]: v for k, v in data.items()})
            _write_csv(frame, path)
        paths.append((month, path))
    return paths
