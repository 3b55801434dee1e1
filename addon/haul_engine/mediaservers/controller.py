"""MediaServersController: refresh every media server after an import, keep their health."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Literal, cast

from pydantic import BaseModel, Field

from haul_engine.commands import api_command
from haul_engine.connectors.controller import ConnectorOwner
from haul_engine.controller import Controller
from haul_engine.db.values import utcnow
from haul_engine.events import EventName
from haul_engine.mediaservers.clients import (
    MediaServerClient,
    MediaServerError,
    is_under,
    make_client,
)
from haul_engine.mediaservers.kinds import MEDIA_SERVER_KINDS, MediaServerSettings

if TYPE_CHECKING:
    from collections.abc import Coroutine
    from datetime import datetime

    from haul_engine.connectors.kinds import ConnectorConfig, HealthStatus
    from haul_engine.engine import Engine

_LOGGER = logging.getLogger(__name__)
FULL_REFRESH_GRACE = 3.0  # seconds a full refresh may take to fail before it runs on unattended
CHECK_INTERVAL = 300.0  # seconds between health checks of every enabled server
NO_FALLBACK: frozenset[HealthStatus] = frozenset({"offline", "unhealthy"})
COALESCE_SECONDS = 30.0  # how long a scan stands for the same folder asked again


class RefreshOutcome(BaseModel):
    """What one media server did with a refresh: targeted, full (the fallback) or nothing."""

    connector_id: str
    name: str
    kind: str
    path: str
    mode: Literal["targeted", "full", "none"]
    ok: bool
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Scan:
    """A refresh sent to one server: what, when, and its outcome (running or done)."""

    path: str  # as asked, before the server's path map
    started: datetime
    outcome: asyncio.Task[RefreshOutcome]

    def stands_for(self, path: str, since: datetime) -> bool:
        """Return whether this scan sees the files at path as they were at since."""
        if self.started < since or not is_under(path, self.path):
            return False
        return not self.outcome.done() or self.outcome.result().ok


class MediaServersController(Controller, ConnectorOwner):
    """Owns the jellyfin, emby and plex connectors; refreshes their libraries on demand."""

    feature = "mediaservers"

    def __init__(self, engine: Engine) -> None:
        """No servers until the connectors controller hands them over."""
        super().__init__(engine)
        self.servers: dict[str, ConnectorConfig] = {}
        self.health: dict[str, tuple[HealthStatus, str | None]] = {}
        self._tasks: set[asyncio.Task[object]] = set()
        self._scans: dict[str, list[_Scan]] = {}  # per server, those of the last COALESCE_SECONDS

    async def setup(self) -> None:
        """Take the media-server connectors and check them regularly."""
        await self.engine.connectors.attach(self, MEDIA_SERVER_KINDS)
        self._spawn(self._check_regularly(), "media server checks")

    async def close(self) -> None:
        """Stop background checks and full scans."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def connector_saved(self, connector: ConnectorConfig) -> None:
        """Remember the server and check it in the background."""
        self.servers[connector.id] = connector
        self.health.pop(connector.id, None)
        if connector.enabled:
            self._spawn(self._check(connector), f"check {connector.name}")

    async def connector_removed(self, connector_id: str) -> None:
        """Forget the server."""
        self.servers.pop(connector_id, None)
        self.health.pop(connector_id, None)
        self._scans.pop(connector_id, None)

    def counts(self) -> dict[str, int]:
        """How many media servers are enabled."""
        return {"media_servers": sum(config.enabled for config in self.servers.values())}

    def problems(self) -> list[str]:
        """Media servers that are unreachable or refuse their key."""
        return [
            f"media server {error or f'{self.servers[key].name} is {health}'}"
            for key, (health, error) in self.health.items()
            if key in self.servers and health in NO_FALLBACK
        ]

    async def refresh(self, path: str, since: datetime | None = None) -> list[RefreshOutcome]:
        """Refresh path on every enabled media server at once; never raises for a failing one.

        `since`: when the files there changed (default now). A server's scan of the path or of a
        folder holding it, started since then and not failed, within COALESCE_SECONDS, stands for
        this one: its outcome is returned (awaited while it runs), and no second scan is sent.
        """
        since = since or utcnow()
        servers = [config for config in self.servers.values() if config.enabled]
        return list(await asyncio.gather(*(self._scan(config, path, since) for config in servers)))

    @api_command("mediaservers/refresh", method="POST", path="/mediaservers/refresh")
    async def refresh_command(
        self, path: Annotated[str, Field(min_length=1)]
    ) -> list[RefreshOutcome]:
        """Refresh a path (file or folder) on every enabled media server; per-server outcomes."""
        return await self.refresh(path)

    async def _scan(self, config: ConnectorConfig, path: str, since: datetime) -> RefreshOutcome:
        """Join the server's recent scan that stands for this one, or start a scan."""
        now = utcnow()
        recent = [
            scan
            for scan in self._scans.get(config.id, [])
            if (now - scan.started).total_seconds() < COALESCE_SECONDS or not scan.outcome.done()
        ]
        self._scans[config.id] = recent
        for scan in recent:
            if scan.stands_for(path, since):
                _LOGGER.debug("%s: %s is in the scan of %s", config.name, path, scan.path)
                return await asyncio.shield(scan.outcome)
        scan = _Scan(path, now, self._spawn(self._refresh_one(config, path), f"scan {config.name}"))
        recent.append(scan)
        return await asyncio.shield(scan.outcome)

    async def _refresh_one(self, config: ConnectorConfig, path: str) -> RefreshOutcome:
        """Refresh one server and announce it; whatever goes wrong ends up in its outcome."""
        outcome = await self._try_refresh(config, path)
        self.engine.events.publish(
            EventName.MEDIA_SERVER_REFRESHED, outcome.model_dump(mode="json")
        )
        return outcome

    async def _try_refresh(self, config: ConnectorConfig, path: str) -> RefreshOutcome:
        """Refresh one server; whatever goes wrong ends up in its outcome."""
        outcome = RefreshOutcome(
            connector_id=config.id, name=config.name, kind=config.kind,
            path=_settings(config).server_path(path), mode="none", ok=False,
        )  # fmt: skip
        try:
            return await self._refresh_server(self._client(config), outcome)
        except Exception:  # one server's bug must not stop the others
            _LOGGER.exception("refreshing %s failed", config.name)
            return outcome.model_copy(update={"error": f"{config.name}: internal error"})

    async def _refresh_server(
        self, client: MediaServerClient, outcome: RefreshOutcome
    ) -> RefreshOutcome:
        """Targeted refresh, or the full one when that fails and the server can still do it."""
        config, path = client.config, outcome.path
        try:
            await client.refresh_path(path)
        except MediaServerError as err:
            targeted = err
        else:
            await self._set_health(config, "healthy", None)
            _LOGGER.info("%s: refreshed %s", config.name, path)
            return outcome.model_copy(update={"mode": "targeted", "ok": True})
        _LOGGER.warning("targeted refresh failed: %s", targeted)
        if targeted.health in NO_FALLBACK:
            await self._set_health(config, targeted.health, str(targeted))
            return outcome.model_copy(update={"error": str(targeted)})
        try:
            await self._full_refresh(client, path)
        except MediaServerError as err:
            error = f"{targeted}; full refresh: {err}"
            await self._set_health(config, err.health, error)
            return outcome.model_copy(update={"error": error})
        await self._set_health(config, "degraded", str(targeted))
        _LOGGER.info("%s: full refresh started instead", config.name)
        return outcome.model_copy(update={"mode": "full", "ok": True, "error": str(targeted)})

    async def _full_refresh(self, client: MediaServerClient, path: str) -> None:
        """Start a full refresh; wait a little for an early failure, then let it run unattended."""
        task = self._spawn(client.refresh_all(path), f"full refresh {client.config.name}")
        done, _ = await asyncio.wait({task}, timeout=FULL_REFRESH_GRACE)
        if task in done:
            task.result()

    async def _check_regularly(self) -> None:
        """Check every enabled server every CHECK_INTERVAL, so health recovers on its own."""
        while True:
            await asyncio.sleep(CHECK_INTERVAL)
            servers = [config for config in self.servers.values() if config.enabled]
            try:
                await asyncio.gather(*(self._check(config) for config in servers))
            except Exception:  # keep checking
                _LOGGER.exception("checking the media servers failed")

    async def _check(self, config: ConnectorConfig) -> None:
        """Test the key and record the health it shows."""
        try:
            info = await self._client(config).identify()
        except MediaServerError as err:
            if self.health.get(config.id, ("unknown", None))[0] != err.health:
                _LOGGER.warning("%s", err)  # once, not at every regular check
            await self._set_health(config, err.health, str(err))
        else:
            _LOGGER.debug("%s: %s %s", config.name, info.app, info.version or "")
            await self._set_health(config, "healthy", None)

    async def _set_health(
        self, config: ConnectorConfig, health: HealthStatus, error: str | None
    ) -> None:
        if config.id not in self.servers:
            return
        self.health[config.id] = (health, error)
        await self.engine.connectors.set_health(config.id, health, error)

    def _client(self, config: ConnectorConfig) -> MediaServerClient:
        return make_client(config, self.engine.http.session)

    def _spawn[T](self, work: Coroutine[object, object, T], name: str) -> asyncio.Task[T]:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)
        return task

    def _finished(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            _LOGGER.warning("%s failed: %s", task.get_name(), error)


def _settings(config: ConnectorConfig) -> MediaServerSettings:
    return cast("MediaServerSettings", config.settings)
