"""Parse scene/p2p release names into structured fields (Sonarr/Radarr/Lidarr conventions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date  # noqa: TC003 - get_type_hints(ParsedRelease) resolves it at run time
from typing import Literal, NamedTuple

from haul_engine.releases import _parse_quality as q
from haul_engine.releases import _parse_structure as s
from haul_engine.releases._parse_group import QUALITY_HINT, is_tag, release_group
from haul_engine.releases._parse_music import parse_music
from haul_engine.releases._parse_numbering import (
    Structure,
    find_date,
    find_structure,
    has_episode,
    title_zone_end,
)
from haul_engine.releases._parse_video import (
    audio,
    channels,
    codec,
    edition,
    hdr,
    is_edition,
    languages,
    revision,
    streaming_service,
    video_quality,
)

type MediaType = Literal["tv", "movie", "music"]
type Source = Literal[
    "cam", "telesync", "telecine", "workprint", "dvd", "tv", "webdl", "webrip", "bluray"
]
type Modifier = Literal["remux", "brdisk", "rawhd", "screener", "regional"]
type Codec = Literal["x264", "x265", "av1", "xvid", "mpeg2", "vc1"]
type Hdr = Literal["hdr10", "hdr10plus", "dv", "hlg"]
type AudioFormat = Literal[
    "flac", "alac", "mp3", "aac", "vorbis", "opus", "ape", "wavpack", "wma", "wav"
]

type VbrPreset = Literal["v0", "v2"]


@dataclass(frozen=True, slots=True)
class ParsedRelease:
    """What a release name says about its content, quality and origin."""

    title: str = ""
    year: int | None = None
    seasons: list[int] = field(default_factory=list)
    episodes: list[int] = field(default_factory=list)
    absolute_episodes: list[int] = field(default_factory=list)
    air_date: date | None = None
    full_season: bool = False
    resolution: int | None = None
    source: Source | None = None
    modifier: Modifier | None = None
    codec: Codec | None = None
    hdr: frozenset[Hdr] = frozenset()
    audio: str | None = None
    audio_channels: str | None = None
    release_group: str | None = None
    proper: bool = False
    repack: bool = False
    version: int = 1
    edition: str | None = None
    languages: list[str] = field(default_factory=list)
    streaming_service: str | None = None
    artist: str | None = None
    album: str | None = None
    audio_format: AudioFormat | None = None
    bitrate: int | None = None
    vbr: VbrPreset | None = None
    bit_depth: int | None = None
    sample_rate: int | None = None

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready dict (dates as ISO strings, sets as sorted lists)."""
        return {
            "title": self.title,
            "year": self.year,
            "seasons": list(self.seasons),
            "episodes": list(self.episodes),
            "absolute_episodes": list(self.absolute_episodes),
            "air_date": self.air_date.isoformat() if self.air_date else None,
            "full_season": self.full_season,
            "resolution": self.resolution,
            "source": self.source,
            "modifier": self.modifier,
            "codec": self.codec,
            "hdr": sorted(self.hdr),
            "audio": self.audio,
            "audio_channels": self.audio_channels,
            "release_group": self.release_group,
            "proper": self.proper,
            "repack": self.repack,
            "version": self.version,
            "edition": self.edition,
            "languages": list(self.languages),
            "streaming_service": self.streaming_service,
            "artist": self.artist,
            "album": self.album,
            "audio_format": self.audio_format,
            "bitrate": self.bitrate,
            "vbr": self.vbr,
            "bit_depth": self.bit_depth,
            "sample_rate": self.sample_rate,
        }


_MAX_NAME_LENGTH = 1000
# Junk tags and release groups sit at the end: patterns anchored there only look this far back.
_JUNK_WINDOW = 160
_FULL_WIDTH_DIGITS = {0xFF10 + digit: ord("0") + digit for digit in range(10)}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028\u2029\ufeff]+")
_PATH_LIKE = re.compile(r"^(?:[a-z]:[\\/]|\\\\|\.{0,2}/)|\\", re.IGNORECASE)
_PATH_SPLIT = re.compile(r"[\\/]+")
_WORD_SLASH = re.compile(r"(?<=[^\s/])/(?=[^\s/])")
_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_MAX_FOLDERS = 3
_MAX_NUMBER_DIGITS = 4
_TITLE_WORDS = re.compile(r"[\W_]+")
_SCENE_FILE = re.compile(r"^[a-z0-9]{1,8}-(?![^.]*(?:19|20)[0-9]{2})[-a-z0-9.]{1,40}$")
_UNDERSCORED = re.compile(r"^[^\s.]+_[0-9]{2,4}$")
_LEADING_NUMBER_ONLY = re.compile(r"^[0-9]{1,3}(?:-[0-9]{1,3})?[ .-]+[^\W0-9_]")
_VIDEO_EXTENSIONS = s.SD_EXTENSIONS | s.HD_EXTENSIONS | s.BLURAY_EXTENSIONS
_SEASON_FOLDER = re.compile(
    r"^(?:season|saison|staffel|temporada|stagione|seizoen|series|s)[-_. ]?[0-9]{1,4}$",
    re.IGNORECASE,
)
_TOO_SHORT_TITLES = frozenset({"", "the", "a", "an"})


def parse_release(name: str, media_type: MediaType | None = None) -> ParsedRelease:
    """Parse a release name; `media_type` says what kind of release is expected, if known.

    Pure and total: any string gives a result (unknown parts stay at their defaults). A path is
    read from its file name, with what that name does not say taken from its folders.
    """
    *folders, file_name = _path_parts(_clean(name), media_type)
    if media_type == "music" and _strip_extension(file_name)[1] in _VIDEO_EXTENSIONS:
        media_type = None  # a video file is no album, whatever was expected
    if media_type is None and folders and _SEASON_FOLDER.match(folders[-1]):
        media_type = "tv"  # "Show/Season 01/01 Pilot.mkv"
    stem = _strip_extension(file_name)[0]
    if folders and stem.isdigit() and len(stem) <= _MAX_NUMBER_DIGITS:
        return _numbered_file(int(stem), folders, media_type)  # "Show Season 2/01.mp4"
    if folders and _is_opaque(_unreversed(stem), folders[-1]):
        file_name = folders.pop()
    parsed, implied_season = _parse_name(file_name, media_type)
    if folders and _is_scene_file(_strip_extension(file_name)[0], folders[-1]):
        parsed = replace(parsed, title="")  # its words abbreviate the folder's title
    leading_number = _LEADING_NUMBER_ONLY.match(_strip_extension(file_name)[0]) is not None
    said = _Said(
        resolution=bool(q.RESOLUTION.search(file_name)), source=bool(_VIDEO.search(file_name))
    )
    for depth, folder in enumerate(reversed(folders[-_MAX_FOLDERS:])):
        if depth and parsed.title and not implied_season:
            break
        # (A show's own folder is read without "tv": "Babylon 5" is a title, not episode 5.)
        found, _ = _parse_name(folder, media_type if not depth or media_type != "tv" else None)
        season_folder = len(found.seasons) == 1 and not found.episodes
        same_show = _same_title(found.title, parsed.title)
        if (
            season_folder
            and (leading_number or not found.title or same_show)
            and not parsed.episodes
        ):
            # "Season 01/01 Pilot.mkv": the number leading the file is an episode of that season
            # (and what follows the number is the episode's title, the series is a folder).
            numbers = parsed.absolute_episodes
            parsed = replace(parsed, title="", episodes=numbers, absolute_episodes=[])
        release = not depth and not _other_episodes(parsed, found)
        parsed = _completed(
            parsed, found, implied_season=implied_season, said=said, release=release
        )
        implied_season = implied_season and not found.seasons
    return parsed


def _numbered_file(number: int, folders: list[str], media_type: MediaType | None) -> ParsedRelease:
    """Read a file named only by its number as that episode of the show its folder names."""
    show = parse_release("/" + "/".join(folders[-_MAX_FOLDERS:]), media_type)
    if len(show.seasons) == 1:
        return replace(show, episodes=[number], full_season=False)
    return replace(show, absolute_episodes=[number], full_season=False)


def _other_episodes(parsed: ParsedRelease, folder: ParsedRelease) -> bool:
    """Tell whether a folder names other seasons or episodes than its file: not its release."""
    seasons, episodes = set(parsed.seasons), set(parsed.episodes)
    return bool(
        (seasons and folder.seasons and not seasons.issubset(folder.seasons))
        or (episodes and folder.episodes and not episodes.issubset(folder.episodes))
    )


class _Said(NamedTuple):
    """Which quality a file name states itself (a folder's reading does not override it)."""

    resolution: bool
    source: bool


def _completed(
    parsed: ParsedRelease,
    folder: ParsedRelease,
    *,
    implied_season: bool,
    said: _Said,
    release: bool,
) -> ParsedRelease:
    """Fill what a file name leaves open from a folder's name (its series, season or release)."""
    changes = _show_from_folder(parsed, folder, implied_season=implied_season)
    if release:
        changes |= _release_from_folder(parsed, folder, said)
    return replace(parsed, **changes) if changes else parsed  # type: ignore[arg-type]


def _show_from_folder(
    parsed: ParsedRelease, folder: ParsedRelease, *, implied_season: bool
) -> dict[str, object]:
    """Return the series title, year and season a folder gives a file that does not say them."""
    changes: dict[str, object] = {}
    title = parsed.title
    if folder.title and title.casefold().startswith(f"{folder.title.casefold()} - "):
        title = changes["title"] = folder.title  # "Show/Show - Episode Name.mkv"
    if not title and folder.title:
        title = changes["title"] = folder.title
    elif _same_title(folder.title, title):
        changes["title"] = folder.title  # "Show.S01/show.s01e05.mkv": the folder keeps the case
    one_season = len(folder.seasons) == 1 and not folder.episodes
    numbered = parsed.episodes or _same_title(folder.title, title)
    if one_season and numbered and (implied_season or not parsed.seasons):
        changes["seasons"] = folder.seasons  # "Show Season 3/Show - Name.mkv"
    if not parsed.year and folder.year and _same_title(folder.title, title):
        changes["year"] = folder.year  # "Movie (1998)/Movie.720p.mkv"
    return changes


def _release_from_folder(
    parsed: ParsedRelease, folder: ParsedRelease, said: _Said
) -> dict[str, object]:
    """Return the quality and group the release folder gives a file that does not say them."""
    changes: dict[str, object] = {}
    if folder.resolution and not said.resolution:
        changes["resolution"] = folder.resolution
    if folder.source and not said.source:
        changes.update(source=folder.source, modifier=folder.modifier)
    for name in ("codec", "audio", "audio_channels", "streaming_service", "edition"):
        if getattr(parsed, name) is None and getattr(folder, name) is not None:
            changes[name] = getattr(folder, name)
    group, folder_group = parsed.release_group, folder.release_group
    if folder_group and (not group or group.casefold() == folder_group.casefold()):
        changes["release_group"] = folder_group
    return changes


def _same_title(one: str, other: str) -> bool:
    """Tell whether two titles name the same thing, whatever their case and punctuation."""
    return (
        bool(one) and _TITLE_WORDS.sub("", one).casefold() == _TITLE_WORDS.sub("", other).casefold()
    )


def _parse_name(name: str, media_type: MediaType | None) -> tuple[ParsedRelease, bool]:
    """Parse one name (no path); also tell whether its season is only assumed (`Part 2`)."""
    text, extension = _prepare(name)
    if media_type == "music" and has_episode(text):
        media_type = "tv"  # an S01E02 name is an episode, whatever was expected
    if media_type == "music" or (media_type is None and _looks_like_music(text, extension)):
        return ParsedRelease(**parse_music(text)._asdict()), False
    text, leading_group = _split_leading_group(text)
    work = text.replace("_", " ")
    # "One_Piece_679": a number ending a name written with underscores is anime fansubs' style.
    anime_like = bool(leading_group is not None or s.HASH.search(work) or _UNDERSCORED.match(text))
    structure = find_structure(work, media_type, anime_like=anime_like)
    numbered = bool(structure.seasons or structure.episodes or structure.absolute_episodes)
    if numbered or structure.air_date or media_type == "tv":
        year = _year(work, structure)
    elif leading_year := s.LEADING_YEAR.match(work):
        year = int(leading_year.group("year"))
        work = work[leading_year.end() :]
        structure = Structure(title_end=title_zone_end(work))
    else:
        year = _movie_title_and_year(work, structure)
    tail = work[structure.title_end :]
    tokens = q.TOKEN.findall(tail)
    lowered = [token.lower() for token in tokens]
    title = s.clean_title(work[structure.title_start : structure.title_end])
    group = release_group(text, leading_group)
    if group and title.endswith(f"[{group}]"):  # "Title [Group] (1080p)"
        title = title[: -len(group) - 2].rstrip(s.TITLE_TRIM)
    resolution, source, modifier = video_quality(tail, extension, media_type)
    glued = s.NUMBER_VERSION.search(work, 0, structure.title_end + 12)
    anime_version = int(glued.group("version")) if glued else structure.anime_version
    proper, repack, version = revision(tail, anime_version, music=False)
    parsed = ParsedRelease(
        title=title,
        year=year,
        seasons=structure.seasons,
        episodes=structure.episodes,
        absolute_episodes=structure.absolute_episodes,
        air_date=structure.air_date,
        full_season=structure.full_season,
        resolution=resolution,
        source=source,
        modifier=modifier,
        codec=codec(tail),
        hdr=hdr(tail),
        audio=audio(tail),
        audio_channels=channels(tail),
        release_group=group,
        proper=proper,
        repack=repack,
        version=version,
        edition=edition(work, structure.title_end, lowered) if media_type != "tv" else None,
        languages=languages(tokens, lowered),
        streaming_service=streaming_service(lowered),
    )
    return parsed, structure.implied_season


def _looks_like_music(text: str, extension: str) -> bool:
    """Tell whether a name of unknown kind is music: audio formats and no video or episode tags."""
    if extension in s.AUDIO_EXTENSIONS:
        return not has_episode(text)
    if not (q.AUDIO_FORMAT.search(text) or q.BITRATE.search(text)):
        return False
    return not (
        has_episode(text)
        or q.RESOLUTION.search(text)
        or q.CODEC.search(text)
        or _VIDEO.search(text)
    )


_VIDEO = re.compile(
    r"(?<![a-z0-9])(?:blu-?ray|bd-?rip|web-?dl|web-?rip|hdtv|dvd(?:rip)?|remux|hevc|avc)(?![a-z0-9])",
    re.IGNORECASE,
)


def _clean(name: str) -> str:
    """Bound the length, make full-width digits ASCII, and controls and space runs one space."""
    text = name[: _MAX_NAME_LENGTH * 4]
    if not text.isascii():
        text = text.translate(_FULL_WIDTH_DIGITS)
    return s.SPACES.sub(" ", _CONTROL.sub(" ", text)).strip()


def _path_parts(text: str, media_type: MediaType | None) -> list[str]:
    """Split a path into its folders and file name; a release name is one part.

    `Show/Season 2/Show.2x05.avi` is a path; `Title / Alt Title`, `(2016/S01/WEB-DL)` and
    `Ukr/Eng` are not: a slash between words counts only before a file name with an extension.
    """
    if _PATH_LIKE.search(text) or (
        media_type != "music"
        and s.EXTENSION.search(text)
        and _WORD_SLASH.search(_BRACKETED.sub("x", text))
    ):
        return [part.strip() for part in _PATH_SPLIT.split(text) if part.strip()] or [""]
    return [text]


def _prepare(name: str) -> tuple[str, str]:
    """Reduce a file or release name to the release name proper; return it and its extension."""
    text, extension = _strip_extension(name[:_MAX_NAME_LENGTH])
    text = _unreversed(text)
    text = s.WEBSITE_PREFIX.sub("", text, count=1)
    if (native := s.NATIVE_TITLE_PREFIX.match(text)) and (
        not has_episode(native.group(0)) or has_episode(text[native.end() :])
    ):
        text = text[native.end() :]  # not when only the native part has the numbering
    text = s.LEADING_SHORT_DATE.sub("", text, count=1)
    text = _strip_junk(text)
    if match := s.CHINESE_ANIME.match(text):
        title, episode = match.group("title").strip(), match.group("episode")
        text = f"[{_leading_bracket(text)}] {title} - {episode} {text[match.end() :]}"
    elif s.BRACKETS_ONLY.fullmatch(text):
        text = _unbracketed(text)
    return text, extension


def _unbracketed(text: str) -> str:
    """Take the title out of its bracket when a name holds nothing else but numbers and tags.

    `[Group][Title][07][1080p]`, `[Group][Title] 07 [1080p]`, `[Title 1998] [BDRemux]`: the
    title is the bracket before the number, else the first one of several words that is not
    tags; a first bracket before it is the group.
    """
    blocks = list(s.BRACKET_BLOCK.finditer(text))
    number = next((m for m in s.BLOCK_NUMBER.finditer(text) if not _inside(m, blocks)), None)
    before = [b for b in blocks if number is None or b.end() <= number.start()]
    named = [b for b in before if not _tag_block(b.group("inner"))]
    title: re.Match[str] | None
    if number is not None and named:
        title = named[-1]
        if title.start() == 0 and not number.group(0).startswith(("[", "【")):
            return text  # "[Group] 86 - 01": a number outside brackets may be the title itself
    else:
        title = next((b for b in named if _WORDS_APART.search(b.group("inner").strip())), None)
    if title is None:
        return text
    group = f"[{blocks[0].group('inner')}] " if blocks[0].start() < title.start() else ""
    episode = f" - {number.group('number')}" if number is not None else ""
    rest = text[(number or title).end() :]
    return f"{group}{title.group('inner').strip()}{episode} {rest}"


def _inside(match: re.Match[str], blocks: list[re.Match[str]]) -> bool:
    """Tell whether a number is a whole bracket's content (`[07]`) or stands outside brackets."""
    return any(b.start() < match.start() < b.end() for b in blocks) and not (
        match.group(0).startswith(("[", "【"))
    )


def _tag_block(inner: str) -> bool:
    """Tell a bracket of quality or packaging tags from one holding a title or a group."""
    return bool(
        QUALITY_HINT.search(inner) or s.TITLE_END.search(inner) or s.HASH.fullmatch(f"[{inner}]")
    )


_WORDS_APART = re.compile(r"\S[ _.]+\S")
_TAGS_APART = re.compile(r"[-_. ]+")


def _unreversed(text: str) -> str:
    """Turn round a name written backwards by an obfuscating uploader (`10E10S.emaN`)."""
    if s.REVERSED.search(text) and not s.SEASON_EPISODE.search(text):
        return text[::-1]
    return text


def _strip_junk(text: str) -> str:
    """Drop repost/indexer tags after the group; a lone `-NZBgeek` is the group itself."""
    head, end = text[:-_JUNK_WINDOW], text[-_JUNK_WINDOW:]
    stripped = head + s.TRAILING_JUNK.sub("", end).rstrip()
    suffix = text[len(stripped) :].strip().lower()
    if suffix == "-nzbgeek" and not s.GROUP_AT_END.search(stripped):
        return text
    return _strip_extension(stripped)[0]


def _strip_extension(text: str) -> tuple[str, str]:
    """Split a known media/archive extension off a file name."""
    if match := s.EXTENSION.search(text):
        return text[: match.start()], match.group("ext").lower()
    return text, ""


def _is_opaque(file_name: str, folder: str) -> bool:
    """Tell whether a file name says nothing while its folder names the release."""
    if s.OPAQUE.match(file_name):
        return True
    if has_episode(file_name) or _is_scene_file(file_name, folder):
        return False
    if not q.RESOLUTION.search(file_name) and q.RESOLUTION.search(folder):
        return True
    return has_episode(folder)


def _is_scene_file(file_name: str, folder: str) -> bool:
    """Tell a scene release's short file name (`Movie.2019.DVDRip.XviD-GRP/grp-movie.avi`)."""
    return bool(_SCENE_FILE.match(file_name) and QUALITY_HINT.search(folder))


def _leading_bracket(text: str) -> str:
    """Return the content of a leading [..] or 【..】 block."""
    match = s.LEADING_GROUP.match(text)
    return (match.group("g1") or match.group("g2") or "") if match else ""


def _split_leading_group(text: str) -> tuple[str, str | None]:
    """Take an anime-style leading `[Group]` off the name; quality brackets stay in place."""
    match = s.LEADING_GROUP.match(text)
    if not match:
        return text, None
    group = (match.group("g1") or match.group("g2") or "").strip()
    rest = text[match.end() :]
    if rest.strip() and all(map(is_tag, _TAGS_APART.split(group))):
        return f"{rest} [{group}]", None  # "[720p] Title", "[DVDRip-ITA]Title": tags move behind
    if (
        not group
        or q.RESOLUTION.fullmatch(group)
        or s.TITLE_END.fullmatch(group)
        or (has_episode(group) and not group.startswith("0x"))  # "[04x01]", not "[0x539]"
        or s.SEASON_EPISODE_OTHER.fullmatch(f"[{group}]")  # "[5.01] Name"
        or "www." in group
    ):
        return text, None
    # "[GHOST][1080p] Series - 25", "[Jumonji-Giri]_[F-B]_Series": brackets right after the group
    # hold quality or a second group, not the title (which would follow them).
    while (extra := s.LEADING_GROUP.match(rest)) and rest[extra.end() :].strip():
        rest = rest[extra.end() :]
    return rest, group


def _year(work: str, structure: Structure) -> int | None:
    """Find the year between a non-empty title and the numbering (a TV title keeps it)."""
    end = structure.title_end if structure.title_end > 0 else len(work)
    match = s.YEAR.search(work, 1, end)
    return int(match.group("year")) if match else None


def _movie_title_and_year(work: str, structure: Structure) -> int | None:
    """Read a movie year the Radarr way: the title ends at the (last of a run of) year(s)."""
    match = s.YEAR.search(work, 1)
    if match is None and (dated := find_date(work, "movie", structure.title_end)):
        structure.title_end = dated[0]  # "Title 2019 10 25 Guest 480p": no title after a date
    if match is None or not work[: match.start()].strip(s.TITLE_TRIM):
        return None
    if any(
        hint.group(0).lower() != "web" for hint in QUALITY_HINT.finditer(work, 0, match.start())
    ):
        return int(match.group("year"))  # "Title 1080p 2012": the year is after the title's end
    while (following := s.YEAR.match(work, match.end())) or (
        (following := s.YEAR.match(work, match.end() + 1)) and work[match.end()] in " ._-"
    ):
        match = following
    structure.title_end = match.start()
    if tag := s.SCENE_TAG.search(work, 1, match.start()):
        structure.title_end = tag.start()  # "Pacific.Rim.3D.2013", "Hardwired.STV.2001"
    edition = next(
        (m for m in q.EDITION.finditer(work, 1, match.start()) if is_edition(m.group(0))), None
    )
    # "Movie.EXTENDED.2011" loses its edition from the title; "The.Christmas.Edition.1941" does not.
    if edition and work[: edition.start()].strip(s.TITLE_TRIM).lower() not in _TOO_SHORT_TITLES:
        structure.title_end = min(structure.title_end, edition.start())
    return int(match.group("year"))
