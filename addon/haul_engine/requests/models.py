"""Requests, their candidates and their audit trail."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - SQLAlchemy reads the annotations at runtime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from haul_engine.db.models import Base, UtcDateTime, utcnow


class MediaRequest(Base):
    """One request for a movie, series, artist or album, from Overseerr or from Haul itself.

    Overseerr's routing (4K, its server id, the arr's quality profile, root folder, language
    profile and tags) is kept as it asked; season_states holds each requested season's state.
    """

    __tablename__ = "media_requests"
    __table_args__ = (UniqueConstraint("connector_id", "external_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(16))
    connector_id: Mapped[str | None] = mapped_column(String(32), default=None)
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)
    media_type: Mapped[str] = mapped_column(String(8))
    tmdb_id: Mapped[int | None] = mapped_column(Integer, default=None)
    tvdb_id: Mapped[int | None] = mapped_column(Integer, default=None)
    title: Mapped[str] = mapped_column(Text, default="")
    year: Mapped[int | None] = mapped_column(Integer, default=None)
    seasons: Mapped[list[int]] = mapped_column(JSON, default=list)
    requested_by: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(24), index=True)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    arr_connector_id: Mapped[str | None] = mapped_column(String(32), default=None)
    arr_item_id: Mapped[int | None] = mapped_column(Integer, default=None)
    selected_candidate_id: Mapped[int | None] = mapped_column(Integer, default=None)
    download_id: Mapped[str | None] = mapped_column(String(64), default=None)
    imported_path: Mapped[str | None] = mapped_column(Text, default=None)
    poster_url: Mapped[str | None] = mapped_column(Text, default=None)
    overview: Mapped[str | None] = mapped_column(Text, default=None)
    is4k: Mapped[bool] = mapped_column(Boolean, default=False)
    arr_server_id: Mapped[int | None] = mapped_column(Integer, default=None)
    quality_profile_id: Mapped[int | None] = mapped_column(Integer, default=None)
    root_folder: Mapped[str | None] = mapped_column(Text, default=None)
    language_profile_id: Mapped[int | None] = mapped_column(Integer, default=None)
    tags: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    foreign_id: Mapped[str | None] = mapped_column(String(64), default=None)
    season_states: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    search_attempts: Mapped[int] = mapped_column(Integer, default=0)
    step_started_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RequestCandidate(Base):
    """A release offered for a request, with the arr's verdict and Haul's ranking."""

    __tablename__ = "request_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(Integer, index=True)
    position: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(Text)
    indexer: Mapped[str] = mapped_column(Text, default="")
    guid: Mapped[str] = mapped_column(Text, default="")
    indexer_id: Mapped[int | None] = mapped_column(Integer, default=None)
    season: Mapped[int | None] = mapped_column(Integer, default=None)
    full_season: Mapped[bool | None] = mapped_column(Boolean, default=None)  # a season pack
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    seeders: Mapped[int | None] = mapped_column(Integer, default=None)
    leechers: Mapped[int | None] = mapped_column(Integer, default=None)
    quality: Mapped[str] = mapped_column(Text, default="")
    release_group: Mapped[str] = mapped_column(Text, default="")
    custom_formats: Mapped[list[str]] = mapped_column(JSON, default=list)
    custom_format_score: Mapped[int] = mapped_column(Integer, default=0)
    arr_approved: Mapped[bool | None] = mapped_column(Boolean, default=None)
    arr_rejections: Mapped[list[str]] = mapped_column(JSON, default=list)
    haul_score: Mapped[float] = mapped_column(Float, default=0.0)
    haul_accepted: Mapped[bool] = mapped_column(Boolean, default=True)
    haul_rejections: Mapped[list[str]] = mapped_column(JSON, default=list)
    info_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    magnet: Mapped[str | None] = mapped_column(Text, default=None)
    download_url: Mapped[str | None] = mapped_column(Text, default=None)
    result_key: Mapped[str | None] = mapped_column(String(64), default=None)
    failed: Mapped[str | None] = mapped_column(Text, default=None)


class RequestEvent(Base):
    """One line of a request's audit trail: what changed, who did it, from where."""

    __tablename__ = "request_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    from_state: Mapped[str | None] = mapped_column(String(24), default=None)
    to_state: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(Text)
    origin: Mapped[str] = mapped_column(String(16))
    message: Mapped[str] = mapped_column(Text, default="")
