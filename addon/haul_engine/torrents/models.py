"""Tables of the torrent client: every torrent with its options and owner, and the categories."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - SQLAlchemy reads the annotations at runtime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from haul_engine.db.models import Base, UtcDateTime

GLOBAL_LIMIT = -2
NO_LIMIT = -1


class TorrentRecord(Base):
    """A torrent Haul manages; with its metadata, enough to add it again without resume data.

    save_path is where the torrent ends up; download_path (when set) where it is kept until it
    is complete. custom_name overrides the torrent's own name (qBittorrent's rename).
    """

    __tablename__ = "torrents"

    info_hash: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(Text, default="")
    magnet: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(255), default="", index=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    save_path: Mapped[str] = mapped_column(Text)
    stopped: Mapped[bool] = mapped_column(Boolean, default=False)
    sequential: Mapped[bool] = mapped_column(Boolean, default=False)
    first_last_piece: Mapped[bool] = mapped_column(Boolean, default=False)
    content_layout: Mapped[str] = mapped_column(String(16), default="Original")
    ratio_limit: Mapped[float] = mapped_column(Float, default=GLOBAL_LIMIT)
    seeding_time_limit: Mapped[int] = mapped_column(Integer, default=GLOBAL_LIMIT)
    inactive_seeding_time_limit: Mapped[int] = mapped_column(Integer, default=GLOBAL_LIMIT)
    download_limit: Mapped[int] = mapped_column(Integer, default=0)
    upload_limit: Mapped[int] = mapped_column(Integer, default=0)
    custom_name: Mapped[str] = mapped_column(Text, default="")
    download_path: Mapped[str] = mapped_column(Text, default="")
    auto_tmm: Mapped[bool] = mapped_column(Boolean, default=False)
    forced: Mapped[bool] = mapped_column(Boolean, default=False)
    super_seeding: Mapped[bool] = mapped_column(Boolean, default=False)
    ssl_parameters: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    request_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    added_on: Mapped[datetime] = mapped_column(UtcDateTime)
    completed_on: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class TorrentMetadata(Base):
    """A torrent's .torrent file, kept once: not in its resume data, not in memory with its record.

    Written when a .torrent is added or a magnet's metadata arrives; read to restore the torrent.
    """

    __tablename__ = "torrent_metadata"

    info_hash: Mapped[str] = mapped_column(
        String(40), ForeignKey("torrents.info_hash", ondelete="CASCADE"), primary_key=True
    )
    data: Mapped[bytes] = mapped_column(LargeBinary)


class CategoryRecord(Base):
    """A category, the folder its torrents are saved in and their incomplete folder.

    download_path_enabled: None = the global setting, False = none, True = download_path.
    """

    __tablename__ = "torrent_categories"

    name: Mapped[str] = mapped_column(String(255), primary_key=True)
    save_path: Mapped[str] = mapped_column(Text, default="")
    download_path_enabled: Mapped[bool | None] = mapped_column(Boolean, default=None)
    download_path: Mapped[str] = mapped_column(Text, default="")
