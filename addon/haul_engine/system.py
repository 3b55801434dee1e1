"""The system capability: engine identity, health summary and the heartbeat event."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel

from haul_engine import __version__
from haul_engine.commands import api_command
from haul_engine.controller import Controller
from haul_engine.events import EventName

if TYPE_CHECKING:
    from haul_engine.engine import Engine

API_SCHEMA_VERSION = 1
MIN_API_SCHEMA_VERSION = 1


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


class SystemController(Controller):
    """Serves /info and /system and publishes the heartbeat."""

    feature = "system"

    def __init__(self, engine: Engine) -> None:
        """Record the start time."""
        super().__init__(engine)
        self.started_at = datetime.now(UTC)
        self._heartbeat: asyncio.Task[None] | None = None

    async def setup(self) -> None:
        """Start the heartbeat."""
        self._heartbeat = asyncio.create_task(self._beat(), name="system heartbeat")

    async def close(self) -> None:
        """Stop the heartbeat."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._heartbeat

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
        counts: dict[str, int] = {}
        for controller in self.engine.controllers:
            counts.update(controller.counts())
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
        )

    async def _beat(self) -> None:
        """Publish the system status every heartbeat interval."""
        while True:
            await asyncio.sleep(self.engine.settings.heartbeat_interval)
            status = await self.status()
            self.engine.events.publish(EventName.SYSTEM_HEARTBEAT, status.model_dump(mode="json"))
