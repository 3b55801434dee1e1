"""Every change of the entry or its sub-entries reloads it once; HA reports nothing about it.

Home Assistant 2026 warns, and from 2026.12 refuses, when an entry that has an update listener is
reloaded by a flow helper as well: each change must reload through exactly one path.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
import pytest_socket
from homeassistant.config_entries import (
    SOURCE_HASSIO,
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
)
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN, CONF_URL
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers.service_info.hassio import HassioServiceInfo

from tests.fakes.torznab import API_KEY as TORZNAB_KEY
from tests.fakes.torznab import FakeTorznab
from tests.integration.conftest import entry_for, load, wait_for

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry

    from tests.support.engine import EngineProcess


@pytest.fixture(scope="module")
def torznab() -> Iterator[FakeTorznab]:
    """An indexer to add as a sub-entry."""
    pytest_socket.enable_socket()
    server = FakeTorznab()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def quiet(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """After the test: nothing logged about reloads, update listeners or deprecations."""
    caplog.set_level(logging.WARNING)
    yield
    said = [
        record.getMessage()
        for record in caplog.records
        if record.levelno >= logging.WARNING and record.name != "homeassistant.loader"
    ]  # the loader's notice that haul is a custom integration is always there
    assert not [m for m in said if "haul" in m.lower() or "update listener" in m], said


async def reloaded(hass: HomeAssistant, setups: list[str], entry: MockConfigEntry) -> int:
    """How many times the entry was set up again since the last look; it ends loaded."""
    await hass.async_block_till_done()
    count = setups.count(entry.entry_id)
    setups.clear()
    assert entry.state is ConfigEntryState.LOADED
    return count


async def test_reconfigure_reloads_once(
    hass: HomeAssistant, engine: EngineProcess, setups: list[str], quiet: None
) -> None:
    entry = await load(hass, entry_for(engine))
    setups.clear()
    for url in (engine.url + "/", engine.url + "/"):  # a change, then the same data again
        result = await entry.start_reconfigure_flow(hass)
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"], {CONF_URL: url, CONF_TOKEN: engine.token}
        )
        assert result["reason"] == "reconfigure_successful"
        assert await reloaded(hass, setups, entry) == 1


async def test_reauth_reloads_once(
    hass: HomeAssistant, engine: EngineProcess, setups: list[str], quiet: None
) -> None:
    entry = entry_for(engine)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_TOKEN: "old-token"})
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_ERROR
    setups.clear()
    (flow,) = hass.config_entries.flow.async_progress_by_handler("haul")
    result = await hass.config_entries.flow.async_configure(
        flow["flow_id"], {CONF_TOKEN: engine.token}
    )
    assert result["reason"] == "reauth_successful"
    assert await reloaded(hass, setups, entry) == 1

    # The same token again (the engine had only been restored meanwhile): still one reload.
    result = await entry.start_reauth_flow(hass)
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"], {CONF_TOKEN: engine.token}
    )
    assert result["reason"] == "reauth_successful"
    assert await reloaded(hass, setups, entry) == 1


async def test_discovery_of_a_moved_engine_reloads_once(
    hass: HomeAssistant, engine: EngineProcess, setups: list[str], quiet: None
) -> None:
    entry = await load(hass, entry_for(engine))
    hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_URL: "http://old:1"})
    await hass.async_block_till_done()
    setups.clear()
    announced = HassioServiceInfo(
        config={CONF_HOST: "127.0.0.1", CONF_PORT: engine.port, CONF_TOKEN: engine.token},
        name="Haul", slug="haul", uuid="1234",
    )  # fmt: skip
    for _ in range(2):  # the add-on announces at every start; unchanged data reloads nothing
        result = await hass.config_entries.flow.async_init(
            "haul", context={"source": SOURCE_HASSIO}, data=announced
        )
        assert result["reason"] == "already_configured"
    assert await reloaded(hass, setups, entry) == 1
    assert entry.data[CONF_URL] == engine.url


async def test_options_change_the_engine_and_reload_nothing(
    hass: HomeAssistant, engine: EngineProcess, setups: list[str], quiet: None
) -> None:
    entry = await load(hass, entry_for(engine))
    setups.clear()
    result = await hass.config_entries.options.async_init(entry.entry_id)
    limits = {"download_limit": 700, "upload_limit": 70, "alt_download_limit": 7,
              "alt_upload_limit": 1, "schedule_enabled": False, "schedule_start": "01:00:00",
              "schedule_end": "07:00:00", "schedule_days": ["0"]}  # fmt: skip
    result = await hass.config_entries.options.async_configure(result["flow_id"], limits)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    # The engine keeps the limits: Home Assistant stores no copy and has nothing to reload.
    assert engine.call("GET", "/transfer")["limits"]["download_limit"] == 700
    assert entry.options == {}
    assert await reloaded(hass, setups, entry) == 0
    engine.call("PUT", "/transfer", {"limits": {**limits, "download_limit": 0}})


async def test_each_sub_entry_change_reloads_once(
    hass: HomeAssistant,
    engine: EngineProcess,
    torznab: FakeTorznab,
    setups: list[str],
    quiet: None,
) -> None:
    entry = await load(hass, entry_for(engine))
    setups.clear()
    form = {"name": "Reloads", "url": f"{torznab.url}/api", "api_key": TORZNAB_KEY,
            "verify_ssl": True, "timeout": 10, "concurrency": 2}  # fmt: skip
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "torznab"), context={"source": SOURCE_USER}
    )
    result = await hass.config_entries.subentries.async_configure(result["flow_id"], form)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert await reloaded(hass, setups, entry) == 1
    (subentry,) = entry.subentries.values()
    await wait_for(lambda: hass.states.get("sensor.reloads_failures") is not None)

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "torznab"),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    result = await hass.config_entries.subentries.async_configure(
        result["flow_id"], form | {"api_key": "", "concurrency": 3}
    )
    assert result["reason"] == "reconfigure_successful"
    assert await reloaded(hass, setups, entry) == 1

    assert hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    assert await reloaded(hass, setups, entry) == 1
    assert engine.call("GET", "/connectors") == []
