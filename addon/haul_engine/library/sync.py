"""Mirror an *arr library: full reconciliation, or incremental (only series that moved)."""

from __future__ import annotations

import asyncio
import gc
import hashlib
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property, partial
from typing import TYPE_CHECKING, Any, NamedTuple

import msgspec

from haul_engine.arr.records import ALBUMS, EPISODES, FILES, MOVIES, SERIES, SeasonStatistics
from haul_engine.db.bulk import BulkInsert
from haul_engine.library.dispatch import Clock
from haul_engine.library.models import ARTISTS, ITEMS, SEASONS, Artist
from haul_engine.library.models import SERIES as SERIES_TABLE
from haul_engine.library.registry import UPGRADE

if TYPE_CHECKING:
    from collections.abc import Coroutine, Iterable

    from haul_engine.arr.apps import AppClient
    from haul_engine.arr.client import Flavor
    from haul_engine.arr.records import Album, Episode, Movie
    from haul_engine.arr.records import Series as SeriesRecord
    from haul_engine.db.database import Database
    from haul_engine.db.sql import Params, Transaction

FRESH = ""  # the fingerprint of a series whose seasons and episodes were never stored
FETCH_CONCURRENCY = 4
SERIES_PER_COMMIT = 100
# series row id, record, item rows, and for a fresh series those rows ready for the driver
Fetched = tuple[int, "SeriesRecord", list["ItemRow"], list[Any] | None]
NO_STATISTICS = SeasonStatistics()
# Radarr's rule when a movie has neither a physical nor a digital release date
RELEASED_AFTER_CINEMAS = timedelta(days=90)
SERIES_COLUMNS = ("id", "arr_id", "title", "monitored", "fingerprint")
SEASON_COLUMNS = (
    "series_id", "season_number", "monitored", "episode_count", "episode_file_count",
    "total_episode_count", "next_airing",
)  # fmt: skip
# a series seen for the first time: a row to give it an id, filled in once its episodes are stored
NEW_SERIES = (
    "INSERT INTO library_series (connector_id, arr_id, title, monitored, fingerprint, boost)"
    " VALUES (:connector_id, :arr_id, '', :monitored, :fresh, 0)"
)


class ItemRow(NamedTuple):
    """One library_items row; a tuple, so a changed item is found by one comparison."""

    kind: str
    arr_id: int
    series_id: int | None  # from here on: what can change and is compared
    artist_id: int | None
    parent_arr_id: int | None
    season_number: int | None
    episode_number: int | None
    title: str
    monitored: bool
    has_file: bool
    quality: str | None
    cutoff_not_met: bool
    available: bool
    listed: bool
    released_at: datetime | None
    last_search_at: datetime | None

    def compared(self) -> tuple[Any, ...]:
        """Return the fields a sync compares (ITEM_FIELDS): all after the row's identity."""
        return self[2:]


ITEM_KEY = ("connector_id", "kind", "arr_id")
ITEM_FIELDS = ItemRow._fields[2:]
STORED_ITEMS = f"SELECT id, arr_id, {', '.join(ITEM_FIELDS)} FROM library_items"
# an ItemRow from a tuple of all its fields, made in C: a quarter of the cost of ItemRow(...) with
# keywords (measured), and a full sync makes one per episode
new_item_row = partial(tuple.__new__, ItemRow)


class CollectorPause:
    """Keep Python's cycle collector off while any sync runs (counted: syncs of connectors overlap).

    A full sync allocates hundreds of thousands of short-lived rows that hold no cycles; each batch
    lives long enough to be scanned and promoted by the collector again and again, which cost a
    tenth of a full sync (measured). Reference counting frees the rows; anything cyclic made
    meanwhile waits for the collector to resume when the last sync ends.
    """

    def __init__(self) -> None:
        """Start with nothing paused."""
        self.holders = 0
        self.resume = False

    def __enter__(self) -> None:
        """Pause collection (the first holder does)."""
        if self.holders == 0:
            self.resume = gc.isenabled()
            gc.disable()
        self.holders += 1

    def __exit__(self, *_exc: object) -> None:
        """Resume collection when the last holder leaves, if it was on before."""
        self.holders -= 1
        if self.holders == 0 and self.resume:
            gc.enable()


COLLECTOR_PAUSE = CollectorPause()


@dataclass
class SyncReport:
    """What one sync did."""

    mode: str
    items: int = 0
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    containers_refreshed: int = 0
    seconds: float = 0.0
    acquired: list[int] = field(default_factory=list)

    def as_event(self) -> dict[str, Any]:
        """Render as the sync_completed event's data."""
        return {
            "mode": self.mode, "items": self.items, "inserted": self.inserted,
            "updated": self.updated, "deleted": self.deleted, "acquired": len(self.acquired),
            "containers_refreshed": self.containers_refreshed, "seconds": round(self.seconds, 3),
        }  # fmt: skip


def utc(stamp: datetime | None) -> datetime | None:
    """Return the timestamp in UTC: the *arrs speak UTC, also when a value forgets its zone."""
    return stamp.replace(tzinfo=UTC) if stamp is not None and stamp.tzinfo is None else stamp


@dataclass(frozen=True, slots=True)
class SeriesWants:
    """What a series says of its episodes: whether the user wants it, and how long one runs."""

    monitored: bool = False
    runtime: timedelta = timedelta(0)

    @classmethod
    def of(cls, record: SeriesRecord) -> SeriesWants:
        """Read them from a series record: no episode of an unmonitored series is wanted."""
        return cls(record.monitored, timedelta(minutes=record.runtime))


def episode_row(record: Episode, series_id: int, wants: SeriesWants) -> ItemRow:
    """Map an episode record to an item row; monitored only within a monitored series.

    As Sonarr's wanted lists and searches read it: the episode's flag and its series', not its
    season's (toggling a season sets its episodes' flags; one monitored by hand in an unmonitored
    season is wanted). It has aired once it has ended: its air time plus the series' runtime.
    """
    file = record.episode_file
    monitored = record.monitored and wants.monitored
    aired = utc(record.air_date_utc)
    return new_item_row((
        "episode", record.id, series_id, None, record.series_id, record.season_number,
        record.episode_number, record.title or "", monitored, record.has_file,
        file.quality_name if file else None, bool(file and file.quality_cutoff_not_met),
        False, True, aired + wants.runtime if aired else None, utc(record.last_search_time),
    ))  # fmt: skip


def available_from(record: Movie, now: datetime) -> tuple[bool, datetime | None]:
    """Whether a movie is available at any time, else from when, by its minimum availability.

    Radarr's rule: announced (or tba) at once; inCinemas from the cinema date; released from the
    earlier of the physical and digital releases, or 90 days after the cinema date without either.
    Stored as a date, a movie becomes wanted when its day comes, without waiting for a sync. The
    *arr's own isAvailable also counts its availability delay: a day already past that the *arr
    does not count yet is not stored (the movie is wanted once a sync hears it is available).
    """
    minimum = (record.minimum_availability or "released").lower()
    if minimum in {"tba", "announced"}:
        return True, None
    if minimum == "incinemas" and record.in_cinemas is not None:
        day = utc(record.in_cinemas)
    elif dated := sorted(
        at for at in (utc(record.physical_release), utc(record.digital_release)) if at is not None
    ):
        day = dated[0]
    else:
        cinemas = utc(record.in_cinemas)
        day = cinemas + RELEASED_AFTER_CINEMAS if cinemas else None
    if not record.is_available and day is not None and day <= now:
        return False, None  # held back by the *arr's availability delay
    return record.is_available, day


def movie_row(record: Movie, now: datetime, *, needs_year: bool = False) -> ItemRow:
    """Map a movie record to an item row; without a year never wanted when the *arr says so.

    Radarr 5 lists no movie without a year as missing, and its own missing search skips them.
    """
    file = record.movie_file
    available, released = available_from(record, now)
    return new_item_row((
        "movie", record.id, None, None, None, None, None, record.title or "", record.monitored,
        record.has_file, file.quality_name if file else None,
        bool(file and file.quality_cutoff_not_met), available,
        bool(record.year) or not needs_year, released, utc(record.last_search_time),
    ))  # fmt: skip


def album_row(
    record: Album, artist_id: int | None, cutoff: set[int], *, artist_monitored: bool
) -> ItemRow:
    """Map a Lidarr album record to an item row, as Lidarr's wanted lists count it.

    Monitored only when its artist is too; it has its files once every track of its monitored
    release has one (Lidarr lists an album as missing while any track lacks a file).
    """
    stats = record.statistics
    complete = stats is not None and stats.track_file_count >= stats.total_track_count
    return new_item_row((
        "album", record.id, None, artist_id, record.artist_id, None, None, record.title or "",
        record.monitored and artist_monitored, complete, None, record.id in cutoff, False, True,
        utc(record.release_date), utc(record.last_search_time),
    ))  # fmt: skip


def series_fingerprint(record: SeriesRecord) -> str:
    """Digest what changes when any episode of the series changes state (season statistics)."""
    digest = msgspec.json.encode((record.title, record.monitored, record.seasons))
    return hashlib.sha256(digest).hexdigest()


class LibrarySync:
    """Synchronises one connector's mirror from its *arr."""

    def __init__(
        self,
        database: Database,
        client: AppClient,
        connector_id: str,
        flavor: Flavor,
        clock: Clock | None = None,
    ) -> None:
        """Bind to one connector; the clock says what is available already."""
        self.database = database
        self.client = client
        self.connector_id = connector_id
        self.flavor = flavor
        self.clock = clock or Clock()

    @cached_property
    def _items(self) -> BulkInsert:
        # an *arr can give a stored id to an item of another series or artist (a restored backup
        # does): the stored row moves there, with its search history, instead of failing the sync
        return BulkInsert(
            ITEMS, ItemRow._fields, self.database.dialect, conflict_key=ITEM_KEY,
            update_on_conflict=ITEM_FIELDS, connector_id=self.connector_id,
        )  # fmt: skip

    @cached_property
    def _series_rows(self) -> BulkInsert:
        return BulkInsert(
            SERIES_TABLE, SERIES_COLUMNS, self.database.dialect,
            update_on_conflict=SERIES_COLUMNS[2:], connector_id=self.connector_id, boost=0,
        )  # fmt: skip

    @cached_property
    def _seasons(self) -> BulkInsert:
        return BulkInsert(SEASONS, SEASON_COLUMNS, self.database.dialect)

    async def run(self, *, full: bool) -> SyncReport:
        """Synchronise; full refetches everything, incremental only what moved.

        What is stored is read while the *arr answers (each sync of a connector runs alone, and
        nothing is written before the answer): the item count at the end is that count minus the
        sync's deletes, or counted again after inserts (one may have moved a stored row instead).
        """
        started = time.perf_counter()
        report = SyncReport("full" if full else "incremental")
        with COLLECTOR_PAUSE:
            if self.flavor == "series":
                stored_items = await self._series(report, full=full)
            elif self.flavor == "movie":
                stored_items = await self._movies(report)
            else:
                stored_items = await self._music(report)
        if report.inserted:
            report.items = await self._stored_item_count()
        else:
            report.items = stored_items - report.deleted
        report.seconds = time.perf_counter() - started
        return report

    async def _movies(self, report: SyncReport) -> int:
        movies: list[Movie]
        stored_items: int
        movies, stored_items = await _settle(
            self.client.get_as(MOVIES, self.client.library.items), self._stored_item_count()
        )
        async with self.database.session() as tx:
            now = self.clock.now()
            needs_year = self.client.library.wanted_needs_year
            rows = [movie_row(movie, now, needs_year=needs_year) for movie in movies]
            await self._reconcile(tx, report, *self._own("movie"), rows)
        return stored_items

    async def _stored_item_count(self) -> int:
        async with self.database.session() as tx:
            return await _count_items(
                tx, "connector_id = :connector_id", {"connector_id": self.connector_id}
            )

    async def _stored_series(self) -> dict[int, tuple[int, str]]:
        """Map each stored series' *arr id to its row id and fingerprint."""
        async with self.database.session() as tx:
            found = await tx.fetch_all(
                "SELECT arr_id, id, fingerprint FROM library_series"
                " WHERE connector_id = :connector_id",
                {"connector_id": self.connector_id},
            )
            return {arr_id: (row_id, fingerprint) for arr_id, row_id, fingerprint in found}

    async def _series(self, report: SyncReport, *, full: bool) -> int:
        records: list[SeriesRecord]
        stored: dict[int, tuple[int, str]]
        stored_items: int
        disagreeing: set[int]
        records, stored, stored_items, disagreeing = await _settle(
            self.client.get_as(SERIES, self.client.library.containers),
            self._stored_series(),
            self._stored_item_count(),
            self._disagreeing_series(full=full),
        )
        async with self.database.session() as tx:
            seen = {record.id for record in records}
            gone = [row_id for arr_id, (row_id, _) in stored.items() if arr_id not in seen]
            if gone:
                report.deleted += await _count_items(tx, "series_id IN :gone", {"gone": gone})
                await tx.execute("DELETE FROM library_series WHERE id IN :gone", {"gone": gone})
            new = [record for record in records if record.id not in stored]
            if new:
                await tx.execute_many(NEW_SERIES, [
                    {"connector_id": self.connector_id, "arr_id": record.id, "monitored": False,
                     "fresh": FRESH}
                    for record in new
                ])  # fmt: skip
                stored.update({
                    arr_id: (row_id, FRESH)
                    for row_id, arr_id in await tx.fetch_all(
                        "SELECT id, arr_id FROM library_series"
                        " WHERE connector_id = :connector_id AND fingerprint = :fresh",
                        {"connector_id": self.connector_id, "fresh": FRESH},
                    )
                })  # fmt: skip
        refresh = [
            (stored[record.id][0], record)
            for record in records
            if full
            or record.id in disagreeing
            or stored[record.id][1] != series_fingerprint(record)
        ]
        fresh = {row_id for row_id, fingerprint in stored.values() if fingerprint == FRESH}
        await self._refresh_series(report, refresh, fresh)
        return stored_items

    async def _disagreeing_series(self, *, full: bool) -> set[int]:
        """Find the series (*arr ids) whose episodes below the cutoff it and the mirror disagree on.

        Season statistics miss one change: (un)monitoring an episode with a file moves no number
        (episodeCount counts every episode with a file), so its series keeps its fingerprint and
        an upgrade the user no longer wants would be counted and searched (Sonarr's EpisodeSearch
        does not check the flag). The *arr's own cutoff list says it: an incremental sync rereads
        each series holding an episode listed on one side only. Every other change of monitoring
        moves the statistics, by the time the episode airs; a full sync rereads every series.
        """
        if full or not self.client.library.wanted:
            return set()
        async with self.database.session() as tx:
            found = await tx.fetch_all(
                "SELECT i.arr_id, i.parent_arr_id FROM library_items i"
                f" WHERE i.connector_id = :connector_id AND i.kind = 'episode' AND {UPGRADE}",
                {"connector_id": self.connector_id},
            )
            mirrored: dict[int, int | None] = {row[0]: row[1] for row in found}
        disagreeing: set[int] = set()
        async for page in self.client.pages("/wanted/cutoff", monitored="true"):
            for record in page:
                if mirrored.pop(record["id"], None) != record["seriesId"]:
                    disagreeing.add(record["seriesId"])
        disagreeing.update(series for series in mirrored.values() if series is not None)
        return disagreeing

    async def _refresh_series(
        self, report: SyncReport, refresh: list[tuple[int, SeriesRecord]], fresh: set[int]
    ) -> None:
        """Fetch episodes of several series at once while one writer stores them in batches."""
        report.containers_refreshed = len(refresh)
        fetched: asyncio.Queue[Fetched | None] = asyncio.Queue(SERIES_PER_COMMIT * 2)
        pending = iter(refresh)
        running = FETCH_CONCURRENCY

        async def fetch() -> None:
            nonlocal running
            for row_id, record in pending:
                episodes = await self.client.get_as(
                    EPISODES, self.client.library.items, seriesId=record.id,
                    includeEpisodeFile="true",
                )  # fmt: skip
                await self._attach_files(record.id, episodes)
                # mapped (and for fresh series encoded) here, a series at a time, while the
                # writer waits for the database, so that the writer only writes
                wants = SeriesWants.of(record)
                rows = [episode_row(e, row_id, wants) for e in episodes]
                ready = self._items.encode(rows) if row_id in fresh else None
                await fetched.put((row_id, record, rows, ready))
            running -= 1
            if running == 0:
                await fetched.put(None)

        async def write() -> None:
            while batch := await _take(fetched):  # a transaction a batch
                async with self.database.session() as tx:
                    await self._store_series(tx, report, batch)

        try:
            async with asyncio.TaskGroup() as group:  # one failure cancels the others
                for _ in range(FETCH_CONCURRENCY):
                    group.create_task(fetch())
                group.create_task(write())
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def _attach_files(self, series_id: int, episodes: list[Episode]) -> None:
        """Read quality and cutoff from episodefile where the *arr left them out (Sonarr v3)."""
        if not any(e.has_file and e.episode_file is None for e in episodes):
            return
        listed = await self.client.get_as(FILES, self.client.library.files, seriesId=series_id)
        files = {file.id: file for file in listed}
        for episode in episodes:
            if episode.has_file and episode.episode_file is None:
                episode.episode_file = files.get(episode.episode_file_id)

    async def _store_series(
        self,
        tx: Transaction,
        report: SyncReport,
        batch: list[Fetched],
    ) -> None:
        """Write fetched series in a few statements; fingerprints last, so a crash redoes them.

        Fresh series (never stored before) have no seasons or episodes to read or delete.
        """
        known = [row_id for row_id, _, _, ready in batch if ready is None]
        if known:
            await tx.execute(
                "DELETE FROM library_seasons WHERE series_id IN :known", {"known": known}
            )
        seasons = [
            (row_id, season.season_number, season.monitored, stats.episode_count,
             stats.episode_file_count, stats.total_episode_count, utc(stats.next_airing))
            for row_id, record, _, _ in batch
            for season in record.seasons
            for stats in [season.statistics or NO_STATISTICS]
        ]  # fmt: skip
        await self._seasons.write(tx, self._seasons.encode(seasons))
        fresh_values: list[Any] = []
        for _, _, rows, ready in batch:
            if ready is not None:
                fresh_values.extend(ready)  # a copy of whole lists, not value by value
                report.inserted += len(rows)
        await self._items.write(tx, fresh_values)
        if known:
            episodes = [row for _, _, rows, ready in batch if ready is None for row in rows]
            await self._reconcile(tx, report, "series_id IN :known", {"known": known}, episodes)
        series = [
            (row_id, record.id, record.title or "", record.monitored, series_fingerprint(record))
            for row_id, record, _, _ in batch
        ]
        await self._series_rows.write(tx, self._series_rows.encode(series))

    async def _music(self, report: SyncReport) -> int:
        library = self.client.library
        artists: list[dict[str, Any]]
        albums: list[Album]
        stored_items: int
        artists, albums, cutoff, stored_items = await _settle(
            self.client.get(library.containers),
            self.client.get_as(ALBUMS, library.items),
            self._cutoff_albums(),
            self._stored_item_count(),
        )
        async with self.database.session() as tx:
            found = await tx.fetch_all(
                "SELECT arr_id, id FROM library_artists WHERE connector_id = :connector_id",
                {"connector_id": self.connector_id},
            )
            stored: dict[int, int] = {row[0]: row[1] for row in found}
            seen = {artist["id"] for artist in artists}
            gone = [row_id for arr_id, row_id in stored.items() if arr_id not in seen]
            if gone:  # their albums go with them
                report.deleted += await _count_items(tx, "artist_id IN :gone", {"gone": gone})
                await tx.execute("DELETE FROM library_artists WHERE id IN :gone", {"gone": gone})
            for artist in artists:
                row = Artist(
                    connector_id=self.connector_id, arr_id=artist["id"],
                    name=artist.get("artistName") or "", monitored=bool(artist.get("monitored")),
                    id=stored.get(artist["id"], 0),
                )  # fmt: skip
                if row.id:
                    await ARTISTS.update(tx, row, "name", "monitored")
                else:
                    stored[artist["id"]] = (await ARTISTS.insert(tx, row)).id
            watched = {artist["id"] for artist in artists if artist.get("monitored")}
            rows = [
                album_row(
                    a, stored.get(a.artist_id), cutoff, artist_monitored=a.artist_id in watched
                )
                for a in albums
            ]
            await self._reconcile(tx, report, *self._own("album"), rows)
        return stored_items

    async def _cutoff_albums(self) -> set[int]:
        """Collect the ids of albums below cutoff (Lidarr's records do not say it)."""
        if not self.client.library.wanted:
            return set()
        return {
            record["id"]
            async for page in self.client.pages("/wanted/cutoff", monitored="true")
            for record in page
        }

    def _own(self, kind: str) -> tuple[str, Params]:
        """Select this connector's items of one kind (a condition and its parameters)."""
        return (
            "connector_id = :connector_id AND kind = :kind",
            {"connector_id": self.connector_id, "kind": kind},
        )

    async def _reconcile(
        self,
        tx: Transaction,
        report: SyncReport,
        scope: str,
        params: Params,
        rows: Iterable[ItemRow],
    ) -> None:
        """Make the stored items in scope equal rows: insert, update changed fields, delete.

        scope (a condition on library_items) must select one connector's items (series ids do;
        movies and albums say so).
        """
        stored_rows = await tx.fetch_all(f"{STORED_ITEMS} WHERE {scope}", params)
        existing = {stored[1]: stored for stored in stored_rows}
        inserts = []
        updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}  # by the columns they change
        for row in rows:
            old = existing.pop(row.arr_id, None)
            if old is None:
                inserts.append(row)
                continue
            before, after = tuple(old[2:]), row.compared()  # old: after id and arr_id
            if before != after:
                changed = {
                    name: new
                    for name, was, new in zip(ITEM_FIELDS, before, after, strict=True)
                    if was != new
                }
                updates.setdefault(tuple(changed), []).append({"id": old[0], **changed})
                if changed.get("has_file") and row.monitored:
                    report.acquired.append(old[0])
        await self._items.write(tx, self._items.encode(inserts))
        for columns, changes in updates.items():
            sets = ", ".join(f"{column} = :{column}" for column in columns)
            await tx.execute_many(f"UPDATE library_items SET {sets} WHERE id = :id", changes)
        if existing:
            ids = [stored[0] for stored in existing.values()]
            await tx.execute("DELETE FROM library_items WHERE id IN :ids", {"ids": ids})
        report.inserted += len(inserts)
        report.updated += sum(map(len, updates.values()))
        report.deleted += len(existing)


async def _settle(*coroutines: Coroutine[Any, Any, Any]) -> list[Any]:
    """Run coroutines at once, let every one finish, then raise the first failure if any.

    Nothing is cancelled: a read cut off inside aiosqlite leaves its connection's thread behind.
    """
    results = await asyncio.gather(*coroutines, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results


async def _take(queue: asyncio.Queue[Fetched | None]) -> list[Fetched]:
    """Wait for SERIES_PER_COMMIT fetched series (fewer at the end): few, large writes."""
    batch: list[Fetched] = []
    while len(batch) < SERIES_PER_COMMIT:
        entry = await queue.get()
        if entry is None:
            queue.put_nowait(None)  # the slot it came from is free
            break
        batch.append(entry)
    return batch


async def _count_items(tx: Transaction, condition: str, params: Params) -> int:
    """Count the items meeting a condition on library_items."""
    return int(
        await tx.fetch_value(f"SELECT count(*) FROM library_items WHERE {condition}", params)
    )
