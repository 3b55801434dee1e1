"""`GET /api/v2/torrents/info` latency with 1,000 torrents, engine vs qbittorrent-nox; idle RSS.

Run from the checkout: `.venv/bin/python -m tests.benchmarks.torrents_api [--torrents 1000]
[--calls 50] [--idle 100]`. Both get the same stopped single-file torrents (tiny hand-made .torrent
files, no data on disk), added through the qBittorrent WebAPI; each is then asked for the full list
`--calls` times over one logged-in HTTP session. Printed: median and p95 per call and the ratio
engine/qBittorrent (goal <= 0.5). Then the resident memory of an idle engine holding `--idle`
torrents, and of qbittorrent-nox with the same.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import secrets
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import requests

from tests.support.engine import EngineProcess
from tests.support.peers import QbittorrentPeer, bencode, engine_env

PASSWORD = engine_env()["HAUL_QBITTORRENT_PASSWORD"]


def tiny_torrents(count: int) -> list[bytes]:
    """Distinct single-file .torrent files, one piece each."""
    made = []
    for number in range(count):
        name = f"Show.S{number // 20 + 1:02d}E{number % 20 + 1:02d}.{secrets.token_hex(4)}.mkv"
        pieces = hashlib.sha1(secrets.token_bytes(8)).digest()  # noqa: S324 - BitTorrent v1 piece hash
        info = {"name": name, "piece length": 262144, "pieces": pieces, "length": 200_000}
        made.append(bencode({"info": info}))
    return made


def add_all(session: requests.Session, base: str, torrents: list[bytes]) -> None:
    """Add every torrent stopped, in batches of 100 per call."""
    for start in range(0, len(torrents), 100):
        batch = torrents[start : start + 100]
        files = [
            (f"torrent{start + index}", (f"{index}.torrent", data))
            for index, data in enumerate(batch)
        ]
        answer = session.post(
            f"{base}/torrents/add", files=files, data={"stopped": "true", "paused": "true"}
        )
        answer.raise_for_status()


def time_info(session: requests.Session, base: str, expected: int, calls: int) -> list[float]:
    """Seconds per full torrents/info call."""
    deadline = time.monotonic() + 60
    while len(session.get(f"{base}/torrents/info").json()) < expected:
        if time.monotonic() > deadline:
            message = "not every torrent was listed"
            raise RuntimeError(message)
        time.sleep(0.2)
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        session.get(f"{base}/torrents/info").raise_for_status()
        timings.append(time.perf_counter() - started)
    return timings


def rss_mib(pid: int) -> float:
    """Resident set size of a process in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def login(base: str, username: str, password: str) -> requests.Session:
    """A requests session holding the SID cookie."""
    session = requests.Session()
    answer = session.post(f"{base}/auth/login", data={"username": username, "password": password})
    if answer.text != "Ok.":
        message = f"login to {base} failed: {answer.text}"
        raise RuntimeError(message)
    return session


def describe(timings: list[float]) -> str:
    """Median and p95 in milliseconds."""
    ordered = sorted(timings)
    p95 = ordered[int(len(ordered) * 0.95) - 1]
    return f"median {statistics.median(ordered) * 1000:7.2f} ms, p95 {p95 * 1000:7.2f} ms"


def main() -> None:
    """Measure both and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torrents", type=int, default=1000)
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--idle", type=int, default=100)
    arguments = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="haul-bench-"))
    torrents = tiny_torrents(arguments.torrents)
    engine = EngineProcess(work / "engine", env=engine_env()).start()
    qbittorrent = QbittorrentPeer(work / "qbittorrent").start()
    try:
        engine_base, qbittorrent_base = f"{engine.url}/api/v2", f"{qbittorrent.url}/api/v2"
        engine_session = login(engine_base, "admin", PASSWORD)
        qbittorrent_session = login(qbittorrent_base, qbittorrent.username, qbittorrent.password)
        add_all(engine_session, engine_base, torrents)
        add_all(qbittorrent_session, qbittorrent_base, torrents)
        engine_times = time_info(engine_session, engine_base, len(torrents), arguments.calls)
        qbittorrent_times = time_info(
            qbittorrent_session, qbittorrent_base, len(torrents), arguments.calls
        )
        ratio = statistics.median(engine_times) / statistics.median(qbittorrent_times)
        print(f"torrents/info with {len(torrents)} torrents, {arguments.calls} calls each:")  # noqa: T201
        print(f"  engine          {describe(engine_times)}")  # noqa: T201
        print(f"  qbittorrent-nox {describe(qbittorrent_times)}")  # noqa: T201
        print(f"  ratio engine/qBittorrent (median) {ratio:.2f} (goal <= 0.5)")  # noqa: T201
    finally:
        engine.stop()
        qbittorrent.stop()

    idle = EngineProcess(work / "idle", env=engine_env()).start()
    peer = QbittorrentPeer(work / "qbittorrent-idle").start()
    try:
        session = login(f"{idle.url}/api/v2", "admin", PASSWORD)
        time.sleep(5)
        empty_rss = rss_mib(idle.process.pid if idle.process else os.getpid())
        add_all(session, f"{idle.url}/api/v2", torrents[: arguments.idle])
        peer_session = login(f"{peer.url}/api/v2", peer.username, peer.password)
        add_all(peer_session, f"{peer.url}/api/v2", torrents[: arguments.idle])
        time_info(session, f"{idle.url}/api/v2", arguments.idle, 1)
        time.sleep(5)
        engine_pid = idle.process.pid if idle.process else os.getpid()
        peer_pid = peer.process.pid if peer.process else os.getpid()
        print(  # noqa: T201
            f"idle RSS: engine {empty_rss:.1f} MiB empty, {rss_mib(engine_pid):.1f} MiB with "
            f"{arguments.idle} torrents; "
            f"qbittorrent-nox {rss_mib(peer_pid):.1f} MiB with {arguments.idle}"
        )
    finally:
        idle.stop()
        peer.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
