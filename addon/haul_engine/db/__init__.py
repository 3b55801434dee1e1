"""Persistence: SQLAlchemy 2 async over SQLite (WAL) or PostgreSQL, migrated by Alembic."""
