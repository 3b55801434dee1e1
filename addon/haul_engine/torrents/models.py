"""Tables of the torrent client: every torrent with its options and owner, and the categories."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime  # noqa: TC003 - Table reads the annotations at runtime

from haul_engine.db.tables import Table

GLOBAL_LIMIT = -2
NO_LIMIT = -1


@dataclass(slots=True)
class TorrentRecord:
    """A torrent Haul manages; with its metadata, enough to add it again without resume data.

    save_path is where the torrent ends up; download_path (when set) where it is kept until it
    is complete. custom_name overrides the torrent's own name (qBittorrent's rename).
    """

    info_hash: str
    save_path: str
    added_on: datetime
    name: str = ""
    magnet: str = ""
    category: str = ""
    tags: list[str] = field(default_factory=list)
    stopped: bool = False
    sequential: bool = False
    first_last_piece: bool = False
    content_layout: str = "Original"
    ratio_limit: float = GLOBAL_LIMIT
    seeding_time_limit: int = GLOBAL_LIMIT
    inactive_seeding_time_limit: int = GLOBAL_LIMIT
    download_limit: int = 0
    upload_limit: int = 0
    custom_name: str = ""
    download_path: str = ""
    auto_tmm: bool = False
    forced: bool = False
    super_seeding: bool = False
    ssl_parameters: dict[str, str] | None = None
    request_id: str | None = None
    completed_on: datetime | None = None


@dataclass(slots=True)
class TorrentMetadata:
    """A torrent's .torrent file, kept once: not in its resume data, not in memory with its record.

    Written when a .torrent is added or a magnet's metadata arrives; read to restore the torrent.
    """

    info_hash: str
    data: bytes


@dataclass(slots=True)
class CategoryRecord:
    """A category, the folder its torrents are saved in and their incomplete folder.

    download_path_enabled: None = the global setting, False = none, True = download_path.
    """

    name: str
    save_path: str = ""
    download_path_enabled: bool | None = None
    download_path: str = ""


TORRENTS = Table("torrents", TorrentRecord, key=["info_hash"])
TORRENT_METADATA = Table("torrent_metadata", TorrentMetadata, key=["info_hash"])
CATEGORIES = Table("torrent_categories", CategoryRecord, key=["name"])
