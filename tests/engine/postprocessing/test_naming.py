"""Naming by pattern: pure, from the release parser's reading of the torrent and its files."""

from __future__ import annotations

import pytest

from haul_engine.postprocessing.naming import PatternError, Placement, check_pattern, plan

MB = 1024 * 1024


def test_a_movie_is_its_largest_video_with_its_subtitles() -> None:
    files = [
        ("Heat.1995.REMASTERED.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-FGT/Heat.mkv", 30 * MB),
        ("Heat.1995.REMASTERED.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-FGT/Heat.sample.mkv", MB),
        ("Heat.1995.REMASTERED.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-FGT/Heat.de.srt", 1),
        ("Heat.1995.REMASTERED.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-FGT/Heat.nfo", 1),
    ]
    name = "Heat.1995.REMASTERED.1080p.BluRay.REMUX.AVC.DTS-HD.MA.5.1-FGT"
    assert plan(name, files, "auto") == [
        Placement(files[0][0], "Heat (1995)/Heat (1995) - Bluray-1080p Remux.mkv"),
        Placement(files[2][0], "Heat (1995)/Heat (1995) - Bluray-1080p Remux.de.srt"),
    ]


def test_series_episodes_go_to_season_folders_and_extras_stay() -> None:
    files = [
        ("The.Office.US.S03.720p.WEB-DL/The.Office.US.S03E01.Gay.Witch.Hunt.720p.WEB-DL.mkv", MB),
        ("The.Office.US.S03.720p.WEB-DL/The.Office.US.S03E02.The.Convention.720p.WEB-DL.mkv", MB),
        ("The.Office.US.S03.720p.WEB-DL/Extras/Bloopers.mkv", MB),
    ]
    placed = plan("The.Office.US.S03.720p.WEB-DL", files, "auto")
    assert [placement.target for placement in placed] == [
        "The Office US/Season 03/The Office US - S03E01 - WEBDL-720p.mkv",
        "The Office US/Season 03/The Office US - S03E02 - WEBDL-720p.mkv",
    ]


def test_own_patterns_unsafe_characters_and_a_missing_year() -> None:
    files = [("What If: A Tale? 720p.mkv", MB)]
    assert plan("What If: A Tale? 720p", files, "movie", "{title} [{resolution}].{ext}") == [
        Placement(files[0][0], "What If A Tale [720p].mkv")
    ]
    assert plan("Untitled.1080p.WEB-DL", [("Untitled.mkv", MB)], "movie")[0].target == (
        "Untitled/Untitled - WEBDL-1080p.mkv"
    )
    assert plan("Notes", [("notes.txt", 10)], "auto") == []  # nothing to name: nothing moves


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("{titel}.{ext}", "unknown field titel"),
        ("{title}", "must end with .{ext}"),
        ("{title.{ext}", "unexpected '{' in field name"),
        ("{title.__class__}.{ext}", "unknown field title.__class__"),
        ("../{title}.{ext}", "must stay inside the media folder"),
        ("/etc/{title}.{ext}", "must stay inside the media folder"),
    ],
)
def test_a_bad_pattern_says_why(pattern: str, message: str) -> None:
    with pytest.raises(PatternError, match=message.replace("{", r"\{").replace(".", r"\.")):
        check_pattern(pattern)
