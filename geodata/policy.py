"""The policy a month's figures are computed under: the income lines of its year, kept in the store.

A monitoring line (监测线) and an observation line (观察线) belong to a year, and optionally a
province (Shanxi 7,100; Guizhou 7,300 for 2023; Yunnan 8,700 for 2025): ``riskgrid lines set``
stores them in ``policy_lines``. A month uses the lines stored for its year (the province's own
row when there is one for the province of the loaded counties, else the row for every
province); a year with no stored lines uses the settings' defaults (``RISKGRID_MONITORING_LINE``,
``RISKGRID_OBSERVATION_LINE``).

Every stored figures row carries the ``fingerprint`` of the policy it was computed with: the
lines and ``FIGURES_VERSION`` (raise it whenever ``compute_month`` adds or changes a figure). A
month whose rows carry another fingerprint than its policy now gives is stale: the store
recomputes it (``Store.ensure_policy``), so a figure is never shown under lines it was not
computed with, and rows of an older version never reach a renderer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema
from .model import Lines

# the version of the figures compute_month writes: part of every fingerprint
FIGURES_VERSION = 4  # 3: a cause named twice by a household counts it once; 4: unassigned
ANY_PROVINCE = ""


@dataclass(frozen=True)
class Policy:
    """The lines one month is computed under, and where they came from."""

    lines: Lines
    year: int
    province: str  # "" for every province
    source: str  # "stored" (riskgrid lines set) or "default" (the settings)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "monitoring": self.lines.monitoring,
            "observation": self.lines.observation,
            "year": self.year,
            "province": self.province or None,
            "source": self.source,
        }


def fingerprint(lines: Lines, version: int | None = None) -> str:
    """A short fingerprint of the lines and the figures' version."""
    body = json.dumps(
        {
            "monitoring": float(lines.monitoring),
            "observation": float(lines.observation),
            "figures": FIGURES_VERSION if version is None else version,
        },
        sort_keys=True,
    )
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def month_year(month: str) -> int:
    return int(month[:4])


def province_of(conn: Connection) -> str:
    """The province (2-digit code) of the loaded counties when they share one, else ''."""
    u = schema.units
    codes = set(conn.execute(sa.select(u.c.code).where(u.c.level == "county")).scalars())
    provinces = {c[:2] for c in codes if c}
    return provinces.pop() if len(provinces) == 1 else ANY_PROVINCE


def stored_lines(conn: Connection) -> dict[tuple[int, str], Lines]:
    p = schema.policy_lines
    rows = conn.execute(sa.select(p.c.year, p.c.province, p.c.monitoring, p.c.observation)).all()
    return {(r.year, r.province): Lines(r.monitoring, r.observation) for r in rows}


def policy_for(
    month: str, default: Lines, stored: dict[tuple[int, str], Lines], province: str
) -> Policy:
    """The policy of ``month``: its year's stored lines (the province's first), else the
    defaults."""
    year = month_year(month)
    for key in ((year, province), (year, ANY_PROVINCE)):
        if key in stored:
            return Policy(stored[key], year, key[1], "stored")
    return Policy(default, year, ANY_PROVINCE, "default")


def set_lines(
    conn: Connection,
    year: int,
    monitoring: float,
    observation: float | None = None,
    province: str | None = None,
) -> Lines:
    """Store the lines of ``year`` (and ``province``); the observation line defaults to the
    monitoring line's ratio of the default lines (8,122 / 7,100) when not given."""
    if not 1990 <= year <= 2100:
        raise ValueError(f"年份不合理 (not a plausible year): {year}")
    if not monitoring > 0:
        raise ValueError(f"监测线须大于 0 (monitoring line must be > 0): {monitoring}")
    if observation is None:
        observation = round(monitoring * Lines().observation / Lines().monitoring)
    if observation < monitoring:
        raise ValueError(
            f"观察线不能低于监测线 (observation line {observation} below monitoring {monitoring})"
        )
    province = (province or "").strip()
    if province and not (len(province) == 2 and province.isdigit()):
        raise ValueError(f"省级编码须为 2 位数字 (province: 2 digits): {province}")
    p = schema.policy_lines
    conn.execute(p.delete().where(p.c.year == year, p.c.province == province))
    conn.execute(
        p.insert().values(
            year=year,
            province=province,
            monitoring=float(monitoring),
            observation=float(observation),
            set_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        )
    )
    return Lines(float(monitoring), float(observation))


def list_lines(conn: Connection) -> list[dict[str, Any]]:
    p = schema.policy_lines
    rows = conn.execute(sa.select(p).order_by(p.c.year, p.c.province)).all()
    return [dict(r._mapping) for r in rows]
