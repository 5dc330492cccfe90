"""``timeliness_figures``: 时效 of a county and the units in it per month, stored with the loads
(issue 15: a county page's first build read its households' records, 0.1 to 0.2 s a county of
the 10-million-household province). A row is used only at the data version it was stored at
(``stamp``), so the table starts empty: the next problem-list sync stores the latest month.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "timeliness_figures",
        sa.Column("county_code", sa.Text, primary_key=True),
        sa.Column("month", sa.Text, primary_key=True),
        sa.Column("stamp", sa.Text, nullable=False),
        sa.Column("since", sa.Text, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("timeliness_figures")
