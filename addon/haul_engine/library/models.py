"""Mirror tables of each *arr connector, the search registry and the search history."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - SQLAlchemy reads the annotations at runtime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column

from haul_engine.db.models import Base, UtcDateTime

CONNECTOR_FK = "connectors.id"


class Series(Base):
    """A series of a Sonarr (or Whisparr v2) connector; fingerprint spots changed statistics."""

    __tablename__ = "library_series"
    __table_args__ = (UniqueConstraint("connector_id", "arr_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connector_id: Mapped[str] = mapped_column(ForeignKey(CONNECTOR_FK, ondelete="CASCADE"))
    arr_id: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    monitored: Mapped[bool] = mapped_column(Boolean)
    fingerprint: Mapped[str] = mapped_column(String(64))
    boost: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # its episodes'


class Season(Base):
    """A season's statistics as the *arr reports them."""

    __tablename__ = "library_seasons"
    __table_args__ = (UniqueConstraint("series_id", "season_number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("library_series.id", ondelete="CASCADE"))
    season_number: Mapped[int] = mapped_column(Integer)
    monitored: Mapped[bool] = mapped_column(Boolean)
    episode_count: Mapped[int] = mapped_column(Integer)
    episode_file_count: Mapped[int] = mapped_column(Integer)
    total_episode_count: Mapped[int] = mapped_column(Integer)
    next_airing: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Artist(Base):
    """An artist of a Lidarr connector."""

    __tablename__ = "library_artists"
    __table_args__ = (UniqueConstraint("connector_id", "arr_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connector_id: Mapped[str] = mapped_column(ForeignKey(CONNECTOR_FK, ondelete="CASCADE"))
    arr_id: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(Text)
    monitored: Mapped[bool] = mapped_column(Boolean)


class Item(Base):
    """Something searchable: an episode, a movie or an album, with its file state.

    monitored is what the user chose all the way up: an episode of an unmonitored season or series
    and an album of an unmonitored artist are stored as unmonitored.
    """

    __tablename__ = "library_items"
    __table_args__ = (
        UniqueConstraint("connector_id", "kind", "arr_id"),
        Index("ix_library_items_series", "series_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connector_id: Mapped[str] = mapped_column(ForeignKey(CONNECTOR_FK, ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    arr_id: Mapped[int] = mapped_column(Integer)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("library_series.id", ondelete="CASCADE")
    )
    artist_id: Mapped[int | None] = mapped_column(
        ForeignKey("library_artists.id", ondelete="CASCADE")
    )
    parent_arr_id: Mapped[int | None] = mapped_column(Integer)
    season_number: Mapped[int | None] = mapped_column(Integer)
    episode_number: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    monitored: Mapped[bool] = mapped_column(Boolean)
    has_file: Mapped[bool] = mapped_column(Boolean)
    quality: Mapped[str | None] = mapped_column(String(64))
    cutoff_not_met: Mapped[bool] = mapped_column(Boolean)
    available: Mapped[bool] = mapped_column(Boolean)
    # in the *arr's wanted lists at all, out or not (Radarr 5 lists no movie without a year)
    listed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_search_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Search(Base):
    """The search registry: where each gap stands and when it may be searched again."""

    __tablename__ = "library_searches"
    __table_args__ = (
        Index("ix_library_searches_due", "connector_id", "state", "next_eligible_at"),
    )

    item_id: Mapped[int] = mapped_column(
        ForeignKey("library_items.id", ondelete="CASCADE"), primary_key=True
    )
    connector_id: Mapped[str] = mapped_column(ForeignKey(CONNECTOR_FK, ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    boost: Mapped[int] = mapped_column(Integer, default=0)
    next_eligible_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failure: Mapped[str | None] = mapped_column(String(32))
    history_id: Mapped[int | None] = mapped_column(Integer)
    outcome: Mapped[str | None] = mapped_column(String(16))  # of its latest search
    # a season or series search of it that found nothing: searched by episode until then
    pack_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    pack_retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    exhausted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SearchHistory(Base):
    """One search command sent to an *arr, and how it ended."""

    __tablename__ = "library_search_history"
    __table_args__ = (Index("ix_library_search_history_time", "connector_id", "started_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    connector_id: Mapped[str] = mapped_column(ForeignKey(CONNECTOR_FK, ondelete="CASCADE"))
    command: Mapped[str] = mapped_column(String(32))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    item_ids: Mapped[list[int]] = mapped_column(JSON)
    cost: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12))
    arr_command_id: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str | None] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SyncState(Base):
    """When a connector was last synchronised, fully and at all, and its detected flavour."""

    __tablename__ = "library_sync_state"

    connector_id: Mapped[str] = mapped_column(
        ForeignKey(CONNECTOR_FK, ondelete="CASCADE"), primary_key=True
    )
    flavor: Mapped[str | None] = mapped_column(String(8))
    last_full_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_sync_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
