"""A fake Prowlarr: `/api/v1/search` JSON as Prowlarr writes it, proxy download links, failures."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import orjson
from aiohttp import web

from tests.fakes.torznab import Behaviour, FakeRelease, ThreadedServer

if TYPE_CHECKING:
    from collections.abc import Iterable

API_KEY = "prowlarr-secret-key-8e1f0c3d5a"
SEARCH_TYPES = {"search", "tvsearch", "movie", "music", "book"}


class FakeProwlarr(ThreadedServer):
    """Prowlarr with indexers by id, each holding releases."""

    def __init__(
        self, indexers: dict[int, Iterable[FakeRelease]], *, api_key: str = API_KEY
    ) -> None:
        """Serve these indexers' releases to callers with this key."""
        super().__init__()
        self.indexers = {key: list(releases) for key, releases in indexers.items()}
        self.api_key = api_key
        self.behaviour = Behaviour()

    def app(self) -> web.Application:
        """The search, status and download routes."""
        app = web.Application()
        app.router.add_get("/api/v1/search", self._search)
        app.router.add_get("/api/v1/system/status", self._status)
        app.router.add_get("/{indexer_id}/download", self._download)
        return app

    def _authorized(self, request: web.Request) -> bool:
        return self.api_key in {request.headers.get("X-Api-Key"), request.query.get("apikey")}

    async def _status(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401)
        return web.json_response(
            {"appName": "Prowlarr", "version": "1.30.2.4939", "branch": "master"}
        )

    async def _search(self, request: web.Request) -> web.Response:
        self.requests.append({key: ",".join(request.query.getall(key)) for key in request.query})
        if self.behaviour.delay:
            await asyncio.sleep(self.behaviour.delay)
        if not self._authorized(request):
            return web.Response(status=401)
        match self.behaviour.failure:
            case "500":
                return web.json_response({"message": "Search failed"}, status=500)
            case "429":
                return web.Response(
                    status=429, headers={"Retry-After": str(self.behaviour.retry_after)}
                )
            case "garbage" | "error":
                return web.Response(text="<html>Bad gateway</html>", content_type="text/html")
            case "hang":
                await asyncio.sleep(3600)
        if request.query.get("type", "search") not in SEARCH_TYPES:
            return web.json_response({"message": "unknown type"}, status=400)
        wanted = {int(value) for value in request.query.getall("indexerIds", [])}
        words = [w for w in request.query.get("query", "").lower().split() if not w.startswith("{")]
        rows = [
            self._row(indexer_id, release)
            for indexer_id, releases in self.indexers.items()
            if not wanted or indexer_id in wanted
            for release in releases
            if all(word in release.title.lower().replace(".", " ") for word in words)
        ]
        return web.Response(body=orjson.dumps(rows), content_type="application/json")

    def _row(self, indexer_id: int, release: FakeRelease) -> dict[str, object]:
        link = (
            f"{self.url}/{indexer_id}/download?apikey={self.api_key}"
            f"&link=abc{release.info_hash}&file={release.title}"
        )
        flags = ["freeleech"] if release.freeleech else []
        return {
            "guid": f"https://tracker{indexer_id}.example/torrent/{release.info_hash}",
            "age": 2,
            "ageHours": 48.0,
            "size": release.size,
            "files": 3,
            "grabs": 120,
            "indexerId": indexer_id,
            "indexer": f"Tracker{indexer_id}",
            "title": release.title,
            "sortTitle": release.title.lower(),
            "imdbId": release.imdb or 0,
            "tmdbId": 0,
            "tvdbId": 0,
            "publishDate": release.published.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "downloadUrl": link,
            "magnetUrl": link if release.link == "magnet_redirect" else None,
            "infoUrl": f"https://tracker{indexer_id}.example/details/{release.info_hash}",
            "infoHash": release.info_hash if release.link != "torrent" else None,
            "seeders": release.seeders,
            "leechers": release.leechers,
            "protocol": "torrent",
            "categories": [{"id": release.category, "name": "Movies/HD", "subCategories": []}],
            "indexerFlags": [*flags, *release.tags],
        }

    async def _download(self, request: web.Request) -> web.Response:
        self.requests.append({"download": request.match_info["indexer_id"], **request.query})
        if request.query.get("apikey") != self.api_key:
            return web.Response(status=401)
        link = request.query.get("link", "")
        releases = self.indexers.get(int(request.match_info["indexer_id"]), [])
        release = next((r for r in releases if f"abc{r.info_hash}" == link), None)
        if release is None or release.link == "gone":
            return web.Response(status=410)
        if release.link == "torrent":
            return web.Response(body=release.torrent, content_type="application/x-bittorrent")
        return web.Response(status=301, headers={"Location": release.magnet})
