"""The policy a month's figures are computed under: the income lines of its year, kept in the store,
and the thresholds its monitoring rules use.

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

The rules' thresholds (``geodata.checks.Thresholds``) belong to a year too, and optionally a
province: ``riskgrid rules set`` stores them in ``policy_thresholds``, a row setting only some
of them. Each threshold of a month is the province's stored value for the year, else the value
stored for every province, else its default. Thresholds do not change a figure, so they are not
part of the fingerprint; setting them changes the ``thresholds`` meta token, part of the data
version, so the problem list is evaluated again (``sync_problems``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import schema
from .checks.catalog import Thresholds
from .model import Lines

# the version of the figures compute_month writes: part of every fingerprint
FIGURES_VERSION = 4  # 3: a cause named twice by a household counts it once; 4: unassigned
ANY_PROVINCE = ""
THRESHOLDS_META = "thresholds"  # meta key: a token of the stored thresholds (data version)
THRESHOLD_FIELDS = tuple(f.name for f in fields(Thresholds))
# each threshold: its Chinese name, its unit, the lowest and highest value allowed (income_drop:
# strictly between the two)
THRESHOLD_LIMITS: dict[str, tuple[str, str, float, float]] = {
    "elimination_months": ("风险消除最短期限", "个月", 1, 36),
    "measure_months": ("帮扶措施落实期限", "个月", 0, 12),
    "income_drop": ("人均纯收入降幅", "", 0.0, 1.0),
    "signal_days": ("部门预警识别期限", "天", 1, 90),
    "overdue_months": ("问题逾期期限", "个月", 1, 12),
}


@dataclass(frozen=True)
class Policy:
    """The lines one month is computed under, and where they came from; the thresholds of its
    rules, and the stored row each one came from."""

    lines: Lines
    year: int
    province: str  # "" for every province
    source: str  # "stored" (riskgrid lines set) or "default" (the settings)
    thresholds: Thresholds = Thresholds()
    # (threshold, province: "" for every province) of each threshold stored for the year
    threshold_rows: tuple[tuple[str, str], ...] = ()

    def threshold_source(self, name: str) -> str | None:
        """The province ('' for every province) whose row for the year set ``name``; None when
        ``name`` has its default."""
        return dict(self.threshold_rows).get(name)

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
    month: str,
    default: Lines,
    stored: dict[tuple[int, str], Lines],
    province: str,
    thresholds: dict[tuple[int, str], dict[str, Any]] | None = None,
) -> Policy:
    """The policy of ``month``: its year's stored lines (the province's first), else the
    defaults; its thresholds from ``thresholds`` (``stored_thresholds``) likewise, one by one."""
    year = month_year(month)
    values, rows = resolve_thresholds(year, province, thresholds or {})
    for key in ((year, province), (year, ANY_PROVINCE)):
        if key in stored:
            return Policy(stored[key], year, key[1], "stored", values, rows)
    return Policy(default, year, ANY_PROVINCE, "default", values, rows)


def resolve_thresholds(
    year: int, province: str, stored: dict[tuple[int, str], dict[str, Any]]
) -> tuple[Thresholds, tuple[tuple[str, str], ...]]:
    """The thresholds of ``year`` in ``province``: each the province's stored value, else the
    value stored for every province, else the default; and the row each stored one came from."""
    chosen: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key in ((year, ANY_PROVINCE), (year, province)):  # the province's own row last: it wins
        for name, value in stored.get(key, {}).items():
            chosen[name], origin[name] = value, key[1]
    return replace(Thresholds(), **chosen), tuple(sorted(origin.items()))


def stored_thresholds(conn: Connection) -> dict[tuple[int, str], dict[str, Any]]:
    """(year, province) -> the thresholds its row sets (the columns not NULL)."""
    rows = conn.execute(sa.select(schema.policy_thresholds)).all()
    return {(r.year, r.province): _set_values(r._mapping) for r in rows}


def _set_values(row: Mapping[str, Any]) -> dict[str, Any]:
    kinds = {n: type(v) for n, v in Thresholds().as_dict().items()}
    return {n: kinds[n](row[n]) for n in THRESHOLD_FIELDS if row[n] is not None}


def check_threshold(name: str, value: Any) -> int | float:
    """``value`` as threshold ``name`` takes it; ValueError (Chinese, English) when refused."""
    if name not in THRESHOLD_LIMITS:
        raise ValueError(f"没有该阈值 (no such threshold): {name}")
    label, unit, low, high = THRESHOLD_LIMITS[name]
    if name == "income_drop":
        if isinstance(value, bool) or not isinstance(value, int | float) or not low < value < high:
            raise ValueError(f"{label}须大于 0 且小于 1 ({name} must be 0 < x < 1): {value}")
        return float(value)
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole or not low <= value <= high:
        raise ValueError(
            f"{label}须为 {low:g} 到 {high:g} {unit}的整数 ({name} must be a whole number "
            f"{low:g}..{high:g}): {value}"
        )
    return int(value)


def _year_province(year: int, province: str | None) -> str:
    """The province code ('' for every province) after checking ``year`` and ``province``."""
    if not 1990 <= year <= 2100:
        raise ValueError(f"年份不合理 (not a plausible year): {year}")
    province = (province or "").strip()
    if province and not (len(province) == 2 and province.isdigit()):
        raise ValueError(f"省级编码须为 2 位数字 (province: 2 digits): {province}")
    return province


def set_lines(
    conn: Connection,
    year: int,
    monitoring: float,
    observation: float | None = None,
    province: str | None = None,
) -> Lines:
    """Store the lines of ``year`` (and ``province``); the observation line defaults to the
    monitoring line's ratio of the default lines (8,122 / 7,100) when not given."""
    province = _year_province(year, province)
    if not monitoring > 0:
        raise ValueError(f"监测线须大于 0 (monitoring line must be > 0): {monitoring}")
    if observation is None:
        observation = round(monitoring * Lines().observation / Lines().monitoring)
    if observation < monitoring:
        raise ValueError(
            f"观察线不能低于监测线 (observation line {observation} below monitoring {monitoring})"
        )
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


def set_thresholds(
    conn: Connection, year: int, province: str | None, values: Mapping[str, Any]
) -> dict[str, Any]:
    """Store the thresholds ``values`` gives (None: not given) for ``year`` (and ``province``),
    keeping those the row set before; the thresholds the row now sets. All checked first."""
    province = _year_province(year, province)
    given = {n: check_threshold(n, v) for n, v in values.items() if v is not None}
    if not given:
        raise ValueError(
            "请至少给出一个阈值 (give at least one threshold): " + ", ".join(THRESHOLD_FIELDS)
        )
    t = schema.policy_thresholds
    where = (t.c.year == year, t.c.province == province)
    old = conn.execute(sa.select(t).where(*where)).first()
    row = {**(_set_values(old._mapping) if old is not None else {}), **given}
    conn.execute(t.delete().where(*where))
    conn.execute(
        t.insert().values(
            year=year,
            province=province,
            **{n: row.get(n) for n in THRESHOLD_FIELDS},
            set_at=dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0),
        )
    )
    _stamp_thresholds(conn)
    return row


def clear_thresholds(conn: Connection, year: int, province: str | None = None) -> bool:
    """Delete the stored thresholds of ``year`` (and ``province``): they default again.
    Whether there was a row."""
    province = _year_province(year, province)
    t = schema.policy_thresholds
    gone = conn.execute(t.delete().where(t.c.year == year, t.c.province == province)).rowcount
    _stamp_thresholds(conn)
    return bool(gone)


def list_thresholds(conn: Connection) -> list[dict[str, Any]]:
    t = schema.policy_thresholds
    rows = conn.execute(sa.select(t).order_by(t.c.year, t.c.province)).all()
    return [dict(r._mapping) for r in rows]


def _stamp_thresholds(conn: Connection) -> None:
    """Write the token of the stored thresholds (part of ``Store.data_version``)."""
    stored = sorted((y, p, sorted(v.items())) for (y, p), v in stored_thresholds(conn).items())
    token = hashlib.sha256(json.dumps(stored).encode()).hexdigest()[:16]
    m = schema.meta
    conn.execute(m.delete().where(m.c.key == THRESHOLDS_META))
    conn.execute(m.insert().values(key=THRESHOLDS_META, value=token))
