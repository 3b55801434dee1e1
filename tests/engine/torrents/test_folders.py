"""The folders a user adds in the options: an incomplete folder and other media folders."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest
import qbittorrentapi

from tests.support.peers import engine_env, files_identical, make_torrent

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess
    from tests.support.peers import QbittorrentPeer

PASSWORD = engine_env()["HAUL_QBITTORRENT_PASSWORD"]
FILES = {"Film.mkv": 3_000_000, "Film.srt": 20_000}


def test_incomplete_folder_then_the_save_path_in_another_folder(
    tmp_path: Path,
    engine_factory: Callable[..., EngineProcess],
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    incomplete, movies = tmp_path / "incomplete", tmp_path / "movies"
    engine = engine_factory(
        env=engine_env(
            HAUL_INCOMPLETE_DIR=str(incomplete), HAUL_EXTRA_FOLDERS=json.dumps([str(movies)])
        )
    ).start()
    api = qbittorrentapi.Client(engine.url, username="admin", password=PASSWORD)
    preferences = api.app_preferences()
    assert (preferences["temp_path_enabled"], preferences["temp_path"]) == (True, str(incomplete))
    made = make_torrent(tmp_path / "made", "Film", FILES)
    seeder = qbittorrent_factory("seeder")
    seeder.seed(made)
    api.torrents_create_category(name="movies", save_path=str(movies))
    # the download limit keeps it unfinished long enough to be seen in the incomplete folder
    assert (
        api.torrents_add(torrent_files=made.data, category="movies", download_limit=400_000)
        == "Ok."
    )
    [item] = api.torrents_info()
    assert (item.save_path, item.download_path) == (str(movies), str(incomplete))
    api.torrents_add_peers(peers=f"127.0.0.1:{seeder.listen_port}", torrent_hashes=made.info_hash)
    deadline = time.monotonic() + 60
    while (item := api.torrents_info()[0]).progress == 0:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert item.content_path == str(incomplete / "Film")  # where the data is while unfinished
    assert item.save_path == str(movies)  # where it will be: what Sonarr reads
    api.torrents_set_download_limit(limit=0, torrent_hashes=made.info_hash)
    while (item := api.torrents_info()[0]).state not in {"stalledUP", "uploading"}:
        assert time.monotonic() < deadline, item
        time.sleep(0.1)
    assert item.content_path == str(movies / "Film")
    assert files_identical(made.parent / "Film", movies / "Film", FILES)
    assert not list(incomplete.glob("Film/*"))

    # a torrent may go to any allowed folder, and nowhere else
    assert (
        api.torrents_add(
            urls=made.magnet.replace(made.info_hash, "ab" * 20), save_path=str(movies / "x")
        )
        == "Ok."
    )
    assert (
        api.torrents_add(
            urls=made.magnet.replace(made.info_hash, "cd" * 20),
            save_path=str(tmp_path / "elsewhere"),
        )
        == "Fails."
    )
    engine.restart()  # what was set through the API stays
    assert [item.save_path for item in api.torrents_info(sort="save_path")] == [
        str(movies),
        str(movies / "x"),
    ]


def test_the_incomplete_folder_follows_preferences_and_categories(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess]
) -> None:
    incomplete = tmp_path / "incomplete"
    engine = engine_factory(env=engine_env(HAUL_INCOMPLETE_DIR=str(incomplete))).start()
    api = qbittorrentapi.Client(engine.url, username="admin", password=PASSWORD)
    downloads = engine.data_dir / "downloads"
    api.torrents_create_category(name="none", save_path="tv", enable_download_path=False)
    api.torrents_create_category(name="own", download_path=str(incomplete / "own"))
    categories = api.torrents_categories()
    assert (categories["none"]["savePath"], categories["none"]["download_path"]) == (
        str(downloads / "tv"),
        False,
    )
    assert categories["own"]["download_path"] == str(incomplete / "own")
    for category, expected in (
        ("none", ""),
        ("own", str(incomplete / "own")),
        ("", str(incomplete)),
    ):
        magnet = f"magnet:?xt=urn:btih:{(category or 'x').encode().hex().ljust(40, '0')}"
        assert api.torrents_add(urls=magnet, category=category, is_stopped=True) == "Ok."
        assert api.torrents_info(category=category)[0].download_path == expected, category
    api.app_set_preferences({"temp_path_enabled": False})
    assert api.torrents_add(urls="magnet:?xt=urn:btih:" + "ef" * 20, is_stopped=True) == "Ok."
    assert api.torrents_info(torrent_hashes="ef" * 20)[0].download_path == ""
    # an incomplete folder outside the allowed folders is refused, and nothing changes
    with pytest.raises(qbittorrentapi.InvalidRequest400Error, match=r"'temp_path': .* outside"):
        api.app_set_preferences({"temp_path_enabled": True, "temp_path": "/etc"})
    assert api.app_preferences()["temp_path_enabled"] is False
