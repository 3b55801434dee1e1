"""Video quality of a release name: resolution, source, codec, HDR, audio, languages, edition."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from haul_engine.releases import _parse_quality as q
from haul_engine.releases import _parse_structure as s

if TYPE_CHECKING:
    from haul_engine.releases.parser import Codec, Hdr, MediaType, Modifier, Source

_RESOLUTIONS = {
    "r2160": 2160, "r2160w": 2160, "r1080": 1080, "r1080w": 1080,
    "r720": 720, "r576": 576, "r480": 480,
}  # fmt: skip
_SOURCE_ORDER: tuple[tuple[str, Source], ...] = (
    ("webrip", "webrip"),
    ("webdl", "webdl"),
    ("bluray", "bluray"),
    ("bdrip", "bluray"),
    ("rawhd", "tv"),
    ("hdtv", "tv"),
    ("sdtv", "tv"),
    ("dvd", "dvd"),
    ("fulldvd", "dvd"),
    ("telesync", "telesync"),
    ("telecine", "telecine"),
    ("cam", "cam"),
    ("workprint", "workprint"),
    ("screener", "dvd"),
    ("regional", "dvd"),
    ("remux", "bluray"),
    ("brdisk", "bluray"),
)
_CODECS: dict[str, Codec] = {c: c for c in ("x264", "x265", "av1", "xvid", "mpeg2", "vc1")}
_HDRS: dict[str, Hdr] = {h: h for h in ("hdr10", "hdr10plus", "dv", "hlg")}


def video_quality(
    tail: str, extension: str, media_type: MediaType | None
) -> tuple[int | None, Source | None, Modifier | None]:
    """Read resolution, source and modifier with the arr defaults (SD without resolution: 480)."""
    resolution = _resolution(tail)
    found = {m.lastgroup for m in q.SOURCE.finditer(tail) if m.lastgroup != "webdl" or _is_web(m)}
    if "remux" not in found and (
        extension == "iso" or ("bluray" in found and q.DISC_CODEC.search(tail))
    ):
        found.add("brdisk")  # a disc image, or Blu-ray with the disc's own video codec
    source = next((name for key, name in _SOURCE_ORDER if key in found), None)
    codec_match = q.CODEC.search(tail)
    modifier = _modifier(found, source, codec_match)
    if modifier == "remux" and source not in {"dvd", "bluray"}:
        source = "bluray"
    if modifier == "rawhd":
        source, resolution = "tv", 1080
    if (
        source == "bluray"
        and codec_match
        and codec_match.lastgroup == "xvid"
        and resolution is None
    ):
        return 480, source, modifier
    if resolution is None:
        hd_hint = extension in s.HD_EXTENSIONS or extension in s.BLURAY_EXTENSIONS
        hd_hint = hd_hint or bool(_HD_HINT.search(tail))
        resolution = _default_resolution(source, modifier, found, media_type, hd_hint=hd_hint)
    if source is None and media_type != "movie" and (resolution or codec_match):
        source = "tv"
        resolution = resolution or 480
    if source is None and extension in s.BLURAY_EXTENSIONS:
        source = "bluray"
    if source is None and resolution is None and extension in s.SD_EXTENSIONS:
        source, resolution = "tv", 480
    if source == "cam" and media_type == "movie":
        resolution = None
    return resolution, source, modifier


def _resolution(tail: str) -> int | None:
    """Read the resolution; a number (`1080p`) wins over a word (`4K`, `UHD`) anywhere."""
    worded = None
    for match in q.RESOLUTION.finditer(tail):
        group = match.lastgroup or ""
        if not group.endswith("w"):
            return _RESOLUTIONS[group]
        worded = worded or _RESOLUTIONS[group]
    return worded


def _is_web(match: re.Match[str]) -> bool:
    """Whether a matched WEB tag is a source (see `WEB_CONFIRMED`)."""
    text = match.group(0)
    if text.lower() != "web" or text == "WEB":
        return True
    start = match.start()
    return (start > 0 and match.string[start - 1] == "[") or bool(
        q.WEB_CONFIRMED.match(match.string, match.end())
    )


def _modifier(
    found: set[str | None], source: Source | None, codec_match: re.Match[str] | None
) -> Modifier | None:
    """Name the remux, disc image, raw HD broadcast, screener or regional release."""
    mpeg2_broadcast = (
        source == "tv" and codec_match is not None and codec_match.lastgroup == "mpeg2"
    )
    checks: tuple[tuple[bool, Modifier], ...] = (
        # A full DVD image is Radarr's DVD remux.
        ("fulldvd" in found and source in {None, "dvd"}, "remux"),
        ("remux" in found and source not in {"webdl", "webrip", "tv"}, "remux"),
        ("brdisk" in found and source in {None, "bluray"}, "brdisk"),
        ("rawhd" in found or mpeg2_broadcast, "rawhd"),
        ("screener" in found, "screener"),
        ("regional" in found, "regional"),
    )
    return next((modifier for hit, modifier in checks if hit), None)


def _default_resolution(
    source: Source | None,
    modifier: Modifier | None,
    found: set[str | None],
    media_type: MediaType | None,
    *,
    hd_hint: bool,
) -> int | None:
    """Return the resolution the arrs assume when a name gives none."""
    if modifier in {"remux", "brdisk", "rawhd"}:
        return 480 if source == "dvd" or "fulldvd" in found else 1080
    if hd_hint and source in {None, "webdl", "webrip", "bluray", "tv"}:
        return 720
    if source == "bluray":
        return 480 if "bdrip" in found else 720
    if source in {"webdl", "webrip", "tv"}:
        return 480
    if source == "dvd" and media_type != "movie":
        return 480
    return None


_HD_HINT = re.compile(r"(?<![a-z0-9])(?:hr|\[hdtv\]|hd[-_. ]tv|\[web\])(?![a-z0-9])", re.IGNORECASE)


def revision(tail: str, anime_version: int | None, *, music: bool) -> tuple[bool, bool, int]:
    """Return (proper, repack, version): PROPER/REPACK/RERIP make a revision, REPACK2 is v3."""
    proper = repack = False
    version = 1
    for match in q.REVISION.finditer(tail):
        if match.group("proper"):
            proper = True
            version = max(version, 2)
        elif match.group("repack"):
            proper = repack = True
            version = max(version, int(match.group("repack_n") or 1) + 1)
        else:
            # A bare "V2" in a music name is a VBR preset; "01v2" or "[v2]" is a version.
            bare = None if music else match.group("version")
            number = match.group("anime_version") or match.group("bracketed_version") or bare
            version = max(version, int(number or 1))
    if anime_version:
        version = max(version, anime_version)
    return proper, repack, version


def _first_group(pattern: re.Pattern[str], text: str) -> str | None:
    """Return the name of the group that matched first."""
    match = pattern.search(text)
    return match.lastgroup if match else None


def audio(tail: str) -> str | None:
    """Return the main audio codec of a video release."""
    match = q.AUDIO.search(tail)
    if match is None or match.lastgroup is None:
        return None
    return q.AUDIO_NAMES.get(match.lastgroup, match.lastgroup)


def channels(tail: str) -> str | None:
    """Return the audio channels as `5.1`, `2.0`, `7.1`."""
    match = q.CHANNELS.search(tail)
    if match is None:
        return None
    if count := match.group("ch"):
        return q.CHANNELS_BY_COUNT[count]
    return f"{match.group('main')}.{match.group('lfe')}"


def edition(work: str, title_end: int, lowered: list[str]) -> str | None:
    """Find a movie edition such as `Director's Cut` (the title ends before it)."""
    if q.EDITION_WORDS.isdisjoint(lowered):
        return None
    for match in q.EDITION.finditer(work, title_end):
        if is_edition(match.group("edition")):
            return s.SPACES.sub(
                " ", match.group("edition").replace(".", " ").replace("_", " ")
            ).strip(" -")
    return None


def is_edition(text: str) -> bool:
    """Whether a run of edition words names an edition (not just "Cut" or "Special")."""
    words = [word.replace("'", "") for word in q.TOKEN.findall(text.lower().replace("'", ""))]
    if not q.EDITION_STRONG.isdisjoint(words):
        return True
    return words[0] in q.EDITION_QUALIFIED and words[-1] in {"cut", "edition", "version"}


def languages(tokens: list[str], lowered: list[str]) -> list[str]:
    """Read audio languages after the title as ISO 639-1 codes (not those of subtitles)."""
    found: list[str] = []
    subtitles = False  # a language right before `SUB` or anywhere after it names subtitles
    for index, word in enumerate(lowered):
        if word in q.SUBTITLE_WORDS:
            subtitles = True
            continue
        code = q.LANGUAGE_WORDS.get(word) or _han_language(word)
        if code is None or code in found or subtitles or not _is_language_tag(tokens[index]):
            continue
        if index + 1 < len(lowered) and lowered[index + 1] in q.SUBTITLE_WORDS:
            continue
        if index and lowered[index - 1] == "dts":
            continue  # "DTS-ES" is a sound format, not Spanish
        found.append(code)
    return found


def _is_language_tag(token: str) -> bool:
    """Tell whether a language-looking token is written as a tag (see `LANGUAGE_CAPITALS_ONLY`)."""
    word = token.lower()
    if word in q.LANGUAGE_CAPITALS_ONLY:
        return token.isupper()
    return word not in q.LANGUAGE_NOT_LOWERCASE or not token.islower()


def _han_language(word: str) -> str | None:
    """Return `zh` for a Han-script tag such as `简繁外挂` or `国语音轨`."""
    return "zh" if word and word[0] > "\u2e80" and not q.CHINESE_MARKS.isdisjoint(word) else None


def streaming_service(lowered: list[str]) -> str | None:
    """Return the streaming service a WEB release was taken from."""
    last = len(lowered) - 1
    for index, word in enumerate(lowered):
        service = q.STREAMING_TAGS.get(word)
        if service and (index == last or lowered[index + 1] in q.STREAMING_FOLLOWERS):
            return service
    return None


def codec(tail: str) -> Codec | None:
    """Return the video codec a name names first."""
    return _CODECS.get(_first_group(q.CODEC, tail) or "")


def hdr(tail: str) -> frozenset[Hdr]:
    """Return the HDR formats a name names."""
    return frozenset(_HDRS[m.lastgroup] for m in q.HDR.finditer(tail) if m.lastgroup)
