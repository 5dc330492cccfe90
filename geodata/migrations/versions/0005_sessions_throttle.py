"""Server-side sessions, log-in throttling per account and address, no key in the database.

- ``sessions``: one row per browser session, keyed by the SHA-256 of the session token (the
  token itself is only in the user's cookie, so a copy of the database gives no usable session);
- ``login_throttle``: failed log-ins counted per account and address, so that wrong passwords
  from one address slow that address down without locking the account out for everyone;
- the session-signing key that earlier versions kept in ``meta`` is deleted: keys live apart
  from the data (``RISKGRID_SECRET_KEY`` or a key file with mode 0600);
- ``users.failed_count`` and ``users.locked_until`` are dropped (replaced by ``login_throttle``).

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sessions",
        sa.Column("id", sa.Text, primary_key=True),
        sa.Column("username", sa.Text),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_sessions_username", "sessions", ["username"])
    op.create_index("ix_sessions_expires", "sessions", ["expires_at"])
    op.create_table(
        "login_throttle",
        sa.Column("username", sa.Text, primary_key=True),
        sa.Column("address", sa.Text, primary_key=True),
        sa.Column("failed_count", sa.Integer, nullable=False),
        sa.Column("locked_until", sa.DateTime),
        sa.Column("last_failed", sa.DateTime, nullable=False),
    )
    op.execute("DELETE FROM meta WHERE key = 'session_secret'")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("failed_count")
        batch.drop_column("locked_until")


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("failed_count", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_until", sa.DateTime))
    op.drop_table("login_throttle")
    op.drop_table("sessions")
