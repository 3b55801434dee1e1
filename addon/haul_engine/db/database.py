"""The Database object: engine, sessions and migrations at start."""

from __future__ import annotations

import logging
import re
import sqlite3
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, inspect, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from haul_engine.db.backup import restore_if_missing
from haul_engine.db.models import EngineMeta
from haul_engine.errors import Conflict, DiskFull, NotFound, Unavailable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from alembic.config import Config
    from sqlalchemy.engine import Connection, Dialect
    from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

_LOGGER = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
POSTGRESQL_DISK_FULL = "53100"  # SQLSTATE disk_full
_REVISION = re.compile(r'^(down_)?revision\s*=\s*"([^"]+)"', re.MULTILINE)


class Database:
    """Owns the SQLAlchemy engine; setup applies pending migrations."""

    def __init__(self, url: str) -> None:
        """Remember where the database lives."""
        self.url = url
        self._engine: AsyncEngine | None = None
        self._sessions: async_sessionmaker[AsyncSession] | None = None
        self.revision: str | None = None

    @property
    def dialect(self) -> str:
        """Name the backend: sqlite or postgresql."""
        return self.url.split("+", 1)[0].split(":", 1)[0]

    @property
    def sql_dialect(self) -> Dialect:
        """SQLAlchemy's dialect of this database: how values are bound and statements written."""
        if self._engine is None:
            msg = "database not set up"
            raise RuntimeError(msg)
        return self._engine.dialect

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None for a server database."""
        return Path(self.url.split(":///", 1)[1]) if self.dialect == "sqlite" else None

    async def setup(self) -> None:
        """Connect and migrate to the newest schema."""
        # last in, first out: a writer committing batch after batch gets the connection it just
        # returned (its warm page cache and prepared statements) instead of alternating between two
        options: dict[str, Any] = {"pool_pre_ping": True, "pool_use_lifo": True}
        if self.sqlite_path is not None:
            self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
            restore_if_missing(self.sqlite_path)
        self._engine = create_async_engine(self.url, **options)
        if self.dialect == "sqlite":
            event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)
        try:
            async with self._engine.begin() as connection:
                self.revision = await connection.run_sync(_upgrade)
        except (OSError, ConnectionError) as err:
            await self._engine.dispose()
            msg = f"database {self.dialect} not reachable: {err}"
            raise Unavailable(msg) from err
        self._sessions = async_sessionmaker(self._engine, expire_on_commit=False)
        _LOGGER.info("database %s at schema revision %s", self.dialect, self.revision)

    async def close(self) -> None:
        """Release every connection."""
        if self._engine is not None:
            await self._engine.dispose()

    @asynccontextmanager
    async def session(self, bind: AsyncConnection | None = None) -> AsyncIterator[AsyncSession]:
        """Open a session (on bind, if given); a write that finds the disk full raises DiskFull."""
        if self._sessions is None:
            msg = "database not set up"
            raise RuntimeError(msg)
        try:
            async with self._sessions(bind=bind) if bind else self._sessions() as session:
                yield session
        except (DBAPIError, sqlite3.Error) as err:  # bulk inserts reach sqlite3 directly
            if not _disk_full(err):
                raise
            where = self.sqlite_path or "the PostgreSQL server's data"
            msg = f"the database could not be written: the disk holding {where} is full"
            raise DiskFull(msg) from None

    @asynccontextmanager
    async def durable_session(self) -> AsyncIterator[AsyncSession]:
        """Open a session committed on leaving, on the disk when it returns (a power cut keeps it).

        For the few writes that must hold before something irreversible: SQLite fsyncs this commit
        (synchronous=FULL on its connection, held until NORMAL is back: given back to the pool in
        between, another session could take it and every commit there would be fsynced);
        PostgreSQL waits for its WAL to be flushed (synchronous_commit on for this transaction: a
        server tuned with it off for an SD card would not).
        """
        if self.dialect != "sqlite":
            async with self.session() as session:
                await session.execute(text("SET LOCAL synchronous_commit TO on"))
                yield session
                await session.commit()
            return
        if self._engine is None:
            msg = "database not set up"
            raise RuntimeError(msg)
        async with self._engine.connect() as connection:
            await connection.exec_driver_sql("PRAGMA synchronous=FULL")
            await connection.commit()
            try:
                async with self.session(bind=connection) as session:
                    yield session
                    await session.commit()
            finally:
                await connection.rollback()
                await connection.exec_driver_sql("PRAGMA synchronous=NORMAL")
                await connection.commit()

    async def meta_value(self, key: str, factory: Callable[[], str]) -> str:
        """Return a stored engine fact, creating it with factory the first time."""
        async with self.session() as session, session.begin():
            row = await session.get(EngineMeta, key)
            if row is None:
                row = EngineMeta(key=key, value=factory())
                session.add(row)
            return row.value


async def get_or_not_found[Row](
    session: AsyncSession, model: type[Row], key: object, missing: str
) -> Row:
    """Load a row by primary key, or raise NotFound saying what is missing."""
    row = await session.get(model, key)
    if row is None:
        raise NotFound(missing)
    return row


async def commit_unique(session: AsyncSession, clash: str) -> None:
    """Commit; a unique-key clash rolls back and becomes a Conflict saying what already exists."""
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        raise Conflict(clash) from None


def _disk_full(error: Exception) -> bool:
    """Whether a database error says the disk is full: SQLite's SQLITE_FULL, PostgreSQL's 53100."""
    cause = error.orig if isinstance(error, DBAPIError) else error
    return (
        getattr(cause, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
        or getattr(cause, "sqlstate", None) == POSTGRESQL_DISK_FULL
    )


def _sqlite_pragmas(connection: Any, _record: Any) -> None:  # noqa: ANN401 - DB-API connection
    """WAL for concurrent readers and crash safety; foreign keys for cascades."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def alembic_config() -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    from alembic.config import Config  # noqa: PLC0415 - Alembic loads only to migrate

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    """Return the newest migration's revision, read from the files (None: not one head)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("[0-9]*.py"):
        for down, revision in _REVISION.findall(path.read_text(encoding="utf-8")):
            (parents if down else revisions).add(revision)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def stored_revision(connection: Connection) -> str | None:
    """Return the revision the database is at (None: never migrated)."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _upgrade(connection: Connection) -> str | None:
    """Apply pending migrations on an open connection and return the resulting revision.

    A database already at the newest revision is left alone without loading Alembic (and Mako):
    that is every start but the first after an update.
    """
    current = stored_revision(connection)
    if current is not None and current == head_revision():
        return current
    from alembic import command  # noqa: PLC0415 - Alembic loads only to migrate
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return MigrationContext.configure(connection).get_current_revision()
