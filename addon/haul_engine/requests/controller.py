"""RequestsController: intake, the durable job worker, the lifecycle and the request commands."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal

import aiohttp
from aiohttp import web
from pydantic import Field
from sqlalchemy import delete, select

from haul_engine.api.auth import webhook_secret_matches
from haul_engine.api.jsonio import error_response, json_response
from haul_engine.arr.client import ArrError
from haul_engine.commands import api_command
from haul_engine.connectors.controller import ConnectorOwner
from haul_engine.controller import Controller
from haul_engine.db.database import get_or_not_found
from haul_engine.db.jobs import Job, JobQueue
from haul_engine.db.models import utcnow
from haul_engine.errors import Conflict, EngineError, InvalidInput, NotFound, Unavailable
from haul_engine.events import EventName
from haul_engine.requests import candidates as offers
from haul_engine.requests.arr import KIND_FOR_MEDIA, RequestArr
from haul_engine.requests.models import MediaRequest, RequestCandidate, RequestEvent
from haul_engine.requests.overseerr import (
    Notification,
    OverseerrClient,
    from_details,
    parse_webhook,
)
from haul_engine.requests.states import FINAL, State, allowed, check_transition
from haul_engine.requests.views import (
    RequestDetail,
    RequestView,
    candidate_view,
    detail_view,
    request_view,
)
from haul_engine.torrents.views import AddOptions

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from sqlalchemy.ext.asyncio import AsyncSession

    from haul_engine.connectors.kinds import ConnectorConfig
    from haul_engine.engine import Engine

_LOGGER = logging.getLogger(__name__)
WEBHOOK_PATH = "/api/v1/webhooks/overseerr/{connector_id}"
CATEGORY = "haul-requests"
MAX_BACKOFF = 300.0
RETRY_ON = (EngineError, aiohttp.ClientError, TimeoutError, KeyError, ValueError)
TOP_OFFERS = 3
IMPORT_EVENTS = frozenset({"downloadFolderImported", "movieFileImported", "episodeFileImported"})
IMPORT_PROBLEMS = frozenset({"importFailed", "importBlocked", "failedPending"})
STATE_EVENTS = {
    State.APPROVED: EventName.REQUEST_APPROVED,
    State.DECLINED: EventName.REQUEST_DECLINED,
    State.AVAILABLE: EventName.REQUEST_AVAILABLE,
    State.FAILED: EventName.REQUEST_FAILED,
}
MediaType = Literal["movie", "tv"]
Actor = Annotated[str, Field(min_length=1, max_length=200)]
SeasonNumber = Annotated[int, Field(ge=0, le=1000)]


class Change:
    """A locked, transactional change to a request: moves, audit lines, events, next step."""

    def __init__(self, session: AsyncSession, row: MediaRequest, jobs: JobQueue) -> None:
        """Collect events to publish once the change is committed."""
        self.session = session
        self.row = row
        self.jobs = jobs
        self.events: list[tuple[EventName, dict[str, Any]]] = []
        self.memory: dict[str, Any] = {}

    def move(self, target: State, actor: str, origin: str, message: str = "") -> None:
        """Move to target if the lifecycle allows it, recording who, when and from where."""
        row = self.row
        check_transition(row.id, row.state, target)
        self.session.add(
            RequestEvent(
                request_id=row.id,
                from_state=row.state,
                to_state=target,
                actor=actor,
                origin=origin,
                message=message,
                at=utcnow(),
            )
        )
        _LOGGER.info("request %s: %s -> %s (%s via %s)", row.id, row.state, target, actor, origin)
        row.state = target
        row.updated_at = row.step_started_at = utcnow()
        row.reason = message if target in {State.FAILED, State.DECLINED} else None
        if target in STATE_EVENTS:
            self.emit(STATE_EVENTS[target], message=message)

    def emit(self, name: EventName, **extra: Any) -> None:  # noqa: ANN401 - event fields
        """Publish an event about this request after commit."""
        self.events.append((name, {**_event_data(self.row), **extra}))

    async def schedule(self, seconds: float, **memory: Any) -> None:  # noqa: ANN401 - JSON values
        """Run this request's next step after seconds, remembering memory until then."""
        payload = {"id": self.row.id, **memory}
        await self.jobs.put(self.session, f"step:{self.row.id}", "step", payload, seconds)


class RequestsController(Controller, ConnectorOwner):
    """The request gate."""

    feature = "requests"

    def __init__(self, engine: Engine) -> None:
        """No Overseerr connectors and no worker until setup."""
        super().__init__(engine)
        self.overseerrs: dict[str, ConnectorConfig] = {}
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        poll = engine.settings.request_poll_interval
        self.jobs = JobQueue(
            engine.database, "request", self._run_job, retry_on=RETRY_ON, backoff=poll,
            max_backoff=MAX_BACKOFF, idle=poll * 20,
        )  # fmt: skip

    async def setup(self) -> None:
        """Take the overseerr connectors and start the job worker (it resumes stored jobs)."""
        await self.engine.connectors.attach(self, {"overseerr"})
        await self.jobs.start()

    async def close(self) -> None:
        """Stop the worker; unfinished jobs stay in the table for the next start."""
        await self.jobs.close()

    async def connector_saved(self, connector: ConnectorConfig) -> None:
        """Remember the connector and read its open requests back, in case Haul missed some."""
        self.overseerrs[connector.id] = connector
        if connector.enabled and connector.setting("reconcile"):
            async with self.engine.database.session() as session, session.begin():
                key = f"reconcile:{connector.id}"
                await self.jobs.put(session, key, "reconcile", {"connector_id": connector.id})
            self.jobs.wake()

    async def connector_removed(self, connector_id: str) -> None:
        """Forget the connector; its requests stay."""
        self.overseerrs.pop(connector_id, None)

    def problems(self) -> list[str]:
        """Report the last failure of the job worker, if it keeps failing."""
        return [self.jobs.problem] if self.jobs.problem else []

    def http_routes(self) -> list[web.RouteDef]:
        """Serve the Overseerr webhook (checked by its own secret, not the bearer token)."""
        return [web.post(WEBHOOK_PATH, self._webhook)]

    # ----- commands

    @api_command("requests/list", path="/requests")
    async def list_requests(self, state: State | None = None) -> list[RequestView]:
        """Every request, newest first, optionally in one state."""
        statement = select(MediaRequest).order_by(MediaRequest.id.desc())
        if state is not None:
            statement = statement.where(MediaRequest.state == state)
        async with self.engine.database.session() as session:
            return [request_view(row) for row in await session.scalars(statement)]

    @api_command("requests/get", path="/requests/{request_id}")
    async def get_request(self, request_id: int) -> RequestDetail:
        """One request with its candidates and audit trail."""
        async with self.engine.database.session() as session:
            row = await _request(session, request_id)
            found = await _candidates(session, request_id)
            events = await session.scalars(
                select(RequestEvent)
                .where(RequestEvent.request_id == request_id)
                .order_by(RequestEvent.id)
            )
            return detail_view(row, found, list(events))

    @api_command("requests/create", method="POST", path="/requests")
    async def create_request(  # noqa: PLR0913 - the create body's fields
        self,
        *,
        media_type: MediaType,
        query: Annotated[str, Field(max_length=300)] = "",
        tmdb_id: Annotated[int, Field(ge=1)] | None = None,
        tvdb_id: Annotated[int, Field(ge=1)] | None = None,
        seasons: list[SeasonNumber] | None = None,
        requested_by: Actor = "home assistant",
    ) -> RequestView:
        """Request a title: looked up and added to the arr unsearched; an open request is reused."""
        arr = await self._arr(media_type, None)
        if arr is None:
            msg = f"no enabled {KIND_FOR_MEDIA[media_type]} connector to add the title to"
            raise Unavailable(msg)
        try:
            item = await self._lookup_and_add(arr, query, tmdb_id, tvdb_id, seasons)
        finally:
            await arr.close()
        async with self.engine.database.session() as session:
            open_request = await session.scalar(
                select(MediaRequest).where(
                    MediaRequest.arr_connector_id == arr.config.id,
                    MediaRequest.arr_item_id == item["id"],
                    MediaRequest.state.not_in(FINAL),
                )
            )
        if open_request is not None:
            return request_view(open_request)
        row = MediaRequest(
            source="haul",
            media_type=media_type,
            tmdb_id=item.get("tmdbId") or None,
            tvdb_id=item.get("tvdbId") or None,
            title=str(item.get("title") or ""),
            year=item.get("year") or None,
            seasons=sorted(set(seasons or [])),
            requested_by=requested_by,
            state=State.APPROVED,
            arr_connector_id=arr.config.id,
            arr_item_id=item["id"],
            search_attempts=0,
            created_at=utcnow(),
            updated_at=utcnow(),
            step_started_at=utcnow(),
        )
        async with self.engine.database.session() as session, session.begin():
            session.add(row)
            await session.flush()
            change = Change(session, row, self.jobs)
            session.add(
                RequestEvent(
                    request_id=row.id,
                    to_state=State.APPROVED,
                    actor=requested_by,
                    origin="api",
                    at=utcnow(),
                    message="requested in Haul",
                )
            )
            change.emit(EventName.REQUEST_RECEIVED)
            change.emit(EventName.REQUEST_APPROVED)
            await change.schedule(0)
        self._publish(change)
        return request_view(row)

    @api_command("requests/approve", method="POST", path="/requests/{request_id}/approve")
    async def approve(self, request_id: int, actor: Actor = "admin") -> RequestView:
        """Approve a pending request, in Overseerr too."""
        async with self._change(request_id) as change:
            check_transition(request_id, change.row.state, State.APPROVED)
            await self._tell_overseerr(change.row, "approve")
            change.move(State.APPROVED, actor, "api")
            await change.schedule(0)
        return request_view(change.row)

    @api_command("requests/decline", method="POST", path="/requests/{request_id}/decline")
    async def decline(
        self, request_id: int, actor: Actor = "admin", reason: str = ""
    ) -> RequestView:
        """Decline a request, in Overseerr too."""
        async with self._change(request_id) as change:
            check_transition(request_id, change.row.state, State.DECLINED)
            await self._tell_overseerr(change.row, "decline")
            change.move(State.DECLINED, actor, "api", reason)
            await self.jobs.drop(change.session, f"step:{request_id}")
        return request_view(change.row)

    @api_command("requests/select", method="POST", path="/requests/{request_id}/select")
    async def select(
        self, request_id: int, candidate_id: int, actor: Actor = "admin"
    ) -> RequestView:
        """Grab the chosen candidate through the arr (or Haul's client without one)."""
        async with self._change(request_id) as change:
            check_transition(request_id, change.row.state, State.GRABBED)
            candidate = await change.session.get(RequestCandidate, candidate_id)
            if candidate is None or candidate.request_id != request_id:
                msg = f"request {request_id} has no candidate {candidate_id}"
                raise NotFound(msg)
            if candidate.failed:
                msg = f"candidate {candidate_id} already failed: {candidate.failed}"
                raise Conflict(msg)
            await self._grab(change, candidate, actor, "api")
        return request_view(change.row)

    @api_command("requests/search", method="POST", path="/requests/{request_id}/search")
    async def search(self, request_id: int, actor: Actor = "admin") -> RequestView:
        """Search again now (from awaiting_selection or failed)."""
        async with self._change(request_id) as change:
            change.move(State.SEARCHING, actor, "api", "search requested")
            change.row.search_attempts = 0
            await change.schedule(0)
        return request_view(change.row)

    @api_command("requests/cancel", method="POST", path="/requests/{request_id}/cancel")
    async def cancel(self, request_id: int, actor: Actor = "admin") -> RequestView:
        """Stop following a request; what the arr already has stays there."""
        async with self._change(request_id) as change:
            change.move(State.CANCELLED, actor, "api")
            await self.jobs.drop(change.session, f"step:{request_id}")
        return request_view(change.row)

    # ----- intake

    async def _webhook(self, request: web.Request) -> web.Response:
        """Check the secret, queue the notification durably, answer at once."""
        config = self.overseerrs.get(request.match_info["connector_id"])
        if config is None or not config.enabled:
            return error_response(404, "not_found", "no enabled overseerr connector with this id")
        header = request.headers.get("Authorization")
        if not webhook_secret_matches(header, config.setting("webhook_secret")):
            return error_response(401, "unauthorized", "wrong or missing webhook secret")
        try:
            body = json.loads(await request.read())
            notification = parse_webhook(body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return error_response(400, "invalid_input", "body is not valid JSON")
        except InvalidInput as err:
            return error_response(400, err.code, str(err))
        if notification.kind == "TEST_NOTIFICATION":
            _LOGGER.info("test notification from %s", config.name)
            return json_response({"ok": True, "queued": False})
        key = f"webhook:{config.id}:{notification.request_id}:{notification.kind}"
        async with self.engine.database.session() as session, session.begin():
            queued = await self.jobs.put(
                session, key, "webhook", {"connector_id": config.id, "body": body}, replace=False
            )
        self.jobs.wake()
        return json_response({"ok": True, "queued": queued})

    async def _take(self, connector_id: str, note: Notification, origin: str) -> None:
        """Apply one notification to the request it names (creating it); repeats change nothing."""
        config = self.overseerrs.get(connector_id)
        if config is None:
            return
        if not (note.media_type and (note.tmdb_id or note.tvdb_id)):
            note = await self._details(config, note)
        async with self.engine.database.session() as session, session.begin():
            row = await session.scalar(
                select(MediaRequest).where(
                    MediaRequest.connector_id == connector_id,
                    MediaRequest.external_id == note.request_id,
                )
            )
            created = row is None
            if row is None:
                row = MediaRequest(
                    source="overseerr",
                    connector_id=connector_id,
                    external_id=note.request_id,
                    media_type=note.media_type or "movie",
                    tmdb_id=note.tmdb_id,
                    tvdb_id=note.tvdb_id,
                    title=note.title,
                    seasons=note.seasons,
                    requested_by=note.requested_by,
                    poster_url=note.poster_url,
                    state=State.PENDING,
                    search_attempts=0,
                    created_at=utcnow(),
                    updated_at=utcnow(),
                    step_started_at=utcnow(),
                )
                session.add(row)
                await session.flush()
                session.add(
                    RequestEvent(
                        request_id=row.id,
                        to_state=State.PENDING,
                        actor=note.requested_by or "overseerr",
                        origin=origin,
                        message=note.title,
                        at=utcnow(),
                    )
                )
            else:
                row.poster_url = note.poster_url or row.poster_url
        if created:
            self.engine.events.publish(EventName.REQUEST_RECEIVED, _event_data(row))
        target = {
            "MEDIA_APPROVED": State.APPROVED,
            "MEDIA_AUTO_APPROVED": State.APPROVED,
            "MEDIA_DECLINED": State.DECLINED,
            "MEDIA_FAILED": State.FAILED,
            "MEDIA_AVAILABLE": State.AVAILABLE,
        }.get(note.kind)
        if target is None:
            return
        async with self._change(row.id) as change:
            if allowed(change.row.state, target):
                message = "reported by Overseerr" if target == State.FAILED else ""
                change.move(target, "overseerr", origin, message)
                if target == State.APPROVED:
                    await change.schedule(0)
                else:
                    await self.jobs.drop(change.session, f"step:{row.id}")

    async def _details(self, config: ConnectorConfig, note: Notification) -> Notification:
        """Fill what a custom template left out from GET /request/{id}."""
        client = OverseerrClient(config, session=self.engine.http.session)
        try:
            details = from_details(note.kind, await client.request_details(note.request_id))
        finally:
            await client.close()
        return Notification(
            kind=note.kind,
            request_id=note.request_id,
            media_type=note.media_type or details.media_type,
            tmdb_id=note.tmdb_id or details.tmdb_id,
            tvdb_id=note.tvdb_id or details.tvdb_id,
            title=note.title or details.title,
            requested_by=note.requested_by or details.requested_by,
            seasons=note.seasons or details.seasons,
            poster_url=note.poster_url or details.poster_url,
        )

    async def _reconcile(self, connector_id: str) -> None:
        """Read open requests back from Overseerr so none is missed while Haul was down."""
        config = self.overseerrs.get(connector_id)
        if config is None:
            return
        client = OverseerrClient(config, session=self.engine.http.session)
        try:
            found = await client.pending()
        finally:
            await client.close()
        for details in found:
            status = details.get("status")
            kind = "MEDIA_APPROVED" if status == 2 else "MEDIA_PENDING"  # noqa: PLR2004 - approved
            await self._take(connector_id, from_details(kind, details), "reconcile")

    async def _tell_overseerr(self, row: MediaRequest, verdict: str) -> None:
        """Approve or decline in Overseerr first, so a failure there changes nothing here."""
        if row.connector_id is None or row.external_id is None:
            return
        config = self.overseerrs.get(row.connector_id)
        if config is None:
            msg = f"the overseerr connector of request {row.id} is gone"
            raise Unavailable(msg)
        client = OverseerrClient(config, session=self.engine.http.session)
        try:
            await client.decide(row.external_id, verdict)
        finally:
            await client.close()

    # ----- the jobs

    async def _run_job(self, job: Job) -> None:
        """Digest a webhook, read Overseerr back, or advance a request by one step."""
        if job.kind == "webhook":
            body = job.payload["body"]
            await self._take(job.payload["connector_id"], parse_webhook(body), "webhook")
        elif job.kind == "reconcile":
            await self._reconcile(job.payload["connector_id"])
        else:
            await self._step(job)

    async def _step(self, job: Job) -> None:
        """Advance a request by one step of its lifecycle (a request deleted since is forgotten)."""
        with contextlib.suppress(NotFound):
            async with self._change(int(job.payload["id"])) as change:
                change.memory = job.payload
                await self._advance(change)

    async def _advance(self, change: Change) -> None:
        """Do what the current state waits for, and move on when it is done."""
        state = State(change.row.state)
        if state == State.APPROVED:
            await self._find_in_arr(change)
        elif state == State.SEARCHING:
            await self._search(change)
        elif state == State.AWAITING_SELECTION:
            await self._auto_pick_when_due(change)
        elif state == State.GRABBED:
            await self._find_download(change)
        elif state == State.DOWNLOADING:
            await self._follow_download(change)
        elif state == State.IMPORTING:
            await self._follow_import(change)

    # ----- approved → searching

    async def _find_in_arr(self, change: Change) -> None:
        """Wait (bounded) until Overseerr's add reached the arr; without an arr go straight on."""
        row = change.row
        arr = await self._arr(row.media_type, row.arr_connector_id)
        if arr is None:
            change.move(State.SEARCHING, "haul", "worker", "no arr: searching the indexers")
            await change.schedule(0)
            return
        try:
            item = await arr.find(row.tmdb_id, row.tvdb_id)
        finally:
            await arr.close()
        if item is not None:
            row.arr_connector_id, row.arr_item_id = arr.config.id, int(item["id"])
            row.title = row.title or str(item.get("title") or "")
            row.year = row.year or item.get("year") or None
            change.move(State.SEARCHING, "haul", "worker", f"found in {arr.config.name}")
            await change.schedule(0)
        elif self._overdue(row, self.engine.settings.request_arr_wait_minutes):
            change.move(
                State.FAILED, "haul", "worker", f"the title never appeared in {arr.config.name}"
            )
        else:
            await change.schedule(self.engine.settings.request_poll_interval)

    # ----- searching → awaiting_selection

    async def _search(self, change: Change) -> None:
        """Run the arr's interactive search, Haul's as fallback; retry on a schedule."""
        row = change.row
        found = await self._arr_candidates(row) or await self._indexer_candidates(row)
        failed = {c.title for c in await _candidates(change.session, row.id) if c.failed}
        found = [candidate for candidate in found if candidate.title not in failed]
        if not found:
            row.search_attempts += 1
            settings = self.engine.settings
            if row.search_attempts >= settings.request_search_attempts:
                change.move(
                    State.FAILED,
                    "haul",
                    "worker",
                    f"nothing found after {row.search_attempts} searches",
                )
            else:
                await change.schedule(settings.request_search_retry_minutes * 60)
            return
        await change.session.execute(
            delete(RequestCandidate).where(
                RequestCandidate.request_id == row.id, RequestCandidate.failed.is_(None)
            )
        )
        for candidate in found:
            candidate.request_id = row.id
            change.session.add(candidate)
        await change.session.flush()
        await self._offer(change, found, "worker")

    async def _offer(self, change: Change, found: list[RequestCandidate], origin: str) -> None:
        """Enter awaiting_selection with the top candidates; plan the auto-pick."""
        row = change.row
        change.move(State.AWAITING_SELECTION, "haul", origin, f"{len(found)} candidates")
        top = [
            candidate_view(c).model_dump(mode="json")
            for c in sorted(found, key=lambda c: c.position)
            if not c.failed
        ][:TOP_OFFERS]
        change.emit(EventName.REQUEST_AWAITING_SELECTION, candidates=top)
        hours = self.engine.options.current.auto_pick_hours
        if self._auto_pick_now(row):
            await change.schedule(0)
        elif hours > 0:
            await change.schedule(hours * 3600)

    async def _arr_candidates(self, row: MediaRequest) -> list[RequestCandidate]:
        arr = await self._arr(row.media_type, row.arr_connector_id)
        if arr is None or row.arr_item_id is None:
            return []
        releases: list[dict[str, Any]] = []
        try:
            seasons: list[int | None] = [*row.seasons] or [None]
            for season in seasons:
                releases += await arr.releases(row.arr_item_id, season)
        finally:
            await arr.close()
        return await offers.from_arr(releases, self.engine.releases, row.media_type)

    async def _indexer_candidates(self, row: MediaRequest) -> list[RequestCandidate]:
        if not self.engine.indexers.enabled_clients():
            return []
        answer = await self.engine.releases.search(
            query=row.title if not (row.tmdb_id or row.tvdb_id) else "",
            type="movie" if row.media_type == "movie" else "tv",
            tmdb_id=row.tmdb_id if row.media_type == "movie" else None,
            tvdb_id=row.tvdb_id if row.media_type == "tv" else None,
            season=row.seasons[0] if len(row.seasons) == 1 else None,
            year=row.year,
        )
        return offers.from_ranking(answer.results)

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
            await change.schedule(max(hours * 3600 - waited, 0))

    async def _auto_pick(self, change: Change, why: str) -> None:
        found = await _candidates(change.session, change.row.id)
        best = next((c for c in found if offers.acceptable(c)), None)
        if best is None:
            _LOGGER.info("request %s: no acceptable candidate to auto-pick", change.row.id)
            return
        await self._grab(change, best, "auto-pick", "worker")
        _LOGGER.info("request %s: auto-picked %s (%s)", change.row.id, best.title, why)

    async def _grab(
        self, change: Change, candidate: RequestCandidate, actor: str, origin: str
    ) -> None:
        """Grab through the arr (its search, or a push), else into Haul's own client."""
        row = change.row
        row.download_id = None
        arr = await self._arr(row.media_type, row.arr_connector_id)
        try:
            if arr is not None and candidate.origin == "arr" and candidate.indexer_id is not None:
                await self._grab_from_arr(arr, row, candidate)
            elif arr is not None:
                await arr.push(candidate.title, await self._link(candidate), utcnow().isoformat())
            else:
                added = await self.engine.torrents.add_torrent(
                    await self._link(candidate),
                    AddOptions(category=CATEGORY, request_id=str(row.id)),
                )
                row.download_id = added.hash
        finally:
            if arr is not None:
                await arr.close()
        row.selected_candidate_id = candidate.id
        change.move(State.GRABBED, actor, origin, candidate.title)
        change.emit(
            EventName.RELEASE_GRABBED, candidate=candidate_view(candidate).model_dump(mode="json")
        )
        await change.schedule(0)

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
            await arr.releases(row.arr_item_id, candidate.season)
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
        """Learn the arr's download id (the info-hash) from its queue."""
        row = change.row
        if row.download_id is None:
            record = await self._queue_record(row)
            if record is None:
                if self._overdue(row, self.engine.settings.request_arr_wait_minutes):
                    await self._drop_candidate(change, "the arr never started the download")
                else:
                    await change.schedule(self.engine.settings.request_poll_interval)
                return
            row.download_id = str(record["downloadId"]).lower()
        change.move(State.DOWNLOADING, "haul", "worker", row.download_id)
        await change.schedule(0)

    async def _follow_download(self, change: Change) -> None:
        """Watch the torrent in Haul's client (or the arr's queue) until it completes or stalls."""
        row = change.row
        download_id = row.download_id or ""
        progress, done = await self._progress(row, download_id)
        if done:
            change.emit(EventName.DOWNLOAD_COMPLETED, download_id=download_id)
            if row.arr_connector_id is None:
                await self._finish(change, self._content_path(download_id))
                return
            change.move(State.IMPORTING, "haul", "worker")
            await change.schedule(0)
            return
        poll = self.engine.settings.request_poll_interval
        now = utcnow().timestamp()
        best = float(change.memory.get("progress", -1.0))
        # stalled time counts checks while the engine runs, not the hours it was down
        waited = min(now - float(change.memory.get("checked", now)), 2 * poll)
        stalled = float(change.memory.get("stalled", 0.0)) + waited if progress <= best else 0.0
        if stalled > self.engine.settings.request_stall_minutes * 60:
            await self._drop_candidate(change, "the download stalled")
            return
        await change.schedule(poll, progress=max(progress, best), stalled=stalled, checked=now)

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
        arr = await self._arr(row.media_type, row.arr_connector_id)
        if arr is None:
            change.move(State.FAILED, "haul", "worker", "the arr connector is gone")
            return
        try:
            history = await arr.history((row.download_id or "").upper())
        finally:
            await arr.close()
        imported = next((h for h in history if h.get("eventType") in IMPORT_EVENTS), None)
        if imported is not None:
            data = imported.get("data") or {}
            path = str(data.get("importedPath") or data.get("path") or "")
            change.emit(EventName.IMPORT_COMPLETED, path=path)
            await self._finish(change, path)
            return
        if any(h.get("eventType") == "downloadFailed" for h in history):
            await self._drop_candidate(change, "the arr reported the download failed")
            return
        record = await self._queue_record(row)
        if record is not None and record.get("trackedDownloadState") in IMPORT_PROBLEMS:
            change.move(State.FAILED, "haul", "worker", "import failed: " + _arr_messages(record))
            return
        if self._overdue(row, self.engine.settings.request_arr_wait_minutes):
            change.move(State.FAILED, "haul", "worker", "the arr did not import the download")
            return
        await change.schedule(self.engine.settings.request_poll_interval)

    async def _finish(self, change: Change, path: str) -> None:
        """Refresh the media servers on the imported path, then mark available."""
        change.row.imported_path = path or None
        if path:
            outcomes = await self.engine.mediaservers.refresh(path)
            refreshed = ", ".join(f"{o.name}: {o.mode}" for o in outcomes if o.ok)
        else:
            refreshed = ""
        await self._run_availability_job(change.row)
        change.move(State.AVAILABLE, "haul", "worker", refreshed)

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
        finally:
            await client.close()

    async def _drop_candidate(self, change: Change, why: str) -> None:
        """Blocklist the chosen release in the arr and offer the remaining candidates."""
        row = change.row
        record = await self._queue_record(row) if row.arr_connector_id else None
        arr = await self._arr(row.media_type, row.arr_connector_id)
        try:
            if record is not None and arr is not None:
                await arr.blocklist(int(record["id"]))
        finally:
            if arr is not None:
                await arr.close()
        if arr is None and row.download_id:
            with contextlib.suppress(NotFound):
                await self.engine.torrents.remove([row.download_id], delete_files=True)
        chosen = await change.session.get(RequestCandidate, row.selected_candidate_id or 0)
        if chosen is not None:
            chosen.failed = why
        row.download_id = row.selected_candidate_id = None
        left = [c for c in await _candidates(change.session, row.id) if not c.failed]
        if not left:
            change.move(State.FAILED, "haul", "worker", f"{why}; no candidate left")
            return
        await self._offer(change, left, "worker")

    async def _queue_record(self, row: MediaRequest) -> dict[str, Any] | None:
        """Find the arr's queue record of this request's download (by id, else by item)."""
        arr = await self._arr(row.media_type, row.arr_connector_id)
        if arr is None:
            return None
        try:
            records = await arr.queue_records()
        finally:
            await arr.close()
        key = "movieId" if row.media_type == "movie" else "seriesId"
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

    # ----- helpers

    async def _arr(self, media_type: str, connector_id: str | None) -> RequestArr | None:
        """Open a client of the request's arr, else of the first enabled arr for the media type."""
        kind = KIND_FOR_MEDIA.get(media_type, "")
        configs = [c for c in await self.engine.connectors.configs({kind}) if c.enabled]
        chosen = next((c for c in configs if c.id == connector_id), None) or next(
            iter(configs), None
        )
        return RequestArr(chosen, session=self.engine.http.session) if chosen is not None else None

    async def _lookup_and_add(
        self,
        arr: RequestArr,
        query: str,
        tmdb_id: int | None,
        tvdb_id: int | None,
        seasons: list[int] | None,
    ) -> dict[str, Any]:
        existing = await arr.find(tmdb_id, tvdb_id)
        if existing is not None:
            return existing
        if arr.movies and tmdb_id is not None:
            term = f"tmdb:{tmdb_id}"
        elif not arr.movies and tvdb_id is not None:
            term = f"tvdb:{tvdb_id}"
        elif query.strip():
            term = query.strip()
        else:
            msg = "give a query, or a tmdb_id (movie) or tvdb_id (tv)"
            raise InvalidInput(msg)
        found = await arr.lookup(term)
        if not found:
            msg = f"{arr.config.name} found no title for {term!r}"
            raise NotFound(msg)
        if found[0].get("id"):
            return found[0]
        return await arr.add(found[0], seasons or [])

    def _overdue(self, row: MediaRequest, minutes: float) -> bool:
        return utcnow() - row.step_started_at > timedelta(minutes=minutes)

    @contextlib.asynccontextmanager
    async def _change(self, request_id: int) -> AsyncIterator[Change]:
        """Lock the request, change it in one transaction, then publish and wake the worker."""
        async with self._locks[request_id]:
            async with self.engine.database.session() as session, session.begin():
                # writes wait for the commit: the arrs call back into the engine while we wait
                with session.no_autoflush:
                    change = Change(session, await _request(session, request_id), self.jobs)
                    yield change
            self._publish(change)
        self.jobs.wake()

    def _publish(self, change: Change) -> None:
        for name, data in change.events:
            self.engine.events.publish(name, data)


def _event_data(row: MediaRequest) -> dict[str, Any]:
    """Describe the request the way every request event does."""
    return {
        "request_id": row.id, "title": row.title, "media_type": row.media_type,
        "state": row.state, "requested_by": row.requested_by, "poster_url": row.poster_url,
    }  # fmt: skip


def _arr_messages(record: dict[str, Any]) -> str:
    """Quote the arr's own words about a download's problem."""
    lines = [
        message
        for status in record.get("statusMessages") or []
        for message in status.get("messages") or [status.get("title", "")]
        if message
    ]
    return "; ".join(lines) or str(record.get("errorMessage") or record.get("status") or "unknown")


async def _request(session: AsyncSession, request_id: int) -> MediaRequest:
    return await get_or_not_found(
        session, MediaRequest, request_id, f"no request with id {request_id}"
    )


async def _candidates(session: AsyncSession, request_id: int) -> list[RequestCandidate]:
    return list(
        await session.scalars(
            select(RequestCandidate)
            .where(RequestCandidate.request_id == request_id)
            .order_by(RequestCandidate.failed.is_not(None), RequestCandidate.position)
        )
    )
