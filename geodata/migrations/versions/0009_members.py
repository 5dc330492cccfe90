"""Household members (家庭成员): one row per member of a household's monthly snapshot.

The national system exports its 监测对象信息 one row per family member; the load groups the rows
into households and keeps the members here, keyed by month, household and 人编号. A household
loaded one row per household has no member rows.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "members",
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


def downgrade() -> None:
    op.drop_table("members")
