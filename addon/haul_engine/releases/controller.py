"""ReleasesController: search and rank, grab, parse names, and the quality profile commands."""

from __future__ import annotations

import asyncio
import logging
import time
import urllib.parse
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - pydantic reads the annotations at runtime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field

from haul_engine.commands import ExactlyOne, api_command
from haul_engine.controller import Controller
from haul_engine.errors import Conflict, InvalidInput, NotFound, Unavailable
from haul_engine.indexers.base import IndexerError, IndexerResult, SearchQuery, info_hash_of
from haul_engine.indexers.search import IndexerReport  # noqa: TC001 - pydantic reads it at runtime
from haul_engine.logs import redact
from haul_engine.releases.profiles import PRESETS, ProfileStore
from haul_engine.releases.ranking import (
    Expectation,
    RankedRelease,
    Ranker,
    read_title,
    result_id,
)
from haul_engine.releases.rules import Profile, ProfileRules  # noqa: TC001 - commands read hints
from haul_engine.torrents.views import AddOptions

if TYPE_CHECKING:
    from haul_engine.engine import Engine
    from haul_engine.releases.parser import MediaType

_LOGGER = logging.getLogger(__name__)
RESULT_CACHE_SIZE = 5000
RESULT_CACHE_SECONDS = 3600.0
ImdbId = Annotated[str, Field(pattern=r"^tt[0-9]{5,10}$")]
PositiveId = Annotated[int, Field(ge=1)]
Number = Annotated[int, Field(ge=0, le=100_000)]
ReleaseName = Annotated[str, Field(min_length=1, max_length=1000)]
SearchKind = Literal["search", "movie", "tv", "music"]


class SearchAnswer(BaseModel):
    """Ranked results (accepted first) and what each indexer did."""

    profile: str
    results: list[RankedRelease]
    accepted: int
    rejected: int
    indexers: list[IndexerReport]
    elapsed_ms: int


class Candidate(BaseModel):
    """A release to rank without searching: what an indexer would have said about it."""

    title: ReleaseName
    indexer: str = "manual"
    size: Annotated[int, Field(ge=0)] | None = None
    seeders: Annotated[int, Field(ge=0)] | None = None
    leechers: Annotated[int, Field(ge=0)] | None = None
    info_hash: Annotated[str, Field(pattern=r"^[0-9a-fA-F]{40}$")] | None = None
    published: datetime | None = None
    freeleech: bool = False
    internal: bool = False


class ParsedName(BaseModel):
    """A name and what the parser read from it."""

    name: str
    parsed: dict[str, Any]


class GrabAnswer(BaseModel):
    """The torrent the grab added (or found already there)."""

    info_hash: str
    name: str


class Removed(BaseModel):
    """The id of what was removed."""

    id: str


@dataclass(frozen=True, slots=True)
class Grab:
    """A search result resolved to what a torrent client takes."""

    title: str
    source: str | bytes  # a magnet URI or the bytes of a .torrent file

    @property
    def magnet(self) -> str | None:
        """The magnet URI, when the result resolved to one."""
        return self.source if isinstance(self.source, str) else None


class ReleasesController(Controller):
    """Release search and ranking, grabs and quality profiles."""

    feature = "releases"

    def __init__(self, engine: Engine) -> None:
        """Profiles come from the database; search results are remembered for grabs."""
        super().__init__(engine)
        self.profiles = ProfileStore(engine.database)
        self._results: OrderedDict[str, tuple[float, IndexerResult]] = OrderedDict()

    @api_command("releases/search", path="/releases/search")
    async def search(  # noqa: PLR0913 - the search API's query parameters
        self,
        *,
        query: Annotated[str, Field(max_length=300)] = "",
        type: SearchKind = "search",  # noqa: A002 - the API's parameter name
        imdb_id: ImdbId | None = None,
        tmdb_id: PositiveId | None = None,
        tvdb_id: PositiveId | None = None,
        season: Number | None = None,
        episode: Number | None = None,
        absolute_episode: Number | None = None,
        year: Annotated[int, Field(ge=1870, le=2200)] | None = None,
        artist: Annotated[str, Field(max_length=300)] | None = None,
        album: Annotated[str, Field(max_length=300)] | None = None,
        profile: str | None = None,
        runtime: Annotated[float, Field(gt=0, le=100_000)] | None = None,
        limit: Annotated[int, Field(ge=1, le=1000)] = 100,
    ) -> SearchAnswer:
        """Search every enabled indexer and rank the results against a quality profile.

        Give words to search for, or an imdb_id, tmdb_id, tvdb_id, artist or album (else 400).
        """
        if not (query.strip() or imdb_id or tmdb_id or tvdb_id or artist or album):
            msg = (
                "query: give words to search for, or an imdb_id, tmdb_id, tvdb_id, artist or album"
            )
            raise InvalidInput(msg)
        chosen = await self.profiles.get(profile or self.engine.options.current.default_profile)
        indexers = self.engine.indexers
        if not indexers.enabled_clients():
            msg = "no indexer is configured: add a prowlarr or torznab connector"
            raise Conflict(msg)
        started = time.monotonic()
        search_query = SearchQuery(
            kind=type,
            text=query.strip(),
            imdb_id=imdb_id,
            tmdb_id=tmdb_id,
            tvdb_id=tvdb_id,
            season=season,
            episode=episode,
            artist=artist,
            album=album,
            year=year,
            limit=limit,
        )
        media: MediaType | None = None if type == "search" else type

        async def read_ahead(results: list[IndexerResult]) -> None:
            # Parse each indexer's names while slower indexers are still answering.
            await asyncio.to_thread(lambda: [read_title(r.title, media) for r in results])

        outcome = await indexers.search(search_query, read_ahead)
        self._remember(outcome.results)
        ranker = Ranker(
            chosen.rules,
            media_type=media,
            expect=Expectation(
                season=season, episode=episode, year=year, absolute_episode=absolute_episode
            ),
            runtime_minutes=runtime,
        )
        ranked = await asyncio.to_thread(ranker.rank, outcome.results)
        accepted = sum(1 for release in ranked if release.accepted)
        return SearchAnswer(
            profile=chosen.id,
            results=ranked,
            accepted=accepted,
            rejected=len(ranked) - accepted,
            indexers=outcome.indexers,
            elapsed_ms=round(1000 * (time.monotonic() - started)),
        )

    @api_command("releases/rank", method="POST", path="/releases/rank")
    async def rank_candidates(  # noqa: PLR0913 - the rank API's body fields
        self,
        *,
        releases: Annotated[list[Candidate], Field(max_length=5000)],
        profile: str | None = None,
        type: SearchKind = "search",  # noqa: A002 - the API's parameter name
        season: Number | None = None,
        episode: Number | None = None,
        absolute_episode: Number | None = None,
        runtime: Annotated[float, Field(gt=0, le=100_000)] | None = None,
    ) -> list[RankedRelease]:
        """Rank releases given by the caller against a profile, each with its reasons."""
        chosen = await self.profiles.get(profile or self.engine.options.current.default_profile)
        results = [
            IndexerResult(
                indexer=candidate.indexer,
                title=candidate.title,
                guid=candidate.title,
                size=candidate.size,
                seeders=candidate.seeders,
                leechers=candidate.leechers,
                published=candidate.published,
                info_hash=candidate.info_hash,
                download_factor=0.0 if candidate.freeleech else 1.0,
                tags=frozenset({"internal"} if candidate.internal else ()),
            )
            for candidate in releases
        ]
        media: MediaType | None = None if type == "search" else type
        expect = Expectation(season=season, episode=episode, absolute_episode=absolute_episode)
        ranker = Ranker(chosen.rules, media_type=media, expect=expect, runtime_minutes=runtime)
        return await asyncio.to_thread(ranker.rank, results)

    @api_command(
        "releases/grab",
        method="POST",
        path="/releases/grab",
        rules=(ExactlyOne(("id", "magnet", "url")),),
    )
    async def grab(
        self,
        id: str | None = None,  # noqa: A002 - the API's field name
        magnet: Annotated[str, Field(max_length=10_000)] | None = None,
        url: Annotated[str, Field(max_length=10_000)] | None = None,
        category: Annotated[str, Field(max_length=255)] = "",
    ) -> GrabAnswer:
        """Hand a search result (by id), a magnet link or a .torrent URL to the torrent client."""
        source: str | bytes
        if id is not None:
            source = (await self.resolve_result(id)).source
        elif magnet is not None:
            if info_hash_of(magnet) is None:
                msg = "magnet: not a magnet link with a BitTorrent info-hash (urn:btih)"
                raise InvalidInput(msg)
            source = magnet
        else:
            source = str(url)
        added = await self.engine.torrents.add_torrent(source, AddOptions(category=category))
        _LOGGER.info("grabbed %s", redact(added.name))
        return GrabAnswer(info_hash=added.hash, name=added.name)

    async def resolve_result(self, result_key: str) -> Grab:
        """Turn a remembered search result into a magnet or .torrent bytes through its indexer."""
        self._forget_stale()
        entry = self._results.get(result_key.lower())
        if entry is None:
            msg = f"no search result {result_key!r} (results are kept for an hour after a search)"
            raise NotFound(msg)
        result = entry[1]
        if result.magnet_url and result.magnet_url.startswith("magnet:"):
            return Grab(result.title, result.magnet_url)
        client = self.engine.indexers.client_named(result.indexer)
        if result.download_url and client is not None:
            try:
                return Grab(result.title, await client.fetch_link(result.download_url))
            except IndexerError as err:
                raise Unavailable(client.redact(str(err))) from None
        if result.info_hash:
            magnet = f"magnet:?xt=urn:btih:{result.info_hash}&dn={urllib.parse.quote(result.title)}"
            return Grab(result.title, magnet)
        msg = f"result {result_key!r} has no link this engine can fetch"
        raise Unavailable(msg)

    @api_command("releases/parse", method="POST", path="/releases/parse")
    async def parse(
        self, names: Annotated[list[ReleaseName], Field(min_length=1, max_length=1000)]
    ) -> list[ParsedName]:
        """Parse release names into their fields."""
        facts = await asyncio.to_thread(lambda: [read_title(name) for name in names])
        return [
            ParsedName(name=name, parsed=fact.fields)
            for name, fact in zip(names, facts, strict=True)
        ]

    @api_command("releases/profiles", path="/releases/profiles")
    async def list_profiles(self) -> list[Profile]:
        """Built-in presets and custom quality profiles."""
        return await self.profiles.all()

    @api_command("releases/profiles/get", path="/releases/profiles/{profile_id}")
    async def get_profile(self, profile_id: str) -> Profile:
        """One quality profile, by id or name."""
        return await self.profiles.get(profile_id)

    @api_command("releases/profiles/create", method="POST", path="/releases/profiles")
    async def create_profile(
        self, name: Annotated[str, Field(min_length=1, max_length=100)], rules: ProfileRules
    ) -> Profile:
        """Add a custom quality profile."""
        return await self.profiles.create(name, rules)

    @api_command("releases/profiles/update", method="PUT", path="/releases/profiles/{profile_id}")
    async def update_profile(
        self,
        profile_id: str,
        name: Annotated[str, Field(min_length=1, max_length=100)] | None = None,
        rules: ProfileRules | None = None,
    ) -> Profile:
        """Rename a custom profile and/or replace its rules."""
        return await self.profiles.update(profile_id, name, rules)

    @api_command(
        "releases/profiles/delete", method="DELETE", path="/releases/profiles/{profile_id}"
    )
    async def delete_profile(self, profile_id: str) -> Removed:
        """Remove a custom quality profile (not the engine's default one)."""
        if profile_id not in PRESETS and profile_id == self.engine.options.current.default_profile:
            msg = f"{profile_id!r} is the default profile; choose another default first"
            raise Conflict(msg)
        await self.profiles.delete(profile_id)
        return Removed(id=profile_id)

    def _remember(self, results: list[IndexerResult]) -> None:
        now = time.monotonic()
        for result in results:
            key = result_id(result)
            self._results[key] = (now, result)
            self._results.move_to_end(key)
        while len(self._results) > RESULT_CACHE_SIZE:
            self._results.popitem(last=False)

    def _forget_stale(self) -> None:
        limit = time.monotonic() - RESULT_CACHE_SECONDS
        while self._results and next(iter(self._results.values()))[0] < limit:
            self._results.popitem(last=False)
