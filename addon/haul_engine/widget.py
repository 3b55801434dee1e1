"""The dashboard widget: a flat JSON object of counts and speeds for Homepage's customapi."""

from __future__ import annotations

import asyncio
import logging
import shutil
from typing import Literal

from pydantic import BaseModel

from haul_engine.commands import api_command
from haul_engine.controller import Controller

_LOGGER = logging.getLogger(__name__)

# widget field -> the controllers' counts() key it shows
COUNT_KEYS = {
    "active_downloads": "torrents_active",
    "queued_downloads": "torrents_queued",
    "seeding": "torrents_seeding",
    "torrents": "torrents",
    "missing": "missing",
    "upgrades": "upgradable",
    "search_queue": "search_queue",
    "searches_today": "searches_today",
    "indexers": "indexers",
    "media_servers": "media_servers",
}
# widget field -> the request state it counts, through the requests/list command
REQUEST_STATES = {"pending_requests": "pending", "awaiting_selection": "awaiting_selection"}


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
    """Serves GET /api/v1/widget, gathered defensively from the other controllers."""

    feature = "widget"

    @api_command("widget", path="/widget")
    async def widget(self) -> Widget:
        """Active downloads, speeds (bytes/s), requests, gaps and upgrades as one flat object."""
        counts: dict[str, int] = {}
        problems = 0
        for controller in self.engine.controllers:
            try:
                counts.update(controller.counts())
                problems += len(controller.problems())
            except Exception:  # the widget shows what it can
                _LOGGER.debug("%s has no numbers for the widget", controller.feature, exc_info=True)
        download_speed, upload_speed = self._speeds()
        return Widget(
            status="degraded" if problems else "ok",
            problems=problems,
            download_speed=download_speed,
            upload_speed=upload_speed,
            disk_free=await self._disk_free(),
            **{field: _number(counts.get(key)) for field, key in COUNT_KEYS.items()},
            **{field: await self._requests_in(state) for field, state in REQUEST_STATES.items()},
        )

    def _speeds(self) -> tuple[int, int]:
        """Download and upload rates from the torrents controller's transfer(), when it has one."""
        transfer = getattr(getattr(self.engine, "torrents", None), "transfer", None)
        if not callable(transfer):
            return 0, 0
        try:
            info = transfer()
        except Exception:  # the widget shows what it can
            _LOGGER.debug("no transfer speeds for the widget", exc_info=True)
            return 0, 0
        return _number(getattr(info, "download_rate", 0)), _number(getattr(info, "upload_rate", 0))

    async def _requests_in(self, state: str) -> int:
        """How many requests are in a state (0 when this engine has no requests capability)."""
        try:
            listed = await self.engine.commands.call("requests/list", {"state": state})
        except Exception:  # the widget shows what it can
            _LOGGER.debug("no request counts for the widget", exc_info=True)
            return 0
        return len(listed) if isinstance(listed, list) else 0

    async def _disk_free(self) -> int:
        """Free bytes in the download folder."""
        try:
            usage = await asyncio.to_thread(
                shutil.disk_usage, self.engine.settings.effective_download_dir
            )
        except OSError:
            return 0
        return usage.free


def _number(value: object) -> int:
    """Return a count or rate as an int, 0 for anything else."""
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
