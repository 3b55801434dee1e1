"""Which folder a Plex scan gets, which section holds it, and path_map rewrites."""

from __future__ import annotations

import pytest

from haul_engine.mediaservers.clients import media_folder, section_for
from haul_engine.mediaservers.kinds import MediaServerSettings


@pytest.mark.parametrize(
    ("path", "folder"),
    [
        ("/tv/Show/Season 01/Show - S01E01.mkv", "/tv/Show/Season 01"),
        ("/movies/Mr. Robot (2015)", "/movies/Mr. Robot (2015)"),
        ("/movies/Film (2020)/", "/movies/Film (2020)"),
        ("/music/Artist/Album/01 Track.FLAC", "/music/Artist/Album"),
        ("D:\\Media\\Movies\\Film (2020)\\Film.mp4", "D:\\Media\\Movies\\Film (2020)"),
        ("/Film.mkv", "/Film.mkv"),
    ],
)
def test_plex_scans_the_folder_of_a_media_file(path: str, folder: str) -> None:
    assert media_folder(path) == folder


def test_the_section_with_the_closest_location_wins() -> None:
    sections = [("1", ["/data"]), ("2", ["/data/tv", "/mnt/tv"]), ("3", ["/data/tvshows"])]
    assert section_for(sections, "/data/tv/Show") == "2"
    assert section_for(sections, "/mnt/tv") == "2"
    assert section_for(sections, "/data/tvshows/Show") == "3"
    assert section_for(sections, "/data/movies/Film") == "1"
    assert section_for(sections, "/srv/tv") is None
    assert section_for([("4", ["/"]), ("5", [""])], "/anything") == "4"


def test_path_map_rewrites_the_longest_prefix() -> None:
    settings = MediaServerSettings(path_map={"/data": "/media", "/data/tv/": "/shows"})
    assert settings.server_path("/data/tv/Show/e1.mkv") == "/shows/Show/e1.mkv"
    assert settings.server_path("/data/movies/Film") == "/media/movies/Film"
    assert settings.server_path("/database/x") == "/database/x"
    assert settings.server_path("/data") == "/media"
    assert MediaServerSettings().server_path("/data/x") == "/data/x"
    assert MediaServerSettings(path_map={"/": "/media"}).server_path("/tv/x") == "/media/tv/x"
