"""The Database object: engine, sessions and migrations at start."""

from __future__ import annotations

import logging
import re
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from haul_engine.db.backup import restore_if_missing
from haul_engine.db.models import ENGINE_META, EngineMeta
from haul_engine.db.sql import IntegrityError, Pool, SqlitePool, StorageFull
from haul_engine.errors import Conflict, DiskFull, NotFound, Unavailable

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from alembic.config import Config
    from sqlalchemy.engine import Connection

    from haul_engine.db.sql import Transaction
    from haul_engine.db.tables import Table

_LOGGER = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^(down_)?revision\s*=\s*"([^"]+)"', re.MULTILINE)


class Database:
    """Owns the connections; setup applies pending migrations."""

    def __init__(self, url: str) -> None:
        """Remember where the database lives."""
        self.url = url
        self._pool: Pool | None = None
        self.revision: str | None = None

    @property
    def dialect(self) -> str:
        """Name the backend: sqlite or postgresql."""
        return self.url.split("+", 1)[0].split(":", 1)[0]

    @property
    def sqlite_path(self) -> Path | None:
        """The SQLite database file, or None for a server database."""
        return Path(self.url.split(":///", 1)[1]) if self.dialect == "sqlite" else None

    async def setup(self) -> None:
        """Connect and migrate to the newest schema."""
        try:
            if self.sqlite_path is not None:
                self.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
                restore_if_missing(self.sqlite_path)
                self._pool = SqlitePool(self.sqlite_path)
            else:
                from haul_engine.db.postgres import PostgresPool  # noqa: PLC0415 - asyncpg for PostgreSQL only

                self._pool = await PostgresPool.connect(self.url)
            async with self.session() as tx:
                self.revision = await stored_revision(tx)
            if self.revision is None or self.revision != head_revision():
                self.revision = await migrate(self.url)
        except (OSError, ConnectionError) as err:
            await self.close()
            msg = f"database {self.dialect} not reachable: {err}"
            raise Unavailable(msg) from err
        _LOGGER.info("database %s at schema revision %s", self.dialect, self.revision)

    async def close(self) -> None:
        """Release every connection."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[Transaction]:
        """Open a transaction, committed when the block ends; a full disk raises DiskFull."""
        async with self._transaction(durable=False) as tx:
            yield tx

    @asynccontextmanager
    async def durable_session(self) -> AsyncIterator[Transaction]:
        """Open a transaction whose commit is on the disk when it returns (a power cut keeps it).

        For the few writes that must hold before something irreversible: SQLite fsyncs this commit
        (synchronous=FULL on its connection until NORMAL is back, before another session can take
        it); PostgreSQL waits for its WAL to be flushed (synchronous_commit on for this
        transaction: a server tuned with it off for an SD card would not).
        """
        async with self._transaction(durable=True) as tx:
            yield tx

    @asynccontextmanager
    async def _transaction(self, *, durable: bool) -> AsyncIterator[Transaction]:
        if self._pool is None:
            msg = "database not set up"
            raise RuntimeError(msg)
        try:
            async with self._pool.transaction(durable=durable) as tx:
                yield tx
        except StorageFull:
            where = self.sqlite_path or "the PostgreSQL server's data"
            msg = f"the database could not be written: the disk holding {where} is full"
            raise DiskFull(msg) from None

    async def meta_value(self, key: str, factory: Callable[[], str]) -> str:
        """Return a stored engine fact, creating it with factory the first time."""
        async with self.session() as tx:
            row = await ENGINE_META.get(tx, key)
            if row is None:
                row = EngineMeta(key=key, value=factory())
                await ENGINE_META.insert(tx, row)
            return row.value


async def get_or_not_found[Row](
    table: Table[Row], tx: Transaction, key: object, missing: str
) -> Row:
    """Load a row by primary key, or raise NotFound saying what is missing."""
    row = await table.get(tx, key)
    if row is None:
        raise NotFound(missing)
    return row


@contextmanager
def unique(clash: str) -> Iterator[None]:
    """Turn a unique-key clash of the statements inside into a Conflict saying what exists."""
    try:
        yield
    except IntegrityError:
        raise Conflict(clash) from None


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


async def stored_revision(tx: Transaction) -> str | None:
    """Return the revision the database is at (None: never migrated)."""
    if tx.dialect == "sqlite":
        exists = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    else:
        exists = (
            "SELECT 1 FROM pg_tables"
            " WHERE tablename = 'alembic_version' AND schemaname = current_schema()"
        )
    if await tx.fetch_value(exists) is None:
        return None
    revision: str | None = await tx.fetch_value("SELECT version_num FROM alembic_version")
    return revision


async def migrate(url: str) -> str | None:
    """Apply pending migrations with Alembic; return the resulting revision.

    Only a new database or one behind the newest revision gets here (the first start, the first
    after an update that changes the schema), and only then are SQLAlchemy, Alembic and Mako
    loaded.
    """
    from sqlalchemy import event  # noqa: PLC0415 - SQLAlchemy loads only to migrate
    from sqlalchemy.ext.asyncio import create_async_engine  # noqa: PLC0415

    engine = create_async_engine(url)
    if url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_foreign_keys)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(_upgrade)
    finally:
        await engine.dispose()


def _sqlite_foreign_keys(connection: Any, _record: Any) -> None:  # noqa: ANN401 - DB-API connection
    """Cascades hold during migrations too."""
    cursor = connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _upgrade(connection: Connection) -> str | None:
    """Apply pending migrations on an open connection and return the resulting revision."""
    from alembic import command  # noqa: PLC0415 - Alembic loads only to migrate
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    return MigrationContext.configure(connection).get_current_revision()
