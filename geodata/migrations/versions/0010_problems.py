"""The problem list (问题清单): one row per (rule, household) the monitoring rules found, with its
status (new 待核实, confirmed 已核实, fixed 已整改, dismissed 已排除), kept across months.

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "problems",
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
    op.create_index("ix_problems_township", "problems", ["township_code", "status"])


def downgrade() -> None:
    op.drop_index("ix_problems_township", "problems")
    op.drop_table("problems")
