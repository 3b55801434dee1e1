"""Speed limits, the alternative speed mode and its schedule (`<data>/torrents/transfer.json`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, ValidationError

from haul_engine.files import write_atomic
from haul_engine.settings import WEEKDAYS

if TYPE_CHECKING:
    from pathlib import Path

    from haul_engine.settings import Settings

KiBs = Annotated[int, Field(ge=0, le=10_000_000, description="KiB/s, 0 = none")]


def _local(moment: time) -> time:
    """Read a time of day given with an offset as the engine's local time of day (today's)."""
    if moment.tzinfo is None:
        return moment
    return datetime.combine(datetime.now(moment.tzinfo).date(), moment).astimezone().time()


LocalTime = Annotated[
    time, AfterValidator(_local), Field(description="local time; one with an offset is converted")
]


class AltSchedule(BaseModel):
    """When the alternative limits apply (local time; start > end spans midnight)."""

    enabled: bool = False
    start: LocalTime = time(1, 0)
    end: LocalTime = time(7, 0)
    days: list[Annotated[int, Field(ge=0, le=6)]] = Field(
        default_factory=lambda: list(range(7)), description="0 = Monday"
    )

    @classmethod
    def from_settings(cls, settings: Settings) -> AltSchedule:
        """Build the schedule the add-on options set (`alt_schedule` is HH:MM-HH:MM)."""
        start, end = settings.alt_schedule.split("-")
        days = [WEEKDAYS.index(day) for day in settings.alt_schedule_days]
        return cls(
            enabled=True, start=time.fromisoformat(start), end=time.fromisoformat(end), days=days
        )

    def covers(self, moment: datetime) -> bool:
        """Whether the schedule is on at this moment."""
        if not self.enabled:
            return False
        now = moment.time()
        if self.start <= self.end:
            return moment.weekday() in self.days and self.start <= now < self.end
        if now >= self.start:
            return moment.weekday() in self.days
        return (moment.weekday() - 1) % 7 in self.days and now < self.end


class TransferLimits(BaseModel):
    """The limits a user can change at run time (start from the settings)."""

    download_limit: KiBs = 0
    upload_limit: KiBs = 0
    alt_download_limit: KiBs = 0
    alt_upload_limit: KiBs = 0
    alt_mode: bool = False
    alt_schedule: AltSchedule = Field(default_factory=AltSchedule)

    @classmethod
    def load(cls, path: Path, settings: Settings) -> TransferLimits:
        """Return the saved limits, or the settings' ones when nothing (usable) was saved."""
        try:
            return cls.model_validate_json(path.read_bytes())
        except (FileNotFoundError, ValidationError):
            return cls(
                download_limit=settings.download_limit,
                upload_limit=settings.upload_limit,
                alt_download_limit=settings.alt_download_limit,
                alt_upload_limit=settings.alt_upload_limit,
            )

    def save(self, path: Path) -> None:
        """Write atomically."""
        write_atomic(path, self.model_dump_json(indent=2).encode())

    def scheduled(self, moment: datetime) -> bool | None:
        """Whether the schedule wants the alternative limits now (None: no schedule).

        The schedule switches alt_mode when its window opens or closes (and at start), as
        qBittorrent's scheduler does: a switch by hand in between holds until then.
        """
        return self.alt_schedule.covers(moment) if self.alt_schedule.enabled else None

    def effective(self) -> tuple[int, int]:
        """Return the (download, upload) limits in bytes/s that apply now."""
        if self.alt_mode:
            return self.alt_download_limit * 1024, self.alt_upload_limit * 1024
        return self.download_limit * 1024, self.upload_limit * 1024


class TransferInfo(BaseModel):
    """Speeds now and the limits in force."""

    download_rate: int
    upload_rate: int
    downloaded: int
    uploaded: int
    alt_active: bool
    limits: TransferLimits
    revision: int = Field(description="of the latest transfer_updated event (0: none yet)")


class SchedulePatch(BaseModel):
    """The parts of the alternative limits' schedule to change (left out: kept)."""

    enabled: bool | None = None
    start: LocalTime | None = None
    end: LocalTime | None = None
    days: list[Annotated[int, Field(ge=0, le=6)]] | None = Field(None, description="0 = Monday")


class LimitsPatch(BaseModel):
    """The limits to change (left out: kept)."""

    download_limit: KiBs | None = None
    upload_limit: KiBs | None = None
    alt_download_limit: KiBs | None = None
    alt_upload_limit: KiBs | None = None
    alt_mode: bool | None = None
    alt_schedule: SchedulePatch | None = None

    def applied(self, limits: TransferLimits) -> TransferLimits:
        """Return limits with the given parts changed."""
        changes: dict[str, object] = self.model_dump(exclude_none=True, exclude={"alt_schedule"})
        if self.alt_schedule is not None:
            schedule = self.alt_schedule.model_dump(exclude_none=True)
            changes["alt_schedule"] = limits.alt_schedule.model_copy(update=schedule)
        return limits.model_copy(update=changes)


@dataclass(frozen=True, slots=True)
class SessionStatistics:
    """What the session moved (payload bytes, this run and all runs) and how it is connected."""

    downloaded: int
    uploaded: int
    all_time_downloaded: int
    all_time_uploaded: int
    dht_nodes: int
    peers: int
    connection: Literal["connected", "firewalled", "disconnected"]


class TransferTotals(BaseModel):
    """Payload bytes moved by earlier runs (`<data>/torrents/totals.json`).

    This run's come from the session's counters.
    """

    downloaded: int = 0
    uploaded: int = 0

    @classmethod
    def load(cls, path: Path) -> TransferTotals:
        """Return the saved totals, or zero."""
        try:
            return cls.model_validate_json(path.read_bytes())
        except (FileNotFoundError, ValidationError):
            return cls()

    def all_time(self, stats: dict[str, int]) -> tuple[int, int]:
        """Return (downloaded, uploaded) over every run, this one included."""
        return (
            self.downloaded + stats.get("net.recv_payload_bytes", 0),
            self.uploaded + stats.get("net.sent_payload_bytes", 0),
        )

    def save(self, path: Path, stats: dict[str, int]) -> None:
        """Write the totals including this run's (atomically)."""
        downloaded, uploaded = self.all_time(stats)
        document = TransferTotals(downloaded=downloaded, uploaded=uploaded)
        write_atomic(path, document.model_dump_json().encode())
