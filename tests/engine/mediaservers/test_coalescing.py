"""Refreshes of one import asked for by several parts of Haul reach each server once.

The controller on its own (a stand-in engine: the HTTP session, the event bus and the health
store), talking to the Jellyfin, Emby and Plex fakes, which count the scans they are sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import pytest

from haul_engine.connectors.kinds import ConnectorConfig
from haul_engine.db.values import utcnow
from haul_engine.mediaservers import controller as module
from haul_engine.mediaservers.controller import MediaServersController
from haul_engine.mediaservers.kinds import MediaServerSettings
from tests.engine.mediaservers.helpers import SHOWS, kind_of

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from haul_engine.engine import Engine
    from tests.fakes.mediaservers import FakeJellyfin, FakeMediaServer, FakePlex

SEASON = f"{SHOWS}/Severance/Season 02"
EPISODE = f"{SEASON}/Severance - S02E01 - Hello, Ms. Cobel.mkv"


class StandIn:
    """What the controller uses of the engine: the HTTP session, events, health."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self.http = SimpleNamespace(session=session)
        self.published: list[tuple[str, dict[str, Any]]] = []
        self.events = SimpleNamespace(
            publish=lambda name, data: self.published.append((name, data))
        )
        self.connectors = SimpleNamespace(set_health=self._set_health)

    async def _set_health(self, *_args: object) -> None:
        return None


@dataclass
class Servers:
    """The controller under test, its stand-in engine, and the three fakes it refreshes."""

    controller: MediaServersController
    engine: StandIn
    jellyfin: FakeJellyfin
    emby: FakeJellyfin
    plex: FakePlex

    def scans(self) -> dict[str, int]:
        """Scans each server was sent: targeted and full."""

        def count(fake: FakeMediaServer, method: str, *paths: str) -> int:
            return sum(len(fake.calls(method, path)) for path in paths)

        jellyfin = ("/Library/Media/Updated", "/Library/Refresh")
        return {
            "jellyfin": count(self.jellyfin, "POST", *jellyfin),
            "emby": count(self.emby, "POST", *jellyfin),
            "plex": count(self.plex, "GET", *(f"/library/sections/{k}/refresh" for k in "12")),
        }


@pytest.fixture
async def servers(
    jellyfin: FakeJellyfin, emby: FakeJellyfin, plex: FakePlex
) -> AsyncIterator[Servers]:
    async with aiohttp.ClientSession() as session:
        engine = StandIn(session)
        controller = MediaServersController(cast("Engine", engine))
        for fake in (jellyfin, emby, plex):
            kind = kind_of(fake)
            controller.servers[kind] = ConnectorConfig(
                id=kind, kind=kind, name=kind.title(), url=fake.url, api_key=fake.api_key,
                settings=MediaServerSettings(),
            )  # fmt: skip
        yield Servers(controller, engine, jellyfin, emby, plex)
        await controller.close()


async def test_the_webhook_s_scan_stands_for_the_request_gate_s_refresh_of_the_same_import(
    servers: Servers,
) -> None:
    controller = servers.controller
    imported_at = utcnow() - timedelta(seconds=1)  # the *arr's history: just before its webhook
    webhook = await controller.refresh(SEASON, utcnow())
    assert [(o.kind, o.mode, o.ok) for o in webhook] == [
        ("jellyfin", "targeted", True), ("emby", "targeted", True), ("plex", "targeted", True),
    ]  # fmt: skip
    gate = await controller.refresh(SEASON, imported_at)
    episode = await controller.refresh(EPISODE, imported_at)  # a file of that folder too
    assert gate == webhook
    assert episode == webhook
    assert servers.scans() == {"jellyfin": 1, "emby": 1, "plex": 1}
    assert len(servers.engine.published) == 3  # media_server_refreshed once per scan sent


async def test_refreshes_asked_at_once_join_one_scan(
    servers: Servers,
) -> None:
    controller = servers.controller
    since = utcnow()
    first, second, third = await asyncio.gather(
        controller.refresh(SEASON, since),
        controller.refresh(EPISODE, since),
        controller.refresh(f"{SEASON}/", since),
    )
    assert first == second == third
    assert servers.scans() == {"jellyfin": 1, "emby": 1, "plex": 1}


async def test_every_import_still_gets_a_scan_that_sees_it(
    servers: Servers,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    controller = servers.controller
    await controller.refresh(SEASON, utcnow())
    # the next episode lands in the same folder after that scan began: scanned again
    await controller.refresh(SEASON, utcnow())
    assert servers.scans() == {"jellyfin": 2, "emby": 2, "plex": 2}
    # a season's scan does not stand for its series' folder
    series = SEASON.rsplit("/", 1)[0]
    await controller.refresh(series, utcnow() - timedelta(seconds=5))
    assert servers.scans() == {"jellyfin": 3, "emby": 3, "plex": 3}
    # nor for a folder whose name merely begins the same
    await controller.refresh(f"{series} (2022)", utcnow() - timedelta(seconds=5))
    assert servers.scans() == {"jellyfin": 4, "emby": 4, "plex": 4}
    # and a scan stands for others only for COALESCE_SECONDS
    monkeypatch.setattr(module, "COALESCE_SECONDS", 0.0)
    await controller.refresh(SEASON, utcnow() - timedelta(seconds=5))
    assert servers.scans() == {"jellyfin": 5, "emby": 5, "plex": 5}
    # without a time (POST /api/v1/mediaservers/refresh): now, so always a scan
    monkeypatch.setattr(module, "COALESCE_SECONDS", 30.0)
    await controller.refresh(SEASON)
    await controller.refresh(SEASON)
    assert servers.scans() == {"jellyfin": 7, "emby": 7, "plex": 7}


async def test_a_failed_scan_stands_for_nothing(
    servers: Servers,
) -> None:
    controller = servers.controller
    since = utcnow()
    servers.jellyfin.fail["/Library/Media/Updated"] = 401  # the key refused: no scan at all
    servers.emby.fail["/Library/Media/Updated"] = 500  # a full scan instead
    outcomes = {o.kind: o for o in await controller.refresh(SEASON, since)}
    assert (outcomes["jellyfin"].mode, outcomes["jellyfin"].ok) == ("none", False)
    assert (outcomes["emby"].mode, outcomes["emby"].ok) == ("full", True)

    servers.jellyfin.fail.clear()
    again = {o.kind: o for o in await controller.refresh(EPISODE, since)}
    assert again["jellyfin"].mode == "targeted"  # tried again, now it works
    assert again["emby"] == outcomes["emby"]  # its fallback scanned it
    assert again["plex"] == outcomes["plex"]
    assert servers.scans() == {"jellyfin": 2, "emby": 2, "plex": 1}
    assert len(servers.jellyfin.calls("POST", "/Library/Refresh")) == 0
    assert len(servers.emby.calls("POST", "/Library/Refresh")) == 1
