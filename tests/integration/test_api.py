"""The API client on its own, against the real engine."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import TYPE_CHECKING

import aiohttp
import pytest

from custom_components.haul import api
from custom_components.haul.api import (
    HaulAuthError,
    HaulClient,
    HaulCommandError,
    HaulConnectionError,
    HaulIncompatibleError,
)
from tests.support.programs import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from tests.support.engine import EngineProcess


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def test_api_module_has_no_home_assistant_imports() -> None:
    tree = ast.parse(Path(api.__file__).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "api.py must not import the integration's HA modules"
            imported.add(node.module or "")
    assert "aiohttp" in imported
    assert not [name for name in imported if name.split(".")[0] == "homeassistant"]


async def test_info_and_system(engine: EngineProcess, session: aiohttp.ClientSession) -> None:
    client = HaulClient(engine.url + "/", engine.token, session)
    info = await client.info()
    assert info.compatible
    assert info.version == "0.1.0"
    assert "system" in info.features
    system = await client.system()
    assert system.status == "ok"
    assert system.disk_free_bytes > 0
    assert system.download_dir == str(engine.data_dir / "downloads")


async def test_typed_errors(engine: EngineProcess, session: aiohttp.ClientSession) -> None:
    with pytest.raises(HaulAuthError):
        await HaulClient(engine.url, "wrong", session).info()
    with pytest.raises(HaulConnectionError):
        await HaulClient(f"http://127.0.0.1:{free_port()}", engine.token, session).info()
    with pytest.raises(HaulCommandError) as missing:
        await HaulClient(engine.url, engine.token, session).request("GET", "/nothing-here")
    assert missing.value.code == "404"


async def test_incompatible_schema(
    engine: EngineProcess, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "SCHEMA_VERSION", 99)
    with pytest.raises(HaulIncompatibleError, match="needs 99"):
        await HaulClient(engine.url, engine.token, session).info()


async def test_event_stream(engine: EngineProcess, session: aiohttp.ClientSession) -> None:
    client = HaulClient(engine.url, engine.token, session)
    async with client.events() as stream:
        async for event in stream:
            assert event.name == "system_heartbeat"
            assert event.data["status"] == "ok"
            break
    with pytest.raises(HaulAuthError):
        async with HaulClient(engine.url, "wrong", session).events():
            pass
    with pytest.raises(HaulConnectionError):
        async with HaulClient(f"http://127.0.0.1:{free_port()}", "x", session).events():
            pass


async def test_event_stream_ends_when_the_engine_stops(
    own_engine: EngineProcess, session: aiohttp.ClientSession
) -> None:
    async with HaulClient(own_engine.url, own_engine.token, session).events() as stream:
        own_engine.stop()
        with pytest.raises(HaulConnectionError):
            async for _event in stream:
                pass
