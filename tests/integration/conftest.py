"""Fixtures for the Home Assistant integration: real HA core against the real engine subprocess."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest
import pytest_socket
from homeassistant.const import CONF_TOKEN, CONF_URL
from pytest_homeassistant_custom_component.common import MockConfigEntry

import custom_components.haul as integration
from custom_components.haul import coordinator
from custom_components.haul.const import DOMAIN
from tests.support.engine import EngineProcess

WAIT_TIMEOUT = 15.0

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from homeassistant.core import HomeAssistant


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let HA load custom_components/haul."""


@pytest.fixture(autouse=True)
def _no_deprecation_reports(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Home Assistant reports deprecated use in its log (helpers.frame): none may name Haul."""
    yield
    reports = [
        record.getMessage()
        for record in caplog.records
        if record.name == "homeassistant.helpers.frame" and "haul" in record.getMessage()
    ]
    assert reports == []


@pytest.fixture(autouse=True)
def _fast_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnect within a fraction of a second so outage tests stay short."""
    monkeypatch.setattr(coordinator, "RECONNECT_MIN", 0.1)
    monkeypatch.setattr(coordinator, "RECONNECT_MAX", 0.5)


@pytest.fixture
def setups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The entry ids Haul sets up, in order (HA looks the function up at every setup)."""
    done: list[str] = []
    real = integration.async_setup_entry

    async def counted(hass: HomeAssistant, entry: Any) -> bool:  # noqa: ANN401 - HA's entry
        done.append(entry.entry_id)
        return await real(hass, entry)

    monkeypatch.setattr(integration, "async_setup_entry", counted)
    return done


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    """One engine shared by the tests that leave it running as it is (engines are slow to start)."""
    # Session fixtures come before the per-test fixture that opens loopback sockets.
    pytest_socket.enable_socket()
    shared = EngineProcess(tmp_path_factory.mktemp("shared") / "engine").start()
    yield shared
    shared.kill()


@pytest.fixture
def own_engine(engine_factory: Callable[..., EngineProcess]) -> EngineProcess:
    """A fresh engine for a test that stops, restarts or changes it."""
    return engine_factory().start()


def server_id(engine: EngineProcess) -> str:
    """The engine's identity, which is the config entry's unique id."""
    status, info = engine.request("GET", "/api/v1/info")
    assert status == 200
    return str(info["server_id"])


def entry_for(engine: EngineProcess) -> MockConfigEntry:
    """A config entry for the engine (not yet added to HA)."""
    return MockConfigEntry(
        domain=DOMAIN,
        title="Haul",
        unique_id=server_id(engine),
        data={CONF_URL: engine.url, CONF_TOKEN: engine.token},
    )


@pytest.fixture
def config_entry(engine: EngineProcess) -> MockConfigEntry:
    """A config entry for the shared engine."""
    return entry_for(engine)


async def load(hass: HomeAssistant, entry: MockConfigEntry) -> MockConfigEntry:
    """Add the entry to HA and set it up."""
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry


@pytest.fixture
async def loaded_entry(hass: HomeAssistant, config_entry: MockConfigEntry) -> MockConfigEntry:
    """The config entry of the shared engine, set up and connected."""
    return await load(hass, config_entry)


async def wait_for(condition: Callable[[], bool]) -> None:
    """Let HA run until the condition holds (pushes arrive in real time)."""
    async with asyncio.timeout(WAIT_TIMEOUT):
        while not condition():  # noqa: ASYNC110 - conditions span HA state and the engine
            await asyncio.sleep(0.05)
