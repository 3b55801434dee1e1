"""A fake Overseerr: its REST API (X-Api-Key) and the webhook bodies of its default template.

As in Overseerr, a request (GET /request, /request/{id}) names its media by ids only; the title,
dates, overview and poster come from the media details (GET /movie/{tmdbId}, /tv/{tmdbId}), and
where the request goes (4K, server, quality profile, root folder, language profile, tags) only
from the request, never from the webhook.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.torznab import ThreadedServer

API_KEY = "overseerr-api-key-5c1a9e77b2"
VERSION = "1.33.2"
REQUEST_STATUS = {"pending": 1, "approved": 2, "declined": 3, "failed": 4}
MEDIA_STATUS = {
    1: "UNKNOWN", 2: "PENDING", 3: "PROCESSING", 4: "PARTIALLY_AVAILABLE", 5: "AVAILABLE",
}  # fmt: skip
SUBJECTS = {
    "MEDIA_PENDING": "New Request",
    "MEDIA_APPROVED": "Request Approved",
    "MEDIA_AUTO_APPROVED": "Request Automatically Approved",
    "MEDIA_DECLINED": "Request Declined",
    "MEDIA_AVAILABLE": "Now Available",
    "MEDIA_FAILED": "Failed Request",
}
IMAGE = "https://image.tmdb.org/t/p/w600_and_h900_bestv2/poster.jpg"
POSTER_PATH = "/poster.png"
POSTER_PNG = base64.b64decode(  # one grey pixel
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNoAAAAggCBd81ytgAAAABJRU5ErkJggg=="
)


@dataclass
class OverseerrRequest:
    """One request as Overseerr stores it."""

    id: int
    media_type: str
    title: str
    year: int
    tmdb_id: int
    tvdb_id: int | None = None
    seasons: list[int] = field(default_factory=list)
    user: str = "alice"
    status: int = 1
    media_status: int = 2
    is4k: bool = False
    poster_path: str | None = None  # TMDB's, in GET /request/{id} when the server adds it
    server_id: int | None = 0
    profile_id: int | None = 4
    root_folder: str | None = None  # None: the server's default (/movies, /tv)
    language_profile_id: int | None = None
    tags: list[int] = field(default_factory=list)
    overview: str = "A story about things."
    aired_seasons: int = 0  # a series' seasons in its details (0: the requested ones)
    # the webhook's poster (empty: TMDB's of poster_path, else IMAGE); a browser test gives the
    # fake's own (127.0.0.1)
    image: str = ""

    def resource(self) -> dict[str, Any]:
        """GET /api/v1/request/{id}, as Overseerr's RequestResultsResponse items look."""
        return {
            "id": self.id,
            "status": self.status,
            "createdAt": "2026-11-20T12:00:00.000Z",
            "updatedAt": "2026-11-20T12:00:00.000Z",
            "type": self.media_type,
            "is4k": self.is4k,
            "serverId": self.server_id,
            "profileId": self.profile_id,
            "rootFolder": self.root_folder or ("/movies" if self.media_type == "movie" else "/tv"),
            "languageProfileId": self.language_profile_id,
            "tags": self.tags,
            "media": {
                "id": self.id + 100,
                "mediaType": self.media_type,
                "tmdbId": self.tmdb_id,
                "tvdbId": self.tvdb_id,
                "status": self.media_status,
                "status4k": 1,
                **({"posterPath": self.poster_path} if self.poster_path else {}),
            },
            "seasons": [
                {"id": number + 1000, "seasonNumber": number, "status": self.status}
                for number in self.seasons
            ],
            "requestedBy": {
                "id": 2,
                "email": f"{self.user}@example.com",
                "displayName": self.user,
                "username": self.user,
                "avatar": "/os_logo_square.png",
            },
            "modifiedBy": None,
            "seasonCount": len(self.seasons),
        }

    def details(self) -> dict[str, Any]:
        """GET /api/v1/movie/{tmdbId} or /tv/{tmdbId}: Overseerr's MovieDetails or TvDetails."""
        common = {
            "id": self.tmdb_id, "overview": self.overview, "posterPath": self.poster_path,
            "backdropPath": None, "genres": [], "status": "Released", "tagline": "",
            "mediaInfo": {"id": self.id + 100, "tmdbId": self.tmdb_id, "tvdbId": self.tvdb_id,
                          "status": self.media_status, "status4k": 1},
        }  # fmt: skip
        if self.media_type == "movie":
            return common | {
                "title": self.title, "originalTitle": self.title,
                "releaseDate": f"{self.year}-03-31", "runtime": 136, "imdbId": None,
                "externalIds": {"imdbId": None, "facebookId": None},
            }  # fmt: skip
        numbers = range(1, self.aired_seasons + 1) if self.aired_seasons else self.seasons
        return common | {
            "name": self.title, "originalName": self.title, "firstAirDate": f"{self.year}-02-18",
            "numberOfSeasons": len(numbers), "numberOfEpisodes": 9 * len(numbers),
            "seasons": [{"id": 5000 + n, "airDate": f"{self.year + n - 1}-02-18",
                         "episodeCount": 9, "name": f"Season {n}", "overview": "",
                         "posterPath": None, "seasonNumber": n} for n in numbers],
            "externalIds": {"tvdbId": self.tvdb_id},
        }  # fmt: skip

    def _tmdb_image(self) -> str:
        return IMAGE.rsplit("/", 1)[0] + self.poster_path if self.poster_path else IMAGE

    def webhook(self, notification_type: str) -> dict[str, Any]:
        """The default webhook template filled in: every value a string, missing ones ''."""
        extra = []
        if self.seasons:
            extra.append({"name": "Requested Seasons", "value": ", ".join(map(str, self.seasons))})
        return {
            "notification_type": notification_type,
            "event": SUBJECTS[notification_type],
            "subject": f"{self.title} ({self.year})",
            "message": "A movie about things.",
            "image": self.image or self._tmdb_image(),
            "media": {
                "media_type": self.media_type,
                "tmdbId": str(self.tmdb_id),
                "tvdbId": str(self.tvdb_id or ""),
                "status": MEDIA_STATUS[self.media_status],
                "status4k": "UNKNOWN",
            },
            "request": {
                "request_id": str(self.id),
                "requestedBy_email": f"{self.user}@example.com",
                "requestedBy_username": self.user,
                "requestedBy_avatar": "/os_logo_square.png",
                "requestedBy_settings_discordId": "",
                "requestedBy_settings_telegramChatId": "",
            },
            "issue": None,
            "comment": None,
            "extra": extra,
        }


class FakeOverseerr(ThreadedServer):
    """Overseerr's request API over a dict of requests; records approvals and declines."""

    def __init__(self, *, api_key: str = API_KEY) -> None:
        """Serve no requests until the test adds some."""
        super().__init__()
        self.api_key = api_key
        self.store: dict[int, OverseerrRequest] = {}
        self.decisions: list[tuple[int, str]] = []
        self.jobs_run: list[str] = []
        self.decline_delay = 0.0  # seconds a decline takes: an Overseerr slow to answer
        self.tmdb_down = False  # TMDB unreachable: media details answer 500, as Overseerr's do

    def add(self, request: OverseerrRequest) -> OverseerrRequest:
        """Store a request (as a user making it would)."""
        self.store[request.id] = request
        return request

    def app(self) -> web.Application:
        """The REST routes Haul uses."""
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/api/v1/status", self._status)
        app.router.add_get("/api/v1/request/count", self._count)
        app.router.add_get("/api/v1/request", self._list)
        app.router.add_get("/api/v1/request/{id}", self._get)
        app.router.add_post("/api/v1/request/{id}/{verdict:approve|decline}", self._decide)
        app.router.add_get("/api/v1/{kind:movie|tv}/{tmdb_id}", self._media)
        app.router.add_post("/api/v1/settings/jobs/{job}/run", self._run_job)
        app.router.add_get(POSTER_PATH, self._poster)
        return app

    def poster_url(self) -> str:
        """A poster this fake serves, for a webhook's image."""
        return f"{self.url}{POSTER_PATH}"

    @web.middleware
    async def _auth(self, request: web.Request, handler: Any) -> web.StreamResponse:  # noqa: ANN401
        self.requests.append({"method": request.method, "path": request.path_qs})
        if request.path != POSTER_PATH and request.headers.get("X-Api-Key") != self.api_key:
            return web.json_response({"message": "You do not have permission."}, status=403)
        answer: web.StreamResponse = await handler(request)
        return answer

    async def _poster(self, _request: web.Request) -> web.Response:
        return web.Response(body=POSTER_PNG, content_type="image/png")

    async def _status(self, _request: web.Request) -> web.Response:
        return web.json_response({
            "version": VERSION, "commitTag": f"v{VERSION}", "updateAvailable": False,
            "commitsBehind": 0, "restartRequired": False,
        })  # fmt: skip

    async def _count(self, _request: web.Request) -> web.Response:
        by_status = dict.fromkeys(("pending", "approved", "declined", "processing"), 0)
        for item in self.store.values():
            for name, number in REQUEST_STATUS.items():
                if item.status == number and name in by_status:
                    by_status[name] += 1
        return web.json_response({"total": len(self.store), "movie": 0, "tv": 0, **by_status})

    async def _list(self, request: web.Request) -> web.Response:
        take = int(request.query.get("take", "10"))
        skip = int(request.query.get("skip", "0"))
        wanted = REQUEST_STATUS.get(request.query.get("filter", ""))
        items = [i for i in self.store.values() if wanted is None or i.status == wanted]
        page = items[skip : skip + take]
        return web.json_response({
            "pageInfo": {"pages": -(-len(items) // take), "pageSize": take,
                         "results": len(items), "page": skip // take + 1},
            "results": [item.resource() for item in page],
        })  # fmt: skip

    def _find(self, request: web.Request) -> OverseerrRequest:
        item = self.store.get(int(request.match_info["id"]))
        if item is None:
            raise web.HTTPNotFound(text='{"message":"Request not found."}')
        return item

    async def _get(self, request: web.Request) -> web.Response:
        return web.json_response(self._find(request).resource())

    async def _media(self, request: web.Request) -> web.Response:
        kind, tmdb_id = request.match_info["kind"], request.match_info["tmdb_id"]
        for item in self.store.values() if not self.tmdb_down else ():
            if item.media_type == kind and str(item.tmdb_id) == tmdb_id:
                return web.json_response(item.details())
        name = "movie" if kind == "movie" else "series"
        return web.json_response({"message": f"Unable to retrieve {name}."}, status=500)

    async def _decide(self, request: web.Request) -> web.Response:
        item = self._find(request)
        verdict = request.match_info["verdict"]
        if verdict == "decline":
            await asyncio.sleep(self.decline_delay)
        item.status = REQUEST_STATUS["approved" if verdict == "approve" else "declined"]
        item.media_status = 3 if verdict == "approve" else 1
        self.decisions.append((item.id, verdict))
        return web.json_response(item.resource())

    async def _run_job(self, request: web.Request) -> web.Response:
        job = request.match_info["job"]
        self.jobs_run.append(job)
        return web.json_response({
            "id": job, "name": job.replace("-", " ").title(), "type": "process",
            "interval": "hours", "cronSchedule": "0 0 5 * * *",
            "nextExecutionTime": "2026-11-21T05:00:00.000Z", "running": True,
        })  # fmt: skip
