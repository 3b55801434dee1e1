"""Release-name parser benchmark: per-source, per-field accuracy and names/second.

Run: `.venv/bin/python -m tests.benchmarks.parse [--corpora DIR] [--details] [--failures FIELD]`.

Sources, all read in place and never copied into the project:
- `<DIR>/{sonarr,radarr,lidarr}_cases.jsonl` (default `/work/shared/corpora`; GPL-3.0 fixtures);
- the test data shipped in two PyPI source distributions, downloaded once with pip into
  `~/.cache/haul-corpora` (`$HAUL_CORPORA_CACHE`): guessit 4.4.0 (LGPL-3.0; `episodes.yml`,
  `movies.yml`, and its cross-parser files re-expressing other parsers' tests: anitomy (MPL-2.0),
  dreulavelle's PTT, thcolin's scene-release-parser and go-ptn (MIT)) and parse-torrent-title 2.8.2
  (MIT; `tests/files`). A source that cannot be had is reported and left out.

Scoring (per field, only on rows whose expectation has that field):
- every arr corpus is parsed with the media type it is about (`tv`, `movie`, `music`); other rows
  with the type their expectation states (`episode`, `movie`), else with none;
- titles, artists, albums and editions compare after Unicode NFKC + casefold, apostrophes
  dropped and every other run of non-letters/digits made one space (`R.I.P.D.` == `R I P D`,
  `Show!!` == `Show`); nothing else is forgiven (no word removal, no fuzzy matching).

Where another corpus writes the same fact in other words than the arrs, its expectation is
translated into the arrs' words (Haul compares titles with the arr's series or movie title and
groups with rules written for the arrs), never loosened to pass a wrong answer:
- a series' title may keep what Sonarr's series titles keep and other corpora set apart: a year
  or country they state (`Doctor Who`, year 2005: `Doctor Who 2005`), or a year, a country code
  (`US`, `UK`, `AU`, `NZ`, `CA`) or an anime's ordinal season (`Kingdom 3rd Season - 02`, Sonarr's
  `Series 2nd Season`) that follows the title in the name; a row is a series' when its expectation
  has a season or episode or says `episode`, or its name has an `S01E02` or `1x02` marker;
- Lidarr's `title` is Lidarr's artist name (`ArtistName`): the artist found, or for a name that
  is no music (its hashed-release rows are shows' folders) the title;
- posting groups: `(… x265 Tigole) [QxR]`, `-TheSickle[TAoE]`, `-Qman[UTR]` name an encoder and the
  group that posts its members' encodes under its own tag (QxR, TAoE, UTR); Sonarr's and Radarr's
  fixtures name the posting group, Lidarr's older copies of the same rows, parse-torrent-title's
  `encoder` (it calls the group its `site`) and guessit name the encoder, so there the expected
  group is the posting group that signs the name;
- guessit glues a site's tag to the group (`LOL[ettv]`, `0SEC [GloDLS]`); the arrs name the group
  before it (Sonarr: `-LOL[www.site.com]` is `LOL`), so the part before the bracket is expected;
- anitomy keeps an anime's extra type in the title (`Toradora ED`, `Title - SP`, `Title OVA`);
  Sonarr reads it as the special's marker (`Series - NCOP` is the series' title), so a trailing
  `OVA`, `ONA`, `OAD`, `SP`, `EX`, `OP`, `ED`, `NCOP`, `NCED`, `PV` or `CM` leaves anitomy's title;
- PTT keeps the Spanish trackers' packed `Cap.1905` as episode 1905; the name's own `Temporada 19`
  and the arrs read season 19, episode 5, so such a number is expected as its last two digits;
- `source: unknown` and `year: 0` mean None; language names map to ISO 639-1 (`Unknown` = none)
  and, as in the arr tests (`Should().Contain`), must be among the languages found;
- `proper` is the arrs' "is a revision" flag (PROPER, REPACK and RERIP all set it);
- non-arr corpora do not tell season numbering from anime absolute numbering: their episode
  numbers must equal the episodes found, or the absolute numbers when no episode was found (a
  pair `[1, 4]` may also be the range 1-4: anitomy writes ranges by their ends);
  their sources and resolutions are mapped onto this parser's vocabulary (guessit's `Web` with
  `Rip` is `webrip`; the cross-parser files' bare `Web` may be either; `HDRip`, `VHS`, `HD-DVD`,
  `540p`, `1440p`... have no counterpart and are not scored);
- Lidarr rows with an empty name (quality read from file metadata, not a name) are skipped, and so
  are fixtures that test other functions (title normalisers, slugs, ISO lookups, scene checks) and
  subtitle-file tests (their `title` is a subtitle track's); guessit rows that need a command-line
  option, and rows with no expectation, are skipped;
- negative rows count under `rejected` where the fixture says what must not come out.

The summary table gives the issue's six fields per source (episodes: season and absolute numbers);
`--details` adds every field the source asserts.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tarfile
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "addon"))

from haul_engine.releases.parser import parse_release

type Parsed = dict[str, Any]
type Parser = Callable[[str, str], Parsed]
type Row = dict[str, Any]

ARR_CORPORA = {"sonarr": "tv", "radarr": "movie", "lidarr": "music"}
CACHE = Path(os.environ.get("HAUL_CORPORA_CACHE", Path.home() / ".cache" / "haul-corpora"))
GUESSIT = ("guessit", "4.4.0")
PARSE_TORRENT_TITLE = ("parse-torrent-title", "2.8.2")
# guessit's cross-parser files: other parsers' tests in guessit's vocabulary (ptn.json repeats
# parse-torrent-title's own data, read from its sdist instead).
CROSS_PARSER = {"anitomy": "anitomy", "ptt": "ptt", "thcolin": "thcolin", "go-ptn": "go-ptn"}
SKIPPED_FIXTURES = {
    "NormalizeSeriesTitleFixture",
    "NormalizeTitleFixture",
    "NormalizeEpisodeTitleFixture",
    "SlugParserFixture",
    "IsoLanguagesFixture",
    "SceneCheckerFixture",
    "FingerprintingServiceFixture",
}
# Subtitle-file tests (their `title` is a subtitle track's) and Lidarr's search-criteria tests
# (their `name` is only an artist; the album comes from the search, not from the name).
SKIPPED_METHODS = {
    "should_parse_title_and_tags",
    "should_parse_artist_name_and_album_title_by_search_criteria",
    "should_escape_albums",
    "should_escape_artists",
}
EPISODE_FIXTURES = {"SingleEpisodeParserFixture", "MultiEpisodeParserFixture"}
LANGUAGE_CODES = {
    "Afrikaans": "af", "Albanian": "sq", "Arabic": "ar", "Bengali": "bn", "Bulgarian": "bg",
    "Catalan": "ca", "Chinese": "zh", "Czech": "cs", "Danish": "da", "Dutch": "nl", "English": "en",
    "Finnish": "fi", "Flemish": "nl", "French": "fr", "Georgian": "ka", "German": "de",
    "Greek": "el",
    "Hebrew": "he", "Hindi": "hi", "Hungarian": "hu", "Icelandic": "is", "Italian": "it",
    "Japanese": "ja", "Kannada": "kn", "Korean": "ko", "Latvian": "lv", "Lithuanian": "lt",
    "Malayalam": "ml", "Marathi": "mr", "Mongolian": "mn", "Norwegian": "no", "Persian": "fa",
    "Polish": "pl", "Portuguese": "pt", "PortugueseBR": "pt", "PortugueseBrazil": "pt",
    "Romanian": "ro", "Romansh": "rm", "Russian": "ru", "Slovak": "sk", "Spanish": "es",
    "SpanishLatino": "es", "Swedish": "sv", "Tagalog": "tl", "Telugu": "te", "Thai": "th",
    "Turkish": "tr", "Ukrainian": "uk", "Urdu": "ur", "Vietnamese": "vi", "Unknown": None,
}  # fmt: skip
# guessit's sources (with `Rip` in `other` for rips) and parse-torrent-title's quality words.
GUESSIT_SOURCES = {
    "HDTV": "tv", "Digital TV": "tv", "TV": "tv", "Satellite": "tv", "Analog HDTV": "tv",
    "Ultra HDTV": "tv", "Blu-ray": "bluray", "Ultra HD Blu-ray": "bluray", "DVD": "dvd",
    "Screener": "dvd", "Camera": "cam", "HD Camera": "cam", "Telesync": "telesync",
    "HD Telesync": "telesync", "Telecine": "telecine", "HD Telecine": "telecine",
    "Workprint": "workprint",
}  # fmt: skip
PTN_SOURCES = {
    "bluray": "bluray", "brrip": "bluray", "bdrip": "bluray", "bd": "bluray", "bdremux": "bluray",
    "blurayrip": "bluray", "webdl": "webdl", "web": "webdl", "webdlmux": "webdl",
    "webrip": "webrip", "hdtv": "tv", "pdtv": "tv", "hdtvrip": "tv", "satrip": "tv",
    "ahdtvmux": "tv", "dvdrip": "dvd", "dvdscr": "dvd", "cam": "cam", "hdcam": "cam",
    "camrip": "cam", "ts": "telesync", "hdts": "telesync", "telesync": "telesync",
}  # fmt: skip
RESOLUTIONS = {480, 576, 720, 1080, 2160}
# What a series title may keep after it (see the module docstring).
SERIES_SUFFIX = re.compile(
    r"(?<![0-9])(?:19|20)[0-9]{2}(?![0-9])|(?<![A-Za-z])(?:US|UK|AU|NZ|CA)(?![A-Za-z])"
    r"|[0-9]{1,2}(?:st|nd|rd|th) Season",
)
EPISODE_MARKER = re.compile(
    r"(?<![a-z0-9])(?:S[0-9]{1,2}E[0-9]{1,3}|[0-9]{1,2}x[0-9]{2})", re.IGNORECASE
)
POSTING_GROUP = re.compile(r"[-\[( ](?P<group>QxR|TAoE|UTR)[\])]*$")
GLUED_TAG = re.compile(r"^(?P<group>[^\[\]]+?)\s?\[[^\[\]]+\]$")
ANIME_EXTRA_TYPE = re.compile(r"[\s-]+(?:OVA|ONA|OAD|SP|EX|OP|ED|NCOP|NCED|PV|CM)$")
SPANISH_CHAPTER = re.compile(
    r"Cap\.?\s?(?P<packed>(?P<season>[0-9]{1,2})(?P<episode>[0-9]{2}))(?![0-9])", re.IGNORECASE
)
NON_WORD = re.compile(r"[\W_]+")
RESOLUTION_TEXT = re.compile(r"^(?:[0-9]{3,4}\s*x\s*)?(?P<height>[0-9]{3,4})[pi]?$", re.IGNORECASE)
# The six fields, each made of the per-source fields that assert it.
SUMMARY = {
    "title": ("title", "title_any", "artist_name"),
    "seasons": ("season", "seasons"),
    "episodes": ("episode", "absolute_episode", "number"),
    "resolution": ("resolution",),
    "source": ("source", "sources"),
    "group": ("release_group",),
}


def norm(text: object) -> str:
    """Compare titles on letters and digits only (see the module docstring)."""
    if text is None:
        return ""
    folded = unicodedata.normalize("NFKC", str(text)).casefold()
    return NON_WORD.sub(" ", folded.replace("'", "").replace("\u2019", "")).strip()


def as_list(value: object) -> list[Any]:
    """Wrap a scalar expectation in a list."""
    return value if isinstance(value, list) else [value]


def same_languages(expected: list[str], got: list[str]) -> bool:
    """Tell whether found languages satisfy an arr test (`Should().Contain`; `Unknown`: none)."""
    wanted = languages(expected)
    return set(got) >= wanted if wanted else not got


def languages(names: list[str]) -> set[str]:
    """Language names of the arr fixtures as ISO 639-1 codes."""
    return {code for name in names if (code := LANGUAGE_CODES.get(name, name))}


def same_numbers(expected: object, found: list[int]) -> bool:
    """Episode numbers of a non-arr corpus; `[1, 4]` may be a range written by its ends."""
    numbers = as_list(expected)
    ends = len(numbers) == 2 and numbers[0] + 1 < numbers[1]
    return numbers == found or (ends and found == list(range(numbers[0], numbers[1] + 1)))


def same_seasons(expected: object, got: Parsed) -> bool:
    """One season is the first found (arr convention); a list of seasons must all be found."""
    if isinstance(expected, list):
        return bool(expected == got["seasons"])
    return bool(got["seasons"][:1] == [expected])


FIELDS: dict[str, Callable[[Any, Parsed], bool]] = {
    "title": lambda exp, got: norm(exp) == norm(got["title"]),
    "title_any": lambda exp, got: norm(got["title"]) in {norm(title) for title in exp},
    "year": lambda exp, got: (exp or None) == got["year"],  # Radarr writes "no year" as 0
    "season": same_seasons,
    "seasons": same_seasons,
    "episode": lambda exp, got: as_list(exp) == got["episodes"],
    "absolute_episode": lambda exp, got: as_list(exp) == got["absolute_episodes"],
    "number": lambda exp, got: same_numbers(exp, got["episodes"] or got["absolute_episodes"]),
    "air_date": lambda exp, got: exp == got["air_date"],
    "full_season": lambda exp, got: exp == got["full_season"],
    "resolution": lambda exp, got: exp == got["resolution"],
    "source": lambda exp, got: (None if exp == "unknown" else exp) == got["source"],
    "sources": lambda exp, got: got["source"] in exp,
    "modifier": lambda exp, got: exp == got["modifier"],
    "proper": lambda exp, got: exp == got["proper"],
    "repack": lambda exp, got: exp == got["repack"],
    "version": lambda exp, got: exp == got["version"],
    "release_group": lambda exp, got: norm(exp) == norm(got["release_group"]),
    "languages": lambda exp, got: same_languages(exp, got["languages"]),
    "edition": lambda exp, got: norm(exp) == norm(got["edition"]),
    "artist": lambda exp, got: norm(exp) == norm(got["artist"]),
    "artist_name": lambda exp, got: norm(exp) == norm(got["artist"] or got["title"]),
    "album": lambda exp, got: norm(exp) == norm(got["album"]),
    "format": lambda exp, got: (
        (exp.lower() if isinstance(exp, str) else exp) == got["audio_format"]
    ),
    "bitrate": lambda exp, got: exp == got["bitrate"],
    "vbr": lambda exp, got: str(exp).lower() == str(got["vbr"]).lower(),
    "bit_depth": lambda exp, got: exp == got["bit_depth"],
}


def rejected(row: Row, got: Parsed) -> bool | None:
    """Tell whether a negative row was rejected; None when its rule is not about this parser."""
    method = row["method"]
    if method.startswith("should_not_parse_") and method.endswith(("_quality",)):
        return got["audio_format"] not in {"ape", "opus"}
    if method == "should_not_parse_wrong_language_in_title":
        return not got["languages"]
    if row["fixture"] in {"CrapParserFixture", "DailyEpisodeParserFixture"}:
        return not (
            got["seasons"] or got["episodes"] or got["absolute_episodes"] or got["air_date"]
        )
    return None


def verdicts(row: Row, got: Parsed) -> Iterator[tuple[str, bool]]:
    """Yield (field, right?) for every scored field of one row, then the summary fields."""
    if row["negative"]:
        verdict = rejected(row, got)
        if verdict is not None:
            yield "rejected", verdict
        return
    expected = row["expected"]
    hits = {
        field: check(expected[field], got) for field, check in FIELDS.items() if field in expected
    }
    yield from hits.items()
    if row["fixture"] in EPISODE_FIXTURES and {"title", "season", "episode"} <= hits.keys():
        yield "title+season+episode", hits["title"] and hits["season"] and hits["episode"]
    if row["kind"] == "movie" and "title" in hits and row["arr"]:
        yield "title+year", hits["title"] and hits.get("year", True)
    for summary, fields in SUMMARY.items():
        asserted = [hits[field] for field in fields if field in hits]
        if asserted:
            yield f"= {summary}", all(asserted)


def score(rows: list[Row], parse: Parser, *, tell_kind: bool = True) -> dict[str, list[Any]]:
    """Return field -> [hits, total, failures] for one source."""
    table: dict[str, list[Any]] = defaultdict(lambda: [0, 0, []])
    for row in rows:
        got = parse(row["name"], row["kind"] if tell_kind else "")
        for field, hit in verdicts(row, got):
            cell = table[field]
            cell[0] += hit
            cell[1] += 1
            if not hit:
                cell[2].append((row["name"], row["expected"], got))
    return table


# ----- sources


def arr_rows(path: Path, kind: str) -> list[Row]:
    """Scored rows of one arr corpus (see the module docstring for what is skipped)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        skipped = row["fixture"] in SKIPPED_FIXTURES or row["method"] in SKIPPED_METHODS
        if not skipped and row["name"].strip():
            if kind == "music":
                row["expected"] = lidarr_expected(row["name"], row["expected"])
            rows.append({**row, "kind": kind, "arr": True})
    return rows


def lidarr_expected(name: str, expected: dict[str, Any]) -> dict[str, Any]:
    """Lidarr's `title` is its artist name; a posting group's tag names the group."""
    expected = dict(expected)
    if "title" in expected:
        expected["artist_name"] = expected.pop("title")
    return with_posting_group(name, expected)


def with_posting_group(name: str, expected: dict[str, Any]) -> dict[str, Any]:
    """Expect the posting group that signs a name (`… Tigole) [QxR]`), as Sonarr and Radarr do."""
    signed = POSTING_GROUP.search(re.sub(r"\.[a-z0-9]{2,4}$", "", name.strip()))
    if signed and expected.get("release_group"):
        return {**expected, "release_group": signed.group("group")}
    return expected


def sdist_members(package: str, version: str, suffixes: tuple[str, ...]) -> dict[str, bytes]:
    """Files of a PyPI source distribution whose paths end so; downloaded once into the cache."""
    folder = CACHE / package
    archives = sorted(folder.glob(f"*{version}.tar.gz"))
    if not archives:
        folder.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps"]
        command += ["--no-binary", ":all:", "-d", str(folder), f"{package}=={version}"]
        subprocess.run(command, check=True, capture_output=True)
        archives = sorted(folder.glob(f"*{version}.tar.gz"))
    with tarfile.open(archives[0]) as archive:
        return {
            member.name: archive.extractfile(member).read()  # type: ignore[union-attr]
            for member in archive.getmembers()
            if member.isfile() and member.name.endswith(suffixes)
        }


def external_row(source: str, name: str, kind: str, expected: dict[str, Any]) -> Row:
    """A non-arr row in the shape of the arr rows."""
    return {
        "fixture": source,
        "method": "",
        "name": name,
        "kind": kind,
        "arr": False,
        "negative": False,
        "expected": expected,
    }


def resolution(text: object) -> int | None:
    """A resolution in this parser's vocabulary (`1080i` is 1080, `4K` 2160), else None."""
    if str(text).upper() == "4K":
        return 2160
    match = RESOLUTION_TEXT.match(str(text).strip())
    height = int(match.group("height")) if match else None
    return height if height in RESOLUTIONS else None


def guessit_expected(name: str, raw: dict[str, Any], *, rips_known: bool) -> dict[str, Any]:
    """Translate guessit's vocabulary into the fields scored here."""
    expected = guessit_titles(raw)
    numbered = "season" in raw or "episode" in raw
    if "title_any" in expected and is_series(name, raw):
        expected["title_any"] = with_series_suffix(name, expected["title_any"])
    if isinstance(raw.get("year"), int) and not numbered:
        expected["year"] = raw["year"]
    if "season" in raw:
        expected["seasons"] = raw["season"]
    if "episode" in raw:
        expected["number"] = raw["episode"]
    if "absolute_episode" in raw:
        expected["absolute_episode"] = raw["absolute_episode"]
    if isinstance(raw.get("date"), dt.date) and raw.get("type") != "movie":
        expected["air_date"] = raw["date"]
    if (height := resolution(raw.get("screen_size"))) is not None:
        expected["resolution"] = height
    if sources := guessit_sources(raw, rips_known=rips_known):
        expected["sources"] = sources
    if isinstance(raw.get("release_group"), str):
        glued = GLUED_TAG.match(raw["release_group"])
        expected["release_group"] = glued.group("group") if glued else raw["release_group"]
    return with_posting_group(name, expected)


def guessit_titles(raw: dict[str, Any]) -> dict[str, Any]:
    """The accepted titles: a series may keep the year or country guessit sets apart."""
    title = raw.get("title")
    if not isinstance(title, str):
        return {}
    titles = {title}
    if raw.get("type") == "episode" or "season" in raw or "episode" in raw:
        extras = [str(extra) for extra in (raw.get("country"), raw.get("year")) if extra]
        titles |= {f"{title} {extra}" for extra in extras} | {" ".join([title, *extras])}
    return {"title_any": sorted(titles)}


def is_series(name: str, raw: dict[str, Any]) -> bool:
    """Tell a series' row: its expectation numbers it or says so, or its name has an episode."""
    stated = "season" in raw or "episode" in raw or raw.get("type") == "episode"
    return stated or bool(EPISODE_MARKER.search(name))


def with_series_suffix(name: str, titles: list[str]) -> list[str]:
    """Also accept a series title with a year, country or ordinal season that follows it."""
    words = f" {norm(name)} "
    found = set(titles)
    for title in titles:
        found |= {
            f"{title} {suffix}"
            for suffix in SERIES_SUFFIX.findall(name)
            if f" {norm(title)} {norm(suffix)} " in words
        }
    return sorted(found)


def guessit_sources(raw: dict[str, Any], *, rips_known: bool) -> list[str]:
    """The accepted sources: `Web` is a WEBRip when guessit adds `Rip`, when it says so at all."""
    source = raw.get("source")
    if source == "Web":
        if not rips_known:
            return ["webdl", "webrip"]
        return ["webrip" if "Rip" in as_list(raw.get("other", [])) else "webdl"]
    return (
        [GUESSIT_SOURCES[source]] if isinstance(source, str) and source in GUESSIT_SOURCES else []
    )


def guessit_kind(raw: dict[str, Any]) -> str:
    """The media type a guessit expectation states."""
    return {"episode": "tv", "movie": "movie"}.get(str(raw.get("type")), "")


def guessit_rows() -> dict[str, list[Row]]:
    """guessit's own tests and its cross-parser files, one source each."""
    files = sdist_members(*GUESSIT, (".yml", ".json"))
    by_name = {path.split("/guessit/test/", 1)[-1]: data for path, data in files.items()}
    sources: dict[str, list[Row]] = {}
    rows = []
    for file_name in ("episodes.yml", "movies.yml"):
        cases = yaml.safe_load(by_name[file_name])
        default = cases.pop("__default__", {})
        for name, raw in cases.items():
            options = str((raw or {}).get("options", ""))
            if not raw or (options and not re.fullmatch(r"(?:-t|--type) \w+", options)):
                continue
            case = {**default, **raw}
            if options:
                case["type"] = options.rsplit(maxsplit=1)[-1]
            rows.append(
                external_row(
                    "guessit",
                    name,
                    guessit_kind(case),
                    guessit_expected(name, case, rips_known=True),
                )
            )
    sources["guessit"] = rows
    for source, stem in CROSS_PARSER.items():
        entries = json.loads(by_name[f"cross_parser/{stem}.json"])["entries"]
        translate = CROSS_PARSER_WORDS.get(source, as_stated)
        sources[source] = [
            external_row(
                source,
                entry["release_name"],
                guessit_kind(entry["expected"]),
                translate(
                    entry["release_name"],
                    guessit_expected(entry["release_name"], entry["expected"], rips_known=False),
                ),
            )
            for entry in entries
        ]
    return sources


def as_stated(_name: str, expected: dict[str, Any]) -> dict[str, Any]:
    """A cross-parser file whose words need no translation."""
    return expected


def anitomy_expected(_name: str, expected: dict[str, Any]) -> dict[str, Any]:
    """anitomy's titles without the extra's type they keep (`Toradora ED` is `Toradora`)."""
    if "title_any" in expected:
        titles = {ANIME_EXTRA_TYPE.sub("", title) for title in expected["title_any"]}
        expected = {**expected, "title_any": sorted(titles)}
    return expected


def ptt_expected(name: str, expected: dict[str, Any]) -> dict[str, Any]:
    """PTT's packed Spanish `Cap.1905` is episode 5 of season 19, as the arrs read it."""
    chapter = SPANISH_CHAPTER.search(name)
    if chapter is None or expected.get("number") != int(chapter.group("packed")):
        return expected
    season = int(chapter.group("season"))
    if not re.search(rf"(?<![a-z])temp\w*\.?\s?0*{season}(?![0-9])", name, re.IGNORECASE):
        return expected  # the name does not confirm the season
    return {**expected, "number": int(chapter.group("episode"))}


CROSS_PARSER_WORDS: dict[str, Callable[[str, dict[str, Any]], dict[str, Any]]] = {
    "anitomy": anitomy_expected,
    "ptt": ptt_expected,
}


def parse_torrent_title_rows() -> list[Row]:
    """parse-torrent-title's test names with their raw expected output."""
    files = sdist_members(*PARSE_TORRENT_TITLE, ("input.json", "output_raw.json"))
    by_name = {path.rsplit("/", 1)[-1]: data for path, data in files.items()}
    names = json.loads(by_name["input.json"])
    outputs = json.loads(by_name["output_raw.json"])
    rows = []
    for name, raw in zip(names, outputs, strict=True):
        expected: dict[str, Any] = {"title": raw["title"]}
        if "season" in raw:
            expected["seasons"] = raw["season"]
        if "episode" in raw:
            expected["number"] = raw["episode"]
        if "year" in raw and "season" not in raw:
            expected["year"] = raw["year"]
        if is_series(name, raw):  # a series' title may keep a year, country or season after it
            expected = {"title_any": with_series_suffix(name, [raw["title"]]), **expected}
            del expected["title"]
        if (height := resolution(raw.get("resolution"))) is not None:
            expected["resolution"] = height
        quality = NON_WORD.sub("", str(raw.get("quality", "")).lower())
        if quality in PTN_SOURCES:
            expected["sources"] = [PTN_SOURCES[quality]]
        if "encoder" in raw:
            expected["release_group"] = raw["encoder"]
        expected = with_posting_group(name, expected)
        rows.append(external_row("parse-torrent-title", name, "", expected))
    return rows


def load_sources(corpora: Path) -> dict[str, list[Row]]:
    """Every source that can be had, by name; the ones that cannot are reported."""
    sources = {
        corpus: arr_rows(corpora / f"{corpus}_cases.jsonl", kind)
        for corpus, kind in ARR_CORPORA.items()
        if (corpora / f"{corpus}_cases.jsonl").exists()
    }
    for reader in (guessit_rows, lambda: {"parse-torrent-title": parse_torrent_title_rows()}):
        try:
            sources |= reader()
        except (OSError, subprocess.CalledProcessError, tarfile.TarError, KeyError) as err:
            show(f"(a source could not be read: {err!r})")
    return sources


# ----- other parsers, speed, report


def speed(names: list[str], parse: Parser, seconds: float = 2.0) -> float:
    """Return names parsed per CPU second of this process (other load is not counted)."""
    done = 0
    start = time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
        for name in names:
            parse(name, "")
        done += len(names)
    return done / elapsed


def haul(name: str, media_type: str) -> Parsed:
    """This project's parser."""
    return parse_release(name, media_type or None).as_dict()  # type: ignore[arg-type]


def other_parsers() -> dict[str, Parser]:
    """guessit and parsett, when importable, adapted to the same fields."""
    found: dict[str, Parser] = {}
    try:
        import guessit  # type: ignore[import-not-found]  # noqa: PLC0415 - optional

        found["guessit"] = lambda name, _kind: adapt(guessit.guessit(name))
    except ImportError:
        pass
    try:
        import PTT  # type: ignore[import-not-found]  # noqa: PLC0415 - optional (parsett)

        found["parsett"] = lambda name, _kind: adapt(PTT.parse_title(name))
    except ImportError:
        pass
    return found


def adapt(result: dict[str, Any]) -> Parsed:
    """Map a guessit/PTT answer onto this parser's field names (best effort, for comparison)."""
    size = str(result.get("screen_size") or result.get("resolution") or "")
    return {
        "title": result.get("title", ""),
        "year": result.get("year"),
        "seasons": [int(s) for s in as_list(result.get("season", result.get("seasons", [])))],
        "episodes": [int(e) for e in as_list(result.get("episode", result.get("episodes", [])))],
        "absolute_episodes": [],
        "air_date": str(result["date"]) if result.get("date") else None,
        "full_season": False,
        "resolution": resolution(size),
        "source": None,
        "modifier": None,
        "proper": bool(result.get("proper_count") or result.get("proper")),
        "repack": bool(result.get("repack")),
        "version": 1,
        "release_group": result.get("release_group") or result.get("group"),
        "languages": [],
        "edition": result.get("edition"),
        "artist": None,
        "album": None,
        "audio_format": None,
        "bitrate": None,
        "vbr": None,
        "bit_depth": None,
    }


def show(line: str) -> None:
    """Write one line of the report (the figures are this script's output)."""
    sys.stdout.write(line + "\n")


def cell(hits: int, total: int) -> str:
    """`hits/total percent`, or a dash when the source asserts nothing of the field."""
    return f"{hits}/{total} {100 * hits / total:5.1f}%" if total else "-"


def main() -> None:
    """Print the summary table, per-source details on request, and every parser's speed."""
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("--corpora", default="/work/shared/corpora", type=Path)
    arguments.add_argument("--details", action="store_true", help="every field of every source")
    arguments.add_argument("--failures", metavar="FIELD", help="list the rows that fail FIELD")
    arguments.add_argument("--source", help="only this source (with --failures or --details)")
    arguments.add_argument(
        "--no-media-type", action="store_true", help="parse without telling what each row is"
    )
    options = arguments.parse_args()
    parsers = {"haul": haul, **other_parsers()}
    sources = load_sources(options.corpora)
    if options.source:
        sources = {options.source: sources[options.source]}
    tables = {
        source: {
            label: score(rows, parse, tell_kind=not options.no_media_type)
            for label, parse in parsers.items()
        }
        for source, rows in sources.items()
    }
    show(f"\nhaul, per source and field (media type {'not ' * options.no_media_type}given)")
    show(f"  {'source':<20}" + "".join(f"{field:>17}" for field in SUMMARY))
    for source, by_parser in tables.items():
        table = by_parser["haul"]
        cells = "".join(
            f"{cell(*table[f'= {field}'][:2]) if f'= {field}' in table else '-':>17}"
            for field in SUMMARY
        )
        show(f"  {source:<20}{cells}")
    for source, by_parser in tables.items():
        if not (options.details or options.failures):
            break
        show(f"\n{source} ({len(sources[source])} rows)")
        show(f"  {'field':<22}" + "".join(f"{label:>18}" for label in by_parser))
        for field, (_hits, total, failures) in sorted(by_parser["haul"].items()):
            cells = "".join(f"{cell(table[field][0], total):>18}" for table in by_parser.values())
            show(f"  {field:<22}{cells}")
            if field == options.failures:
                for name, expected, got in failures:
                    shown = {key: got.get(key) for key in ("title", "seasons", "episodes")}
                    show(f"      {name!r}\n        expected {expected}\n        got {shown} {got}")
    names = [row["name"] for rows in sources.values() for row in rows]
    show(f"\nspeed over {len(names)} names (one core, no media type):")
    for label, parse in parsers.items():
        show(f"  {label:<10}{speed(names, parse):>10,.0f} names/s")


if __name__ == "__main__":
    main()
