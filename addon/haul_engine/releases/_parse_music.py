"""Music release names (Lidarr conventions): artist, album and audio quality."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from haul_engine.releases import _parse_quality as q
from haul_engine.releases import _parse_structure as s
from haul_engine.releases._parse_group import release_group
from haul_engine.releases._parse_video import revision

if TYPE_CHECKING:
    from haul_engine.releases.parser import AudioFormat, VbrPreset

_VBR_PRESETS: dict[str, VbrPreset] = {"v0": "v0", "v2": "v2"}
_HI_RES_BITS = 24
_FORMAT_ORDER: tuple[AudioFormat, ...] = (
    "flac", "alac", "ape", "wavpack", "wav", "wma", "vorbis", "opus", "aac", "mp3",
)  # fmt: skip


class MusicRelease(NamedTuple):
    """The fields a music name fills (the rest of `ParsedRelease` keeps its defaults)."""

    title: str
    year: int | None
    release_group: str | None
    proper: bool
    repack: bool
    version: int
    artist: str | None
    album: str | None
    audio_format: AudioFormat | None
    bitrate: int | None
    vbr: VbrPreset | None
    bit_depth: int | None
    sample_rate: int | None


def parse_music(text: str) -> MusicRelease:
    """Read artist, album and audio quality of a music release (Lidarr conventions)."""
    tags = s.MUSIC_LEADING_TAGS.match(text)
    body = s.MUSIC_PREFIX.sub("", text[tags.end() :] if tags else text, count=1)
    artist, album, tail_start = _artist_album(body)
    tail = f"{tags.group(0) if tags else ''} {body[tail_start:]}"
    audio_format, bitrate, vbr, bit_depth, sample_rate = _music_quality(tail)
    proper, repack, version = revision(body, None, music=True)
    year = s.YEAR.search(tail)
    return MusicRelease(
        title=album or artist or s.clean_title(body),
        year=int(year.group("year")) if year else None,
        release_group=release_group(text, _music_leading_group(text)),
        proper=proper,
        repack=repack,
        version=version,
        artist=artist,
        album=album,
        audio_format=audio_format,
        bitrate=bitrate,
        vbr=vbr,
        bit_depth=bit_depth,
        sample_rate=sample_rate,
    )


def _music_leading_group(text: str) -> str | None:
    """Return a leading `[Group]` of a music name unless it is a quality tag such as `[TR24]`."""
    leading = s.LEADING_GROUP.match(text)
    if (
        leading is None
        or q.AUDIO_FORMAT.search(leading.group(0))
        or q.BIT_DEPTH.search(leading.group(0))
    ):
        return None
    return leading.group("g1")


def _artist_album(body: str) -> tuple[str | None, str | None, int]:
    """Return (artist, album, start of the quality part) of `Artist - Album (Year) [Format]`."""
    spaced = body.replace("_", " ")
    if " " not in spaced.strip():
        spaced = spaced.replace(".", " ")  # scene names: positions stay those of `body`
    if discography := s.DISCOGRAPHY.search(spaced):
        return _discography_artist(spaced[: discography.start()]), "Discography", discography.end()
    if match := s.MUSIC_ARTIST_ALBUM.match(spaced):
        artist, album_start, album_limit = match.group("artist"), match.start("album"), len(spaced)
    elif " - " not in spaced and len(segments := list(_SCENE_SEGMENT.finditer(spaced))) > 1:
        artist = segments[0].group(0)
        if tagged := _QUALITY_TAG.search(artist):  # "Artist (256kbps)-Group": no album named
            return s.SPACES.sub(" ", artist[: tagged.start()]).strip(" -") or None, None, 0
        album = next((seg for seg in segments[1:] if not s.is_year(seg.group(0).strip())), None)
        album_start, album_limit = (album.start(), album.end()) if album else (len(spaced),) * 2
    else:
        return None, None, 0
    artist = s.SPACES.sub(" ", artist).strip(" -") or None
    end = s.MUSIC_ALBUM_END.search(spaced, album_start + 1, album_limit)
    album_end = end.start() if end else album_limit
    return artist, s.SPACES.sub(" ", spaced[album_start:album_end]).strip(" -") or None, album_end


_SCENE_SEGMENT = re.compile(r"[^-]+")
_QUALITY_TAG = re.compile(
    r"\s*[(\[](?:[0-9]{2,3}\s?kbps|flac|mp3|aac|lossless)[)\]]", re.IGNORECASE
)


def _discography_artist(before: str) -> str | None:
    """Return the artist of `Artist - Complete Discography` or scene `Artist-Discography_1998`."""
    artist = before.partition(" - " if " - " in before else "-")[0]
    artist = _DISCOGRAPHY_WORDS.sub("", artist)
    return s.SPACES.sub(" ", artist).strip(" -") or None


_DISCOGRAPHY_WORDS = re.compile(r"\b(?:complete|studio|the)\s*$", re.IGNORECASE)


def _music_quality(
    tail: str,
) -> tuple[AudioFormat | None, int | None, VbrPreset | None, int | None, int | None]:
    """(format, bitrate kbps, VBR preset, bit depth, sample rate Hz) of a music release."""
    found = {m.lastgroup for m in q.AUDIO_FORMAT.finditer(tail)}
    audio_format = next((name for name in _FORMAT_ORDER if name in found), None)
    bitrate_match = q.BITRATE.search(tail)
    bitrate = int(next(g for g in bitrate_match.groups() if g)) if bitrate_match else None
    vbr_match = q.VBR.search(tail)
    vbr = _VBR_PRESETS.get(vbr_match.group("vbr").lower()) if vbr_match else None
    depth_match = q.BIT_DEPTH.search(tail)
    bit_depth = int(next(g for g in depth_match.groups() if g)) if depth_match else None
    rate_match = q.SAMPLE_RATE.search(tail)
    sample_rate = (
        q.SAMPLE_RATES_HZ[next(g for g in rate_match.groups() if g)] if rate_match else None
    )
    if audio_format is None:
        if bit_depth == _HI_RES_BITS:  # hi-res without a format is FLAC by convention
            audio_format = "flac"
        elif bitrate or vbr:
            audio_format = "mp3"
        elif _SCENE_WEB.search(tail):
            audio_format, bitrate = "mp3", 320
    elif audio_format == "aac" and bitrate is None and "itunes" in tail.lower():
        bitrate = 256
    return audio_format, bitrate, vbr, bit_depth, sample_rate


_SCENE_WEB = re.compile(r"-WEB-(?:19|20)[0-9]{2}-", re.IGNORECASE)
