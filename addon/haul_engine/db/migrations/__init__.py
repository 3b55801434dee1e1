"""Alembic migrations of the engine database."""
