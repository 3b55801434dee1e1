"""Ranking benchmark: time to rank 1,000 search results against each preset, parse cost in and out.

Run: `.venv/bin/python tests/benchmarks/rank.py [CORPORA_DIR] [--results N] [--rounds R]`.
Release names come from the Radarr corpus (`<CORPORA_DIR>/radarr_cases.jsonl`, default
`/work/shared/corpora`; read in place, nothing copied), topped up by a synthetic generator. Figures:
- cold: parse (uncached) + rank, the first search that sees these names;
- warm: rank with every name already in the parse cache, a repeated or overlapping search;
- parse only: the parser's share of the cold figure.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "addon"))

from haul_engine.indexers.base import IndexerResult
from haul_engine.releases.parser import parse_release
from haul_engine.releases.profiles import PRESETS
from haul_engine.releases.ranking import RankedRelease, Ranker, read_title

if TYPE_CHECKING:
    from collections.abc import Callable

    from haul_engine.releases.rules import ProfileRules

RESOLUTIONS = ["480p", "720p", "1080p", "2160p"]
SOURCES = ["WEB-DL", "WEBRip", "BluRay", "HDTV", "BluRay.REMUX", "CAM", "DVDRip"]
EXTRAS = ["", "HDR", "DV.HDR10", "PROPER", "REPACK", "3D.HSBS", "MULTi", "FRENCH"]
CODECS = ["x264", "x265", "HEVC", "AV1", "XviD"]
GROUPS = ["GRP", "NTb", "FraMeSToR", "YIFY", "SPARKS", "FLUX", "LOL"]


def corpus_names(folder: Path) -> list[str]:
    """Movie names from the Radarr corpus, if it is there."""
    path = folder / "radarr_cases.jsonl"
    if not path.exists():
        return []
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return sorted({row["name"] for row in rows if row.get("name") and not row.get("negative")})


def synthetic_names(count: int, rng: random.Random) -> list[str]:
    """Plausible movie release names."""
    return [
        ".".join(
            part
            for part in (
                f"Movie.Title.{rng.randint(1, 400)}",
                str(rng.randint(1980, 2025)),
                rng.choice(EXTRAS),
                rng.choice(RESOLUTIONS),
                rng.choice(SOURCES),
                rng.choice(CODECS),
            )
            if part
        )
        + f"-{rng.choice(GROUPS)}"
        for _ in range(count)
    ]


def make_results(names: list[str], count: int, rng: random.Random) -> list[IndexerResult]:
    """Make results as indexers give them: sizes, seeders, ages, freeleech, ~10% duplicates."""
    now = datetime.now(UTC)
    results = []
    for index in range(count):
        name = names[index % len(names)]
        duplicate = index > 0 and rng.random() < 0.1
        results.append(
            IndexerResult(
                indexer=f"indexer{index % 5}",
                title=name,
                guid=f"{index}",
                size=rng.randint(300, 60_000) * 1024**2,
                seeders=rng.choice([0, 1, 3, 12, 80, 400, 2500]),
                leechers=rng.randint(0, 50),
                published=now - timedelta(days=rng.randint(0, 2000)),
                info_hash=f"{(index - 1 if duplicate else index):040x}",
                download_factor=rng.choice([1.0, 1.0, 1.0, 0.5, 0.0]),
            )
        )
    return results


def timed(function: Callable[[], object], rounds: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each round (the CPU figure ignores other load)."""
    wall, cpu = [], []
    for _ in range(rounds):
        started, started_cpu = time.perf_counter(), time.process_time()
        function()
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - started_cpu))
    return wall, cpu


def say(text: str) -> None:
    """Print one line of figures."""
    sys.stdout.write(text + "\n")


def _figures(figures: tuple[list[float], list[float]]) -> str:
    """Median wall time (best, worst) and median CPU time of the rounds."""
    wall, cpu = figures
    return (
        f"wall median {statistics.median(wall):6.1f} ms "
        f"(best {min(wall):5.1f}, worst {max(wall):5.1f}),"
        f" CPU median {statistics.median(cpu):6.1f} ms"
    )


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpora", nargs="?", default="/work/shared/corpora", type=Path)
    parser.add_argument("--results", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=20)
    arguments = parser.parse_args()
    rng = random.Random(42)  # noqa: S311 - reproducible test data, not a secret
    names = corpus_names(arguments.corpora)
    origin = f"{len(names)} Radarr corpus names" if names else "synthetic names"
    if len(names) < arguments.results:
        names += synthetic_names(arguments.results - len(names), rng)
    rng.shuffle(names)
    results = make_results(names[: arguments.results], arguments.results, rng)
    unique = sorted({result.title for result in results})
    say(
        f"{arguments.results} results ({len(unique)} distinct names, from {origin}), "
        f"{arguments.rounds} rounds"
    )

    parse_ms = timed(lambda: [parse_release(name, "movie") for name in unique], arguments.rounds)
    say(f"  parse only (uncached)  {_figures(parse_ms)}")
    for profile in PRESETS.values():

        def search(rules: ProfileRules = profile.rules) -> list[RankedRelease]:
            return Ranker(rules, media_type="movie").rank(results)

        def cold(search: Callable[[], object] = search) -> None:
            read_title.cache_clear()
            search()

        cold_ms = timed(cold, arguments.rounds)
        warm_ms = timed(search, arguments.rounds)
        accepted = sum(release.accepted for release in search())
        say(
            f"  {profile.id:<14} accepted {accepted:4d}\n"
            f"    cold (parse + rank)  {_figures(cold_ms)}\n"
            f"    warm (parse cached)  {_figures(warm_ms)}"
        )


if __name__ == "__main__":
    main()
