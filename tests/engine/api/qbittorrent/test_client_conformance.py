"""Conformance gates: real qBittorrent client libraries' own tests and calls against the engine."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.conformance import SuiteResult, ctrl_qbittorrent_package, qbittorrent_api_sdist
from tests.support.peers import engine_env, make_torrent
from tests.support.programs import IN_CI, require_program, require_root

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.support.engine import EngineProcess
    from tests.support.peers import QbittorrentPeer

REPOSITORY = Path(__file__).parents[4]
PASSWORD = engine_env()["HAUL_QBITTORRENT_PASSWORD"]


@pytest.fixture
def loopback_namespace() -> Iterator[str]:
    """A network namespace with nothing but loopback (no byte can leave the machine)."""
    require_root("a network namespace keeps the suite's traffic on loopback")
    ip = require_program("ip")
    name = f"haul-qbt-{os.getpid()}"
    subprocess.run([ip, "netns", "add", name], check=True)
    try:
        subprocess.run([ip, "-n", name, "link", "set", "lo", "up"], check=True)
        yield name
    finally:
        subprocess.run([ip, "netns", "delete", name], check=False)


def test_qbittorrent_api_own_suite(tmp_path: Path, loopback_namespace: str) -> None:
    sdist = fetched(qbittorrent_api_sdist, "the qbittorrent-api sdist from PyPI")
    work = tmp_path / "suite"
    work.mkdir()
    report = work / "report.xml"
    run = subprocess.run(
        ["ip", "netns", "exec", loopback_namespace, sys.executable, "-m",
         "tests.support.qbittorrent_api_suite", str(sdist), str(work), str(report)],
        cwd=REPOSITORY, capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert report.exists(), run.stdout[-4000:] + run.stderr[-4000:]
    result = SuiteResult.read(report)
    print(result.summary())  # noqa: T201 - the figures are the point
    assert not result.failed, result.summary()
    assert len(result.passed) > 900, result.summary()
    logged = (work / "engine-engine.log").read_text()
    assert " ERROR " not in logged, logged[-4000:]  # nothing failed out of sight either


def fetched(fetch: Callable[[], Path], what: str) -> Path:
    """Fetch a client into the cache; skip locally (fail in CI) when its registry is away."""
    try:
        return fetch()
    except (subprocess.CalledProcessError, FileNotFoundError) as err:
        message = f"cannot fetch {what}: {err}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)  # only locally: under CI=true the test has failed above


def test_ctrl_qbittorrent_calls(
    tmp_path: Path,
    torrent_engine: EngineProcess,
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    node = require_program("node")
    package = fetched(ctrl_qbittorrent_package, "@ctrl/qbittorrent from npm")
    made = make_torrent(tmp_path / "made", "Show.S01", {"E01.mkv": 300_000, "E02.mkv": 200_000})
    seeder = qbittorrent_factory("seeder")
    seeder.seed(made)
    magnet = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Waiting"
    script = package / "ctrl_qbittorrent.mjs"
    shutil.copyfile(REPOSITORY / "tests" / "support" / "ctrl_qbittorrent.mjs", script)
    location = torrent_engine.data_dir / "downloads" / "moved"
    config = {
        "baseUrl": torrent_engine.url,
        "username": "admin",
        "password": PASSWORD,
        "torrentFile": str(made.parent / "show.torrent"),
        "hash": made.info_hash,
        "files": len(made.files),
        "magnet": magnet,
        "magnetHash": "ab" * 20,
        "downloads": str(torrent_engine.data_dir / "downloads"),
        "location": str(location),
    }
    (made.parent / "show.torrent").write_bytes(made.data)
    (tmp_path / "config.json").write_text(json.dumps(config))
    engine_peer = f"127.0.0.1:{torrent_engine.env['HAUL_LISTEN_PORT']}"
    with subprocess.Popen(
        [node, str(script), str(tmp_path / "config.json")], stdout=subprocess.PIPE, text=True
    ) as running:
        while running.poll() is None:  # the seeder keeps offering itself (no tracker, no DHT)
            seeder.api.torrents_add_peers(peers=[engine_peer], torrent_hashes=made.info_hash)
            time.sleep(0.5)
        stdout = running.stdout.read() if running.stdout else ""
    calls = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    print(f"@ctrl/qbittorrent: {sum(c['ok'] for c in calls)} of {len(calls)} calls work")  # noqa: T201
    for call in calls:
        print(f"  {'ok    ' if call['ok'] else 'FAILED'} {call['call']} {call.get('error', '')}")  # noqa: T201
    assert len(calls) > 50, stdout
    assert all(call["ok"] for call in calls), stdout
