"""Rank releases against a quality profile: rejections with reasons, then a scored breakdown."""

from __future__ import annotations

import functools
import hashlib
import math
import re
import time
from dataclasses import dataclass, field
from datetime import UTC
from typing import TYPE_CHECKING, Any

from haul_engine.releases.parser import ParsedRelease, parse_release
from haul_engine.releases.rules import SOURCE_ORDER

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from haul_engine.indexers.base import IndexerResult
    from haul_engine.releases.parser import MediaType
    from haul_engine.releases.rules import ProfileRules

type Parse = Callable[[str, MediaType | None], ParsedRelease]
MIB = 1024 * 1024
PARSE_CACHE_SIZE = 16_384
ASSUMED_RESOLUTION = 480  # the arrs read a release without a resolution as SD
MINUTES = {"movie": 110.0, "tv": 45.0}
RESOLUTION_POINTS = {480: 0, 576: 50, 720: 200, 1080: 400, 2160: 600}
SOURCE_POINTS = {
    "cam": -300,
    "telesync": -250,
    "telecine": -200,
    "workprint": -200,
    "dvd": 0,
    "tv": 20,
    "webrip": 50,
    "webdl": 70,
    "bluray": 90,
}
SOURCE_LABELS = {
    "cam": "CAM",
    "telesync": "TELESYNC",
    "telecine": "TELECINE",
    "workprint": "WORKPRINT",
    "dvd": "DVD",
    "tv": "HDTV",
    "webrip": "WEBRip",
    "webdl": "WEB-DL",
    "bluray": "Bluray",
}
LOSSLESS = frozenset({"flac", "alac", "ape", "wavpack", "wav"})
AUDIO_FORMATS = LOSSLESS | {"mp3", "aac", "vorbis", "opus", "wma"}
REMUX_POINTS = 60
HDR_POINTS = {"dv": 120, "hdr10plus": 120, "hdr10": 100, "hlg": 60}
GROUP_TIER_POINTS = (300, 200, 100, 60, 30)
CODEC_POINTS = 80
AUDIO_POINTS = 60
PREFERENCE_STEP = 10
PROPER_POINTS = 40
SEASON_PACK_POINTS = 100
MULTI_SEASON_POINTS = 60  # the season searched for, and more to download
BATCH_POINTS = 40  # an anime batch: episodes by absolute number, the season unknown
ABSOLUTE_POINTS = 20  # an anime release numbered as the arr's anime series are
VERSION_POINTS = 20
FREELEECH_POINTS = 50
INTERNAL_POINTS = 40
SEEDER_BUCKET_POINTS = 40
MAX_SEEDER_BUCKET = 4
SIZE_POINTS = 60
AGE_POINTS_PER_YEAR = 10
MAX_AGE_YEARS = 3
# Penalties a careful person applies even when a profile allows the release.
PENALTIES: tuple[tuple[str, int, re.Pattern[str]], ...] = (
    ("3D", -600, re.compile(r"(?i)(?<![a-z0-9])(3d|h?sbs|h-?ou|half-?(?:sbs|ou))(?![a-z0-9])")),
    (
        "upscaled",
        -500,
        re.compile(r"(?i)(?<![a-z0-9])(upscaled?|ai[ .-]?upscale[d]?|uphd)(?![a-z0-9])"),
    ),
)
LQ_GROUPS = frozenset(
    g.lower()
    for g in ("YIFY", "YTS", "YTS.MX", "YTS.LT", "YTS.AG", "aXXo", "nikt0", "STUTTERSHIT", "mSD")
)
LQ_PENALTY = -400
BRDISK_PENALTY = -800
SCREENER_PENALTY = -300


@dataclass(frozen=True, slots=True)
class Expectation:
    """What the search asked for; results that are plainly something else are rejected."""

    season: int | None = None
    episode: int | None = None
    year: int | None = None
    absolute_episode: int | None = None  # an anime episode's number counted across seasons


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One line of a score breakdown."""

    reason: str
    points: int


@dataclass(slots=True)
class RankedRelease:
    """A release with its parse, score breakdown and rejection reasons."""

    id: str
    title: str
    indexer: str
    quality: str
    score: int
    accepted: bool
    rejections: list[str]
    breakdown: list[ScorePart]
    size: int | None
    seeders: int | None
    leechers: int | None
    info_hash: str | None
    magnet: str | None
    age_days: float | None
    freeleech: bool
    categories: list[int]
    also_on: list[str] = field(default_factory=list)
    parsed: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TitleFacts:
    """What a name says whatever the profile: its parse, quality labels and word penalties."""

    parsed: ParsedRelease
    fields: dict[str, Any]  # parsed.as_dict(), shared by every result with this name: read only
    normalized: str
    penalties: tuple[ScorePart, ...]
    video_quality: str
    music_quality: str


def title_facts(title: str, parsed: ParsedRelease) -> TitleFacts:
    """Derive the profile-independent facts of a name from its parse."""
    normalized = _normalize(title)
    penalties = tuple(
        ScorePart(label, points)
        for label, points, pattern in PENALTIES
        if pattern.search(normalized)
    )
    return TitleFacts(
        parsed, parsed.as_dict(), normalized, penalties, _video_label(parsed), _music_label(parsed)
    )


@functools.lru_cache(maxsize=PARSE_CACHE_SIZE)
def read_title(title: str, media_type: MediaType | None = None) -> TitleFacts:
    """Parse a name once: the same names come back from every indexer and every search."""
    return title_facts(title, parse_release(title, media_type))


def result_id(result: IndexerResult) -> str:
    """Return a stable id: the info-hash, or a digest of indexer and guid."""
    if result.info_hash:
        return result.info_hash
    return hashlib.sha1(
        f"{result.indexer}\n{result.guid}".encode(), usedforsecurity=False
    ).hexdigest()


class Ranker:
    """One profile's rules, compiled once, applied to many releases."""

    def __init__(
        self,
        rules: ProfileRules,
        *,
        media_type: MediaType | None = None,
        expect: Expectation | None = None,
        runtime_minutes: float | None = None,
        parse: Parse | None = None,
    ) -> None:
        """Compile word lists and bounds; names are parsed once and cached unless parse is given."""
        self.rules = rules
        self.read: Callable[[str, MediaType | None], TitleFacts] = read_title
        if parse is not None:
            self.read = lambda title, media: title_facts(title, parse(title, media))
        self.media_type = media_type
        self.expect = expect or Expectation()
        self.runtime_minutes = runtime_minutes
        self.required = _words(rules.required_words)
        self.blocked = _words(rules.blocked_words)
        self.blocked_groups = frozenset(group.lower() for group in rules.blocked_groups)
        self.group_points = {
            group.lower(): GROUP_TIER_POINTS[tier]
            for tier, groups in enumerate(rules.group_tiers)
            for group in groups
        }
        self.min_source = SOURCE_ORDER.index(rules.min_source)
        self.max_source = SOURCE_ORDER.index(rules.max_source)
        self.languages = frozenset(rules.languages)
        self.now = time.time()

    def rank(self, results: Iterable[IndexerResult]) -> list[RankedRelease]:
        """Judge every result, collapse same info-hashes, best accepted first, rejected last."""
        best: dict[str, RankedRelease] = {}
        for result in results:
            ranked = self.judge(result)
            kept = best.get(ranked.id)
            if kept is None:
                best[ranked.id] = ranked
                continue
            winner, loser = (
                (ranked, kept) if _order_key(ranked) < _order_key(kept) else (kept, ranked)
            )
            winner.also_on = sorted(
                {*winner.also_on, loser.indexer, *loser.also_on} - {winner.indexer}
            )
            best[ranked.id] = winner
        return sorted(best.values(), key=_order_key)

    def judge(self, result: IndexerResult) -> RankedRelease:
        """Rejection reasons and score breakdown of one result."""
        facts = self.read(result.title, self.media_type)
        parsed = facts.parsed
        rejections: list[str] = []
        breakdown: list[ScorePart] = []
        is_music = self._is_music(parsed)
        if is_music:
            self._music(parsed, rejections, breakdown)
        else:
            self._video(parsed, rejections, breakdown)
            breakdown += facts.penalties
        self._words_and_groups(parsed, facts.normalized, rejections, breakdown)
        self._content(parsed, rejections, breakdown)
        self._swarm(result, rejections, breakdown)
        self._size(result, parsed, is_music=is_music, rejections=rejections, breakdown=breakdown)
        age_days = self._age(result, breakdown)
        return RankedRelease(
            id=result_id(result),
            title=result.title,
            indexer=result.indexer,
            quality=facts.music_quality if is_music else facts.video_quality,
            score=sum(part.points for part in breakdown),
            accepted=not rejections,
            rejections=rejections,
            breakdown=breakdown,
            size=result.size,
            seeders=result.seeders,
            leechers=result.leechers,
            info_hash=result.info_hash,
            magnet=result.magnet_url
            if result.magnet_url and result.magnet_url.startswith("magnet:")
            else None,
            age_days=age_days,
            freeleech=result.download_factor == 0,
            categories=list(result.categories),
            also_on=list(result.also_on),
            parsed=facts.fields,
        )

    def _is_music(self, parsed: ParsedRelease) -> bool:
        if self.media_type is not None:
            return self.media_type == "music"
        no_video = parsed.resolution is None and parsed.source is None
        return no_video and (_audio_format(parsed) is not None or parsed.artist is not None)

    def _video(
        self,
        parsed: ParsedRelease,
        rejections: list[str],
        breakdown: list[ScorePart],
    ) -> None:
        rules = self.rules
        if rules.media == "music":
            rejections.append("a video release; the profile is for music")
            return
        resolution = parsed.resolution or ASSUMED_RESOLUTION
        if resolution < rules.min_resolution:
            rejections.append(
                f"{resolution}p is below the profile's minimum of {rules.min_resolution}p"
            )
        elif resolution > rules.max_resolution:
            rejections.append(
                f"{resolution}p is above the profile's maximum of {rules.max_resolution}p"
            )
        breakdown.append(
            ScorePart(f"resolution {resolution}p", RESOLUTION_POINTS.get(resolution, 0))
        )
        if parsed.source is not None:
            rank = SOURCE_ORDER.index(parsed.source)
            label = SOURCE_LABELS[parsed.source]
            if rank < self.min_source:
                floor = SOURCE_LABELS[rules.min_source]
                rejections.append(f"source {label} is below the profile's minimum ({floor})")
            elif rank > self.max_source:
                ceiling = SOURCE_LABELS[rules.max_source]
                rejections.append(f"source {label} is above the profile's maximum ({ceiling})")
            breakdown.append(ScorePart(f"source {label}", SOURCE_POINTS[parsed.source]))
        self._modifier(parsed, rejections, breakdown)
        self._hdr(parsed, rejections, breakdown)
        if parsed.codec is not None and parsed.codec in rules.preferred_codecs:
            position = rules.preferred_codecs.index(parsed.codec)
            breakdown.append(
                ScorePart(f"preferred codec {parsed.codec}", _preference(CODEC_POINTS, position))
            )

    def _modifier(
        self, parsed: ParsedRelease, rejections: list[str], breakdown: list[ScorePart]
    ) -> None:
        if parsed.modifier == "remux":
            if not self.rules.allow_remux:
                rejections.append("a remux; the profile does not allow remuxes")
            breakdown.append(ScorePart("remux", REMUX_POINTS))
        elif parsed.modifier == "brdisk":
            breakdown.append(
                ScorePart("BR-DISK (a disc image, not playable as a file)", BRDISK_PENALTY)
            )
        elif parsed.modifier == "screener":
            breakdown.append(ScorePart("screener", SCREENER_PENALTY))

    def _hdr(
        self, parsed: ParsedRelease, rejections: list[str], breakdown: list[ScorePart]
    ) -> None:
        wish = self.rules.hdr
        if wish == "required" and not parsed.hdr:
            rejections.append("no HDR; the profile requires HDR")
        elif wish == "refused" and parsed.hdr:
            rejections.append(f"{'/'.join(sorted(parsed.hdr))}; the profile refuses HDR")
        if wish in {"required", "wanted"} and parsed.hdr:
            best = max(parsed.hdr, key=HDR_POINTS.__getitem__)
            points = HDR_POINTS[best] + (30 if {"dv", "hdr10"} <= parsed.hdr else 0)
            breakdown.append(ScorePart(f"HDR ({'/'.join(sorted(parsed.hdr))})", points))
        audio = (parsed.audio or "").lower()
        for position, wanted in enumerate(self.rules.preferred_audio):
            if audio and wanted.lower() in audio:
                breakdown.append(
                    ScorePart(f"preferred audio {wanted}", _preference(AUDIO_POINTS, position))
                )
                break

    def _music(
        self, parsed: ParsedRelease, rejections: list[str], breakdown: list[ScorePart]
    ) -> None:
        rules = self.rules
        if rules.media == "video":
            rejections.append("a music release; the profile is for video")
            return
        fmt = _audio_format(parsed)
        if rules.audio_formats and fmt not in rules.audio_formats:
            wanted = ", ".join(rules.audio_formats)
            rejections.append(
                f"format {fmt or 'unknown'} is not one the profile accepts ({wanted})"
            )
        if rules.min_bitrate and fmt not in LOSSLESS and (parsed.bitrate or 0) < rules.min_bitrate:
            rejections.append(
                f"bitrate {parsed.bitrate or 'unknown'} is below {rules.min_bitrate} kbps"
            )
        if fmt in LOSSLESS:
            breakdown.append(ScorePart(f"lossless {fmt}", 400))
            if (parsed.bit_depth or 0) >= 24:  # noqa: PLR2004 - hi-res audio
                breakdown.append(ScorePart("24-bit", 50))
        elif parsed.vbr == "v0" or (parsed.bitrate or 0) >= 320:  # noqa: PLR2004 - top lossy bitrate
            breakdown.append(ScorePart(f"{fmt or 'lossy'} 320/V0", 200))
        elif parsed.bitrate:
            breakdown.append(
                ScorePart(f"{fmt or 'lossy'} {parsed.bitrate} kbps", min(150, parsed.bitrate // 2))
            )

    def _words_and_groups(
        self,
        parsed: ParsedRelease,
        normalized: str,
        rejections: list[str],
        breakdown: list[ScorePart],
    ) -> None:
        if self.required is not None and not self.required.search(normalized):
            rejections.append(
                f"contains none of the required words ({', '.join(self.rules.required_words)})"
            )
        if self.blocked is not None and (found := self.blocked.search(normalized)):
            rejections.append(f"contains the blocked word {found.group(0)!r}")
        group = (parsed.release_group or "").lower()
        if group and group in self.blocked_groups:
            rejections.append(f"release group {parsed.release_group} is blocked")
        if group in self.group_points:
            breakdown.append(
                ScorePart(f"preferred group {parsed.release_group}", self.group_points[group])
            )
        elif group in LQ_GROUPS:
            breakdown.append(ScorePart(f"low-quality group {parsed.release_group}", LQ_PENALTY))
        if parsed.proper or parsed.repack:
            breakdown.append(ScorePart("proper" if parsed.proper else "repack", PROPER_POINTS))
        if parsed.version > 1:
            breakdown.append(
                ScorePart(f"version {parsed.version}", VERSION_POINTS * (parsed.version - 1))
            )
        if (
            self.languages
            and parsed.languages
            and not self.languages.intersection(parsed.languages)
        ):
            have, wanted = ", ".join(parsed.languages), ", ".join(self.rules.languages)
            rejections.append(f"language {have} is not one of {wanted}")

    def _content(
        self, parsed: ParsedRelease, rejections: list[str], breakdown: list[ScorePart]
    ) -> None:
        expect = self.expect
        if expect.season is not None and parsed.seasons and expect.season not in parsed.seasons:
            seasons = _numbers(parsed.seasons)
            rejections.append(f"season {seasons}, not the season {expect.season} searched for")
        elif expect.season is not None and expect.episode is None:
            self._whole_season(parsed, expect.season, rejections, breakdown)
        if expect.episode is not None and parsed.episodes and expect.episode not in parsed.episodes:
            episodes = _numbers(parsed.episodes)
            rejections.append(f"episode {episodes}, not the episode {expect.episode} searched for")
        absolute, numbers = expect.absolute_episode, parsed.absolute_episodes
        if absolute is not None and numbers:
            # "Show S2 - 05" may count within its season: the searched episode's own number.
            in_season = bool(parsed.seasons) and expect.episode in numbers
            if absolute in numbers and not parsed.episodes:
                breakdown.append(ScorePart(f"absolute episode {absolute}", ABSOLUTE_POINTS))
            elif absolute not in numbers and not in_season:
                rejections.append(
                    f"absolute episode {_numbers(numbers)}, "
                    f"not the absolute episode {absolute} searched for"
                )
        if (
            expect.year is not None
            and parsed.year is not None
            and abs(parsed.year - expect.year) > 1
        ):
            rejections.append(f"year {parsed.year}, not the {expect.year} searched for")

    @staticmethod
    def _whole_season(
        parsed: ParsedRelease, season: int, rejections: list[str], breakdown: list[ScorePart]
    ) -> None:
        """Judge a release for a whole-season search: one season's pack best, more seasons next."""
        if parsed.full_season and parsed.seasons == [season]:
            breakdown.append(ScorePart("the whole season searched for", SEASON_PACK_POINTS))
        elif parsed.full_season and season in parsed.seasons:
            seasons = _numbers(parsed.seasons)
            breakdown.append(
                ScorePart(
                    f"seasons {seasons}, the one searched for among them", MULTI_SEASON_POINTS
                )
            )
        elif parsed.episodes:
            episodes = _numbers(parsed.episodes)
            rejections.append(
                f"episode {episodes} only, not the whole season {season} searched for"
            )
        elif len(parsed.absolute_episodes) > 1:
            numbers = _numbers(parsed.absolute_episodes)
            breakdown.append(ScorePart(f"a batch of episodes {numbers}", BATCH_POINTS))
        elif parsed.absolute_episodes:
            number = parsed.absolute_episodes[0]
            rejections.append(f"episode {number} only, not the whole season {season} searched for")

    def _swarm(
        self, result: IndexerResult, rejections: list[str], breakdown: list[ScorePart]
    ) -> None:
        seeders = result.seeders
        if seeders is not None and seeders < self.rules.min_seeders:
            rejections.append(
                f"{seeders} seeders; the profile wants at least {self.rules.min_seeders}"
            )
        if seeders:
            bucket = min(MAX_SEEDER_BUCKET, round(math.log10(seeders)))
            breakdown.append(ScorePart(f"{seeders} seeders", bucket * SEEDER_BUCKET_POINTS))
        if self.rules.prefer_freeleech and result.download_factor < 1:
            label = (
                "freeleech"
                if result.download_factor == 0
                else f"{result.download_factor:g}x download"
            )
            breakdown.append(
                ScorePart(label, round(FREELEECH_POINTS * (1 - result.download_factor)))
            )
        if "internal" in result.tags:
            breakdown.append(ScorePart("internal release", INTERNAL_POINTS))

    def _size(
        self,
        result: IndexerResult,
        parsed: ParsedRelease,
        *,
        is_music: bool,
        rejections: list[str],
        breakdown: list[ScorePart],
    ) -> None:
        minutes = self._minutes(parsed, is_music=is_music)
        if not result.size or minutes is None:
            return
        per_minute = result.size / MIB / minutes
        rules = self.rules
        if rules.min_mb_per_minute is not None and per_minute < rules.min_mb_per_minute:
            rejections.append(
                f"{per_minute:.1f} MB per minute is below the profile's {rules.min_mb_per_minute:g}"
            )
        if rules.max_mb_per_minute is not None and per_minute > rules.max_mb_per_minute:
            rejections.append(
                f"{per_minute:.1f} MB per minute is above the profile's {rules.max_mb_per_minute:g}"
            )
        if rules.preferred_mb_per_minute is not None:
            distance = abs(math.log2(per_minute / rules.preferred_mb_per_minute))
            points = round(SIZE_POINTS - SIZE_POINTS * distance)
            label = f"size {per_minute:.1f} MB/min (preferred {rules.preferred_mb_per_minute:g})"
            breakdown.append(ScorePart(label, max(-SIZE_POINTS, points)))

    def _minutes(self, parsed: ParsedRelease, *, is_music: bool) -> float | None:
        """Return the running time the size is judged against; None when it cannot be known."""
        if self.runtime_minutes is not None:
            return self.runtime_minutes
        if is_music:
            return None
        if parsed.episodes:
            return MINUTES["tv"] * len(parsed.episodes)
        if parsed.seasons or parsed.full_season or self.media_type == "tv":
            return None
        return MINUTES["movie"]

    def _age(self, result: IndexerResult, breakdown: list[ScorePart]) -> float | None:
        if result.published is None:
            return None
        published = result.published
        if published.tzinfo is None:
            published = published.replace(tzinfo=UTC)
        days = max(0.0, (self.now - published.timestamp()) / 86400)
        years = min(days / 365, MAX_AGE_YEARS)
        if years >= 1:
            breakdown.append(ScorePart(f"{days:.0f} days old", -round(AGE_POINTS_PER_YEAR * years)))
        return round(days, 1)


def rank(  # noqa: PLR0913 - the keyword-only options of Ranker
    results: Iterable[IndexerResult],
    rules: ProfileRules,
    *,
    media_type: MediaType | None = None,
    expect: Expectation | None = None,
    runtime_minutes: float | None = None,
    parse: Parse | None = None,
) -> list[RankedRelease]:
    """Rank results against a profile's rules (see Ranker)."""
    ranker = Ranker(
        rules, media_type=media_type, expect=expect, runtime_minutes=runtime_minutes, parse=parse
    )
    return ranker.rank(results)


def _order_key(release: RankedRelease) -> tuple[bool, int, int, int]:
    """Sort accepted before rejected, then by score, seeders, and fewer bytes."""
    return (not release.accepted, -release.score, -(release.seeders or 0), release.size or 0)


def _numbers(numbers: list[int]) -> str:
    """`3`, `1-12` for a run, `1, 3` otherwise."""
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):  # noqa: PLR2004
        return f"{numbers[0]}-{numbers[-1]}"
    return ", ".join(str(number) for number in numbers)


def _preference(top: int, position: int) -> int:
    """Points for the n-th entry of a preference list: the first earns most."""
    return max(PREFERENCE_STEP, top - PREFERENCE_STEP * 2 * position)


def _normalize(title: str) -> str:
    """Lower case with dots and underscores as spaces, so words match on boundaries."""
    return title.lower().replace(".", " ").replace("_", " ")


def _words(words: list[str]) -> re.Pattern[str] | None:
    """One pattern matching any of the words as whole words, case-insensitively."""
    if not words:
        return None
    alternatives = "|".join(re.escape(_normalize(word)) for word in words)
    return re.compile(rf"(?<![a-z0-9])(?:{alternatives})(?![a-z0-9])")


def _video_label(parsed: ParsedRelease) -> str:
    source = SOURCE_LABELS.get(parsed.source or "", "Unknown")
    label = f"{source}-{parsed.resolution}p" if parsed.resolution else source
    if parsed.modifier == "remux":
        label += " Remux"
    elif parsed.modifier == "brdisk":
        label += " BR-DISK"
    return label


def _audio_format(parsed: ParsedRelease) -> str | None:
    """Return the music format, also when the parser only filled the audio codec."""
    if parsed.audio_format is not None:
        return parsed.audio_format
    return parsed.audio if parsed.audio in AUDIO_FORMATS else None


def _music_label(parsed: ParsedRelease) -> str:
    fmt = _audio_format(parsed)
    if fmt is None:
        return "Unknown"
    label = fmt.upper()
    if parsed.bit_depth:
        label += f" {parsed.bit_depth}-bit"
    if parsed.vbr:
        label += f" {parsed.vbr.upper()}"
    elif parsed.bitrate:
        label += f" {parsed.bitrate}"
    return label
