"""Ranking: hard rejections with reasons, scores with breakdowns, order, de-duplication."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from haul_engine.indexers.base import IndexerResult
from haul_engine.releases.parser import ParsedRelease
from haul_engine.releases.profiles import PRESETS
from haul_engine.releases.ranking import Expectation, RankedRelease, rank
from haul_engine.releases.rules import ProfileRules

GB = 1024**3
BASE = ParsedRelease(title="Movie Title", year=2020, resolution=1080, source="webdl", codec="x264")


def result(title: str, *, size: int = 4 * GB, seeders: int = 100, **extra: Any) -> IndexerResult:  # noqa: ANN401
    return IndexerResult(
        indexer="one", title=title, guid=title, size=size, seeders=seeders, **extra
    )


def judge(parsed: ParsedRelease, rules: ProfileRules, **extra: Any) -> RankedRelease:  # noqa: ANN401
    """Rank one release whose parse is given, so rule tests do not depend on the parser."""
    [ranked] = rank([result("Movie.Title", **extra)], rules, parse=lambda _name, _media: parsed)
    return ranked


def points(ranked: RankedRelease, prefix: str) -> int:
    return sum(part.points for part in ranked.breakdown if part.reason.startswith(prefix))


@pytest.mark.parametrize(
    ("parsed", "rules", "reason"),
    [
        (
            replace(BASE, resolution=720),
            ProfileRules(min_resolution=1080),
            "720p is below the profile's minimum of 1080p",
        ),
        (
            replace(BASE, resolution=2160),
            ProfileRules(max_resolution=1080),
            "2160p is above the profile's maximum of 1080p",
        ),
        (
            replace(BASE, source="cam"),
            ProfileRules(),
            "source CAM is below the profile's minimum (DVD)",
        ),
        (
            replace(BASE, source="bluray"),
            ProfileRules(max_source="webdl"),
            "source Bluray is above the profile's maximum (WEB-DL)",
        ),
        (
            replace(BASE, modifier="remux"),
            ProfileRules(allow_remux=False),
            "a remux; the profile does not allow remuxes",
        ),
        (BASE, ProfileRules(hdr="required"), "no HDR; the profile requires HDR"),
        (
            replace(BASE, hdr=frozenset({"dv"})),
            ProfileRules(hdr="refused"),
            "dv; the profile refuses HDR",
        ),
        (
            replace(BASE, release_group="BadGrp"),
            ProfileRules(blocked_groups=["badgrp"]),
            "release group BadGrp is blocked",
        ),
        (
            replace(BASE, languages=["fr"]),
            ProfileRules(languages=["en", "de"]),
            "language fr is not one of en, de",
        ),
        (BASE, ProfileRules(media="music"), "a video release; the profile is for music"),
    ],
)
def test_rejections_name_their_reason(
    parsed: ParsedRelease, rules: ProfileRules, reason: str
) -> None:
    ranked = judge(parsed, rules)
    assert not ranked.accepted
    assert ranked.rejections == [reason]


def test_words_seeders_and_size_rejections() -> None:
    rules = ProfileRules(
        required_words=["HYBRID", "proper"],
        blocked_words=["HC", "KORSUB"],
        min_seeders=5,
        max_mb_per_minute=20,
    )
    [ranked] = rank(
        [result("Movie.Title.2020.1080p.WEB-DL.HC.x264-GRP", seeders=2, size=10 * GB)], rules
    )
    assert ranked.rejections == [
        "contains none of the required words (HYBRID, proper)",
        "contains the blocked word 'hc'",
        "2 seeders; the profile wants at least 5",
        "93.1 MB per minute is above the profile's 20",
    ]
    # A word inside another word is not that word.
    [ranked] = rank([result("Movie.Title.2020.1080p.WEB-DL.HYBRID.x264-HCGRP", size=GB)], rules)
    assert ranked.accepted, ranked.rejections


def test_search_expectation_rejects_other_episodes_and_years() -> None:
    episode = ParsedRelease(
        title="Show", seasons=[1], episodes=[3], resolution=1080, source="webdl"
    )
    [ranked] = rank(
        [result("Show.S01E03")],
        ProfileRules(),
        expect=Expectation(season=2, episode=2),
        parse=lambda _n, _m: episode,
    )
    assert ranked.rejections == [
        "season 1, not the season 2 searched for",
        "episode 3, not the episode 2 searched for",
    ]
    pack = replace(episode, episodes=[], full_season=True)
    [ranked] = rank(
        [result("Show.S01")],
        ProfileRules(),
        expect=Expectation(season=1, episode=2),
        parse=lambda _n, _m: pack,
    )
    assert ranked.accepted
    [ranked] = rank(
        [result("Show.S01")],
        ProfileRules(),
        expect=Expectation(season=1),
        parse=lambda _n, _m: pack,
    )
    assert points(ranked, "the whole season searched for") == 100
    [ranked] = rank(
        [result("Movie")], ProfileRules(), expect=Expectation(year=2010), parse=lambda _n, _m: BASE
    )
    assert ranked.rejections == ["year 2020, not the 2010 searched for"]


def by_title(ranked: list[RankedRelease]) -> dict[str, RankedRelease]:
    return {release.title: release for release in ranked}


def test_a_whole_season_search_prefers_the_season_pack() -> None:
    names = [
        "Quiet.Harbor.S02E05.1080p.WEB-DL.x264-GRP",
        "Quiet.Harbor.S01-S03.1080p.WEB-DL.x264-GRP",
        "Quiet Harbor Saison 2 FRENCH 1080p WEB-DL x264-GRP",
        "Quiet.Harbor.S03.1080p.WEB-DL.x264-GRP",
    ]
    ranked = rank(
        [result(name, seeders=100 + 100 * n) for n, name in enumerate(names)],
        ProfileRules(),
        media_type="tv",
        expect=Expectation(season=2),
    )
    assert [release.title for release in ranked if release.accepted] == [names[2], names[1]]
    found = by_title(ranked)
    assert points(found[names[2]], "the whole season searched for") == 100
    assert points(found[names[1]], "seasons 1-3, the one searched for among them") == 60
    assert found[names[0]].rejections == ["episode 5 only, not the whole season 2 searched for"]
    assert found[names[3]].rejections == ["season 3, not the season 2 searched for"]


def test_anime_releases_are_judged_by_their_absolute_numbers() -> None:
    names = [
        "[Hoshi] Starlit Garden - 30 [1080p][A1B2C3D4].mkv",
        "[Hoshi] Starlit Garden - 29 [1080p][B2C3D4E5].mkv",
        "[Hoshi] Starlit Garden S2 - 05 [1080p]",
        "Starlit.Garden.S02E05.1080p.WEB-DL.x264-GRP",
    ]
    expect = Expectation(season=2, episode=5, absolute_episode=30)
    found = by_title(rank([result(name) for name in names], ProfileRules(), expect=expect))
    assert found[names[0]].accepted
    assert points(found[names[0]], "absolute episode 30") == 20
    assert found[names[1]].rejections == [
        "absolute episode 29, not the absolute episode 30 searched for"
    ]
    # Season numbering ("S2 - 05") and SxxEyy answer the same search by their own numbers.
    assert found[names[2]].accepted, found[names[2]].rejections
    assert found[names[3]].accepted, found[names[3]].rejections
    season = rank(
        [result("[Hoshi] Starlit Garden (01-12) [1080p][Batch]"), result(names[0])],
        ProfileRules(),
        expect=Expectation(season=1),
    )
    batch, single = season
    assert batch.accepted
    assert points(batch, "a batch of episodes 1-12") == 40
    assert single.rejections == ["episode 30 only, not the whole season 1 searched for"]


def test_music_rules() -> None:
    lossless = PRESETS["lossless-music"].rules
    flac = ParsedRelease(title="Album", artist="Artist", audio_format="flac", bit_depth=24)
    mp3 = ParsedRelease(title="Album", artist="Artist", audio_format="mp3", bitrate=320)
    ranked = judge(flac, lossless)
    assert ranked.accepted
    assert ranked.quality == "FLAC 24-bit"
    assert points(ranked, "lossless") == 400
    assert points(ranked, "24-bit") == 50
    assert judge(mp3, lossless).rejections == [
        "format mp3 is not one the profile accepts (flac, alac, ape, wavpack, wav)"
    ]
    assert judge(replace(mp3, bitrate=192), ProfileRules(min_bitrate=256)).rejections == [
        "bitrate 192 is below 256 kbps"
    ]
    assert judge(flac, ProfileRules(media="video")).rejections == [
        "a music release; the profile is for video"
    ]


def test_preferences_score_and_explain() -> None:
    rules = ProfileRules(
        hdr="wanted",
        preferred_codecs=["x265", "x264"],
        preferred_audio=["truehd", "eac3"],
        group_tiers=[["Gold"], ["Silver"]],
        preferred_mb_per_minute=20,
    )
    best = replace(
        BASE,
        codec="x265",
        hdr=frozenset({"dv", "hdr10"}),
        audio="truehd",
        release_group="Gold",
        proper=True,
    )
    ranked = judge(
        best,
        rules,
        size=20 * 110 * 1024**2,
        seeders=1000,
        download_factor=0.0,
        tags=frozenset({"internal"}),
    )
    assert {part.reason: part.points for part in ranked.breakdown} == {
        "resolution 1080p": 400,
        "source WEB-DL": 70,
        "HDR (dv/hdr10)": 150,
        "preferred audio truehd": 60,
        "preferred codec x265": 80,
        "preferred group Gold": 300,
        "proper": 40,
        "1000 seeders": 120,
        "freeleech": 50,
        "internal release": 40,
        "size 20.0 MB/min (preferred 20)": 60,
    }
    assert ranked.score == sum(part.points for part in ranked.breakdown)
    assert ranked.freeleech
    plain = judge(replace(BASE, release_group="Silver"), rules, size=80 * 110 * 1024**2, seeders=3)
    assert points(plain, "preferred group") == 200
    assert points(plain, "preferred codec x264") == 60
    assert points(plain, "size") == -60  # twice the preferred size or more: the full penalty
    assert points(plain, "3 seeders") == 0


def test_penalties_and_age() -> None:
    rules = ProfileRules()
    assert points(judge(replace(BASE, modifier="brdisk"), rules), "BR-DISK") == -800
    assert points(judge(replace(BASE, release_group="YIFY"), rules), "low-quality group") == -400
    [three_d] = rank([result("Movie.Title.2020.3D.1080p.BluRay.Half-SBS.x264-GRP")], rules)
    [upscaled] = rank([result("Movie.Title.2020.2160p.Upscaled.WEB-DL.x265-GRP")], rules)
    assert points(three_d, "3D") == -600
    assert points(upscaled, "upscaled") == -500
    old = judge(BASE, rules, published=datetime.now(UTC) - timedelta(days=730))
    assert points(old, "730 days old") == -20
    assert old.age_days == pytest.approx(730, abs=0.1)


def test_order_is_what_a_careful_person_would_pick() -> None:
    names = {
        "Movie.Title.2020.1080p.BluRay.x265-GRP": (4 * GB, 200),
        "Movie.Title.2020.1080p.WEB-DL.DDP5.1.H.264-NTb": (6 * GB, 150),
        "Movie.Title.2020.720p.HDTV.x264-LOL": (1 * GB, 300),
        "Movie.Title.2020.1080p.BluRay.x264-YIFY": (int(1.5 * GB), 1000),
        "Movie.Title.2020.1080p.BluRay.x264-LONELY": (3 * GB, 1),
        "Movie.Title.2020.CAM.x264-NOGRP": (GB, 900),
        "Movie.Title.2020.2160p.WEB-DL.DV.HDR10.HEVC-GRP": (15 * GB, 80),
        "Movie.Title.2020.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-FGT": (30 * GB, 60),
    }
    results = [result(name, size=size, seeders=seeders) for name, (size, seeders) in names.items()]
    ranked = rank(results, PRESETS["1080p-compact"].rules, media_type="movie")
    order = [release.title.split(".2020.")[1] for release in ranked]
    accepted = [title for release, title in zip(ranked, order, strict=True) if release.accepted]
    assert accepted == [
        "1080p.BluRay.x265-GRP",
        "1080p.WEB-DL.DDP5.1.H.264-NTb",
        "720p.HDTV.x264-LOL",
        "1080p.BluRay.x264-YIFY",
    ]
    reasons = {release.title: release.rejections for release in ranked if not release.accepted}
    assert reasons["Movie.Title.2020.1080p.BluRay.x264-LONELY"] == [
        "1 seeders; the profile wants at least 2"
    ]
    assert (
        "2160p is above the profile's maximum of 1080p"
        in reasons["Movie.Title.2020.2160p.WEB-DL.DV.HDR10.HEVC-GRP"]
    )
    assert (
        "a remux; the profile does not allow remuxes"
        in reasons["Movie.Title.2020.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-FGT"]
    )
    assert (
        "source CAM is below the profile's minimum (HDTV)"
        in reasons["Movie.Title.2020.CAM.x264-NOGRP"]
    )
    assert all(release.quality for release in ranked)
    assert ranked[0].quality == "Bluray-1080p"


def test_same_info_hash_collapses_to_the_best_copy() -> None:
    info_hash = "a" * 40
    copies = [
        IndexerResult(
            indexer="one",
            title="Movie.Title.2020.1080p.WEB-DL.x264-GRP",
            guid="1",
            seeders=10,
            info_hash=info_hash,
        ),
        IndexerResult(
            indexer="two",
            title="Movie.Title.2020.1080p.WEB-DL.x264-GRP",
            guid="2",
            seeders=500,
            info_hash=info_hash.upper(),
        ),
        IndexerResult(
            indexer="three",
            title="Movie.Title.2020.1080p.WEB-DL.x264-GRP",
            guid="3",
            seeders=50,
            info_hash=info_hash,
            also_on=["four"],
        ),
        IndexerResult(
            indexer="one", title="Other.Movie.2020.1080p.WEB-DL.x264-GRP", guid="4", seeders=5
        ),
    ]
    ranked = rank(copies, ProfileRules())
    assert len(ranked) == 2
    assert ranked[0].indexer == "two"
    assert ranked[0].id == info_hash
    assert ranked[0].also_on == ["four", "one", "three"]
    assert len(ranked[1].id) == 40  # no hash: an id digested from indexer and guid


def test_real_magnets_are_shown_proxy_links_never() -> None:
    magnet = "magnet:?xt=urn:btih:" + "b" * 40
    proxy = "http://127.0.0.1:9696/1/download?apikey=secret-key-123&link=x"
    ranked = rank(
        [
            result("A.2020.1080p.WEB-DL.x264-G", magnet_url=magnet),
            result("B.2020.1080p.WEB-DL.x264-G", download_url=proxy),
        ],
        ProfileRules(),
    )
    by_title = {release.title: release for release in ranked}
    assert by_title["A.2020.1080p.WEB-DL.x264-G"].magnet == magnet
    assert by_title["A.2020.1080p.WEB-DL.x264-G"].info_hash == "b" * 40
    assert by_title["B.2020.1080p.WEB-DL.x264-G"].magnet is None
    assert "secret-key-123" not in repr(ranked)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_resolution": 2160, "max_resolution": 720}, "min_resolution is above max_resolution"),
        ({"min_source": "bluray", "max_source": "dvd"}, "min_source is above max_source"),
        (
            {"min_mb_per_minute": 50, "max_mb_per_minute": 10},
            "min_mb_per_minute is above max_mb_per_minute",
        ),
        (
            {"preferred_mb_per_minute": 5, "min_mb_per_minute": 10},
            "preferred_mb_per_minute is outside",
        ),
        ({"min_resolution": 1000}, "Input should be 480, 576, 720, 1080 or 2160"),
        ({"languages": ["english"]}, "String should match pattern"),
        ({"colour": "blue"}, "Extra inputs are not permitted"),
    ],
)
def test_profile_rules_refuse_nonsense(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ProfileRules.model_validate(changes)


@settings(max_examples=150, deadline=None)
@given(
    titles=st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=30),
    sizes=st.lists(st.one_of(st.none(), st.integers(0, 10**12)), min_size=30, max_size=30),
    seeders=st.lists(st.one_of(st.none(), st.integers(0, 10**6)), min_size=30, max_size=30),
    profile=st.sampled_from(sorted(PRESETS)),
    runtime=st.one_of(st.none(), st.floats(0.5, 600)),
)
def test_any_input_ranks_into_a_consistent_order(
    titles: list[str],
    sizes: list[int | None],
    seeders: list[int | None],
    profile: str,
    runtime: float | None,
) -> None:
    results = [
        IndexerResult(indexer="x", title=title, guid=str(i), size=sizes[i], seeders=seeders[i])
        for i, title in enumerate(titles)
    ]
    ranked = rank(results, PRESETS[profile].rules, runtime_minutes=runtime)
    assert len(ranked) == len(titles)
    for release in ranked:
        assert release.accepted == (not release.rejections)
        assert release.score == sum(part.points for part in release.breakdown)
    keys = [(not release.accepted, -release.score) for release in ranked]
    assert keys == sorted(keys)
