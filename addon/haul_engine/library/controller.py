"""LibraryController: runs the mirror, gap sweeps and searches of every *arr connector."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import PurePosixPath, PureWindowsPath
from typing import TYPE_CHECKING, Any, Literal, cast

from pydantic import BaseModel, Field

from haul_engine.arr.apps import AppClient
from haul_engine.arr.client import ArrError, ArrOfflineError
from haul_engine.arr.kinds import ARR_KINDS, ArrSettings
from haul_engine.commands import api_command
from haul_engine.connectors.controller import ConnectorOwner
from haul_engine.controller import Controller
from haul_engine.cron import Cron
from haul_engine.db.jobs import Job, JobQueue
from haul_engine.db.models import ENGINE_META, EngineMeta
from haul_engine.db.values import utcnow
from haul_engine.errors import Conflict, InvalidInput, NotFound, Unavailable
from haul_engine.events import EventName
from haul_engine.library import registry
from haul_engine.library.dispatch import Clock, Dispatcher, Settled
from haul_engine.library.models import (
    ITEMS,
    SEARCH_HISTORY,
    SEARCHES,
    SERIES,
    SYNC_STATES,
    Item,
    Search,
    Series,
    SyncState,
)
from haul_engine.library.planner import midnight, single_search, spent_today
from haul_engine.library.sweep import Sweeper, SweepReport
from haul_engine.library.sync import LibrarySync, SyncReport

if TYPE_CHECKING:
    from collections.abc import Sequence

    from haul_engine.arr.client import Flavor
    from haul_engine.connectors.kinds import ConnectorConfig, HealthStatus
    from haul_engine.db.sql import Params, Transaction
    from haul_engine.db.tables import Table
    from haul_engine.engine import Engine
    from haul_engine.library.planner import Batch

_LOGGER = logging.getLogger(__name__)
TICK_SECONDS = 60.0
MAX_BACKOFF = 3600.0  # a webhook's sync is retried while its *arr does not answer, at most hourly
FULL_SYNC_EVERY = timedelta(hours=24)
HISTORY_KEPT = timedelta(days=90)  # a Pi's database should not grow with every search forever
GAPS_PAGE_SIZE = 100
LAST_PAGE = (2**63 - 1) // GAPS_PAGE_SIZE + 1  # its offset still fits a database integer
PAUSED_KEY = "library_paused"
SEARCHABLE = ("pending", "queued", "searching")
GapState = Literal["pending", "queued", "searching", "cooldown", "exhausted"]
GapReason = Literal["missing", "upgrade", "upcoming"]
GapSort = Literal["released", "title", "attempts", "next_eligible", "boost"]
GAP_SORTS = {  # columns of the gap query: an item i, its search s
    "released": "i.released_at", "title": "i.title", "attempts": "s.attempts",
    "next_eligible": "s.next_eligible_at", "boost": "s.boost",
}  # fmt: skip
GAP_CONDITIONS = {
    "missing": registry.MISSING, "upgrade": registry.UPGRADE, "upcoming": registry.UPCOMING
}  # fmt: skip
# an item i's columns, then its registry entry s's (all NULL when it has none)
ITEM_AND_SEARCH = ", ".join(
    [f"i.{column}" for column in ITEMS.columns] + [f"s.{column}" for column in SEARCHES.columns]
)
GAP_COLUMNS = f"{ITEM_AND_SEARCH}, se.title"
GAPS_FROM = """FROM library_items i
LEFT JOIN library_searches s ON s.item_id = i.id AND s.reason = :kind
LEFT JOIN library_series se ON se.id = i.series_id"""
WAITING_GAP = f"""SELECT {ITEM_AND_SEARCH} FROM library_searches s
JOIN library_items i ON i.id = s.item_id
WHERE s.item_id = :item_id AND {registry.STILL_WANTED}"""
SYNCED = ("flavor", "last_sync_at", "last_full_sync_at")  # what a sync notes of itself
# an *arr sends one event per imported file: a season pack is a burst, synced 5 s after its last
WEBHOOK_SETTLE_SECONDS = 5.0
LIBRARY_EVENTS = frozenset({
    "Download", "EpisodeFileDelete", "SeriesAdd", "SeriesDelete",  # Sonarr, Whisparr v2
    "MovieAdded", "MovieDelete", "MovieFileDelete",  # Radarr, Whisparr v3
    "ArtistAdd", "ArtistDelete", "AlbumDelete",  # Lidarr (its imports are Download too)
})  # fmt: skip
HEALTH_EVENTS = frozenset({"Health", "HealthRestored"})
IMPORT_EVENT = "Download"  # every *arr's import (an upgrade too): the media servers are told
IMPORTED_FILES = ("movieFile", "episodeFile", "episodeFiles", "trackFiles", "bookFile")
IMPORT_FOLDERS = (("movie", "folderPath"), ("series", "path"), ("artist", "path"))


class ConnectorSummary(BaseModel):
    """One connector's library at a glance."""

    id: str
    name: str
    kind: str
    items: int
    missing: int
    cutoff_unmet: int
    upcoming: int = Field(
        description="monitored, without a file, not out yet (not aired, released or available): "
        "never searched, missing once out; Radarr's missing list counts them too"
    )
    completion: float
    queued: int
    searches_today: int
    outcomes_today: dict[str, int] = Field(
        description="how today's searches ended: grabbed, no_results, rate_limited, timed_out, "
        "arr_error (today: from midnight in Home Assistant's time zone)"
    )
    exhausted: int = Field(description="gaps given up after their attempts")
    last_sync: datetime | None
    sync_failures: int = Field(description="syncs failed in a row (0: the last one worked)")
    sync_error: str | None = Field(description="why the last sync failed")
    revision: int = Field(description="of the library's latest event (0: none since the start)")


class LibrarySummary(BaseModel):
    """Every *arr connector's library at a glance."""

    connectors: list[ConnectorSummary]


class Gap(BaseModel):
    """A missing, upgradable or upcoming item and where its search stands."""

    id: int
    connector_id: str
    kind: str
    reason: GapReason
    title: str
    series: str | None
    series_id: int | None = Field(description="the series' id in Haul (its boost and reset)")
    season_number: int | None
    episode_number: int | None
    released_at: datetime | None
    quality: str | None
    state: str | None
    attempts: int
    boost: int = Field(description="its own; its series' is added when searching")
    next_eligible_at: datetime | None
    outcome: str | None = Field(description="how its latest search ended")
    failure: str | None
    exhausted_at: datetime | None


class GapPage(BaseModel):
    """One page of gaps."""

    page: int
    page_size: int
    total: int
    records: list[Gap]


class Boosted(BaseModel):
    """A gap's new search priority boost."""

    item_id: int
    boost: int


class SeriesBoosted(BaseModel):
    """A series' new search priority boost, which its episodes inherit."""

    series_id: int
    boost: int


class GapsReset(BaseModel):
    """How many given-up or cooling-down gaps were set to be searched again from scratch."""

    connector_id: str
    reset: int


class SearchStarted(BaseModel):
    """A search of one gap sent now, at the user's request."""

    item_id: int
    history_id: int
    command: str


class SearchQueue(BaseModel):
    """The search queue: whether it runs, how deep it is, and what is being searched."""

    paused: bool
    depth: int
    searching: list[dict[str, Any]]
    revision: int = Field(description="of the latest queue event (0: none since the start)")


class SearchRecord(BaseModel):
    """One search command sent to an *arr and how it ended."""

    id: int
    connector_id: str
    command: str
    body: dict[str, Any]
    item_ids: list[int]
    cost: int
    status: str
    message: str | None
    started_at: datetime
    ended_at: datetime | None


class SearchPage(BaseModel):
    """One page of the searches sent, newest first."""

    page: int
    page_size: int
    total: int
    records: list[SearchRecord]


@dataclass
class Runtime:
    """Everything running for one *arr connector."""

    config: ConnectorConfig
    client: AppClient
    flavor: Flavor | None = None
    health: HealthStatus = "unknown"
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    sweep_requested: bool = False
    sweep: asyncio.Task[SweepReport] | None = None
    next_sync: datetime | None = None
    next_sweep: datetime | None = None
    task: asyncio.Task[None] | None = None
    sync_failures: int = 0
    sync_error: str | None = None

    @property
    def settings(self) -> ArrSettings:
        """The connector's library settings."""
        return cast("ArrSettings", self.config.settings)

    @property
    def usable(self) -> bool:
        """Whether searches may run: the *arr answers and reports no errors."""
        return self.flavor is not None and self.health in {"healthy", "degraded"}


class LibraryController(Controller, ConnectorOwner):
    """Owns the sonarr, radarr, whisparr and lidarr connectors."""

    feature = "library"

    def __init__(self, engine: Engine, clock: Clock | None = None) -> None:
        """Nothing runs until setup."""
        super().__init__(engine)
        self.clock = clock or Clock(engine.settings.zone)
        self.runtimes: dict[str, Runtime] = {}
        self.paused = False
        self._counts: dict[str, dict[str, int]] = {}
        self._followers: set[asyncio.Task[str]] = set()
        self.jobs = JobQueue(
            engine.database, "library", self._run_job, retry_on=(Unavailable,),
            backoff=TICK_SECONDS, max_backoff=MAX_BACKOFF, idle=MAX_BACKOFF,
        )  # fmt: skip

    async def setup(self) -> None:
        """Read the global pause, attach to the *arr connector kinds, then run stored jobs."""
        async with self.engine.database.session() as tx:
            self.paused = await ENGINE_META.get(tx, PAUSED_KEY) is not None
        await self.engine.connectors.attach(self, ARR_KINDS)
        await self.jobs.start()

    async def close(self) -> None:
        """Stop every connector's work; unsent plans go back to pending at the next start."""
        await self.jobs.close()
        for connector_id in list(self.runtimes):
            await self._stop(connector_id)
        for follower in list(self._followers):
            follower.cancel()

    async def connector_saved(self, connector: ConnectorConfig) -> None:
        """(Re)start the connector's worker with its new settings."""
        await self._stop(connector.id)
        if not connector.enabled:
            return
        runtime = Runtime(connector, AppClient(connector, session=self.engine.http.session))
        self.runtimes[connector.id] = runtime
        runtime.task = asyncio.create_task(self._work(runtime), name=f"library {connector.name}")

    async def connector_removed(self, connector_id: str) -> None:
        """Stop the worker; the mirror rows went with the connector (cascade)."""
        await self._stop(connector_id)
        self._counts.pop(connector_id, None)

    async def sync(self, connector: ConnectorConfig) -> dict[str, Any]:
        """Reconcile the whole mirror now."""
        report = await self._sync(self._runtime(connector.id), full=True)
        return report.as_event()

    async def sweep(self, connector: ConnectorConfig) -> dict[str, Any]:
        """Start a sweep now (it runs in the background at the throttle's pace)."""
        runtime = self._runtime(connector.id)
        runtime.sweep_requested = True
        runtime.wake.set()
        running = runtime.sweep is not None and not runtime.sweep.done()
        return {"status": "running" if running else "started"}

    def counts(self) -> dict[str, int]:
        """Missing, upgradable, search queue depth and searches today over all connectors."""
        totals = {"missing": 0, "upgradable": 0, "search_queue": 0, "searches_today": 0}
        for counts in self._counts.values():
            for key in totals:
                totals[key] += counts.get(key, 0)
        return totals

    def webhook_secret(self, connector_id: str) -> str | None:
        """Return the secret the *arr's webhook must carry for this connector."""
        config = self._runtime(connector_id, webhook=True).config
        secret: str | None = config.setting("webhook_secret")
        return secret

    async def receive_webhook(self, connector_id: str, body: Any) -> dict[str, Any]:  # noqa: ANN401 - any JSON
        """Sync soon after the library changed, check health after a health event."""
        runtime = self._runtime(connector_id, webhook=True)
        event = body.get("eventType") if isinstance(body, dict) else None
        if not isinstance(event, str):
            msg = "the body must be a JSON object with an eventType"
            raise InvalidInput(msg)
        action = "none"
        if event in LIBRARY_EVENTS:
            action = "sync"
            async with self.engine.database.session() as tx:
                await self.jobs.put(  # each event of a burst moves the sync after it
                    tx, f"sync:{connector_id}", "sync", {"connector_id": connector_id},
                    WEBHOOK_SETTLE_SECONDS,
                )  # fmt: skip
                for folder in imported_folders(body) if event == IMPORT_EVENT else []:
                    key = hashlib.sha256(folder.encode()).hexdigest()[:32]
                    await self.jobs.put(  # a season pack's files: one refresh of their folder
                        tx, f"refresh:{key}", "refresh",
                        {"path": folder, "since": utcnow().isoformat()}, WEBHOOK_SETTLE_SECONDS,
                    )  # fmt: skip
            self.jobs.wake()
        elif event in HEALTH_EVENTS:
            action = "health"
            runtime.wake.set()
        _LOGGER.info("webhook %r from %s: %s", event[:40], runtime.config.name, action)
        return {"ok": True, "event": event, "action": action}

    def problems(self) -> list[str]:
        """Connectors that are offline or unhealthy, and a failing job worker."""
        return [
            f"{runtime.config.name} is {runtime.health}"
            for runtime in self.runtimes.values()
            if runtime.health in {"offline", "unhealthy"}
        ] + ([self.jobs.problem] if self.jobs.problem else [])

    async def _run_job(self, job: Job) -> None:
        """Sync a mirror after its *arr said the library changed (incremental unless one is due).

        Or refresh the media servers for a folder an *arr imported into.
        """
        if job.kind == "refresh":
            since = job.payload.get("since")  # a job stored by 0.1 has none: now
            await self.engine.mediaservers.refresh(
                job.payload["path"], datetime.fromisoformat(since) if since else None
            )
            return
        runtime = self.runtimes.get(job.payload["connector_id"])
        if runtime is not None:  # else disabled or removed since
            await self._sync(runtime, full=await self._full_sync_due(runtime, self.clock.now()))

    @api_command("library/summary", path="/library/summary")
    async def summary(self) -> LibrarySummary:
        """Items, gaps, completion, queue and searches today of every *arr connector."""
        configs = await self.engine.connectors.configs(ARR_KINDS)
        return LibrarySummary(connectors=[await self._summary(config) for config in configs])

    @api_command("library/gaps", path="/gaps")
    async def gaps(  # noqa: PLR0913 - the gap browser's filters
        self,
        *,
        connector_id: str | None = None,
        kind: GapReason = "missing",
        page: int = Field(default=1, ge=1, le=LAST_PAGE),
        state: GapState | None = None,
        query: str = Field(default="", max_length=200),
        sort: GapSort = "released",
        descending: bool = True,
    ) -> GapPage:
        """Missing (monitored, out, no file), upgradable or upcoming items, 100 a page.

        Upcoming: monitored, no file, not out yet (never searched; missing once out).

        state keeps the gaps whose search is in that state (none with upcoming: 400); query
        keeps those whose title or series title contains it (any case); sort orders them (ties
        by id).
        """
        scope = [GAP_CONDITIONS[kind]]
        params: dict[str, Any] = {"now": self.clock.now(), "kind": kind}
        if connector_id:
            scope.append("i.connector_id = :connector_id")
            params["connector_id"] = connector_id
        if state is not None:
            if kind == "upcoming":
                msg = "upcoming items are never searched: they have no search state"
                raise InvalidInput(msg)
            scope.append("s.state = :state")
            params["state"] = state
        if words := query.strip().lower():
            scope.append(
                "(lower(i.title) LIKE :words ESCAPE '/' OR lower(se.title) LIKE :words ESCAPE '/')"
            )
            params["words"] = f"%{_like_escaped(words)}%"
        gaps = f"{GAPS_FROM} WHERE {' AND '.join(scope)}"
        order = f"{GAP_SORTS[sort]} {'DESC' if descending else 'ASC'} NULLS LAST, i.id"
        async with self.engine.database.session() as tx:
            total = await tx.fetch_value(f"SELECT count(*) {gaps}", params)
            rows = await tx.fetch_all(
                f"SELECT {GAP_COLUMNS} {gaps} ORDER BY {order} LIMIT :limit OFFSET :offset",
                params | {"limit": GAPS_PAGE_SIZE, "offset": (page - 1) * GAPS_PAGE_SIZE},
            )
        records = [_gap(*_item_and_search(row), row[-1], kind) for row in rows]
        return GapPage(page=page, page_size=GAPS_PAGE_SIZE, total=int(total or 0), records=records)

    @api_command("library/gaps/boost", method="POST", path="/gaps/{item_id}/boost")
    async def boost(self, item_id: int, boost: int = Field(ge=-100, le=100)) -> Boosted:
        """Raise (or lower) a gap's search priority; the highest boost is searched first.

        Refused (409) for an item not out yet (upcoming): it has no search until it is out.
        """
        await self._set_boost(
            SEARCHES, item_id, boost, f"item {item_id} is not waiting for a search"
        )
        return Boosted(item_id=item_id, boost=boost)

    @api_command("library/series/boost", method="POST", path="/library/series/{series_id}/boost")
    async def boost_series(
        self, series_id: int, boost: int = Field(ge=-100, le=100)
    ) -> SeriesBoosted:
        """Raise (or lower) the search priority of every episode of a series, present and future."""
        await self._set_boost(SERIES, series_id, boost, f"no series {series_id} in any library")
        return SeriesBoosted(series_id=series_id, boost=boost)

    async def _set_boost[Row: (Search, Series)](
        self, table: Table[Row], key: int, boost: int, missing: str
    ) -> None:
        """Set the boost of a registry entry or a series, or 404; the counts follow."""
        async with self.engine.database.session() as tx:
            row = await table.get(tx, key)
            if row is None:
                if table is SEARCHES:
                    raise await _no_gap(tx, key, self.clock.now(), missing)
                raise NotFound(missing)
            row.boost = boost
            await table.update(tx, row, "boost")
            config = await self._config(row.connector_id)
        await self._publish(config)

    @api_command("library/gaps/reset", method="POST", path="/gaps/reset")
    async def reset(
        self, connector_id: str, item_id: int | None = None, series_id: int | None = None
    ) -> GapsReset:
        """Search given-up (exhausted) or cooling-down gaps again from scratch.

        All of a connector's, a series' (series_id) or one item's (item_id).
        """
        config = await self._config(connector_id)
        async with self.engine.database.session() as tx:
            count = await registry.reset(tx, connector_id, item_id=item_id, series_id=series_id)
        scope = {"item_id": item_id, "series_id": series_id, "items": count}
        await self._publish(config, (EventName.GAPS_RESET, {"reset": scope}))
        runtime = self.runtimes.get(connector_id)
        if runtime is not None and count:
            runtime.wake.set()
        return GapsReset(connector_id=connector_id, reset=count)

    @api_command("library/gaps/search", method="POST", path="/gaps/{item_id}/search")
    async def search_now(self, item_id: int) -> SearchStarted:
        """Search one gap now, whatever its cooldown: one command, counted in today's budget.

        Refused (409) while its connector is disabled or unusable, its search is under way, or
        the item is not out yet (upcoming). The library is synced (incrementally) first: an item
        the user stopped monitoring since the last sync is refused (404), never searched.
        """
        entry, _ = await self._waiting_gap(item_id)
        runtime = self._runtime(entry.connector_id)
        if not runtime.usable or runtime.flavor is None:
            msg = f"{runtime.config.name} cannot search now ({runtime.health})"
            raise Conflict(msg)
        await self._sync(runtime, full=False)
        entry, item = await self._waiting_gap(item_id)
        batch = single_search(runtime.flavor, item_id, item.arr_id, entry.reason)
        dispatcher = self._dispatcher(runtime)
        sent = await dispatcher.send(batch, runtime.settings.limits)
        if sent.command_id is None:
            msg = f"{runtime.config.name} did not take the search ({sent.outcome})"
            raise Unavailable(msg)
        await self._dispatched(runtime.config, batch)
        follower = asyncio.create_task(
            dispatcher.follow(sent.history_id, sent.command_id, runtime.settings.limits)
        )
        self._followers.add(follower)
        follower.add_done_callback(self._followers.discard)
        return SearchStarted(item_id=item_id, history_id=sent.history_id, command=batch.command)

    async def _waiting_gap(self, item_id: int) -> tuple[Search, Item]:
        """Return a gap's registry entry and item: 404 unless still wanted, 409 while searched."""
        now = self.clock.now()
        async with self.engine.database.session() as tx:
            found = await tx.fetch_one(WAITING_GAP, {"item_id": item_id, "now": now})
            if found is None:
                msg = f"item {item_id} is not a gap waiting for a search"
                raise await _no_gap(tx, item_id, now, msg)
        item, entry = _item_and_search(found)
        if entry is None:  # the query's join: never
            raise NotFound(str(item_id))
        if entry.state in {"queued", "searching"}:
            msg = f"item {item_id} is being searched already"
            raise Conflict(msg)
        return entry, item

    async def _config(self, connector_id: str) -> ConnectorConfig:
        """Return an *arr connector's configuration, or a 404."""
        for config in await self.engine.connectors.configs(ARR_KINDS):
            if config.id == connector_id:
                return config
        msg = f"no *arr connector {connector_id}"
        raise NotFound(msg)

    @api_command("library/queue", path="/queue")
    async def queue(self) -> SearchQueue:
        """Show the search queue: paused or not, its depth, and the searches under way."""
        async with self.engine.database.session() as tx:
            depth = await _count(tx, "library_searches", "state IN :states", {"states": SEARCHABLE})
            running = await SEARCH_HISTORY.all(
                tx, "WHERE status IN :running", {"running": registry.RUNNING}
            )
            searching = [
                {"connector_id": h.connector_id, "command": h.command, "body": h.body,
                 "items": len(h.item_ids), "started_at": h.started_at.isoformat()}
                for h in running
            ]  # fmt: skip
        return SearchQueue(
            paused=self.paused, depth=depth, searching=searching,
            revision=self.engine.events.revision("queue"),
        )  # fmt: skip

    @api_command("library/queue/pause", method="POST", path="/queue/pause")
    async def pause(self) -> SearchQueue:
        """Stop sending searches on every connector (a search under way finishes)."""
        await self._set_paused(paused=True)
        return await self._publish_queue(EventName.QUEUE_PAUSED)

    @api_command("library/queue/resume", method="POST", path="/queue/resume")
    async def resume(self) -> SearchQueue:
        """Send searches again."""
        await self._set_paused(paused=False)
        for runtime in self.runtimes.values():
            runtime.wake.set()
        return await self._publish_queue(EventName.QUEUE_RESUMED)

    async def _publish_queue(self, name: EventName) -> SearchQueue:
        queue = await self.queue()
        queue.revision = self.engine.events.publish(name, queue.model_dump(mode="json")).revision
        return queue

    @api_command("library/history", path="/history")
    async def history(
        self, connector_id: str | None = None, page: int = Field(default=1, ge=1, le=LAST_PAGE)
    ) -> SearchPage:
        """List the search commands sent to the *arrs (kept 90 days), newest first, 100 a page."""
        scope = "connector_id = :connector_id" if connector_id else "1 = 1"
        params = {"connector_id": connector_id}
        async with self.engine.database.session() as tx:
            total = await _count(tx, "library_search_history", scope, params)
            rows = await SEARCH_HISTORY.all(
                tx, f"WHERE {scope} ORDER BY started_at DESC, id DESC LIMIT :limit OFFSET :offset",
                params | {"limit": GAPS_PAGE_SIZE, "offset": (page - 1) * GAPS_PAGE_SIZE},
            )  # fmt: skip
        records = [SearchRecord.model_validate(row, from_attributes=True) for row in rows]
        return SearchPage(page=page, page_size=GAPS_PAGE_SIZE, total=total, records=records)

    async def _set_paused(self, *, paused: bool) -> None:
        self.paused = paused
        async with self.engine.database.session() as tx:
            if paused:
                await ENGINE_META.upsert(tx, EngineMeta(key=PAUSED_KEY, value="1"), [])
            else:
                await ENGINE_META.delete(tx, PAUSED_KEY)

    def _runtime(self, connector_id: str, *, webhook: bool = False) -> Runtime:
        """Return the running connector; a disabled one is a 409, or a 404 to its webhook."""
        runtime = self.runtimes.get(connector_id)
        if runtime is None and webhook:
            msg = "no enabled *arr connector with this id"
            raise NotFound(msg)
        if runtime is None:
            msg = "the connector is disabled"
            raise Conflict(msg)
        return runtime

    async def _stop(self, connector_id: str) -> None:
        runtime = self.runtimes.pop(connector_id, None)
        if runtime is None:
            return
        for task in (runtime.task, runtime.sweep):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _work(self, runtime: Runtime) -> None:
        """Check health, recover, then sync and sweep on schedule until stopped."""
        await self._recover(runtime)
        while True:
            runtime.wake.clear()  # before the round: a wake during it starts another at once
            try:
                await self._tick(runtime)
            except Unavailable as err:  # the *arr, or the database's disk: said in one line
                _LOGGER.warning("%s", err)
            except Exception:  # a bug in one round must not stop the connector for good
                _LOGGER.exception("library round of %s failed", runtime.config.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(runtime.wake.wait(), TICK_SECONDS)

    async def _tick(self, runtime: Runtime) -> None:
        await self._check_health(runtime)
        if runtime.flavor is None:
            return
        now = self.clock.now()
        local = self.clock.local(now)  # cron schedules are read in Home Assistant's time zone
        settings = runtime.settings
        if runtime.next_sync is None or now >= runtime.next_sync:
            runtime.next_sync = Cron.parse(settings.sync_schedule).next_after(local)
            await self._sync(runtime, full=await self._full_sync_due(runtime, now))
        if runtime.next_sweep is None:
            runtime.next_sweep = Cron.parse(settings.sweep_schedule).next_after(local)
        elif now >= runtime.next_sweep:
            runtime.next_sweep = Cron.parse(settings.sweep_schedule).next_after(local)
            runtime.sweep_requested = runtime.sweep_requested or settings.scheduled_sweeps
        idle = runtime.sweep is None or runtime.sweep.done()
        if runtime.sweep_requested and runtime.usable and not self.paused and idle:
            runtime.sweep_requested = False
            runtime.sweep = asyncio.create_task(
                self._sweep(runtime, runtime.flavor), name=f"sweep {runtime.config.name}"
            )

    async def _check_health(self, runtime: Runtime) -> None:
        """Ping, detect the app once, read its health checks; publish a change of status."""
        client, error = runtime.client, None
        try:
            if not await client.ping():
                msg = f"{runtime.config.name}: /ping does not answer"
                raise ArrOfflineError(msg)  # noqa: TRY301 - handled with the other offline errors
            if runtime.flavor is None:
                runtime.flavor = await client.detect()
            checks = await client.health()
            errors = [c for c in checks if c.get("type") == "error"]
            warnings = [c for c in checks if c.get("type") == "warning"]
            health: HealthStatus = "unhealthy" if errors else "degraded" if warnings else "healthy"
            if errors or warnings:
                error = str((errors or warnings)[0].get("message") or "")
        except ArrOfflineError as err:
            health, error = "offline", str(err)
        except ArrError as err:
            health, error = "unhealthy", str(err)
        runtime.health = health
        await self.engine.connectors.set_health(runtime.config.id, health, error)

    async def _full_sync_due(self, runtime: Runtime, now: datetime) -> bool:
        async with self.engine.database.session() as tx:
            state = await SYNC_STATES.get(tx, runtime.config.id)
        return (
            state is None
            or state.last_full_sync_at is None
            or (now - state.last_full_sync_at >= FULL_SYNC_EVERY)
        )

    async def _sync(self, runtime: Runtime, *, full: bool) -> SyncReport:
        """Synchronise; a failure is counted and published (sync_failed), then raised."""
        try:
            report = await self._synchronise(runtime, full=full)
        except Unavailable as err:
            runtime.sync_failures += 1
            runtime.sync_error = str(err)[:500]
            failed = {"mode": "full" if full else "incremental", "error": runtime.sync_error,
                      "failures": runtime.sync_failures}  # fmt: skip
            await self._publish(runtime.config, (EventName.SYNC_FAILED, {"sync": failed}))
            raise
        return report

    async def _synchronise(self, runtime: Runtime, *, full: bool) -> SyncReport:
        """Synchronise the mirror, refresh the registry and announce acquired items."""
        if runtime.flavor is None:
            runtime.flavor = await runtime.client.detect()
        connector_id = runtime.config.id
        settings = runtime.settings
        async with runtime.lock:
            report = await LibrarySync(
                self.engine.database, runtime.client, connector_id, runtime.flavor, self.clock
            ).run(full=full)
            now = self.clock.now()
            retention = settings.exhausted_retention_days
            async with self.engine.database.session() as tx:
                await registry.refresh(tx, connector_id, now, upgrades=settings.search_upgrades)
                await registry.release_exhausted(
                    tx, connector_id, now, timedelta(days=retention) if retention else None
                )
                await registry.prune_history(tx, connector_id, now - HISTORY_KEPT)
                state = await SYNC_STATES.get(tx, connector_id) or SyncState(connector_id)
                state.flavor, state.last_sync_at = runtime.flavor, now
                if full:
                    state.last_full_sync_at = now
                await SYNC_STATES.upsert(tx, state, SYNCED)
                titles = await _titles(tx, report.acquired)
        acquired = [
            (EventName.ITEM_ACQUIRED, {"item": {"id": item_id, "title": titles.get(item_id)}})
            for item_id in report.acquired
        ]
        runtime.sync_failures, runtime.sync_error = 0, None  # the event's counts say so already
        await self._publish(
            runtime.config, *acquired, (EventName.SYNC_COMPLETED, {"sync": report.as_event()})
        )
        return report

    async def _recover(self, runtime: Runtime) -> None:
        """Put back what an interrupted sweep left, and follow commands still running."""
        async with self.engine.database.session() as tx:
            running = await registry.recover(
                tx, runtime.config.id, runtime.settings.limits, self.clock.now()
            )
        dispatcher = self._dispatcher(runtime)
        for history_id, command_id in running:
            follower = asyncio.create_task(
                dispatcher.follow(history_id, command_id, runtime.settings.limits)
            )
            self._followers.add(follower)
            follower.add_done_callback(self._followers.discard)

    def _dispatcher(self, runtime: Runtime) -> Dispatcher:
        return Dispatcher(
            self.engine.database, runtime.client, runtime.config.id, self.clock,
            on_settled=lambda settled: self._settled(runtime.config, settled),
        )  # fmt: skip

    async def _settled(self, config: ConnectorConfig, settled: Settled) -> None:
        """Publish search_completed, and search_exhausted for the gaps now left alone."""
        events: list[tuple[EventName, dict[str, Any]]] = [(EventName.SEARCH_COMPLETED,
                   {"search": {"id": settled.history_id, "outcome": settled.outcome}})]  # fmt: skip
        if settled.exhausted:
            async with self.engine.database.session() as tx:
                titles = await _titles(tx, settled.exhausted)
            items = [{"id": item_id, "title": titles.get(item_id)} for item_id in settled.exhausted]
            events.append((EventName.SEARCH_EXHAUSTED, {"items": items}))
        await self._publish(config, *events)

    async def _sweep(self, runtime: Runtime, flavor: Flavor) -> SweepReport:
        connector_id = runtime.config.id
        sweeper = Sweeper(
            self.engine.database, runtime.client, self._dispatcher(runtime), connector_id,
            flavor, self.clock, paused=lambda: self.paused or not runtime.usable,
            on_dispatch=lambda batch: self._dispatched(runtime.config, batch),
            refresh=lambda: self._sync(runtime, full=False),
        )  # fmt: skip
        await self._publish(runtime.config, (EventName.SWEEP_STARTED, {}))
        try:
            report = await sweeper.run(runtime.settings)
        except ArrError as err:
            _LOGGER.warning("sweep of %s stopped: %s", runtime.config.name, err)
            report = SweepReport(stopped="unreachable")
        await self._publish(
            runtime.config, (EventName.SWEEP_COMPLETED, {"sweep": report.as_event()})
        )
        return report

    async def _dispatched(self, config: ConnectorConfig, batch: Batch) -> None:
        search = {"command": batch.command, "body": batch.body, "items": len(batch.item_ids),
                  "cost": batch.cost, "reason": batch.reason}  # fmt: skip
        await self._publish(config, (EventName.SEARCH_DISPATCHED, {"search": search}))

    async def _publish(
        self, config: ConnectorConfig, *events: tuple[EventName, dict[str, Any]]
    ) -> None:
        """Publish library events, each with the connector's counts as they are now; keep them."""
        summary = await self._summary(config)
        self._counts[config.id] = {
            "missing": summary.missing, "upgradable": summary.cutoff_unmet,
            "search_queue": summary.queued, "searches_today": summary.searches_today,
        }  # fmt: skip
        shown = summary.model_dump(mode="json") | {"connector_id": config.id}
        for name, extra in events:
            self.engine.events.publish(name, shown | extra, config.id)

    async def _summary(self, config: ConnectorConfig) -> ConnectorSummary:
        now = self.clock.now()
        mine = "connector_id = :connector_id AND state IN :states"
        async with self.engine.database.session() as tx:
            items, wanted, missing, upgrades, upcoming = await registry.counts(tx, config.id, now)
            queued = await _count(
                tx, "library_searches", mine, {"connector_id": config.id, "states": SEARCHABLE}
            )
            exhausted = await _count(
                tx, "library_searches", mine, {"connector_id": config.id, "states": ["exhausted"]}
            )
            spent = await registry.spent(tx, config.id, now)
            outcomes = await registry.outcomes_since(tx, config.id, midnight(now, self.clock.zone))
            state = await SYNC_STATES.get(tx, config.id)
        runtime = self.runtimes.get(config.id)
        return ConnectorSummary(
            id=config.id, name=config.name, kind=config.kind, items=items, missing=missing,
            cutoff_unmet=upgrades, upcoming=upcoming,
            completion=round(1 - missing / wanted, 4) if wanted else 1.0,
            queued=queued, searches_today=spent_today(spent, now, self.clock.zone),
            outcomes_today=outcomes, exhausted=exhausted,
            last_sync=state.last_sync_at if state else None,
            sync_failures=runtime.sync_failures if runtime else 0,
            sync_error=runtime.sync_error if runtime else None,
            revision=self.engine.events.revision("library", config.id),
        )  # fmt: skip


async def _count(tx: Transaction, table: str, condition: str, params: Params) -> int:
    """Count a table's rows meeting a condition."""
    return int(await tx.fetch_value(f"SELECT count(*) FROM {table} WHERE {condition}", params))


async def _titles(tx: Transaction, item_ids: list[int]) -> dict[int, str]:
    if not item_ids:
        return {}
    rows = await tx.fetch_all(
        "SELECT id, title FROM library_items WHERE id IN :ids", {"ids": item_ids}
    )
    return {row[0]: row[1] for row in rows}


async def _no_gap(
    tx: Transaction, item_id: int, now: datetime, missing: str
) -> Conflict | NotFound:
    """Say why an item has no gap waiting for a search: not out yet (409), or missing (404)."""
    upcoming = f"SELECT i.id FROM library_items i WHERE i.id = :item_id AND {registry.UPCOMING}"
    if await tx.fetch_value(upcoming, {"item_id": item_id, "now": now}) is not None:
        msg = f"item {item_id} is not out yet (upcoming): it is searched once it is out"
        return Conflict(msg)
    return NotFound(missing)


def _like_escaped(words: str) -> str:
    """Return words as a LIKE pattern matches them literally (escape character /)."""
    return words.replace("/", "//").replace("%", "/%").replace("_", "/_")


def _item_and_search(row: Sequence[Any]) -> tuple[Item, Search | None]:
    """Read an item and its registry entry (None: it has none) from a row of ITEM_AND_SEARCH."""
    end = len(ITEMS.columns)
    search = row[end : end + len(SEARCHES.columns)]
    item = ITEMS.from_row(row[:end])
    return item, None if search[0] is None else SEARCHES.from_row(search)


def _gap(item: Item, search: Search | None, series: str | None, reason: str) -> Gap:
    return Gap(
        id=item.id, connector_id=item.connector_id, kind=item.kind, reason=reason,
        title=item.title, series=series, series_id=item.series_id,
        season_number=item.season_number, episode_number=item.episode_number,
        released_at=item.released_at, quality=item.quality,
        state=search.state if search else None, attempts=search.attempts if search else 0,
        boost=search.boost if search else 0,
        next_eligible_at=search.next_eligible_at if search else None,
        outcome=search.outcome if search else None, failure=search.failure if search else None,
        exhausted_at=search.exhausted_at if search else None,
    )  # fmt: skip


def imported_folders(body: dict[str, Any]) -> list[str]:
    """Return the folders an *arr's Download webhook says it imported into (each file's).

    Radarr `movieFile.path`, Sonarr `episodeFile(s).path`, Lidarr `trackFiles[].path`; without
    them the movie's, series' or artist's folder.
    """
    files: list[Any] = []
    for key in IMPORTED_FILES:
        value = body.get(key)
        files += value if isinstance(value, list) else [value]
    folders = [
        _folder_of(item["path"])
        for item in files
        if isinstance(item, dict) and isinstance(item.get("path"), str) and item["path"]
    ]
    if not folders:
        for owner, key in IMPORT_FOLDERS:
            found = body.get(owner)
            if isinstance(found, dict) and isinstance(found.get(key), str) and found[key]:
                folders.append(found[key])
    return list(dict.fromkeys(folders))


def _folder_of(path: str) -> str:
    """Return the folder of a file as its *arr spells it (on Windows with backslashes)."""
    windows = "\\" in path and "/" not in path
    return str((PureWindowsPath if windows else PurePosixPath)(path).parent)
