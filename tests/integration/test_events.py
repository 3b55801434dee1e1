"""The event contract as Home Assistant lives it: a snapshot when it connects, then events only.

Home Assistant reaches the engine through a proxy that counts the REST requests arriving at the
engine (tests/support/proxy.py) and can cut the WebSocket as a network failure would.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from homeassistant.const import (
    CONF_TOKEN,
    CONF_URL,
    EVENT_STATE_CHANGED,
    EVENT_STATE_REPORTED,
    STATE_OFF,
    STATE_ON,
)
from homeassistant.core import callback
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.haul.const import DOMAIN
from tests.integration.conftest import load, server_id, wait_for
from tests.integration.test_surface import act, download_entity, following, state
from tests.support.peers import engine_env
from tests.support.proxy import CountingProxy

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from homeassistant.core import Event, HomeAssistant

    from custom_components.haul.api import HaulEvent
    from tests.support.engine import EngineProcess

# what the integration reads when it connects: the engine's snapshot, and nothing else
SNAPSHOT = sorted(
    f"GET /api/v1{path}"
    for path in (
        "/info", "/system", "/transfer", "/torrents", "/requests?active=true&limit=500",
        "/connectors", "/library/summary", "/queue", "/indexers", "/connectors/kinds",
    )
)  # fmt: skip
# entities that show nothing of the torrents
UNRELATED = (
    "sensor.haul_pending_requests", "sensor.haul_requests_awaiting_selection",
    "sensor.haul_missing_items", "sensor.haul_upgradable_items", "sensor.haul_status",
    "sensor.haul_uptime", "switch.haul_sweeps", "switch.haul_alternative_speed_limits",
    "todo.haul_media_requests", "binary_sensor.haul_connected",
)  # fmt: skip


def info_hash(number: int) -> str:
    """The hash of a torrent nobody seeds."""
    return f"{0xE0E0 + number:040x}"


def magnet(number: int) -> str:
    """A magnet nobody seeds (the torrent waits for metadata)."""
    return f"magnet:?xt=urn:btih:{info_hash(number)}&dn=event-{number}"


@pytest.fixture
async def haul(
    hass: HomeAssistant, engine_factory: Callable[..., EngineProcess]
) -> AsyncIterator[tuple[EngineProcess, CountingProxy, MockConfigEntry]]:
    """An engine, the counting proxy, and Haul set up behind it, following the events."""
    engine = engine_factory(env=engine_env()).start()
    with CountingProxy(engine.url) as proxy:
        entry = MockConfigEntry(
            domain=DOMAIN, title="Haul", unique_id=server_id(engine),
            data={CONF_URL: proxy.url, CONF_TOKEN: engine.token},
        )  # fmt: skip
        yield engine, proxy, await following(await load(hass, entry))
        await hass.config_entries.async_unload(entry.entry_id)


def heard(entry: MockConfigEntry) -> list[HaulEvent]:
    """Collect the engine events the entry takes from now on."""
    taken: list[HaulEvent] = []
    entry.runtime_data.coordinator.event_listeners.append(taken.append)
    return taken


async def test_a_reconnect_reads_one_snapshot_then_only_events(
    hass: HomeAssistant, haul: tuple[EngineProcess, CountingProxy, MockConfigEntry]
) -> None:
    engine, proxy, entry = haul
    assert sorted(proxy.requests_since(0)) == SNAPSHOT  # one snapshot, also at setup
    coordinator = entry.runtime_data.coordinator

    cut = time.monotonic()
    await hass.async_add_executor_job(proxy.drop_websockets)
    await wait_for(lambda: len(proxy.requests_since(cut)) == len(SNAPSHOT))
    await wait_for(lambda: coordinator.last_update_success)
    assert sorted(proxy.requests_since(cut)) == SNAPSHOT

    after = time.monotonic()
    taken = heard(entry)
    for number in range(10):
        await hass.async_add_executor_job(
            engine.call, "POST", "/torrents", {"magnet": magnet(number)}
        )
    await wait_for(lambda: len(coordinator.data.views.torrents) == 10)
    for number in range(10):
        await hass.async_add_executor_job(engine.call, "DELETE", f"/torrents/{info_hash(number)}")
    await wait_for(lambda: not coordinator.data.views.torrents)
    await wait_for(lambda: coordinator.data.system.counts["torrents"] == 0)
    torrent_events = [event for event in taken if event.kind == "torrent"]
    assert len(torrent_events) >= 20
    assert proxy.requests_since(after) == []  # the events said it all


async def test_a_stale_event_is_dropped(
    hass: HomeAssistant, haul: tuple[EngineProcess, CountingProxy, MockConfigEntry]
) -> None:
    engine, _proxy, entry = haul
    taken = heard(entry)
    coordinator = entry.runtime_data.coordinator
    added_hash = info_hash(1)
    await hass.async_add_executor_job(engine.call, "POST", "/torrents", {"magnet": magnet(1)})
    await wait_for(lambda: download_entity(hass, entry, added_hash) is not None)
    (added,) = [event for event in taken if event.name == "torrent_added"]
    await hass.async_add_executor_job(engine.call, "POST", f"/torrents/{added_hash}/pause")
    await wait_for(lambda: coordinator.data.views.torrents[added_hash].stopped)
    entity_id = download_entity(hass, entry, added_hash)
    assert entity_id is not None
    shown = hass.states.get(entity_id)

    coordinator.take(added)  # the torrent running, as it was before the pause: stale
    assert coordinator.data.views.torrents[added_hash].stopped
    assert hass.states.get(entity_id) == shown
    assert coordinator.revisions["torrent", added_hash] > added.revision

    await hass.async_add_executor_job(engine.call, "POST", f"/torrents/{added_hash}/resume")
    await wait_for(lambda: not coordinator.data.views.torrents[added_hash].stopped)  # newer: taken


async def test_an_entity_whose_value_did_not_change_is_not_written(
    hass: HomeAssistant, haul: tuple[EngineProcess, CountingProxy, MockConfigEntry]
) -> None:
    engine, _proxy, entry = haul
    written: list[str] = []

    def note(event: Event[Any]) -> None:
        written.append(event.data["entity_id"])

    @callback
    def every(_data: Any) -> bool:  # noqa: ANN401 - an event's data
        return True

    for kind in (EVENT_STATE_CHANGED, EVENT_STATE_REPORTED):  # a write of the same state reports
        hass.bus.async_listen(kind, note, every)
    coordinator = entry.runtime_data.coordinator
    updates: list[float] = []
    coordinator.async_add_listener(lambda: updates.append(time.monotonic()))
    added_hash = info_hash(2)
    await hass.async_add_executor_job(engine.call, "POST", "/torrents", {"magnet": magnet(2)})
    await wait_for(lambda: coordinator.data.system.counts["torrents"] == 1)
    for command in ("pause", "resume", "pause"):
        await hass.async_add_executor_job(engine.call, "POST", f"/torrents/{added_hash}/{command}")
    await wait_for(lambda: coordinator.data.views.torrents[added_hash].stopped)
    await following(entry)  # and a heartbeat: a new uptime nobody shows
    await hass.async_block_till_done()
    assert len(updates) >= 5
    assert [entity_id for entity_id in written if entity_id in UNRELATED] == []
    assert download_entity(hass, entry, added_hash) in written
    assert "sensor.haul_active_downloads" in written  # 0 -> 1
    await hass.async_add_executor_job(engine.call, "DELETE", f"/torrents/{added_hash}")


async def test_pause_all_resume_all_and_partial_limits_are_one_call_each(
    hass: HomeAssistant, haul: tuple[EngineProcess, CountingProxy, MockConfigEntry]
) -> None:
    engine, proxy, entry = haul
    for number in (3, 4):
        await hass.async_add_executor_job(
            engine.call, "POST", "/torrents", {"magnet": magnet(number)}
        )
    await wait_for(lambda: len(entry.runtime_data.coordinator.data.views.torrents) == 2)
    pause_all, alt = "switch.haul_pause_all_downloads", "switch.haul_alternative_speed_limits"

    for service, command, shown in (("turn_on", "pause", STATE_ON),
                                    ("turn_off", "resume", STATE_OFF)):  # fmt: skip
        begun = time.monotonic()
        await hass.services.async_call(
            "switch", service, target={"entity_id": pause_all}, blocking=True
        )
        assert proxy.requests_since(begun) == [f"POST /api/v1/torrents/{command}"]
        await wait_for(lambda shown=shown: state(hass, pause_all) == shown)
        assert {t["stopped"] for t in engine.call("GET", "/torrents")} == {command == "pause"}

    begun = time.monotonic()
    limits = engine.call("GET", "/transfer")["limits"]
    answer = await act(hass, entry, "set_speed_limits", upload_limit=64)
    assert answer["transfer"]["limits"] == limits | {"upload_limit": 64}
    await hass.services.async_call("switch", "turn_on", target={"entity_id": alt}, blocking=True)
    assert state(hass, alt) == STATE_ON  # the answer shows at once
    assert proxy.requests_since(begun) == ["PATCH /api/v1/transfer", "PATCH /api/v1/transfer"]
    assert engine.call("GET", "/transfer")["limits"] == limits | {
        "upload_limit": 64,
        "alt_mode": True,
    }
