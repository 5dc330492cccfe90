"""Department warnings (部门预警数据): one row per signal, matched to a household.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signals",
        sa.Column("household_id", sa.Text, primary_key=True),
        sa.Column("department", sa.Text, primary_key=True),
        sa.Column("signal", sa.Text, primary_key=True),
        sa.Column("occurred_on", sa.Date, primary_key=True),
        sa.Column("month", sa.Text, nullable=False),
        sa.Column("amount", sa.Float),
        sa.Column("grid_code", sa.Text, nullable=False),
        sa.Column("village_code", sa.Text),
        sa.Column("township_code", sa.Text),
        sa.Column("county_code", sa.Text),
    )
    op.create_index("ix_signals_month_grid", "signals", ["month", "grid_code"])


def downgrade() -> None:
    op.drop_table("signals")
