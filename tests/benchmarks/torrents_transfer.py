"""Download rate on loopback: the engine vs qbittorrent-nox, each leeching from one seeder.

Run from the checkout: `.venv/bin/python -m tests.benchmarks.torrents_transfer [--mib 256]
[--rounds 2]`. A qbittorrent-nox seeds a random multi-file torrent; then, one after the other (so
they never share the seeder's upload), the engine and a second qbittorrent-nox download it,
connected to the seeder by hand (TCP, no DHT/LSD/PeX). Rounds alternate who goes first. Printed:
MB/s of each and the ratio engine/qBittorrent (goal >= 1.0).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from tests.support.engine import EngineProcess
from tests.support.peers import MadeTorrent, QbittorrentPeer, engine_env, make_torrent

POLL_SECONDS = 0.02


def engine_download(folder: Path, torrent: MadeTorrent, seeder: QbittorrentPeer) -> float:
    """Seconds the engine needs from connecting to the seeder to having every byte."""
    engine = EngineProcess(folder, env=engine_env()).start()
    try:
        status, answer = engine.request(
            "POST", "/api/v1/torrents", {"torrent_base64": torrent.base64}
        )
        if status != 200:
            raise RuntimeError(answer)
        started = time.perf_counter()
        peers = {"peers": [f"127.0.0.1:{seeder.listen_port}"]}
        engine.request("POST", f"/api/v1/torrents/{torrent.info_hash}/peers", peers)
        while engine.request("GET", f"/api/v1/torrents/{torrent.info_hash}")[1]["progress"] < 1.0:
            time.sleep(POLL_SECONDS)
        return time.perf_counter() - started
    finally:
        engine.stop()


def qbittorrent_download(folder: Path, torrent: MadeTorrent, seeder: QbittorrentPeer) -> float:
    """Seconds a fresh qbittorrent-nox needs for the same download."""
    leecher = QbittorrentPeer(folder).start()
    try:
        leecher.api.torrents_add(torrent_files=torrent.data, save_path=str(leecher.downloads))
        leecher.wait_for(torrent.info_hash, lambda item: not item.state.startswith("checking"))
        started = time.perf_counter()
        leecher.api.torrents_add_peers(
            peers=[f"127.0.0.1:{seeder.listen_port}"], torrent_hashes=[torrent.info_hash]
        )
        leecher.wait_for(torrent.info_hash, lambda item: item.progress == 1.0, timeout=600)
        return time.perf_counter() - started
    finally:
        leecher.stop()


def main() -> None:
    """Run the rounds and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mib", type=int, default=256, help="torrent size in MiB")
    parser.add_argument("--rounds", type=int, default=2)
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="haul-bench-"))
    size = arguments.mib * 1024 * 1024
    files = {"Feature.mkv": size * 7 // 8, "Extras/Making.Of.mkv": size - size * 7 // 8 - 1000}
    files["Feature.nfo"] = 1000
    seeder = QbittorrentPeer(work / "seeder").start()
    try:
        torrent = make_torrent(work / "source", "Bench.Feature", files, piece_size=1024 * 1024)
        seeder.seed(torrent)
        engine_times, qbittorrent_times = [], []
        for round_number in range(arguments.rounds):
            runners = [("engine", engine_download), ("qbittorrent", qbittorrent_download)]
            if round_number % 2:
                runners.reverse()
            for name, runner in runners:
                folder = work / f"{name}-{round_number}"
                seconds = runner(folder, torrent, seeder)
                shutil.rmtree(folder, ignore_errors=True)
                (engine_times if name == "engine" else qbittorrent_times).append(seconds)
                print(f"round {round_number + 1} {name:12s} {size / seconds / 1e6:8.1f} MB/s")  # noqa: T201
        engine_rate = size / statistics.median(engine_times) / 1e6
        qbittorrent_rate = size / statistics.median(qbittorrent_times) / 1e6
        print(  # noqa: T201
            f"{arguments.mib} MiB, median of {arguments.rounds}: engine {engine_rate:.1f} MB/s, "
            f"qbittorrent-nox {qbittorrent_rate:.1f} MB/s, "
            f"ratio {engine_rate / qbittorrent_rate:.2f}"
        )
    finally:
        seeder.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
