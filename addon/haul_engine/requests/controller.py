"""RequestsController: the request gate's commands, connectors and job queue.

The work is done by the rooms it wires together: `intake.Intake` (requests coming in),
`lifecycle.Lifecycle` (each request's steps) and a `db.jobs.JobQueue` (what is left to do).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated, Any, Literal

import aiohttp
from pydantic import BaseModel, Field

from haul_engine.commands import api_command
from haul_engine.connectors.controller import ConnectorOwner
from haul_engine.controller import Controller
from haul_engine.db.jobs import Job, JobQueue
from haul_engine.errors import Conflict, EngineError, NotFound
from haul_engine.events import SUBJECTS, EventName
from haul_engine.requests.arr import KIND_FOR_MEDIA, Placement, RequestArr, Wanted
from haul_engine.requests.intake import Intake
from haul_engine.requests.lifecycle import Lifecycle, candidate_rows, request_row
from haul_engine.requests.models import CANDIDATES, MEDIA_REQUESTS, REQUEST_EVENTS, RequestCandidate
from haul_engine.requests.overseerr import parse_webhook
from haul_engine.requests.states import FINAL, State, check_transition
from haul_engine.requests.views import RequestDetail, RequestView, detail_view

if TYPE_CHECKING:
    from collections.abc import Callable

    from haul_engine.connectors.kinds import ConnectorConfig
    from haul_engine.db.sql import Transaction
    from haul_engine.engine import Engine
    from haul_engine.events import Event

_LOGGER = logging.getLogger(__name__)
MAX_BACKOFF = 300.0
RETRY_ON = (EngineError, aiohttp.ClientError, TimeoutError, KeyError, ValueError)
# what the steps of grabbed and downloading requests wait for
TORRENT_NEWS = (EventName.TORRENT_ADDED, EventName.TORRENT_COMPLETED, EventName.TORRENT_REMOVED)
REQUEST_NEWS = tuple(name for name, kind in SUBJECTS.items() if kind == "request")
PAGE_SIZE = 100
MediaType = Literal["movie", "tv", "album", "artist"]
# a MusicBrainz id (Lidarr's foreignAlbumId / foreignArtistId)
MusicBrainzId = Annotated[str, Field(pattern=r"^[0-9A-Za-z-]{1,64}$")]
Actor = Annotated[str, Field(min_length=1, max_length=200)]
SeasonNumber = Annotated[int, Field(ge=0, le=1000)]
GRABBED_STATES = (State.GRABBED, State.DOWNLOADING, State.IMPORTING)
ConnectorId = Annotated[str, Field(min_length=1, max_length=32)]


class ArrChoice(BaseModel):
    """One of an arr's quality profiles or root folders: its id (a folder's is its path), name."""

    id: str
    name: str


class RequestsController(Controller, ConnectorOwner):
    """The request gate."""

    feature = "requests"

    def __init__(self, engine: Engine) -> None:
        """No Overseerr connectors and no worker until setup."""
        super().__init__(engine)
        self.overseerrs: dict[str, ConnectorConfig] = {}
        poll = engine.settings.request_poll_interval
        self.jobs = JobQueue(
            engine.database, "request", self._run_job, retry_on=RETRY_ON, backoff=poll,
            max_backoff=MAX_BACKOFF, idle=poll * 20,
        )  # fmt: skip
        self.lifecycle = Lifecycle(engine, self.jobs, self.overseerrs)
        self.intake = Intake(engine, self.jobs, self.lifecycle, self.overseerrs)
        self.open_states: dict[int, str] = {}  # the requests under way: id -> state
        self._unsubscribe: list[Callable[[], None]] = []

    async def setup(self) -> None:
        """Count the open requests, take the overseerr connectors, start the worker, follow.

        The worker resumes stored jobs; a download's end moves its request at once, not at the
        next poll; the counts follow the requests' own events.
        """
        async with self.engine.database.session() as tx:
            found = await tx.fetch_all(
                "SELECT id, state FROM media_requests WHERE state NOT IN :final",
                {"final": sorted(FINAL)},
            )
        self.open_states = {row[0]: row[1] for row in found}
        events = self.engine.events
        self._unsubscribe = [
            events.subscribe(self._count, REQUEST_NEWS),
            events.subscribe(self.lifecycle.follow_torrent, TORRENT_NEWS),
        ]
        await self.engine.connectors.attach(self, {"overseerr"})
        await self.jobs.start()

    async def close(self) -> None:
        """Stop following; unfinished jobs stay in the table for the next start."""
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        await self.jobs.close()

    def _count(self, event: Event) -> None:
        """Keep the state of each open request, from the requests' events."""
        request_id, state = event.data["id"], event.data["state"]
        if state in FINAL:
            self.open_states.pop(request_id, None)
        else:
            self.open_states[request_id] = state

    def counts(self) -> dict[str, int]:
        """Count the requests waiting for approval and for a release to be picked."""
        states = list(self.open_states.values())
        return {
            "requests_pending": states.count(State.PENDING),
            "requests_awaiting_selection": states.count(State.AWAITING_SELECTION),
        }

    async def connector_saved(self, connector: ConnectorConfig) -> None:
        """Remember the connector and read its open requests back, in case Haul missed some."""
        self.overseerrs[connector.id] = connector
        if connector.enabled and connector.setting("reconcile"):
            await self.intake.queue_reconcile(connector.id)

    async def connector_removed(self, connector_id: str) -> None:
        """Forget the connector; its requests stay."""
        self.overseerrs.pop(connector_id, None)

    def problems(self) -> list[str]:
        """Report the last failure of the job worker, if it keeps failing."""
        return [self.jobs.problem] if self.jobs.problem else []

    def webhook_secret(self, connector_id: str) -> str | None:
        """Return the secret Overseerr's webhook must carry for this connector."""
        secret: str | None = self._receiver(connector_id).setting("webhook_secret")
        return secret

    async def receive_webhook(self, connector_id: str, body: Any) -> dict[str, Any]:  # noqa: ANN401 - any JSON
        """Keep a notification as a job and answer at once (repeats are harmless)."""
        config = self._receiver(connector_id)
        notification = parse_webhook(body)
        if notification.kind == "TEST_NOTIFICATION":
            _LOGGER.info("test notification from %s", config.name)
            return {"ok": True, "queued": False}
        queued = await self.intake.queue_notification(connector_id, notification, body)
        return {"ok": True, "queued": queued}

    def _receiver(self, connector_id: str) -> ConnectorConfig:
        """Return the enabled connector a webhook is for (NotFound: the webhook answers 404)."""
        config = self.overseerrs.get(connector_id)
        if config is None or not config.enabled:
            msg = "no enabled overseerr connector with this id"
            raise NotFound(msg)
        return config

    async def _run_job(self, job: Job) -> None:
        """Digest a webhook, read Overseerr back, or advance a request by one step."""
        if job.kind == "webhook":
            body = job.payload["body"]
            await self.intake.take(job.payload["connector_id"], parse_webhook(body), "webhook")
        elif job.kind == "reconcile":
            await self.intake.reconcile(job.payload["connector_id"])
        else:
            await self.lifecycle.step(job)

    # ----- commands

    @api_command("requests/list", path="/requests")
    async def list_requests(
        self,
        *,
        state: State | None = None,
        active: bool | None = None,
        limit: Annotated[int, Field(ge=1, le=1000)] = PAGE_SIZE,
        before: Annotated[int, Field(ge=1)] | None = None,
    ) -> list[RequestView]:
        """List requests newest first, a page at a time (the next: before=the last id).

        Optionally only those in one state, or only those still under way (active=true) or
        ended (active=false: available, declined, failed, cancelled).
        """
        conditions: list[str] = []
        params: dict[str, Any] = {"limit": limit}
        if state is not None:
            conditions.append("state = :state")
            params["state"] = state
        if active is not None:
            conditions.append("state NOT IN :final" if active else "state IN :final")
            params["final"] = sorted(FINAL)
        if before is not None:
            conditions.append("id < :before")
            params["before"] = before
        where = f"WHERE {' AND '.join(conditions)} " if conditions else ""
        async with self.engine.database.session() as tx:
            found = await MEDIA_REQUESTS.all(tx, f"{where}ORDER BY id DESC LIMIT :limit", params)
            return await self.lifecycle.views(tx, found)

    @api_command("requests/get", path="/requests/{request_id}")
    async def get_request(self, request_id: int) -> RequestDetail:
        """One request with all its candidates and its audit trail."""
        async with self.engine.database.session() as tx:
            row = await request_row(tx, request_id)
            found = await candidate_rows(tx, request_id)
            events = await REQUEST_EVENTS.all(
                tx, "WHERE request_id = :id ORDER BY id", {"id": request_id}
            )
        revision = self.engine.events.revision("request", request_id)
        return detail_view(row, found, events, revision)

    @api_command("requests/create", method="POST", path="/requests")
    async def create_request(  # noqa: PLR0913 - the create body's fields
        self,
        *,
        media_type: MediaType,
        query: Annotated[str, Field(max_length=300)] = "",
        year: Annotated[int, Field(ge=1870, le=2200)] | None = None,
        tmdb_id: Annotated[int, Field(ge=1)] | None = None,
        tvdb_id: Annotated[int, Field(ge=1)] | None = None,
        musicbrainz_id: MusicBrainzId | None = None,
        seasons: list[SeasonNumber] | None = None,
        requested_by: Actor = "home assistant",
        connector_id: ConnectorId | None = None,
        quality_profile_id: Annotated[int, Field(ge=1)] | None = None,
        root_folder: Annotated[str, Field(min_length=1, max_length=1000)] | None = None,
    ) -> RequestView:
        """Request a title: looked up and added to the arr unsearched; an open request is reused.

        Give a query (and optionally its year), or a tmdb_id (movie), tvdb_id (tv) or
        musicbrainz_id (album: its release group, artist: the artist), else 400; albums and
        artists go to Lidarr. A query matching several works is a 409 `ambiguous` whose
        `error.details.candidates` lists them (title, year, overview, poster, ids): ask again with
        the year or an id. connector_id names the arr (else the connector that is the default for
        requests); quality_profile_id and root_folder are the arr's (GET
        /requests/arr/{connector_id}/profiles and /folders; else the connector's defaults for
        requests, then the arr's first).
        """
        wanted = Wanted(
            media_type=media_type, query=query, year=year, tmdb_id=tmdb_id, tvdb_id=tvdb_id,
            foreign_id=musicbrainz_id, seasons=seasons or [],
        )  # fmt: skip
        placement = Placement(quality_profile_id=quality_profile_id, root_folder=root_folder)
        return await self.intake.create(
            wanted, requested_by=requested_by, connector_id=connector_id, placement=placement
        )

    @api_command("requests/arr_profiles", path="/requests/arr/{connector_id}/profiles")
    async def arr_profiles(self, connector_id: ConnectorId) -> list[ArrChoice]:
        """List an arr connector's quality profiles (for its request default, for requests)."""
        arr = await self._request_arr(connector_id)
        return [
            ArrChoice(id=str(profile["id"]), name=str(profile.get("name") or profile["id"]))
            for profile in await arr.quality_profiles()
        ]

    @api_command("requests/arr_folders", path="/requests/arr/{connector_id}/folders")
    async def arr_folders(self, connector_id: ConnectorId) -> list[ArrChoice]:
        """List an arr connector's root folders (for its request default, for requests)."""
        arr = await self._request_arr(connector_id)
        return [
            ArrChoice(id=str(folder["path"]), name=str(folder["path"]))
            for folder in await arr.root_folders()
        ]

    async def _request_arr(self, connector_id: str) -> RequestArr:
        config = await self.engine.connectors.config(connector_id)
        if config.kind not in KIND_FOR_MEDIA.values():
            kinds = ", ".join(sorted(KIND_FOR_MEDIA.values()))
            msg = f"connector {config.name} is a {config.kind}: requests go to {kinds}"
            raise Conflict(msg)
        return RequestArr(config, session=self.engine.http.session)

    @api_command("requests/approve", method="POST", path="/requests/{request_id}/approve")
    async def approve(self, request_id: int, actor: Actor = "admin") -> RequestView:
        """Approve a pending request, in Overseerr too."""
        async with self.lifecycle.change(request_id) as change:
            check_transition(request_id, change.row.state, State.APPROVED)
            await self.intake.tell_overseerr(change.row, "approve")
            change.move(State.APPROVED, actor, "api")
            change.schedule(0)
        return change.view

    @api_command("requests/decline", method="POST", path="/requests/{request_id}/decline")
    async def decline(
        self, request_id: int, actor: Actor = "admin", reason: str = ""
    ) -> RequestView:
        """Decline a request, in Overseerr too."""
        async with self.lifecycle.change(request_id) as change:
            check_transition(request_id, change.row.state, State.DECLINED)
            await self.intake.tell_overseerr(change.row, "decline")
            change.move(State.DECLINED, actor, "api", reason)
            change.unschedule()
        return change.view

    @api_command("requests/select", method="POST", path="/requests/{request_id}/select")
    async def select(
        self, request_id: int, candidate_id: int, actor: Actor = "admin"
    ) -> RequestView:
        """Grab the chosen candidate through the arr (or Haul's client without one)."""
        async with self.lifecycle.change(request_id) as change:
            check_transition(request_id, change.row.state, State.GRABBED)
            candidate = await _open_candidate(change.tx, request_id, candidate_id)
            await self.lifecycle.grab(change, candidate, actor, "api")
        return change.view

    @api_command("requests/search", method="POST", path="/requests/{request_id}/search")
    async def search(self, request_id: int, actor: Actor = "admin") -> RequestView:
        """Search again now (from awaiting_selection or failed)."""
        async with self.lifecycle.change(request_id) as change:
            change.move(State.SEARCHING, actor, "api", "search requested")
            change.update(search_attempts=0)
            change.schedule(0)
        return change.view

    @api_command("requests/blocklist", method="POST", path="/requests/{request_id}/blocklist")
    async def blocklist(
        self,
        request_id: int,
        actor: Actor = "admin",
        reason: Annotated[str, Field(max_length=500)] = "",
        candidate_id: int | None = None,
    ) -> RequestView:
        """Blocklist the grabbed release: the arr drops it and never grabs it again.

        The arr removes the download from its queue and client; the other candidates are
        offered (none left: failed), or candidate_id is grabbed instead at once. Only while a
        release is grabbed, downloading or importing. When grabbing the other fails, the
        blocklisting stands (the arr did it) and the request awaits a pick; the error says why.
        """
        failed: EngineError | None = None
        async with self.lifecycle.change(request_id) as change:
            row = change.row
            if row.selected_candidate_id is None or row.state not in GRABBED_STATES:
                msg = f"request {request_id} is {row.state}: it has no grabbed release to blocklist"
                raise Conflict(msg)
            instead = None
            if candidate_id is not None:
                if candidate_id == row.selected_candidate_id:
                    msg = f"candidate {candidate_id} is the release being blocklisted"
                    raise Conflict(msg)
                instead = await _open_candidate(change.tx, request_id, candidate_id)
            why = f"blocklisted by {actor}" + (f": {reason}" if reason else "")
            await self.lifecycle.drop_candidate(change, why, actor, "api")
            if instead is not None:
                try:
                    await self.lifecycle.grab(change, instead, actor, "api")
                except EngineError as err:
                    failed = err
        if failed is not None:
            raise failed
        return change.view

    @api_command("requests/cancel", method="POST", path="/requests/{request_id}/cancel")
    async def cancel(self, request_id: int, actor: Actor = "admin") -> RequestView:
        """Stop following a request; what the arr already has stays there."""
        async with self.lifecycle.change(request_id) as change:
            change.move(State.CANCELLED, actor, "api")
            change.unschedule()
        return change.view


async def _open_candidate(tx: Transaction, request_id: int, candidate_id: int) -> RequestCandidate:
    """Return a candidate of the request that has not failed (NotFound, Conflict)."""
    candidate = await CANDIDATES.get(tx, candidate_id)
    if candidate is None or candidate.request_id != request_id:
        msg = f"request {request_id} has no candidate {candidate_id}"
        raise NotFound(msg)
    if candidate.failed:
        msg = f"candidate {candidate_id} already failed: {candidate.failed}"
        raise Conflict(msg)
    return candidate
