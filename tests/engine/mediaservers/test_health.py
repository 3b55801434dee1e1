"""Media servers are checked again regularly, so their health and the engine's problems recover."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

from haul_engine.connectors.kinds import ConnectorConfig
from haul_engine.http import Http
from haul_engine.mediaservers import controller as module
from haul_engine.mediaservers.controller import MediaServersController
from haul_engine.mediaservers.kinds import MediaServerSettings

if TYPE_CHECKING:
    import pytest

    from haul_engine.engine import Engine
    from tests.fakes.mediaservers import FakeJellyfin

LATER_KEY = "key-the-admin-sets-later-7c1d"


async def test_servers_are_checked_until_they_recover(
    monkeypatch: pytest.MonkeyPatch, jellyfin: FakeJellyfin
) -> None:
    monkeypatch.setattr(module, "CHECK_INTERVAL", 0.1)
    config = ConnectorConfig(
        id="j1", kind="jellyfin", name="Den", url=jellyfin.url, api_key=LATER_KEY,
        settings=MediaServerSettings(),
    )  # fmt: skip
    seen: asyncio.Queue[tuple[str, str, str | None]] = asyncio.Queue()
    refused = ("j1", "unhealthy", "Den: Jellyfin refused the API key (HTTP 401)")

    async def attach(owner: MediaServersController, _kinds: object) -> None:
        await owner.connector_saved(config)

    async def set_health(connector_id: str, health: str, error: str | None) -> None:
        seen.put_nowait((connector_id, health, error))

    http = Http()
    await http.setup()
    engine = SimpleNamespace(
        connectors=SimpleNamespace(attach=attach, set_health=set_health), http=http
    )
    controller = MediaServersController(cast("Engine", engine))
    await controller.setup()
    try:
        async with asyncio.timeout(5):
            assert await seen.get() == refused  # the check on saving
            assert controller.problems() == [f"media server {refused[2]}"]
            assert await seen.get() == refused  # a regular check
            jellyfin.api_key = LATER_KEY
            while (found := await seen.get()) == refused:
                pass
        assert found == ("j1", "healthy", None)
        assert controller.problems() == []
    finally:
        await controller.close()
        await http.close()
    assert len(jellyfin.calls("GET", "/System/Info")) >= 3
