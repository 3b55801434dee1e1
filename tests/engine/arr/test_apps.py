"""The per-app modules: identity, supported versions, library layout and search commands."""

from __future__ import annotations

import pytest

from haul_engine.arr.apps import APPS, SEARCHES
from haul_engine.arr.client import AppInfo, ArrError


@pytest.mark.parametrize(
    ("kind", "version", "flavor", "api_base", "items"),
    [
        ("sonarr", "4.0.14.2939", "series", "/api/v3", "/episode"),
        ("radarr", "5.21.1.9799", "movie", "/api/v3", "/movie"),
        ("whisparr", "2.0.0.1123", "series", "/api/v3", "/episode"),
        ("whisparr", "3.0.0.800", "movie", "/api/v3", "/movie"),
        ("lidarr", "2.9.6.4552", "music", "/api/v1", "/album"),
    ],
)
def test_each_app_knows_its_versions_and_library(
    kind: str, version: str, flavor: str, api_base: str, items: str
) -> None:
    app = APPS[kind]
    library = app.library(AppInfo(app.title, version), "x")
    assert (library.flavor, app.api_base, library.items) == (flavor, api_base, items)


def test_whisparr_v3_is_movie_like_without_wanted_lists() -> None:
    whisparr = APPS["whisparr"]
    v2 = whisparr.library(AppInfo("Whisparr", "2.0.0.1123"), "x")
    v3 = whisparr.library(AppInfo("Whisparr", "3.0.0.800"), "x")
    assert (v2.containers, v2.files, v2.wanted) == ("/series", "/episodefile", True)
    assert (v3.searches.items, v3.wanted, v3.wanted_needs_year) == ("MoviesSearch", False, False)


def test_radarr_has_wanted_lists_from_v5_and_they_need_a_year() -> None:
    radarr = APPS["radarr"]
    v4 = radarr.library(AppInfo("Radarr", "4.7.5.7809"), "x")
    v5 = radarr.library(AppInfo("Radarr", "5.21.1.9799"), "x")
    assert (v4.wanted, v4.wanted_needs_year, v5.wanted, v5.wanted_needs_year) == (
        False, False, True, True,
    )  # fmt: skip


def test_other_apps_and_versions_are_refused_clearly() -> None:
    with pytest.raises(ArrError, match="this is Radarr, not Sonarr"):
        APPS["sonarr"].library(AppInfo("Radarr", "5.0.0"), "TV")
    with pytest.raises(ArrError, match=r"Sonarr 2\.0\.0 is not supported \(supported: v3, v4\)"):
        APPS["sonarr"].library(AppInfo("Sonarr", "2.0.0"), "TV")


def test_search_commands_by_flavour() -> None:
    series = SEARCHES["series"]
    assert series.for_items([1, 2]) == ("EpisodeSearch", {"episodeIds": [1, 2]})
    assert series.for_season(7, 2) == ("SeasonSearch", {"seriesId": 7, "seasonNumber": 2})
    assert series.for_series(7) == ("SeriesSearch", {"seriesId": 7})
    assert SEARCHES["movie"].for_items([3]) == ("MoviesSearch", {"movieIds": [3]})
    assert SEARCHES["music"].for_items([4]) == ("AlbumSearch", {"albumIds": [4]})
