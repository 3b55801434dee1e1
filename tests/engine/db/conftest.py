"""Fixtures of the database layer's tests: each test runs on SQLite and on a real PostgreSQL."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from haul_engine.db.database import Database

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'haul.db'}"
    return str(request.getfixturevalue("postgres_database"))


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """A migrated database on each backend, closed after the test."""
    database = Database(database_url)
    await database.setup()
    yield database
    await database.close()
