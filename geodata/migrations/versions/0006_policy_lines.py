"""Income lines per year (and optionally province), and the policy each figures row was computed
under.

- ``policy_lines``: the monitoring and observation lines of a year (``riskgrid lines set``);
- ``figures.policy`` and ``site_figures.policy``: the fingerprint of the lines and the figures'
  version a row was computed with; rows without one (earlier versions) are recomputed when read.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "policy_lines",
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("province", sa.Text, primary_key=True, server_default=""),
        sa.Column("monitoring", sa.Float, nullable=False),
        sa.Column("observation", sa.Float, nullable=False),
        sa.Column("set_at", sa.DateTime, nullable=False),
    )
    op.add_column("figures", sa.Column("policy", sa.Text))
    op.add_column("site_figures", sa.Column("policy", sa.Text))


def downgrade() -> None:
    with op.batch_alter_table("site_figures") as batch:
        batch.drop_column("policy")
    with op.batch_alter_table("figures") as batch:
        batch.drop_column("policy")
    op.drop_table("policy_lines")
