"""Prowlarr's own search API (`/api/v1/search`): every indexer Prowlarr manages in one call."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import orjson
from pydantic import Field

from haul_engine.indexers.base import (
    IndexerClient,
    IndexerError,
    IndexerOptions,
    IndexerResult,
    SearchQuery,
    parse_int,
)

if TYPE_CHECKING:
    from haul_engine.indexers.base import MediaKind

SEARCH_TYPES: dict[MediaKind, str] = {
    "search": "search",
    "tv": "tvsearch",
    "movie": "movie",
    "music": "music",
}
DOWNLOAD_FACTORS = {"freeleech": 0.0, "neutralleech": 0.0, "halfleech": 0.5, "freeleech75": 0.25}


class ProwlarrOptions(IndexerOptions):
    """Options of a Prowlarr connector: also which of Prowlarr's indexers to use (all if empty)."""

    indexer_ids: Annotated[
        list[int],
        Field(
            title="Prowlarr indexers",
            description="The ids of the Prowlarr indexers to search; empty: all of them.",
        ),
    ] = Field(default=[])


class ProwlarrClient(IndexerClient):
    """Talks to one Prowlarr server."""

    async def identify(self) -> tuple[str, str | None]:
        """Read Prowlarr's system/status: app name and version."""
        body = await self.get(
            f"{self.url}/api/v1/system/status", headers={"X-Api-Key": self.api_key}
        )
        try:
            status = orjson.loads(body)
            return str(status.get("appName", "Prowlarr")), status.get("version")
        except (orjson.JSONDecodeError, AttributeError):
            msg = f"{self.name}: system/status is not Prowlarr's JSON"
            raise IndexerError(msg) from None

    async def search(self, query: SearchQuery) -> list[IndexerResult]:
        """Search every chosen Prowlarr indexer; ids and episode go into the query as tokens."""
        params: list[tuple[str, str]] = [
            ("query", search_text(query)),
            ("type", SEARCH_TYPES[query.kind]),
            ("limit", str(query.limit)),
            ("offset", "0"),
        ]
        indexer_ids = self.options.indexer_ids if isinstance(self.options, ProwlarrOptions) else []
        params += [("indexerIds", str(indexer)) for indexer in indexer_ids]
        categories = query.categories or tuple(self.options.categories)
        params += [("categories", str(category)) for category in categories]
        body = await self.get(
            f"{self.url}/api/v1/search",
            params=params,
            headers={"X-Api-Key": self.api_key, "Accept": "application/json"},
        )
        try:
            rows = orjson.loads(body)
        except orjson.JSONDecodeError:
            message = f"{self.name}: answered with invalid JSON"
            self.health.failed(message)
            raise IndexerError(message) from None
        if not isinstance(rows, list):
            message = f"{self.name}: expected a list of releases"
            self.health.failed(message)
            raise IndexerError(message)
        return [result for row in rows if (result := self._result(row)) is not None]

    def _result(self, row: Any) -> IndexerResult | None:  # noqa: ANN401 - decoded JSON
        if not isinstance(row, dict) or row.get("protocol", "torrent") != "torrent":
            return None
        title = (_text(row.get("title")) or "").strip()
        download_url, magnet_url = _text(row.get("downloadUrl")), _text(row.get("magnetUrl"))
        if magnet_url is not None and not magnet_url.startswith("magnet:"):
            # Prowlarr's magnetUrl is a proxy link with its key; fetched like a download link.
            download_url, magnet_url = download_url or magnet_url, None
        info_hash = _text(row.get("infoHash"))
        if not title or not (download_url or magnet_url or info_hash):
            return None
        flags = {flag.lower() for flag in _list(row.get("indexerFlags")) if isinstance(flag, str)}
        factor = min(
            (DOWNLOAD_FACTORS[flag] for flag in flags if flag in DOWNLOAD_FACTORS), default=1.0
        )
        categories = {
            parse_int(c.get("id")) for c in _list(row.get("categories")) if isinstance(c, dict)
        }
        return IndexerResult(
            indexer=f"{self.name}: {_text(row.get('indexer')) or row.get('indexerId')}",
            title=title,
            guid=_text(row.get("guid")) or download_url or title,
            size=parse_int(row.get("size")),
            seeders=parse_int(row.get("seeders")),
            leechers=parse_int(row.get("leechers")),
            grabs=parse_int(row.get("grabs")),
            files=parse_int(row.get("files")),
            published=_date(row.get("publishDate")),
            info_hash=info_hash,
            magnet_url=magnet_url,
            download_url=download_url,
            info_url=_text(row.get("infoUrl")),
            categories=tuple(sorted(c for c in categories if c is not None)),
            download_factor=factor,
            upload_factor=2.0 if "doubleupload" in flags else 1.0,
            tags=frozenset(flags),
            imdb_id=f"tt{imdb:07d}" if (imdb := parse_int(row.get("imdbId"))) else None,
            tmdb_id=parse_int(row.get("tmdbId")) or None,
            tvdb_id=parse_int(row.get("tvdbId")) or None,
        )


def search_text(query: SearchQuery) -> str:
    """Build the `query` parameter: words plus Prowlarr's `{ImdbId:…}`-style tokens."""
    tokens = {
        "ImdbId": query.imdb_id,
        "TmdbId": query.tmdb_id,
        "TvdbId": query.tvdb_id,
        "Season": query.season,
        "Episode": query.episode,
        "Year": query.year,
    }
    words = query.text
    if query.kind == "music":
        words = query.free_text()
    parts = [words, *(f"{{{name}:{value}}}" for name, value in tokens.items() if value is not None)]
    return " ".join(part for part in parts if part)


def _text(value: object) -> str | None:
    """Return a non-empty string field, or None for anything else."""
    return value if isinstance(value, str) and value else None


def _list(value: object) -> list[Any]:
    """Return a list field, or an empty list for anything else."""
    return value if isinstance(value, list) else []


def _date(value: object) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
