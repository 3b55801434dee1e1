"""Requests coming in: Overseerr's webhooks and read-backs, requests made in Haul, verdicts back."""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from haul_engine.arr.client import ArrError
from haul_engine.db.values import utcnow
from haul_engine.errors import Conflict, InvalidInput, Unavailable
from haul_engine.events import EventName
from haul_engine.requests.arr import KIND_FOR_MEDIA, Placement, Wanted, described, lookup_and_add
from haul_engine.requests.lifecycle import Change
from haul_engine.requests.models import MEDIA_REQUESTS, REQUEST_EVENTS, MediaRequest, RequestEvent
from haul_engine.requests.overseerr import (
    Notification,
    OverseerrClient,
    Routing,
    from_details,
    with_media,
)
from haul_engine.requests.states import FINAL, State, allowed

if TYPE_CHECKING:
    from collections.abc import Mapping

    from haul_engine.connectors.kinds import ConnectorConfig
    from haul_engine.db.jobs import JobQueue
    from haul_engine.db.sql import Transaction
    from haul_engine.engine import Engine
    from haul_engine.requests.lifecycle import Lifecycle
    from haul_engine.requests.views import RequestView

_LOGGER = logging.getLogger(__name__)
APPROVED = 2  # Overseerr's request status
VERDICTS = {
    "MEDIA_APPROVED": State.APPROVED,
    "MEDIA_AUTO_APPROVED": State.APPROVED,
    "MEDIA_DECLINED": State.DECLINED,
    "MEDIA_FAILED": State.FAILED,
    "MEDIA_AVAILABLE": State.AVAILABLE,
}


class Intake:
    """Turns notifications and Haul's own requests into requests, and tells Overseerr verdicts."""

    def __init__(
        self,
        engine: Engine,
        jobs: JobQueue,
        lifecycle: Lifecycle,
        overseerrs: Mapping[str, ConnectorConfig],
    ) -> None:
        """Queue intake work as jobs of `jobs`; `overseerrs` are the request connectors by id."""
        self.engine = engine
        self.jobs = jobs
        self.lifecycle = lifecycle
        self.overseerrs = overseerrs

    async def queue_notification(
        self, connector_id: str, note: Notification, body: dict[str, Any]
    ) -> bool:
        """Keep a webhook's body as a job (a repeat of one already waiting is not queued again)."""
        key = f"webhook:{connector_id}:{note.request_id}:{note.kind}"
        payload = {"connector_id": connector_id, "body": body}
        async with self.engine.database.session() as tx:
            queued = await self.jobs.put(tx, key, "webhook", payload, replace=False)
        self.jobs.wake()
        return queued

    async def queue_reconcile(self, connector_id: str) -> None:
        """Read the connector's open requests back soon."""
        payload = {"connector_id": connector_id}
        async with self.engine.database.session() as tx:
            await self.jobs.put(tx, f"reconcile:{connector_id}", "reconcile", payload)
        self.jobs.wake()

    async def take(self, connector_id: str, note: Notification, origin: str) -> None:
        """Apply one notification to the request it names (creating it); repeats change nothing."""
        config = self.overseerrs.get(connector_id)
        if config is None:
            return
        note = await self._read_back(config, note)
        async with self.engine.database.session() as tx:
            row = await _known(tx, connector_id, note.request_id)
            if row is None:
                row = await MEDIA_REQUESTS.insert(tx, _new_request(connector_id, note))
                await REQUEST_EVENTS.insert(
                    tx,
                    RequestEvent(
                        request_id=row.id,
                        to_state=State.PENDING,
                        actor=note.requested_by or "overseerr",
                        origin=origin,
                        message=note.title,
                        at=utcnow(),
                    ),
                )
                change = Change(tx, row, self.jobs)
                change.emit(EventName.REQUEST_RECEIVED)
            else:
                change = Change(tx, row, self.jobs)
                filled = _filled(row, note)
                if filled:
                    change.update(**filled, updated_at=utcnow())
                    change.emit(EventName.REQUEST_UPDATED)
            if change.events:
                await change.end()
        if change.events:
            self.lifecycle.publish(change)
        target = VERDICTS.get(note.kind)
        if target is None:
            return
        async with self.lifecycle.change(row.id) as change:
            if allowed(change.row.state, target):
                message = "reported by Overseerr" if target == State.FAILED else ""
                change.move(target, "overseerr", origin, message)
                if target == State.APPROVED:
                    change.schedule(0)
                else:
                    change.unschedule()

    async def reconcile(self, connector_id: str) -> None:
        """Read open requests back from Overseerr so none is missed while Haul was down."""
        config = self.overseerrs.get(connector_id)
        if config is None:
            return
        found = await OverseerrClient(config, session=self.engine.http.session).pending()
        for details in found:
            kind = "MEDIA_APPROVED" if details.get("status") == APPROVED else "MEDIA_PENDING"
            await self.take(connector_id, from_details(kind, details), "reconcile")

    async def tell_overseerr(self, row: MediaRequest, verdict: str) -> None:
        """Approve or decline in Overseerr first, so a failure there changes nothing here."""
        if row.connector_id is None or row.external_id is None:
            return
        config = self.overseerrs.get(row.connector_id)
        if config is None:
            msg = f"the overseerr connector of request {row.id} is gone"
            raise Unavailable(msg)
        await OverseerrClient(config, session=self.engine.http.session).decide(
            row.external_id, verdict
        )

    async def create(
        self,
        wanted: Wanted,
        *,
        requested_by: str,
        connector_id: str | None = None,
        placement: Placement | None = None,
    ) -> RequestView:
        """Look the title up, add it to the arr unsearched and approve it; an open one is reused.

        The arr is the one named, else the default for requests; the quality profile and root
        folder those named (checked against the arr's), else the connector's defaults.
        """
        media_type = wanted.media_type
        kind = KIND_FOR_MEDIA[media_type]
        arr = await self.lifecycle.route(media_type, connector_id)
        if arr is None:
            msg = f"no enabled {kind} connector to add the title to"
            raise Conflict(msg)
        if connector_id is not None and arr.config.id != connector_id:
            msg = f"connector_id: no enabled {kind} connector has the id {connector_id!r}"
            raise InvalidInput(msg)
        placement = placement or Placement()
        await arr.check_placement(placement)
        item = await lookup_and_add(arr, wanted, placement)
        async with self.engine.database.session() as tx:
            open_request = await MEDIA_REQUESTS.first(
                tx,
                "WHERE arr_connector_id = :arr AND arr_item_id = :item AND state NOT IN :final",
                {"arr": arr.config.id, "item": item["id"], "final": sorted(FINAL)},
            )
            if open_request is not None:
                return (await self.lifecycle.views(tx, [open_request]))[0]
        row = MediaRequest(
            source="haul", media_type=media_type, **described(item, media_type),
            seasons=sorted(set(wanted.seasons)),
            quality_profile_id=placement.quality_profile_id, root_folder=placement.root_folder,
            requested_by=requested_by, state=State.APPROVED, arr_connector_id=arr.config.id,
            arr_item_id=item["id"], search_attempts=0, created_at=utcnow(), updated_at=utcnow(),
            step_started_at=utcnow(),
        )  # fmt: skip
        async with self.engine.database.session() as tx:
            await MEDIA_REQUESTS.insert(tx, row)
            change = Change(tx, row, self.jobs)
            await REQUEST_EVENTS.insert(
                tx,
                RequestEvent(
                    request_id=row.id,
                    to_state=State.APPROVED,
                    actor=requested_by,
                    origin="api",
                    at=utcnow(),
                    message="requested in Haul",
                ),
            )
            change.emit(EventName.REQUEST_RECEIVED)
            change.emit(EventName.REQUEST_APPROVED)
            change.schedule(0)
            await change.end()
        view = self.lifecycle.publish(change)
        self.jobs.wake()
        return view

    async def _read_back(self, config: ConnectorConfig, note: Notification) -> Notification:
        """Read what a notification leaves out: all of a new request, where an approved one goes.

        An admin may change the server, profile or folder when approving in Overseerr.
        """
        async with self.engine.database.session() as tx:
            known = await _known(tx, config.id, note.request_id)
        if known is None:
            return await self._complete(config, note)
        if known.arr_connector_id is None and VERDICTS.get(note.kind) == State.APPROVED:
            return await self._reroute(config, note)
        return note

    async def _reroute(self, config: ConnectorConfig, note: Notification) -> Notification:
        """Read again where Overseerr sends a request (an admin may change it when approving)."""
        if note.routing is not None:
            return note
        client = OverseerrClient(config, session=self.engine.http.session)
        try:
            details = from_details(note.kind, await client.request_details(note.request_id))
        except ArrError as err:
            _LOGGER.warning("request %s of %s: %s", note.request_id, config.name, err)
            return note
        return replace(note, routing=details.routing)

    async def _complete(self, config: ConnectorConfig, note: Notification) -> Notification:
        """Fill a new request from Overseerr: where it goes, then what it is.

        Where: GET /request/{id} (the webhook does not say); what: its title, year, overview and
        poster (GET /movie|tv/{tmdbId}). A webhook that names its title is taken as it is when
        the request cannot be read.
        """
        client = OverseerrClient(config, session=self.engine.http.session)
        if note.routing is None:
            try:
                details = from_details(note.kind, await client.request_details(note.request_id))
            except ArrError as err:
                if not (note.media_type and (note.tmdb_id or note.tvdb_id)):
                    raise
                _LOGGER.warning("request %s of %s: %s", note.request_id, config.name, err)
            else:
                note = _merged(note, details)
        if note.tmdb_id is not None and note.media_type in {"movie", "tv"}:
            try:
                note = with_media(note, await client.media(note.media_type, note.tmdb_id))
            except ArrError as err:
                _LOGGER.warning("no details of %s from %s: %s", note.title, config.name, err)
        return note


async def _known(tx: Transaction, connector_id: str, request_id: str) -> MediaRequest | None:
    """Return the request of a connector's Overseerr request id, if Haul has it."""
    return await MEDIA_REQUESTS.first(
        tx,
        "WHERE connector_id = :connector_id AND external_id = :external_id",
        {"connector_id": connector_id, "external_id": request_id},
    )


def _merged(note: Notification, details: Notification) -> Notification:
    """Take the webhook's values, and what it left out from the request read back."""
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
        year=note.year or details.year,
        overview=note.overview or details.overview,
        routing=details.routing,
    )


def _new_request(connector_id: str, note: Notification) -> MediaRequest:
    """Make a request first seen in a notification: pending, routed where Overseerr sends it."""
    return MediaRequest(
        source="overseerr", connector_id=connector_id, external_id=note.request_id,
        media_type=note.media_type or "movie", tmdb_id=note.tmdb_id, tvdb_id=note.tvdb_id,
        title=note.title, year=note.year, overview=note.overview, seasons=note.seasons,
        requested_by=note.requested_by, poster_url=note.poster_url, state=State.PENDING,
        search_attempts=0, created_at=utcnow(), updated_at=utcnow(), step_started_at=utcnow(),
        **_where(note.routing or Routing()),
    )  # fmt: skip


def _where(routing: Routing) -> dict[str, Any]:
    """Return the request's columns that keep where Overseerr sends it."""
    return {
        "is4k": routing.is4k, "arr_server_id": routing.server_id,
        "quality_profile_id": routing.profile_id, "root_folder": routing.root_folder,
        "language_profile_id": routing.language_profile_id, "tags": routing.tags,
    }  # fmt: skip


def _filled(row: MediaRequest, note: Notification) -> dict[str, Any]:
    """Return the columns a later notification changes: poster, what is lacking, the routing."""
    changes: dict[str, Any] = {}
    if note.routing is not None and row.arr_connector_id is None:  # no arr has it yet
        where = _where(note.routing)
        changes |= {name: value for name, value in where.items() if getattr(row, name) != value}
    if note.poster_url and note.poster_url != row.poster_url:
        changes["poster_url"] = note.poster_url
    if note.title and not row.title:
        changes["title"] = note.title
    if note.year and row.year is None:
        changes["year"] = note.year
    return changes
