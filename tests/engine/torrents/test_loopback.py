"""Real bytes on loopback: qbittorrent-nox seeds to the engine, which seeds to another one."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from tests.support.peers import files_identical, make_torrent, wait_for_torrent

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

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
