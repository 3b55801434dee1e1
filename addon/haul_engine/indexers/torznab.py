"""Torznab/Newznab feeds (Jackett, Prowlarr per-indexer feeds, trackers): caps, search, items."""

from __future__ import annotations

import math
import time

# expat ≥ 2.4 caps entity expansion and ElementTree never loads external entities.
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from haul_engine.indexers.base import (
    DEFAULT_RETRY_AFTER_SECONDS,
    IndexerClient,
    IndexerError,
    IndexerResult,
    RateLimitedError,
    SearchQuery,
    parse_int,
)

if TYPE_CHECKING:
    from datetime import datetime

    from haul_engine.indexers.base import MediaKind

CAPS_TTL_SECONDS = 3600.0
DEFAULT_PAGE = 100
TORZNAB_NS = "{http://torznab.com/schemas/2015/feed}"
NEWZNAB_NS = "{http://www.newznab.com/DTD/2010/feeds/attributes/}"
RATE_LIMIT_CODE = 429
# Torznab function, caps element and default category of each query kind.
FUNCTIONS: dict[MediaKind, tuple[str, str, int | None]] = {
    "search": ("search", "search", None),
    "tv": ("tvsearch", "tv-search", 5000),
    "movie": ("movie", "movie-search", 2000),
    "music": ("music", "music-search", 3000),
}


@dataclass(frozen=True, slots=True)
class Caps:
    """What a feed says it can do."""

    default_limit: int = DEFAULT_PAGE
    max_limit: int = DEFAULT_PAGE
    functions: dict[str, frozenset[str]] = field(default_factory=dict)
    categories: frozenset[int] = frozenset()
    server: str | None = None
    version: str | None = None


class TorznabClient(IndexerClient):
    """Talks to one Torznab feed."""

    _caps: Caps | None = None
    _caps_at = 0.0

    @property
    def api_url(self) -> str:
        """The feed's API endpoint."""
        return self.url if self.url.endswith("/api") else f"{self.url}/api"

    async def caps(self, *, refresh: bool = False) -> Caps:
        """Return the feed's capabilities, cached for an hour."""
        if refresh or self._caps is None or time.monotonic() - self._caps_at > CAPS_TTL_SECONDS:
            root = await self._call({"t": "caps"})
            self._caps = parse_caps(root)
            self._caps_at = time.monotonic()
        return self._caps

    async def identify(self) -> tuple[str, str | None]:
        """Read the caps again: the server's title and version."""
        caps = await self.caps(refresh=True)
        return caps.server or "Torznab", caps.version

    async def search(self, query: SearchQuery) -> list[IndexerResult]:
        """Search with the best function the caps advertise, page by page."""
        caps = await self.caps()
        params = self.search_params(query, caps)
        page_size = max(1, min(query.limit, caps.max_limit))
        results: list[IndexerResult] = []
        for page in range(self.options.max_pages):
            root = await self._call(
                {**params, "limit": str(page_size), "offset": str(page * page_size)}
            )
            items = parse_items(root, self.name)
            results += items
            if len(items) < page_size or len(results) >= query.limit * self.options.max_pages:
                break
        return results

    def search_params(self, query: SearchQuery, caps: Caps) -> dict[str, str]:
        """Translate a query: id parameters where advertised, else words in `q`."""
        function, element, default_category = FUNCTIONS[query.kind]
        supported = caps.functions.get(element)
        if supported is None:
            function, supported = "search", caps.functions.get("search", frozenset({"q"}))
        wanted = {
            "imdbid": query.imdb_number,
            "tmdbid": query.tmdb_id,
            "tvdbid": query.tvdb_id,
            "season": query.season,
            "ep": query.episode,
            "artist": query.artist,
            "album": query.album,
        }
        params = {"t": function, "extended": "1"}
        params |= {
            key: str(value)
            for key, value in wanted.items()
            if value is not None and key in supported
        }
        episode_as_words = query.kind == "tv" and "season" not in params
        music_as_words = query.kind == "music" and not {"artist", "album"} & params.keys()
        text = query.free_text() if episode_as_words or music_as_words else query.text
        by_id = bool({"imdbid", "tmdbid", "tvdbid"} & params.keys())
        names_music = query.kind == "music" and bool(query.artist or query.album)
        if not (by_id or query.text or names_music):
            # Without words or an id it understands, the feed would answer with everything.
            msg = f"{self.name}: takes none of the given ids; give words to search for"
            raise IndexerError(msg)
        if text and not by_id:
            params["q"] = text
        categories = self._categories(query, caps, default_category)
        if categories:
            params["cat"] = ",".join(str(category) for category in categories)
        return params

    def _categories(self, query: SearchQuery, caps: Caps, default: int | None) -> list[int]:
        if query.categories:
            return list(query.categories)
        if self.options.categories:
            return list(self.options.categories)
        if default is None:
            return []
        if caps.categories and not any(default <= cat < default + 1000 for cat in caps.categories):
            return []
        return [default]

    async def _call(self, params: dict[str, str]) -> ET.Element:
        body = await self.get(self.api_url, {**params, "apikey": self.api_key})
        try:
            root = ET.fromstring(body)  # noqa: S314 - see the note at the import
        except ET.ParseError as err:
            message = f"{self.name}: answered with invalid XML ({err})"
            self.health.failed(message)
            raise IndexerError(message) from None
        if root.tag == "error":
            code = parse_int(root.get("code")) or 0
            description = self.redact(root.get("description") or "no description")
            message = f"{self.name}: error {code}: {description}"
            if code == RATE_LIMIT_CODE:
                seconds = DEFAULT_RETRY_AFTER_SECONDS
                self.health.pause(
                    seconds, f"rate limited by the indexer (error 429, {seconds:.0f} s)"
                )
                raise RateLimitedError(message)
            self.health.failed(message)
            raise IndexerError(message)
        return root


def parse_caps(root: ET.Element) -> Caps:
    """Read `<caps>`: limits, searching functions and their parameters, categories."""
    if root.tag != "caps":
        msg = f"expected <caps>, got <{root.tag}>"
        raise IndexerError(msg)
    limits = root.find("limits")
    default = parse_int(limits.get("default")) if limits is not None else None
    maximum = parse_int(limits.get("max")) if limits is not None else None
    functions: dict[str, frozenset[str]] = {}
    for element in root.iterfind("searching/*"):
        if element.get("available", "yes").lower() == "yes":
            params = element.get("supportedParams") or element.get("supportedparams") or "q"
            functions[element.tag] = frozenset(
                p.strip().lower() for p in params.split(",") if p.strip()
            )
    categories = frozenset(
        number
        for element in root.iter()
        if element.tag in {"category", "subcat"}
        if (number := parse_int(element.get("id"))) is not None
    )
    server = root.find("server")
    return Caps(
        server=server.get("title") if server is not None else None,
        version=server.get("version") if server is not None else None,
        default_limit=default or maximum or DEFAULT_PAGE,
        max_limit=maximum or default or DEFAULT_PAGE,
        functions=functions,
        categories=categories,
    )


def parse_items(root: ET.Element, indexer: str) -> list[IndexerResult]:
    """Read the RSS `<item>`s of a search answer; items without a title or a link are skipped."""
    results = []
    for item in root.iterfind("channel/item"):
        attrs = _attributes(item)
        title = (item.findtext("title") or "").strip()
        enclosure = item.find("enclosure")
        link = item.findtext("link") or (enclosure.get("url") if enclosure is not None else None)
        magnet = attrs.get("magneturl")
        if link and link.startswith("magnet:"):
            magnet, link = magnet or link, None
        if not title or not (link or magnet or attrs.get("infohash")):
            continue
        size = parse_int(item.findtext("size")) or parse_int(attrs.get("size"))
        if size is None and enclosure is not None:
            size = parse_int(enclosure.get("length"))
        seeders = parse_int(attrs.get("seeders"))
        peers = parse_int(attrs.get("peers"))
        leechers = parse_int(attrs.get("leechers"))
        if leechers is None and peers is not None:
            leechers = max(0, peers - (seeders or 0))
        categories = {parse_int(element.text) for element in item.iterfind("category")}
        categories |= {parse_int(value) for key, value in attrs.items() if key == "category"}
        results.append(
            IndexerResult(
                indexer=indexer,
                title=title,
                guid=(item.findtext("guid") or link or magnet or title).strip(),
                size=size,
                seeders=seeders,
                leechers=leechers,
                grabs=parse_int(attrs.get("grabs")),
                files=parse_int(attrs.get("files")),
                published=_date(item.findtext("pubDate")),
                info_hash=attrs.get("infohash") or None,
                magnet_url=magnet,
                download_url=link,
                info_url=item.findtext("comments"),
                categories=tuple(sorted(c for c in categories if c is not None)),
                download_factor=_factor(attrs.get("downloadvolumefactor")),
                upload_factor=_factor(attrs.get("uploadvolumefactor")),
                tags=frozenset(attrs.tags),
                imdb_id=_imdb(attrs.get("imdbid") or attrs.get("imdb")),
                tmdb_id=parse_int(attrs.get("tmdbid")),
                tvdb_id=parse_int(attrs.get("tvdbid")),
            )
        )
    return results


class _Attributes(dict[str, str]):
    """`torznab:attr` values by lower-case name, plus every `tag` value."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()


def _attributes(item: ET.Element) -> _Attributes:
    attrs = _Attributes()
    for element in item:
        if element.tag not in {f"{TORZNAB_NS}attr", f"{NEWZNAB_NS}attr"}:
            continue
        name = (element.get("name") or "").lower()
        value = element.get("value") or ""
        if name == "tag":
            attrs.tags.add(value.lower())
        else:
            attrs.setdefault(name, value)
    return attrs


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None


def _factor(value: str | None) -> float:
    if value is None:
        return 1.0
    try:
        factor = float(value)
    except ValueError:
        return 1.0
    return factor if math.isfinite(factor) and factor >= 0 else 1.0


def _imdb(value: str | None) -> str | None:
    number = parse_int(value.removeprefix("tt")) if value else None
    return f"tt{number:07d}" if number else None
