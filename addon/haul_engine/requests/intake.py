"""Requests coming in: Overseerr's webhooks and read-backs, requests made in Haul, verdicts back."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from haul_engine.db.models import utcnow
from haul_engine.errors import Ambiguous, Conflict, InvalidInput, NotFound, Unavailable
from haul_engine.events import EventName
from haul_engine.requests.arr import KIND_FOR_MEDIA, RequestArr
from haul_engine.requests.lifecycle import Change
from haul_engine.requests.models import MediaRequest, RequestEvent
from haul_engine.requests.overseerr import (
    Notification,
    OverseerrClient,
    from_details,
    read_poster,
)
from haul_engine.requests.states import FINAL, State, allowed
from haul_engine.requests.views import TitleMatch

if TYPE_CHECKING:
    from collections.abc import Mapping

    from haul_engine.connectors.kinds import ConnectorConfig
    from haul_engine.db.jobs import JobQueue
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
MAX_CHOICES = 8  # works offered when a query is ambiguous


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
        async with self.engine.database.session() as session, session.begin():
            queued = await self.jobs.put(session, key, "webhook", payload, replace=False)
        self.jobs.wake()
        return queued

    async def queue_reconcile(self, connector_id: str) -> None:
        """Read the connector's open requests back soon."""
        payload = {"connector_id": connector_id}
        async with self.engine.database.session() as session, session.begin():
            await self.jobs.put(session, f"reconcile:{connector_id}", "reconcile", payload)
        self.jobs.wake()

    async def take(self, connector_id: str, note: Notification, origin: str) -> None:
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
            if row is None:
                row = MediaRequest(
                    source="overseerr", connector_id=connector_id, external_id=note.request_id,
                    media_type=note.media_type or "movie", tmdb_id=note.tmdb_id,
                    tvdb_id=note.tvdb_id, title=note.title, seasons=note.seasons,
                    requested_by=note.requested_by, poster_url=note.poster_url,
                    state=State.PENDING, search_attempts=0, created_at=utcnow(),
                    updated_at=utcnow(), step_started_at=utcnow(),
                )  # fmt: skip
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
                change = Change(session, row, self.jobs)
                change.emit(EventName.REQUEST_RECEIVED)
            else:
                change = Change(session, row, self.jobs)
                if note.poster_url and note.poster_url != row.poster_url:
                    row.poster_url, row.updated_at = note.poster_url, utcnow()
                    change.emit(EventName.REQUEST_UPDATED)
            if change.events:
                await change.describe()
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
                    await change.schedule(0)
                else:
                    await change.unschedule()

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

    async def create(  # noqa: PLR0913 - the create body's fields
        self,
        *,
        media_type: str,
        query: str,
        year: int | None,
        tmdb_id: int | None,
        tvdb_id: int | None,
        seasons: list[int] | None,
        requested_by: str,
    ) -> RequestView:
        """Look the title up, add it to the arr unsearched and approve it; an open one is reused.

        A query matching several works (and no year narrowing it to one) is `Ambiguous`.
        """
        arr = await self.lifecycle.arr(media_type, None)
        if arr is None:
            msg = f"no enabled {KIND_FOR_MEDIA[media_type]} connector to add the title to"
            raise Conflict(msg)
        item = await _lookup_and_add(
            arr, query, year=year, tmdb_id=tmdb_id, tvdb_id=tvdb_id, seasons=seasons
        )
        async with self.engine.database.session() as session:
            open_request = await session.scalar(
                select(MediaRequest).where(
                    MediaRequest.arr_connector_id == arr.config.id,
                    MediaRequest.arr_item_id == item["id"],
                    MediaRequest.state.not_in(FINAL),
                )
            )
            if open_request is not None:
                return (await self.lifecycle.views(session, [open_request]))[0]
        row = MediaRequest(
            source="haul", media_type=media_type, tmdb_id=item.get("tmdbId") or None,
            tvdb_id=item.get("tvdbId") or None, title=str(item.get("title") or ""),
            year=item.get("year") or None, seasons=sorted(set(seasons or [])),
            requested_by=requested_by, state=State.APPROVED, arr_connector_id=arr.config.id,
            arr_item_id=item["id"], search_attempts=0, created_at=utcnow(), updated_at=utcnow(),
            step_started_at=utcnow(),
        )  # fmt: skip
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
            await change.describe()
        view = self.lifecycle.publish(change)
        self.jobs.wake()
        return view

    async def _details(self, config: ConnectorConfig, note: Notification) -> Notification:
        """Fill what a custom template left out from GET /request/{id}."""
        client = OverseerrClient(config, session=self.engine.http.session)
        details = from_details(note.kind, await client.request_details(note.request_id))
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


async def _lookup_and_add(  # noqa: PLR0913 - the create body's fields
    arr: RequestArr,
    query: str,
    *,
    year: int | None,
    tmdb_id: int | None,
    tvdb_id: int | None,
    seasons: list[int] | None,
) -> dict[str, Any]:
    """Return the arr's item for the title: already there, else looked up and added."""
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
    item = found[0] if term != query.strip() else choose_title(arr.config.name, found, term, year)
    if item.get("id"):
        return item
    return await arr.add(item, seasons or [])


def choose_title(
    arr_name: str, found: list[dict[str, Any]], query: str, year: int | None
) -> dict[str, Any]:
    """Return the one work a query means: of that year, titled as asked, else the only one.

    Several left (two films called Dune) is `Ambiguous`, listing them to choose from.
    """
    if year is not None:
        found = [item for item in found if item.get("year") == year]
        if not found:
            msg = f"{arr_name} found no title for {query!r} from {year}"
            raise NotFound(msg)
    exact = [item for item in found if _words(str(item.get("title") or "")) == _words(query)]
    matches = exact or found
    if len(matches) == 1:
        return matches[0]
    choices = [title_match(item) for item in matches[:MAX_CHOICES]]
    named = " or ".join(f"{c.title} ({c.year})" if c.year else c.title for c in choices)
    msg = f"{query!r} matches several titles: {named}; give the year or an id"
    raise Ambiguous(msg, candidates=[choice.model_dump(mode="json") for choice in choices])


def title_match(item: dict[str, Any]) -> TitleMatch:
    """Show a work of an arr's lookup as one to choose from."""
    images = [image for image in item.get("images") or [] if isinstance(image, dict)]
    poster = item.get("remotePoster") or next(
        (image.get("remoteUrl") for image in images if image.get("coverType") == "poster"), None
    )
    return TitleMatch(
        title=str(item.get("title") or ""),
        year=item.get("year") or None,
        overview=str(item.get("overview") or ""),
        poster_url=read_poster(poster),
        tmdb_id=item.get("tmdbId") or None,
        tvdb_id=item.get("tvdbId") or None,
        imdb_id=item.get("imdbId") or None,
        in_library=bool(item.get("id")),
    )


def _words(text: str) -> str:
    """Reduce a title to what is compared: lower-case letters and digits, single spaces."""
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())
