"""SQLAlchemy Core tables for queries. The DDL itself lives in the Alembic migrations.

Geometry columns (``units.geom``, ``sites.geom``) are not declared here: they are PostGIS
geometries on PostgreSQL and WKB blobs on SQLite, and ``geodata.store`` reads and writes them.
"""

from __future__ import annotations

import re

import sqlalchemy as sa

from .model import UPPER_LEVELS, Unit

metadata = sa.MetaData()

units = sa.Table(
    "units",
    metadata,
    sa.Column("code", sa.Text, primary_key=True),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("parent_code", sa.Text),
    sa.Column("county_code", sa.Text),
    sa.Column("township_code", sa.Text),
    sa.Column("village_code", sa.Text),
    sa.Column("kind", sa.Text),
    sa.Column("grid_worker", sa.Text),
    sa.Column("worker_phone", sa.Text),
    sa.Column("label_lon", sa.Float),
    sa.Column("label_lat", sa.Float),
    sa.Column("area_km2", sa.Float),
    sa.Column("map_geojson", sa.Text),
    sa.Column("province_code", sa.Text),  # schema 0007: the levels above the county
    sa.Column("city_code", sa.Text),
)

HOUSEHOLD_COLUMNS: tuple[str, ...] = (
    "month",
    "household_id",
    "grid_code",
    "village_code",
    "township_code",
    "county_code",
    "head_name",
    "id_number",
    "id_flag",
    "persons",
    "household_type",
    "category",
    "risk_level",
    "risk_level_computed",
    "risk_causes",
    "income_per_capita",
    "identified_on",
    "channel",
    "eliminated",
    "elimination_mode",
    "eliminated_on",
    "measures",
    "relocated",
    "site_code",
    "labor_count",
    "employed_count",
    "lon",
    "lat",
)
_HOUSEHOLD_TYPES = {
    "persons": sa.Integer,
    "labor_count": sa.Integer,
    "employed_count": sa.Integer,
    "income_per_capita": sa.Float,
    "lon": sa.Float,
    "lat": sa.Float,
    "identified_on": sa.Date,
    "eliminated_on": sa.Date,
    "eliminated": sa.Boolean,
    "relocated": sa.Boolean,
    "risk_level_computed": sa.Boolean,
}
households = sa.Table(
    "households",
    metadata,
    *[
        sa.Column(
            name,
            _HOUSEHOLD_TYPES.get(name, sa.Text),
            primary_key=name in ("month", "household_id"),
        )
        for name in HOUSEHOLD_COLUMNS
    ],
)


def in_unit(table: sa.Table, unit: Unit) -> sa.ColumnElement[bool]:
    """The rows of ``table`` (households, signals: they store county to grid codes) inside
    ``unit``; a province or city by the counties in it."""
    if unit.level in UPPER_LEVELS:
        counties = sa.select(units.c.code).where(
            units.c.level == "county", units.c[f"{unit.level}_code"] == unit.code
        )
        return table.c.county_code.in_(counties.scalar_subquery())
    return table.c[f"{unit.level}_code"] == unit.code


def household_partition(month: str) -> str:
    """PostgreSQL: the table holding one month of ``households`` (list-partitioned by month)."""
    if not re.fullmatch(r"\d{4}-\d{2}", month):
        raise ValueError(f"not a month: {month!r}")
    return f"households_{month.replace('-', '_')}"


SITE_COLUMNS: tuple[str, ...] = (
    "site_code",
    "site_name",
    "township_code",
    "village_code",
    "grid_code",
    "lon",
    "lat",
    "households",
    "persons",
    "workshops",
    "public_jobs",
)
sites = sa.Table(
    "sites",
    metadata,
    sa.Column("site_code", sa.Text, primary_key=True),
    sa.Column("site_name", sa.Text, nullable=False),
    sa.Column("township_code", sa.Text, nullable=False),
    sa.Column("village_code", sa.Text),
    sa.Column("grid_code", sa.Text),
    sa.Column("lon", sa.Float, nullable=False),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("households", sa.Integer),
    sa.Column("persons", sa.Integer),
    sa.Column("workshops", sa.Integer),
    sa.Column("public_jobs", sa.Integer),
)

figures = sa.Table(
    "figures",
    metadata,
    sa.Column("unit_code", sa.Text, primary_key=True),
    sa.Column("month", sa.Text, primary_key=True),
    sa.Column("level", sa.Text, nullable=False),
    sa.Column("parent_code", sa.Text),
    sa.Column("risk_level", sa.Text, nullable=False),
    sa.Column("households", sa.Integer, nullable=False),
    sa.Column("persons", sa.Integer, nullable=False),
    sa.Column("monitored_persons", sa.Integer, nullable=False),
    sa.Column("open_red", sa.Integer, nullable=False),
    sa.Column("clearance_rate_persons", sa.Float),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("policy", sa.Text),  # geodata.policy.fingerprint of the lines and figures version
)

site_figures = sa.Table(
    "site_figures",
    metadata,
    sa.Column("site_code", sa.Text, primary_key=True),
    sa.Column("month", sa.Text, primary_key=True),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("policy", sa.Text),
)

# Income lines per year (and province: "" for every province): riskgrid lines set.
policy_lines = sa.Table(
    "policy_lines",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("province", sa.Text, primary_key=True),
    sa.Column("monitoring", sa.Float, nullable=False),
    sa.Column("observation", sa.Float, nullable=False),
    sa.Column("set_at", sa.DateTime, nullable=False),
)

# The rules' thresholds per year (and province: "" for every province): riskgrid rules set. A
# NULL column leaves that threshold to the row for every province, else to its default.
policy_thresholds = sa.Table(
    "policy_thresholds",
    metadata,
    sa.Column("year", sa.Integer, primary_key=True),
    sa.Column("province", sa.Text, primary_key=True),
    sa.Column("elimination_months", sa.Integer),
    sa.Column("measure_months", sa.Integer),
    sa.Column("income_drop", sa.Float),
    sa.Column("signal_days", sa.Integer),
    sa.Column("overdue_months", sa.Integer),
    sa.Column("set_at", sa.DateTime, nullable=False),
)

loads = sa.Table(
    "loads",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("sha256", sa.Text, nullable=False),
    sa.Column("month", sa.Text),
    sa.Column("rows_read", sa.Integer, nullable=False),
    sa.Column("rows_loaded", sa.Integer, nullable=False),
    sa.Column("rows_rejected", sa.Integer, nullable=False),
    sa.Column("loaded_at", sa.DateTime, nullable=False),
)

meta = sa.Table(
    "meta",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

SIGNAL_COLUMNS: tuple[str, ...] = (
    "household_id",
    "department",
    "signal",
    "occurred_on",
    "month",
    "amount",
    "grid_code",
    "village_code",
    "township_code",
    "county_code",
)
# 部门预警: one row per signal from a department's data, matched to a household at load time.
# The ID number a department matched on is not kept: the household number is enough.
signals = sa.Table(
    "signals",
    metadata,
    sa.Column("household_id", sa.Text, primary_key=True),
    sa.Column("department", sa.Text, primary_key=True),
    sa.Column("signal", sa.Text, primary_key=True),
    sa.Column("occurred_on", sa.Date, primary_key=True),
    sa.Column("month", sa.Text, nullable=False),
    sa.Column("amount", sa.Float),
    sa.Column("grid_code", sa.Text),  # NULL for a household with no grid (0008)
    sa.Column("village_code", sa.Text),
    sa.Column("township_code", sa.Text),
    sa.Column("county_code", sa.Text),
)

# 网格户对应表 (schema 0008): the grid of each household, from the county's grid system; it holds
# for every month until a later file changes it. households.grid_code and signals.grid_code
# may be NULL from 0008 on: a household with no grid counts in its village and above.
grid_assignments = sa.Table(
    "grid_assignments",
    metadata,
    sa.Column("household_id", sa.Text, primary_key=True),
    sa.Column("grid_code", sa.Text, nullable=False),
    sa.Column("assigned_at", sa.DateTime, nullable=False),
)

MEMBER_COLUMNS: tuple[str, ...] = (
    "month",
    "household_id",
    "person_id",
    "name",
    "id_number",
    "id_flag",
    "relation",
    "is_head",
    "sex",
    "birth_date",
    "labor_skill",
    "health",
    "schooling",
)
# 家庭成员 (schema 0009): the members of a household's snapshot, from the national system's
# member-level export (one row per member); a household loaded one row per household has none.
members = sa.Table(
    "members",
    metadata,
    sa.Column("month", sa.Text, primary_key=True),
    sa.Column("household_id", sa.Text, primary_key=True),
    sa.Column("person_id", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("id_number", sa.Text),
    sa.Column("id_flag", sa.Text),
    sa.Column("relation", sa.Text, nullable=False),
    sa.Column("is_head", sa.Boolean, nullable=False),
    sa.Column("sex", sa.Text),
    sa.Column("birth_date", sa.Date),
    sa.Column("labor_skill", sa.Text),
    sa.Column("health", sa.Text),
    sa.Column("schooling", sa.Text),
)

# 问题清单 (schema 0010): what the monitoring rules (geodata.checks) found, per rule and household,
# with its status; kept across months (geodata.records.problems).
problems = sa.Table(
    "problems",
    metadata,
    sa.Column("rule", sa.Text, primary_key=True),
    sa.Column("household_id", sa.Text, primary_key=True),
    sa.Column("severity", sa.Text, nullable=False),
    sa.Column("grid_code", sa.Text),
    sa.Column("village_code", sa.Text),
    sa.Column("township_code", sa.Text),
    sa.Column("county_code", sa.Text),
    sa.Column("first_seen", sa.Text, nullable=False),
    sa.Column("last_seen", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    sa.Column("changed_by", sa.Text),
    sa.Column("changed_at", sa.DateTime),
    sa.Column("evidence", sa.Text, nullable=False),
)

# open problems counted per county, month, rule, severity and first month (schema 0012):
# what the pages of a province or a city show of the list (geodata.records.problem_tally)
problem_tally = sa.Table(
    "problem_tally",
    metadata,
    sa.Column("county_code", sa.Text, primary_key=True),
    sa.Column("last_seen", sa.Text, primary_key=True),
    sa.Column("rule", sa.Text, primary_key=True),
    sa.Column("severity", sa.Text, primary_key=True),
    sa.Column("first_seen", sa.Text, primary_key=True),
    sa.Column("n", sa.Integer, nullable=False),
)

# 时效 of a county and the units in it per month, stored with the loads (schema 0013): ``data``
# the intervals by unit code, exact at data version ``stamp`` (geodata.records.timeliness_rows)
timeliness_figures = sa.Table(
    "timeliness_figures",
    metadata,
    sa.Column("county_code", sa.Text, primary_key=True),
    sa.Column("month", sa.Text, primary_key=True),
    sa.Column("stamp", sa.Text, nullable=False),
    sa.Column("since", sa.Text, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("role", sa.Text, nullable=False),
    sa.Column("unit_code", sa.Text),
    sa.Column("disabled", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
)

# Server-side sessions: ``id`` is the SHA-256 of the token in the user's cookie, never the token.
sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("username", sa.Text),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("expires_at", sa.DateTime, nullable=False),
)

# Failed log-ins per account and address (the slow-down of guessing, not a lock for everyone).
login_throttle = sa.Table(
    "login_throttle",
    metadata,
    sa.Column("username", sa.Text, primary_key=True),
    sa.Column("address", sa.Text, primary_key=True),
    sa.Column("failed_count", sa.Integer, nullable=False),
    sa.Column("locked_until", sa.DateTime),
    sa.Column("last_failed", sa.DateTime, nullable=False),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.Column("username", sa.Text),
    sa.Column("action", sa.Text, nullable=False),
    sa.Column("target", sa.Text),
    sa.Column("detail", sa.Text),
    sa.Column("address", sa.Text),
)
