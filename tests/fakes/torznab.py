"""A fake Torznab feed (Jackett / Prowlarr per-indexer feed shapes), download links, failures.

It runs in its own thread with its own event loop, so in-process async tests and blocking calls
against the engine subprocess can both use it. It records every request; `failure` makes every
answer fail the way real indexers do: HTTP 500, 429 with Retry-After, a Torznab `<error>`, garbage
XML, or a hang past the client's timeout. `delay` makes it slow but correct.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING, Literal, Self
from xml.sax.saxutils import escape, quoteattr

from aiohttp import web

from tests.support.peers import bencode
from tests.support.programs import free_port

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

API_KEY = "torznab-secret-key-4f9a2b7c1d"
Failure = Literal["500", "429", "error", "garbage", "hang"]
LinkKind = Literal["magnet_redirect", "torrent", "gone", "magnet_attr"]
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DEFAULT_SEARCHING = {
    "search": "q",
    "tv-search": "q,season,ep,tvdbid,imdbid",
    "movie-search": "q,imdbid,tmdbid",
    "music-search": "q,artist,album",
}
FUNCTIONS = {
    "search": "search",
    "tvsearch": "tv-search",
    "movie": "movie-search",
    "music": "music-search",
}


def make_torrent(name: str, length: int = 16384) -> tuple[bytes, str]:
    """A valid single-file .torrent without trackers, and its v1 info-hash."""
    piece = 16384
    pieces = b"".join(
        hashlib.sha1(name.encode() + bytes([i]), usedforsecurity=False).digest()
        for i in range((length + piece - 1) // piece)
    )
    info = {"length": length, "name": name, "piece length": piece, "pieces": pieces}
    encoded = bencode({"info": info, "created by": "haul tests"})
    return encoded, hashlib.sha1(bencode(info), usedforsecurity=False).hexdigest()


@dataclass
class FakeRelease:
    """One release the fake indexer offers."""

    title: str
    size: int = 2 * 1024**3
    seeders: int = 50
    leechers: int = 5
    link: LinkKind = "magnet_redirect"
    info_hash: str = ""
    freeleech: bool = False
    tags: tuple[str, ...] = ()
    category: int = 2040
    imdb: int | None = None
    published: datetime = NOW - timedelta(days=2)
    torrent: bytes = b""

    def __post_init__(self) -> None:
        """Give every release a hash (the real one when it is served as a .torrent)."""
        if self.link == "torrent":
            self.torrent, self.info_hash = make_torrent(self.title)
        elif not self.info_hash:
            self.info_hash = hashlib.sha1(self.title.encode(), usedforsecurity=False).hexdigest()

    @property
    def magnet(self) -> str:
        """A tracker-less magnet for this release."""
        return f"magnet:?xt=urn:btih:{self.info_hash}&dn={self.title}"


class ThreadedServer:
    """An aiohttp app served from its own thread and event loop on 127.0.0.1."""

    def __init__(self) -> None:
        """Prepare; start() listens."""
        self.port = free_port()
        self.requests: list[dict[str, str]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        """Base URL."""
        return f"http://127.0.0.1:{self.port}"

    def app(self) -> web.Application:
        """The routes; subclasses provide them."""
        raise NotImplementedError

    def start(self) -> Self:
        """Listen in the background thread."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._serve(), self._loop).result(10)
        return self

    async def _serve(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    def stop(self) -> None:
        """Stop listening, end answers still hanging, and end the thread."""
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._shutdown(self._runner), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @staticmethod
    async def _shutdown(runner: web.AppRunner) -> None:
        await runner.cleanup()
        current = asyncio.current_task()
        pending = [task for task in asyncio.all_tasks() if task is not current]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def __enter__(self) -> Self:
        """Start for a with block."""
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        """Stop at the end of the with block."""
        self.stop()


@dataclass
class Behaviour:
    """How the fake answers right now."""

    failure: Failure | None = None
    delay: float = 0.0
    retry_after: int = 120
    searching: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_SEARCHING))
    max_limit: int = 100


class FakeTorznab(ThreadedServer):
    """A Torznab feed at `{url}/api` serving the given releases."""

    def __init__(
        self, releases: Iterable[FakeRelease] = (), *, api_key: str = API_KEY, title: str = "Fake"
    ) -> None:
        """Serve these releases to callers with this key."""
        super().__init__()
        self.releases = list(releases)
        self.api_key = api_key
        self.title = title
        self.behaviour = Behaviour()

    def app(self) -> web.Application:
        """`/api` (caps and searches) and `/dl/{hash}` download links."""
        app = web.Application()
        app.router.add_get("/api", self._api)
        app.router.add_get("/dl/{info_hash}", self._download)
        return app

    async def _api(self, request: web.Request) -> web.Response:
        self.requests.append(dict(request.query))
        behaviour = self.behaviour
        if behaviour.delay:
            await asyncio.sleep(behaviour.delay)
        if request.query.get("apikey") != self.api_key:
            return _xml(
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<error code="100" description="Invalid API Key"/>'
            )
        failed = await self._failure(behaviour)
        if failed is not None:
            return failed
        function = request.query.get("t", "")
        if function == "caps":
            return _xml(self.caps_xml())
        if function not in FUNCTIONS or FUNCTIONS[function] not in behaviour.searching:
            return _xml('<error code="203" description="Function Not Available"/>')
        return _xml(self.rss(self._matching(request.query)))

    async def _failure(self, behaviour: Behaviour) -> web.Response | None:
        match behaviour.failure:
            case "500":
                return web.Response(status=500, text="Internal Server Error")
            case "429":
                return web.Response(status=429, headers={"Retry-After": str(behaviour.retry_after)})
            case "error":
                return _xml(
                    '<error code="900" description="Tracker login failed for '
                    f'apikey={self.api_key}"/>'
                )
            case "garbage":
                return web.Response(
                    text="<rss><channel><item><title>broken", content_type="application/xml"
                )
            case "hang":
                await asyncio.sleep(3600)
        return None

    def _matching(self, params: Mapping[str, str]) -> list[FakeRelease]:
        words = params.get("q", "").lower().replace(".", " ").split()
        found = []
        for release in self.releases:
            title = release.title.lower().replace(".", " ")
            if not all(word in title for word in words):
                continue
            if "imdbid" in params and int(params["imdbid"]) != release.imdb:
                continue
            found.append(release)
        offset, limit = int(params.get("offset", 0)), int(params.get("limit", 100))
        return found[offset : offset + min(limit, self.behaviour.max_limit)]

    def caps_xml(self) -> str:
        """The `t=caps` answer."""
        searching = "".join(
            f'<{name} available="yes" supportedParams="{params}"/>'
            for name, params in self.behaviour.searching.items()
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?><caps>'
            f'<server version="1.1" title={quoteattr(self.title)}/>'
            f'<limits default="{self.behaviour.max_limit}" max="{self.behaviour.max_limit}"/>'
            f"<searching>{searching}</searching>"
            '<categories><category id="2000" name="Movies">'
            '<subcat id="2040" name="Movies/HD"/></category>'
            '<category id="5000" name="TV"><subcat id="5040" name="TV/HD"/></category>'
            '<category id="3000" name="Audio">'
            '<subcat id="3040" name="Audio/Lossless"/></category></categories>'
            "</caps>"
        )

    def rss(self, releases: list[FakeRelease]) -> str:
        """An RSS answer with torznab attributes, as Jackett writes it."""
        items = "".join(self._item(release) for release in releases)
        return (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" '
            'xmlns:torznab="http://torznab.com/schemas/2015/feed"><channel>'
            f"<title>{escape(self.title)}</title>{items}</channel></rss>"
        )

    def _item(self, release: FakeRelease) -> str:
        link = f"{self.url}/dl/{release.info_hash}?apikey={self.api_key}&file={release.info_hash}"
        attrs = {
            "category": str(release.category),
            "seeders": str(release.seeders),
            "peers": str(release.seeders + release.leechers),
            "downloadvolumefactor": "0" if release.freeleech else "1",
            "uploadvolumefactor": "1",
        }
        if release.link != "torrent":
            attrs["infohash"] = release.info_hash
        if release.link == "magnet_attr":
            attrs["magneturl"] = release.magnet
        if release.imdb is not None:
            attrs["imdbid"] = f"tt{release.imdb:07d}"
        attr_xml = "".join(
            f'<torznab:attr name="{name}" value={quoteattr(value)}/>'
            for name, value in attrs.items()
        )
        attr_xml += "".join(f'<torznab:attr name="tag" value="{tag}"/>' for tag in release.tags)
        return (
            f"<item><title>{escape(release.title)}</title><guid>{self.url}/details/{release.info_hash}</guid>"
            f"<link>{escape(link)}</link><comments>{self.url}/details/{release.info_hash}</comments>"
            f"<pubDate>{format_datetime(release.published)}</pubDate><size>{release.size}</size>"
            f"<category>{release.category}</category>"
            f'<enclosure url={quoteattr(link)} length="{release.size}" '
            'type="application/x-bittorrent"/>'
            f"{attr_xml}</item>"
        )

    async def _download(self, request: web.Request) -> web.Response:
        self.requests.append({"download": request.match_info["info_hash"], **request.query})
        if request.query.get("apikey") != self.api_key:
            return web.Response(status=401)
        release = next(
            (r for r in self.releases if r.info_hash == request.match_info["info_hash"]), None
        )
        if release is None or release.link == "gone":
            return web.Response(status=410, text="Gone")
        if release.link == "torrent":
            return web.Response(body=release.torrent, content_type="application/x-bittorrent")
        return web.Response(status=301, headers={"Location": release.magnet})


def _xml(text: str) -> web.Response:
    return web.Response(text=text, content_type="application/xml")
