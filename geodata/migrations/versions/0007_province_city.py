"""Levels above the county: province (2-digit code) and city (4-digit code).

``units.province_code`` and ``units.city_code`` name the province and city of every unit at or
below a county with a six-digit code. The province and city units themselves are derived from
the grid layer by the next grid load; until then a database shows exactly what it showed.
An index on ``figures (month, policy)`` serves the check for stale months that every command
and page makes.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("units", sa.Column("province_code", sa.Text))
    op.add_column("units", sa.Column("city_code", sa.Text))
    op.create_index("ix_units_city", "units", ["city_code"])
    op.create_index("ix_units_province", "units", ["province_code"])
    # which policy each month's figures were computed under: read by every command and page
    op.create_index("ix_figures_month_policy", "figures", ["month", "policy"])


def downgrade() -> None:
    op.drop_index("ix_figures_month_policy", "figures")
    op.drop_index("ix_units_province", "units")
    op.drop_index("ix_units_city", "units")
    with op.batch_alter_table("units") as batch:
        batch.drop_column("city_code")
        batch.drop_column("province_code")
