"""The same database behaviour on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import create_async_engine

from haul_engine.db.database import Database, alembic_config
from haul_engine.db.models import Base

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from sqlalchemy.engine import Connection

    from tests.support.engine import EngineProcess


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test runs on both backends."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'haul.db'}"
    return str(request.getfixturevalue("postgres_database"))


async def test_migrations_apply_once_and_facts_persist(database_url: str) -> None:
    database = Database(database_url)
    await database.setup()
    first_revision = database.revision
    server_id = await database.meta_value("server_id", lambda: "abc")
    assert await database.meta_value("server_id", lambda: "other") == server_id
    await database.close()
    again = Database(database_url)
    await again.setup()
    assert again.revision == first_revision
    assert await again.meta_value("server_id", lambda: "other") == "abc"
    await again.close()


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'haul.db'}")
    await database.setup()
    await database.meta_value("probe", lambda: "1")
    with sqlite3.connect(tmp_path / "haul.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    await database.close()


def test_engine_on_postgresql_keeps_its_identity(
    engine_factory: Callable[..., EngineProcess], postgres_database: str
) -> None:
    engine = engine_factory(args=["--database-url", postgres_database]).start()
    server_id = engine.request("GET", "/api/v1/info")[1]["server_id"]
    assert not (engine.data_dir / "haul.db").exists()
    engine.restart()
    assert engine.request("GET", "/api/v1/info")[1]["server_id"] == server_id


def test_unreachable_database_is_a_clear_error(
    engine_factory: Callable[..., EngineProcess],
) -> None:
    engine = engine_factory(args=["--database-url", "postgresql+asyncpg://haul@127.0.0.1:1/haul"])
    with pytest.raises(RuntimeError, match="cannot start: database postgresql not reachable"):
        engine.start()


def _schema_drift(connection: Connection) -> list[object]:
    """What the models declare that the migrations did not create (or the other way round)."""
    import haul_engine.engine  # noqa: F401, PLC0415 - registers every capability's models on Base

    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_migrations_build_exactly_the_declared_models(database_url: str) -> None:
    database = Database(database_url)
    await database.setup()
    engine = create_async_engine(database_url)
    async with engine.connect() as connection:
        assert await connection.run_sync(_schema_drift) == []
    await engine.dispose()
    await database.close()


def test_migrations_form_one_line() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    revisions = [revision.revision for revision in script.walk_revisions()]
    assert revisions == sorted(revisions, reverse=True)
