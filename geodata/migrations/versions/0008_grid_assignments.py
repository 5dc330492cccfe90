"""Grid assignment (网格户对应表): which grid each household lies in, from the county's grid system.

``grid_assignments`` keeps one grid per household number; it holds for every month until a later
file changes it. A household with no grid (the national export has none, and a household may be
left out of the assignment) still counts in its village, township and county: ``households``
and ``signals`` then store no grid code, so ``grid_code`` may be NULL in both.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "grid_assignments",
        sa.Column("household_id", sa.Text, primary_key=True),
        sa.Column("grid_code", sa.Text, nullable=False),
        sa.Column("assigned_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_grid_assignments_grid", "grid_assignments", ["grid_code"])
    if op.get_bind().dialect.name == "postgresql":
        # a partitioned table: the partitions follow their parent
        op.execute("ALTER TABLE households ALTER COLUMN grid_code DROP NOT NULL")
        op.execute("ALTER TABLE signals ALTER COLUMN grid_code DROP NOT NULL")
        return
    for table in ("households", "signals"):
        with op.batch_alter_table(table) as batch:
            batch.alter_column("grid_code", existing_type=sa.Text, nullable=True)


def downgrade() -> None:
    op.drop_index("ix_grid_assignments_grid", "grid_assignments")
    op.drop_table("grid_assignments")
