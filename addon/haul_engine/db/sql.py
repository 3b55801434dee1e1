"""SQL on SQLite or PostgreSQL: statements with :named parameters, in transactions from a pool.

The whole database layer under the engine's tables: SQLite through aiosqlite (sqlite3 on a
thread per connection), PostgreSQL through asyncpg (`db/postgres.py`, imported only for it).
Statements are written once for both: `:name` parameters, `column IN :names` for a list.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiosqlite

from haul_engine.db.values import sqlite_text

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
    from pathlib import Path

type Row = Sequence[Any]
type Params = Mapping[str, Any]

_IN_LIST = re.compile(r"\b(NOT\s+)?IN\s+:(\w+)\b", re.IGNORECASE)
SQLITE_POOL = 5  # connections kept open: readers run beside the one writer WAL allows
# opened beyond those while all are busy (a session opened inside another, an arr calling back
# into the engine while a request's change holds one), closed when given back
SQLITE_OVERFLOW = 10
POOL_TIMEOUT = 30.0  # seconds a transaction waits for a connection before it fails
# each connection's page cache (SQLite's default is 2 MiB): what the start reads (every .torrent)
# stayed there for good, 3.4 MiB of an idle engine's 82 with 100 torrents; pages not cached come
# from the kernel's cache, and a library sync of 100,000 episodes took the same CPU (measured)
CACHE_KIB = 256


class DatabaseError(Exception):
    """A statement the database refused."""


class IntegrityError(DatabaseError):
    """A unique key, foreign key or NOT NULL constraint the statement would break."""


class StorageFull(DatabaseError):
    """The disk holding the database is full."""


class Transaction:
    """One transaction on one connection: committed when its block ends, rolled back on error."""

    dialect: str

    async def execute(self, sql: str, params: Params | None = None) -> int:
        """Run a statement; return the count of rows it changed."""
        raise NotImplementedError

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run a statement once per set of parameters."""
        raise NotImplementedError

    async def fetch_all(self, sql: str, params: Params | None = None) -> list[Row]:
        """Return every row a query gives."""
        raise NotImplementedError

    async def fetch_one(self, sql: str, params: Params | None = None) -> Row | None:
        """Return a query's first row (None: none)."""
        rows = await self.fetch_all(sql, params)
        return rows[0] if rows else None

    async def fetch_value(self, sql: str, params: Params | None = None) -> Any:  # noqa: ANN401 - a column's value
        """Return the first column of a query's first row (None: no row)."""
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]

    async def insert_many(self, sql: str, flat: list[Any], width: int) -> None:
        """Run a one-row INSERT (positional values) for each `width` values of flat, quickly."""
        raise NotImplementedError


class Pool:
    """The connections of one database, handed out a transaction at a time."""

    dialect: str

    def transaction(self, *, durable: bool = False) -> Any:  # noqa: ANN401 - an async context manager of Transaction
        """Open a transaction; durable: its commit is on the disk when the block ends."""
        raise NotImplementedError

    async def close(self) -> None:
        """Close every connection."""
        raise NotImplementedError


def all_busy(connections: int) -> DatabaseError:
    """Say that a transaction found no connection free for POOL_TIMEOUT."""
    msg = f"all {connections} database connections stayed busy for {POOL_TIMEOUT:.0f} s"
    return DatabaseError(msg)


def expand_lists(sql: str, params: Params | None, *, arrays: bool) -> tuple[str, dict[str, Any]]:
    """Rewrite `IN :name` for a list: an ANY/ALL of an array, or one parameter per value."""
    given = dict(params or {})
    lists: dict[str, list[Any]] = {}  # a list may be named more than once

    def rewrite(match: re.Match[str]) -> str:
        negated, name = match.group(1), match.group(2)
        values = lists.setdefault(name, list(given[name]))
        if arrays:
            given[name] = values
            return f"<> ALL(:{name})" if negated else f"= ANY(:{name})"
        keyword = "NOT IN" if negated else "IN"
        if not values:  # an empty list: nothing is in it, everything is not
            return f"{keyword} (SELECT NULL WHERE 0)"
        names = [f"{name}__{index}" for index in range(len(values))]
        given.update(zip(names, values, strict=True))
        return f"{keyword} ({', '.join(':' + each for each in names)})"

    text = _IN_LIST.sub(rewrite, sql)
    if not arrays:  # each value went in a parameter of its own
        for name in lists:
            del given[name]
    return text, given


# --- SQLite -----------------------------------------------------------------------------------


def _sqlite_value(value: object) -> object:
    """Convert a value as SQLite stores it: timestamps as text in UTC, JSON values as JSON text."""
    if isinstance(value, datetime):
        return sqlite_text(value)
    if isinstance(value, dict | list):
        return json.dumps(value)
    return value


def _read_stamp(raw: bytes) -> datetime:
    return datetime.fromisoformat(raw.decode()).replace(tzinfo=UTC)


# read by the declared type of a column (what the migrations created): DATETIME, BOOLEAN, JSON
sqlite3.register_converter("DATETIME", _read_stamp)
sqlite3.register_converter("BOOLEAN", lambda raw: raw != b"0")
sqlite3.register_converter("JSON", json.loads)


def _sqlite_error(err: sqlite3.Error) -> DatabaseError:
    if getattr(err, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return StorageFull(str(err))
    if isinstance(err, sqlite3.IntegrityError):
        return IntegrityError(str(err))
    return DatabaseError(str(err))


class SqliteTransaction(Transaction):
    """A transaction on one aiosqlite connection (BEGIN before the first write, as sqlite3 does)."""

    dialect = "sqlite"

    def __init__(self, connection: aiosqlite.Connection) -> None:
        """Run statements on connection."""
        self.connection = connection

    async def execute(self, sql: str, params: Params | None = None) -> int:
        """Run a statement; return the count of rows it changed."""
        text, values = self._prepare(sql, params)
        try:
            cursor = await self.connection.execute(text, values)
        except sqlite3.Error as err:
            raise _sqlite_error(err) from err
        changed = cursor.rowcount
        await cursor.close()
        return changed

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run a statement once per set of parameters."""
        prepared = [{key: _sqlite_value(value) for key, value in row.items()} for row in rows]
        try:
            await self.connection.executemany(sql, prepared)
        except sqlite3.Error as err:
            raise _sqlite_error(err) from err

    async def fetch_all(self, sql: str, params: Params | None = None) -> list[Row]:
        """Return every row a query gives."""
        text, values = self._prepare(sql, params)
        try:
            return list(await self.connection.execute_fetchall(text, values))
        except sqlite3.Error as err:
            raise _sqlite_error(err) from err

    async def insert_many(self, sql: str, flat: list[Any], width: int) -> None:
        """Insert rows with multi-row VALUES: sqlite3 takes the GIL back once per statement."""
        head, _, one_row = sql.partition(" VALUES ")
        upsert = ""
        if " ON CONFLICT " in one_row:
            one_row, _, upsert = one_row.partition(" ON CONFLICT ")
            upsert = " ON CONFLICT " + upsert
        most = min(ROWS_PER_STATEMENT, SQLITE_MAX_VARIABLES // width)
        start = 0
        try:
            for rows in statement_sizes(len(flat) // width, most):
                end = start + rows * width
                statement = _many_rows(head, one_row, upsert, rows)
                await self.connection.execute(statement, flat[start:end])
                start = end
        except sqlite3.Error as err:
            raise _sqlite_error(err) from err

    @staticmethod
    def _prepare(sql: str, params: Params | None) -> tuple[str, dict[str, Any]]:
        text, values = expand_lists(sql, params, arrays=False)
        return text, {key: _sqlite_value(value) for key, value in values.items()}


SQLITE_MAX_VARIABLES = 32766  # SQLite's default limit since 3.32
ROWS_PER_STATEMENT = 512  # as fast as the most SQLite allows (measured), a quarter the memory
_MANY_ROWS: dict[tuple[str, str, str, int], str] = {}


def _many_rows(head: str, one_row: str, upsert: str, rows: int) -> str:
    """Return the statement inserting this many rows, the same text object each time.

    Building it once saves a join, and sqlite3 finds its prepared statement by the text: a
    text it has seen before has its hash already (one statement is up to 100 KB).
    """
    key = (head, one_row, upsert, rows)
    if key not in _MANY_ROWS:
        _MANY_ROWS[key] = f"{head} VALUES {', '.join([one_row] * rows)}{upsert}"
    return _MANY_ROWS[key]


def statement_sizes(rows: int, most: int) -> Iterable[int]:
    """Split rows into statements of few distinct sizes: as many as fit, then powers of two.

    sqlite3 keeps each prepared statement by its text, and a multi-row VALUES is big (1.5 MB for
    1,000 rows, measured): a statement for every length of a batch's tail would pile them up.
    """
    full, tail = divmod(rows, most)
    sizes = [most] * full
    while tail:
        size = 1 << (tail.bit_length() - 1)
        sizes.append(size)
        tail -= size
    return sizes


async def _pragma(connection: aiosqlite.Connection, pragma: str) -> bool:
    """Run a pragma; return whether it went through."""
    try:
        await connection.execute(pragma)
    except sqlite3.Error:
        return False
    return True


async def _rolled_back(connection: aiosqlite.Connection) -> bool:
    """Roll back; return whether that worked (else the connection is in an unknown state)."""
    try:
        await connection.rollback()
    except (sqlite3.Error, ValueError):
        return False
    return True


class SqlitePool(Pool):
    """SQLITE_POOL connections to one SQLite file kept open (SQLITE_OVERFLOW more while busy).

    Last in, first out: a writer committing batch after batch gets the connection it just
    returned (its warm page cache and prepared statements) instead of alternating between two.
    """

    dialect = "sqlite"

    def __init__(self, path: Path) -> None:
        """Connect to the file at path when a transaction first needs it."""
        self.path = path
        self._idle: list[aiosqlite.Connection] = []
        self._slots = asyncio.Semaphore(SQLITE_POOL + SQLITE_OVERFLOW)
        self._open: set[aiosqlite.Connection] = set()

    async def _connect(self) -> aiosqlite.Connection:
        try:
            connection = await aiosqlite.connect(self.path, detect_types=sqlite3.PARSE_DECLTYPES)
        except sqlite3.Error as err:
            raise _sqlite_error(err) from err
        try:
            # WAL for concurrent readers and crash safety; foreign keys for cascades
            for pragma in (
                "PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON",
                "PRAGMA busy_timeout=5000", f"PRAGMA cache_size=-{CACHE_KIB}",
            ):  # fmt: skip
                await connection.execute(pragma)
        except sqlite3.Error as err:
            with contextlib.suppress(sqlite3.Error, ValueError):
                await connection.close()
            raise _sqlite_error(err) from err
        self._open.add(connection)
        return connection

    @asynccontextmanager
    async def _slot(self) -> AsyncIterator[None]:
        """Wait for a free connection slot (POOL_TIMEOUT at most: a clear error, not a hang)."""
        try:
            async with asyncio.timeout(POOL_TIMEOUT):
                await self._slots.acquire()
        except TimeoutError:
            raise all_busy(SQLITE_POOL + SQLITE_OVERFLOW) from None
        try:
            yield
        finally:
            self._slots.release()

    @asynccontextmanager
    async def transaction(self, *, durable: bool = False) -> AsyncIterator[Transaction]:
        """Open a transaction; durable: this commit is fsynced (synchronous=FULL while it runs)."""
        async with self._slot():
            connection = self._idle.pop() if self._idle else await self._connect()
            keep = False
            try:
                if durable:
                    await connection.execute("PRAGMA synchronous=FULL")
                try:
                    yield SqliteTransaction(connection)
                except BaseException as err:
                    if isinstance(err, asyncio.CancelledError):  # a statement may still be running
                        await connection.interrupt()
                    keep = await _rolled_back(connection)
                    raise
                try:
                    await connection.commit()
                except sqlite3.Error as err:
                    keep = await _rolled_back(connection)
                    raise _sqlite_error(err) from err
                keep = True
            finally:
                if keep and durable:
                    keep = await _pragma(connection, "PRAGMA synchronous=NORMAL")
                if keep and len(self._idle) < SQLITE_POOL:
                    self._idle.append(connection)
                else:  # one beyond the pool, or one a failure left in an unknown state
                    await self._discard(connection)

    async def _discard(self, connection: aiosqlite.Connection) -> None:
        """Close a connection and forget it."""
        self._open.discard(connection)
        with contextlib.suppress(sqlite3.Error, ValueError):
            await connection.close()

    async def close(self) -> None:
        """Close every connection."""
        for connection in list(self._open):
            await self._discard(connection)
        self._idle.clear()
