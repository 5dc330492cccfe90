"""The rules' thresholds per year (and optionally province), part of a month's policy.

- ``policy_thresholds``: the thresholds of the monitoring rules for a year (``riskgrid rules
  set``), one nullable column per ``geodata.checks.Thresholds`` field; a NULL leaves the field
  to the row for every province, else to its default.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_thresholds",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("province", sa.Text, primary_key=True, server_default=""),
        sa.Column("elimination_months", sa.Integer),
        sa.Column("measure_months", sa.Integer),
        sa.Column("income_drop", sa.Float),
        sa.Column("signal_days", sa.Integer),
        sa.Column("overdue_months", sa.Integer),
        sa.Column("set_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("policy_thresholds")
