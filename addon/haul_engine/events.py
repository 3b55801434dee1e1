"""The engine's event bus: controllers publish, subscribers (WebSocket clients) receive."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

_LOGGER = logging.getLogger(__name__)


class EventName(StrEnum):
    """Every event the engine publishes."""

    SYSTEM_HEARTBEAT = "system_heartbeat"
    TORRENT_ADDED = "torrent_added"
    TORRENT_METADATA = "torrent_metadata"
    TORRENT_PROGRESS = "torrent_progress"
    TORRENT_COMPLETED = "torrent_completed"
    TORRENT_ERROR = "torrent_error"
    TORRENT_REMOVED = "torrent_removed"
    TORRENT_STATE = "torrent_state"
    TORRENTS_VPN_DOWN = "torrents_vpn_down"
    TORRENTS_VPN_UP = "torrents_vpn_up"
    TORRENTS_DISK_LOW = "torrents_disk_low"
    TORRENTS_DISK_OK = "torrents_disk_ok"
    CONNECTOR_CREATED = "connector_created"
    CONNECTOR_UPDATED = "connector_updated"
    CONNECTOR_REMOVED = "connector_removed"
    CONNECTOR_HEALTH_CHANGED = "connector_health_changed"
    SYNC_COMPLETED = "sync_completed"
    SWEEP_STARTED = "sweep_started"
    SWEEP_COMPLETED = "sweep_completed"
    SEARCH_DISPATCHED = "search_dispatched"
    INDEXERS_SEARCHED = "indexers_searched"
    ITEM_ACQUIRED = "item_acquired"
    MEDIA_SERVER_REFRESHED = "media_server_refreshed"
    REQUEST_RECEIVED = "request_received"
    REQUEST_APPROVED = "request_approved"
    REQUEST_DECLINED = "request_declined"
    REQUEST_AWAITING_SELECTION = "request_awaiting_selection"
    RELEASE_GRABBED = "release_grabbed"
    DOWNLOAD_COMPLETED = "download_completed"
    IMPORT_COMPLETED = "import_completed"
    REQUEST_AVAILABLE = "request_available"
    REQUEST_FAILED = "request_failed"


@dataclass(frozen=True, slots=True)
class Event:
    """One published event."""

    name: EventName
    data: dict[str, Any]
    at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def as_message(self) -> dict[str, Any]:
        """Render as the WebSocket message shape."""
        return {
            "type": "event",
            "event": self.name.value,
            "data": self.data,
            "at": self.at.isoformat(),
        }


class Subscription:
    """A bounded queue of events; overflowing it ends the subscription instead of blocking."""

    def __init__(self, bus: EventBus, maxsize: int) -> None:
        """Attach to the bus."""
        self._bus = bus
        self._queue: asyncio.Queue[Event | None] = asyncio.Queue(maxsize)
        self.overflowed = False

    def offer(self, event: Event) -> None:
        """Queue an event, or end the subscription if the reader has fallen behind."""
        try:
            self._queue.put_nowait(event)
        except asyncio.QueueFull:
            self.overflowed = True
            self.close()
            self._queue.get_nowait()  # make room for the end marker
            self._queue.put_nowait(None)

    async def next(self) -> Event | None:
        """Wait for the next event; None once the subscription has ended."""
        return await self._queue.get()

    def close(self) -> None:
        """Detach from the bus."""
        self._bus.unsubscribe(self)


class EventBus:
    """Fan-out of events to subscribers; publishing never waits on anyone."""

    def __init__(self) -> None:
        """Start with no subscribers."""
        self._subscriptions: set[Subscription] = set()

    def subscribe(self, maxsize: int = 512) -> Subscription:
        """Open a subscription holding at most maxsize unread events."""
        subscription = Subscription(self, maxsize)
        self._subscriptions.add(subscription)
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        """Stop delivering to a subscription."""
        self._subscriptions.discard(subscription)

    def publish(self, name: EventName, data: dict[str, Any]) -> Event:
        """Deliver an event to every subscriber."""
        event = Event(name, data)
        for subscription in list(self._subscriptions):
            subscription.offer(event)
        _LOGGER.debug("event %s", name)
        return event
