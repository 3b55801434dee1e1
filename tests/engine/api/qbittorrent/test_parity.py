"""WebAPI parity with qBittorrent itself: layouts compared with qbittorrent-nox, file selection,
export, preferences that apply at once and stay."""

from __future__ import annotations

import json
import socket
import time
from typing import TYPE_CHECKING

import pytest
import qbittorrentapi

from tests.support.peers import engine_env, make_torrent, wait_for_torrent
from tests.support.programs import free_port

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess
    from tests.support.peers import MadeTorrent, QbittorrentPeer

PASSWORD = engine_env()["HAUL_QBITTORRENT_PASSWORD"]
LAYOUT_OPTIONS = [
    {"content_layout": layout} for layout in ("Original", "Subfolder", "NoSubfolder")
] + [{"is_root_folder": True}, {"is_root_folder": False}]


def client(engine: EngineProcess) -> qbittorrentapi.Client:
    """A logged-in qbittorrent-api client."""
    return qbittorrentapi.Client(engine.url, username="admin", password=PASSWORD)


def laid_out(api: qbittorrentapi.Client, made: MadeTorrent, options: dict[str, object]) -> object:
    """Add stopped with options; return the file names and content path (relative), then remove."""
    deadline = time.monotonic() + 20
    while not api.torrents_info(torrent_hashes=made.qbittorrent_id):
        # qBittorrent refuses a torrent it is still removing: add again until it is there
        assert time.monotonic() < deadline
        api.torrents_add(torrent_files=made.data, is_stopped=True, **options)
        time.sleep(0.1)
    while not (files := api.torrents_files(torrent_hash=made.qbittorrent_id)):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    item = api.torrents_info(torrent_hashes=made.qbittorrent_id)[0]
    content = item.content_path.removeprefix(item.save_path).lstrip("/")
    api.torrents_delete(delete_files=False, torrent_hashes=made.qbittorrent_id)
    return sorted(entry.name for entry in files), content


def test_content_layouts_exactly_as_qbittorrent(
    tmp_path: Path,
    torrent_engine: EngineProcess,
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    single = make_torrent(tmp_path, "Film.2024.mkv", {"Film.2024.mkv": 40_000})
    pack = make_torrent(tmp_path, "Show.S01", {"E01.mkv": 40_000, "Subs/E01.srt": 900})
    qbittorrent = qbittorrent_factory("reference").api
    haul = client(torrent_engine)
    for made in (single, pack):
        for options in LAYOUT_OPTIONS:
            expected = laid_out(qbittorrent, made, options)
            assert laid_out(haul, made, options) == expected, (made.name, options, expected)


def test_chosen_files_only_are_downloaded(
    tmp_path: Path,
    torrent_engine: EngineProcess,
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    files = {"E01.mkv": 2_000_000, "E02.mkv": 2_000_000, "E03.mkv": 2_000_000}
    made = make_torrent(tmp_path / "made", "Show.S01", files)
    seeder = qbittorrent_factory("seeder")
    seeder.seed(made)
    status, _ = torrent_engine.request(
        "POST", "/api/v1/torrents", {"torrent_base64": made.base64, "stopped": True}
    )
    assert status == 200
    path = f"/api/v1/torrents/{made.info_hash}/files"
    listed = torrent_engine.call("GET", path.removeprefix("/api/v1"))
    index = {entry["path"]: entry["index"] for entry in listed}  # in the torrent's own order
    assert sorted(index) == [f"Show.S01/{name}" for name in sorted(files)]
    assert {entry["priority"] for entry in listed} == {1}  # qBittorrent's "normal"
    skip, top = index["Show.S01/E02.mkv"], index["Show.S01/E03.mkv"]
    status, chosen = torrent_engine.request("POST", path, {"indexes": [skip], "priority": 0})
    assert status == 200, chosen
    assert {entry["path"]: entry["priority"] for entry in chosen}["Show.S01/E02.mkv"] == 0
    for body in ({"indexes": [3], "priority": 0}, {"indexes": [0], "priority": 3}, {"indexes": []}):
        assert torrent_engine.request("POST", path, body)[0] in {400, 409}, body
    api = client(torrent_engine)
    api.torrents_file_priority(torrent_hash=made.info_hash, file_ids=top, priority=7)
    priorities = {
        entry.name: entry.priority for entry in api.torrents_files(torrent_hash=made.info_hash)
    }
    assert priorities == {"Show.S01/E01.mkv": 1, "Show.S01/E02.mkv": 0, "Show.S01/E03.mkv": 7}
    api.torrents_start(torrent_hashes=made.info_hash)
    api.torrents_add_peers(peers=f"127.0.0.1:{seeder.listen_port}", torrent_hashes=made.info_hash)
    done = wait_for_torrent(torrent_engine, made.info_hash, lambda item: item["progress"] == 1.0)
    # the wanted size (libtorrent's, as qBittorrent): the skipped file's pieces do not count
    assert 4_000_000 <= done["size"] < 6_000_000
    downloads = torrent_engine.data_dir / "downloads" / "Show.S01"
    for name in ("E01.mkv", "E03.mkv"):
        assert (downloads / name).read_bytes() == (made.parent / "Show.S01" / name).read_bytes()
    skipped = downloads / "E02.mkv"
    assert (
        not skipped.exists()
        or skipped.read_bytes() != (made.parent / "Show.S01" / "E02.mkv").read_bytes()
    )


def test_a_file_that_is_not_a_torrent_and_a_magnet_without_metadata(
    tmp_path: Path, torrent_engine: EngineProcess
) -> None:
    made = make_torrent(tmp_path, "Pack", {"a.bin": 40_000})
    api = client(torrent_engine)
    with pytest.raises(qbittorrentapi.UnsupportedMediaType415Error, match="not a valid torrent"):
        api.torrents_add(torrent_files=b"<html>not a torrent</html>", urls=made.magnet)
    assert api.torrents_info() == []  # nothing was added, not even the URL
    assert api.torrents_add(urls=made.magnet) == "Ok."
    with pytest.raises(qbittorrentapi.Conflict409Error):  # a magnet has nothing to export yet
        api.torrents_export(torrent_hash=made.info_hash)
    assert api.torrents_piece_states(torrent_hash=made.info_hash) == []


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_preferences_apply_at_once_and_stay_until_the_option_changes(
    engine_factory: Callable[..., EngineProcess],
) -> None:
    engine = engine_factory(env=engine_env())
    engine.data_dir.mkdir(parents=True)
    (engine.data_dir / "options.json").write_text(json.dumps({"max_active_downloads": 3}))
    engine.start()
    api = client(engine)
    old_port, new_port = int(engine.env["HAUL_LISTEN_PORT"]), free_port()
    expected = {
        "listen_port": new_port,
        "max_active_downloads": 9,
        "encryption": 1,
        "max_ratio_enabled": True,
        "max_ratio": 2.5,
        "scheduler_enabled": True,
        "schedule_from_hour": 8,
        "schedule_from_min": 30,
        "schedule_to_hour": 20,
        "schedule_to_min": 0,
        "scheduler_days": 2,
        "dl_limit": 2 * 1024 * 1024,
    }
    # what Haul does not have changes nothing
    api.app_set_preferences({**expected, "rss_processing_enabled": True})
    expected["rss_processing_enabled"] = False
    deadline = time.monotonic() + 10
    while not listening(new_port) or listening(old_port):
        assert time.monotonic() < deadline, "the listen port did not change"
        time.sleep(0.1)
    preferences = api.app_preferences()
    assert {key: preferences[key] for key in expected} == expected
    assert engine.call("GET", "/transfer")["limits"]["download_limit"] == 2048  # one truth
    engine.restart()
    preferences = client(engine).app_preferences()
    assert {key: preferences[key] for key in expected} == expected
    # the add-on option changed since: it wins over the API's value
    (engine.data_dir / "options.json").write_text(json.dumps({"max_active_downloads": 4}))
    engine.restart()
    preferences = client(engine).app_preferences()
    assert (preferences["max_active_downloads"], preferences["listen_port"]) == (4, new_port)


def test_a_torrent_added_again_shows_its_new_options(
    tmp_path: Path, torrent_engine: EngineProcess
) -> None:
    made = make_torrent(tmp_path, "Again", {"a.bin": 40_000, "b.bin": 1_000})
    api = client(torrent_engine)
    api.torrents_create_category(name="first")
    api.torrents_create_category(name="second")
    for category, limit in (("first", 1024), ("second", 2048)):
        assert (
            api.torrents_add(
                torrent_files=made.data, category=category, download_limit=limit, is_stopped=True
            )
            == "Ok."
        )
        [item] = api.torrents_info()
        assert (item.category, item.dl_limit) == (category, limit)
        api.torrents_delete(delete_files=True, torrent_hashes=made.info_hash)
