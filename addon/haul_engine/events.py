"""The engine's event bus: controllers publish; other controllers and WebSocket clients follow.

An event about an object (a torrent, a request, a connector...) carries that object's whole view as
it is now, and a revision: one counter over every object, so each object's revisions rise and a
reader holding a newer view of the object drops the event. Notices (the VPN went down, a media
server refreshed) are about no object.
"""

from __future__ import annotations

import asyncio
import inspect
import itertools
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Iterable

_LOGGER = logging.getLogger(__name__)


class EventName(StrEnum):
    """Every event the engine publishes."""

    SYSTEM_HEARTBEAT = "system_heartbeat"
    SYSTEM_UPDATED = "system_updated"
    TORRENT_ADDED = "torrent_added"
    TORRENT_METADATA = "torrent_metadata"
    TORRENT_PROGRESS = "torrent_progress"
    TORRENT_COMPLETED = "torrent_completed"
    TORRENT_ERROR = "torrent_error"
    TORRENT_REMOVED = "torrent_removed"
    TORRENT_STATE = "torrent_state"
    TRANSFER_UPDATED = "transfer_updated"
    TORRENTS_VPN_DOWN = "torrents_vpn_down"
    TORRENTS_VPN_UP = "torrents_vpn_up"
    TORRENTS_DISK_LOW = "torrents_disk_low"
    TORRENTS_DISK_OK = "torrents_disk_ok"
    CONNECTOR_CREATED = "connector_created"
    CONNECTOR_UPDATED = "connector_updated"
    CONNECTOR_REMOVED = "connector_removed"
    CONNECTOR_HEALTH_CHANGED = "connector_health_changed"
    SYNC_COMPLETED = "sync_completed"
    SYNC_FAILED = "sync_failed"
    SWEEP_STARTED = "sweep_started"
    SWEEP_COMPLETED = "sweep_completed"
    SEARCH_DISPATCHED = "search_dispatched"
    SEARCH_COMPLETED = "search_completed"
    ITEM_ACQUIRED = "item_acquired"
    SEARCH_EXHAUSTED = "search_exhausted"
    GAPS_RESET = "gaps_reset"
    QUEUE_PAUSED = "queue_paused"
    QUEUE_RESUMED = "queue_resumed"
    INDEXER_UPDATED = "indexer_updated"
    MEDIA_SERVER_REFRESHED = "media_server_refreshed"
    POSTPROCESSING_COMPLETED = "postprocessing_completed"
    REQUEST_RECEIVED = "request_received"
    REQUEST_APPROVED = "request_approved"
    REQUEST_DECLINED = "request_declined"
    REQUEST_SEARCHING = "request_searching"
    REQUEST_AWAITING_SELECTION = "request_awaiting_selection"
    RELEASE_GRABBED = "release_grabbed"
    REQUEST_DOWNLOADING = "request_downloading"
    DOWNLOAD_COMPLETED = "download_completed"
    REQUEST_IMPORTING = "request_importing"
    IMPORT_COMPLETED = "import_completed"
    REQUEST_AVAILABLE = "request_available"
    REQUEST_FAILED = "request_failed"
    REQUEST_CANCELLED = "request_cancelled"
    REQUEST_UPDATED = "request_updated"


# event -> the kind of object whose view its data is (None: a notice, about no object)
SUBJECTS: dict[EventName, str | None] = {
    **dict.fromkeys((EventName.SYSTEM_HEARTBEAT, EventName.SYSTEM_UPDATED), "system"),
    **{name: "torrent" for name in EventName if name.startswith("torrent_")},
    EventName.TRANSFER_UPDATED: "transfer",
    **{name: "connector" for name in EventName if name.startswith("connector_")},
    **dict.fromkeys(
        (
            EventName.SYNC_COMPLETED,
            EventName.SYNC_FAILED,
            EventName.SWEEP_STARTED,
            EventName.SWEEP_COMPLETED,
            EventName.SEARCH_DISPATCHED,
            EventName.SEARCH_COMPLETED,
            EventName.ITEM_ACQUIRED,
            EventName.SEARCH_EXHAUSTED,
            EventName.GAPS_RESET,
        ),
        "library",
    ),
    **dict.fromkeys((EventName.QUEUE_PAUSED, EventName.QUEUE_RESUMED), "queue"),
    EventName.INDEXER_UPDATED: "indexer",
    **{
        name: "request"
        for name in EventName
        if name.startswith(("request_", "release_", "download_", "import_"))
    },
    **dict.fromkeys(
        (
            EventName.TORRENTS_VPN_DOWN,
            EventName.TORRENTS_VPN_UP,
            EventName.TORRENTS_DISK_LOW,
            EventName.TORRENTS_DISK_OK,
            EventName.MEDIA_SERVER_REFRESHED,
            EventName.POSTPROCESSING_COMPLETED,
        ),
        None,
    ),
}
type ObjectId = str | int | None  # None: the one object of its kind (the system, the transfer)


@dataclass(frozen=True, slots=True)
class Event:
    """One published event: what happened, the view of the object it is about, its revision."""

    name: EventName
    data: dict[str, Any]
    object_id: ObjectId = None
    revision: int = 0
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def kind(self) -> str | None:
        """The kind of object the event is about (None: a notice)."""
        return SUBJECTS[self.name]

    def as_message(self) -> dict[str, Any]:
        """Render as the WebSocket message shape (the envelope)."""
        kind = self.kind
        return {
            "type": "event",
            "event": self.name.value,
            "object": None
            if kind is None
            else {"kind": kind, "id": self.object_id, "revision": self.revision},
            "data": self.data,
            "at": self.at.isoformat(),
        }


type Listener = Callable[[Event], Awaitable[None] | None]


@dataclass(eq=False, slots=True)
class _Subscription:
    """A listener and the names it follows (None: every event)."""

    callback: Listener
    names: frozenset[EventName] | None


class EventStream:
    """A bounded queue of events; overflowing it ends the stream instead of blocking."""

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        """Attach to the bus."""
        self._bus = bus
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self.overflowed = False

    def offer(self, event: Event) -> None:
        """Queue an event, or end the stream if the reader has fallen behind."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self.close()
            self._queue.get_nowait()  # make room for the end marker
            self._queue.put_nowait(None)

    async def next(self) -> Event | None:
        """Wait for the next event; None once the stream has ended."""
        return await self._queue.get()

    def close(self) -> None:
        """Detach from the bus."""
        self._bus.close_stream(self)


class EventBus:
    """Fan-out of events to listeners and streams; publishing never waits on anyone."""

    def __init__(self) -> None:
        """Start with no listeners and no streams."""
        self._subscriptions: list[_Subscription] = []
        self._streams: set[EventStream] = set()
        self._running: set[asyncio.Task[None]] = set()
        self._counter = itertools.count(1)
        self._revisions: dict[tuple[str, ObjectId], int] = {}

    def subscribe(
        self, callback: Listener, names: Iterable[EventName] | None = None
    ) -> Callable[[], None]:
        """Call callback with every event of these names (every event when None).

        A plain callback runs inside publish() and must not block; a coroutine function runs as
        a task of its own. A callback that raises is logged and changes nothing for the others.
        Returns the function that unsubscribes.
        """
        subscription = _Subscription(callback, None if names is None else frozenset(names))
        self._subscriptions = [*self._subscriptions, subscription]  # publish() may be iterating

        def unsubscribe() -> None:
            self._subscriptions = [s for s in self._subscriptions if s is not subscription]

        return unsubscribe

    def stream(self, maxsize: int = 512) -> EventStream:
        """Open a stream of at most maxsize unread events, for a reader such as a WebSocket."""
        stream = EventStream(self, maxsize)
        self._streams.add(stream)
        return stream

    def close_stream(self, stream: EventStream) -> None:
        """Stop delivering to a stream."""
        self._streams.discard(stream)

    def revision(self, kind: str, object_id: ObjectId = None) -> int:
        """Return the revision of an object's latest event (0: none since the engine started)."""
        return self._revisions.get((kind, object_id), 0)

    def publish(self, name: EventName, data: dict[str, Any], object_id: ObjectId = None) -> Event:
        """Deliver an event to every stream and to every listener of its name.

        An event about an object (see SUBJECTS) takes the object's next revision, also written
        into its data: the data is the object's view as of that revision.
        """
        kind = SUBJECTS[name]
        if kind is None:
            event = Event(name, data)
        else:
            revision = self._revisions[kind, object_id] = next(self._counter)
            event = Event(name, {**data, "revision": revision}, object_id, revision)
        for stream in list(self._streams):
            stream.offer(event)
        for subscription in self._subscriptions:
            if subscription.names is None or name in subscription.names:
                self._call(subscription.callback, event)
        _LOGGER.debug("event %s", name)
        return event

    async def close(self) -> None:
        """Cancel the listeners still running (at engine shutdown)."""
        running = list(self._running)
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)

    def _call(self, callback: Listener, event: Event) -> None:
        try:
            result = callback(event)
        except Exception:
            _LOGGER.exception("listener %s failed on %s", _named(callback), event.name)
            return
        if inspect.isawaitable(result):
            task = asyncio.ensure_future(result)
            task.set_name(f"{_named(callback)} on {event.name}")
            self._running.add(task)
            task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _LOGGER.error("listener %s failed", task.get_name(), exc_info=error)


def _named(callback: Listener) -> str:
    return getattr(callback, "__qualname__", repr(callback))
