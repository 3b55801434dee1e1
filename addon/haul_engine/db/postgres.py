"""PostgreSQL through asyncpg: the same statements as on SQLite, :named parameters made $n."""

from __future__ import annotations

import json
import re
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

import asyncpg

from haul_engine.db.sql import (
    POOL_TIMEOUT,
    DatabaseError,
    IntegrityError,
    Pool,
    StorageFull,
    Transaction,
    all_busy,
    expand_lists,
)
from haul_engine.db.values import as_utc

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

    from asyncpg.pool import PoolConnectionProxy

    from haul_engine.db.sql import Params, Row

DISK_FULL = "53100"  # SQLSTATE disk_full
_PARAMETER = re.compile(r"(?<![:\w]):([A-Za-z_]\w*)")
POOL_SIZE = 15  # as SQLite's pool at its busiest: sessions opened inside others must not starve


def _error(err: asyncpg.PostgresError) -> DatabaseError:
    if getattr(err, "sqlstate", None) == DISK_FULL:
        return StorageFull(str(err))
    if isinstance(err, asyncpg.IntegrityConstraintViolationError):
        return IntegrityError(str(err))
    return DatabaseError(str(err))


class _Numbered:
    """A statement with :names turned into $1…$n, and the names in their order."""

    cache: dict[str, _Numbered] = {}  # noqa: RUF012 - one cache for every statement text

    def __init__(self, sql: str) -> None:
        names: list[str] = []

        def number(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in names:
                names.append(name)
            return f"${names.index(name) + 1}"

        self.text = _PARAMETER.sub(number, sql)
        self.names = names

    @classmethod
    def of(cls, sql: str) -> _Numbered:
        numbered = cls.cache.get(sql)
        if numbered is None:
            numbered = cls.cache[sql] = cls(sql)
        return numbered

    def arguments(self, params: Params) -> list[Any]:
        return [_value(params[name]) for name in self.names]


def _value(value: object) -> object:
    return as_utc(value) if isinstance(value, datetime) else value


def _positional(sql: str, params: Params | None) -> tuple[str, list[Any]]:
    text, values = expand_lists(sql, params, arrays=True)
    numbered = _Numbered.of(text)
    return numbered.text, numbered.arguments(values)


class PostgresTransaction(Transaction):
    """A transaction on one asyncpg connection."""

    dialect = "postgresql"

    def __init__(self, connection: PoolConnectionProxy[asyncpg.Record]) -> None:
        """Run statements on connection."""
        self.connection = connection

    async def execute(self, sql: str, params: Params | None = None) -> int:
        """Run a statement; return the count of rows it changed."""
        text, arguments = _positional(sql, params)
        try:
            status: str = await self.connection.execute(text, *arguments)
        except asyncpg.PostgresError as err:
            raise _error(err) from err
        count = status.rsplit(" ", 1)[-1]
        return int(count) if count.isdigit() else 0

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run a statement once per set of parameters."""
        numbered = _Numbered.of(sql)
        try:
            await self.connection.executemany(
                numbered.text, [numbered.arguments(row) for row in rows]
            )
        except asyncpg.PostgresError as err:
            raise _error(err) from err

    async def fetch_all(self, sql: str, params: Params | None = None) -> list[Row]:
        """Return every row a query gives."""
        text, arguments = _positional(sql, params)
        try:
            return cast("list[Row]", await self.connection.fetch(text, *arguments))
        except asyncpg.PostgresError as err:
            raise _error(err) from err

    async def insert_many(self, sql: str, flat: list[Any], width: int) -> None:
        """Insert rows: one prepared statement run for each."""
        values = list(map(_value, flat))  # a naive time refused, as on SQLite (asyncpg: local)
        rows = [values[start : start + width] for start in range(0, len(values), width)]
        count = iter(range(1, width + 1))
        text = re.sub(r"\?", lambda _: f"${next(count)}", sql)
        try:
            await self.connection.executemany(text, rows)
        except asyncpg.PostgresError as err:
            raise _error(err) from err


async def _setup_connection(connection: asyncpg.Connection[asyncpg.Record]) -> None:
    """Read and write JSON columns as Python values."""
    for kind in ("json", "jsonb"):
        await connection.set_type_codec(
            kind, encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )


class PostgresPool(Pool):
    """A pool of asyncpg connections to one PostgreSQL database."""

    dialect = "postgresql"

    def __init__(self, pool: asyncpg.Pool[asyncpg.Record]) -> None:
        """Hand out transactions on pool's connections."""
        self._pool = pool

    @classmethod
    async def connect(cls, url: str) -> PostgresPool:
        """Connect to the database at url (postgresql+asyncpg://… or postgresql://…)."""
        dsn = "postgresql://" + url.split("://", 1)[1]
        pool = await asyncpg.create_pool(
            dsn, min_size=1, max_size=POOL_SIZE, init=_setup_connection
        )
        return cls(pool)

    @asynccontextmanager
    async def transaction(self, *, durable: bool = False) -> AsyncIterator[Transaction]:
        """Open a transaction; durable: it waits for its WAL on the disk (a server may not)."""
        try:
            connection = await self._pool.acquire(timeout=POOL_TIMEOUT)
        except TimeoutError:
            raise all_busy(POOL_SIZE) from None
        try:
            async with connection.transaction():
                if durable:
                    await connection.execute("SET LOCAL synchronous_commit TO on")
                yield PostgresTransaction(connection)
        except asyncpg.PostgresError as err:
            raise _error(err) from err
        finally:
            await self._pool.release(connection)

    async def close(self) -> None:
        """Close every connection."""
        await self._pool.close()
