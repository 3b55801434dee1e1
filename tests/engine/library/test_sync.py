"""The library mirror against fake *arrs over loopback: full, incremental, deletions, every app."""

from __future__ import annotations

import asyncio
import gc
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from haul_engine.arr.client import ArrAuthError, ArrError
from haul_engine.arr.kinds import ArrSettings
from haul_engine.arr.records import ALBUMS, EPISODES, MOVIES
from haul_engine.db.database import Database
from haul_engine.db.sql import IntegrityError, statement_sizes
from haul_engine.library import registry
from haul_engine.library.dispatch import Dispatcher
from haul_engine.library.models import ITEMS, Item
from haul_engine.library.sweep import Sweeper
from haul_engine.library.sync import (
    COLLECTOR_PAUSE,
    LibrarySync,
    SeriesWants,
    album_row,
    episode_row,
    movie_row,
)
from tests.engine.library.conftest import FakeClock, add_connector, arr_config
from tests.fakes.arr import FakeArr, Library

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def sonarr() -> Iterator[FakeArr]:
    with FakeArr("sonarr", Library.generate(3, series=6, seasons=2, episodes_per_season=5)) as fake:
        yield fake


async def mirror(database: Database, kind: str) -> dict[int, Item]:
    async with database.session() as tx:
        items = await ITEMS.all(tx, "WHERE kind = :kind", {"kind": kind})
        return {item.arr_id: item for item in items}


@pytest.mark.parametrize(
    ("kind", "version", "item_kind", "size"),
    [
        ("sonarr", "3.0.10.1567", "episode", "episodes"),
        ("sonarr", "4.0.14.2939", "episode", "episodes"),
        ("whisparr", "2.0.0.1123", "episode", "episodes"),
        ("radarr", "3.2.2.5080", "movie", "movies"),
        ("radarr", "5.21.1.9799", "movie", "movies"),
        ("whisparr", "3.0.0.800", "movie", "movies"),
        ("lidarr", "2.9.6.4552", "album", "albums"),
    ],
)
async def test_full_sync_mirrors_every_app(
    database: Database, kind: str, version: str, item_kind: str, size: str
) -> None:
    library = Library.generate(5, series=4, movies=30, artists=5)
    with FakeArr(kind, library, version=version) as fake:
        client = await add_connector(database, arr_config(fake))
        report = await LibrarySync(database, client, "c1", await client.detect()).run(full=True)
        await client.close()
    source = getattr(library, size)
    stored = await mirror(database, item_kind)
    assert report.items == report.inserted == len(source) == len(stored)
    for arr_id, record in source.items():
        assert stored[arr_id].has_file == record["hasFile"]
        assert stored[arr_id].monitored == record["monitored"]
    if item_kind != "album":
        with_quality = [i for i in stored.values() if i.has_file]
        assert all(item.quality for item in with_quality)
        assert {i.arr_id for i in stored.values() if i.cutoff_not_met} == {
            arr_id for arr_id, record in source.items() if record["cutoffNotMet"]
        }


async def test_incremental_sync_touches_only_what_changed(
    database: Database, sonarr: FakeArr
) -> None:
    client = await add_connector(database, arr_config(sonarr))
    sync = LibrarySync(database, client, "c1", await client.detect())
    await sync.run(full=True)
    unchanged = await sync.run(full=False)
    assert (unchanged.containers_refreshed, unchanged.updated, unchanged.inserted) == (0, 0, 0)

    gap = next(e for e in sonarr.library.episodes.values() if not e["hasFile"])
    gap["hasFile"] = True
    before = len(sonarr.requests)
    changed = await sync.run(full=False)
    assert changed.containers_refreshed == 1
    assert changed.updated == 1
    stored = await mirror(database, "episode")
    assert stored[gap["id"]].has_file
    assert changed.acquired == [stored[gap["id"]].id]
    # /series, one /episode and the cutoff list (what season statistics leave unsaid)
    assert len(sonarr.requests) - before == 3
    await client.close()


async def test_removed_series_cascade_and_removed_episodes_go(
    database: Database, sonarr: FakeArr
) -> None:
    client = await add_connector(database, arr_config(sonarr))
    sync = LibrarySync(database, client, "c1", await client.detect())
    await sync.run(full=True)
    library = sonarr.library
    del library.series[1]
    for episode_id in [e["id"] for e in library.episodes.values() if e["seriesId"] == 1]:
        del library.episodes[episode_id]
    dropped = next(e["id"] for e in library.episodes.values() if e["seriesId"] == 2)
    del library.episodes[dropped]
    report = await sync.run(full=False)
    assert report.deleted == 11
    stored = await mirror(database, "episode")
    assert len(stored) == len(library.episodes) == report.items
    async with database.session() as tx:
        assert await tx.fetch_value("SELECT count(*) FROM library_series") == 5
        orphans = (
            "SELECT count(*) FROM library_seasons"
            " WHERE series_id NOT IN (SELECT id FROM library_series)"
        )
        assert await tx.fetch_value(orphans) == 0
    await client.close()


async def test_a_removed_artist_takes_its_albums_and_a_moved_album_follows(
    database: Database,
) -> None:
    library = Library.generate(4, artists=3, albums_per_artist=4)
    with FakeArr("lidarr", library) as lidarr:
        client = await add_connector(database, arr_config(lidarr))
        sync = LibrarySync(database, client, "c1", await client.detect())
        assert (await sync.run(full=True)).items == 12
        del library.artists[2]
        for album_id in [a["id"] for a in library.albums.values() if a["artistId"] == 2]:
            del library.albums[album_id]
        library.albums[1]["artistId"] = 3
        report = await sync.run(full=False)
        await client.close()
    assert (report.deleted, report.updated, report.items) == (4, 1, 8)
    assert set(await mirror(database, "album")) == set(library.albums)
    async with database.session() as tx:
        artist = await tx.fetch_value(
            "SELECT a.arr_id FROM library_artists a"
            " JOIN library_items i ON i.artist_id = a.id WHERE i.arr_id = 1"
        )
    assert artist == 3


async def placed(database: Database, kind: str, arr_id: int) -> tuple[int, int | None, int | None]:
    """Where an item is stored: its row id, its parent's *arr id and its series' *arr id."""
    async with database.session() as tx:
        found = await tx.fetch_one(
            "SELECT i.id, i.parent_arr_id, se.arr_id FROM library_items i"
            " LEFT JOIN library_series se ON se.id = i.series_id"
            " WHERE i.kind = :kind AND i.arr_id = :arr_id",
            {"kind": kind, "arr_id": arr_id},
        )
        assert found is not None
        row_id, parent, series = found
        return row_id, parent, series


@pytest.mark.parametrize("into", ["a stored series", "a new series"])
async def test_an_id_given_to_another_series_moves_the_stored_episode(
    database: Database, sonarr: FakeArr, into: str
) -> None:
    client = await add_connector(database, arr_config(sonarr))
    sync = LibrarySync(database, client, "c1", await client.detect())
    await sync.run(full=True)
    library = sonarr.library
    episode = next(e["id"] for e in library.episodes.values() if e["seriesId"] == 1)
    row_id, _, _ = await placed(database, "episode", episode)
    target = 2
    if into == "a new series":
        target = 7
        library.series[target] = {**library.series[1], "id": target, "title": "Restored"}
    library.move_episode(episode, target)
    report = await sync.run(full=False)
    # the row keeps its id (and with it its search history), under the series that now has it
    assert await placed(database, "episode", episode) == (row_id, target, target)
    assert report.items == len(await mirror(database, "episode")) == len(library.episodes) == 60
    await client.close()


async def test_sync_on_postgresql(request: pytest.FixtureRequest, sonarr: FakeArr) -> None:
    # asked for here, once sockets are allowed: the server is session-wide
    database = Database(str(request.getfixturevalue("postgres_database")))
    await database.setup()
    try:
        client = await add_connector(database, arr_config(sonarr))
        sync = LibrarySync(database, client, "c1", await client.detect())
        assert (await sync.run(full=True)).items == 60
        assert (await sync.run(full=True)).updated == 0
        clock = FakeClock()
        async with database.session() as tx:
            await registry.refresh(tx, "c1", clock.now(), upgrades=True)
        report = await Sweeper(
            database, client, Dispatcher(database, client, "c1", clock), "c1", "series", clock
        ).run(ArrSettings(throttle="aggressive"))
        assert report.completed == report.dispatched > 0
        assert sonarr.commands
        # a stored id in a new series: an upsert in PostgreSQL's words too
        sonarr.library.series[7] = {**sonarr.library.series[1], "id": 7, "title": "Restored"}
        sonarr.library.move_episode(1, 7)
        assert (await sync.run(full=False)).items == 60
        assert (await placed(database, "episode", 1))[1:] == (7, 7)
    finally:
        await database.close()


@pytest.mark.parametrize("failure", ["500", "429", "hang"])
async def test_transient_failures_are_retried(
    database: Database, sonarr: FakeArr, failure: str
) -> None:
    sonarr.hang_seconds = 3.0
    client = await add_connector(database, arr_config(sonarr))
    flavor = await client.detect()
    sonarr.fail_next(failure)  # type: ignore[arg-type]
    report = await LibrarySync(database, client, "c1", flavor).run(full=True)
    assert report.items == 60
    await client.close()


async def test_bad_json_and_wrong_key_fail_clearly(database: Database, sonarr: FakeArr) -> None:
    client = await add_connector(database, arr_config(sonarr))
    flavor = await client.detect()
    sonarr.fail_next("bad_json")
    with pytest.raises(ArrError, match="not JSON"):
        await LibrarySync(database, client, "c1", flavor).run(full=True)
    assert await mirror(database, "episode") == {}
    assert gc.isenabled()  # a failed sync lets the collector run again too
    sonarr.api_key = "another-key-entirely"
    with pytest.raises(ArrAuthError, match="API key was refused") as refused:
        await client.detect()
    assert "fake-arr-key" not in str(refused.value)
    await client.close()


async def test_records_of_a_wrong_shape_fail_clearly_and_lose_nothing(
    database: Database, sonarr: FakeArr
) -> None:
    client = await add_connector(database, arr_config(sonarr))
    sync = LibrarySync(database, client, "c1", await client.detect())
    await sync.run(full=True)
    before = await mirror(database, "episode")
    episode = next(e for e in sonarr.library.episodes.values() if e["seriesId"] == 2)
    title, episode["title"] = episode["title"], 42  # a lying *arr
    with pytest.raises(ArrError, match=r"unexpected shape .*\$\[\d+\]\.title"):
        await sync.run(full=True)
    assert {n: (i.id, i.title) for n, i in (await mirror(database, "episode")).items()} == {
        n: (i.id, i.title) for n, i in before.items()
    }
    episode["title"] = title
    assert (await sync.run(full=True)).items == len(before)
    await client.close()


async def test_a_write_failing_midway_leaves_no_half_batch(database: Database) -> None:
    # 600 episodes in one batch: inserted by several statements in one transaction, and the
    # first row after the first statement (512 rows) fails
    library = Library.generate(5, series=12, seasons=5, episodes_per_season=10)
    async with database.session() as tx:
        await tx.execute(
            "CREATE TRIGGER disk_trouble BEFORE INSERT ON library_items "
            "WHEN (SELECT count(*) FROM library_items) >= 512 "
            "BEGIN SELECT RAISE(ABORT, 'disk trouble'); END"
        )  # fmt: skip
    with FakeArr("sonarr", library) as sonarr:
        client = await add_connector(database, arr_config(sonarr))
        sync = LibrarySync(database, client, "c1", await client.detect())
        with pytest.raises(IntegrityError, match="disk trouble"):
            await sync.run(full=True)
        assert await mirror(database, "episode") == {}
        async with database.session() as tx:
            fingerprints = await tx.fetch_all("SELECT fingerprint FROM library_series")
            assert {row[0] for row in fingerprints} == {
                ""
            }  # still to do: the next sync redoes them
            await tx.execute("DROP TRIGGER disk_trouble")
        report = await sync.run(full=False)
        assert report.inserted == report.items == len(library.episodes) == 600
        await client.close()


async def test_the_collector_rests_while_any_sync_runs(database: Database, sonarr: FakeArr) -> None:
    client = await add_connector(database, arr_config(sonarr))
    first = LibrarySync(database, client, "c1", await client.detect())
    states: list[bool] = []
    first_done = asyncio.Event()

    async def second() -> None:  # starts inside the first sync and outlives it
        with COLLECTOR_PAUSE:
            states.append(gc.isenabled())
            await first_done.wait()
            states.append(gc.isenabled())

    async with asyncio.TaskGroup() as group:
        group.create_task(second())
        await asyncio.sleep(0)
        await first.run(full=True)
        first_done.set()
    await client.close()
    assert states == [False, False]
    assert gc.isenabled()


def test_statements_come_in_few_sizes() -> None:
    # sqlite3 keeps a prepared statement per text: any batch size must reuse the same few
    seen: set[int] = set()
    for rows in range(3000):
        sizes = list(statement_sizes(rows, 512))
        assert sum(sizes) == rows
        assert all(0 < size <= 512 for size in sizes)
        seen.update(sizes)
    assert seen == {512, 256, 128, 64, 32, 16, 8, 4, 2, 1}


def test_timestamps_without_a_zone_are_utc() -> None:
    [record] = EPISODES.decode(b'[{"id": 7, "airDateUtc": "2024-05-01T20:00:00"}]')
    row = episode_row(record, series_id=1, wants=SeriesWants())
    assert row.released_at == datetime(2024, 5, 1, 20, tzinfo=UTC)
    assert (row.title, row.has_file, row.quality, row.last_search_at) == ("", False, None, None)


def test_items_are_wanted_as_the_arr_s_wanted_lists_read_them() -> None:
    # an episode monitored by hand in an unmonitored season: Sonarr lists and searches it
    [episode] = EPISODES.decode(b'[{"id": 7, "seasonNumber": 2, "monitored": true}]')
    assert episode_row(episode, series_id=1, wants=SeriesWants(monitored=True)).monitored
    assert not episode_row(episode, series_id=1, wants=SeriesWants(monitored=False)).monitored
    # Radarr 5 lists no movie without a year as missing, available or not (nor as upcoming)
    [movie] = MOVIES.decode(b'[{"id": 3, "monitored": true, "minimumAvailability": "announced"}]')
    now = datetime(2026, 11, 20, tzinfo=UTC)
    assert movie_row(movie, now).listed
    assert not movie_row(movie, now, needs_year=True).listed
    # Lidarr lists an album as missing while any track of its monitored release lacks a file
    albums = ALBUMS.decode(b"""[
        {"id": 1, "statistics": {"trackFileCount": 9, "totalTrackCount": 10}},
        {"id": 2, "statistics": {"trackFileCount": 10, "totalTrackCount": 10}},
        {"id": 3}
    ]""")
    rows = [album_row(a, 1, set(), artist_monitored=True) for a in albums]
    assert [row.has_file for row in rows] == [False, True, False]
