"""Mirror an *arr library: full reconciliation, or incremental (only series that moved)."""

from __future__ import annotations

import asyncio
import hashlib
import time
from dataclasses import dataclass, field
from datetime import datetime
from operator import itemgetter
from typing import TYPE_CHECKING, Any, cast

import orjson
from sqlalchemy import and_, bindparam, delete, func, insert, select, update

from haul_engine.library.models import Artist, Item, Season, Series

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from sqlalchemy import Table
    from sqlalchemy.ext.asyncio import AsyncSession

    from haul_engine.arr.apps import AppClient
    from haul_engine.arr.client import Flavor
    from haul_engine.db.database import Database

# Core statements on the tables: one executemany per batch instead of per-row ORM work
ITEMS, SEASONS, SERIES = (cast("Table", model.__table__) for model in (Item, Season, Series))
FRESH = ""  # the fingerprint of a series whose seasons and episodes were never stored
FETCH_CONCURRENCY = 4
SERIES_PER_COMMIT = 100
Fetched = tuple[int, dict[str, Any], list[dict[str, Any]]]  # series row id, record, item rows
ITEM_FIELDS = (
    "parent_arr_id", "season_number", "episode_number", "title", "monitored", "has_file",
    "quality", "cutoff_not_met", "available", "released_at", "last_search_at",
)  # fmt: skip


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


def parse_time(text: str | None) -> datetime | None:
    """Parse an *arr timestamp (ISO 8601, Z for UTC)."""
    return datetime.fromisoformat(text) if text else None


def _quality(file: dict[str, Any] | None) -> str | None:
    if not file:
        return None
    name = ((file.get("quality") or {}).get("quality") or {}).get("name")
    return str(name)[:64] if name else None


def episode_row(record: dict[str, Any], series_id: int) -> dict[str, Any]:
    """Map an episode record to an item row."""
    file = record.get("episodeFile")
    return {
        "kind": "episode", "arr_id": record["id"], "series_id": series_id,
        "parent_arr_id": record["seriesId"], "season_number": record.get("seasonNumber"),
        "episode_number": record.get("episodeNumber"), "title": record.get("title") or "",
        "monitored": bool(record.get("monitored")), "has_file": bool(record.get("hasFile")),
        "quality": _quality(file), "cutoff_not_met": bool(file and file.get("qualityCutoffNotMet")),
        "available": False, "released_at": parse_time(record.get("airDateUtc")),
        "last_search_at": parse_time(record.get("lastSearchTime")),
    }  # fmt: skip


def movie_row(record: dict[str, Any]) -> dict[str, Any]:
    """Map a movie record to an item row."""
    file = record.get("movieFile")
    released = (
        record.get("digitalRelease") or record.get("physicalRelease") or record.get("inCinemas")
    )
    return {
        "kind": "movie", "arr_id": record["id"], "series_id": None, "parent_arr_id": None,
        "season_number": None, "episode_number": None, "title": record.get("title") or "",
        "monitored": bool(record.get("monitored")), "has_file": bool(record.get("hasFile")),
        "quality": _quality(file), "cutoff_not_met": bool(file and file.get("qualityCutoffNotMet")),
        "available": bool(record.get("isAvailable")), "released_at": parse_time(released),
        "last_search_at": parse_time(record.get("lastSearchTime")),
    }  # fmt: skip


def album_row(record: dict[str, Any], artist_id: int | None, cutoff: set[int]) -> dict[str, Any]:
    """Map a Lidarr album record to an item row (it has a file once any track has one)."""
    statistics = record.get("statistics") or {}
    return {
        "kind": "album", "arr_id": record["id"], "artist_id": artist_id,
        "parent_arr_id": record.get("artistId"), "season_number": None, "episode_number": None,
        "title": record.get("title") or "", "monitored": bool(record.get("monitored")),
        "has_file": int(statistics.get("trackFileCount") or 0) > 0, "quality": None,
        "cutoff_not_met": record["id"] in cutoff, "available": False,
        "released_at": parse_time(record.get("releaseDate")),
        "last_search_at": parse_time(record.get("lastSearchTime")),
    }  # fmt: skip


def series_fingerprint(record: dict[str, Any]) -> str:
    """Digest what changes when any episode of the series changes state."""
    seasons = [
        (s.get("seasonNumber"), s.get("monitored"), *sorted((s.get("statistics") or {}).items()))
        for s in record.get("seasons") or []
        if isinstance(s, dict)
    ]
    digest = orjson.dumps([record.get("title"), record.get("monitored"), seasons], default=str)
    return hashlib.sha256(digest).hexdigest()


class LibrarySync:
    """Synchronises one connector's mirror from its *arr."""

    def __init__(
        self, database: Database, client: AppClient, connector_id: str, flavor: Flavor
    ) -> None:
        """Bind to one connector."""
        self.database = database
        self.client = client
        self.connector_id = connector_id
        self.flavor = flavor

    async def run(self, *, full: bool) -> SyncReport:
        """Synchronise; full refetches everything, incremental only what moved."""
        started = time.perf_counter()
        report = SyncReport("full" if full else "incremental")
        if self.flavor == "series":
            await self._series(report, full=full)
        elif self.flavor == "movie":
            records = await self.client.get(self.client.library.items)
            async with self.database.session() as session, session.begin():
                await self._reconcile(
                    session, report, self._own("movie"), [movie_row(r) for r in records]
                )
        else:
            await self._music(report)
        async with self.database.session() as session:
            report.items = await _count_items(session, Item.connector_id == self.connector_id)
        report.seconds = time.perf_counter() - started
        return report

    async def _series(self, report: SyncReport, *, full: bool) -> None:
        records: list[dict[str, Any]] = await self.client.get(self.client.library.containers)
        async with self.database.session() as session, session.begin():
            stored = {
                arr_id: (row_id, fingerprint)
                for row_id, arr_id, fingerprint in await session.execute(
                    select(Series.id, Series.arr_id, Series.fingerprint).where(
                        Series.connector_id == self.connector_id
                    )
                )
            }
            seen = {record["id"] for record in records}
            gone = [row_id for arr_id, (row_id, _) in stored.items() if arr_id not in seen]
            if gone:
                report.deleted += await _count_items(session, Item.series_id.in_(gone))
                await session.execute(delete(Series).where(Series.id.in_(gone)))
            new = [record for record in records if record["id"] not in stored]
            if new:
                await session.execute(SERIES.insert(), [
                    {"connector_id": self.connector_id, "arr_id": record["id"], "title": "",
                     "monitored": False, "fingerprint": ""}
                    for record in new
                ])  # fmt: skip
                stored.update({
                    arr_id: (row_id, FRESH)
                    for row_id, arr_id in await session.execute(
                        select(Series.id, Series.arr_id).where(
                            Series.connector_id == self.connector_id, Series.fingerprint == FRESH
                        )
                    )
                })  # fmt: skip
        refresh = [
            (stored[record["id"]][0], record)
            for record in records
            if full or stored[record["id"]][1] != series_fingerprint(record)
        ]
        fresh = {row_id for row_id, fingerprint in stored.values() if fingerprint == FRESH}
        await self._refresh_series(report, refresh, fresh)

    async def _refresh_series(
        self, report: SyncReport, refresh: list[tuple[int, dict[str, Any]]], fresh: set[int]
    ) -> None:
        """Fetch episodes of several series at once while one writer stores them in batches."""
        report.containers_refreshed = len(refresh)
        fetched: asyncio.Queue[Fetched | None] = asyncio.Queue(SERIES_PER_COMMIT * 2)
        pending = iter(refresh)
        running = FETCH_CONCURRENCY

        async def fetch() -> None:
            nonlocal running
            for row_id, record in pending:
                episodes = await self.client.get(
                    self.client.library.items, seriesId=record["id"], includeEpisodeFile="true"
                )
                await self._attach_files(record["id"], episodes)
                # mapped here, a series at a time, so the writer never holds the loop for long
                await fetched.put((row_id, record, [episode_row(e, row_id) for e in episodes]))
            running -= 1
            if running == 0:
                await fetched.put(None)

        async def write() -> None:
            while batch := await _take(fetched):
                async with self.database.session() as session, session.begin():
                    await self._store_series(session, report, batch, fresh)

        try:
            async with asyncio.TaskGroup() as group:  # one failure cancels the others
                for _ in range(FETCH_CONCURRENCY):
                    group.create_task(fetch())
                group.create_task(write())
        except ExceptionGroup as failed:
            raise failed.exceptions[0] from None

    async def _attach_files(self, series_id: int, episodes: list[dict[str, Any]]) -> None:
        """Read quality and cutoff from episodefile where the *arr left them out (Sonarr v3)."""
        if not any(e.get("hasFile") and "episodeFile" not in e for e in episodes):
            return
        files = {
            f["id"]: f for f in await self.client.get(self.client.library.files, seriesId=series_id)
        }
        for episode in episodes:
            if episode.get("hasFile") and "episodeFile" not in episode:
                episode["episodeFile"] = files.get(episode.get("episodeFileId"))

    async def _store_series(
        self,
        session: AsyncSession,
        report: SyncReport,
        batch: list[Fetched],
        fresh: set[int],
    ) -> None:
        """Write fetched series in a few statements; fingerprints last, so a crash redoes them.

        Fresh series (never stored before) have no seasons or episodes to read or delete.
        """
        known = [row_id for row_id, _, _ in batch if row_id not in fresh]
        if known:
            await session.execute(delete(Season).where(Season.series_id.in_(known)))
        seasons = [
            {"series_id": row_id, "season_number": season["seasonNumber"],
             "monitored": bool(season.get("monitored")),
             "episode_count": int(stats.get("episodeCount") or 0),
             "episode_file_count": int(stats.get("episodeFileCount") or 0),
             "total_episode_count": int(stats.get("totalEpisodeCount") or 0),
             "next_airing": parse_time(stats.get("nextAiring"))}
            for row_id, record, _ in batch
            for season in record.get("seasons") or []
            for stats in [season.get("statistics") or {}]
        ]  # fmt: skip
        await _insert(session, SEASONS, seasons)
        episodes = [row for _, _, rows in batch for row in rows]
        await self._reconcile(
            session, report, Item.series_id.in_(known) if known else None, episodes
        )
        await session.execute(
            SERIES.update().where(SERIES.c.id == bindparam("row_id")),
            [{"row_id": row_id, "title": record.get("title") or "",
              "monitored": bool(record.get("monitored")), "fingerprint": series_fingerprint(record)}
             for row_id, record, _ in batch],
        )  # fmt: skip

    async def _music(self, report: SyncReport) -> None:
        library = self.client.library
        artists: list[dict[str, Any]] = await self.client.get(library.containers)
        albums: list[dict[str, Any]] = await self.client.get(library.items)
        cutoff = (
            {
                record["id"]
                async for page in self.client.pages("/wanted/cutoff", monitored="true")
                for record in page
            }
            if library.wanted
            else set()
        )
        async with self.database.session() as session, session.begin():
            found = await session.execute(
                select(Artist.arr_id, Artist.id).where(Artist.connector_id == self.connector_id)
            )
            stored: dict[int, int] = dict(found.tuples().all())
            seen = {artist["id"] for artist in artists}
            gone = [row_id for arr_id, row_id in stored.items() if arr_id not in seen]
            if gone:
                await session.execute(delete(Artist).where(Artist.id.in_(gone)))
            for artist in artists:
                values = {"name": artist.get("artistName") or "",
                          "monitored": bool(artist.get("monitored"))}  # fmt: skip
                if artist["id"] in stored:
                    await session.execute(
                        update(Artist).where(Artist.id == stored[artist["id"]]).values(values)
                    )
                else:
                    new_id = await session.scalar(
                        insert(Artist).returning(Artist.id),
                        {"connector_id": self.connector_id, "arr_id": artist["id"], **values},
                    )
                    stored[artist["id"]] = int(new_id or 0)
            rows = [album_row(a, stored.get(int(a.get("artistId") or 0)), cutoff) for a in albums]
            await self._reconcile(session, report, self._own("album"), rows)

    def _own(self, kind: str) -> Any:  # noqa: ANN401 - a SQL condition
        """Select this connector's items of one kind."""
        return and_(Item.connector_id == self.connector_id, Item.kind == kind)

    async def _reconcile(
        self,
        session: AsyncSession,
        report: SyncReport,
        scope: Any,  # noqa: ANN401 - a SQL condition
        rows: Iterable[dict[str, Any]],
    ) -> None:
        """Make the stored items in scope equal rows: insert, update changed fields, delete.

        scope must select one connector's items (series ids do; movies and albums say so);
        None when there are none yet.
        """
        existing = (
            {}
            if scope is None
            else {
                row.arr_id: row
                for row in await session.execute(
                    select(
                        Item.id, Item.arr_id, *(getattr(Item, name) for name in ITEM_FIELDS)
                    ).where(scope)
                )
            }
        )
        inserts, updates = [], []
        for row in rows:
            old = existing.pop(row["arr_id"], None)
            if old is None:
                inserts.append(row)
                continue
            changed = {name: row[name] for name in ITEM_FIELDS if getattr(old, name) != row[name]}
            if changed:
                updates.append({"id": old.id, **changed})
                if changed.get("has_file") and row["monitored"]:
                    report.acquired.append(old.id)
        await _insert(session, ITEMS, inserts, connector_id=self.connector_id)
        if updates:
            await session.execute(update(Item), updates)
        if existing:
            ids = [row.id for row in existing.values()]
            await session.execute(delete(Item).where(Item.id.in_(ids)))
        report.inserted += len(inserts)
        report.updated += len(updates)
        report.deleted += len(existing)


async def _insert(
    session: AsyncSession,
    table: Table,
    rows: list[dict[str, Any]],
    **constants: Any,  # noqa: ANN401 - a value for that column in every row
) -> None:
    """INSERT rows in one driver executemany, converting values a column at a time.

    The same as session.execute(table.insert(), rows) without SQLAlchemy's per-row work.
    """
    if not rows:
        return
    connection = await session.connection()
    dialect = connection.dialect
    statement = table.insert().inline().compile(dialect=dialect, column_keys=[*constants, *rows[0]])
    values: dict[str, Sequence[Any]] = dict(
        zip(rows[0], zip(*map(itemgetter(*rows[0]), rows), strict=True), strict=True)
    )
    values.update({key: [value] * len(rows) for key, value in constants.items()})
    columns = []
    for key in statement.positiontup or ():
        process = table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
        columns.append(values[key] if process is None else list(map(process, values[key])))
    await connection.exec_driver_sql(statement.string, list(zip(*columns, strict=True)))


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


async def _count_items(session: AsyncSession, *conditions: Any) -> int:  # noqa: ANN401 - SQL
    return int(await session.scalar(select(func.count()).select_from(Item).where(*conditions)) or 0)
