"""Alembic migrations of the riskgrid store (run by ``Store.migrate``)."""
