"""Requests, their candidates and their audit trail."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime  # noqa: TC003 - Table reads the annotations at runtime

from haul_engine.db.tables import Table
from haul_engine.db.values import utcnow


@dataclass(slots=True)
class MediaRequest:
    """One request for a movie, series, artist or album, from Overseerr or from Haul itself.

    Overseerr's routing (4K, its server id, the arr's quality profile, root folder, language
    profile and tags) is kept as it asked; season_states holds each requested season's state.
    """

    source: str
    media_type: str
    state: str
    connector_id: str | None = None
    external_id: str | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    title: str = ""
    year: int | None = None
    seasons: list[int] = field(default_factory=list)
    requested_by: str = ""
    reason: str | None = None
    arr_connector_id: str | None = None
    arr_item_id: int | None = None
    selected_candidate_id: int | None = None
    download_id: str | None = None
    imported_path: str | None = None
    poster_url: str | None = None
    overview: str | None = None
    is4k: bool = False
    arr_server_id: int | None = None
    quality_profile_id: int | None = None
    root_folder: str | None = None
    language_profile_id: int | None = None
    tags: list[int] | None = None
    foreign_id: str | None = None
    season_states: dict[str, str] | None = None
    search_attempts: int = 0
    step_started_at: datetime = field(default_factory=utcnow)
    created_at: datetime = field(default_factory=utcnow)
    updated_at: datetime = field(default_factory=utcnow)
    id: int = 0  # 0 until inserted


@dataclass(slots=True)
class RequestCandidate:
    """A release offered for a request, with the arr's verdict and Haul's ranking."""

    request_id: int
    position: int
    origin: str
    title: str
    indexer: str = ""
    guid: str = ""
    indexer_id: int | None = None
    season: int | None = None
    full_season: bool | None = None  # a season pack
    size: int | None = None
    seeders: int | None = None
    leechers: int | None = None
    quality: str = ""
    release_group: str = ""
    custom_formats: list[str] = field(default_factory=list)
    custom_format_score: int = 0
    arr_approved: bool | None = None
    arr_rejections: list[str] = field(default_factory=list)
    haul_score: float = 0.0
    haul_accepted: bool = True
    haul_rejections: list[str] = field(default_factory=list)
    info_hash: str | None = None
    magnet: str | None = None
    download_url: str | None = None
    result_key: str | None = None
    failed: str | None = None
    id: int = 0  # 0 until inserted


@dataclass(slots=True)
class RequestEvent:
    """One line of a request's audit trail: what changed, who did it, from where."""

    request_id: int
    to_state: str
    actor: str
    origin: str
    at: datetime = field(default_factory=utcnow)
    from_state: str | None = None
    message: str = ""
    id: int = 0  # 0 until inserted


MEDIA_REQUESTS = Table("media_requests", MediaRequest, key=["id"], generated="id")
CANDIDATES = Table("request_candidates", RequestCandidate, key=["id"], generated="id")
REQUEST_EVENTS = Table("request_events", RequestEvent, key=["id"], generated="id")
