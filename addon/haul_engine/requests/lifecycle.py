"""A request's way from approved to available: one step at a time, each a durable job."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from haul_engine.arr.client import ArrError
from haul_engine.db.database import get_or_not_found
from haul_engine.db.values import utcnow
from haul_engine.errors import Conflict, InvalidInput, NotFound
from haul_engine.events import EventName
from haul_engine.mediaservers.clients import media_folder
from haul_engine.requests import candidates as offers
from haul_engine.requests import seasons
from haul_engine.requests.arr import (
    ITEM_KEYS,
    KIND_FOR_MEDIA,
    Placement,
    RequestArr,
    Wanted,
    lookup_and_add,
    route,
)
from haul_engine.requests.candidates import search_kind
from haul_engine.requests.models import (
    CANDIDATES,
    MEDIA_REQUESTS,
    REQUEST_EVENTS,
    MediaRequest,
    RequestCandidate,
    RequestEvent,
)
from haul_engine.requests.overseerr import OverseerrClient
from haul_engine.requests.seasons import aired_seasons
from haul_engine.requests.states import State, check_transition
from haul_engine.requests.views import TOP_CANDIDATES, RequestView, candidate_view, request_view
from haul_engine.torrents.views import AddOptions

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from haul_engine.connectors.kinds import ConnectorConfig
    from haul_engine.db.jobs import Job, JobQueue
    from haul_engine.db.sql import Transaction
    from haul_engine.engine import Engine
    from haul_engine.events import Event

_LOGGER = logging.getLogger(__name__)
CATEGORY = "haul-requests"
IMPORT_EVENTS = frozenset({
    "downloadFolderImported", "movieFileImported", "episodeFileImported",  # Radarr, Sonarr
    "trackFileImported", "downloadImported",  # Lidarr: per track (with its path), per download
})  # fmt: skip
IMPORT_PROBLEMS = frozenset({"importFailed", "importBlocked", "failedPending"})
# what each move publishes (a new request is received; a grab tells which release it took)
STATE_EVENTS = {
    State.APPROVED: EventName.REQUEST_APPROVED,
    State.SEARCHING: EventName.REQUEST_SEARCHING,
    State.AWAITING_SELECTION: EventName.REQUEST_AWAITING_SELECTION,
    State.DOWNLOADING: EventName.REQUEST_DOWNLOADING,
    State.IMPORTING: EventName.REQUEST_IMPORTING,
    State.DECLINED: EventName.REQUEST_DECLINED,
    State.AVAILABLE: EventName.REQUEST_AVAILABLE,
    State.FAILED: EventName.REQUEST_FAILED,
    State.CANCELLED: EventName.REQUEST_CANCELLED,
}


def step_key(request_id: int) -> str:
    """Name the job that takes a request's next step."""
    return f"step:{request_id}"


class Change:
    """A locked, transactional change to a request: moves, audit lines, events, next step.

    What it changes is written when it ends (`end`), after its calls to the arrs: a write holds
    SQLite's one write lock until the commit, and an arr grabbing a release calls back into the
    engine's qBittorrent API, which writes too. So the request's columns are changed through
    `update`, candidates fail through `fail` and the next step is planned by `schedule`.
    """

    def __init__(self, tx: Transaction, row: MediaRequest, jobs: JobQueue) -> None:
        """Collect events to publish once the change is committed."""
        self.tx = tx
        self.row = row
        self.jobs = jobs
        self.events: list[tuple[EventName, dict[str, Any]]] = []
        self.memory: dict[str, Any] = {}
        # what the commands answer: the request as committed, once described before the commit
        self.view = request_view(row, [], 0)
        self._columns: set[str] = set()  # the request's columns changed
        self._audit: list[RequestEvent] = []
        self._failed: list[RequestCandidate] = []
        self._step: tuple[float, dict[str, Any]] | None = None
        self._unscheduled = False

    def update(self, **columns: Any) -> None:  # noqa: ANN401 - column values
        """Change columns of the request (written when the change ends)."""
        for column, value in columns.items():
            setattr(self.row, column, value)
        self._columns.update(columns)

    def mark(self, numbers: list[int | None] | list[int], state: str) -> None:
        """Record where these seasons of a series request stand (other requests have none)."""
        if self.row.media_type == "tv":
            self.update(season_states=seasons.marked(self.row, numbers, state))

    def move(self, target: State, actor: str, origin: str, message: str = "") -> None:
        """Move to target if the lifecycle allows it, recording who, when and from where."""
        row = self.row
        check_transition(row.id, row.state, target)
        now = utcnow()
        self._audit.append(
            RequestEvent(
                request_id=row.id,
                from_state=row.state,
                to_state=target,
                actor=actor,
                origin=origin,
                message=message,
                at=now,
            )
        )
        _LOGGER.info("request %s: %s -> %s (%s via %s)", row.id, row.state, target, actor, origin)
        reason = message if target in {State.FAILED, State.DECLINED} else None
        self.update(state=target, updated_at=now, step_started_at=now, reason=reason)
        if target in STATE_EVENTS:
            self.emit(STATE_EVENTS[target], message=message)

    def fail(self, candidate: RequestCandidate, why: str) -> None:
        """Mark a candidate failed (written when the change ends)."""
        candidate.failed = why
        self._failed.append(candidate)

    def emit(self, name: EventName, **extra: Any) -> None:  # noqa: ANN401 - event fields
        """Publish an event about this request after commit, with what else it tells."""
        self.events.append((name, extra))

    def schedule(self, seconds: float, **memory: Any) -> None:  # noqa: ANN401 - JSON values
        """Run this request's next step after seconds, remembering memory until then."""
        self._step, self._unscheduled = (seconds, {"id": self.row.id, **memory}), False

    def unschedule(self) -> None:
        """Plan no further step (the request was declined or cancelled)."""
        self._step, self._unscheduled = None, True

    async def end(self) -> None:
        """Write what the change did, then show the request as changed (before the commit)."""
        tx, row = self.tx, self.row
        if self._columns:
            await MEDIA_REQUESTS.update(tx, row, *sorted(self._columns))
        for line in self._audit:
            await REQUEST_EVENTS.insert(tx, line)
        for candidate in self._failed:
            await CANDIDATES.update(tx, candidate, "failed")
        if self._step is not None:
            seconds, payload = self._step
            await self.jobs.put(tx, step_key(row.id), "step", payload, seconds)
        elif self._unscheduled:
            await self.jobs.drop(tx, step_key(row.id))
        top = await top_candidates(tx, [row.id])
        self.view = request_view(row, top[row.id], 0)  # revised when published


class Lifecycle:
    """Moves requests along: the steps the job worker runs, and the moves the commands make."""

    def __init__(
        self, engine: Engine, jobs: JobQueue, overseerrs: Mapping[str, ConnectorConfig]
    ) -> None:
        """Take steps as jobs of `jobs`; `overseerrs` are the request connectors by id."""
        self.engine = engine
        self.jobs = jobs
        self.overseerrs = overseerrs
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def step(self, job: Job) -> None:
        """Advance a request by one step of its lifecycle (a request deleted since is forgotten)."""
        with contextlib.suppress(NotFound):
            async with self.change(int(job.payload["id"])) as change:
                change.memory = job.payload
                await self._advance(change)

    async def follow_torrent(self, event: Event) -> None:
        """Take the step that waits on a torrent now rather than at the next poll.

        A torrent added may be the download a grab through the arr started; a torrent completed
        or removed ends a request's download.
        """
        if event.name == EventName.TORRENT_ADDED:
            waiting = "SELECT id FROM media_requests WHERE state = :state"
            params: dict[str, Any] = {"state": State.GRABBED}
        else:
            waiting = "SELECT id FROM media_requests WHERE state = :state AND download_id = :hash"
            info_hash = str(event.data.get("hash") or "").lower()
            params = {"state": State.DOWNLOADING, "hash": info_hash}
        async with self.engine.database.session() as tx:
            found = await tx.fetch_all(waiting, params)
        self.jobs.hurry(step_key(request_id) for (request_id,) in found)

    async def _advance(self, change: Change) -> None:
        """Do what the current state waits for, and move on when it is done."""
        steps = {
            State.APPROVED: self._find_in_arr,
            State.SEARCHING: self._search,
            State.AWAITING_SELECTION: self._auto_pick_when_due,
            State.GRABBED: self._find_download,
            State.DOWNLOADING: self._follow_download,
            State.IMPORTING: self._follow_import,
        }
        step = steps.get(State(change.row.state))  # the final states wait for nothing
        if step is not None:
            await step(change)

    # ----- approved → searching

    async def _find_in_arr(self, change: Change) -> None:
        """Find the title in the arr serving the request, else add it there; without one go on.

        Added where Overseerr asked (its profile, folder, language, tags); while it cannot be
        added yet (Overseerr adding it, the lookup not knowing it), wait (bounded).
        """
        row = change.row
        try:
            arr = await self.arr(row)
        except Conflict as err:
            change.move(State.FAILED, "haul", "worker", str(err))
            return
        if arr is None:
            change.move(State.SEARCHING, "haul", "worker", "no arr: searching the indexers")
            change.schedule(0)
            return
        change.update(arr_connector_id=arr.config.id)
        item: dict[str, Any] | None = None
        refused = ""
        try:  # the arr's item, found or added
            item = await self._add_to_arr(arr, row)
        except (ArrError, NotFound, InvalidInput) as err:
            # Overseerr may be adding it right now, or the lookup may not know it yet
            _LOGGER.info("request %s: not added to %s yet: %s", row.id, arr.config.name, err)
            refused = str(err)
        if item is not None:
            change.update(
                arr_item_id=int(item["id"]),
                title=row.title or str(item.get("title") or ""),
                year=row.year or item.get("year") or None,
            )
            if row.media_type == "tv":
                # none named: every monitored season that has aired (the arr says nothing: 1)
                change.update(seasons=row.seasons or aired_seasons(item) or [1])
                change.mark(row.seasons, State.SEARCHING)
            change.move(State.SEARCHING, "haul", "worker", f"found in {arr.config.name}")
            change.schedule(0)
        elif self._overdue(row, self.engine.settings.request_arr_wait_minutes):
            why = f" (adding it: {refused})" if refused else ""
            message = f"the title never appeared in {arr.config.name}{why}"
            change.move(State.FAILED, "haul", "worker", message)
        else:
            change.schedule(self.engine.settings.request_poll_interval)

    async def _add_to_arr(self, arr: RequestArr, row: MediaRequest) -> dict[str, Any]:
        """Add the title with the request's profile, folder, language and tags."""
        placement = Placement(
            quality_profile_id=row.quality_profile_id, root_folder=row.root_folder,
            language_profile_id=row.language_profile_id, tags=row.tags or [],
        )  # fmt: skip
        return await lookup_and_add(arr, wanted(row), placement)

    # ----- searching → awaiting_selection

    async def _search(self, change: Change) -> None:
        """Run the arr's interactive search, Haul's as fallback; retry on a schedule."""
        row = change.row
        found = await self._arr_candidates(row) or await self._indexer_candidates(row)
        failed = {c.title for c in await candidate_rows(change.tx, row.id) if c.failed}
        found = [candidate for candidate in found if candidate.title not in failed]
        if not found:
            change.update(search_attempts=row.search_attempts + 1)
            settings = self.engine.settings
            if row.search_attempts >= settings.request_search_attempts:
                change.move(
                    State.FAILED,
                    "haul",
                    "worker",
                    f"nothing found after {row.search_attempts} searches",
                )
            else:
                change.schedule(settings.request_search_retry_minutes * 60)
            return
        # the offer is replaced now (no arr is called after it in this change)
        await change.tx.execute(
            "DELETE FROM request_candidates WHERE request_id = :id AND failed IS NULL",
            {"id": row.id},
        )
        for candidate in found:
            candidate.request_id = row.id
            await CANDIDATES.insert(change.tx, candidate)
        await self._offer(change, found, "worker")

    async def _offer(
        self,
        change: Change,
        found: list[RequestCandidate],
        origin: str,
        actor: str = "haul",
        done: str = "",
    ) -> None:
        """Enter awaiting_selection (its event shows the top candidates); plan the auto-pick.

        A series' seasons with candidates await a pick; those without wait for a search.
        """
        row = change.row
        offered = {candidate.season for candidate in found}
        waiting = seasons.pending(row)
        change.mark([n for n in waiting if n not in offered], State.SEARCHING)
        change.mark([n for n in waiting if n in offered], State.AWAITING_SELECTION)
        message = f"{done}; " if done else ""
        change.move(State.AWAITING_SELECTION, actor, origin, f"{message}{len(found)} candidates")
        hours = self.engine.options.current.auto_pick_hours
        if self._auto_pick_now(row):
            change.schedule(0)
        elif hours > 0:
            change.schedule(hours * 3600)

    async def _arr_candidates(self, row: MediaRequest) -> list[RequestCandidate]:
        arr = await self.arr(row)
        if arr is None or row.arr_item_id is None:
            return []
        releases: list[dict[str, Any]] = []
        searched: list[int | None] = [*seasons.pending(row)] or [None]
        for season in searched:
            releases += await arr.releases(row.media_type, row.arr_item_id, season)
        found = await offers.from_arr(
            releases, self.engine.releases, row.media_type, await self._ranking_profile(row)
        )
        return seasons.packs_first(found) if row.media_type == "tv" else found

    async def _indexer_candidates(self, row: MediaRequest) -> list[RequestCandidate]:
        if not self.engine.indexers.enabled_clients():
            return []
        answer = await self.engine.releases.search(
            query=row.title if not (row.tmdb_id or row.tvdb_id) else "",
            type=search_kind(row.media_type),
            tmdb_id=row.tmdb_id if row.media_type == "movie" else None,
            tvdb_id=row.tvdb_id if row.media_type == "tv" else None,
            season=row.seasons[0] if len(row.seasons) == 1 else None,
            year=row.year,
            profile=await self._ranking_profile(row),
        )
        return offers.from_ranking(answer.results)

    async def _ranking_profile(self, row: MediaRequest) -> str | None:
        """Name the request's Overseerr's ranking profile; None (the default) when it is gone."""
        config = self.overseerrs.get(row.connector_id or "")
        profile: str | None = config.setting("ranking_profile") if config is not None else None
        if profile is None:
            return None
        try:
            return (await self.engine.releases.profiles.get(profile)).id
        except NotFound:
            _LOGGER.warning(
                "request %s: ranking profile %r is gone; ranking with the default", row.id, profile
            )
            return None

    # ----- awaiting_selection → grabbed

    def _auto_pick_now(self, row: MediaRequest) -> bool:
        config = self.overseerrs.get(row.connector_id or "")
        if config is None or not row.requested_by:
            return False
        chosen = {user.casefold() for user in config.setting("auto_pick_users")}
        return row.requested_by.casefold() in chosen

    async def _auto_pick_when_due(self, change: Change) -> None:
        hours = self.engine.options.current.auto_pick_hours
        if self._auto_pick_now(change.row):
            await self._auto_pick(change, "auto-pick for this requester")
        elif hours <= 0:
            return
        elif self._overdue(change.row, hours * 60):
            await self._auto_pick(change, f"no choice within {hours:g} h")
        else:
            waited = (utcnow() - change.row.step_started_at).total_seconds()
            change.schedule(max(hours * 3600 - waited, 0))

    async def _auto_pick(self, change: Change, why: str) -> None:
        found = await candidate_rows(change.tx, change.row.id)
        best = next((c for c in found if offers.acceptable(c)), None)
        if best is None:
            _LOGGER.info("request %s: no acceptable candidate to auto-pick", change.row.id)
            return
        await self.grab(change, best, "auto-pick", "worker")
        _LOGGER.info("request %s: auto-picked %s (%s)", change.row.id, best.title, why)

    async def grab(
        self, change: Change, candidate: RequestCandidate, actor: str, origin: str
    ) -> None:
        """Grab through the arr (its search, or a push), else into Haul's own client."""
        row = change.row
        download_id = None
        arr = await self.arr(row)
        if arr is not None and candidate.origin == "arr" and candidate.indexer_id is not None:
            await self._grab_from_arr(arr, row, candidate)
        elif arr is not None:
            await arr.push(candidate.title, await self._link(candidate), utcnow().isoformat())
        else:
            added = await self.engine.torrents.add_torrent(
                await self._link(candidate),
                AddOptions(category=CATEGORY, request_id=str(row.id)),
            )
            download_id = added.hash
        change.update(download_id=download_id, selected_candidate_id=candidate.id)
        change.mark([candidate.season], State.GRABBED)
        change.move(State.GRABBED, actor, origin, candidate.title)
        change.emit(
            EventName.RELEASE_GRABBED, candidate=candidate_view(candidate).model_dump(mode="json")
        )
        change.schedule(0)

    async def _grab_from_arr(
        self, arr: RequestArr, row: MediaRequest, candidate: RequestCandidate
    ) -> None:
        """POST release; when the arr's 30-minute search cache expired, search again and retry."""
        indexer_id = candidate.indexer_id or 0
        try:
            await arr.grab(candidate.guid, indexer_id)
        except ArrError as err:
            if row.arr_item_id is None or "unreachable" in str(err):
                raise
            await arr.releases(row.media_type, row.arr_item_id, candidate.season)
            await arr.grab(candidate.guid, indexer_id)

    async def _link(self, candidate: RequestCandidate) -> str:
        """Return a magnet (or .torrent URL) for a candidate from Haul's own search."""
        if candidate.magnet:
            return candidate.magnet
        if candidate.result_key:
            grab = await self.engine.releases.resolve_result(candidate.result_key)
            if grab.magnet:
                return grab.magnet
        if candidate.download_url:
            return candidate.download_url
        msg = f"candidate {candidate.id} has no link (search again)"
        raise Conflict(msg)

    # ----- grabbed → downloading → importing → available

    async def _find_download(self, change: Change) -> None:
        """Learn the arr's download id (the info-hash) from its queue, else from its history."""
        row = change.row
        if row.download_id is None:
            record = await self._queue_record(row)
            download_id = record and str(record["downloadId"])
            # a download complete at once (Haul had it) is imported and gone before the first look
            download_id = download_id or await self._grabbed_download(change)
            if not download_id:
                if self._overdue(row, self.engine.settings.request_arr_wait_minutes):
                    await self.drop_candidate(change, "the arr never started the download")
                else:
                    change.schedule(self.engine.settings.request_poll_interval)
                return
            change.update(download_id=download_id.lower())
        change.mark([await self._season(change)], State.DOWNLOADING)
        change.move(State.DOWNLOADING, "haul", "worker", row.download_id or "")
        change.schedule(0)

    async def _grabbed_download(self, change: Change) -> str | None:
        """Find the arr's grab of the chosen release in its history: its download id, or None."""
        row = change.row
        arr = await self.arr(row)
        chosen = await CANDIDATES.get(change.tx, row.selected_candidate_id or 0)
        if arr is None or chosen is None:
            return None
        if chosen.info_hash:
            history = await arr.history(chosen.info_hash.upper())
            grabbed = any(h.get("eventType") == "grabbed" for h in history)
            return chosen.info_hash if grabbed else None
        # a release known by its title only: the grab of this item under that title since the pick
        key = ITEM_KEYS[row.media_type]
        since = row.step_started_at - timedelta(minutes=1)  # the arr's clock may lag
        return next(
            (
                str(h["downloadId"])
                for h in await arr.history_since(since)
                if h.get("eventType") == "grabbed"
                and h.get(key) == row.arr_item_id
                and h.get("sourceTitle") == chosen.title
                and h.get("downloadId")
            ),
            None,
        )

    async def _follow_download(self, change: Change) -> None:
        """Watch the torrent in Haul's client (or the arr's queue) until it completes or stalls."""
        row = change.row
        download_id = row.download_id or ""
        progress, done = await self._progress(row, download_id)
        if done:
            change.emit(EventName.DOWNLOAD_COMPLETED, download_id=download_id)
            if row.arr_connector_id is None:
                content = self._content_path(download_id)
                await self._finish(change, content, content, None)
                return
            change.mark([await self._season(change)], State.IMPORTING)
            change.move(State.IMPORTING, "haul", "worker")
            change.schedule(0)
            return
        poll = self.engine.settings.request_poll_interval
        now = utcnow().timestamp()
        best = float(change.memory.get("progress", -1.0))
        # stalled time counts checks while the engine runs, not the hours it was down
        waited = min(now - float(change.memory.get("checked", now)), 2 * poll)
        stalled = float(change.memory.get("stalled", 0.0)) + waited if progress <= best else 0.0
        if stalled > self.engine.settings.request_stall_minutes * 60:
            await self.drop_candidate(change, "the download stalled")
            return
        change.schedule(poll, progress=max(progress, best), stalled=stalled, checked=now)

    async def _progress(self, row: MediaRequest, download_id: str) -> tuple[float, bool]:
        with contextlib.suppress(NotFound):
            view = self.engine.torrents.view(download_id)
            return view.status.progress, view.status.finished
        record = await self._queue_record(row)
        if record is None:
            return 1.0, True  # gone from the queue: the arr took it over
        size = float(record.get("size") or 0)
        left = float(record.get("sizeleft") or 0)
        progress = 1.0 - left / size if size else 0.0
        return progress, record.get("status") == "completed" or (size > 0 and left <= 0)

    async def _follow_import(self, change: Change) -> None:
        """Wait for the arr's import (history), report its import errors, then finish."""
        row = change.row
        arr = await self.arr(row)
        if arr is None:
            change.move(State.FAILED, "haul", "worker", "the arr connector is gone")
            return
        history = await arr.history((row.download_id or "").upper())
        imports = [h for h in history if h.get("eventType") in IMPORT_EVENTS]
        # the record that names the imported file, when there is one
        imported = next((h for h in imports if (h.get("data") or {}).get("importedPath")), None)
        imported = imported or next(iter(imports), None)
        if imported is not None:
            data = imported.get("data") or {}
            path = str(data.get("importedPath") or data.get("path") or "")
            if path and imported.get("eventType") == "trackFileImported":
                path = str(PurePath(path).parent)  # the album's folder holds every track
            change.emit(EventName.IMPORT_COMPLETED, path=path)
            # its folder, as the *arr's webhook has it scanned: one scan stands for both
            await self._finish(change, path, media_folder(path), _imported_at(imported))
            return
        if any(h.get("eventType") == "downloadFailed" for h in history):
            await self.drop_candidate(change, "the arr reported the download failed")
            return
        record = await self._queue_record(row)
        if record is not None and record.get("trackedDownloadState") in IMPORT_PROBLEMS:
            change.move(State.FAILED, "haul", "worker", "import failed: " + _arr_messages(record))
            return
        if self._overdue(row, self.engine.settings.request_arr_wait_minutes):
            change.move(State.FAILED, "haul", "worker", "the arr did not import the download")
            return
        change.schedule(self.engine.settings.request_poll_interval)

    async def _finish(
        self, change: Change, path: str, scan: str, imported_at: datetime | None
    ) -> None:
        """Refresh the media servers on the imported path (scan), then mark available.

        A scan since the import (the *arr's webhook's) stands for the refresh. A series with
        seasons still to come goes on with them instead.
        """
        change.update(imported_path=path or None)
        if path:
            outcomes = await self.engine.mediaservers.refresh(scan, imported_at)
            refreshed = ", ".join(f"{o.name}: {o.mode}" for o in outcomes if o.ok)
        else:
            refreshed = ""
        if change.row.media_type == "tv" and await self._next_season(change, refreshed):
            return
        await self._run_availability_job(change.row)
        change.move(State.AVAILABLE, "haul", "worker", refreshed)

    async def _next_season(self, change: Change, refreshed: str) -> bool:
        """Record the season just imported; go on with the seasons left (False: none left).

        A season pack brings its season in; a single episode does once the arr has every aired
        episode of the season, else the season waits for its other episodes.
        """
        row, tx = change.row, change.tx
        chosen = await CANDIDATES.get(tx, row.selected_candidate_id or 0)
        if chosen is None or chosen.season is None:
            return False
        complete = True  # a season pack (the arr imports its episodes one by one: trust it)
        if chosen.full_season is False:  # one episode: in once the arr has every aired one
            arr = await self.arr(row)
            series = await arr.find(wanted(row)) if arr is not None else None
            complete = bool(series and seasons.season_complete(series, chosen.season))
        if complete:
            change.mark([chosen.season], seasons.AVAILABLE)
        if not seasons.pending(row):
            return False  # the request ends, its pick and candidates shown as they are
        # the offer changes now (no arr is called after it in this change)
        if complete:  # the season's candidates leave the offer, else the episode imported
            await tx.execute(
                "DELETE FROM request_candidates"
                " WHERE request_id = :id AND season = :season AND failed IS NULL",
                {"id": row.id, "season": chosen.season},
            )
        else:
            await CANDIDATES.delete(tx, chosen.id)
        change.update(download_id=None, selected_candidate_id=None, search_attempts=0)
        what = f"season {chosen.season} {'is in' if complete else 'has a new episode'}"
        note = f"{what} ({refreshed})" if refreshed else what
        left = [c for c in await candidate_rows(tx, row.id) if not c.failed]
        if left:
            await self._offer(change, left, "worker", done=note)
            return True
        change.mark(seasons.pending(row), State.SEARCHING)
        change.move(State.SEARCHING, "haul", "worker", f"{note}; searching the seasons left")
        change.schedule(0)
        return True

    async def _season(self, change: Change) -> int | None:
        """Return the season of the release being fetched, if it is a series'."""
        chosen = await CANDIDATES.get(change.tx, change.row.selected_candidate_id or 0)
        return chosen.season if chosen is not None else None

    async def _run_availability_job(self, row: MediaRequest) -> None:
        """Let Seerr notice the new file now rather than at its next scheduled scan."""
        config = self.overseerrs.get(row.connector_id or "")
        job = config.setting("availability_job") if config is not None else ""
        if config is None or not job:
            return
        client = OverseerrClient(config, session=self.engine.http.session)
        try:
            await client.run_job(job)
        except ArrError as err:
            _LOGGER.warning("request %s: %s job not started: %s", row.id, job, err)

    async def drop_candidate(
        self, change: Change, why: str, actor: str = "haul", origin: str = "worker"
    ) -> None:
        """Blocklist the chosen release in the arr and offer the remaining candidates."""
        row = change.row
        record = await self._queue_record(row) if row.arr_connector_id else None
        arr = await self.arr(row)
        if record is not None and arr is not None:
            await arr.blocklist(int(record["id"]))
        if arr is None and row.download_id:
            with contextlib.suppress(NotFound):
                await self.engine.torrents.remove([row.download_id], delete_files=True)
        chosen = await CANDIDATES.get(change.tx, row.selected_candidate_id or 0)
        if chosen is not None:
            change.fail(chosen, why)
            change.mark([chosen.season], State.AWAITING_SELECTION)
        change.update(download_id=None, selected_candidate_id=None)
        open_ones = await candidate_rows(change.tx, row.id)  # the failure is written at the end
        left = [c for c in open_ones if not c.failed and (chosen is None or c.id != chosen.id)]
        if not left:
            change.move(State.FAILED, actor, origin, f"{why}; no candidate left")
            return
        await self._offer(change, left, origin, actor)

    async def _queue_record(self, row: MediaRequest) -> dict[str, Any] | None:
        """Find the arr's queue record of this request's download (by id, else by item)."""
        arr = await self.arr(row)
        if arr is None:
            return None
        records = await arr.queue_records()
        key = ITEM_KEYS[row.media_type]
        if row.download_id:
            return next(
                (r for r in records if str(r.get("downloadId", "")).lower() == row.download_id),
                None,
            )
        return next((r for r in records if r.get(key) == row.arr_item_id), None)

    def _content_path(self, download_id: str) -> str:
        with contextlib.suppress(NotFound):
            return self.engine.torrents.view(download_id).content_path
        return ""

    async def route(
        self,
        media_type: str,
        connector_id: str | None = None,
        *,
        is4k: bool = False,
        server_id: int | None = None,
    ) -> RequestArr | None:
        """Open a client of the arr that serves such a request (see `arr.route`); None: none."""
        configs = await self.engine.connectors.configs({KIND_FOR_MEDIA.get(media_type, "")})
        chosen = route(
            configs, media_type, connector_id=connector_id, is4k=is4k, server_id=server_id
        )
        return RequestArr(chosen, session=self.engine.http.session) if chosen is not None else None

    async def arr(self, row: MediaRequest) -> RequestArr | None:
        """Open a client of the request's arr: the one it is bound to, else the one serving it."""
        return await self.route(
            row.media_type, row.arr_connector_id, is4k=bool(row.is4k), server_id=row.arr_server_id
        )

    def _overdue(self, row: MediaRequest, minutes: float) -> bool:
        return utcnow() - row.step_started_at > timedelta(minutes=minutes)

    @contextlib.asynccontextmanager
    async def change(self, request_id: int) -> AsyncIterator[Change]:
        """Lock the request, change it in one transaction, then publish and wake the worker.

        The change's view (what the commands answer) is the request as committed.
        """
        async with self._locks[request_id]:
            async with self.engine.database.session() as tx:
                # writes wait for the end: the arrs call back into the engine while we wait
                change = Change(tx, await request_row(tx, request_id), self.jobs)
                yield change
                await change.end()
            self.publish(change)
        self.jobs.wake()

    async def views(self, tx: Transaction, rows: list[MediaRequest]) -> list[RequestView]:
        """Show requests with their best candidates and the revisions of their latest events."""
        top = await top_candidates(tx, [row.id for row in rows])
        revision = self.engine.events.revision
        return [request_view(row, top[row.id], revision("request", row.id)) for row in rows]

    def publish(self, change: Change) -> RequestView:
        """Publish the events of a committed change, each with the request's view; return it."""
        view, request_id = change.view, change.row.id
        shown = view.model_dump(mode="json")
        view.revision = self.engine.events.revision("request", request_id)
        for name, extra in change.events:
            view.revision = self.engine.events.publish(name, shown | extra, request_id).revision
        return view


def wanted(row: MediaRequest) -> Wanted:
    """Name the title a request asks for by its ids (the lifecycle looks up nothing by name)."""
    return Wanted(
        media_type=row.media_type, tmdb_id=row.tmdb_id, tvdb_id=row.tvdb_id,
        foreign_id=row.foreign_id, seasons=row.seasons,
    )  # fmt: skip


def _arr_messages(record: dict[str, Any]) -> str:
    """Quote the arr's own words about a download's problem."""
    lines = [
        message
        for status in record.get("statusMessages") or []
        for message in status.get("messages") or [status.get("title", "")]
        if message
    ]
    return "; ".join(lines) or str(record.get("errorMessage") or record.get("status") or "unknown")


async def request_row(tx: Transaction, request_id: int) -> MediaRequest:
    """Load a request, or raise NotFound naming it."""
    return await get_or_not_found(
        MEDIA_REQUESTS, tx, request_id, f"no request with id {request_id}"
    )


_COLUMNS = ", ".join(CANDIDATES.columns)
# each request's open candidates numbered by position, in one query
_TOP_CANDIDATES = (
    f"SELECT {_COLUMNS} FROM (SELECT {_COLUMNS},"
    " row_number() OVER (PARTITION BY request_id ORDER BY position) AS place"
    " FROM request_candidates WHERE request_id IN :ids AND failed IS NULL) AS ranked"
    " WHERE place <= :top ORDER BY position"
)


async def top_candidates(
    tx: Transaction, request_ids: list[int]
) -> defaultdict[int, list[RequestCandidate]]:
    """Load the best candidates that did not fail of each request, by position (one query)."""
    found: defaultdict[int, list[RequestCandidate]] = defaultdict(list)
    rows = await tx.fetch_all(_TOP_CANDIDATES, {"ids": request_ids, "top": TOP_CANDIDATES})
    for row in map(CANDIDATES.from_row, rows):
        found[row.request_id].append(row)
    return found


async def candidate_rows(tx: Transaction, request_id: int) -> list[RequestCandidate]:
    """Load a request's candidates: the live ones by position, then the failed ones."""
    return await CANDIDATES.all(
        tx, "WHERE request_id = :id ORDER BY failed IS NOT NULL, position", {"id": request_id}
    )


def _imported_at(record: dict[str, Any]) -> datetime | None:
    """Return when an *arr's history record says it imported (None: unknown, taken as now)."""
    with contextlib.suppress(TypeError, ValueError):
        when = datetime.fromisoformat(str(record.get("date")))
        return when if when.tzinfo else when.replace(tzinfo=UTC)
    return None
