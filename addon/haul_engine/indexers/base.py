"""What every indexer client shares: options, queries, results, limited HTTP, back-off."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal
from urllib.parse import urljoin

import aiohttp
from pydantic import BaseModel, ConfigDict, Field

from haul_engine.logs import REDACTED, SecretFilter, redact
from haul_engine.politeness import retry_after_seconds

_LOGGER = logging.getLogger(__name__)

FAILURES_BEFORE_BACKOFF = 3
BACKOFF_BASE_SECONDS = 60.0
BACKOFF_MAX_SECONDS = 3600.0
DEFAULT_RETRY_AFTER_SECONDS = 60.0
MIB = 1024 * 1024
MAX_TORRENT_BYTES = 10 * MIB
MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
HTTP_GONE = 410
HTTP_TOO_MANY = 429
HTTP_ERROR = 400
_HEX_HASH = re.compile(r"[0-9a-f]{40}")
_HASH = re.compile(r"(?i)urn:btih:([0-9a-f]{40}|[a-z2-7]{32})")

type MediaKind = Literal["search", "tv", "movie", "music"]
type QueryParams = Mapping[str, str] | list[tuple[str, str]]


class IndexerOptions(BaseModel):
    """How hard to use one indexer: the connector settings every indexer kind shares."""

    model_config = ConfigDict(extra="forbid")

    timeout: Annotated[
        float,
        Field(
            gt=0,
            le=120,
            title="Timeout (seconds)",
            description="How long Haul waits for one answer of the indexer.",
        ),
    ] = 15.0
    concurrency: Annotated[
        int,
        Field(
            ge=1,
            le=16,
            title="Parallel searches",
            description="How many searches Haul sends to this indexer at the same time.",
        ),
    ] = 2
    categories: Annotated[
        list[Annotated[int, Field(ge=0)]],
        Field(
            title="Categories",
            description="Newznab category numbers to search (2000 films, 5000 TV, 3000 music); "
            "empty: the category of each search's kind.",
        ),
    ] = []
    max_pages: Annotated[
        int,
        Field(
            ge=1,
            le=30,
            title="Pages per search",
            description="How many pages of results Haul reads for one search.",
        ),
    ] = 1


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """One search, in the terms every indexer kind understands."""

    kind: MediaKind = "search"
    text: str = ""
    imdb_id: str | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    season: int | None = None
    episode: int | None = None
    artist: str | None = None
    album: str | None = None
    year: int | None = None
    categories: tuple[int, ...] = ()
    limit: int = 100

    @property
    def imdb_number(self) -> str | None:
        """The IMDb id without its `tt` prefix (Torznab wants the digits)."""
        return self.imdb_id.removeprefix("tt") if self.imdb_id else None

    @property
    def episode_tag(self) -> str:
        """`S01E02`, `S01` or nothing: the words to add to a text query."""
        if self.season is None:
            return ""
        tag = f"S{self.season:02d}"
        return f"{tag}E{self.episode:02d}" if self.episode is not None else tag

    def free_text(self) -> str:
        """Return the query as words, for indexers that only take `q`."""
        words = [self.text]
        if self.kind == "music":
            words += [self.artist or "", self.album or ""]
        if self.kind == "tv":
            words.append(self.episode_tag)
        return " ".join(word for word in words if word).strip()


@dataclass(slots=True)
class IndexerResult:
    """One release an indexer offered."""

    indexer: str
    title: str
    guid: str
    size: int | None = None
    seeders: int | None = None
    leechers: int | None = None
    grabs: int | None = None
    files: int | None = None
    published: datetime | None = None
    info_hash: str | None = None
    magnet_url: str | None = None
    download_url: str | None = None
    info_url: str | None = None
    categories: tuple[int, ...] = ()
    download_factor: float = 1.0
    upload_factor: float = 1.0
    tags: frozenset[str] = frozenset()
    imdb_id: str | None = None
    tmdb_id: int | None = None
    tvdb_id: int | None = None
    also_on: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        """Keep only a well-formed hex info-hash, else take it from the magnet."""
        given = (self.info_hash or "").strip().lower()
        self.info_hash = given if _HEX_HASH.fullmatch(given) else None
        if self.info_hash is None and self.magnet_url:
            self.info_hash = info_hash_of(self.magnet_url)


class IndexerError(Exception):
    """An indexer did not answer usefully; the message is already redacted."""


class RateLimitedError(IndexerError):
    """The indexer asked us to wait (429, Retry-After)."""


@dataclass(slots=True)
class IndexerHealth:
    """Failures, back-off and rate limits of one indexer."""

    failures: int = 0
    last_error: str | None = None
    last_success: datetime | None = None
    paused_until: datetime | None = None
    pause_reason: str | None = None

    def waiting(self) -> str | None:
        """Why the indexer must not be asked now, or None when it may."""
        if self.paused_until is None or datetime.now(UTC) >= self.paused_until:
            return None
        seconds = (self.paused_until - datetime.now(UTC)).total_seconds()
        return f"{self.pause_reason}; next try in {seconds:.0f} s"

    def succeeded(self) -> None:
        """Forget past failures."""
        self.failures, self.last_error = 0, None
        self.paused_until = self.pause_reason = None
        self.last_success = datetime.now(UTC)

    def failed(self, error: str) -> None:
        """Count a failure; from the third in a row, back off exponentially."""
        self.failures += 1
        self.last_error = error
        if self.failures >= FAILURES_BEFORE_BACKOFF:
            exponent = self.failures - FAILURES_BEFORE_BACKOFF
            seconds = min(BACKOFF_BASE_SECONDS * 2**exponent, BACKOFF_MAX_SECONDS)
            self.pause(seconds, f"backed off after {self.failures} failures in a row")

    def pause(self, seconds: float, reason: str) -> None:
        """Do not ask the indexer for the given time."""
        self.paused_until = datetime.now(UTC) + timedelta(seconds=seconds)
        self.pause_reason = reason


class IndexerClient:
    """The base of every indexer kind: HTTP with a per-indexer limit, timeout and back-off."""

    def __init__(  # noqa: PLR0913 - where the indexer is, its key, its options, the HTTP session
        self,
        name: str,
        url: str,
        api_key: str,
        options: IndexerOptions,
        session: aiohttp.ClientSession,
        *,
        verify_tls: bool = True,
    ) -> None:
        """Keep the settings and the shared HTTP session; hide the key from every log line."""
        self.name = name
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.options = options
        self.session = session
        self.health = IndexerHealth()
        self._ssl = verify_tls
        self._slots = asyncio.Semaphore(options.concurrency)
        SecretFilter.register(api_key)

    async def search(self, query: SearchQuery) -> list[IndexerResult]:
        """Ask the indexer; subclasses translate the query into their protocol."""
        raise NotImplementedError

    async def identify(self) -> tuple[str, str | None]:
        """Reach the indexer afresh and say what answers: its app name and version."""
        raise NotImplementedError

    def redact(self, text: str) -> str:
        """Text with the API key and every URL key parameter hidden."""
        if self.api_key:
            text = text.replace(self.api_key, REDACTED)
        return redact(text)

    async def get(
        self, url: str, params: QueryParams | None = None, headers: Mapping[str, str] | None = None
    ) -> bytes:
        """GET within the indexer's limits; failures are counted and raised as IndexerError."""
        waiting = self.health.waiting()
        if waiting is not None:
            raise IndexerError(waiting)
        try:
            async with self._slots:
                body = await self._get(url, params, headers)
        except IndexerError as err:
            self._record_failure(err)
            raise
        self.health.succeeded()
        return body

    async def _get(
        self, url: str, params: QueryParams | None, headers: Mapping[str, str] | None
    ) -> bytes:
        started = time.monotonic()
        try:
            async with self.session.get(
                url,
                params=params,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.options.timeout),
                allow_redirects=False,
                ssl=self._ssl,
            ) as response:
                self.check_status(response)
                body = await response.read()
        except TimeoutError:
            msg = f"{self.name}: no answer within {self.options.timeout:g} s"
            raise IndexerError(msg) from None
        except aiohttp.ClientError as err:
            msg = f"{self.name}: {type(err).__name__}: {self.redact(str(err))}"
            raise IndexerError(msg) from None
        _LOGGER.debug(
            "%s answered %s in %.0f ms",
            self.name,
            self.redact(str(response.url)),
            1000 * (time.monotonic() - started),
        )
        return body

    def check_status(self, response: aiohttp.ClientResponse) -> None:
        """Raise for 429 (with its Retry-After) and every other non-2xx answer."""
        if response.status == HTTP_TOO_MANY:
            retry_after = response.headers.get("Retry-After")
            seconds = retry_after_seconds(retry_after, DEFAULT_RETRY_AFTER_SECONDS)
            msg = f"{self.name}: rate limited (429), retry after {seconds:.0f} s"
            self.health.pause(
                seconds, f"rate limited by the indexer (429, Retry-After {seconds:.0f} s)"
            )
            raise RateLimitedError(msg)
        if response.status >= HTTP_ERROR or response.status in REDIRECTS:
            msg = (
                f"{self.name}: HTTP {response.status} {self.redact(response.reason or '')}".rstrip()
            )
            raise IndexerError(msg)

    def _record_failure(self, err: IndexerError) -> None:
        if isinstance(err, RateLimitedError):
            self.health.last_error = str(err)
            return
        if self.health.waiting() is None:
            self.health.failed(str(err))

    async def fetch_link(self, url: str) -> str | bytes:
        """Fetch a download link hop by hop: a magnet URI (from a Location) or .torrent bytes."""
        for _hop in range(MAX_REDIRECTS + 1):
            if url.startswith("magnet:"):
                return url
            if not url.startswith(("http://", "https://")):
                msg = f"{self.name}: download link is neither http(s) nor magnet"
                raise IndexerError(msg)
            location, body = await self._fetch_once(url)
            if location is None:
                return _torrent_bytes(self.name, body)
            url = urljoin(url, location)
        msg = f"{self.name}: too many redirects on a download link"
        raise IndexerError(msg)

    async def _fetch_once(self, url: str) -> tuple[str | None, bytes]:
        try:
            async with (
                self._slots,
                self.session.get(
                    url,
                    timeout=aiohttp.ClientTimeout(total=self.options.timeout),
                    allow_redirects=False,
                    ssl=self._ssl,
                ) as response,
            ):
                if response.status in REDIRECTS and "Location" in response.headers:
                    return response.headers["Location"], b""
                if response.status == HTTP_GONE:
                    msg = f"{self.name}: the release is gone (410)"
                    raise IndexerError(msg)
                self.check_status(response)
                body = bytearray()
                async for chunk in response.content.iter_chunked(64 * 1024):
                    body += chunk
                    if len(body) > MAX_TORRENT_BYTES:
                        break
                return None, bytes(body)
        except TimeoutError:
            msg = f"{self.name}: download link gave no answer within {self.options.timeout:g} s"
            raise IndexerError(msg) from None
        except aiohttp.ClientError as err:
            msg = f"{self.name}: {type(err).__name__}: {self.redact(str(err))}"
            raise IndexerError(msg) from None


def _torrent_bytes(name: str, body: bytes) -> bytes:
    """Check that a body looks like a bencoded .torrent of sane size."""
    if len(body) > MAX_TORRENT_BYTES:
        msg = f"{name}: download is larger than {MAX_TORRENT_BYTES // MIB} MiB, not a .torrent"
        raise IndexerError(msg)
    if not body.startswith(b"d") or b"4:info" not in body:
        msg = f"{name}: download is not a .torrent file"
        raise IndexerError(msg)
    return body


def info_hash_of(magnet: str) -> str | None:
    """Return the hex info-hash of a magnet URI (base32 converted), or None."""
    found = _HASH.search(magnet)
    if found is None:
        return None
    value = found.group(1)
    if len(value) == 40:  # noqa: PLR2004 - a hex SHA-1
        return value.lower()
    return base64.b32decode(value.upper()).hex()


def parse_int(value: object) -> int | None:
    """Read an int from an indexer field that may be missing, empty or a float string."""
    if value is None or value == "":
        return None
    try:
        return int(float(str(value)))
    except (ValueError, OverflowError):  # not a number, or NaN / infinity
        return None
