"""Setup, entities, pushed updates, outages and unload against the real engine."""

from __future__ import annotations

import logging
import os
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest
from aiohttp import web
from homeassistant.config_entries import SOURCE_REAUTH, ConfigEntryState
from homeassistant.const import CONF_TOKEN, CONF_URL, STATE_OFF, STATE_ON, STATE_UNAVAILABLE
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.event import async_track_state_change_event
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.haul import api
from custom_components.haul.const import DOMAIN
from tests.integration.conftest import entry_for, load, wait_for
from tests.integration.test_api import EVENT, SUBSCRIBED, lying_engine, subscribe
from tests.support.programs import free_port

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.support.engine import EngineProcess

GIB = 2**30
STATUS = "sensor.haul_status"
UPTIME = "sensor.haul_uptime"
FREE = "sensor.haul_free_space"
CONNECTED = "binary_sensor.haul_connected"
SYSTEM = {"kind": "system", "id": None, "revision": 10**9}  # newer than any snapshot


def state(hass: HomeAssistant, entity_id: str) -> str:
    """The entity's current state."""
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


def system(engine: EngineProcess) -> dict[str, Any]:
    """The engine's status, read directly."""
    status, body = engine.request("GET", "/api/v1/system")
    assert status == 200
    return dict(body)


async def test_entities_and_device(
    hass: HomeAssistant, engine: EngineProcess, loaded_entry: MockConfigEntry
) -> None:
    assert loaded_entry.state is ConfigEntryState.LOADED
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, loaded_entry.unique_id or ""), loaded_entry.entry_id
    )
    assert device is not None
    assert (device.name, device.manufacturer, device.sw_version) == ("Haul", "Haul", "0.1.0")
    assert device.configuration_url == engine.url

    entities = er.async_entries_for_config_entry(er.async_get(hass), loaded_entry.entry_id)
    system_entities = {
        entity.entity_id: entity
        for entity in entities
        if entity.entity_id in {STATUS, UPTIME, FREE, CONNECTED}
    }
    assert len(system_entities) == 4
    assert {entity.device_id for entity in system_entities.values()} == {device.id}
    assert {entity.unique_id for entity in system_entities.values()} == {
        f"{loaded_entry.unique_id}_{key}" for key in ("status", "uptime", "disk_free", "connected")
    }

    engine_status = system(engine)
    assert state(hass, STATUS) == "ok"
    assert state(hass, CONNECTED) == STATE_ON
    started_at = datetime.fromisoformat(str(engine_status["started_at"]))
    assert datetime.fromisoformat(state(hass, UPTIME)) == started_at.replace(microsecond=0)
    free = hass.states.get(FREE)
    assert free is not None
    assert free.attributes["unit_of_measurement"] == "GiB"
    assert free.attributes["device_class"] == "data_size"
    assert float(free.state) == pytest.approx(int(engine_status["disk_free_bytes"]) / GIB, abs=0.5)


async def test_free_space_is_pushed(
    hass: HomeAssistant, engine: EngineProcess, loaded_entry: MockConfigEntry
) -> None:
    before = float(state(hass, FREE))
    big_file = engine.data_dir / "downloads" / "big.bin"
    descriptor = os.open(big_file, os.O_WRONLY | os.O_CREAT)
    try:
        os.posix_fallocate(descriptor, 0, 3 * GIB)
        await wait_for(lambda: float(state(hass, FREE)) < before - 2)
    finally:
        os.close(descriptor)
        big_file.unlink()
    await wait_for(lambda: float(state(hass, FREE)) > before - 1)


async def test_engine_outage_and_return(
    hass: HomeAssistant, own_engine: EngineProcess, caplog: pytest.LogCaptureFixture
) -> None:
    engine = own_engine
    loaded_entry = await load(hass, entry_for(engine))
    started = state(hass, UPTIME)
    caplog.set_level(logging.INFO, logger="custom_components.haul")
    coordinator = loaded_entry.runtime_data.coordinator
    devices = dr.async_get(hass)
    device = devices.async_get_device_by_identifier(
        (DOMAIN, loaded_entry.unique_id or ""), loaded_entry.entry_id
    )
    assert device is not None
    # Pretend the engine was older before this restart, to see the upgrade reach the device.
    coordinator.data = replace(
        coordinator.data, info=replace(coordinator.data.info, version="0.0.9")
    )
    devices.async_update_device(device.id, sw_version="0.0.9")

    await hass.async_add_executor_job(engine.stop)
    await wait_for(lambda: state(hass, CONNECTED) == STATE_OFF)
    for entity_id in (STATUS, UPTIME, FREE):
        assert state(hass, entity_id) == STATE_UNAVAILABLE

    await hass.async_add_executor_job(engine.start)
    await wait_for(lambda: state(hass, CONNECTED) == STATE_ON)
    assert state(hass, STATUS) == "ok"
    assert state(hass, UPTIME) > started
    assert caplog.text.count("Error requesting Haul engine") == 1
    assert caplog.text.count("is back") == 1
    assert loaded_entry.state is ConfigEntryState.LOADED
    assert devices.async_get(device.id).sw_version == "0.1.0"  # type: ignore[union-attr]


async def test_an_engine_sending_what_haul_cannot_use_is_followed_again(
    hass: HomeAssistant, engine: EngineProcess, caplog: pytest.LogCaptureFixture
) -> None:
    """A heartbeat without the engine's status ends that subscription, never the event task."""
    caplog.set_level(logging.INFO, logger="custom_components.haul")
    status = await hass.async_add_executor_job(system, engine)
    heartbeats = [{"status": "ok"}, status]  # the first lies: most of the status is missing

    async def events(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        data = heartbeats.pop(0) if heartbeats else status
        heartbeat = {"event": "system_heartbeat", "data": data, "object": SYSTEM}
        await subscribe(socket, SUBSCRIBED, EVENT | heartbeat)
        async for _message in socket:  # until Home Assistant leaves
            pass
        return socket

    async def rest(request: web.Request) -> web.Response:
        """The engine's own answers (only its WebSocket lies)."""
        token = {"Authorization": request.headers["Authorization"]}
        async with session.get(engine.url + request.path_qs, headers=token) as answer:
            return web.Response(status=answer.status, body=await answer.read(),
                                content_type=answer.content_type)  # fmt: skip

    connected: list[str] = []
    async_track_state_change_event(
        hass, CONNECTED, lambda event: connected.append(event.data["new_state"].state)
    )
    async with (
        aiohttp.ClientSession() as session,
        lying_engine({"/api/v1/ws": events, "/{path:.*}": rest}) as url,
    ):
        entry = entry_for(engine)
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_URL: url})
        await load(hass, entry)
        await wait_for(lambda: len(connected) >= 3)
        assert connected == [STATE_ON, STATE_OFF, STATE_ON]
        assert caplog.text.count("Unexpected answer from the Haul engine") == 1
        assert caplog.text.count("is back") == 1
        assert await hass.config_entries.async_unload(entry.entry_id)


async def test_new_token_while_running_asks_for_reauth(
    hass: HomeAssistant, own_engine: EngineProcess
) -> None:
    engine = own_engine
    loaded_entry = await load(hass, entry_for(engine))
    await hass.async_add_executor_job(engine.stop)
    (engine.data_dir / "secrets.json").unlink()
    await hass.async_add_executor_job(engine.start)
    await wait_for(lambda: any(loaded_entry.async_get_active_flows(hass, {SOURCE_REAUTH})))
    assert state(hass, CONNECTED) == STATE_OFF


async def test_setup_with_a_refused_token_asks_for_reauth(
    hass: HomeAssistant, config_entry: MockConfigEntry
) -> None:
    config_entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(
        config_entry, data={**config_entry.data, CONF_TOKEN: "wrong"}
    )
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_ERROR
    assert any(config_entry.async_get_active_flows(hass, {SOURCE_REAUTH}))


async def test_setup_retries_while_the_engine_is_down(hass: HomeAssistant) -> None:
    config_entry = MockConfigEntry(
        domain=DOMAIN, data={CONF_URL: f"http://127.0.0.1:{free_port()}", CONF_TOKEN: "token"}
    )
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_retries_with_an_incompatible_engine(
    hass: HomeAssistant, config_entry: MockConfigEntry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "SCHEMA_VERSION", 99)
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "needs 99" in str(config_entry.reason)


async def test_setup_retries_with_another_engine_at_the_url(
    hass: HomeAssistant, engine: EngineProcess
) -> None:
    config_entry = MockConfigEntry(
        domain=DOMAIN,
        unique_id="an-engine-whose-data-was-replaced",
        data={CONF_URL: engine.url, CONF_TOKEN: engine.token},
    )
    config_entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY
    assert "another Haul engine" in str(config_entry.reason)


async def test_unload(hass: HomeAssistant, loaded_entry: MockConfigEntry) -> None:
    assert await hass.config_entries.async_unload(loaded_entry.entry_id)
    await hass.async_block_till_done()
    assert loaded_entry.state is ConfigEntryState.NOT_LOADED
    assert not loaded_entry._background_tasks
    assert state(hass, CONNECTED) == STATE_UNAVAILABLE


async def test_diagnostics_redact_the_token(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    engine: EngineProcess,
    loaded_entry: MockConfigEntry,
) -> None:
    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, loaded_entry)
    assert diagnostics["entry"]["data"] == {"url": engine.url, "token": "**REDACTED**"}
    assert engine.token not in str(diagnostics)
    assert diagnostics["connected"] is True
    assert diagnostics["data"]["info"]["server_id"] == loaded_entry.unique_id
    assert diagnostics["data"]["system"]["status"] == "ok"
