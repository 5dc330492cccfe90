"""The first schema: units, households, sites, figures, loads, meta.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _geometry(table: str, column: str, kind: str) -> None:
    """A geometry column: PostGIS geometry with a GiST index, or WKB in a BLOB on SQLite."""
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(f"ALTER TABLE {table} ADD COLUMN {column} geometry({kind}, 4326)")
        op.execute(f"CREATE INDEX ix_{table}_{column} ON {table} USING GIST ({column})")
    else:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(column, sa.LargeBinary()))


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    op.create_table(
        "units",
        sa.Column("code", sa.Text, primary_key=True),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("parent_code", sa.Text),
        sa.Column("county_code", sa.Text),
        sa.Column("township_code", sa.Text),
        sa.Column("village_code", sa.Text),
        sa.Column("kind", sa.Text),
        sa.Column("grid_worker", sa.Text),
        sa.Column("worker_phone", sa.Text),
        sa.Column("label_lon", sa.Float),
        sa.Column("label_lat", sa.Float),
        sa.Column("area_km2", sa.Float),
        sa.Column("map_geojson", sa.Text),
    )
    _geometry("units", "geom", "MultiPolygon")
    op.create_index("ix_units_level", "units", ["level"])
    op.create_index("ix_units_parent", "units", ["parent_code"])

    op.create_table(
        "households",
        sa.Column("month", sa.Text, primary_key=True),
        sa.Column("household_id", sa.Text, primary_key=True),
        sa.Column("grid_code", sa.Text, nullable=False),
        sa.Column("village_code", sa.Text, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("county_code", sa.Text, nullable=False),
        sa.Column("head_name", sa.Text, nullable=False),
        sa.Column("id_number", sa.Text),
        sa.Column("id_flag", sa.Text),
        sa.Column("persons", sa.Integer, nullable=False),
        sa.Column("household_type", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("risk_level", sa.Text),
        sa.Column("risk_level_computed", sa.Boolean),
        sa.Column("risk_causes", sa.Text),
        sa.Column("income_per_capita", sa.Float),
        sa.Column("identified_on", sa.Date),
        sa.Column("channel", sa.Text),
        sa.Column("eliminated", sa.Boolean),
        sa.Column("elimination_mode", sa.Text),
        sa.Column("eliminated_on", sa.Date),
        sa.Column("measures", sa.Text),
        sa.Column("relocated", sa.Boolean),
        sa.Column("site_code", sa.Text),
        sa.Column("labor_count", sa.Integer),
        sa.Column("employed_count", sa.Integer),
        sa.Column("lon", sa.Float),
        sa.Column("lat", sa.Float),
    )
    op.create_index("ix_households_month_grid", "households", ["month", "grid_code"])

    op.create_table(
        "sites",
        sa.Column("site_code", sa.Text, primary_key=True),
        sa.Column("site_name", sa.Text, nullable=False),
        sa.Column("township_code", sa.Text, nullable=False),
        sa.Column("village_code", sa.Text),
        sa.Column("grid_code", sa.Text),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("households", sa.Integer),
        sa.Column("persons", sa.Integer),
        sa.Column("workshops", sa.Integer),
        sa.Column("public_jobs", sa.Integer),
    )
    _geometry("sites", "geom", "Point")

    op.create_table(
        "figures",
        sa.Column("unit_code", sa.Text, primary_key=True),
        sa.Column("month", sa.Text, primary_key=True),
        sa.Column("level", sa.Text, nullable=False),
        sa.Column("parent_code", sa.Text),
        sa.Column("risk_level", sa.Text, nullable=False),
        sa.Column("households", sa.Integer, nullable=False),
        sa.Column("persons", sa.Integer, nullable=False),
        sa.Column("monitored_persons", sa.Integer, nullable=False),
        sa.Column("open_red", sa.Integer, nullable=False),
        sa.Column("clearance_rate_persons", sa.Float),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_figures_month_parent", "figures", ["month", "parent_code"])
    op.create_index("ix_figures_month_level", "figures", ["month", "level"])

    op.create_table(
        "site_figures",
        sa.Column("site_code", sa.Text, primary_key=True),
        sa.Column("month", sa.Text, primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
    )

    op.create_table(
        "loads",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("sha256", sa.Text, nullable=False),
        sa.Column("month", sa.Text),
        sa.Column("rows_read", sa.Integer, nullable=False),
        sa.Column("rows_loaded", sa.Integer, nullable=False),
        sa.Column("rows_rejected", sa.Integer, nullable=False),
        sa.Column("loaded_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_loads_sha", "loads", ["kind", "sha256", "month"], unique=True)

    op.create_table(
        "meta",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in ("meta", "loads", "site_figures", "figures", "sites", "households", "units"):
        op.drop_table(table)
