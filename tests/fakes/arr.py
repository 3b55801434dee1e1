"""A fake Sonarr / Radarr / Whisparr / Lidarr: real payload shapes from a seeded synthetic library.

It runs in its own thread with its own event loop so that both in-process async tests and blocking
calls against the engine subprocess can use it. It records every request and command, and fails on
demand (`fail_next`): HTTP 500, 429 with Retry-After, an answer held past the timeout, bad JSON.
Its `wanted/missing` and `wanted/cutoff` select, sort and page its own data as each *arr's
controller and repository query do (`Library.wanted`, `FakeArr._wanted`), so a test can hold the
engine's counts against them.
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
SPECIALS = [(True, False), (True, True), (False, False)]  # (monitored, has a file) of each special
RADARR_SORTS = frozenset({
    "movieMetadata.digitalRelease", "movieMetadata.inCinemas", "movieMetadata.physicalRelease",
    "movieMetadata.sortTitle", "movieMetadata.year", "movies.lastSearchTime",
})  # fmt: skip
SONARR_SORTS = frozenset({"episodes.airDateUtc", "episodes.lastSearchTime", "series.sortTitle"})
# (app, list) -> the default sort key, the controller's own direction and the keys it accepts
# (None: any), from Radarr.Api.V3, Sonarr.Api.V3 (v4; v3's NzbDrone-era modules), Lidarr.Api.V1
# and Whisparr.Api.V3 (v2) Wanted controllers
WANTED_SORTS: dict[tuple[str, str], tuple[str | None, str, frozenset[str] | None]] = {
    ("radarr", "missing"): ("movieMetadata.sortTitle", "ascending", RADARR_SORTS),
    ("radarr", "cutoff"): ("movieMetadata.sortTitle", "ascending", RADARR_SORTS),
    ("sonarr", "missing"): ("episodes.airDateUtc", "ascending", SONARR_SORTS),
    ("sonarr", "cutoff"): ("episodes.airDateUtc", "ascending", SONARR_SORTS),
    ("sonarr3", "missing"): ("airDateUtc", "descending", None),
    ("sonarr3", "cutoff"): (None, "descending", None),
    ("lidarr", "missing"): ("releaseDate", "descending", None),
    ("lidarr", "cutoff"): (None, "descending", None),
    ("whisparr", "missing"): (None, "descending", None),
    ("whisparr", "cutoff"): (None, "descending", None),
}
SORT_FIELDS = {"airdateutc": "airDateUtc", "releasedate": "released", "year": "year",
               "incinemas": "inCinemas", "digitalrelease": "released"}  # fmt: skip
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
        *,
        monitored: bool = True,
        needs_year: bool = True,
    ) -> list[dict[str, Any]]:
        """The items of the *arr's wanted/missing or wanted/cutoff list, as its queries select them.

        `monitored` is the list's query parameter: true lists what is monitored all the way up
        as the *arr checks it, false everything else. Sonarr 3/4 and Whisparr 2
        (EpisodeRepository EpisodesWithoutFiles / EpisodesWhereCutoffUnmet): the episode and its
        series monitored (the season's flag is not read: toggling a season sets its episodes'),
        missing = no file and aired (airDateUtc plus the series' runtime has passed), specials
        included; cutoff = a file below the cutoff, specials excluded. Radarr (MovieRepository
        MoviesWithoutFilesBuilder / MoviesWhereCutoffUnmetBuilder): the movie monitored, missing =
        no file (and a year, `needs_year`: 5.9 on), available or not; cutoff = a file below the
        cutoff. Lidarr (AlbumRepository AlbumsWithoutFilesBuilder / AlbumsWhereCutoffUnmetBuilder):
        the album and its artist monitored, missing = released and a track of its monitored
        release without a file; cutoff = a track file below the cutoff, whatever the rest.
        """
        if flavor == "series":
            ended = timedelta(minutes=RUNTIME)  # every series of the fake runs RUNTIME minutes
            series = self.series
            chosen = [
                e
                for e in self.episodes.values()
                if (e["monitored"] and series[e["seriesId"]]["monitored"]) == monitored
            ]
            if reason == "missing":
                return [e for e in chosen if not e["hasFile"] and e["airDateUtc"] is not None
                        and e["airDateUtc"] + ended <= now]  # fmt: skip
            return [e for e in chosen if e["hasFile"] and e["cutoffNotMet"] and e["seasonNumber"]]
        if flavor == "movie":
            chosen = [m for m in self.movies.values() if m["monitored"] == monitored]
            if reason == "missing":
                return [m for m in chosen if not m["hasFile"] and (m["year"] or not needs_year)]
            return [m for m in chosen if m["hasFile"] and m["cutoffNotMet"]]
        artists = self.artists
        chosen = [
            a
            for a in self.albums.values()
            if (a["monitored"] and artists[a["artistId"]]["monitored"]) == monitored
        ]
        if reason == "missing":
            return [a for a in chosen if a["released"] <= now and track_files(a) < a["trackCount"]]
        return [a for a in chosen if a["cutoffNotMet"] and track_files(a)]

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
        self.add_corners(rng)

    def add_corners(self, rng: random.Random) -> None:
        """Add what the *arrs' wanted lists treat apart, each kind its own.

        Specials (season 0, unmonitored as Sonarr leaves it, some episodes monitored by hand): in
        Sonarr's missing list, never in its cutoff list; an episode monitored by hand in an
        unmonitored season; a movie without a year (in no Radarr list, though available); albums
        below the cutoff, some with only some of their tracks (in Lidarr's missing list, and in
        its cutoff list too).
        """
        ids = itertools.count(max(self.episodes, default=0) + 1)
        for series in self.series.values():
            for number, (monitored, has_file) in enumerate(SPECIALS, 1):
                episode_id = next(ids)
                self.episodes[episode_id] = {
                    **_episode(episode_id=episode_id, series_id=series["id"], season=0,
                               number=number, aired=NOW - timedelta(days=100 * number), rng=rng,
                               have=0.0),
                    "monitored": monitored, "hasFile": has_file, "cutoffNotMet": has_file,
                }  # fmt: skip
            self.unmonitored_seasons.add((series["id"], 0))
        for series_id, season in sorted(s for s in self.unmonitored_seasons if s[1])[:3]:
            episodes = self.series_episodes(series_id)
            next(e for e in episodes if e["seasonNumber"] == season)["monitored"] = True
        if self.movies:
            rng.choice(list(self.movies.values())).update(
                year=0, monitored=True, hasFile=False, cutoffNotMet=False,
                minimumAvailability="announced",
            )  # fmt: skip
        for album in (a for a in self.albums.values() if a["hasFile"]):
            album["cutoffNotMet"] = rng.random() < 0.3
            if rng.random() < 0.2:
                album["trackFiles"] = rng.randint(1, album["trackCount"] - 1)


def track_files(album: dict[str, Any]) -> int:
    """How many of an album's tracks have a file: all with hasFile, unless it says how many."""
    return int(album.get("trackFiles", album["trackCount"] if album["hasFile"] else 0))


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

    @property
    def has_wanted_lists(self) -> bool:
        """Whether this app and version serves wanted/missing and wanted/cutoff."""
        return self.flavor != "movie" or (self.kind == "radarr" and self.major >= 5)

    def wanted(
        self, reason: Literal["missing", "cutoff"], *, monitored: bool = True
    ) -> list[dict[str, Any]]:
        """What this app's wanted list selects now (without one: what its own searches select).

        Only Radarr 5 leaves movies without a year out (Whisparr v3 and older Radarrs list none
        and their missing search takes every movie without a file).
        """
        needs_year = self.kind == "radarr" and self.major >= 5
        return self.library.wanted(
            self.flavor, reason, self.now, monitored=monitored, needs_year=needs_year
        )

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
        return self._json([self._series_record(series) for series in self.library.series.values()])

    def _series_record(self, series: dict[str, Any]) -> dict[str, Any]:
        by_season: dict[int, list[dict[str, Any]]] = {}
        for episode in self.library.series_episodes(series["id"]):
            by_season.setdefault(episode["seasonNumber"], []).append(episode)
        seasons = [
            {
                "seasonNumber": number,
                "monitored": (series["id"], number) not in self.library.unmonitored_seasons,
                "statistics": _season_stats(episodes, self.now),
            }
            for number, episodes in sorted(by_season.items())
        ]
        return {
            "id": series["id"], "title": series["title"], "sortTitle": series["title"].lower(),
            "status": "continuing", "ended": False, "tvdbId": series["tvdbId"],
            "monitored": series["monitored"], "qualityProfileId": 1, "seasonFolder": True,
            "path": f"/tv/{series['title']}", "year": 2020, "seasons": seasons, "runtime": RUNTIME,
            "added": NOW - timedelta(days=400), "images": [], "tags": [],
            "statistics": {"seasonCount": len(seasons), "sizeOnDisk": 0},
        }  # fmt: skip

    async def _episodes(self, request: web.Request) -> web.Response:
        self._require("series")
        series_id = int(request.query["seriesId"])
        # Sonarr v3 has no includeEpisodeFile: files come from /episodefile
        with_files = request.query.get("includeEpisodeFile") == "true" and self.major >= 4
        answer = []
        for episode in self.library.series_episodes(series_id):
            record = _episode_record(episode)
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
        return self._json([self._movie_record(movie) for movie in self.library.movies.values()])

    def _movie_record(self, movie: dict[str, Any]) -> dict[str, Any]:
        record: dict[str, Any] = {
            "id": movie["id"], "title": movie["title"], "sortTitle": movie["title"].lower(),
            "year": movie["year"], "tmdbId": movie["tmdbId"], "monitored": movie["monitored"],
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
        return record

    async def _artists(self, _request: web.Request) -> web.Response:
        self._require("music")
        return self._json([_artist_record(artist) for artist in self.library.artists.values()])

    async def _albums(self, _request: web.Request) -> web.Response:
        self._require("music")
        return self._json([_album(album) for album in self.library.albums.values()])

    async def _wanted_missing(self, request: web.Request) -> web.Response:
        return self._wanted(request, "missing")

    async def _wanted_cutoff(self, request: web.Request) -> web.Response:
        return self._wanted(request, "cutoff")

    def _wanted(self, request: web.Request, reason: Literal["missing", "cutoff"]) -> web.Response:
        """A page of a wanted list, selected, sorted and paged as the real controller does.

        Radarr before v5 and Whisparr v3 have none. `monitored` (default true) is read as ASP.NET
        binds a bool: anything else than true or false is a 400. `includeSeries` /
        `includeArtist` add the series or artist to each record, `includeImages` the (here empty)
        images.
        """
        if not self.has_wanted_lists:
            raise web.HTTPNotFound
        query = request.query
        monitored = query.get("monitored", "true").lower()
        if monitored not in {"true", "false"}:
            return web.json_response({"message": f"'{monitored}' is not a valid boolean"},
                                     status=400)  # fmt: skip
        items = self.wanted(reason, monitored=monitored == "true")
        key, direction = self._wanted_order(
            reason, query.get("sortKey"), query.get("sortDirection")
        )
        if key is not None:
            items.sort(
                key=lambda item: self._sort_value(item, key), reverse=direction == "descending"
            )
        answer = _page(items, request, key, direction)  # only the page's records rendered
        answer["records"] = [self._wanted_record(item, query) for item in answer["records"]]
        return self._json(answer)

    def _wanted_order(
        self, reason: str, asked_key: str | None, asked_direction: str | None
    ) -> tuple[str | None, str]:
        """The sort key and direction a wanted list uses, as each app's controller picks them.

        Radarr and Sonarr v4 take one of their sort keys, else their default (Radarr
        movieMetadata.sortTitle, Sonarr episodes.airDateUtc); Sonarr v3 and Lidarr take any key,
        else their missing list's default (airDateUtc, releaseDate); their cutoff lists and
        Whisparr v2's lists have none (the database's order). Without sortDirection the answer is
        descending (PagingResource's default); "default" is the controller's own direction.
        """
        app = "sonarr3" if self.kind == "sonarr" and self.major < 4 else self.kind
        default, default_direction, keys = WANTED_SORTS[app, reason]
        key = asked_key if asked_key and (keys is None or asked_key in keys) else default
        if asked_direction in {"ascending", "descending"}:
            return key, asked_direction
        return key, default_direction if asked_direction == "default" else "descending"

    def _sort_value(self, item: dict[str, Any], key: str) -> tuple[bool, Any]:
        """What an item sorts by (unknown keys by id), missing values first as in SQL."""
        name = key.rsplit(".", 1)[-1].lower()
        if name == "sorttitle":
            owner = self.library.series[item["seriesId"]] if "seriesId" in item else item
            value = owner["title"].lower()
        else:
            value = item.get(SORT_FIELDS.get(name, "id"))
        return value is not None, value

    def _wanted_record(self, item: dict[str, Any], query: Any) -> dict[str, Any]:  # noqa: ANN401
        """Render a wanted item as the list's resource, with what the query asked to include."""
        if self.flavor == "movie":
            return self._movie_record(item)
        if self.flavor == "music":
            record = _album(item)
            if query.get("includeArtist") == "true":
                record["artist"] = _artist_record(self.library.artists[item["artistId"]])
            return record
        record = _episode_record(item)
        if query.get("includeSeries") == "true":
            record["series"] = self._series_record(self.library.series[item["seriesId"]])
        if query.get("includeImages") == "true":
            record["images"] = []
        return record

    async def _queue(self, request: web.Request) -> web.Response:
        return self._json(_page(self.library.queue, request, "id", "ascending"))

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


def _season_stats(episodes: list[dict[str, Any]], now: datetime) -> dict[str, Any]:
    """A season's statistics as Sonarr's SeriesStatisticsRepository counts them.

    episodeCount: monitored episodes aired so far, or any with a file (so unmonitoring an
    episode with a file, or one not aired yet, changes none of the numbers); previous and next
    airing: of monitored episodes only.
    """
    # one pass: the fake recomputes every season on every /series call, as Sonarr's query does
    with_file = cutoff = counted = 0
    previous: datetime | None = None
    upcoming: datetime | None = None
    for episode in episodes:
        with_file += episode["hasFile"]
        cutoff += episode["cutoffNotMet"]
        aired = episode["airDateUtc"]
        counted += episode["hasFile"] or (episode["monitored"] and aired <= now)
        if not episode["monitored"]:
            continue
        if aired < now:
            previous = aired if previous is None else max(previous, aired)
        else:
            upcoming = aired if upcoming is None else min(upcoming, aired)
    return {
        "nextAiring": upcoming, "previousAiring": previous, "episodeFileCount": with_file,
        "episodeCount": counted, "totalEpisodeCount": len(episodes),
        "sizeOnDisk": with_file * 1_500_000_000 + cutoff, "releaseGroups": [],
        "percentOfEpisodes": 100.0 * with_file / max(counted, 1),
    }  # fmt: skip


def _episode_record(episode: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": episode["id"], "seriesId": episode["seriesId"], "tvdbId": episode["id"] + 900000,
        "episodeFileId": episode["id"] if episode["hasFile"] else 0,
        "seasonNumber": episode["seasonNumber"], "episodeNumber": episode["episodeNumber"],
        "title": episode["title"], "airDate": episode["airDateUtc"].date().isoformat(),
        "airDateUtc": _stamp(episode["airDateUtc"]), "runtime": RUNTIME,
        "overview": "Things happen.", "hasFile": episode["hasFile"],
        "monitored": episode["monitored"], "unverifiedSceneNumbering": False,
        "lastSearchTime": None,
    }  # fmt: skip


def _artist_record(artist: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": artist["id"], "artistName": artist["artistName"], "monitored": artist["monitored"],
        "foreignArtistId": artist.get("foreignArtistId", f"mbid-{artist['id']}"),
        "path": f"/music/{artist['artistName']}", "qualityProfileId": 1, "metadataProfileId": 1,
        "statistics": {"albumCount": 4},
    }  # fmt: skip


def _album(album: dict[str, Any]) -> dict[str, Any]:
    tracks = track_files(album)
    return {
        "id": album["id"], "artistId": album["artistId"], "title": album["title"],
        "foreignAlbumId": album.get("foreignAlbumId", f"mbid-album-{album['id']}"),
        "monitored": album["monitored"],
        "albumType": "Album", "releaseDate": _stamp(album["released"]), "anyReleaseOk": True,
        "statistics": {"trackFileCount": tracks, "trackCount": album["trackCount"],
                       "totalTrackCount": album["trackCount"], "sizeOnDisk": tracks * 30_000_000,
                       "percentOfTracks": 100.0 * tracks / album["trackCount"]},
    }  # fmt: skip


def _page(
    records: list[dict[str, Any]],
    request: web.Request,
    sort_key: str | None = None,
    direction: str = "descending",
) -> dict[str, Any]:
    page = int(request.query.get("page", "1"))
    size = int(request.query.get("pageSize", "10"))
    chunk = records[(page - 1) * size : page * size]
    return {"page": page, "pageSize": size, "sortKey": sort_key, "sortDirection": direction,
            "totalRecords": len(records), "records": chunk}  # fmt: skip
