"""The same database behaviour on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import create_async_engine

from haul_engine.db.database import Database, alembic_config, head_revision
from haul_engine.db.models import Base, EngineMeta, UtcDateTime, sqlite_texts
from haul_engine.errors import DiskFull
from tests.support.disk import fill
from tests.support.postgres import PG_USER

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from sqlalchemy.engine import Connection

    from tests.support.engine import EngineProcess
    from tests.support.postgres import PostgresServer


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


SET_UP = """
import asyncio, sys
from haul_engine.db.database import Database
database = Database(sys.argv[1])
asyncio.run(database.setup())
asyncio.run(database.close())
print(database.revision, "alembic" in sys.modules, "mako" in sys.modules)
"""


def test_a_current_database_starts_without_loading_alembic(database_url: str) -> None:
    def start() -> list[str]:
        done = subprocess.run(
            [sys.executable, "-c", SET_UP, database_url],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        return done.stdout.split()

    assert start() == [head_revision(), "True", "True"]  # a new database is migrated
    assert start() == [head_revision(), "False", "False"]


async def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'haul.db'}")
    await database.setup()
    await database.meta_value("probe", lambda: "1")
    with sqlite3.connect(tmp_path / "haul.db") as raw:
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    await database.close()


async def test_a_durable_session_syncs_its_commit_and_only_its_own(database_url: str) -> None:
    database = Database(database_url)
    await database.setup()
    sqlite = database.dialect == "sqlite"
    level = sa.text("PRAGMA synchronous")
    async with database.durable_session() as session:
        if sqlite:  # FULL: the commit is fsynced
            assert (await session.execute(level)).scalar() == 2
        session.add(EngineMeta(key="plan", value="kept"))

    async def cut_off() -> None:
        async with database.durable_session() as session:
            session.add(EngineMeta(key="half", value="lost"))
            await session.flush()
            message = "cut off"
            raise RuntimeError(message)

    with pytest.raises(RuntimeError, match="cut off"):
        await cut_off()
    async with database.session() as session:
        assert await session.get(EngineMeta, "plan") is not None
        assert await session.get(EngineMeta, "half") is None  # rolled back
        if sqlite:  # the pooled connection is back to NORMAL for everything else
            assert (await session.execute(level)).scalar() == 1
    await database.close()


async def test_a_durable_session_leaves_no_pooled_connection_syncing_every_commit(
    tmp_path: Path,
) -> None:
    """Another session returning its connection between the commit and the reset (SD-card wear)."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'haul.db'}")
    await database.setup()
    returned, go = asyncio.Event(), asyncio.Event()

    async def other_session() -> None:
        async with database.session() as session:
            await session.execute(sa.text("SELECT 1"))
            await go.wait()
        returned.set()

    other = asyncio.create_task(other_session())
    await asyncio.sleep(0.1)
    async with database.durable_session() as session:
        session.add(EngineMeta(key="plan", value="kept"))
        commit = session.commit

        async def commit_then_the_other_returns() -> None:
            await commit()
            go.set()
            await returned.wait()

        session.commit = commit_then_the_other_returns  # type: ignore[method-assign]
    await other
    level = sa.text("PRAGMA synchronous")
    async with database.session() as first, database.session() as second:
        levels = [(await pooled.execute(level)).scalar() for pooled in (first, second)]
        assert levels == [1, 1]  # NORMAL, both
        assert await first.get(EngineMeta, "plan") is not None
    await database.close()


async def test_a_durable_session_on_postgresql_waits_for_its_commit_even_when_tuned_not_to(
    postgres_database: str,
) -> None:
    """synchronous_commit=off (set for an SD card) would return before the commit is on disk."""
    tuning = Database(postgres_database)
    await tuning.setup()
    async with tuning.session() as session, session.begin():
        name = (await session.execute(sa.text("SELECT current_database()"))).scalar()
        await session.execute(sa.text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    await tuning.close()
    database = Database(postgres_database)
    await database.setup()
    level = sa.text("SHOW synchronous_commit")
    async with database.durable_session() as session:
        assert (await session.execute(level)).scalar() == "on"
        session.add(EngineMeta(key="plan", value="kept"))
    async with database.session() as session:
        assert await session.get(EngineMeta, "plan") is not None
        assert (await session.execute(level)).scalar() == "off"  # the others as tuned
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
        async with database.session() as session, session.begin():
            session.add(EngineMeta(key=f"filler {number}", value=os.urandom(2000).hex()))


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
    engine = create_async_engine(database_url)
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
    engine = create_async_engine(database_url)
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
    await engine.dispose()
    database = Database(database_url)
    await database.setup()  # migrates to the head as every start does (SQLite: foreign keys on)
    async with database.session() as session:
        rows = await session.execute(sa.text("SELECT arr_id, listed FROM library_items"))
        assert [(arr_id, bool(listed)) for arr_id, listed in rows] == [(7, True)]
        searches = await session.execute(
            sa.text("SELECT item_id, state, attempts, boost FROM library_searches")
        )
        assert [tuple(row) for row in searches] == [(1, "exhausted", 3, 10)]
        await (await session.connection()).run_sync(_migrate, "0013", downgrade=True)
        await session.commit()
    async with database.session() as session:  # downgraded, nothing lost either
        searches = await session.execute(sa.text("SELECT item_id FROM library_searches"))
        assert searches.scalars().all() == [1]
        assert (await session.execute(sa.text("SELECT count(*) FROM library_items"))).scalar() == 1
    await database.close()


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


@pytest.mark.parametrize(
    "moment",
    [
        datetime(2021, 3, 15, 12, 5, 57, 105542, tzinfo=UTC),
        datetime(2021, 3, 15, 12, 5, 57, tzinfo=UTC),
        datetime(2021, 3, 15, 14, 5, 57, 1, tzinfo=timezone(timedelta(hours=2))),
        datetime(999, 1, 2, tzinfo=UTC),
    ],
)
def test_timestamps_keep_sqlalchemy_sqlite_text(moment: datetime) -> None:
    # rows written before the fast path and SQL comparisons rely on this exact text
    dialect = sqlite.dialect()
    ours = UtcDateTime().bind_processor(dialect)
    theirs = sqlite.DATETIME().bind_processor(dialect)
    read = UtcDateTime().result_processor(dialect, None)
    assert ours is not None
    assert theirs is not None
    assert read is not None
    text = ours(moment)
    assert text == theirs(moment.astimezone(UTC).replace(tzinfo=None))
    assert read(text) == moment
    assert read(text).tzinfo is UTC
    assert read(text[:19]) == moment.replace(microsecond=0)  # as CURRENT_TIMESTAMP writes it
    assert ours(None) is None
    assert read(None) is None


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
    each = UtcDateTime().bind_processor(sqlite.dialect())
    assert each is not None
    assert sqlite_texts(column) == [each(moment) for moment in column]
    assert sqlite_texts(tuple(column)) == sqlite_texts(column)


def test_a_naive_timestamp_is_refused() -> None:
    process = UtcDateTime().bind_processor(sqlite.dialect())
    assert process is not None
    with pytest.raises(ValueError, match="naive"):
        process(datetime(2021, 3, 15))  # noqa: DTZ001 - the mistake under test
    with pytest.raises(ValueError, match="naive"):
        sqlite_texts([WHOLE, datetime(2021, 3, 15)])  # noqa: DTZ001 - the mistake under test
