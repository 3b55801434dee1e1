"""What callers see of a torrent: its record and live status, with qBittorrent's state names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - pydantic reads the annotations at runtime
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, Field

from haul_engine.torrents.models import GLOBAL_LIMIT

if TYPE_CHECKING:
    from haul_engine.torrents.models import TorrentRecord
    from haul_engine.torrents.session import Snapshot

UNKNOWN_ETA = 8_640_000
ContentLayout = Literal["Original", "Subfolder", "NoSubfolder"]
COMPLETED_STATES = frozenset({"uploading", "stalledUP", "queuedUP", "forcedUP", "stoppedUP"})
DOWNLOADING_STATES = frozenset({"downloading", "forcedDL", "metaDL", "forcedMetaDL", "stalledDL"})
_CHECKING = frozenset({"checking_files", "queued_for_checking", "allocating"})
QUEUED_STATES = frozenset({"queuedDL", "checkingDL", "checkingUP", "checkingResumeData"})


class AddOptions(BaseModel):
    """How to file and run a torrent being added."""

    category: str = Field("", max_length=255)
    tags: list[str] = Field(default_factory=list)
    save_path: str = ""
    stopped: bool = False
    sequential: bool = False
    first_last_piece: bool = False
    content_layout: ContentLayout = "Original"
    ratio_limit: float = Field(GLOBAL_LIMIT, ge=GLOBAL_LIMIT)
    seeding_time_limit: int = Field(GLOBAL_LIMIT, ge=GLOBAL_LIMIT, description="minutes")
    inactive_seeding_time_limit: int = Field(GLOBAL_LIMIT, ge=GLOBAL_LIMIT, description="minutes")
    download_limit: int = Field(0, ge=0, description="bytes/s, 0 = none")
    upload_limit: int = Field(0, ge=0, description="bytes/s, 0 = none")
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


@dataclass(slots=True)
class TorrentView:
    """A torrent's record, its last status, what the guards did to it and its content path."""

    record: TorrentRecord
    status: Snapshot
    held: bool
    content: str

    @property
    def state(self) -> str:
        """The qBittorrent state string (see the contract's state table)."""
        status = self.status
        suffix = "UP" if status.finished else "DL"
        waiting = self._waiting_state(suffix)
        if waiting:
            return waiting
        forced = not status.auto_managed
        if status.state == "downloading_metadata":
            return "forcedMetaDL" if forced else "metaDL"
        rate = status.upload_rate if status.finished else status.download_rate
        if rate <= 0:
            return f"stalled{suffix}"
        if forced:
            return f"forced{suffix}"
        return "uploading" if status.finished else "downloading"

    def _waiting_state(self, suffix: str) -> str:
        """Return the state of a torrent that moves no data on purpose, else an empty string."""
        status = self.status
        if status.error:
            return "error"
        if self.record.stopped:
            return f"stopped{suffix}"
        if status.state == "checking_resume_data":
            return "checkingResumeData"
        if status.state in _CHECKING:
            return f"checking{suffix}"
        if self.held or status.paused:
            return f"queued{suffix}"
        return ""

    @property
    def content_path(self) -> str:
        """save_path/<root folder> for multi-file torrents, save_path/<file> for single files."""
        return f"{(self.status.save_path or self.record.save_path).rstrip('/')}/{self.content}"

    @property
    def ratio(self) -> float:
        """Uploaded over downloaded (or over the data we have, for torrents added complete)."""
        base = max(self.status.downloaded, self.status.total_done)
        return round(self.status.uploaded / base, 4) if base else 0.0

    @property
    def eta(self) -> int:
        """Seconds left at the current rate, or qBittorrent's 'unknown' value."""
        left = self.status.total_size - self.status.total_done
        if self.status.has_metadata and (self.status.finished or left <= 0):
            return 0
        if self.status.download_rate <= 0 or not self.status.has_metadata:
            return UNKNOWN_ETA
        return left // self.status.download_rate

    def info(self) -> TorrentInfo:
        """Return the engine API's shape."""
        record, status = self.record, self.status
        return TorrentInfo(
            hash=record.info_hash,
            name=status.name or record.name,
            state=self.state,
            progress=round(status.progress, 6),
            size=status.total_size,
            downloaded=status.downloaded,
            uploaded=status.uploaded,
            download_rate=status.download_rate,
            upload_rate=status.upload_rate,
            eta=self.eta,
            ratio=self.ratio,
            category=record.category,
            tags=record.tags,
            save_path=status.save_path or record.save_path,
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
            error=status.error,
        )
