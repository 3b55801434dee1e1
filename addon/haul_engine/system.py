"""The system capability: engine identity, health summary, its changes and the heartbeat."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from haul_engine import __version__
from haul_engine.commands import api_command
from haul_engine.controller import Controller
from haul_engine.events import EventName
from haul_engine.vpn.controller import VpnStatus  # noqa: TC001 - pydantic reads it at runtime

if TYPE_CHECKING:
    from collections.abc import Callable

    from haul_engine.engine import Engine
    from haul_engine.events import Event

_LOGGER = logging.getLogger(__name__)
API_SCHEMA_VERSION = 3  # 3: request views carry overview, routing and season states
MIN_API_SCHEMA_VERSION = 2
# a burst of events (twenty torrents added) is one look at the counts, this long after its first
SETTLE_SECONDS = 0.25
# events that change no count and no problem: their own objects' readers follow them
UNCOUNTED = frozenset(
    {
        EventName.SYSTEM_HEARTBEAT,
        EventName.SYSTEM_UPDATED,
        EventName.TORRENT_PROGRESS,
        EventName.TRANSFER_UPDATED,
    }
)


class EngineInfo(BaseModel):
    """Who this engine is and what it can do."""

    version: str
    schema_version: int
    min_schema_version: int
    server_id: str
    features: list[str]


class SystemStatus(BaseModel):
    """How the engine is doing now."""

    version: str
    status: str
    problems: list[str]
    started_at: datetime
    uptime_seconds: float
    download_dir: str
    disk_free_bytes: int
    disk_total_bytes: int
    counts: dict[str, int]
    vpn: VpnStatus | None = Field(description="the engine's own tunnel (null: none)")
    revision: int = Field(description="of the latest system event (0: none yet)")


class SystemController(Controller):
    """Serves /info and /system; publishes system_updated when counts or problems change.

    It follows every other event to know when to look (a torrent added, a request moved, a
    connector failing), and beats every heartbeat interval with the whole status (uptime, space).
    """

    feature = "system"

    def __init__(self, engine: Engine) -> None:
        """Record the start time."""
        super().__init__(engine)
        self.started_at = datetime.now(UTC)
        self._tasks: set[asyncio.Task[None]] = set()
        self._looking: asyncio.Task[None] | None = None
        self._shown: tuple[str, list[str], dict[str, int]] | None = None
        self._unsubscribe: Callable[[], None] | None = None

    async def setup(self) -> None:
        """Start the heartbeat and follow the other controllers' events."""
        self._spawn(self._beat(), "system heartbeat")
        self._unsubscribe = self.engine.events.subscribe(self._look_soon)

    async def close(self) -> None:
        """Stop following, the heartbeat and the look at the counts under way."""
        if self._unsubscribe is not None:
            self._unsubscribe()
        for task in list(self._tasks):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def _spawn(self, work: Any, name: str) -> asyncio.Task[None]:  # noqa: ANN401 - a coroutine
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    def _look_soon(self, event: Event) -> None:
        """Look at the counts and problems shortly after an event that may have changed them."""
        if event.name in UNCOUNTED or (self._looking is not None and not self._looking.done()):
            return
        self._looking = self._spawn(self._look(), "system counts")

    async def _look(self) -> None:
        await asyncio.sleep(SETTLE_SECONDS)
        self._looking = None  # an event from here on looks again: this look may not see it
        problems = self.engine.problems()
        shown = ("degraded" if problems else "ok", problems, self.counts_of_all())
        if shown != self._shown:
            await self._publish(EventName.SYSTEM_UPDATED)

    async def _publish(self, name: EventName) -> None:
        status = await self.status()
        self._shown = (status.status, status.problems, status.counts)
        self.engine.events.publish(name, status.model_dump(mode="json"))

    def counts_of_all(self) -> dict[str, int]:
        """Every controller's counts; one that fails is left out (and logged at debug)."""
        counts: dict[str, int] = {}
        for controller in self.engine.controllers:
            try:
                counts.update(controller.counts())
            except Exception:  # the summary shows what it can
                _LOGGER.debug("%s has no counts", controller.feature, exc_info=True)
        return counts

    @api_command("system/info", path="/info")
    async def info(self) -> EngineInfo:
        """Identify the engine: version, API schema range, server id and features."""
        return EngineInfo(
            version=__version__,
            schema_version=API_SCHEMA_VERSION,
            min_schema_version=MIN_API_SCHEMA_VERSION,
            server_id=self.engine.server_id,
            features=[controller.feature for controller in self.engine.controllers],
        )

    @api_command("system/status", path="/system")
    async def status(self) -> SystemStatus:
        """Uptime, free space of the download folder, counts and problems."""
        download_dir = self.engine.settings.effective_download_dir
        usage = await asyncio.to_thread(shutil.disk_usage, download_dir)
        counts = self.counts_of_all()
        problems = self.engine.problems()
        now = datetime.now(UTC)
        return SystemStatus(
            version=__version__,
            status="degraded" if problems else "ok",
            problems=problems,
            started_at=self.started_at,
            uptime_seconds=round((now - self.started_at).total_seconds(), 1),
            download_dir=str(download_dir),
            disk_free_bytes=usage.free,
            disk_total_bytes=usage.total,
            counts=counts,
            vpn=await self.engine.vpn.status(),
            revision=self.engine.events.revision("system"),
        )

    async def _beat(self) -> None:
        """Publish the whole system status every heartbeat interval."""
        while True:
            await asyncio.sleep(self.engine.settings.heartbeat_interval)
            await self._publish(EventName.SYSTEM_HEARTBEAT)
