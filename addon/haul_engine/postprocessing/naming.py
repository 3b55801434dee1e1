"""Where each file of a finished torrent goes: the release parser's reading, through a pattern."""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Literal

from haul_engine.releases.parser import ParsedRelease, parse_release

MOVIE_PATTERN = "{title} ({year})/{title} ({year}) - {quality}.{ext}"
SERIES_PATTERN = "{title}/Season {season:02}/{title} - S{season:02}E{episode:02} - {quality}.{ext}"
FIELDS = frozenset(
    {"title", "year", "quality", "ext", "season", "episode", "resolution", "source", "group"}
)
VIDEO = frozenset(
    {"mkv", "mp4", "m4v", "avi", "mov", "wmv", "ts", "m2ts", "mpg", "mpeg", "webm", "iso"}
)
SUBTITLES = frozenset({"srt", "ass", "ssa", "sub", "idx", "vtt"})
SOURCES = {
    "webdl": "WEBDL", "webrip": "WEBRip", "bluray": "Bluray", "tv": "HDTV", "dvd": "DVD",
    "cam": "CAM", "telesync": "TELESYNC", "telecine": "TELECINE", "workprint": "WORKPRINT",
}  # fmt: skip
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]')
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z]{2})?$", re.IGNORECASE)
Media = Literal["auto", "movie", "series"]


class PatternError(ValueError):
    """A naming pattern names an unknown field or cannot be read."""


def check_pattern(pattern: str) -> str:
    """Return the pattern if every field it names is known (else PatternError saying which)."""
    try:
        names = {field for _, field, _, _ in string.Formatter().parse(pattern) if field}
    except ValueError as err:
        msg = f"pattern {pattern!r}: {err}"
        raise PatternError(msg) from None
    unknown = sorted(names - FIELDS)
    if unknown:
        msg = (
            f"pattern {pattern!r}: unknown field {unknown[0]} (known: {', '.join(sorted(FIELDS))})"
        )
        raise PatternError(msg)
    if pattern.startswith("/") or ".." in PurePosixPath(pattern).parts:
        msg = f"pattern {pattern!r} must stay inside the media folder (no leading / or ..)"
        raise PatternError(msg)
    if not pattern.endswith(".{ext}"):
        msg = f"pattern {pattern!r} must end with .{{ext}}"
        raise PatternError(msg)
    return pattern


@dataclass(frozen=True, slots=True)
class Placement:
    """One file of the torrent and where it goes, relative to the media folder."""

    source: str  # relative to the torrent's location, as libtorrent names it
    target: str


def quality(parsed: ParsedRelease) -> str:
    """Radarr's and Sonarr's quality name: WEBDL-1080p, Bluray-2160p Remux, HDTV-720p."""
    source = SOURCES.get(parsed.source or "", "")
    resolution = f"{parsed.resolution}p" if parsed.resolution else ""
    name = "-".join(part for part in (source, resolution) if part) or "Unknown"
    return f"{name} Remux" if parsed.modifier == "remux" else name


def _clean(value: str) -> str:
    return _UNSAFE.sub("", value).strip(" .") or "Unknown"


def plan(
    torrent_name: str, files: list[tuple[str, int]], media: Media, pattern: str = ""
) -> list[Placement]:
    """Name the torrent's videos (and their subtitles) by the pattern; other files stay.

    A movie is its largest video; a series' videos are those with an episode number (the season
    from the file or else the torrent's name). Samples and extras are left where they are.
    """
    whole = parse_release(torrent_name)
    kind = media if media != "auto" else ("series" if whole.seasons or whole.episodes else "movie")
    pattern = pattern or (SERIES_PATTERN if kind == "series" else MOVIE_PATTERN)
    videos = [
        (path, size) for path, size in files if _extension(path) in VIDEO and not _sample(path)
    ]
    if kind == "movie":
        videos = sorted(videos, key=lambda item: -item[1])[:1]
    placements: list[Placement] = []
    for path, _size in videos:
        parsed = parse_release(PurePosixPath(path).stem, "tv" if kind == "series" else "movie")
        seasons, episodes = parsed.seasons or whole.seasons, parsed.episodes
        season = seasons[0] if seasons else None
        episode = episodes[0] if episodes else None
        if kind == "series" and (season is None or episode is None):
            continue  # an extra, or a name without numbering: it stays with the torrent
        values = {
            "title": _clean(whole.title or parsed.title or PurePosixPath(path).stem),
            "year": whole.year or parsed.year or "",
            "quality": quality(parsed if parsed.resolution or parsed.source else whole),
            "ext": _extension(path),
            "season": season or 0,
            "episode": episode or 0,
            "resolution": f"{parsed.resolution or whole.resolution or ''}p".lstrip("p"),
            "source": parsed.source or whole.source or "",
            "group": _clean(parsed.release_group or whole.release_group or ""),
        }
        target = pattern.format(**values).replace(" ()", "").replace("()", "")
        placements.append(Placement(path, target))
        placements += _subtitles(path, target, files, only_video=len(videos) == 1)
    return placements


def _subtitles(
    video: str, target: str, files: list[tuple[str, int]], *, only_video: bool
) -> list[Placement]:
    """Return the video's subtitles, named after it (a language tag kept: .en.srt)."""
    stem = PurePosixPath(video).stem
    base = target.rsplit(".", 1)[0]
    found = []
    for path, _size in files:
        if _extension(path) not in SUBTITLES:
            continue
        name = PurePosixPath(path).stem
        if not (name.startswith(stem) or only_video):
            continue
        tag = name.rsplit(".", 1)[-1] if "." in name else ""
        suffix = f".{tag}" if _LANGUAGE.match(tag) else ""
        found.append(Placement(path, f"{base}{suffix}.{_extension(path)}"))
    unique = {placement.target: placement for placement in found}  # one per language
    return list(unique.values())


def _extension(path: str) -> str:
    return PurePosixPath(path).suffix.lstrip(".").lower()


def _sample(path: str) -> bool:
    parts = [part.lower() for part in PurePosixPath(path).parts]
    return any(part in {"sample", "samples", "extras", "featurettes"} for part in parts[:-1]) or (
        "sample" in PurePosixPath(parts[-1]).stem.split(".")
        or PurePosixPath(parts[-1]).stem.endswith("-sample")
    )
