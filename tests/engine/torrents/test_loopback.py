"""Real bytes on loopback: qbittorrent-nox seeds to the engine, which seeds to another one."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.peers import files_identical, make_torrent, wait_for_torrent, webapi_call

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.engine import EngineProcess
    from tests.support.peers import QbittorrentPeer

FILES = {
    "Show.S01E01.mkv": 6 * 1024 * 1024 + 12345,
    "Subs/Show.S01E01.en.srt": 70_000,
    "show.nfo": 900,
}


def test_engine_downloads_then_seeds_byte_identical(
    tmp_path: Path,
    torrent_engine: EngineProcess,
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    torrent = make_torrent(tmp_path / "source", "Show.S01", FILES)
    seeder = qbittorrent_factory("seeder")
    seeder.seed(torrent)

    status, added = torrent_engine.request(
        "POST",
        "/api/v1/torrents",
        {"torrent_base64": torrent.base64, "category": "tv", "request_id": "req-1"},
    )
    assert status == 200, added
    assert added["hash"] == torrent.info_hash
    assert added["request_id"] == "req-1"
    status, _ = torrent_engine.request(
        "POST",
        f"/api/v1/torrents/{torrent.info_hash}/peers",
        {"peers": [f"127.0.0.1:{seeder.listen_port}"]},
    )
    assert status == 200
    done = wait_for_torrent(torrent_engine, torrent.info_hash, lambda item: item["progress"] == 1.0)
    save_path = torrent_engine.data_dir / "downloads"
    assert done["content_path"] == str(save_path / "Show.S01")
    assert done["content_path"] != done["save_path"]
    assert files_identical(torrent.parent / "Show.S01", save_path / "Show.S01", FILES)
    seeding = wait_for_torrent(
        torrent_engine, torrent.info_hash, lambda item: item["completed_on"] is not None
    )
    assert seeding["state"] in {"stalledUP", "uploading", "queuedUP"}

    seeder.stop()  # from now on every byte comes from the engine
    leecher = qbittorrent_factory("leecher")
    leecher.leech(torrent, f"127.0.0.1:{torrent_engine.env['HAUL_LISTEN_PORT']}")
    # and from the engine's side too: one missed connection attempt must not stall the test
    to_leecher = {"peers": [f"127.0.0.1:{leecher.listen_port}"]}
    assert (
        torrent_engine.request("POST", f"/api/v1/torrents/{torrent.info_hash}/peers", to_leecher)[0]
        == 200
    )
    leecher.wait_for(torrent.info_hash, lambda item: item.progress == 1.0)
    assert files_identical(torrent.parent / "Show.S01", leecher.downloads / "Show.S01", FILES)
    uploaded = wait_for_torrent(
        torrent_engine, torrent.info_hash, lambda item: item["uploaded"] >= sum(FILES.values())
    )
    assert uploaded["ratio"] >= 1.0


def test_alternative_limit_applies_to_local_peers(
    tmp_path: Path,
    torrent_engine: EngineProcess,
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    torrent = make_torrent(tmp_path / "source", "Slow.mkv", {"Slow.mkv": 3 * 1024 * 1024})
    seeder = qbittorrent_factory("seeder")
    seeder.seed(torrent)
    limits = {"alt_download_limit": 1024, "alt_mode": True}
    status, transfer = torrent_engine.request("PUT", "/api/v1/transfer", {"limits": limits})
    assert (status, transfer["alt_active"]) == (200, True)
    assert (
        torrent_engine.request("POST", "/api/v1/torrents", {"torrent_base64": torrent.base64})[0]
        == 200
    )
    started = time.monotonic()
    peers = {"peers": [f"127.0.0.1:{seeder.listen_port}"]}
    torrent_engine.request("POST", f"/api/v1/torrents/{torrent.info_hash}/peers", peers)
    wait_for_torrent(torrent_engine, torrent.info_hash, lambda item: item["progress"] == 1.0)
    elapsed = time.monotonic() - started
    # 3 MiB at 1 MiB/s; loopback alone takes milliseconds (libtorrent allows a short burst)
    assert elapsed >= 2.0, elapsed


def test_hybrid_magnet_by_truncated_v2_hash_keeps_its_status(
    tmp_path: Path,
    torrent_engine: EngineProcess,
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    """A magnet whose btih is a hybrid torrent's v2 hash cut to 40 characters (as qBittorrent
    names such torrents) is followed through metadata to completion under that hash."""
    files = {"a.mkv": 600_000, "b.srt": 30_000}
    torrent = make_torrent(tmp_path / "source", "Hybrid.Show", files, hybrid=True)
    seeder = qbittorrent_factory("seeder")
    seeder.seed(torrent)
    truncated = torrent.v2_hash[:40]
    magnet = f"magnet:?xt=urn:btih:{truncated}&dn=Hybrid.Show"
    status, added = torrent_engine.request("POST", "/api/v1/torrents", {"magnet": magnet})
    assert (status, added["hash"], added["state"]) == (200, truncated, "metaDL")
    peers = {"peers": [f"127.0.0.1:{seeder.listen_port}"]}
    assert torrent_engine.request("POST", f"/api/v1/torrents/{truncated}/peers", peers)[0] == 200
    # the list shows the statuses libtorrent sends (a single GET asks the session afresh)
    deadline = time.monotonic() + 60
    while (done := torrent_engine.call("GET", "/torrents")[0])["progress"] < 1.0:
        assert time.monotonic() < deadline, done
        time.sleep(0.2)
    assert done["hash"] == truncated
    assert done["state"] in {"uploading", "stalledUP", "queuedUP"}
    assert done["name"] == "Hybrid.Show"
    assert files_identical(torrent.parent / "Hybrid.Show", Path(done["content_path"]), files)
    for spelling in (torrent.info_hash, torrent.v2_hash, truncated):  # every name finds it
        status, found = torrent_engine.request("GET", f"/api/v1/torrents/{spelling}")
        assert (status, found["hash"], found["progress"]) == (200, truncated, 1.0)
    auth = {"Authorization": f"Bearer {torrent_engine.token}"}
    [item] = json.loads(webapi_call(torrent_engine, "GET", "torrents/info", **auth)[1])
    assert (item["infohash_v1"], item["infohash_v2"]) == (torrent.info_hash, torrent.v2_hash)
    # libtorrent's pad files (a hybrid torrent has them) are not files of the torrent
    listed = json.loads(
        webapi_call(torrent_engine, "GET", f"torrents/files?hash={truncated}", **auth)[1]
    )
    assert [entry["name"] for entry in listed] == ["Hybrid.Show/a.mkv", "Hybrid.Show/b.srt"]
    assert [entry["index"] for entry in listed] == [0, 1]
