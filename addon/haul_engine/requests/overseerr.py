"""The overseerr connector kind (Overseerr, Jellyseerr, Seerr): API client and webhook payloads."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from haul_engine.arr.client import ArrClient, ArrError, RetryPolicy
from haul_engine.connectors.kinds import (
    CHOICES,
    MIN_WEBHOOK_SECRET,
    ConnectorConfig,
    ConnectorKind,
    TestResult,
    Webhook,
    WebhookSecret,
    register_kind,
)
from haul_engine.errors import InvalidInput

if TYPE_CHECKING:
    import aiohttp

TEST_RETRY = RetryPolicy(attempts=1, timeout=10.0)
WEBHOOK_PATH = "/api/v1/webhooks/overseerr/{connector_id}"
# The notification types of Overseerr's webhook that KNOWN_TYPES reads, as Overseerr names them.
WEBHOOK_EVENTS = (
    "Request Pending Approval", "Request Automatically Approved", "Request Approved",
    "Request Declined", "Request Available", "Request Processing Failed",
)  # fmt: skip
KNOWN_TYPES = frozenset(
    {
        "MEDIA_PENDING",
        "MEDIA_APPROVED",
        "MEDIA_AUTO_APPROVED",
        "MEDIA_AVAILABLE",
        "MEDIA_DECLINED",
        "MEDIA_FAILED",
        "TEST_NOTIFICATION",
    }
)
REQUEST_STATUS = {1: "pending", 2: "approved", 3: "declined", 4: "failed", 5: "completed"}
_NUMBER = re.compile(r"\d+")
_TITLE_YEAR = re.compile(r"^(?P<title>.+?)\s*\((?P<year>(?:18|19|20)\d\d)\)$")
TMDB_POSTERS = "https://image.tmdb.org/t/p/w600_and_h900_bestv2"
MAX_URL = 2000


class OverseerrSettings(BaseModel):
    """Per-connector request settings."""

    model_config = ConfigDict(extra="forbid")

    webhook_secret: Annotated[
        WebhookSecret,
        Field(
            title="Webhook secret",
            description="What Overseerr sends as the Authorization header of its webhook, at "
            f"least {MIN_WEBHOOK_SECRET} characters. Empty when adding: Haul makes one; empty "
            "when changing: the current one stays.",
        ),
    ] = None
    reconcile: Annotated[
        bool,
        Field(
            title="Read back pending requests",
            description="When the connector starts, read the pending and approved requests "
            "Haul missed (while it was stopped, say).",
        ),
    ] = True
    auto_pick_users: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=255)]],
        Field(
            title="Auto-pick for these users",
            description="Requests of these Overseerr users get the best release at once, "
            "without waiting for someone to choose.",
        ),
    ] = []
    ranking_profile: Annotated[
        str | None,
        Field(
            title="Ranking profile",
            description="The quality profile Haul ranks this server's requests against; empty: "
            "the engine's default profile.",
            json_schema_extra={CHOICES: "releases/profiles"},
        ),
    ] = None
    availability_job: Annotated[
        str,
        Field(
            pattern=r"^[a-z0-9-]*$",
            max_length=64,
            title="Availability job",
            description="The Seerr job Haul starts after an import, so the request shows as "
            "available at once (availability-sync); empty: none.",
        ),
    ] = ""


class OverseerrClient(ArrClient):
    """The Overseerr family's REST API (X-Api-Key, /api/v1)."""

    api_base = "/api/v1"

    async def version(self) -> str:
        """Ask /status for the version."""
        answer = await self.get("/status")
        if not isinstance(answer, dict) or "version" not in answer:
            msg = f"{self.config.name}: /status did not look like Overseerr"
            raise ArrError(msg)
        return str(answer["version"])

    async def request_details(self, request_id: str) -> dict[str, Any]:
        """One request with its media, seasons and requester."""
        answer: dict[str, Any] = await self.get(f"/request/{request_id}")
        return answer

    async def media(self, media_type: str, tmdb_id: int) -> dict[str, Any]:
        """Fetch a movie's or series' details: title, dates, overview, poster, seasons."""
        answer: dict[str, Any] = await self.get(
            f"/{'tv' if media_type == 'tv' else 'movie'}/{tmdb_id}"
        )
        return answer

    async def decide(self, request_id: str, verdict: str) -> None:
        """Approve or decline a request in Overseerr."""
        await self.request("POST", f"/request/{request_id}/{verdict}")

    async def run_job(self, job_id: str) -> None:
        """Start one of the server's jobs now (Seerr: `availability-sync`, a library scan)."""
        await self.request("POST", f"/settings/jobs/{job_id}/run")

    async def pending(self) -> list[dict[str, Any]]:
        """Every pending and approved request not yet available, newest first."""
        found: list[dict[str, Any]] = []
        for state in ("pending", "approved"):
            skip = 0
            while True:
                answer = await self.get("/request", take=100, skip=skip, filter=state, sort="added")
                results: list[dict[str, Any]] = answer.get("results") or []
                found += results
                skip += len(results)
                if not results or skip >= int((answer.get("pageInfo") or {}).get("results") or 0):
                    break
        return found


async def test_overseerr(config: ConnectorConfig, session: aiohttp.ClientSession) -> TestResult:
    """Reach /status with the API key."""
    client = OverseerrClient(config, session=session, retry=TEST_RETRY)
    try:
        version = await client.version()
        await client.get("/request/count")
    except ArrError as err:
        return TestResult(ok=False, error=str(err))
    return TestResult(ok=True, app="Overseerr", version=version)


register_kind(
    ConnectorKind(
        "overseerr", "request", OverseerrSettings, test_overseerr, title="Overseerr",
        default_url="http://localhost:5055", webhook=Webhook(WEBHOOK_PATH, events=WEBHOOK_EVENTS),
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Notification:
    """What a webhook (or a read-back request) says about one request."""

    kind: str
    request_id: str
    media_type: str = ""
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    title: str = ""
    requested_by: str = ""
    seasons: list[int] = field(default_factory=list)
    poster_url: str | None = None
    year: int | None = None
    overview: str | None = None
    # where Overseerr sends it, as GET /request/{id} tells (the webhook does not)
    routing: Routing | None = None


@dataclass(frozen=True, slots=True)
class Routing:
    """Where Overseerr sends a request: 4K or not, its server, the arr's profile and folder."""

    is4k: bool = False
    server_id: int | None = None
    profile_id: int | None = None
    root_folder: str | None = None
    language_profile_id: int | None = None
    tags: list[int] = field(default_factory=list)


def parse_webhook(body: Any) -> Notification:  # noqa: ANN401 - any JSON body
    """Read the default or a custom template; refuse bodies without a type and a request id."""
    if not isinstance(body, dict):
        msg = "the webhook body must be a JSON object"
        raise InvalidInput(msg)
    kind = str(body.get("notification_type") or "").strip().upper()
    if kind not in KNOWN_TYPES:
        msg = f"notification_type: expected one of {', '.join(sorted(KNOWN_TYPES))}"
        raise InvalidInput(msg)
    request = _section(body, "request")
    media = _section(body, "media")
    request_id = str(
        request.get("request_id") or request.get("id") or body.get("request_id") or ""
    ).strip()
    if kind == "TEST_NOTIFICATION":
        return Notification(kind, request_id)
    if not request_id.isdigit():
        msg = "request.request_id: a request id is required"
        raise InvalidInput(msg)
    requested_by = request.get("requestedBy_username") or request.get("requestedBy_email") or ""
    title, year = split_year(str(body.get("subject") or ""))
    return Notification(
        kind=kind,
        request_id=request_id,
        media_type=_media_type(media.get("media_type") or body.get("media_type")),
        tmdb_id=_number(media.get("tmdbId")),
        tvdb_id=_number(media.get("tvdbId")),
        title=title,
        year=year,
        requested_by=str(requested_by),
        seasons=_requested_seasons(body.get("extra")),
        poster_url=read_poster(body.get("image")),
    )


def from_details(kind: str, details: dict[str, Any]) -> Notification:
    """Read a request as GET /request/{id} returns it."""
    media = details.get("media") or {}
    user = details.get("requestedBy") or {}
    return Notification(
        kind=kind,
        request_id=str(details.get("id") or ""),
        media_type=_media_type(media.get("mediaType")),
        tmdb_id=_number(media.get("tmdbId")),
        tvdb_id=_number(media.get("tvdbId")),
        title=str(media.get("title") or details.get("subject") or ""),
        requested_by=str(user.get("displayName") or user.get("email") or ""),
        seasons=sorted(
            number
            for season in details.get("seasons") or []
            if (number := _number(season.get("seasonNumber"))) is not None
        ),
        poster_url=read_poster(media.get("posterPath")),
        routing=Routing(
            is4k=details.get("is4k") is True,
            server_id=_whole(details.get("serverId")),
            profile_id=_number(details.get("profileId")),
            root_folder=str(details.get("rootFolder") or "").strip() or None,
            language_profile_id=_number(details.get("languageProfileId")),
            tags=[tag for tag in details.get("tags") or [] if isinstance(tag, int)],
        ),
    )


def with_media(note: Notification, media: dict[str, Any]) -> Notification:
    """Fill what a notification lacks from GET /movie/{tmdbId} or /tv/{tmdbId}."""
    title = str(media.get("title") or media.get("name") or "").strip()
    released = str(media.get("releaseDate") or media.get("firstAirDate") or "")
    overview = str(media.get("overview") or "").strip()
    return replace(
        note,
        title=note.title or title,
        year=note.year or _number(released[:4]),
        overview=note.overview or overview or None,
        poster_url=note.poster_url or read_poster(media.get("posterPath")),
    )


def split_year(subject: str) -> tuple[str, int | None]:
    """Read 'The Matrix (1999)' as its title and year (a subject without one is all title)."""
    found = _TITLE_YEAR.match(subject.strip())
    if found is None:
        return subject.strip(), None
    return found["title"].strip(), int(found["year"])


def _whole(value: Any) -> int | None:  # noqa: ANN401 - a JSON value
    """Read a whole number, 0 included (Overseerr's first server is 0); else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _section(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name)
    return value if isinstance(value, dict) else {}


def _media_type(value: Any) -> str:  # noqa: ANN401 - a template value
    text = str(value or "").strip().lower()
    return "tv" if text in {"tv", "series", "show"} else "movie" if text == "movie" else ""


def _number(value: Any) -> int | None:  # noqa: ANN401 - a template value (every value is a string)
    text = str(value if value is not None else "").strip()
    return int(text) if text.isdigit() and int(text) > 0 else None


def read_poster(value: Any) -> str | None:  # noqa: ANN401 - a template or lookup value
    """Read an image URL, or a TMDB poster path as the API gives it; anything else is no poster."""
    text = str(value or "").strip()
    if text.startswith("/") and len(text) < MAX_URL:
        return TMDB_POSTERS + text
    return text if text.startswith(("https://", "http://")) and len(text) <= MAX_URL else None


def _requested_seasons(extra: Any) -> list[int]:  # noqa: ANN401 - a template value
    if not isinstance(extra, list):
        return []
    for item in extra:
        if isinstance(item, dict) and str(item.get("name", "")).lower() == "requested seasons":
            return sorted({int(number) for number in _NUMBER.findall(str(item.get("value", "")))})
    return []
