"""What callers see of a torrent: its record and live status, with qBittorrent's state names."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - pydantic reads the annotations at runtime
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, Field

from haul_engine.torrents.models import GLOBAL_LIMIT
from haul_engine.torrents.session import root_folder

if TYPE_CHECKING:
    from haul_engine.torrents.models import TorrentRecord
    from haul_engine.torrents.session import FileEntry, Snapshot

UNKNOWN_ETA = 8_640_000
MAX_RATIO = 9999.0  # qBittorrent reports a larger ratio as -1 (infinite)
ContentLayout = Literal["Original", "Subfolder", "NoSubfolder"]
FilePriority = Literal[0, 1, 6, 7]
COMPLETED_STATES = frozenset({"uploading", "stalledUP", "queuedUP", "forcedUP", "stoppedUP"})
DOWNLOADING_STATES = frozenset({"downloading", "forcedDL", "metaDL", "forcedMetaDL", "stalledDL"})
_CHECKING = frozenset({"checking_files", "queued_for_checking", "allocating"})
QUEUED_STATES = frozenset({"queuedDL", "checkingDL", "checkingUP", "checkingResumeData"})
Bytes = Annotated[int, Field(ge=0, le=2**31 - 1, description="bytes/s, 0 = none")]


class AddOptions(BaseModel):
    """How to file and run a torrent being added."""

    category: str = Field("", max_length=255)
    tags: list[str] = Field(default_factory=list)
    save_path: str = ""
    download_path: str | None = Field(
        None, description="incomplete folder; None = the category's or global one, '' = none"
    )
    name: str = Field("", max_length=1024, description="replaces the torrent's own name")
    stopped: bool | None = Field(None, description="None = the add_stopped preference")
    forced: bool = False
    sequential: bool = False
    first_last_piece: bool = False
    content_layout: ContentLayout | None = Field(None, description="None = the preference")
    auto_tmm: bool = False
    ratio_limit: float = Field(GLOBAL_LIMIT, ge=GLOBAL_LIMIT, le=1_000_000)
    seeding_time_limit: int = Field(GLOBAL_LIMIT, ge=GLOBAL_LIMIT, le=525_600_000)
    inactive_seeding_time_limit: int = Field(GLOBAL_LIMIT, ge=GLOBAL_LIMIT, le=525_600_000)
    download_limit: Bytes = 0
    upload_limit: Bytes = 0
    request_id: str | None = Field(None, max_length=64)


class TorrentInfo(BaseModel):
    """One torrent as the engine API shows it."""

    hash: str
    name: str
    state: str
    progress: float
    size: int
    downloaded: int
    uploaded: int
    download_rate: int
    upload_rate: int
    eta: int
    ratio: float
    category: str
    tags: list[str]
    save_path: str
    download_path: str
    content_path: str
    stopped: bool
    sequential: bool
    num_seeds: int
    num_peers: int
    seeding_seconds: int
    ratio_limit: float
    seeding_time_limit: int
    inactive_seeding_time_limit: int
    download_limit: int
    upload_limit: int
    request_id: str | None
    added_on: datetime
    completed_on: datetime | None
    error: str
    revision: int = Field(description="of the torrent's latest event (0: none since the start)")


class FileInfo(BaseModel):
    """One file of a torrent (pad files left out), as the engine API shows it."""

    index: int
    path: str = Field(description="relative to the save path, `/` separated")
    size: int
    progress: float
    priority: FilePriority = Field(description="0 skip, 1 normal, 6 high, 7 maximum")

    @classmethod
    def of(cls, entry: FileEntry) -> FileInfo:
        """Shape a session file entry (priorities 2-5, which only libtorrent sets, read as 6)."""
        priority = entry.priority if entry.priority in {0, 1, 7} else 6
        progress = round(entry.done / entry.size, 6) if entry.size else 1.0
        return cls(
            index=entry.index,
            path=entry.path,
            size=entry.size,
            progress=progress,
            priority=priority,
        )


@dataclass(slots=True)
class TorrentView:
    """A torrent's record, its last status, what the guards did to it and its file paths."""

    record: TorrentRecord
    status: Snapshot
    held: bool
    paths: list[str]
    problem: str = ""
    resumed: bool = False  # restored at start, not added in this run
    revision: int = 0  # of the torrent's latest event

    @property
    def name(self) -> str:
        """The given name, else the torrent's, else the magnet's, else the hash (qBittorrent)."""
        record = self.record
        return record.custom_name or self.status.name or record.name or record.info_hash

    @property
    def state(self) -> str:  # noqa: PLR0911 - qBittorrent's state table, in its order
        """The qBittorrent state string (see the contract's state table)."""
        status = self.status
        # libtorrent's first status of every new handle; qBittorrent lists a torrent only once it
        # is loaded, so only one resumed at start is seen so
        if status.state == "checking_resume_data" and self.resumed:
            return "checkingResumeData"
        if status.moving:
            return "moving"
        if status.error or self.problem:
            return "error"
        suffix = "UP" if status.finished and status.has_metadata else "DL"
        if self.record.stopped:
            return f"stopped{suffix}"
        if self.held or (status.paused and status.auto_managed):
            return f"queued{suffix}"
        if not status.has_metadata:
            return "forcedMetaDL" if self.record.forced else "metaDL"
        if status.state in _CHECKING:
            return f"checking{suffix}"
        if self.record.forced:
            return f"forced{suffix}"
        if status.finished:
            return "uploading" if status.upload_rate > 0 else "stalledUP"
        return "downloading" if status.download_rate > 0 else "stalledDL"

    @property
    def error(self) -> str:
        """Why the torrent is in error, if it is."""
        return self.problem or self.status.error

    @property
    def location(self) -> str:
        """Where the data is now: the incomplete folder while unfinished, then the save path."""
        return (self.status.save_path or self.record.save_path).rstrip("/") or "/"

    @property
    def content_path(self) -> str:
        """Return qBittorrent's content path.

        The file of a single-file torrent, else its root folder, else the location itself (no
        root folder); before metadata, location/name.
        """
        location = self.location.rstrip("/")
        if not self.paths:
            return f"{location}/{self.name}"
        if len(self.paths) == 1:
            return f"{location}/{self.paths[0]}"
        root = root_folder(self.paths)
        return f"{location}/{root}" if root else self.location

    @property
    def root_path(self) -> str:
        """The root folder's path, or "" (qBittorrent's root_path)."""
        root = root_folder(self.paths) if len(self.paths) > 1 else ""
        return f"{self.location.rstrip('/')}/{root}" if root else ""

    @property
    def ratio(self) -> float:
        """Uploaded over downloaded (or over the data we have, for torrents added complete)."""
        base = max(self.status.downloaded, self.status.total_done)
        if not base:
            return 0.0
        ratio = self.status.uploaded / base
        return -1.0 if ratio > MAX_RATIO else round(ratio, 4)

    @property
    def eta(self) -> int:
        """Seconds left at the current rate, or qBittorrent's 'unknown' value."""
        left = self.status.wanted_size - self.status.total_done
        if self.status.has_metadata and (self.status.finished or left <= 0):
            return 0
        if self.status.download_rate <= 0 or not self.status.has_metadata:
            return UNKNOWN_ETA
        return min(left // self.status.download_rate, UNKNOWN_ETA)

    def info(self) -> TorrentInfo:
        """Return the engine API's shape."""
        record, status = self.record, self.status
        return TorrentInfo(
            hash=record.info_hash,
            name=self.name,
            state=self.state,
            progress=round(status.progress, 6),
            size=status.wanted_size,
            downloaded=status.downloaded,
            uploaded=status.uploaded,
            download_rate=status.download_rate,
            upload_rate=status.upload_rate,
            eta=self.eta,
            ratio=self.ratio,
            category=record.category,
            tags=record.tags,
            save_path=record.save_path,
            download_path=record.download_path,
            content_path=self.content_path,
            stopped=record.stopped,
            sequential=status.sequential,
            num_seeds=status.num_seeds,
            num_peers=status.num_peers - status.num_seeds,
            seeding_seconds=status.seeding_seconds,
            ratio_limit=record.ratio_limit,
            seeding_time_limit=record.seeding_time_limit,
            inactive_seeding_time_limit=record.inactive_seeding_time_limit,
            download_limit=record.download_limit,
            upload_limit=record.upload_limit,
            request_id=record.request_id,
            added_on=record.added_on,
            completed_on=record.completed_on,
            error=self.error,
            revision=self.revision,
        )


def parse_peer(text: str) -> tuple[str, int] | None:
    """Read `ip:port` or `[ipv6]:port` as qBittorrent does (no host names), else None."""
    host, separator, port = text.strip().rpartition(":")
    if not separator or not port.isascii() or not port.isdigit():
        return None
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        return None
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    number = int(port)
    return (str(address), number) if 0 < number < 65536 else None  # noqa: PLR2004 - TCP ports
