"""The same database behaviour on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import sqlite3
import subprocess
import sys
import typing
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from types import UnionType
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

import haul_engine
from haul_engine.db import jobs
from haul_engine.db.database import Database, alembic_config, head_revision
from haul_engine.db.jobs import JOBS, Job
from haul_engine.db.models import ENGINE_META, EngineMeta
from haul_engine.db.tables import Table
from haul_engine.db.values import sqlite_text, sqlite_texts
from haul_engine.errors import DiskFull
from tests.support.disk import fill
from tests.support.postgres import PG_USER

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from sqlalchemy.engine import Connection

    from tests.support.engine import EngineProcess
    from tests.support.postgres import PostgresServer


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


SET_UP = """
import asyncio, sys
import haul_engine
from haul_engine.db import jobs
from haul_engine.db.database import Database
database = Database(sys.argv[1])


async def start():
    await database.setup()
    await database.close()


asyncio.run(start())
print(database.revision, *(name in sys.modules for name in ("sqlalchemy", "alembic", "mako")))
"""


def test_a_current_database_starts_without_loading_sqlalchemy_or_alembic(
    database_url: str,
) -> None:
    def start() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", SET_UP, database_url],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout.split()

    assert start() == [head_revision(), "True", "True", "True"]  # a new database is migrated
    assert start() == [head_revision(), "False", "False", "False"]


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'haul.db'}")
    await database.setup()
    await database.meta_value("probe", lambda: "1")
    with sqlite3.connect(tmp_path / "haul.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    await database.close()


FULL, NORMAL = 2, 1  # PRAGMA synchronous


async def test_a_durable_session_syncs_its_commit_and_only_its_own(database: Database) -> None:
    sqlite = database.dialect == "sqlite"
    async with database.durable_session() as tx:
        if sqlite:  # FULL: the commit is fsynced
            assert await tx.fetch_value("PRAGMA synchronous") == FULL
        await ENGINE_META.insert(tx, EngineMeta(key="plan", value="kept"))

    async def cut_off() -> None:
        async with database.durable_session() as tx:
            await ENGINE_META.insert(tx, EngineMeta(key="half", value="lost"))
            message = "cut off"
            raise RuntimeError(message)

    with pytest.raises(RuntimeError, match="cut off"):
        await cut_off()
    async with database.session() as tx:
        assert await ENGINE_META.get(tx, "plan") is not None
        assert await ENGINE_META.get(tx, "half") is None  # rolled back
        if sqlite:  # the pooled connection is back to NORMAL for everything else
            assert await tx.fetch_value("PRAGMA synchronous") == NORMAL
    await database.close()


async def test_a_durable_session_leaves_no_pooled_connection_syncing_every_commit(
    tmp_path: Path,
) -> None:
    """Sessions open beside the durable one, before and after it: every connection is NORMAL."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'haul.db'}")
    await database.setup()
    go = asyncio.Event()
    levels: list[int] = []

    async def other_session(number: int) -> None:
        async with database.session() as tx:
            levels.append(await tx.fetch_value("PRAGMA synchronous"))
            await go.wait()
            await ENGINE_META.insert(tx, EngineMeta(key=f"other {number}", value=""))

    others = [asyncio.create_task(other_session(number)) for number in range(3)]
    await asyncio.sleep(0.1)
    async with database.durable_session() as tx:
        await ENGINE_META.insert(tx, EngineMeta(key="plan", value="kept"))
        go.set()
    await asyncio.gather(*others)
    async with (  # the whole pool at once: each connection the sessions above gave back
        database.session() as first, database.session() as second, database.session() as third,
        database.session() as fourth, database.session() as fifth,
    ):  # fmt: skip
        pooled = (first, second, third, fourth, fifth)
        levels += [await each.fetch_value("PRAGMA synchronous") for each in pooled]
        assert await ENGINE_META.get(first, "plan") is not None
    assert levels == [NORMAL] * 8
    await database.close()


async def test_a_durable_session_on_postgresql_waits_for_its_commit_even_when_tuned_not_to(
    postgres_database: str,
) -> None:
    """synchronous_commit=off (set for an SD card) would return before the commit is on disk."""
    tuning = Database(postgres_database)
    await tuning.setup()
    async with tuning.session() as tx:
        name = await tx.fetch_value("SELECT current_database()")
        await tx.execute(f'ALTER DATABASE "{name}" SET synchronous_commit = off')
    await tuning.close()
    database = Database(postgres_database)
    await database.setup()
    level = "SHOW synchronous_commit"
    async with database.durable_session() as tx:
        assert await tx.fetch_value(level) == "on"
        await ENGINE_META.insert(tx, EngineMeta(key="plan", value="kept"))
    async with database.session() as tx:
        assert await ENGINE_META.get(tx, "plan") is not None
        assert await tx.fetch_value(level) == "off"  # the others as tuned
    await database.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def on_small_disk(request: pytest.FixtureRequest, small_disk: Path) -> Iterator[tuple[str, Path]]:
    """A database whose files live on a small disk (PostgreSQL: in a tablespace there)."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{small_disk / 'haul.db'}", small_disk
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    shutil.chown(small_disk, PG_USER, PG_USER)
    server.create_tablespace(small_disk.name, small_disk)
    url = server.create_database(tablespace=small_disk.name)
    yield url, small_disk
    server.drop_tablespace(small_disk.name, url)  # before the disk goes: the server stays usable


async def write_40_mb(database: Database) -> None:
    for number in range(10_000):  # random text: PostgreSQL would compress repeated characters
        async with database.session() as tx:
            await ENGINE_META.insert(tx, EngineMeta(f"filler {number}", os.urandom(2000).hex()))


async def test_a_full_disk_is_a_clear_error_that_loses_nothing(
    on_small_disk: tuple[str, Path],
) -> None:
    url, disk = on_small_disk
    database = Database(url)
    await database.setup()
    try:
        await database.meta_value("kept", lambda: "before")
        filler = fill(disk)
        with pytest.raises(DiskFull, match=r"could not be written: the disk holding .+ is full"):
            await write_40_mb(database)  # more than the disk had room for
        filler.unlink()
        assert await database.meta_value("kept", lambda: "lost") == "before"
        assert await database.meta_value("after", lambda: "written") == "written"
    finally:
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


def declared_tables() -> dict[str, Table[Any]]:
    """Every Table: each capability's models.py has its own, the job queue its one."""
    package = Path(haul_engine.__file__).parent
    modules = [
        importlib.import_module(".".join(("haul_engine", *path.relative_to(package).parts))[:-3])
        for path in package.rglob("models.py")
    ]
    return {
        value.name: value
        for module in [*modules, jobs]
        for value in vars(module).values()
        if isinstance(value, Table)
    }


SQLITE_COLUMNS = (
    "SELECT m.name, c.name, c.type FROM sqlite_master AS m, pragma_table_info(m.name) AS c"
    " WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite%' AND m.name <> 'alembic_version'"
)
POSTGRESQL_COLUMNS = (
    "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns AS c"
    " JOIN information_schema.tables AS t USING (table_schema, table_name)"
    " WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'"
    " AND c.table_name <> 'alembic_version'"
)
STORED_AS = {  # the column types each kind of field needs (SQLite's declared, PostgreSQL's)
    "time": {"DATETIME", "timestamp with time zone"},
    "flag": {"BOOLEAN", "boolean"},
    "json": {"JSON", "json"},
}


async def test_every_table_s_records_have_the_migrated_columns(database: Database) -> None:
    """No SQLAlchemy models any more: each Table's fields are its migrated table's columns."""
    tables = declared_tables()
    assert len(tables) >= 17  # the engine's tables when the layer came
    migrated: dict[str, dict[str, str]] = {}
    async with database.session() as tx:
        query = SQLITE_COLUMNS if tx.dialect == "sqlite" else POSTGRESQL_COLUMNS
        for table, column, kind in await tx.fetch_all(query):
            migrated.setdefault(table, {})[column] = kind
    assert sorted(migrated) == sorted(tables)
    for name, table in tables.items():
        assert sorted(table.columns) == sorted(migrated[name]), name
        for column, kind in table.kinds.items():
            stored = migrated[name][column]
            if kind == "plain":
                assert all(stored not in types for types in STORED_AS.values()), (name, column)
            else:
                assert stored in STORED_AS[kind], (name, column)


PARENTS_FIRST = [  # what the others' foreign keys point at
    "connectors", "torrents", "library_series", "library_artists", "library_items",
    "library_search_history", "media_requests",
]  # fmt: skip
EASTERN = timezone(-timedelta(hours=5))
ELSEWHERE_WITH_FRACTION = datetime(2021, 3, 15, 7, 5, 57, 105542, tzinfo=EASTERN)


def sample_value(column: str, hint: object) -> object:
    """A value of a field's type that shows a conversion gone wrong (a fraction, a zone, a None)."""
    if column in {"id", "connector_id", "arr_connector_id"} and hint in {str, str | None}:
        return "c1"  # the connector (or quality profile) every row hangs off
    if column == "info_hash":
        return "a" * 40
    options = set(typing.get_args(hint)) - {type(None)} if isinstance(hint, UnionType) else {hint}
    kind = {typing.get_origin(option) or option for option in options}.pop()
    values: dict[object, object] = {
        int: 1, float: 1.5, str: "ü", bytes: b"\x00\xff", bool: hint is bool,  # False if optional
        datetime: ELSEWHERE_WITH_FRACTION, dict: {"a": ["ü", 1, None]}, list: [1, "ü"],
    }  # fmt: skip
    return values[kind]


async def test_every_table_gives_back_the_record_written(database: Database) -> None:
    tables = sorted(
        declared_tables().values(),
        key=lambda table: PARENTS_FIRST.index(table.name) if table.name in PARENTS_FIRST else 99,
    )
    async with database.session() as tx:
        for table in tables:
            hints = typing.get_type_hints(table.record)
            values = {name: sample_value(name, hints[name]) for name in table.columns}
            record = table.record(**values)
            await table.insert(tx, record)
            stored = await table.get(tx, *(getattr(record, column) for column in table.key))
            assert stored == record, table.name
            for column, kind in table.kinds.items():
                if kind == "time":
                    assert getattr(stored, column).utcoffset() == timedelta(0), (table.name, column)


def sqlalchemy_engine(url: str) -> AsyncEngine:
    """SQLAlchemy on the database, as migrations run (SQLite: foreign keys on)."""
    engine = create_async_engine(url)
    if url.startswith("sqlite"):

        @sa.event.listens_for(engine.sync_engine, "connect")
        def foreign_keys(connection: Any, _record: Any) -> None:  # noqa: ANN401 - DB-API objects
            connection.execute("PRAGMA foreign_keys=ON")

        assert foreign_keys is not None
    return engine


def _migrate(connection: Connection, revision: str, *, downgrade: bool = False) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    (command.downgrade if downgrade else command.upgrade)(config, revision)


OLD_TORRENTS = sa.table(
    "torrents",
    *(sa.column(name) for name in ("info_hash", "name", "magnet", "torrent", "category")),
    *(sa.column(name) for name in ("tags", "save_path", "content_layout")),
    sa.column("added_on", sa.DateTime(timezone=True)),
    *(sa.column(name) for name in ("stopped", "sequential", "first_last_piece")),
    *(sa.column(name) for name in ("ratio_limit", "seeding_time_limit")),
    *(sa.column(name) for name in ("inactive_seeding_time_limit", "download_limit")),
    sa.column("upload_limit"),
)


async def test_torrent_metadata_moves_to_a_table_of_its_own(database_url: str) -> None:
    """0013: the .torrent bytes leave the torrents table (loaded with every torrent) unchanged."""
    rows = [
        {"info_hash": "a" * 40, "torrent": b"d4:infod4:name3:abcee"},
        {"info_hash": "b" * 40, "torrent": None},  # a magnet still without metadata
    ]
    common = {
        "name": "x", "magnet": "", "category": "", "tags": sa.literal("[]", sa.JSON),
        "save_path": "/downloads", "content_layout": "Original", "added_on": WHOLE,
        "stopped": False, "sequential": False, "first_last_piece": False, "ratio_limit": -2,
        "seeding_time_limit": -2, "inactive_seeding_time_limit": -2, "download_limit": 0,
        "upload_limit": 0,
    }  # fmt: skip
    engine = sqlalchemy_engine(database_url)  # as the engine migrates (SQLite: foreign keys on)
    async with engine.begin() as connection:
        await connection.run_sync(_migrate, "0012")
        for row in rows:
            await connection.execute(OLD_TORRENTS.insert().values(**common, **row))
        await connection.run_sync(_migrate, "0013")
        moved = await connection.execute(sa.text("SELECT info_hash, data FROM torrent_metadata"))
        assert [tuple(row) for row in moved] == [("a" * 40, b"d4:infod4:name3:abcee")]
        columns = await connection.run_sync(
            lambda sync: [column["name"] for column in sa.inspect(sync).get_columns("torrents")]
        )
        assert "torrent" not in columns
    await engine.dispose()


async def test_stored_library_items_stay_listed(database_url: str) -> None:
    """0014, as the engine runs it: stored items count as listed until their next sync.

    Their searches stay too (SQLite: a table rebuilt for the column dropped them by cascade).
    """
    engine = sqlalchemy_engine(database_url)
    async with engine.begin() as connection:
        await connection.run_sync(_migrate, "0013")
        await connection.execute(sa.text(
            "INSERT INTO connectors (id, kind, name, url, api_key, settings, secrets, enabled,"
            " verify_tls, health, created_at, updated_at) VALUES ('c1', 'radarr', 'Movies',"
            " 'http://r', '', '{}', '{}', true, true, 'unknown', '2021-03-15 12:05:57.000000',"
            " '2021-03-15 12:05:57.000000')"
        ))  # fmt: skip
        await connection.execute(sa.text(
            "INSERT INTO library_items (id, connector_id, kind, arr_id, title, monitored,"
            " has_file, cutoff_not_met, available) VALUES (1, 'c1', 'movie', 7, 'Dune', true,"
            " false, false, false)"
        ))  # fmt: skip
        await connection.execute(sa.text(
            "INSERT INTO library_searches (item_id, connector_id, reason, state, attempts,"
            " boost) VALUES (1, 'c1', 'missing', 'exhausted', 3, 10)"
        ))  # fmt: skip
    database = Database(database_url)
    await database.setup()  # migrates to the head as every start does (SQLite: foreign keys on)
    async with database.session() as tx:
        items = await tx.fetch_all("SELECT arr_id, listed FROM library_items")
        assert [tuple(row) for row in items] == [(7, True)]
        searches = await tx.fetch_all(
            "SELECT item_id, state, attempts, boost FROM library_searches"
        )
        assert [tuple(row) for row in searches] == [(1, "exhausted", 3, 10)]
    await database.close()
    async with engine.begin() as connection:
        await connection.run_sync(_migrate, "0013", downgrade=True)
    async with engine.connect() as connection:  # downgraded, nothing lost either
        searches = await connection.execute(sa.text("SELECT item_id FROM library_searches"))
        assert searches.scalars().all() == [1]
        items = await connection.execute(sa.text("SELECT count(*) FROM library_items"))
        assert items.scalar() == 1
    await engine.dispose()


def test_released_migrations_keep_their_ids() -> None:
    """A database stamped by an earlier release names its revision by id: ids never move."""
    script = ScriptDirectory.from_config(alembic_config())
    released = {"0008": "each connector", "0009": "job table"}  # stamped by 0.1.0 builds
    for revision, word in released.items():
        assert word in (script.get_revision(revision).doc or "").lower(), revision


def test_migrations_form_one_line() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    assert head_revision() == script.get_current_head()  # as read without Alembic
    revisions = [revision.revision for revision in script.walk_revisions()]
    assert revisions == sorted(revisions, reverse=True)


MOMENTS = [
    datetime(2021, 3, 15, 12, 5, 57, 105542, tzinfo=UTC),
    datetime(2021, 3, 15, 12, 5, 57, tzinfo=UTC),
    datetime(2021, 3, 15, 14, 5, 57, 1, tzinfo=timezone(timedelta(hours=2))),
    datetime(999, 1, 2, tzinfo=UTC),
]


@pytest.mark.parametrize("moment", MOMENTS)
def test_timestamps_keep_sqlalchemy_sqlite_text(moment: datetime) -> None:
    # rows SQLAlchemy wrote and SQL comparisons with a timestamp parameter rely on this exact text
    theirs = sqlite.DATETIME().bind_processor(sqlite.dialect())
    assert theirs is not None
    assert sqlite_text(moment) == theirs(moment.astimezone(UTC).replace(tzinfo=None))


OLD_JOBS = sa.table(  # as SQLAlchemy's models wrote them (a UtcDateTime was given UTC)
    "jobs", sa.column("queue"), sa.column("kind"), sa.column("key"), sa.column("attempts"),
    sa.column("revision"), sa.column("payload", sa.JSON),
    sa.column("run_at", sa.DateTime(timezone=True)),
)  # fmt: skip
OLD_CATEGORIES = sa.table(
    "torrent_categories", sa.column("name"), sa.column("save_path"), sa.column("download_path"),
    sa.column("download_path_enabled", sa.Boolean),
)  # fmt: skip
PAYLOAD = {"plan": [1, "ü", None], "done": False}


async def test_rows_sqlalchemy_wrote_read_the_same_and_the_other_way_round(
    database: Database,
) -> None:
    """Existing databases keep working: timestamps, JSON, flags from SQLAlchemy and back to it."""
    engine = create_async_engine(database.url)
    async with engine.begin() as connection:
        for number, moment in enumerate(MOMENTS):
            await connection.execute(OLD_JOBS.insert().values(
                queue="old", kind="k", key=str(number), attempts=0, revision=0, payload=PAYLOAD,
                run_at=moment.astimezone(UTC),
            ))  # fmt: skip
        for name, enabled in [("none", None), ("off", False), ("on", True)]:
            await connection.execute(OLD_CATEGORIES.insert().values(
                name=name, save_path="", download_path="", download_path_enabled=enabled
            ))  # fmt: skip
    async with database.session() as tx:
        old = await JOBS.all(tx, "WHERE queue = 'old' ORDER BY key")
        assert [(job.run_at, job.payload) for job in old] == [(at, PAYLOAD) for at in MOMENTS]
        assert {job.run_at.tzinfo for job in old} == {UTC}
        before = await tx.fetch_all(
            "SELECT key FROM jobs WHERE run_at < :moment ORDER BY key", {"moment": MOMENTS[0]}
        )
        assert [key for (key,) in before] == ["1", "2", "3"]  # compared as the database holds them
        flags = await tx.fetch_all(
            "SELECT name, download_path_enabled FROM torrent_categories ORDER BY name"
        )
        assert [tuple(row) for row in flags] == [("none", None), ("off", False), ("on", True)]
        for number, moment in enumerate(MOMENTS):
            await JOBS.insert(tx, Job("new", "k", str(number), PAYLOAD, moment))
    async with engine.connect() as connection:
        read = await connection.execute(
            sa.select(OLD_JOBS.c.queue, OLD_JOBS.c.run_at, OLD_JOBS.c.payload).order_by(
                OLD_JOBS.c.key, OLD_JOBS.c.queue
            )
        )
        rows = [tuple(row) for row in read]
    await engine.dispose()
    expected = [
        (queue, _as_sqlalchemy_reads(moment, database.dialect), PAYLOAD)
        for moment in MOMENTS
        for queue in ("new", "old")
    ]
    assert rows == expected
    if database.sqlite_path is not None:  # the very same text
        with sqlite3.connect(database.sqlite_path) as raw:
            texts = raw.execute("SELECT queue, run_at FROM jobs ORDER BY key, queue").fetchall()
        assert [text for _, text in texts[::2]] == [text for _, text in texts[1::2]]


def _as_sqlalchemy_reads(moment: datetime, dialect: str) -> datetime:
    """SQLAlchemy's DateTime gives naive UTC on SQLite, the aware time elsewhere."""
    return moment.astimezone(UTC).replace(tzinfo=None) if dialect == "sqlite" else moment


async def test_a_timestamp_without_a_fraction_reads_back(tmp_path: Path) -> None:
    """What SQLite's CURRENT_TIMESTAMP writes, and hand-written rows (tests, fixes) hold."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'haul.db'}")
    await database.setup()
    async with database.session() as tx:
        await tx.execute(
            "INSERT INTO jobs (queue, kind, key, payload, run_at, attempts, revision)"
            " VALUES ('q', 'k', 'k', '{}', '2021-03-15 12:05:57', 0, 0)"
        )
        job = await JOBS.first(tx)
    assert job is not None
    assert job.run_at == datetime(2021, 3, 15, 12, 5, 57, tzinfo=UTC)
    await database.close()


WHOLE = datetime(2021, 3, 15, 12, 5, 57, tzinfo=UTC)
FRACTION = datetime(2021, 3, 15, 12, 5, 57, 105542, tzinfo=UTC)
ELSEWHERE = datetime(2021, 3, 15, 7, 5, 57, tzinfo=timezone(timedelta(hours=-5)))


@pytest.mark.parametrize(
    "column",
    [
        [WHOLE, None, datetime(999, 1, 2, tzinfo=UTC), WHOLE + timedelta(days=400)],
        [FRACTION, None, FRACTION + timedelta(microseconds=1)],
        [WHOLE, FRACTION, None],  # some with a fraction, some without
        [WHOLE, ELSEWHERE, WHOLE.astimezone(timezone(timedelta(0)))],  # other zones
        [WHOLE, WHOLE.astimezone(timezone(timedelta(seconds=30)))],  # JSON would say "Z"
        [None, None],
        [],
    ],
)
def test_a_column_of_timestamps_gets_the_same_text_as_each_alone(
    column: list[datetime | None],
) -> None:
    each = [None if moment is None else sqlite_text(moment) for moment in column]
    assert sqlite_texts(column) == each
    assert sqlite_texts(tuple(column)) == sqlite_texts(column)


async def test_a_naive_timestamp_is_refused(database: Database) -> None:
    naive = datetime(2021, 3, 15)  # noqa: DTZ001 - the mistake under test
    with pytest.raises(ValueError, match="naive"):
        sqlite_text(naive)
    with pytest.raises(ValueError, match="naive"):
        sqlite_texts([WHOLE, naive])
    with pytest.raises(ValueError, match="naive"):
        async with database.session() as tx:
            await JOBS.insert(tx, Job("q", "k", "k", run_at=naive))
    async with database.session() as tx:
        assert await JOBS.all(tx) == []
