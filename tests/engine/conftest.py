"""Fixtures of the tests that move torrents (client and qBittorrent API): qbittorrent-nox peers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.support.peers import QbittorrentPeer, engine_env

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.support.engine import EngineProcess


@pytest.fixture
def qbittorrent_factory(tmp_path: Path) -> Iterator[Callable[[str], QbittorrentPeer]]:
    """Start qbittorrent-nox peers on fresh profiles."""
    peers: list[QbittorrentPeer] = []

    def make(name: str) -> QbittorrentPeer:
        peer = QbittorrentPeer(tmp_path / name)
        peers.append(peer)
        return peer.start()

    yield make
    for peer in peers:
        peer.stop()


@pytest.fixture
def torrent_engine(engine_factory: Callable[..., EngineProcess]) -> EngineProcess:
    """A running engine set up for loopback swarms."""
    return engine_factory(env=engine_env()).start()
