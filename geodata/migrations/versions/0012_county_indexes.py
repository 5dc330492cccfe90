"""Indexes a province's and a county's pages need (issue 15): every query of those pages by
index, none reading a whole table of a province (100,000 grids, 10 million households); and
``problem_tally``, the open problems counted per county, month, rule, severity and first month,
what the pages of a province and a city show of the problem list (a few thousand rows).

- ``units`` by each level's code and the level: the shapes of a level under a unit, their
  counts per level (``Store.level_counts``), the map's features and figures;
- ``figures`` by level and month: the snapshot months (``Store.months``);
- ``problems`` by county, village and grid with the month and status (covering the counts a
  page shows, an index-only scan), by the last change (``Store.problems_stamp``);
- ``households`` (each month's partition on PostgreSQL): the records with an identification
  date by county and by household (时效 of a county reads its households' records);
  ``signals`` by date and by household (时效's warnings).

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

COUNTS = ["last_seen", "status", "rule", "severity", "first_seen"]  # what the counts read
INDEXES = [
    ("ix_units_province_level", "units", ["province_code", "level"]),
    ("ix_units_city_level", "units", ["city_code", "level"]),
    ("ix_units_county_level", "units", ["county_code", "level"]),
    ("ix_units_township_level", "units", ["township_code", "level"]),
    ("ix_units_village_level", "units", ["village_code", "level"]),
    ("ix_figures_level_month", "figures", ["level", "month"]),
    ("ix_problems_county", "problems", ["county_code", *COUNTS]),
    ("ix_problems_village", "problems", ["village_code", *COUNTS]),
    ("ix_problems_grid", "problems", ["grid_code", *COUNTS]),
    ("ix_problems_changed_at", "problems", ["changed_at"]),
    ("ix_signals_occurred", "signals", ["occurred_on"]),
    ("ix_signals_household", "signals", ["household_id", "occurred_on"]),
]
TALLY_KEYS = ["county_code", "last_seen", "rule", "severity", "first_seen"]
IDENTIFIED = [
    ("ix_households_identified_county", ["county_code", "household_id"]),
    ("ix_households_identified", ["household_id", "month"]),
]


def upgrade() -> None:
    op.create_table(
        "problem_tally",
        *[sa.Column(c, sa.Text, primary_key=True) for c in TALLY_KEYS],
        sa.Column("n", sa.Integer, nullable=False),
    )
    keys = ", ".join(TALLY_KEYS)
    op.execute(  # the list as it stands (rebuilt at every sync and status change from now on)
        f"INSERT INTO problem_tally ({keys}, n) SELECT {keys}, count(*) FROM problems "
        "WHERE status IN ('new', 'confirmed') AND county_code IS NOT NULL "
        f"GROUP BY {keys}"
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)  # partitioned households: on every month's table
    # the records 时效 reads (an identification date: a small part of a month), by county and
    # by household
    for name, columns in IDENTIFIED:
        op.create_index(
            name,
            "households",
            columns,
            postgresql_where=sa.text("identified_on IS NOT NULL"),
            sqlite_where=sa.text("identified_on IS NOT NULL"),
        )


def downgrade() -> None:
    op.drop_table("problem_tally")
    for name, _ in reversed(IDENTIFIED):
        op.drop_index(name, "households")
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table)
