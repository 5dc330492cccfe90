"""PostgreSQL: households partitioned by month, one table per snapshot month.

A month loaded for the first time then goes into a table of its own, whose indexes are built
once after the rows are in (much cheaper than keeping them up to date row by row), and is
attached to ``households``; a month's rows stay together, and a query names its month.
SQLite keeps one table.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

from geodata.schema import household_partition

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE households RENAME TO households_plain")
    op.execute("ALTER TABLE households_plain RENAME CONSTRAINT households_pkey TO households_plain_pkey")
    op.execute("ALTER INDEX ix_households_month_grid RENAME TO ix_households_plain_month_grid")
    op.execute(
        "CREATE TABLE households (LIKE households_plain INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
        "PARTITION BY LIST (month)"
    )
    op.execute("ALTER TABLE households ADD CONSTRAINT households_pkey PRIMARY KEY (month, household_id)")
    op.execute("CREATE INDEX ix_households_month_grid ON households (month, grid_code)")
    months = bind.execute(sa.text("SELECT DISTINCT month FROM households_plain ORDER BY month")).scalars()
    for month in list(months):
        op.execute(
            f"CREATE TABLE {household_partition(month)} PARTITION OF households FOR VALUES IN ('{month}')"
        )
    op.execute("INSERT INTO households SELECT * FROM households_plain")
    op.execute("DROP TABLE households_plain")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    op.execute("CREATE TABLE households_plain (LIKE households INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    op.execute("INSERT INTO households_plain SELECT * FROM households")
    op.execute("DROP TABLE households")  # and its partitions
    op.execute("ALTER TABLE households_plain RENAME TO households")
    op.execute("ALTER TABLE households ADD CONSTRAINT households_pkey PRIMARY KEY (month, household_id)")
    op.execute("CREATE INDEX ix_households_month_grid ON households (month, grid_code)")
