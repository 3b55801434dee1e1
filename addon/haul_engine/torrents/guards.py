"""The torrents' guards: the VPN interface, free space in the download folder, share limits."""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

from haul_engine.events import EventName
from haul_engine.torrents.models import GLOBAL_LIMIT, NO_LIMIT

if TYPE_CHECKING:
    from haul_engine.torrents.controller import TorrentsController
    from haul_engine.torrents.models import TorrentRecord
    from haul_engine.torrents.preferences import Preferences
    from haul_engine.torrents.views import TorrentView

_LOGGER = logging.getLogger(__name__)


class VpnGuard:
    """While the VPN interface is missing or down, the whole session is paused.

    Established connections would otherwise linger outside the VPN; when the interface returns,
    sockets are opened again and the session resumes.
    """

    def __init__(self, torrents: TorrentsController) -> None:
        """Guard the interface of the settings (none: nothing to guard)."""
        self.torrents = torrents
        self.interface = torrents.engine.settings.vpn_interface
        self.up = True

    def present(self) -> bool:
        """Whether the VPN interface exists and is administratively up."""
        flags = Path("/sys/class/net") / self.interface / "flags"
        try:
            return bool(int(flags.read_text(), 16) & 1)
        except (OSError, ValueError):
            return False

    def watch(self) -> None:
        """Pause or resume the session if the interface went or came back (at start, each tick)."""
        if not self.interface:
            return
        present = self.present()
        if present and not self.up:
            self.up = True
            self.torrents.session.resume_all(reopen_sockets=True)
            _LOGGER.info("VPN interface %s is back: torrents resume", self.interface)
            self.torrents.engine.events.publish(
                EventName.TORRENTS_VPN_UP, {"interface": self.interface}
            )
        elif not present and self.up:
            self.up = False
            self.torrents.session.pause_all()
            _LOGGER.warning("VPN interface %s is gone: every torrent is paused", self.interface)
            self.torrents.engine.events.publish(
                EventName.TORRENTS_VPN_DOWN, {"interface": self.interface}
            )

    def problems(self) -> list[str]:
        """Say that the VPN is down, while it is."""
        return [] if self.up else [f"VPN interface {self.interface} is down: torrents are paused"]


class DiskGuard:
    """Below `min_free_space_mb` unfinished torrents are held (queuedDL) until space returns.

    A held torrent is not stopped by its user: it starts again by itself; user-stopped torrents
    stay stopped.
    """

    def __init__(self, torrents: TorrentsController) -> None:
        """Guard the download folder's disk."""
        self.torrents = torrents
        self.low = False
        self.held: set[str] = set()
        self.free: int | None = None  # bytes free at the latest look (every few seconds)

    @property
    def threshold(self) -> int:
        """Free bytes below which downloads are held."""
        return self.torrents.engine.settings.min_free_space_mb * 1024 * 1024

    def may_run(self, info_hash: str) -> bool:
        """Whether the torrent may run now (a finished one always may: it only reads)."""
        return not self.low or self.torrents.snapshots[info_hash].finished

    def hold(self, info_hash: str) -> None:
        """Pause a torrent for the guard (not the user's stop: it resumes by itself)."""
        self.held.add(info_hash)
        self.torrents.session.stop(info_hash)

    async def watch(self) -> None:
        """Hold the downloads when free space fell below the threshold, release them when back."""
        torrents = self.torrents
        usage = await asyncio.to_thread(shutil.disk_usage, torrents.folders.downloads)
        self.free = usage.free
        low = usage.free < self.threshold
        if low == self.low:
            return
        self.low = low
        data = {
            "free_bytes": usage.free,
            "threshold_bytes": self.threshold,
            "folder": str(torrents.folders.downloads),
        }
        if low:
            for view in torrents.views():
                if not view.record.stopped and not view.status.finished:
                    self.hold(view.record.info_hash)
            _LOGGER.warning(
                "free space below %d MiB: downloads paused",
                torrents.engine.settings.min_free_space_mb,
            )
            torrents.engine.events.publish(EventName.TORRENTS_DISK_LOW, data)
        else:
            for info_hash in list(self.held):
                self.held.discard(info_hash)
                torrents.resume_held(info_hash)
            _LOGGER.info("free space is back: downloads resume")
            torrents.engine.events.publish(EventName.TORRENTS_DISK_OK, data)
        torrents.refresh(list(torrents.records))

    def problems(self) -> list[str]:
        """Say that downloads are held, while they are."""
        megabytes, folder = self.torrents.engine.settings.min_free_space_mb, self.torrents.folders
        message = f"less than {megabytes} MiB free in {folder.downloads}: downloads are paused"
        return [message] if self.low else []


def share_limits(record: TorrentRecord, preferences: Preferences) -> tuple[float, int, int]:
    """Return the ratio, seeding minutes and inactive minutes that apply (-1 = none).

    A torrent's own limit, or the global preference where it has -2.
    """
    return (
        preferences.max_ratio if record.ratio_limit == GLOBAL_LIMIT else record.ratio_limit,
        preferences.max_seeding_time
        if record.seeding_time_limit == GLOBAL_LIMIT
        else record.seeding_time_limit,
        preferences.max_inactive_seeding_time
        if record.inactive_seeding_time_limit == GLOBAL_LIMIT
        else record.inactive_seeding_time_limit,
    )


def share_limits_reached(views: list[TorrentView], preferences: Preferences) -> list[str]:
    """Return the seeding torrents that reached their ratio, seeding or inactive time limit.

    They are stopped (`stoppedUP`), never deleted: the arrs remove them.
    """
    now = int(time.time())
    reached = []
    for view in views:
        record, status = view.record, view.status
        if record.stopped or not status.finished:
            continue
        ratio, minutes, inactive = share_limits(record, preferences)
        if (
            (ratio != NO_LIMIT and view.ratio >= ratio)
            or (minutes != NO_LIMIT and status.seeding_seconds >= minutes * 60)
            or (inactive != NO_LIMIT and now - status.last_activity >= inactive * 60)
        ):
            reached.append(record.info_hash)
    return reached
