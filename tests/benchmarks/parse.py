"""Release-name parser benchmark: per-field accuracy on the arr corpora and names/second.

Run: `.venv/bin/python tests/benchmarks/parse.py [CORPORA_DIR] [--failures FIELD]`.
Reads `<CORPORA_DIR>/{sonarr,radarr,lidarr}_cases.jsonl` (default `/work/shared/corpora`) in place.

Scoring (per field, only on rows whose `expected` has that field):
- every corpus is parsed with the media type it is about (`tv`, `movie`, `music`);
- titles, artists, albums and editions compare after Unicode NFKC + casefold, apostrophes
  dropped and every other run of non-letters/digits made one space (`R.I.P.D.` == `R I P D`,
  `Show!!` == `Show`);
  nothing else is forgiven (no word removal, no fuzzy matching);
- `source: unknown` and `year: 0` mean None; language names map to ISO 639-1 (`Unknown` = none)
  and, as in the arr tests (`Should().Contain`), must be among the languages found;
- `proper` is the arrs' "is a revision" flag (PROPER, REPACK and RERIP all set it);
- Lidarr rows with an empty name (quality read from file metadata, not a name) are skipped, and so
  are fixtures that test other functions (title normalisers, slugs, ISO lookups, scene checks) and
  subtitle-file tests (their `title` is a subtitle track's);
- negative rows count under `rejected` where the fixture says what must not come out.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "addon"))

from haul_engine.releases.parser import parse_release

type Parsed = dict[str, Any]
type Parser = Callable[[str, str], Parsed]

CORPORA = {"sonarr": "tv", "radarr": "movie", "lidarr": "music"}
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
NON_WORD = re.compile(r"[\W_]+")


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


FIELDS: dict[str, Callable[[object, Parsed], bool]] = {
    "title": lambda exp, got: norm(exp) == norm(got["title"]),
    "year": lambda exp, got: (exp or None) == got["year"],  # Radarr writes "no year" as 0
    "season": lambda exp, got: got["seasons"][:1] == [exp],
    "episode": lambda exp, got: as_list(exp) == got["episodes"],
    "absolute_episode": lambda exp, got: as_list(exp) == got["absolute_episodes"],
    "air_date": lambda exp, got: exp == got["air_date"],
    "full_season": lambda exp, got: exp == got["full_season"],
    "resolution": lambda exp, got: exp == got["resolution"],
    "source": lambda exp, got: (None if exp == "unknown" else exp) == got["source"],
    "modifier": lambda exp, got: exp == got["modifier"],
    "proper": lambda exp, got: exp == got["proper"],
    "repack": lambda exp, got: exp == got["repack"],
    "version": lambda exp, got: exp == got["version"],
    "release_group": lambda exp, got: exp == got["release_group"],
    "languages": lambda exp, got: same_languages(exp, got["languages"]),  # type: ignore[arg-type]
    "edition": lambda exp, got: norm(exp) == norm(got["edition"]),
    "artist": lambda exp, got: norm(exp) == norm(got["artist"]),
    "album": lambda exp, got: norm(exp) == norm(got["album"]),
    "format": lambda exp, got: (
        (exp.lower() if isinstance(exp, str) else exp) == got["audio_format"]
    ),
    "bitrate": lambda exp, got: exp == got["bitrate"],
    "vbr": lambda exp, got: str(exp).lower() == str(got["vbr"]).lower(),
    "bit_depth": lambda exp, got: exp == got["bit_depth"],
}


def rejected(row: dict[str, Any], got: Parsed) -> bool | None:
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


def verdicts(row: dict[str, Any], got: Parsed, corpus_kind: str) -> Iterator[tuple[str, bool]]:
    """Yield (field, right?) for every scored field of one corpus row."""
    if row["negative"]:
        verdict = rejected(row, got)
        if verdict is not None:
            yield "rejected", verdict
        return
    expected = row["expected"]
    for field, check in FIELDS.items():
        if field in expected:
            yield field, check(expected[field], got)
    if row["fixture"] in EPISODE_FIXTURES and {"title", "season", "episode"} <= expected.keys():
        yield (
            "title+season+episode",
            all(FIELDS[f](expected[f], got) for f in ("title", "season", "episode")),
        )
    if corpus_kind == "movie" and "title" in expected:
        yield (
            "title+year",
            all(FIELDS[f](expected[f], got) for f in ("title", "year") if f in expected),
        )


def score(
    rows: list[dict[str, Any]], corpus_kind: str, parse: Parser, *, tell_kind: bool = True
) -> dict[str, list[Any]]:
    """Return field -> [hits, total, failures] for one corpus."""
    table: dict[str, list[Any]] = defaultdict(lambda: [0, 0, []])
    for row in rows:
        skipped = row["fixture"] in SKIPPED_FIXTURES or row["method"] in SKIPPED_METHODS
        if skipped or not row["name"].strip():
            continue
        got = parse(row["name"], corpus_kind if tell_kind else "")
        for field, hit in verdicts(row, got, corpus_kind):
            cell = table[field]
            cell[0] += hit
            cell[1] += 1
            if not hit:
                cell[2].append((row["name"], row["expected"], got))
    return table


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
    resolution = str(result.get("screen_size") or result.get("resolution") or "")
    return {
        "title": result.get("title", ""),
        "year": result.get("year"),
        "seasons": [int(s) for s in as_list(result.get("season", result.get("seasons", [])))],
        "episodes": [int(e) for e in as_list(result.get("episode", result.get("episodes", [])))],
        "absolute_episodes": [],
        "air_date": str(result["date"]) if result.get("date") else None,
        "full_season": False,
        "resolution": int(resolution[:-1]) if resolution[:-1].isdigit() else None,
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


def main() -> None:
    """Print the accuracy table per corpus and the speed of every parser found."""
    arguments = argparse.ArgumentParser(description=__doc__)
    arguments.add_argument("corpora", nargs="?", default="/work/shared/corpora", type=Path)
    arguments.add_argument("--failures", metavar="FIELD", help="list the rows that fail FIELD")
    arguments.add_argument(
        "--no-media-type", action="store_true", help="parse without telling what each corpus is"
    )
    options = arguments.parse_args()
    parsers = {"haul": haul, **other_parsers()}
    all_names: list[str] = []
    for corpus, media_type in CORPORA.items():
        path = options.corpora / f"{corpus}_cases.jsonl"
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        all_names += [row["name"] for row in rows if row["name"].strip()]
        tell_kind = not options.no_media_type
        tables = {
            label: score(rows, media_type, parse, tell_kind=tell_kind)
            for label, parse in parsers.items()
        }
        show(f"\n{corpus} ({len(rows)} rows, parsed as {media_type if tell_kind else 'unknown'})")
        show(f"  {'field':<22}" + "".join(f"{label:>18}" for label in tables))
        for field, (_hits, total, failures) in sorted(tables["haul"].items()):
            cells = ""
            for table in tables.values():
                hits = table[field][0]
                cells += f"{f'{hits}/{total} {100 * hits / total:5.1f}%':>18}"
            show(f"  {field:<22}{cells}")
            if field == options.failures:
                for name, expected, got in failures:
                    shown = {key: got.get(key) for key in ("title", "seasons", "episodes")}
                    show(f"      {name!r}\n        expected {expected}\n        got {shown} {got}")
    show(f"\nspeed over {len(all_names)} names (one core):")
    for label, parse in parsers.items():
        show(f"  {label:<10}{speed(all_names, parse):>10,.0f} names/s")


if __name__ == "__main__":
    main()
