"""How requests, their candidates and their audit trail appear in the API."""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - pydantic reads the annotations at runtime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from haul_engine.requests.candidates import summary

if TYPE_CHECKING:
    from haul_engine.requests.models import MediaRequest, RequestCandidate, RequestEvent

TOP_CANDIDATES = 3
NOT_IN_ROW = frozenset({"candidates", "revision"})


class CandidateView(BaseModel):
    """A release offered for a request."""

    id: int
    position: int
    origin: str
    title: str
    summary: str
    indexer: str
    season: int | None
    full_season: bool | None = Field(description="a season pack (false: single episodes)")
    size: int | None
    seeders: int | None
    leechers: int | None
    quality: str
    release_group: str
    custom_formats: list[str]
    custom_format_score: int
    arr_approved: bool | None
    arr_rejections: list[str]
    haul_score: float
    haul_accepted: bool
    haul_rejections: list[str]
    failed: str | None


class TitleMatch(BaseModel):
    """A work the arr's metadata source found for a request's query: one to choose from."""

    title: str
    year: int | None
    overview: str
    poster_url: str | None
    tmdb_id: int | None
    tvdb_id: int | None
    imdb_id: str | None
    musicbrainz_id: str | None = Field(default=None, description="an album's or an artist's")
    in_library: bool = Field(description="the arr has it already")


class AuditView(BaseModel):
    """One change of state: when, who, from where."""

    at: datetime
    from_state: str | None
    to_state: str
    actor: str
    origin: str
    message: str


class RequestView(BaseModel):
    """A request and where it stands."""

    id: int
    source: str
    connector_id: str | None
    external_id: str | None
    media_type: str
    tmdb_id: int | None
    tvdb_id: int | None
    title: str
    year: int | None
    seasons: list[int]
    requested_by: str
    state: str
    reason: str | None
    arr_connector_id: str | None
    arr_item_id: int | None
    selected_candidate_id: int | None
    download_id: str | None
    imported_path: str | None
    poster_url: str | None
    overview: str | None
    is4k: bool = Field(description="Overseerr's 4K request (served by a connector for 4K)")
    quality_profile_id: int | None = Field(
        description="the arr's quality profile asked for (none: the connector's default)"
    )
    root_folder: str | None = Field(
        description="the arr's root folder asked for (none: the connector's default)"
    )
    season_states: dict[str, str] = Field(
        description="a series request's state per season number (searching, awaiting_selection, "
        "grabbed, downloading, importing, available, failed)"
    )
    created_at: datetime
    updated_at: datetime
    candidates: list[CandidateView] = Field(
        description="the best three candidates that did not fail (in a request's detail: all)"
    )
    revision: int = Field(description="of the request's latest event (0: none since the start)")


class RequestDetail(RequestView):
    """A request with all its candidates (failed ones last) and its audit trail."""

    history: list[AuditView]


def request_view(
    row: MediaRequest, candidates: list[RequestCandidate], revision: int
) -> RequestView:
    """Show a request as the API and its events do: with its best candidates still open.

    candidates are the request's, live ones by position first (as `candidate_rows` loads them).
    """
    return RequestView.model_validate(
        {name: getattr(row, name) for name in RequestView.model_fields.keys() - NOT_IN_ROW}
        | {
            "is4k": bool(row.is4k),
            "season_states": row.season_states or {},
            "candidates": [candidate_view(c) for c in candidates if not c.failed][:TOP_CANDIDATES],
            "revision": revision,
        }
    )


def candidate_view(row: RequestCandidate) -> CandidateView:
    """Show a candidate as the API does, with its one-line summary."""
    return CandidateView.model_validate(
        {
            **{
                name: getattr(row, name) for name in CandidateView.model_fields if name != "summary"
            },
            "summary": summary(row),
        }
    )


def detail_view(
    row: MediaRequest,
    candidates: list[RequestCandidate],
    events: list[RequestEvent],
    revision: int,
) -> RequestDetail:
    """Show a request with all its candidates and its audit trail."""
    return RequestDetail(
        **request_view(row, [], revision).model_dump(exclude={"candidates"}),
        candidates=[candidate_view(candidate) for candidate in candidates],
        history=[AuditView.model_validate(event, from_attributes=True) for event in events],
    )
