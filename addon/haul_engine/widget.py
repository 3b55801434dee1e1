"""The dashboard widget: a flat JSON object of counts and speeds for Homepage's customapi."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from haul_engine.commands import api_command
from haul_engine.controller import Controller
from haul_engine.events import EventName

if TYPE_CHECKING:
    from collections.abc import Callable

    from haul_engine.engine import Engine
    from haul_engine.events import Event

# widget field -> the system status' counts key it shows
COUNT_KEYS = {
    "active_downloads": "torrents_active",
    "queued_downloads": "torrents_queued",
    "seeding": "torrents_seeding",
    "torrents": "torrents",
    "pending_requests": "requests_pending",
    "awaiting_selection": "requests_awaiting_selection",
    "missing": "missing",
    "upgrades": "upgradable",
    "search_queue": "search_queue",
    "searches_today": "searches_today",
    "indexers": "indexers",
    "media_servers": "media_servers",
}
FOLLOWED = (EventName.SYSTEM_HEARTBEAT, EventName.SYSTEM_UPDATED, EventName.TRANSFER_UPDATED)


class Widget(BaseModel):
    """Counts and speeds; a capability this engine lacks shows 0."""

    status: Literal["ok", "degraded"]
    problems: int
    active_downloads: int
    queued_downloads: int
    seeding: int
    torrents: int
    download_speed: int
    upload_speed: int
    pending_requests: int
    awaiting_selection: int
    missing: int
    upgrades: int
    search_queue: int
    searches_today: int
    indexers: int
    media_servers: int
    disk_free: int


class WidgetController(Controller):
    """Serves GET /api/v1/widget from the latest system status and transfer it heard of.

    Nothing is counted on a request: the system publishes its status whenever a count changes
    (and at every heartbeat), the torrents their speeds every two seconds while they move.
    """

    feature = "widget"

    def __init__(self, engine: Engine) -> None:
        """Nothing heard yet."""
        super().__init__(engine)
        self._status: dict[str, Any] = {}
        self._transfer: dict[str, Any] = {}
        self._unsubscribe: Callable[[], None] | None = None

    async def setup(self) -> None:
        """Start from the status and transfer now, then follow their events."""
        self._status = (await self.engine.system.status()).model_dump(mode="json")
        self._transfer = self.engine.torrents.transfer().model_dump(mode="json")
        self._unsubscribe = self.engine.events.subscribe(self._follow, FOLLOWED)

    async def close(self) -> None:
        """Stop following."""
        if self._unsubscribe is not None:
            self._unsubscribe()

    def _follow(self, event: Event) -> None:
        if event.name == EventName.TRANSFER_UPDATED:
            self._transfer = event.data
        else:
            self._status = event.data

    @api_command("widget", path="/widget")
    async def widget(self) -> Widget:
        """Active downloads, speeds (bytes/s), requests, gaps and upgrades as one flat object."""
        status, counts = self._status, self._status.get("counts", {})
        problems = len(status.get("problems", []))
        return Widget(
            status="degraded" if problems else "ok",
            problems=problems,
            download_speed=_number(self._transfer.get("download_rate")),
            upload_speed=_number(self._transfer.get("upload_rate")),
            disk_free=_number(status.get("disk_free_bytes")),
            **{field: _number(counts.get(key)) for field, key in COUNT_KEYS.items()},
        )


def _number(value: object) -> int:
    """Return a count or rate as an int, 0 for anything else."""
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
