"""Candidates from the arr's interactive search or Haul's own search, ranked and summarised."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from haul_engine.releases.controller import Candidate
from haul_engine.releases.ranking import read_title
from haul_engine.requests.models import RequestCandidate

if TYPE_CHECKING:
    from haul_engine.releases.controller import ReleasesController, SearchKind
    from haul_engine.releases.ranking import RankedRelease

SOURCES = {
    "webdl": "WEB-DL",
    "webrip": "WEBRip",
    "bluray": "BluRay",
    "remux": "Remux",
    "hdtv": "HDTV",
    "dvd": "DVD",
    "tv": "TV",
    "cam": "CAM",
    "telesync": "TS",
}
SERVICES = {
    "amazon": "AMZN",
    "netflix": "NF",
    "disney": "DSNP",
    "apple": "ATVP",
    "hbo": "HMAX",
    "max": "MAX",
    "hulu": "HULU",
    "paramount": "PMTP",
    "peacock": "PCOK",
}
GIGABYTE = 1_000_000_000
MAX_CANDIDATES = 50


def search_kind(media_type: str) -> SearchKind:
    """Name how Haul's search and ranking read a request's releases: movie, tv or music."""
    if media_type in {"movie", "tv"}:
        return "movie" if media_type == "movie" else "tv"
    return "music"


def summary(candidate: RequestCandidate) -> str:
    """One line a phone notification can show: '1080p WEB-DL · 6.2 GB · 140 seeders · AMZN'."""
    parsed = read_title(candidate.title).fields
    quality = " ".join(
        part
        for part in (
            f"{parsed['resolution']}p" if parsed.get("resolution") else "",
            SOURCES.get(str(parsed.get("source")), ""),
        )
        if part
    )
    parts = [quality or candidate.quality or "unknown quality"]
    if candidate.size:
        parts.append(f"{candidate.size / GIGABYTE:.1f} GB")
    if candidate.seeders is not None:
        parts.append(f"{candidate.seeders} seeders")
    tag = SERVICES.get(str(parsed.get("streaming_service"))) or candidate.release_group
    if tag:
        parts.append(tag)
    return " · ".join(parts)


async def from_arr(
    releases: list[dict[str, Any]],
    ranker: ReleasesController,
    media_type: str,
    profile: str | None = None,
) -> list[RequestCandidate]:
    """Torrent releases of an interactive search, the arr's verdict first, Haul's score next."""
    torrents = [r for r in releases if r.get("protocol", "torrent") == "torrent" and r.get("title")]
    ranked = await _rank(ranker, torrents, media_type, profile)
    rows = []
    for release in torrents:
        mine = ranked.get(release["title"])
        quality = ((release.get("quality") or {}).get("quality") or {}).get("name") or ""
        rows.append(
            RequestCandidate(
                request_id=0,  # set when stored
                position=0,  # set once sorted
                origin="arr",
                title=release["title"],
                indexer=str(release.get("indexer") or ""),
                guid=str(release.get("guid") or ""),
                indexer_id=release.get("indexerId"),
                season=release.get("seasonNumber"),
                full_season=release.get("fullSeason"),
                size=release.get("size"),
                seeders=release.get("seeders"),
                leechers=release.get("leechers"),
                quality=quality,
                release_group=str(release.get("releaseGroup") or ""),
                custom_formats=[f.get("name", "") for f in release.get("customFormats") or []],
                custom_format_score=int(release.get("customFormatScore") or 0),
                arr_approved=bool(release.get("approved")),
                arr_rejections=[str(reason) for reason in release.get("rejections") or []],
                haul_score=mine.score if mine else 0,
                haul_accepted=bool(mine and mine.accepted),
                haul_rejections=mine.rejections if mine else [],
                info_hash=(release.get("infoHash") or "").lower() or None,
                magnet=release.get("magnetUrl") or None,
                download_url=release.get("downloadUrl") or None,
            )
        )
    weights = {
        id(row): release.get("releaseWeight", 0)
        for row, release in zip(rows, torrents, strict=True)
    }
    rows.sort(key=lambda row: (not row.arr_approved, weights[id(row)], -row.haul_score))
    return _numbered(rows)


def from_ranking(ranked: list[RankedRelease]) -> list[RequestCandidate]:
    """Candidates from Haul's own search, in Haul's order."""
    rows = [
        RequestCandidate(
            request_id=0,  # set when stored
            position=0,  # set once sorted
            origin="indexer",
            title=release.title,
            indexer=release.indexer,
            guid=release.id,
            size=release.size,
            seeders=release.seeders,
            leechers=release.leechers,
            quality=release.quality,
            release_group=str(release.parsed.get("release_group") or ""),
            haul_score=release.score,
            haul_accepted=release.accepted,
            haul_rejections=release.rejections,
            info_hash=release.info_hash,
            magnet=release.magnet,
            result_key=release.id,
            custom_formats=[],
            arr_rejections=[],
            custom_format_score=0,
        )
        for release in ranked
    ]
    return _numbered(rows)


def acceptable(candidate: RequestCandidate) -> bool:
    """Whether auto-pick may take it: not failed, approved by the arr or, without one, by Haul."""
    if candidate.failed:
        return False
    return candidate.arr_approved if candidate.arr_approved is not None else candidate.haul_accepted


def _numbered(rows: list[RequestCandidate]) -> list[RequestCandidate]:
    for position, row in enumerate(rows[:MAX_CANDIDATES]):
        row.position = position
    return rows[:MAX_CANDIDATES]


async def _rank(
    ranker: ReleasesController,
    releases: list[dict[str, Any]],
    media_type: str,
    profile: str | None,
) -> dict[str, RankedRelease]:
    if not releases:
        return {}
    ranked = await ranker.rank_candidates(
        releases=[
            Candidate(
                title=release["title"],
                indexer=str(release.get("indexer") or "arr"),
                size=release.get("size"),
                seeders=release.get("seeders"),
                leechers=release.get("leechers"),
            )
            for release in releases
        ],
        profile=profile,
        type=search_kind(media_type),
    )
    return {release.title: release for release in ranked}
