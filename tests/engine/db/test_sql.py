"""The SQL layer itself on SQLite and a real PostgreSQL: statements, errors, transactions, pool."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from haul_engine.db import postgres, sql
from haul_engine.db.bulk import BulkInsert
from haul_engine.db.database import Database, unique
from haul_engine.db.jobs import JOBS, Job
from haul_engine.db.models import ENGINE_META, EngineMeta
from haul_engine.db.sql import SQLITE_OVERFLOW, SQLITE_POOL, DatabaseError, IntegrityError
from haul_engine.errors import Conflict
from haul_engine.torrents.models import (
    CATEGORIES,
    TORRENT_METADATA,
    TORRENTS,
    CategoryRecord,
    TorrentMetadata,
    TorrentRecord,
)

if TYPE_CHECKING:
    from haul_engine.db.sql import Transaction

KEYS = ["a", "b", "c", "d"]


async def store_facts(database: Database) -> None:
    """Facts a to d, each holding its key twice."""
    async with database.session() as tx:
        for key in KEYS:
            await ENGINE_META.insert(tx, EngineMeta(key, key * 2))


async def keys(tx: Transaction, where: str, params: dict[str, object]) -> list[str]:
    """The keys of the facts a condition finds, in order."""
    rows = await tx.fetch_all(f"SELECT key FROM engine_meta WHERE {where} ORDER BY key", params)
    return [key for (key,) in rows]


async def test_in_a_list_of_names_and_not_in_it(database: Database) -> None:
    await store_facts(database)
    async with database.session() as tx:
        assert await keys(tx, "key IN :names", {"names": ["b", "d", "z"]}) == ["b", "d"]
        assert await keys(tx, "key IN :names", {"names": ("c",)}) == ["c"]
        assert await keys(tx, "key IN :names", {"names": []}) == []
        assert await keys(tx, "key NOT IN :names", {"names": ["b", "d"]}) == ["a", "c"]
        assert await keys(tx, "key NOT IN :names", {"names": []}) == KEYS
        assert await keys(
            tx, "key not in :names AND value = :value", {"names": ["a"], "value": "cc"}
        ) == ["c"]
        changed = await tx.execute(
            "DELETE FROM engine_meta WHERE key IN :names", {"names": ["a", "b"]}
        )
        assert changed == 2
        assert await keys(tx, "key IN :names", {"names": KEYS}) == ["c", "d"]


async def test_a_parameter_used_twice(database: Database) -> None:
    await store_facts(database)
    async with database.session() as tx:
        assert await keys(tx, "key = :k OR value = :k", {"k": "b"}) == ["b"]
        assert await keys(tx, "key = :k OR value = :v || :k", {"k": "c", "v": "c"}) == ["c"]
        both = "key IN :names AND value NOT IN :values AND key NOT IN :names2"
        assert await keys(tx, both, {"names": ["a", "b"], "values": ["aa"], "names2": []}) == ["b"]
        twice = "(key IN :names OR value IN :names) AND key <> :skip"
        assert await keys(tx, twice, {"names": ["a", "bb", "cc"], "skip": "c"}) == ["a", "b"]
        assert await keys(tx, "key IN :names OR key IN :names", {"names": []}) == []


async def test_casts_with_two_colons_are_left_alone_on_postgresql(postgres_database: str) -> None:
    database = Database(postgres_database)
    await database.setup()
    await store_facts(database)
    async with database.session() as tx:
        assert await tx.fetch_value("SELECT :word::text || '!'", {"word": "hi"}) == "hi!"
        assert await tx.fetch_value("SELECT '{\"a\": 1}'::json") == {"a": 1}
        assert await tx.fetch_value("SELECT '12:30'::time::text") == "12:30:00"
        value = await tx.fetch_value(
            "SELECT value::varchar(1) FROM engine_meta WHERE key::text = :key", {"key": "b"}
        )
        assert value == "b"
    await database.close()


async def test_integrity_errors_are_named_and_unique_makes_a_conflict(database: Database) -> None:
    await store_facts(database)
    with pytest.raises(IntegrityError):  # a unique key
        async with database.session() as tx:
            await ENGINE_META.insert(tx, EngineMeta("a", "again"))
    with pytest.raises(IntegrityError):  # a foreign key
        async with database.session() as tx:
            await tx.execute(
                "INSERT INTO torrent_metadata (info_hash, data) VALUES (:hash, :data)",
                {"hash": "f" * 40, "data": b"d4:infod2:xx0:ee"},
            )
    with pytest.raises(IntegrityError):  # NOT NULL
        async with database.session() as tx:
            await tx.execute("INSERT INTO engine_meta (key) VALUES ('lonely')")

    async def add_a_again() -> None:
        async with database.session() as tx:
            await ENGINE_META.insert(tx, EngineMeta("e", "ee"))
            with unique("fact a exists"):
                await ENGINE_META.insert(tx, EngineMeta("a", "again"))

    with pytest.raises(Conflict, match="fact a exists"):
        await add_a_again()
    with pytest.raises(DatabaseError) as refused:
        async with database.session() as tx:
            await tx.execute("SELECT no_such_column FROM engine_meta")
    assert not isinstance(refused.value, IntegrityError)
    async with database.session() as tx:
        assert await ENGINE_META.get(tx, "a") == EngineMeta("a", "aa")
        assert await ENGINE_META.get(tx, "e") is None  # rolled back with the clash
        assert await TORRENT_METADATA.all(tx) == []


async def test_a_failing_statement_rolls_back_and_the_connection_stays_healthy(
    database: Database,
) -> None:
    async def write_then_fail(attempt: int) -> None:
        async with database.session() as tx:
            await ENGINE_META.insert(tx, EngineMeta(f"lost {attempt}", "x"))
            await tx.execute("INSERT INTO no_such_table VALUES (1)")

    for attempt in range(8):  # more than the pool holds: each connection fails once at least
        with pytest.raises(DatabaseError):
            await write_then_fail(attempt)
        async with database.session() as tx:
            await ENGINE_META.insert(tx, EngineMeta(f"kept {attempt}", "x"))
    async with database.session() as tx:
        stored = await keys(tx, "key <> :none", {"none": ""})
    assert stored == [f"kept {attempt}" for attempt in range(8)]


COUNT_FOR_A_MINUTE = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300000000)"
    " SELECT count(*) FROM n"
)


async def test_a_task_cancelled_in_a_transaction_leaves_none_open(database: Database) -> None:
    """Cancelled (a shutdown, a client gone) waiting or in a statement, which stops at once."""
    wrote = asyncio.Event()

    async def stuck_writer() -> None:
        async with database.session() as tx:
            await ENGINE_META.insert(tx, EngineMeta("half", "lost"))
            wrote.set()
            await asyncio.Event().wait()

    async def slow_writer() -> None:
        async with database.session() as tx:
            await ENGINE_META.insert(tx, EngineMeta("slow", "lost"))
            wrote.set()
            if tx.dialect == "sqlite":  # on sqlite3's thread, holding the write lock
                await tx.fetch_value(COUNT_FOR_A_MINUTE)
            else:
                await tx.execute("SELECT pg_sleep(60)")

    for writer in (stuck_writer, slow_writer):
        wrote.clear()
        task = asyncio.create_task(writer())
        await asyncio.wait_for(wrote.wait(), 10)
        await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.wait([task], timeout=3)
        assert task.cancelled()
        async with asyncio.timeout(3), database.session() as tx:  # SQLite: not locked (5 s)
            await ENGINE_META.insert(tx, EngineMeta(f"after {writer.__name__}", "kept"))
    async with database.session() as tx:
        assert await keys(tx, "key <> :none", {"none": ""}) == [
            "after slow_writer",
            "after stuck_writer",
        ]
        if tx.dialect == "postgresql":
            open_elsewhere = await tx.fetch_value(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND state LIKE 'idle in transaction%'"
            )
            assert open_elsewhere == 0


async def test_one_writer_and_readers_at_once(database: Database) -> None:
    await store_facts(database)
    writing, committed = asyncio.Event(), asyncio.Event()

    async def writer() -> None:
        async with database.session() as tx:
            await ENGINE_META.insert(tx, EngineMeta("new", "n"))
            await tx.execute(
                "UPDATE engine_meta SET value = :value WHERE key = :key", {"value": "A", "key": "a"}
            )
            writing.set()
            await committed.wait()

    async def reader() -> list[tuple[str, str]]:
        await writing.wait()
        async with database.session() as tx:  # beside the writer's open transaction
            rows = await tx.fetch_all("SELECT key, value FROM engine_meta ORDER BY key")
        return [tuple(row) for row in rows]  # type: ignore[misc]

    write = asyncio.create_task(writer())
    seen = await asyncio.wait_for(asyncio.gather(*(reader() for _ in range(4))), 10)
    assert seen == [[(key, key * 2) for key in KEYS]] * 4  # nothing uncommitted
    committed.set()
    await write
    async with database.session() as tx:
        assert await tx.fetch_value("SELECT value FROM engine_meta WHERE key = 'a'") == "A"
        assert await tx.fetch_value("SELECT count(*) FROM engine_meta") == len(KEYS) + 1


async def test_writers_at_once_wait_for_each_other(database: Database) -> None:
    async def add(number: int) -> None:
        async with database.session() as tx:
            before = await tx.fetch_value("SELECT count(*) FROM engine_meta")
            await ENGINE_META.insert(tx, EngineMeta(f"writer {number:02}", str(before)))
            await asyncio.sleep(0.01)

    await asyncio.wait_for(asyncio.gather(*(add(number) for number in range(12))), 30)
    async with database.session() as tx:
        assert await tx.fetch_value("SELECT count(*) FROM engine_meta") == 12


async def test_sessions_inside_sessions_get_connections_and_a_starved_one_fails_clearly(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fifteen at once (five kept, ten more while busy), as SQLAlchemy's pool had; no hang."""
    release = asyncio.Event()
    entered: list[int] = []
    most = SQLITE_POOL + SQLITE_OVERFLOW

    async def hold(number: int) -> None:
        async with database.session() as outer:
            await outer.fetch_value("SELECT 1")
            async with database.session() as inner:  # as a change reading the connectors
                entered.append(number)
                await inner.fetch_value("SELECT 1")
                await release.wait()

    holders = [asyncio.create_task(hold(number)) for number in range(most // 2)]
    await asyncio.sleep(0.3)
    assert sorted(entered) == list(range(most // 2))  # 14 connections busy
    monkeypatch.setattr(sql, "POOL_TIMEOUT", 0.3)
    monkeypatch.setattr(postgres, "POOL_TIMEOUT", 0.3)
    with pytest.raises(DatabaseError, match="stayed busy"):
        await hold(most // 2)  # its outer session takes the 15th, its inner one starves
    release.set()
    await asyncio.wait_for(asyncio.gather(*holders), 10)
    async with database.session() as tx:
        assert await tx.fetch_value("SELECT 1") == 1
    if isinstance(database._pool, sql.SqlitePool):
        assert len(database._pool._idle) == SQLITE_POOL  # the ten more were closed


MOMENT = datetime(2021, 3, 15, 12, 5, 57, 105542, tzinfo=UTC)


async def test_bulk_inserts_and_upserts(database: Database) -> None:
    count = 1000 + 512 + 7  # three full statements on SQLite and tails of powers of two
    jobs = BulkInsert(
        JOBS, ["key", "payload", "run_at"], database.dialect,
        update_on_conflict=["payload"], conflict_key=["queue", "key"],
        queue="bulk", kind="k", attempts=0, revision=0,
    )  # fmt: skip
    rows = [
        (f"{number:05}", {"n": number}, MOMENT + timedelta(seconds=number))
        for number in range(count)
    ]
    categories = BulkInsert(
        CATEGORIES, ["name", "download_path_enabled"], database.dialect,
        update_on_conflict=["download_path_enabled"], save_path="/downloads", download_path="",
    )  # fmt: skip
    flags = [("none", None), ("off", False), ("on", True)]
    async with database.session() as tx:
        await jobs.write(tx, jobs.encode(rows))
        await categories.write(tx, categories.encode(flags))
    again = [(f"{number:05}", {"again": number}, MOMENT) for number in range(0, count, 100)]
    async with database.session() as tx:
        await jobs.write(tx, jobs.encode(again))
        await jobs.write(tx, jobs.encode([]))
        await categories.write(tx, categories.encode([("none", True), ("on", None)]))
    async with database.session() as tx:
        stored = await JOBS.all(tx, "ORDER BY key")
        assert len(stored) == count
        assert stored[1] == Job(
            "bulk", "k", "00001", {"n": 1}, MOMENT + timedelta(seconds=1), id=stored[1].id
        )
        assert stored[100].payload == {"again": 100}  # the payload taken over, the time kept
        assert stored[100].run_at == MOMENT + timedelta(seconds=100)
        assert await tx.fetch_value("SELECT count(DISTINCT id) FROM jobs") == count
        assert await CATEGORIES.all(tx, "ORDER BY name") == [
            CategoryRecord("none", "/downloads", download_path_enabled=True),
            CategoryRecord("off", "/downloads", download_path_enabled=False),
            CategoryRecord("on", "/downloads", download_path_enabled=None),
        ]  # fmt: skip


async def test_a_bulk_insert_that_clashes_writes_nothing(database: Database) -> None:
    plain = BulkInsert(ENGINE_META, ["key", "value"], database.dialect)
    with pytest.raises(IntegrityError):
        async with database.session() as tx:
            await plain.write(tx, plain.encode([("x", "1"), ("y", "2"), ("x", "3")]))
    async with database.session() as tx:
        assert await ENGINE_META.all(tx) == []


async def test_table_writes(database: Database) -> None:
    async with database.session() as tx:
        first = await JOBS.insert(tx, Job("q", "k", "first", {"plan": [1]}))
        second = await JOBS.insert(tx, Job("q", "k", "second"))
        assert 0 < first.id < second.id  # generated, set on the record
        assert await JOBS.get(tx, second.id) == second
        first.payload, first.attempts = {"plan": [1, 2]}, 3
        first.last_error = "not stored"
        assert await JOBS.update(tx, first, "payload", "attempts") == 1
        assert await JOBS.update(tx, Job("q", "k", "gone", id=999), "attempts") == 0
        stored = await JOBS.get(tx, first.id)
        assert stored is not None
        assert (stored.payload, stored.attempts, stored.last_error) == ({"plan": [1, 2]}, 3, None)
        await ENGINE_META.upsert(tx, EngineMeta("fact", "one"), ["value"])
        await ENGINE_META.upsert(tx, EngineMeta("fact", "two"), ["value"])
        await ENGINE_META.upsert(tx, EngineMeta("fact", "three"), [])  # kept as it is
        assert await ENGINE_META.get(tx, "fact") == EngineMeta("fact", "two")
        assert await JOBS.delete(tx, second.id) == 1
        assert await JOBS.delete(tx, second.id) == 0
        assert [job.key for job in await JOBS.all(tx)] == ["first"]
        assert await JOBS.first(tx, "WHERE key = :key", {"key": "second"}) is None
        assert await tx.fetch_one("SELECT key FROM jobs WHERE key = 'second'") is None
        assert await tx.fetch_value("SELECT key FROM jobs WHERE key = 'second'") is None


async def test_many_rows_of_one_statement(database: Database) -> None:
    facts = [{"key": f"k{number}", "value": str(number)} for number in range(5)]
    async with database.session() as tx:
        await tx.execute_many("INSERT INTO engine_meta (key, value) VALUES (:key, :value)", facts)
        await tx.execute_many("INSERT INTO engine_meta (key, value) VALUES (:key, :value)", [])
        await tx.execute_many(
            "UPDATE engine_meta SET value = :value || value WHERE key = :key",
            [{"key": "k1", "value": "x"}, {"key": "k3", "value": "y"}],
        )
    async with database.session() as tx:
        rows = await tx.fetch_all("SELECT value FROM engine_meta ORDER BY key")
    assert [value for (value,) in rows] == ["0", "x1", "2", "y3", "4"]


async def test_deleting_a_row_deletes_its_children(database: Database) -> None:
    """Cascades are the database's (SQLite: foreign keys on in every pooled connection)."""
    hashes = ["a" * 40, "b" * 40]
    async with database.session() as tx:
        for info_hash in hashes:
            await TORRENTS.insert(tx, TorrentRecord(info_hash, "/downloads", MOMENT))
            await TORRENT_METADATA.insert(tx, TorrentMetadata(info_hash, b"d4:infod2:xx0:ee"))
    async with database.session() as tx:
        joined = await tx.fetch_all(
            f"{TORRENT_METADATA.select} JOIN torrents USING (info_hash) WHERE info_hash = :hash",
            {"hash": hashes[1]},
        )
        assert [TORRENT_METADATA.from_row(row) for row in joined] == [
            TorrentMetadata(hashes[1], b"d4:infod2:xx0:ee")
        ]
        assert await TORRENTS.delete(tx, hashes[0]) == 1
    async with database.session() as tx:
        assert [row.info_hash for row in await TORRENT_METADATA.all(tx)] == hashes[1:]
