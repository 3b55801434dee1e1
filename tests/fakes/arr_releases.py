"""Arr endpoints around a grab, on top of FakeArr: lookup, add, interactive search, grab, push,
queue, history and blocklist, with a real qBittorrent-API download client (Haul's /api/v2).

Like Radarr and Sonarr, the fake sends grabbed magnets to its download client, watches that client's
torrents in its queue, and "imports" a finished download by copying its files into the root
folder, recording `downloadFolderImported` in its history. `import_failure` makes imports fail
with the arr's message instead; `hold_imports` keeps finished downloads waiting; `instant_imports`
skips the queue: a download is imported as soon as its client has it, and never shows in the queue
(a release the client already had, imported before anyone looks at the queue). With `webhook`
(url, secret) set, each imported file is also announced there as a `Download` event, as the arr's
Webhook connection does.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakes.arr import NOW, QUALITIES, FakeArr, Library

CACHE_MISS = "Couldn't find requested release in cache, cache timeout probably expired."
MUSIC_QUALITIES = [
    {"quality": {"id": 6, "name": "FLAC"}},
    {"quality": {"id": 4, "name": "MP3-320"}},
]
# how a release, a queue record and a history record name their item, per app
ITEM_KEYS = {"radarr": ("movieId",), "sonarr": ("seriesId",), "lidarr": ("albumId", "artistId")}
MONITOR_SECONDS = 0.2


@dataclass
class Offer:
    """A release the interactive search returns, with the verdict the arr's profile gives it."""

    title: str
    magnet: str
    size: int
    seeders: int = 25
    leechers: int = 2
    indexer: str = "FakeTorznab"
    indexer_id: int = 1
    approved: bool = True
    rejections: list[str] = field(default_factory=list)
    custom_formats: list[str] = field(default_factory=list)
    custom_format_score: int = 0
    quality: str = "WEBDL-1080p"
    season: int | None = None
    episode: int | None = None  # a single episode's release (None: the whole season)
    info_hash: str = ""
    hash_listed: bool = True  # False: the indexer does not say the hash (the arr learns it on grab)

    def resource(self, kind: str, item_id: int, weight: int, key: str = "") -> dict[str, Any]:
        """The ReleaseResource an interactive search answers with (key: the item's, Lidarr)."""
        quality = _quality(self.quality)
        resource: dict[str, Any] = {
            "guid": f"fake-{self.info_hash or self.title}", "quality": {
                **quality, "revision": {"version": 1, "real": 0, "isRepack": False}},
            "customFormats": [{"id": n, "name": f} for n, f in enumerate(self.custom_formats)],
            "customFormatScore": self.custom_format_score, "qualityWeight": 1000 - weight,
            "age": 3, "ageHours": 72.0, "ageMinutes": 4320.0, "size": self.size,
            "indexerId": self.indexer_id, "indexer": self.indexer, "releaseGroup": "GRP",
            "title": self.title, "approved": self.approved, "temporarilyRejected": False,
            "rejected": not self.approved, "rejections": self.rejections,
            "publishDate": "2026-11-17T12:00:00Z", "downloadUrl": None, "magnetUrl": self.magnet,
            "infoHash": (self.hash_listed and self.info_hash.upper()) or None,
            "seeders": self.seeders, "leechers": self.leechers, "protocol": "torrent",
            "indexerFlags": 0, "downloadAllowed": True, "releaseWeight": weight, "languages": [
                {"id": 1, "name": "English"}],
        }  # fmt: skip
        if kind == "radarr":
            resource["movieId"] = item_id
        elif kind == "lidarr":
            resource |= {key or "albumId": item_id, "discography": key == "artistId"}
        else:
            episodes = [] if self.episode is None else [self.episode]
            resource |= {"seriesId": item_id, "seasonNumber": self.season or 1,
                         "fullSeason": not episodes, "episodeNumbers": episodes}  # fmt: skip
        return resource


@dataclass
class Download:
    """A download the arr tracks: what it grabbed, for which item, and its queue record."""

    info_hash: str
    item_id: int
    title: str
    record: dict[str, Any]
    season: int | None = None
    episode: int | None = None
    key: str = ""  # how the app names the item (movieId, seriesId, albumId, artistId)
    imported: bool = False


class ReleaseArr(FakeArr):
    """A FakeArr (radarr or sonarr) that can find, add, search, grab and import."""

    def __init__(
        self,
        kind: str,
        root: Path,
        library: Library | None = None,
        **options: Any,  # noqa: ANN401
    ) -> None:
        """Serve the library; imported files go under root."""
        super().__init__(kind, library, **options)
        self.root = root
        self.offers: dict[int, list[Offer]] = {}
        self.metadata: list[dict[str, Any]] = []
        self.history: list[dict[str, Any]] = []
        self.blocklisted: list[str] = []
        self.grabbed: list[str] = []
        self.import_failure: str | None = None
        self.hold_imports = False
        self.instant_imports = False
        self.client: tuple[str, str, str] | None = None
        self.webhook: tuple[str, str] | None = None
        self.downloads: dict[str, Download] = {}
        folder = {"radarr": "movies", "sonarr": "tv", "lidarr": "music"}[kind]
        self.root_folders = [str(root / folder)]
        self.metadata_profiles = [{"id": 1, "name": "Standard"}]
        self._cache: dict[str, tuple[int, Offer, str]] = {}
        self._ids = itertools.count(1)
        self._session: aiohttp.ClientSession | None = None
        self._monitor: asyncio.Task[None] | None = None

    @property
    def category(self) -> str:
        """The download client category, as the arrs name it by default."""
        return {"radarr": "radarr", "sonarr": "tv-sonarr", "lidarr": "lidarr"}[self.kind]

    def expire_cache(self) -> None:
        """Forget earlier searches, as the arrs do 30 minutes after an interactive search."""
        self.call(self._cache.clear)

    def use_client(self, url: str, username: str, password: str) -> None:
        """Configure the qBittorrent download client (Settings → Download Clients)."""
        self.client = (url, username, password)

    def add_routes(self, app: web.Application) -> None:
        """The release, lookup, queue, history and add routes."""
        base = self.api_base
        flavours = {"radarr": ["movie"], "sonarr": ["series"], "lidarr": ["album", "artist"]}
        app.router.add_get(f"{base}/release", self._search)
        app.router.add_post(f"{base}/release", self._grab)
        app.router.add_post(f"{base}/release/push", self._push)
        app.router.add_get(f"{base}/history", self._history)
        app.router.add_get(f"{base}/history/since", self._history_since)
        app.router.add_delete(f"{base}/queue/{{queue_id}}", self._remove)
        for flavour in flavours[self.kind]:
            app.router.add_get(f"{base}/{flavour}/lookup", self._lookup)
            app.router.add_post(f"{base}/{flavour}", self._add)
        app.router.add_get(f"{base}/metadataprofile", self._metadata_profiles)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)

    async def _start(self, _app: web.Application) -> None:
        self._session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self._monitor = asyncio.create_task(self._watch())

    async def _stop(self, _app: web.Application) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        if self._session is not None:
            await self._session.close()

    # ----- download client (qBittorrent WebAPI)

    async def _qbit(self, method: str, path: str, form: dict[str, str] | None = None) -> Any:  # noqa: ANN401
        if self.client is None or self._session is None:
            msg = "no download client configured"
            raise web.HTTPBadRequest(text=msg)
        url, username, password = self.client
        for _ in range(2):
            async with self._session.request(method, f"{url}/api/v2/{path}", data=form) as answer:
                if answer.status != 403:  # qBittorrent's "log in first"
                    answer.raise_for_status()
                    return await answer.json() if "json" in answer.content_type else None
            login = {"username": username, "password": password}
            async with self._session.post(f"{url}/api/v2/auth/login", data=login) as answer:
                answer.raise_for_status()
        msg = "download client refused the login"
        raise web.HTTPBadRequest(text=msg)

    async def _send(self, item_id: int, offer: Offer, key: str = "") -> None:
        """Hand the release to the download client and start tracking it, as a grab does."""
        await self._qbit("POST", "torrents/add", {"urls": offer.magnet, "category": self.category})
        download_id = offer.info_hash.upper()
        key = key or ITEM_KEYS[self.kind][0]
        record = {
            "id": next(self._ids), key: item_id, "downloadId": download_id, "title": offer.title,
            "size": offer.size, "sizeleft": offer.size, "status": "queued", "protocol": "torrent",
            "trackedDownloadStatus": "ok", "trackedDownloadState": "downloading",
            "statusMessages": [], "downloadClient": "Haul", "indexer": offer.indexer,
            "quality": _quality(offer.quality),
        }  # fmt: skip
        download = Download(
            offer.info_hash, item_id, offer.title, record, offer.season, offer.episode, key
        )
        self.downloads[download_id] = download
        if not self.instant_imports:
            self.library.queue.append(record)
        self.grabbed.append(offer.title)
        self._record_history("grabbed", download, {})

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(MONITOR_SECONDS)
            if not self.downloads or self.client is None:
                continue
            with contextlib.suppress(aiohttp.ClientError, web.HTTPException):
                torrents = await self._qbit("GET", f"torrents/info?category={self.category}")
                for torrent in torrents:
                    download = self.downloads.get(torrent["hash"].upper())
                    if download is not None and (
                        download.record in self.library.queue
                        or (self.instant_imports and not download.imported)
                    ):
                        await self._follow(download, torrent)

    async def _follow(self, download: Download, torrent: dict[str, Any]) -> None:
        record = download.record
        record["sizeleft"] = torrent["amount_left"]
        record["status"] = "downloading" if torrent["progress"] < 1 else "completed"
        record["outputPath"] = torrent["content_path"]
        if torrent["progress"] < 1 or record["trackedDownloadState"] == "importFailed":
            return
        record["trackedDownloadState"] = "importPending"
        if self.hold_imports:
            return
        if self.import_failure is not None:
            record["trackedDownloadState"] = "importFailed"
            record["trackedDownloadStatus"] = "warning"
            record["statusMessages"] = [{"title": download.title,
                                         "messages": [self.import_failure]}]  # fmt: skip
            return
        source = Path(torrent["content_path"])
        target = self.root / self._folder(download) / source.name
        # in the fake's own loop: an executor thread would outlive the test that made it, and
        # Home Assistant's harness fails a test that leaves a thread behind
        _copy(source, target)
        if record in self.library.queue:
            self.library.queue.remove(record)
        download.imported = True
        self._mark_imported(download)
        data = {"importedPath": str(target), "droppedPath": str(source), "downloadClient": "Haul"}
        if self.kind == "lidarr":  # a record per track with its path, then one for the download
            for track in sorted(target.rglob("*")) if target.is_dir() else [target]:
                if track.is_file():
                    self._record_history("trackFileImported", download, data | {
                        "importedPath": str(track)})  # fmt: skip
            self._record_history("downloadImported", download, {"downloadClient": "Haul"})
        else:
            self._record_history("downloadFolderImported", download, data)
            await self._announce(download, _files(target))

    async def _announce(self, download: Download, files: list[Path]) -> None:
        """POST a Download webhook per imported file, as the arr's Webhook connection does."""
        if self.webhook is None or self._session is None:
            return
        url, secret = self.webhook
        key = "episodeFile" if self.kind == "sonarr" else "movieFile"
        for path in files:
            body = {"eventType": "Download", "downloadId": download.record["downloadId"],
                    key: {"path": str(path)}}  # fmt: skip
            async with self._session.post(url, json=body, headers={"Authorization": secret}):
                pass

    def _mark_imported(self, download: Download) -> None:
        """The library now has the files: the movie, the episodes, or the album(s)."""
        if self.kind == "radarr":
            self.library.movies[download.item_id]["hasFile"] = True
        elif self.kind == "lidarr":
            for album in self.library.albums.values():
                if download.item_id == (
                    album["artistId"] if download.key == "artistId" else album["id"]
                ):
                    album["hasFile"] = True
        else:  # the season pack's episodes, or the one episode
            for episode in self.library.series_episodes(download.item_id):
                if episode["seasonNumber"] == (download.season or 1) and download.episode in {
                    None, episode["episodeNumber"]}:  # fmt: skip
                    episode["hasFile"] = True

    def _folder(self, download: Download) -> str:
        if self.kind == "radarr":
            movie = self.library.movies[download.item_id]
            return f"{movie['title']} ({movie['year']})"
        if self.kind == "lidarr":
            if download.key == "artistId":
                return str(self.library.artists[download.item_id]["artistName"])
            album = self.library.albums[download.item_id]
            artist = self.library.artists[album["artistId"]]["artistName"]
            return f"{artist}/{album['title']}"
        return str(self.library.series[download.item_id]["title"])

    def _record_history(self, event: str, download: Download, data: dict[str, Any]) -> None:
        self.history.insert(0, {
            "id": len(self.history) + 1, download.key: download.item_id,
            "sourceTitle": download.title, "eventType": event,
            "downloadId": download.record["downloadId"], "date": datetime.now(UTC).isoformat(),
            "data": data,
        })  # fmt: skip

    # ----- routes

    async def _search(self, request: web.Request) -> web.Response:
        key = next((k for k in ITEM_KEYS[self.kind] if k in request.query), ITEM_KEYS[self.kind][0])
        item_id = int(request.query.get(key) or 0)
        season = request.query.get("seasonNumber")
        offers = [
            offer
            for offer in self.offers.get(item_id, [])
            if season is None or offer.season in {None, int(season)}
        ]
        answer = []
        for weight, offer in enumerate(offers):
            resource = offer.resource(self.kind, item_id, weight, key)
            self._cache[resource["guid"]] = (item_id, offer, key)
            answer.append(resource)
        return self._json(answer)

    async def _grab(self, request: web.Request) -> web.Response:
        body = await request.json()
        cached = self._cache.get(str(body.get("guid")))
        if cached is None:
            return web.json_response({"message": CACHE_MISS}, status=404)
        item_id, offer, key = cached
        await self._send(item_id, offer, key)
        return self._json(offer.resource(self.kind, item_id, 0, key))

    async def _push(self, request: web.Request) -> web.Response:
        """Judge a pushed release like an RSS item: it must parse as a title in the library."""
        body = await request.json()
        title, magnet = str(body.get("title") or ""), str(body.get("magnetUrl") or "")
        item_id = self._parse_title(title)
        if not item_id or not magnet.startswith("magnet:"):
            unknown = "Unknown Movie" if self.kind == "radarr" else "Unknown Series"
            rejected = {"title": title, "approved": False, "rejected": True,
                        "rejections": [f"{unknown}: unable to identify the release"]}  # fmt: skip
            return self._json([rejected])
        info_hash = magnet.split("btih:", 1)[1].split("&", 1)[0].lower()
        offer = Offer(title=title, magnet=magnet, size=0, info_hash=info_hash)
        await self._send(item_id, offer)
        return self._json([offer.resource(self.kind, item_id, 0)])

    def _parse_title(self, title: str) -> int:
        words = title.lower().replace(".", " ")
        items = self.library.movies if self.kind == "radarr" else self.library.series
        return next((key for key, item in items.items() if item["title"].lower() in words), 0)

    async def _history(self, request: web.Request) -> web.Response:
        download_id = request.query.get("downloadId")
        records = [r for r in self.history if download_id in {None, r["downloadId"]}]
        return self._json({"page": 1, "pageSize": len(records) or 10, "sortKey": "date",
                           "sortDirection": "descending", "totalRecords": len(records),
                           "records": records})  # fmt: skip

    async def _history_since(self, request: web.Request) -> web.Response:
        """The records since a date, oldest first, unpaged (`history/since?date=`)."""
        since = datetime.fromisoformat(request.query["date"])
        return self._json([r for r in reversed(self.history)
                           if datetime.fromisoformat(r["date"]) >= since])  # fmt: skip

    async def _remove(self, request: web.Request) -> web.Response:
        queue_id = int(request.match_info["queue_id"])
        record = next((r for r in self.library.queue if r["id"] == queue_id), None)
        if record is None:
            return web.json_response({"message": "NotFound"}, status=404)
        self.library.queue.remove(record)
        download = self.downloads.pop(record["downloadId"])
        if request.query.get("removeFromClient") == "true":
            form = {"hashes": download.info_hash, "deleteFiles": "true"}
            await self._qbit("POST", "torrents/delete", form)
        if request.query.get("blocklist") == "true":
            self.blocklisted.append(download.title)
            failed = {"message": "Manually marked as failed"}
            self._record_history("downloadFailed", download, failed)
        return self._json({})

    async def _lookup(self, request: web.Request) -> web.Response:
        term = request.query.get("term", "").lower()
        if self.kind == "lidarr":
            return self._json(self._music_lookup(term, request.path.split("/")[-2]))
        field_name = "tmdbId" if self.kind == "radarr" else "tvdbId"
        prefix = "tmdb:" if self.kind == "radarr" else "tvdb:"
        found = [
            item
            for item in self.metadata
            if (term.startswith(prefix) and str(item[field_name]) == term.removeprefix(prefix))
            or (not term.startswith(prefix) and term in item["title"].lower())
        ]
        # as the arrs do, a title already in the library is listed with its id
        library = self.library.movies if self.kind == "radarr" else self.library.series
        ids = {item.get(field_name): key for key, item in library.items()}
        return self._json([{**item, "id": ids[item[field_name]]} if item[field_name] in ids
                           else item for item in found])  # fmt: skip

    def _music_lookup(self, term: str, flavour: str) -> list[dict[str, Any]]:
        """Albums (with their artist) or artists, by `lidarr:<MusicBrainz id>` or by name."""
        key, name = ("foreignAlbumId", "title") if flavour == "album" else (
            "foreignArtistId", "artistName")  # fmt: skip
        found = []
        for album in self.metadata:
            item = album if flavour == "album" else album["artist"]
            wanted = str(item[key]).lower() == term.removeprefix("lidarr:") if term.startswith(
                "lidarr:") else term in item[name].lower()  # fmt: skip
            if wanted and item not in found:
                found.append(item)
        return found

    async def _add(self, request: web.Request) -> web.Response:
        body = await request.json()
        problems = self._invalid(body)
        if problems:
            return web.json_response(problems, status=400)
        if self.kind == "lidarr":
            return self._json(self._add_music(body, artist=request.path.endswith("/artist")))
        if self.kind == "radarr":
            movie_id = max(self.library.movies, default=0) + 1
            self.library.movies[movie_id] = {
                "id": movie_id, "title": body["title"], "year": body["year"],
                "monitored": body["monitored"], "hasFile": False, "isAvailable": True,
                "tmdbId": body["tmdbId"], "quality": QUALITIES[1], "cutoffNotMet": False,
                "released": NOW, "qualityProfileId": body["qualityProfileId"],
                "path": f"{body['rootFolderPath']}/{body['title']} ({body['year']})",
            }  # fmt: skip
            self.commands.append({"added": body})
            return self._json({**body, "id": movie_id})
        series_id = max(self.library.series, default=0) + 1
        self.library.series[series_id] = {"id": series_id, "title": body["title"],
                                          "monitored": True, "tvdbId": body["tvdbId"]}  # fmt: skip
        self.commands.append({"added": body})
        return self._json({**body, "id": series_id})

    def _add_music(self, body: dict[str, Any], *, artist: bool) -> dict[str, Any]:
        """Add an artist, or an album with its artist (Lidarr adds the artist it does not have)."""
        self.commands.append({"added": body})
        given = body if artist else body["artist"]
        artist_id = next((key for key, item in self.library.artists.items()
                          if item["foreignArtistId"] == given["foreignArtistId"]),
                         max(self.library.artists, default=0) + 1)  # fmt: skip
        self.library.artists[artist_id] = {
            "id": artist_id, "artistName": given["artistName"], "monitored": True,
            "foreignArtistId": given["foreignArtistId"],
        }  # fmt: skip
        if artist:
            return {**body, "id": artist_id}
        album_id = max(self.library.albums, default=0) + 1
        self.library.albums[album_id] = {
            "id": album_id, "artistId": artist_id, "title": body["title"], "monitored": True,
            "hasFile": False, "trackCount": 10, "cutoffNotMet": False, "released": NOW,
            "foreignAlbumId": body["foreignAlbumId"],
        }  # fmt: skip
        return {**body, "id": album_id, "artistId": artist_id}

    def _invalid(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """The arrs' validation failures of an add (a 400 with one entry per property)."""
        problems = []
        if self.kind == "lidarr":
            given = body if "artistName" in body else body.get("artist") or {}
            if given.get("metadataProfileId") not in {p["id"] for p in self.metadata_profiles}:
                problem = "'Metadata Profile Id' must be greater than '0'."
                problems.append({"propertyName": "MetadataProfileId", "errorMessage": problem})
            body = given
        if body.get("qualityProfileId") not in {p["id"] for p in self.quality_profiles}:
            problems.append({"propertyName": "QualityProfileId",
                             "errorMessage": "'Quality Profile Id' must be greater than '0'.",
                             "attemptedValue": body.get("qualityProfileId")})  # fmt: skip
        if body.get("rootFolderPath") not in self.root_folders:
            problems.append({"propertyName": "RootFolderPath",
                             "errorMessage": "Root folder path does not exist",
                             "attemptedValue": body.get("rootFolderPath")})  # fmt: skip
        items = {"radarr": self.library.movies, "sonarr": self.library.series,
                 "lidarr": {}}[self.kind]  # fmt: skip
        key = "tmdbId" if self.kind == "radarr" else "tvdbId"
        if any(item.get(key) == body.get(key) for item in items.values()):
            noun = "movie" if self.kind == "radarr" else "series"
            problems.append({"propertyName": key[0].upper() + key[1:],
                             "errorMessage": f"This {noun} has already been added"})  # fmt: skip
        return problems

    async def _metadata_profiles(self, _request: web.Request) -> web.Response:
        return self._json(self.metadata_profiles)


def _quality(name: str) -> dict[str, Any]:
    return next(q for q in QUALITIES + MUSIC_QUALITIES if q["quality"]["name"] == name)


def _files(target: Path) -> list[Path]:
    """The files an import put at target (a file, or a folder of them)."""
    return sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]


def _copy(source: Path, target: Path) -> None:
    """Import a file or folder by copying it (the arrs copy torrents that are still seeding)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, target, dirs_exist_ok=True)
    else:
        shutil.copy2(source, target)
