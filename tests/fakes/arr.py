"""A fake Sonarr / Radarr / Whisparr / Lidarr: real payload shapes from a seeded synthetic library.

It runs in its own thread with its own event loop so that both in-process async tests and blocking
calls against the engine subprocess can use it. It records every request and command, and fails on
demand (`fail_next`): HTTP 500, 429 with Retry-After, an answer held past the timeout, bad JSON.
Its `wanted/missing` and `wanted/cutoff` are computed from its own data as each *arr computes them
(monitoring of the item and of what it hangs off, air dates, a movie's minimum availability), so a
test can hold the engine's counts against them.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Self

import orjson
from aiohttp import web

from tests.support.programs import free_port

if TYPE_CHECKING:
    from collections.abc import Callable

API_KEY = "fake-arr-key-0123456789abcdef"
Failure = Literal["500", "429", "hang", "bad_json"]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RUNTIME = 42  # minutes, of every episode
QUALITIES = [
    {"quality": {"id": 4, "name": "HDTV-720p", "source": "television", "resolution": 720}},
    {"quality": {"id": 3, "name": "WEBDL-1080p", "source": "web", "resolution": 1080}},
    {"quality": {"id": 7, "name": "Bluray-1080p", "source": "bluray", "resolution": 1080}},
]
APP_TITLES = {"sonarr": "Sonarr", "radarr": "Radarr", "whisparr": "Whisparr", "lidarr": "Lidarr"}
DEFAULT_VERSIONS = {
    "sonarr": "4.0.14.2939",
    "radarr": "5.21.1.9799",
    "whisparr": "2.0.0.1123",
    "lidarr": "2.9.6.4552",
}


def _stamp(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Library:
    """The synthetic library the fake serves; tests change it to simulate the *arr's life."""

    series: dict[int, dict[str, Any]] = field(default_factory=dict)
    episodes: dict[int, dict[str, Any]] = field(default_factory=dict)
    movies: dict[int, dict[str, Any]] = field(default_factory=dict)
    artists: dict[int, dict[str, Any]] = field(default_factory=dict)
    albums: dict[int, dict[str, Any]] = field(default_factory=dict)
    queue: list[dict[str, Any]] = field(default_factory=list)
    unmonitored_seasons: set[tuple[int, int]] = field(default_factory=set)
    _by_series: dict[int, list[dict[str, Any]]] = field(default_factory=dict, repr=False)
    _indexed: int = -1

    def series_episodes(self, series_id: int) -> list[dict[str, Any]]:
        """The episodes of one series (index rebuilt when episodes are added or removed)."""
        if self._indexed != len(self.episodes):
            self._by_series = {}
            for episode in self.episodes.values():
                self._by_series.setdefault(episode["seriesId"], []).append(episode)
            self._indexed = len(self.episodes)
        return self._by_series.get(series_id, [])

    def move_episode(self, episode_id: int, series_id: int) -> None:
        """Give an episode to another series, as an *arr restored from a backup can."""
        self.episodes[episode_id]["seriesId"] = series_id
        self._indexed = -1

    def monitor_season(self, series_id: int, season: int, *, monitored: bool) -> None:
        """(Un)monitor a season and every episode of it, as Sonarr's season toggle does."""
        if monitored:
            self.unmonitored_seasons.discard((series_id, season))
        else:
            self.unmonitored_seasons.add((series_id, season))
        for episode in self.series_episodes(series_id):
            if episode["seasonNumber"] == season:
                episode["monitored"] = monitored

    def wanted(
        self,
        flavor: str,
        reason: Literal["missing", "cutoff"],
        now: datetime = NOW,
        delay_days: int = 0,
    ) -> list[dict[str, Any]]:
        """The monitored missing or below-cutoff items, as the *arr's wanted lists select them.

        Sonarr: the episode and its series monitored (unmonitoring a season unmonitors its
        episodes), aired, no file; Radarr: monitored and available; Lidarr: the album and its
        artist monitored, released; below cutoff: monitored, with a file below the cutoff.
        """
        if flavor == "series":
            items = [e for e in self.episodes.values()
                     if e["monitored"] and self.series[e["seriesId"]]["monitored"]]  # fmt: skip
            aired = {
                e["id"] for e in items
                if e["airDateUtc"] + timedelta(minutes=RUNTIME) <= now  # once it has ended
            }  # fmt: skip
        elif flavor == "movie":
            items = [m for m in self.movies.values() if m["monitored"]]
            aired = {m["id"] for m in items if movie_available(m, now, delay_days)}
        else:
            items = [a for a in self.albums.values()
                     if a["monitored"] and self.artists[a["artistId"]]["monitored"]]  # fmt: skip
            aired = {a["id"] for a in items if a["released"] <= now}
        if reason == "missing":
            return [item for item in items if not item["hasFile"] and item["id"] in aired]
        return [item for item in items if item["hasFile"] and item["cutoffNotMet"]]

    @classmethod
    def generate(  # noqa: PLR0913 - the shape of the library
        cls,
        seed: int = 1,
        *,
        series: int = 0,
        seasons: int = 3,
        episodes_per_season: int = 10,
        spread: int = 0,
        movies: int = 0,
        artists: int = 0,
        albums_per_artist: int = 4,
        have: float = 0.7,
        unmonitored: float = 0.0,
        upcoming: float = 0.0,
    ) -> Library:
        """A library where about `have` of the items have a file; the rest are gaps.

        Seasons have episodes_per_season episodes, give or take up to spread. About `unmonitored`
        of the series, seasons, episodes, movies, artists and albums are unmonitored, and about
        `upcoming` of the movies and albums (and the last episodes of each series) are not out yet.
        """
        rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        library = cls()
        episode_ids = itertools.count(1)
        for series_id in range(1, series + 1):
            library.series[series_id] = {
                "id": series_id, "title": f"Series {series_id}", "monitored": True,
                "tvdbId": 70000 + series_id,
            }  # fmt: skip
            for season in range(1, seasons + 1):
                length = episodes_per_season + (rng.randint(-spread, spread) if spread else 0)
                for number in range(1, length + 1):
                    episode_id = next(episode_ids)
                    aired = NOW - timedelta(days=(seasons - season) * 365 + (30 - number) * 7)
                    library.episodes[episode_id] = _episode(
                        episode_id=episode_id, series_id=series_id, season=season, number=number,
                        aired=aired, rng=rng, have=have,
                    )  # fmt: skip
        for movie_id in range(1, movies + 1):
            has_file = rng.random() < have
            rng.random()  # the draw that once chose isAvailable: the libraries stay as they were
            library.movies[movie_id] = {
                "id": movie_id, "title": f"Movie {movie_id}", "year": 2000 + movie_id % 25,
                "monitored": True, "hasFile": has_file,
                "tmdbId": 1000 + movie_id, "quality": rng.choice(QUALITIES),
                "cutoffNotMet": has_file and rng.random() < 0.2,
                "released": NOW - timedelta(days=rng.randint(1, 4000)),
            }  # fmt: skip
        album_ids = itertools.count(1)
        for artist_id in range(1, artists + 1):
            library.artists[artist_id] = {"id": artist_id, "artistName": f"Artist {artist_id}",
                                          "monitored": True}  # fmt: skip
            for _ in range(albums_per_artist):
                album_id = next(album_ids)
                library.albums[album_id] = {
                    "id": album_id, "artistId": artist_id, "title": f"Album {album_id}",
                    "monitored": True, "hasFile": rng.random() < have, "trackCount": 10,
                    "cutoffNotMet": False, "released": NOW - timedelta(days=rng.randint(1, 4000)),
                }  # fmt: skip
        if unmonitored or upcoming:
            library.vary(random.Random(seed + 1), unmonitored=unmonitored, upcoming=upcoming)  # noqa: S311
        return library

    def vary(self, rng: random.Random, *, unmonitored: float, upcoming: float) -> None:
        """Unmonitor some of everything and move some releases into the future.

        Drawn from a second generator, so that a library generated without them is unchanged.
        """
        for series in self.series.values():
            series["monitored"] = rng.random() >= unmonitored
            episodes = self.series_episodes(series["id"])
            for season in sorted({e["seasonNumber"] for e in episodes}):
                if rng.random() < unmonitored:
                    self.monitor_season(series["id"], season, monitored=False)
            last = max((e["seasonNumber"] for e in episodes), default=0)
            airing = [e for e in episodes if e["seasonNumber"] == last]
            coming = airing[len(airing) - round(len(airing) * upcoming) :]
            for number, episode in enumerate(coming):
                # the first is on the air now: not aired (missing) until it has ended
                later = timedelta(minutes=-20) if number == 0 else timedelta(days=7 * number)
                episode["airDateUtc"] = NOW + later
                episode["hasFile"] = episode["cutoffNotMet"] = False
        for item in [*self.episodes.values(), *self.movies.values(), *self.artists.values()]:
            item["monitored"] = item["monitored"] and rng.random() >= unmonitored
        for movie in self.movies.values():
            if rng.random() < upcoming:
                _hold_back(movie, rng)
        for album in self.albums.values():
            album["monitored"] = rng.random() >= unmonitored
            if rng.random() < upcoming:
                album["released"] = NOW + timedelta(days=rng.randint(30, 300))
                album["hasFile"] = False


def _hold_back(movie: dict[str, Any], rng: random.Random) -> None:
    """Make a movie not out yet, each way Radarr's minimum availability can (announced cannot)."""
    minimum = rng.choice(["released", "released", "inCinemas", "announced"])
    movie["minimumAvailability"] = minimum
    movie["inCinemas"] = NOW - timedelta(days=rng.randint(1, 80))
    movie["released"] = rng.choice([None, NOW + timedelta(days=rng.randint(30, 300))])
    if minimum == "inCinemas":
        movie["inCinemas"] = NOW + timedelta(days=rng.randint(30, 300))
    movie["hasFile"] = movie["cutoffNotMet"] = False


def _episode(  # noqa: PLR0913 - one generated episode
    *,
    episode_id: int, series_id: int, season: int, number: int, aired: datetime,
    rng: random.Random, have: float,
) -> dict[str, Any]:  # fmt: skip
    has_file = rng.random() < have
    return {
        "id": episode_id, "seriesId": series_id, "seasonNumber": season, "episodeNumber": number,
        "title": f"Episode {number}", "airDateUtc": aired, "monitored": True, "hasFile": has_file,
        "quality": rng.choice(QUALITIES), "cutoffNotMet": has_file and rng.random() < 0.2,
    }  # fmt: skip


class FakeArr:
    """One fake *arr of the given kind and version, serving a Library on 127.0.0.1."""

    def __init__(
        self,
        kind: str,
        library: Library | None = None,
        *,
        version: str | None = None,
        api_key: str = API_KEY,
        polls_to_complete: int = 1,
    ) -> None:
        """Prepare; start() serves."""
        self.kind = kind
        self.version = version or DEFAULT_VERSIONS[kind]
        self.api_key = api_key
        self.library = library or Library()
        self.polls_to_complete = polls_to_complete
        self.port = free_port()
        self.requests: list[tuple[str, str]] = []
        self.commands: list[dict[str, Any]] = []
        self.user_agents: set[str] = set()
        self.connections: set[object] = set()  # the (host, port) of each client connection seen
        self.failures: list[tuple[Failure, str]] = []
        self.health_checks: list[dict[str, Any]] = []
        self.quality_profiles = [{"id": 4, "name": "HD-1080p", "upgradeAllowed": True,
                                  "cutoff": 7}]  # fmt: skip
        self.root_folders = [f"/{ {'radarr': 'movies', 'lidarr': 'music'}.get(kind, 'tv') }"]
        self.hang_seconds = 5.0
        self.retry_after = "0"  # what a 429 asks for: seconds or an HTTP date
        self.now = NOW  # the fake's clock: what has aired and what is available
        self.availability_delay = 0  # Radarr's: days after its minimum availability
        # how many releases each search command grabs, and how commands end (completed unless told)
        self.grabs: Callable[[dict[str, Any]], int] = lambda _body: 0
        self.command_ends: list[str] = []
        self._polls: dict[int, int] = {}
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def api_base(self) -> str:
        """Where the API lives."""
        return "/api/v1" if self.kind == "lidarr" else "/api/v3"

    @property
    def url(self) -> str:
        """Base URL (what a user types into the connector form)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def major(self) -> int:
        """Major version number."""
        return int(self.version.split(".", 1)[0])

    @property
    def flavor(self) -> str:
        """series, movie or music, as the real app of this version behaves."""
        if self.kind == "lidarr":
            return "music"
        if self.kind == "radarr" or (self.kind == "whisparr" and self.major >= 3):
            return "movie"
        return "series"

    def fail_next(self, *failures: Failure, path: str = "") -> None:
        """Make the next requests (whose path contains `path`) fail, one failure each, in order."""
        self.failures.extend((failure, path) for failure in failures)

    def start(self) -> Self:
        """Serve in a background thread."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    def stop(self) -> None:
        """Stop serving and end the thread."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    def __enter__(self) -> Self:
        """Start."""
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        """Stop."""
        self.stop()

    def call(self, function: Any, *args: Any) -> Any:  # noqa: ANN401 - any library change
        """Run a change to the library on the fake's thread, so it never races a response."""
        return self._loop.call_soon_threadsafe(function, *args)

    async def _serve(self) -> None:
        app = web.Application(middlewares=[self._middleware])
        base = self.api_base
        app.router.add_get("/ping", self._ping)
        routes = {
            "/system/status": self._status,
            "/health": self._health,
            "/series": self._series,
            "/episode": self._episodes,
            "/episodefile": self._episode_files,
            "/movie": self._movies,
            "/artist": self._artists,
            "/album": self._albums,
            "/wanted/missing": self._wanted_missing,
            "/wanted/cutoff": self._wanted_cutoff,
            "/queue": self._queue,
            "/queue/status": self._queue_status,
            "/command/{command_id}": self._command_status,
            "/qualityprofile": self._profiles,
            "/rootfolder": self._root_folders,
        }
        for path, handler in routes.items():
            app.router.add_get(base + path, handler)
        app.router.add_post(base + "/command", self._command)
        self.add_routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def add_routes(self, app: web.Application) -> None:
        """Serve more endpoints (subclasses); the app's middleware covers them too."""

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:  # noqa: ANN401
        self.requests.append((request.method, request.path_qs))
        self.user_agents.add(request.headers.get("User-Agent", ""))
        if request.transport is not None:
            self.connections.add(request.transport.get_extra_info("peername"))
        if request.path != "/ping" and request.headers.get("X-Api-Key") != self.api_key:
            return web.json_response({"message": "Unauthorized"}, status=401)
        failure: Failure | None = None
        if self.failures and self.failures[0][1] in request.path:
            failure, _ = self.failures.pop(0)
            if failure == "500":
                return web.json_response({"message": "boom"}, status=500)
            if failure == "429":
                return web.Response(status=429, headers={"Retry-After": self.retry_after})
            if failure == "bad_json":
                return web.Response(body=b"<html>not json", content_type="application/json")
        answer: web.StreamResponse = await handler(request)
        if failure == "hang":  # handled (a command is queued), but the answer comes too late
            await asyncio.sleep(self.hang_seconds)
        return answer

    @staticmethod
    def _json(value: Any) -> web.Response:  # noqa: ANN401
        # timestamps left as datetimes come out as the *arrs write them: 2026-11-20T12:00:00Z
        body = orjson.dumps(value, option=orjson.OPT_UTC_Z)
        return web.Response(body=body, content_type="application/json")

    async def _ping(self, _request: web.Request) -> web.Response:
        return self._json({"status": "OK"})

    async def _status(self, _request: web.Request) -> web.Response:
        return self._json({
            "appName": APP_TITLES[self.kind], "instanceName": APP_TITLES[self.kind],
            "version": self.version, "branch": "main", "startTime": _stamp(NOW),
            "isDocker": True, "authentication": "forms", "urlBase": "",
        })  # fmt: skip

    async def _health(self, _request: web.Request) -> web.Response:
        return self._json(self.health_checks)

    async def _profiles(self, _request: web.Request) -> web.Response:
        return self._json(self.quality_profiles)

    async def _root_folders(self, _request: web.Request) -> web.Response:
        return self._json([{"id": n, "path": path, "accessible": True, "freeSpace": 10**12}
                           for n, path in enumerate(self.root_folders, 1)])  # fmt: skip

    def _require(self, flavor: str) -> None:
        if self.flavor != flavor:
            raise web.HTTPNotFound

    async def _series(self, _request: web.Request) -> web.Response:
        self._require("series")
        added = NOW - timedelta(days=400)
        answer = []
        for series in self.library.series.values():
            by_season: dict[int, list[dict[str, Any]]] = {}
            for episode in self.library.series_episodes(series["id"]):
                by_season.setdefault(episode["seasonNumber"], []).append(episode)
            seasons = [
                {
                    "seasonNumber": number,
                    "monitored": (series["id"], number) not in self.library.unmonitored_seasons,
                    "statistics": _season_stats(episodes),
                }
                for number, episodes in sorted(by_season.items())
            ]
            answer.append({
                "id": series["id"], "title": series["title"], "sortTitle": series["title"].lower(),
                "status": "continuing", "ended": False, "tvdbId": series["tvdbId"],
                "monitored": series["monitored"], "qualityProfileId": 1, "seasonFolder": True,
                "path": f"/tv/{series['title']}", "year": 2020, "seasons": seasons,
                "runtime": RUNTIME,
                "added": added, "images": [], "tags": [],
                "statistics": {"seasonCount": len(seasons), "sizeOnDisk": 0},
            })  # fmt: skip
        return self._json(answer)

    async def _episodes(self, request: web.Request) -> web.Response:
        self._require("series")
        series_id = int(request.query["seriesId"])
        # Sonarr v3 has no includeEpisodeFile: files come from /episodefile
        with_files = request.query.get("includeEpisodeFile") == "true" and self.major >= 4
        answer = []
        for episode in self.library.series_episodes(series_id):
            record: dict[str, Any] = {
                "id": episode["id"], "seriesId": series_id, "tvdbId": episode["id"] + 900000,
                "episodeFileId": episode["id"] if episode["hasFile"] else 0,
                "seasonNumber": episode["seasonNumber"],
                "episodeNumber": episode["episodeNumber"], "title": episode["title"],
                "airDate": episode["airDateUtc"].date().isoformat(),
                "airDateUtc": _stamp(episode["airDateUtc"]), "runtime": RUNTIME,
                "overview": "Things happen.", "hasFile": episode["hasFile"],
                "monitored": episode["monitored"], "unverifiedSceneNumbering": False,
                "lastSearchTime": None,
            }  # fmt: skip
            if with_files and episode["hasFile"]:
                record["episodeFile"] = _file(episode)
            answer.append(record)
        return self._json(answer)

    async def _episode_files(self, request: web.Request) -> web.Response:
        self._require("series")
        episodes = self.library.series_episodes(int(request.query["seriesId"]))
        return self._json([
            {**_file(e), "seriesId": e["seriesId"], "seasonNumber": e["seasonNumber"]}
            for e in episodes
            if e["hasFile"]
        ])  # fmt: skip

    async def _movies(self, _request: web.Request) -> web.Response:
        self._require("movie")
        answer = []
        for movie in self.library.movies.values():
            record: dict[str, Any] = {
                "id": movie["id"], "title": movie["title"], "year": movie["year"],
                "tmdbId": movie["tmdbId"], "monitored": movie["monitored"],
                "hasFile": movie["hasFile"],
                "isAvailable": movie_available(movie, self.now, self.availability_delay),
                "minimumAvailability": movie.get("minimumAvailability", "released"),
                "status": "released", "inCinemas": _stamp(movie.get("inCinemas")),
                "digitalRelease": _stamp(movie["released"]), "added": _stamp(NOW),
                "sizeOnDisk": 0, "qualityProfileId": movie.get("qualityProfileId", 1),
                "path": movie.get("path", f"/movies/{movie['title']}"),
                "statistics": {"movieFileCount": int(movie["hasFile"])}, "lastSearchTime": None,
            }  # fmt: skip
            if movie["hasFile"]:
                record["movieFile"] = _file(movie)
            answer.append(record)
        return self._json(answer)

    async def _artists(self, _request: web.Request) -> web.Response:
        self._require("music")
        return self._json([
            {"id": artist["id"], "artistName": artist["artistName"],
             "monitored": artist["monitored"],
             "foreignArtistId": artist.get("foreignArtistId", f"mbid-{artist['id']}"),
             "path": f"/music/{artist['artistName']}",
             "qualityProfileId": 1, "metadataProfileId": 1, "statistics": {"albumCount": 4}}
            for artist in self.library.artists.values()
        ])  # fmt: skip

    async def _albums(self, _request: web.Request) -> web.Response:
        self._require("music")
        return self._json([_album(album) for album in self.library.albums.values()])

    async def _wanted_missing(self, request: web.Request) -> web.Response:
        return self._wanted(request, "missing")

    async def _wanted_cutoff(self, request: web.Request) -> web.Response:
        return self._wanted(request, "cutoff")

    def _wanted(self, request: web.Request, reason: Literal["missing", "cutoff"]) -> web.Response:
        """A page of the wanted list (Whisparr v3 has none); monitored=false is not modelled."""
        if self.kind == "whisparr" and self.flavor == "movie":
            raise web.HTTPNotFound
        if request.query.get("monitored", "true") != "true":
            raise web.HTTPBadRequest(text="the fake serves monitored=true only")
        items = self.library.wanted(self.flavor, reason, self.now, self.availability_delay)
        shape = {"series": _wanted_episode, "movie": _wanted_movie, "music": _album}[self.flavor]
        return self._json(_page([shape(item) for item in items], request))

    async def _queue(self, request: web.Request) -> web.Response:
        return self._json(_page(self.library.queue, request))

    async def _queue_status(self, _request: web.Request) -> web.Response:
        count = len(self.library.queue)
        return self._json({"totalCount": count, "count": count, "unknownCount": 0,
                           "errors": False, "warnings": False})  # fmt: skip

    async def _command(self, request: web.Request) -> web.Response:
        body = await request.json()
        command = {
            "id": len(self.commands) + 1, "name": body["name"], "commandName": body["name"],
            "body": body, "priority": "normal", "status": "queued", "queued": _stamp(NOW),
            "trigger": "manual", "sendUpdatesToClient": True,
        }  # fmt: skip
        self.commands.append(command)
        return self._json(command)

    async def _command_status(self, request: web.Request) -> web.Response:
        command_id = int(request.match_info["command_id"])
        if not 1 <= command_id <= len(self.commands):
            return web.json_response({"message": "NotFound"}, status=404)
        command = self.commands[command_id - 1]
        polls = self._polls[command_id] = self._polls.get(command_id, 0) + 1
        if command["status"] in {"queued", "started"} and polls >= self.polls_to_complete:
            command["status"] = self.command_ends.pop(0) if self.command_ends else "completed"
            subject = command["name"].removesuffix("Search").removesuffix("s")
            grabbed = self.grabs(command["body"]) if command["status"] == "completed" else 0
            command["message"] = f"{subject} search completed. {grabbed} reports downloaded."
        elif command["status"] == "queued":
            command["status"] = "started"
        return self._json(command)


def movie_available(movie: dict[str, Any], now: datetime = NOW, delay_days: int = 0) -> bool:
    """Whether Radarr counts a movie available: its minimum availability reached, plus the delay.

    announced: at once; inCinemas: from the cinema date; released: from the earlier of the
    physical and digital releases, or 90 days after the cinema date when there is neither.
    """
    minimum = movie.get("minimumAvailability", "released")
    cinemas, released = movie.get("inCinemas"), movie.get("released")
    if minimum in {"tba", "announced"}:
        return True
    if minimum == "inCinemas" and cinemas is not None:
        day = cinemas
    elif released is not None:
        day = released
    elif cinemas is not None:
        day = cinemas + timedelta(days=90)
    else:
        return False
    return bool(day + timedelta(days=delay_days) <= now)


def _file(item: dict[str, Any]) -> dict[str, Any]:
    return {"id": item["id"], "quality": {**item["quality"], "revision": {"version": 1, "real": 0}},
            "qualityCutoffNotMet": item["cutoffNotMet"], "size": 1_500_000_000}  # fmt: skip


def _season_stats(episodes: list[dict[str, Any]]) -> dict[str, Any]:
    # one pass: the fake recomputes every season on every /series call, as Sonarr's query does
    with_file = cutoff = monitored = 0
    previous: datetime | None = None
    for episode in episodes:
        with_file += episode["hasFile"]
        cutoff += episode["cutoffNotMet"]
        aired = episode["airDateUtc"]
        if aired <= NOW:
            monitored += episode["monitored"]
            previous = aired if previous is None else max(previous, aired)
    return {
        "previousAiring": previous, "episodeFileCount": with_file, "episodeCount": monitored,
        "totalEpisodeCount": len(episodes), "sizeOnDisk": with_file * 1_500_000_000 + cutoff,
        "releaseGroups": [], "percentOfEpisodes": 100.0 * with_file / max(monitored, 1),
    }  # fmt: skip


def _wanted_episode(episode: dict[str, Any]) -> dict[str, Any]:
    return {key: episode[key] for key in (
        "id", "seriesId", "seasonNumber", "episodeNumber", "title", "airDateUtc", "monitored",
        "hasFile",
    )}  # fmt: skip


def _wanted_movie(movie: dict[str, Any]) -> dict[str, Any]:
    return {"id": movie["id"], "title": movie["title"], "monitored": movie["monitored"],
            "hasFile": movie["hasFile"], "isAvailable": movie_available(movie)}  # fmt: skip


def _album(album: dict[str, Any]) -> dict[str, Any]:
    tracks = album["trackCount"] if album["hasFile"] else 0
    return {
        "id": album["id"], "artistId": album["artistId"], "title": album["title"],
        "foreignAlbumId": album.get("foreignAlbumId", f"mbid-album-{album['id']}"),
        "monitored": album["monitored"],
        "albumType": "Album", "releaseDate": _stamp(album["released"]), "anyReleaseOk": True,
        "statistics": {"trackFileCount": tracks, "trackCount": album["trackCount"],
                       "totalTrackCount": album["trackCount"], "sizeOnDisk": tracks * 30_000_000,
                       "percentOfTracks": 100.0 * tracks / album["trackCount"]},
    }  # fmt: skip


def _page(records: list[dict[str, Any]], request: web.Request) -> dict[str, Any]:
    page = int(request.query.get("page", "1"))
    size = int(request.query.get("pageSize", "10"))
    chunk = records[(page - 1) * size : page * size]
    return {"page": page, "pageSize": size, "sortKey": "id", "sortDirection": "ascending",
            "totalRecords": len(records), "records": chunk}  # fmt: skip
