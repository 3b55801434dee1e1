"""SIGKILL during downloads: every torrent comes back and finishes, little is fetched twice, and
data damaged by the crash is found and fetched again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.support.peers import engine_env, files_identical, make_torrent, wait_for_torrent

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess
    from tests.support.peers import MadeTorrent, QbittorrentPeer

LIMIT_KIBS = 4096
SEASON = {"E01.mkv": 9 * 1024 * 1024, "E02.mkv": 7 * 1024 * 1024 + 1, "E03.srt": 40_000}
MOVIE = {"Movie.mkv": 6 * 1024 * 1024}


def connect(engine: EngineProcess, torrents: list[MadeTorrent], seeder: QbittorrentPeer) -> None:
    for torrent in torrents:
        peers = {"peers": [f"127.0.0.1:{seeder.listen_port}"]}
        assert (
            engine.request("POST", f"/api/v1/torrents/{torrent.info_hash}/peers", peers)[0] == 200
        )


def test_sigkill_loses_no_torrent_and_refetches_little(
    tmp_path: Path,
    engine_factory: Callable[..., EngineProcess],
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    season = make_torrent(tmp_path / "source", "Show.S02", SEASON)
    movie = make_torrent(tmp_path / "source", "Movie.mkv", MOVIE)
    seeder = qbittorrent_factory("seeder")
    seeder.seed(season)
    seeder.seed(movie)
    engine = engine_factory(env=engine_env(HAUL_DOWNLOAD_LIMIT=str(LIMIT_KIBS))).start()
    added = engine.request(
        "POST", "/api/v1/torrents", {"torrent_base64": season.base64, "category": "tv"}
    )
    assert added[0] == 200
    added = engine.request(
        "POST", "/api/v1/torrents", {"magnet": movie.magnet, "request_id": "r-7"}
    )
    assert added[0] == 200
    torrents = [season, movie]
    connect(engine, torrents, seeder)

    lost = 0.0
    for threshold in (0.15, 0.4, 0.65):
        wait_for_torrent(
            engine, season.info_hash, lambda item, at=threshold: item["progress"] >= at
        )
        before = done_bytes(engine, torrents)
        engine.kill()
        if threshold == 0.4:  # a crash may leave a partial file damaged: it must be found and fixed
            with (engine.data_dir / "downloads" / "Show.S02" / "E01.mkv").open("r+b") as damaged:
                damaged.seek(1024 * 1024)
                damaged.write(b"\0" * 65536)
        engine.start()
        status, listed = engine.request("GET", "/api/v1/torrents")
        assert status == 200
        assert {item["hash"] for item in listed} == {season.info_hash, movie.info_hash}
        assert (
            next(item for item in listed if item["hash"] == movie.info_hash)["request_id"] == "r-7"
        )
        for torrent in torrents:
            wait_for_torrent(
                engine, torrent.info_hash, lambda item: not item["state"].startswith("checking")
            )
        lost += max(before - done_bytes(engine, torrents), 0)
        connect(engine, torrents, seeder)

    for torrent in torrents:
        wait_for_torrent(
            engine, torrent.info_hash, lambda item: item["progress"] == 1.0, timeout=90
        )
    downloads = engine.data_dir / "downloads"
    assert files_identical(season.parent / "Show.S02", downloads / "Show.S02", SEASON)
    assert files_identical(movie.parent, downloads, MOVIE)

    sent = sum(
        seeder.api.torrents_info(torrent_hashes=torrent.info_hash)[0].uploaded
        for torrent in torrents
    )
    size = sum(SEASON.values()) + sum(MOVIE.values())
    print(  # noqa: T201 - the figure this test measures
        f"\ncrash safety: 3 x SIGKILL on {size / 2**20:.1f} MiB: pieces lost and fetched again "
        f"{lost / 2**20:.2f} MiB ({100 * lost / size:.1f} %); "
        f"the seeder sent {sent / 2**20:.2f} MiB in all "
        "(bytes in flight in socket buffers at each kill included)"
    )
    assert lost < size * 0.15  # only what was in flight at each kill, and the damaged piece


def done_bytes(engine: EngineProcess, torrents: list[MadeTorrent]) -> float:
    """Bytes the engine has verified, over all torrents."""
    total = 0.0
    for torrent in torrents:
        status, item = engine.request("GET", f"/api/v1/torrents/{torrent.info_hash}")
        assert status == 200
        total += item["progress"] * item["size"]
    return total
