"""VPN binding: a veth pair between two network namespaces the test creates stands in for wg0.

The engine runs in one namespace, bound to its end `vpn0`; one seeder runs in the other namespace
behind it, another on the engine namespace's 127.0.0.1. Nothing may reach the loopback seeder
(every byte comes through vpn0), data must stop when the interface disappears and resume when it
returns. (tests/engine/vpn has the engine's own WireGuard tunnel and its kill switch.)
"""

from __future__ import annotations

import os
import time
from functools import partial
from typing import TYPE_CHECKING

import pytest

from tests.support.netns import Namespace, veth
from tests.support.peers import QbittorrentPeer, engine_env, make_torrent, wait_for_torrent

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.support.engine import EngineProcess

SUBNET = f"10.{200 + os.getpid() % 50}.{os.getpid() % 250}"
ENGINE_ADDRESS, SEEDER_ADDRESS = f"{SUBNET}.1", f"{SUBNET}.2"


class Tunnel:
    """The engine's namespace and the far one, linked (or not) by `vpn0`."""

    def __init__(self) -> None:
        """Create both namespaces, unlinked."""
        self.engine = Namespace("engine")
        self.far = Namespace("far")

    def connect(self) -> None:
        """Create (or re-create) the pair and address both ends."""
        veth(self.engine, self.far, "vpn0")
        self.engine.ip("addr", "add", f"{ENGINE_ADDRESS}/30", "dev", "vpn0")
        self.far.ip("addr", "add", f"{SEEDER_ADDRESS}/30", "dev", "vpn0")

    def disconnect(self) -> None:
        """Delete the pair, like a VPN going down."""
        self.engine.ip("link", "del", "vpn0")

    def remove(self) -> None:
        self.engine.remove()
        self.far.remove()


@pytest.fixture
def tunnel() -> Iterator[Tunnel]:
    made = Tunnel()
    try:
        made.connect()
        yield made
    finally:
        made.remove()


def test_traffic_uses_only_the_vpn_interface_and_follows_it(
    tmp_path: Path, tunnel: Tunnel, engine_factory: Callable[..., EngineProcess]
) -> None:
    torrent = make_torrent(
        tmp_path / "source", "Tunnel.S01", {"E01.mkv": 5 * 1024 * 1024, "E02.mkv": 3 * 1024 * 1024}
    )
    inside = QbittorrentPeer(
        tmp_path / "inside", host=SEEDER_ADDRESS, interface="vpn0", netns=tunnel.far.name
    )
    outside = QbittorrentPeer(tmp_path / "outside")  # on the engine's namespace's loopback
    try:
        inside.start_seeding(
            torrent
        )  # its WebUI is out of the tests' reach (loopback only): no API
        tunnel.engine.run(outside.start)
        tunnel.engine.run(outside.seed, torrent)
        engine = engine_factory(
            netns=tunnel.engine,
            env=engine_env(HAUL_VPN_INTERFACE="vpn0", HAUL_DOWNLOAD_LIMIT="1024"),
        ).start()
        assert engine.request("GET", "/api/v1/system")[1]["problems"] == []
        assert (
            engine.request("POST", "/api/v1/torrents", {"torrent_base64": torrent.base64})[0] == 200
        )
        peers = [f"{SEEDER_ADDRESS}:{inside.listen_port}", f"127.0.0.1:{outside.listen_port}"]
        assert (
            engine.request("POST", f"/api/v1/torrents/{torrent.info_hash}/peers", {"peers": peers})[
                0
            ]
            == 200
        )
        wait_for_torrent(engine, torrent.info_hash, lambda item: item["progress"] > 0.15)

        tunnel.disconnect()
        deadline = time.monotonic() + 10
        while not engine.request("GET", "/api/v1/system")[1]["problems"]:
            assert time.monotonic() < deadline, (
                "the engine did not notice the VPN interface going away"
            )
            time.sleep(0.2)
        system = engine.request("GET", "/api/v1/system")[1]
        assert "VPN interface" in system["problems"][0]
        assert system["status"] == "degraded"
        assert "is gone: every torrent is paused" in engine.log
        frozen = wait_for_torrent(
            engine, torrent.info_hash, lambda item: item["download_rate"] == 0
        )["progress"]
        time.sleep(2)
        assert wait_for_torrent(engine, torrent.info_hash, lambda _item: True)["progress"] == frozen
        assert frozen < 1.0

        tunnel.connect()
        inside.stop()  # qbittorrent-nox does not listen again on a returning interface: restart it
        inside.start_seeding(torrent)
        deadline = time.monotonic() + 10
        while engine.request("GET", "/api/v1/system")[1]["problems"]:
            assert time.monotonic() < deadline, (
                "the engine did not notice the VPN interface coming back"
            )
            time.sleep(0.2)
        engine.request("POST", f"/api/v1/torrents/{torrent.info_hash}/peers", {"peers": peers})
        wait_for_torrent(
            engine, torrent.info_hash, lambda item: item["progress"] == 1.0, timeout=60
        )
        listed = tunnel.engine.run(
            partial(outside.api.torrents_info, torrent_hashes=torrent.info_hash)
        )
        assert listed[0].uploaded == 0
    finally:
        inside.stop()
        outside.stop()


def test_missing_vpn_interface_at_start_moves_nothing(
    tmp_path: Path,
    engine_factory: Callable[..., EngineProcess],
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    torrent = make_torrent(tmp_path / "source", "Nowhere.mkv", {"Nowhere.mkv": 2 * 1024 * 1024})
    seeder = qbittorrent_factory("seeder")
    seeder.seed(torrent)
    engine = engine_factory(env=engine_env(HAUL_VPN_INTERFACE="hvmissing0")).start()
    system = engine.request("GET", "/api/v1/system")[1]
    assert system["status"] == "degraded"
    assert "hvmissing0 is down" in system["problems"][0]
    assert engine.request("POST", "/api/v1/torrents", {"torrent_base64": torrent.base64})[0] == 200
    peers = {"peers": [f"127.0.0.1:{seeder.listen_port}"]}
    assert engine.request("POST", f"/api/v1/torrents/{torrent.info_hash}/peers", peers)[0] == 200
    time.sleep(3)
    assert wait_for_torrent(engine, torrent.info_hash, lambda _item: True)["progress"] == 0
    assert seeder.api.torrents_info(torrent_hashes=torrent.info_hash)[0].uploaded == 0
