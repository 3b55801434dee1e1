"""Numbering of a release name (episodes, seasons, absolute numbers, air dates); title end."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from haul_engine.releases import _parse_quality as q
from haul_engine.releases import _parse_structure as s

if TYPE_CHECKING:
    from haul_engine.releases.parser import MediaType

_MONTHS = 12
_MIN_ABSOLUTE_DIGITS = 2  # "- 07": a single digit after a dash is too often part of a title
_PADDED_DIGITS = 2  # "02 Name", "2-06": a zero before one digit
_ABSOLUTE_DIGITS = 3
_NOT_EPISODES = frozenset({"480", "576", "720", "1080", "264", "265"})
_MAX_RUN = 500  # longer "ranges" are two unrelated numbers


@dataclass(slots=True)
class Structure:
    """Where the title ends and what numbering a name carries."""

    title_end: int = 0
    title_start: int = 0  # after numbering that leads the name ("01 - Title")
    seasons: list[int] = field(default_factory=list)
    episodes: list[int] = field(default_factory=list)
    absolute_episodes: list[int] = field(default_factory=list)
    air_date: date | None = None
    full_season: bool = False
    anime_version: int | None = None
    implied_season: bool = False  # season 1 assumed ("Part 2"), not written


def has_episode(text: str) -> bool:
    """Tell whether a name carries an `S01E02` or `1x02` episode marker."""
    return bool(s.SEASON_EPISODE.search(text) or s.CROSS_EPISODE.search(text))


def find_structure(work: str, media_type: MediaType | None, *, anime_like: bool) -> Structure:
    """Locate the numbering (episodes, seasons, dates) and with it the end of the title."""
    zone_end = title_zone_end(work)
    if anime_like and (tags := _BRACKET_TAGS.search(work, 1, zone_end + 1)):
        zone_end = tags.start()  # "[Group] Title [v2] [R2J] [Dual Audio]": tags follow the title
    finders = (
        (_season_episode,) if media_type == "movie" else _ANIME_FINDERS if anime_like else _FINDERS
    )
    for finder in finders:
        found = finder(work, zone_end, media_type)
        if found is not None:
            if anime_like and found.episodes:
                _split_absolute_from_title(work, found)
            if tags := _tags_bracket(work, found.title_start, found.title_end):
                found.title_end = tags.start()  # "Show.[Uncut].S01": tags end the title
            return found
    return Structure(title_end=zone_end)


def _tags_bracket(work: str, start: int, end: int) -> re.Match[str] | None:
    """Find a bracket of tags (`[Uncut]`, `(1080p)`) inside a title's span, after some title."""
    for bracket in _BRACKET.finditer(work, start + 1, end):
        words = _TAG_WORDS_APART.split(bracket.group("inner").strip())
        tags = all(s.TITLE_END.fullmatch(w) and w.lower() not in s.WEAK_TITLE_END for w in words)
        if tags and work[start : bracket.start()].strip(s.TITLE_TRIM):
            return bracket
    return None


def _split_absolute_from_title(work: str, structure: Structure) -> None:
    """Take the number ending an anime title as its absolute number (`Show 214 10x14`)."""
    match = s.ANIME_TRAILING_NUMBER.search(work, 0, structure.title_end)
    if match is None or not work[: match.start()].strip(s.TITLE_TRIM):
        return
    number = match.group("dashed") or match.group("bare")
    if s.is_year(number):
        return
    structure.title_end = match.start()
    if number.isdigit() and not structure.absolute_episodes:
        structure.absolute_episodes = [int(number)]


def title_zone_end(work: str) -> int:
    """Where quality tags or packaging brackets begin (a title never extends past them).

    A word that is also a title word (`Italian`, `Web`) ends the title only when more tags
    follow it: `The.Italian.Job` keeps its title, `Show.ITALIAN.720p` does not.
    """
    end = len(work)
    for tag in s.TITLE_END.finditer(work, 1):
        weak = tag.group(0).lower() in s.WEAK_TITLE_END
        if not weak or not work[tag.end() :].strip() or s.TITLE_END.search(work, tag.end()):
            end = tag.start()
            break
    if (bracket := s.BRACKET_OPEN.search(work, 1)) and bracket.start() < end:
        end = bracket.start()
    scene = s.SCENE_TITLE_END.search(work, 1, end)
    if scene and work[: scene.start()].strip(s.TITLE_TRIM):
        end = scene.start()
    if (crc := s.HASH.search(work, 1, end + 10)) and crc.start() < end:
        end = crc.start()
    return end


def _season_episode(work: str, _zone_end: int, _media: MediaType | None) -> Structure | None:
    """`S01E02`, `S01E02E03`, `S01E02-06`, `S01.E02`, `S2016E05`."""
    match = (
        s.SEASON_EPISODE.search(work)
        or s.CROSS_EPISODE.search(work)
        or s.SEASON_EPISODE_GLUED.search(work)
    )
    if match is None:
        return _season_episode_other(work)
    season = match.group("season") or match.group("glued") or match.group("bare")
    more = match.group("more")
    seasons = _SEASON_IN_RUN.finditer(more)
    if other_season := next((m for m in seasons if int(m[1]) != int(season)), None):
        more = more[: other_season.start()]  # "s19e09_s20e14": episodes of two seasons
    episodes = _episode_run(int(match.group("episode")), more)
    structure = Structure(title_end=match.start(), seasons=[int(season)], episodes=episodes)
    # "Show 2016 02 25 S20E142": a date before the episode is not part of the title.
    if dated := find_date(work, None, match.start()):
        structure.title_end, structure.air_date = dated
    if absolute := s.ANIME_ABSOLUTE.match(work, match.end()):  # "S01E01-02 - 001-002"
        number = absolute.group("episode")
        if number.isdigit() and len(number) >= _MIN_ABSOLUTE_DIGITS and not s.is_year(number):
            spanned = absolute.group("range")
            last = int(_DIGITS.findall(spanned)[-1]) if spanned else int(number)
            structure.absolute_episodes = _number_range(int(number), last)
    structure.anime_version = _anime_version(work, match.end())
    if (whole := s.WHOLE_SEASON_RUN.match(work, match.start())) and whole["last"] == whole["total"]:
        structure.episodes, structure.full_season = [], True
    return structure


def _season_episode_other(work: str) -> Structure | None:
    """`[S2-07]`, `[5.01]`, ` - 6.01 - `, `Episode 1.22`: rarer shapes of a season's episode."""
    match = s.SEASON_EPISODE_OTHER.search(work)
    if match is None:
        return None
    season, episode = (number for number in match.groups() if number is not None)
    title_end = (
        match.start() - 3 if work[match.start() - 3 : match.start()] == " - " else match.start()
    )
    return Structure(title_end=title_end, seasons=[int(season)], episodes=[int(episode)])


def _episode_run(first: int, more: str) -> list[int]:
    """Episodes of a multi-episode marker: arr convention is the whole range first..last."""
    numbers = [first, *(int(n) for n in s.MORE_EPISODES.findall(more))]
    last = numbers[-1]
    if len(numbers) > 1 and first < last <= first + _MAX_RUN:
        return list(range(first, last + 1))
    return sorted(set(numbers))


def _anime_version(work: str, position: int) -> int | None:
    """Read a `v2` glued to or right after an episode number."""
    if match := q.REVISION.match(work, position):
        version = match.group("version") or match.group("anime_version")
        return int(version) if version else None
    if (
        position < len(work)
        and work[position] in " ."
        and (match := q.REVISION.match(work, position + 1))
    ):
        version = match.group("version")
        return int(version) if version else None
    return None


def _season_word_episode(work: str, _zone_end: int, _media: MediaType | None) -> Structure | None:
    """`Season 1 Episode 3`, `Staffel 2 Folge 5`, `Сезон 3, Эпизод 21`, `5-й сезон 09-я серия`."""
    if match := s.SEASON_WORD_EPISODE.search(work):
        season = match.group("season") or match.group("season_short") or match.group("season_first")
        first = int(match.group("episode") or match.group("episode_first"))
        return Structure(
            title_end=match.start(),
            seasons=[int(season)],
            episodes=_number_range(first, int(match.group("last") or first)),
        )
    return None


def _episode_words(work: str, zone_end: int, media: MediaType | None) -> Structure | None:
    """`Episode 4`, `Ep.23`, `Folge 5`, `5 серия`: absolute numbers (an arr convention)."""
    if media == "movie":
        return None
    match = s.EPISODE_IN_WORDS.search(work, 0, zone_end + 16)
    if match is None:
        return None
    first = int(match.group("episode") or match.group("episode_first"))
    last = int(match.group("last") or first)
    structure = Structure(title_end=match.start(), absolute_episodes=_number_range(first, last))
    if match.start() == 0 and zone_end < len(work) and _TITLE_AFTER.match(work, match.end()):
        # "Episode 14 Show Title VOSTFR": the title follows ("Episode 4 - Name" names the episode)
        structure.title_start, structure.title_end = match.end(), zone_end
        if season := s.FULL_SEASON.search(work, match.end(), zone_end):  # "Title (Season 2)"
            number = season.group("season") or season.group("season_word")
            number = number or season.group("season_first")
            structure.title_end, structure.seasons = season.start(), [int(number)]
            structure.episodes, structure.absolute_episodes = structure.absolute_episodes, []
    return structure


def _spanish_chapter(work: str, zone_end: int, _media: MediaType | None) -> Structure | None:
    """`Temporada 2 [HDTV][Cap.201]`, `[Cap.111_120]`: season and episode packed after `Cap.`."""
    match = s.SPANISH_CHAPTER.search(work)
    if match is None:
        return None
    first = int(match.group("episode"))
    season = s.FULL_SEASON.search(work, 0, match.start())
    title_end = min(zone_end, match.start(), season.start() if season else zone_end)
    return Structure(
        title_end=title_end,
        seasons=[int(match.group("season"))],
        episodes=_number_range(first, int(match.group("last") or first)),
    )


def _dated(work: str, _zone_end: int, media: MediaType | None) -> Structure | None:
    """Daily shows: `2011.04.18`, `18.04.2011`, `20110418`, `18th April 2011`, `E56.190121`."""
    if match := s.KOREAN_DATED_EPISODE.search(work):
        air = _date(2000 + int(match.group("year")), match.group("month"), match.group("day"))
        first = int(match.group("episode"))
        episodes = _number_range(first, int(match.group("last") or first))
        return Structure(title_end=match.start(), seasons=[1], episodes=episodes, air_date=air)
    found = find_date(work, media)
    if found is None:
        return None
    start, air = found
    return Structure(title_end=start, air_date=air)


def find_date(
    work: str, media: MediaType | None, end: int | None = None
) -> tuple[int, date] | None:
    """Find the first unambiguous calendar date in a name and where it starts."""
    end = len(work) if end is None else end
    if match := s.DAILY.search(work, 0, end):
        if year := match.group("year"):
            month, day = _month_day(match.group("first"), match.group("second"), day_first=False)
        elif year := match.group("year_dmy"):
            month, day = _month_day(
                match.group("first_dmy"), match.group("second_dmy"), day_first=True
            )
        else:
            year, month, day = match.group("year_compact", "month_compact", "day_compact")
        air = _date(int(year), month, day) if month else None
        return (match.start(), air) if air else None
    if match := s.DAILY_SHORT_MONTH.search(work, 0, end):
        air = _date(
            int(match.group("year")),
            str(_MONTH_NUMBERS[match.group("month")[:3].lower()]),
            match.group("day"),
        )
        return (match.start(), air) if air else None
    if media == "tv" and (match := s.DAILY_SIX_DIGITS.search(work, 1, end)):
        air = _date(2000 + int(match.group("year")), match.group("month"), match.group("day"))
        return (match.start(), air) if air else None
    return None


def _month_day(first: str, second: str, *, day_first: bool) -> tuple[str, str]:
    """Order two numbers as (month, day); ("", "") when both could be a month (ambiguous)."""
    if int(first) > _MONTHS >= int(second):
        return second, first
    if int(second) > _MONTHS >= int(first):
        return first, second
    if day_first:
        return "", ""
    return first, second


_MONTH_NUMBERS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}


def _date(year: int, month: str, day: str) -> date | None:
    """Return a valid calendar date or None."""
    try:
        return date(year, int(month), int(day))
    except ValueError:
        return None


def _seasons(work: str, zone_end: int, _media: MediaType | None) -> Structure | None:
    """Season packs: `S02`, `Season 4`, `2nd Season`, `S01-S09`, `Seasons 1, 2 & 3`, `1ª a 8ª`."""
    match = s.FULL_SEASON.search(work)
    if match and s.EPISODE_IN_WORDS.match(work):
        return None  # "Episode 14 Title (Season 2)": read with its leading episode word
    if match and match.group("season_first") and not _ORDINAL_MARK.search(match.group(0)):
        # "24 Season 1-8", "Apollo 18 Temporada 2": a season word and its number come first.
        word = s.FULL_SEASON.search(work, match.end("season_first") + 1)
        match = word if word and word.group("season_word") else match
    if match is None or (match.start() > zone_end and q.RESOLUTION.search(work, 0, match.start())):
        return None  # "[2160p x265 S82 Joy]": a season token after the quality is not a season
    first = int(match.group("season") or match.group("season_word") or match.group("season_first"))
    if numbered := _numbered_in_season(work, match, first):
        return numbered
    after = work[match.end() :]
    is_part = bool(s.SPECIAL_SEASON_PART.match(after)) or bool(_EXTRAS.match(after))
    seasons = _listed_seasons(work, match, first)
    return Structure(title_end=match.start(), seasons=seasons, full_season=not is_part)


def _numbered_in_season(work: str, match: re.Match[str], first: int) -> Structure | None:
    """Read an episode number after a season: `Show S3 - 12`, `S01.07`, `2nd Season 24`."""
    if absolute := s.ANIME_SEASON_THEN_NUMBER.match(work, match.end()):
        # "Show S3 - 12": anime name their seasons in the title and number episodes absolutely;
        # "Show Season 3 - 12" keeps its title without the season words.
        number = absolute.group("dashed") or absolute.group("bare") or absolute.group("bracketed")
        title_end = absolute.start("dashed") if absolute.group("dashed") else absolute.start()
        if match.group("season_word") or absolute.group("year") or absolute.group("part"):
            title_end = match.start()  # "Show S2 (2019) - 11": the season stands apart
        last = int(absolute.group("last") or number)
        return Structure(
            title_end=title_end, seasons=[first], absolute_episodes=_number_range(int(number), last)
        )
    if episode := _episode_after_season(work, match, first):
        return Structure(title_end=match.start(), seasons=[first], episodes=[episode])
    if match.group("season_first") and (after := _ORDINAL_SEASON_EPISODE.match(work, match.end())):
        number = int(after.group("episode"))  # "2nd Season 24"
        return Structure(title_end=match.start(), seasons=[first], absolute_episodes=[number])
    return None


def _listed_seasons(work: str, match: re.Match[str], first: int) -> list[int]:
    """Seasons of a pack: `S01-S09`, `1ª a 8ª Temporada`, `Seasons 1, 2 & 3`."""
    if multi := s.MULTI_SEASON.match(work, match.start()):
        last = int(multi.group("last"))
        return list(range(first, last + 1)) if first < last <= first + _MAX_RUN else [first]
    if last_word := match.group("season_last"):
        return _number_range(first, int(last_word))
    if not match.group("season_first") and (listed := s.SEASON_LIST.match(work, match.end())):
        return _season_list(first, listed.group(0))
    return [first]


def _episode_after_season(work: str, match: re.Match[str], season: int) -> int | None:
    """Read `S01.07`, `Season 11 01`: a two-digit number after a season that is no next season."""
    after = _EPISODE_AFTER_SEASON.match(work, match.end())
    if after is None or match.group("season_last"):
        return None
    episode = int(after.group("dotted") or after.group("spaced"))
    return None if episode == season + 1 and not match.group("season") else episode


def _season_list(first: int, listed: str) -> list[int]:
    """Seasons of `1, 2 & 3`, `1 to 6`, `1-3`: listed numbers, with ranges filled in."""
    seasons = [first]
    for item in s.SEASON_LIST_ITEM.finditer(listed):
        number = int(item.group("number"))
        if item.group("range") and seasons[-1] < number <= seasons[-1] + _MAX_RUN:
            seasons += range(seasons[-1] + 1, number + 1)
        elif number > seasons[-1]:
            seasons.append(number)
        else:
            break
    return seasons


_EXTRAS = re.compile(r"^[-_. ]+(?:extras|subpack|special)(?![a-z])", re.IGNORECASE)


def _anime(work: str, zone_end: int, media: MediaType | None) -> Structure | None:
    """Read anime absolute numbering: `[Group] Title - 07`, `Title 07 [hash]`, `Title (01-25)`."""
    return _absolute(work, zone_end, media, strict=False)


def _absolute_plain(work: str, zone_end: int, media: MediaType | None) -> Structure | None:
    """Read absolute numbering without anime markers: `Title - 031 - Name`, `69. Bölüm`."""
    return _absolute(work, zone_end, media, strict=True)


def _absolute(
    work: str, zone_end: int, media: MediaType | None, *, strict: bool
) -> Structure | None:
    """Read absolute episode numbers; `strict` wants a dash or a word before the number."""
    if media == "movie":
        return None
    word = s.EPISODE_WORD if strict else s.ANIME_EPISODE_WORD
    match = word.search(work, 0, zone_end + (12 if strict else 32))
    if match:
        first = int(match.group("episode"))
        last = int(match.groupdict().get("last") or first)
        title_end = min(match.start(), zone_end)
        return Structure(title_end=title_end, absolute_episodes=_number_range(first, last))
    candidates = [
        m
        for m in s.ANIME_ABSOLUTE.finditer(work, 1, zone_end + 8)
        if m.start() <= zone_end and not s.is_year(m.group("episode"))
    ]
    dashed = [m for m in candidates if "-" in m.group("lead") and len(m.group("lead")) > 1]
    ranged = [m for m in candidates if m.group("range") and _ascending(m)]
    if strict:  # "Title - 07", "Title [07]"
        marked = [m for m in candidates if m in dashed or m.group(0).startswith("[")]
        candidates = [m for m in marked if len(m.group("episode")) >= _MIN_ABSOLUTE_DIGITS]
    if not candidates:
        return None
    # "Title - 100 Years Quest - 01": a number followed by more title words is part of the title.
    numbered = [m for m in dashed if not _WORD_AFTER.match(work, m.end())] or dashed
    match = ranged[0] if ranged else numbered[0] if numbered else candidates[-1]
    number = match.group("episode")
    if "." in number:  # "Evangelion 3.33", "Evangelion 3.0 You Can (Not) Redo": a title's number
        return Structure(
            title_end=zone_end if _WORD_AFTER.match(work, match.end()) else match.start()
        )
    first = int(number)
    last = int(_DIGITS.findall(match.group("range"))[-1]) if match.group("range") else first
    version = match.group("version")
    return Structure(
        title_end=match.start(),
        absolute_episodes=_number_range(first, last),
        anime_version=int(version) if version else None,
    )


_DIGITS = re.compile(r"[0-9]+")
_BRACKET = re.compile(r"[\[(](?P<inner>[^\[\]()]{1,40})[\])]")
_TAG_WORDS_APART = re.compile(r"[-_. ]+")
_RANGE_ENDS = 2
_BRACKET_TAGS = re.compile(r" \[[^\]0-9][^\]]{0,30}\] ?\[")


def _ascending(match: re.Match[str]) -> bool:
    """Tell a range (`01-12`, `001-002-003`) from numbers that are not one (`5-2`, `1-09-70`)."""
    numbers = [int(match.group("episode")), *map(int, _DIGITS.findall(match.group("range")))]
    if len(numbers) > _RANGE_ENDS:
        return numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    return numbers[-1] > numbers[0]


_TITLE_AFTER = re.compile(r" (?!- )[^\W0-9_]")
_ORDINAL_MARK = re.compile(r"[0-9](?:[- ]?(?:st|nd|rd|th)|ª|º|°|-?[йя])", re.IGNORECASE)
# An episode after a season: "S01.07.720p", "Show S02 03" ending the name ("S01 04 (1080p)" is a
# pack of seasons 1 to 4).
_EPISODE_AFTER_SEASON = re.compile(
    r"(?:[._](?P<dotted>[0-9]{2})(?![0-9]|[-_. ][0-9]{1,2}(?![0-9]))| (?P<spaced>[0-9]{2})$)"
)
_ORDINAL_SEASON_EPISODE = re.compile(r" (?P<episode>[0-9]{2,3})(?![0-9])")
_DASHED_NUMBER = re.compile(r" - [0-9]{1,4}(?:v[0-9])? ")
_SEASON_IN_RUN = re.compile(r"S0*([0-9]+)", re.IGNORECASE)
_WORD_AFTER = re.compile(r" [a-z]", re.IGNORECASE)


def _number_range(first: int, last: int) -> list[int]:
    """Return first..last inclusive when that is a sane run, else just first."""
    if first < last <= first + _MAX_RUN:
        return list(range(first, last + 1))
    return [first]


def _packed(work: str, zone_end: int, media: MediaType | None) -> Structure | None:
    """`Show.103` is S01E03 (`Show.1013` S10E13) for shows, and when quality tags follow it."""
    if media in {"movie", "music"}:
        return None
    for match in s.PACKED_EPISODE.finditer(work, 1, zone_end + 1):
        number = match.group("season") + match.group("episode")
        dashed = work[max(match.start() - 3, 0) : match.start()] == " - "
        if s.is_year(number) or dashed or match.group("episode") == "00" or number in _NOT_EPISODES:
            continue
        if media is None and match.end() + 1 < zone_end:
            continue  # unknown kind: only a number right before the quality tags ("Room.237.2012")
        season = int(match.group("season"))
        episodes = [int(match.group("episode"))]
        position = match.end()
        while extra := s.PACKED_MORE.match(work, position):  # "Show.103.104"
            if int(extra.group("season")) != season:
                break
            episodes.append(int(extra.group("episode")))
            position = extra.end()
        return Structure(title_end=match.start(), seasons=[season], episodes=episodes)
    return None


def _mini_series(work: str, zone_end: int, media: MediaType | None) -> Structure | None:
    """`Part 2`, `Part.Two`, `E07`, `3of6`: season 1 of a mini-series."""
    if media == "movie":
        return None
    match = s.MINI_SERIES.search(work)
    # ("Saga - Part 2 (2012)": without a media type, a part before a year is a film's title.)
    if (
        match is None
        or match.start() > zone_end + 1
        or (media is None and s.YEAR.match(work, match.end() + 1))
    ):
        return None
    if part := match.group("part"):
        episode = int(part) if part.isdigit() else s.NUMBER_WORDS[part.lower()]
        return Structure(
            title_end=match.start(), seasons=[1], episodes=[episode], implied_season=True
        )
    if of := match.group("of") or match.group("hash"):
        return Structure(
            title_end=match.start(), seasons=[1], episodes=[int(of)], implied_season=True
        )
    first = int(match.group("episode"))
    episodes = _number_range(first, int(match.group("last") or match.group("end") or first))
    marker = work[match.start() : match.start("episode")]
    if len(match.group("episode")) >= _ABSOLUTE_DIGITS and marker.upper() == "E":
        # "Show.E1135": a long-running show's absolute number ("ep219" stays an episode).
        return Structure(title_end=match.start(), absolute_episodes=episodes)
    return Structure(title_end=match.start(), seasons=[1], episodes=episodes, implied_season=True)


def _special(work: str, zone_end: int, media: MediaType | None) -> Structure | None:
    """Specials are season 0: `Title - SP01`, `Title OVA 2`, `Title ONA`, `Title.Specials`."""
    match = s.SPECIAL.search(work, 1)
    if media == "movie" or match is None or match.start() > zone_end:
        return None
    if episode := match.group("episode"):
        return Structure(title_end=match.start(), seasons=[0], episodes=[int(episode)])
    if _DASHED_NUMBER.search(work, 0, match.start()):
        return None  # "Show - 01 - OVA": the OVA's own number came first
    pack = match.group("word").lower() == "specials"  # season 0 whole, or one special
    return Structure(title_end=match.start(), seasons=[0], full_season=pack)


def _anime_extra(work: str, zone_end: int, _media: MediaType | None) -> Structure | None:
    """Read an anime's extras as season 0: `EX01` its episode 1; `ED2`, `NCOP`, `PV` no episode."""
    match = s.ANIME_EXTRA.search(work, 1, zone_end + 8)
    if match is None or match.start() > zone_end or not work[: match.start()].strip(s.TITLE_TRIM):
        return None
    episodes = [int(match.group("episode"))] if match.group("episode") else []
    return Structure(title_end=match.start(), seasons=[0], episodes=episodes)


def _leading_number(work: str, zone_end: int, media: MediaType | None) -> Structure | None:
    """`01 - Title`, `003. Title - Name`, `102 - Name`: the number leads, the title follows."""
    match = s.LEADING_NUMBER.match(work)
    if match is None or media == "movie" or s.is_year(match.group("episode")):
        return None
    padded = len(match.group("episode")) == _PADDED_DIGITS and match.group("episode")[0] == "0"
    if media is None and match.group("separator") in {" ", "-"} and not padded:
        return None  # "12 Angry Men": a title may start with a number when nothing says "show"
    first, last = int(match.group("episode")), match.group("last")
    title_end = work.find(" - ", match.end(), zone_end)
    structure = Structure(
        title_start=match.end(),
        title_end=title_end if title_end > 0 else zone_end,
        absolute_episodes=_number_range(first, int(last or first)),
    )
    if last and len(match.group("episode")) == 1 and last[0] == "0" and len(last) == _PADDED_DIGITS:
        # "2-06. Name": a range writes its ends alike ("01-06"); this is season 2, episode 6.
        structure.seasons, structure.episodes, structure.absolute_episodes = (
            [first],
            [int(last)],
            [],
        )
    return structure


def _bare_number(work: str, zone_end: int, media: MediaType | None) -> Structure | None:
    """`Show.07.HDTV`, `Show Name 13-16`: for a show, a lone small number after the title."""
    if media != "tv":
        return None
    for match in s.BARE_NUMBER.finditer(work, 1):
        if match.start() >= zone_end:
            break
        if work[: match.start()].strip(s.TITLE_TRIM):
            first = int(match.group("episode"))
            last = int(match.group("last") or first)
            return Structure(title_end=match.start(), absolute_episodes=_number_range(first, last))
    return None


def _cjk(work: str, _zone_end: int, media: MediaType | None) -> Structure | None:
    """`庆余年 第二季 第3集`, `Show 第195話`, `Title 2期`, `アニメ シーズン2 第3話`."""
    if media == "movie":
        return None
    season = s.CJK_SEASON.search(work, 1)
    episode = s.CJK_EPISODE.search(work, 1)
    if season is None and episode is None:
        return None
    title_end = min(found.start() for found in (season, episode) if found is not None)
    structure = Structure(title_end=title_end)
    if season is not None:
        number = season.group("number") or season.group("plain") or season.group("kana")
        structure.seasons = [_cjk_number(number)]
    if episode is not None and structure.seasons:
        structure.episodes = [_cjk_number(episode.group("number"))]
    elif episode is not None:
        structure.absolute_episodes = [_cjk_number(episode.group("number"))]
    structure.full_season = not (structure.episodes or structure.absolute_episodes)
    return structure


def _cjk_number(text: str) -> int:
    """Read `23`, `二十三`, `十一`, `一百零五`-style numerals (up to 999)."""
    if text.isdigit():
        return int(text)
    total, digit = 0, 0
    for char in text:
        if char in s.CJK_DIGITS:
            digit = s.CJK_DIGITS[char]
        elif char == "十":
            total, digit = total + (digit or 1) * 10, 0
        elif char == "百":
            total, digit = total + (digit or 1) * 100, 0
    return total + digit


def _turkish(work: str, _zone_end: int, media: MediaType | None) -> Structure | None:
    """Read Turkish serials' `69. Bölüm` (episode 69, numbered absolutely)."""
    if media == "movie" or (match := s.TURKISH_EPISODE.search(work, 1)) is None:
        return None
    return Structure(title_end=match.start(), absolute_episodes=[int(match.group("episode"))])


_FINDERS = (
    _season_episode,
    _season_word_episode,
    _turkish,
    _dated,
    _spanish_chapter,
    _seasons,
    _episode_words,
    _special,
    _leading_number,
    _packed,
    _absolute_plain,
    _mini_series,
    _bare_number,
    _cjk,
)
_ANIME_FINDERS = (
    _season_episode,
    _season_word_episode,
    _turkish,
    _dated,
    _seasons,
    _episode_words,
    _leading_number,
    _special,
    _anime_extra,
    _anime,
    _packed,
    _mini_series,
    _cjk,
)
