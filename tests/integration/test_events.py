"""The event contract as Home Assistant lives it: a snapshot when it connects, then events only.

Home Assistant reaches the engine through a proxy that counts the REST requests arriving at the
engine (tests/support/proxy.py) and can cut the WebSocket as a network failure would.
"""

from __future__ import annotations

import dataclasses
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
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
)
from homeassistant.core import callback
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.haul.const import DOMAIN
from custom_components.haul.views import Torrent
from tests.integration.conftest import load, server_id, wait_for
from tests.integration.test_surface import act, download_entity, following, state
from tests.support.peers import engine_env
from tests.support.programs import free_port
from tests.support.proxy import WEBSOCKET, CountingProxy

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable

    from homeassistant.config_entries import ConfigEntry
    from homeassistant.const import Platform
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
    "sensor.haul_missing_items", "sensor.haul_upgradable_items", "sensor.haul_upcoming_items",
    "sensor.haul_status", "sensor.haul_uptime", "switch.haul_sweeps",
    "switch.haul_alternative_speed_limits",
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


# the engine's own WireGuard tunnel as /system and its events show it (tests/engine/vpn: real)
TUNNEL_DOWN = {
    "interface": "wg0", "up": False, "userspace": True, "public_ip": "", "forwarded_port": 0,
    "handshake_age_seconds": None, "error": "no handshake yet",
}  # fmt: skip
TUNNEL_UP = TUNNEL_DOWN | {
    "up": True, "public_ip": "203.0.113.7", "forwarded_port": 47123, "handshake_age_seconds": 4.2,
    "error": "",
}  # fmt: skip


def showing_vpn(vpn: dict[str, Any]) -> Callable[[str, Any], Any]:
    """Rewrite the engine's answers as an engine running this tunnel would give them."""

    def rewrite(path: str, answer: Any) -> Any:  # noqa: ANN401 - JSON
        if path == "/api/v1/system":
            return answer | {"vpn": vpn}
        if path == WEBSOCKET and (answer.get("object") or {}).get("kind") == "system":
            return answer | {"data": answer["data"] | {"vpn": vpn}}
        return answer

    return rewrite


def lacking(*names: str) -> Callable[[str, Any], Any]:
    """Rewrite the engine's answers as an engine without these features or kinds would give them."""

    def rewrite(path: str, answer: Any) -> Any:  # noqa: ANN401 - JSON
        if path == "/api/v1/info":
            return answer | {"features": [f for f in answer["features"] if f not in names]}
        if path == "/api/v1/connectors/kinds":
            return [kind for kind in answer if kind["name"] not in names]
        return answer

    return rewrite


def registered(hass: HomeAssistant, entry: MockConfigEntry) -> dict[str, str]:
    """The entry's entities: unique id (without the engine's id) → entity id."""
    prefix = f"{entry.unique_id}_"
    return {
        entity.unique_id.removeprefix(prefix): entity.entity_id
        for entity in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id)
    }


async def reconnect(hass: HomeAssistant, proxy: CountingProxy, entry: MockConfigEntry) -> None:
    """Cut the WebSocket; wait for the snapshot read again and the events followed again."""
    cut = time.monotonic()
    await hass.async_add_executor_job(proxy.drop_websockets)
    await wait_for(lambda: len(proxy.requests_since(cut)) == len(SNAPSHOT))
    await wait_for(lambda: entry.runtime_data.coordinator.last_update_success)
    await following(entry)


def no_duplicates(caplog: pytest.LogCaptureFixture) -> None:
    """Home Assistant refused no entity for a unique id already taken."""
    assert not [r for r in caplog.records if "does not generate unique IDs" in r.getMessage()]


async def test_the_vpn_sensors_come_when_the_engine_runs_a_tunnel_without_a_reload(
    hass: HomeAssistant,
    haul: tuple[EngineProcess, CountingProxy, MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _engine, proxy, entry = haul
    coordinator = entry.runtime_data.coordinator
    before = registered(hass, entry)
    assert "vpn" in before  # the VPN binary sensor watches a bound interface too: always there
    assert not {"vpn_public_ip", "vpn_forwarded_port"} & before.keys()

    # the add-on restarted with a WireGuard file: its tunnel is not up yet, then it is
    cut = time.monotonic()
    proxy.rewrite = showing_vpn(TUNNEL_DOWN)
    await wait_for(lambda: "vpn_forwarded_port" in registered(hass, entry))  # a system event
    entities = registered(hass, entry)
    address, port = entities["vpn_public_ip"], entities["vpn_forwarded_port"]
    assert entities == before | {"vpn_public_ip": address, "vpn_forwarded_port": port}
    assert address == "sensor.haul_vpn_public_address"
    await wait_for(lambda: hass.states.get(port) is not None)
    assert (state(hass, address), state(hass, port)) == (STATE_UNKNOWN, STATE_UNKNOWN)
    proxy.rewrite = showing_vpn(TUNNEL_UP)
    await wait_for(lambda: state(hass, address) == "203.0.113.7")
    assert state(hass, port) == "47123"
    assert proxy.requests_since(cut) == []  # events only: no snapshot, no reload
    assert entry.runtime_data.coordinator is coordinator

    await reconnect(hass, proxy, entry)  # the snapshot shows the tunnel again: nothing more
    assert registered(hass, entry) == entities
    assert (state(hass, address), state(hass, port)) == ("203.0.113.7", "47123")

    # the tunnel configuration removed (the add-on restarted without it): there, but unavailable
    proxy.rewrite = None
    await reconnect(hass, proxy, entry)
    assert (state(hass, address), state(hass, port)) == (STATE_UNAVAILABLE, STATE_UNAVAILABLE)
    proxy.rewrite = showing_vpn(TUNNEL_UP)  # and back, with the next system event
    await wait_for(lambda: state(hass, address) == "203.0.113.7")
    assert registered(hass, entry) == entities
    assert entry.runtime_data.coordinator is coordinator
    no_duplicates(caplog)


async def offered_again(
    hass: HomeAssistant,
    proxy: CountingProxy,
    entry: MockConfigEntry,
    older: Callable[[str, Any], Any],
    keys: set[str],
) -> None:
    """Set up behind an older engine lacking the keys' entities; they come at the reconnect.

    The entities come with the snapshot once the engine offers them, once, without a reload.
    """
    full = registered(hass, entry)
    proxy.rewrite = older  # as Home Assistant starts
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    for key in keys:
        assert state(hass, full[key]) == STATE_UNAVAILABLE  # restored: not provided
    proxy.rewrite = None  # the add-on updated
    await reconnect(hass, proxy, entry)
    for key in keys:
        await wait_for(lambda key=key: state(hass, full[key]) != STATE_UNAVAILABLE)
    await reconnect(hass, proxy, entry)
    assert registered(hass, entry) == full
    assert entry.runtime_data.coordinator is coordinator


async def test_entities_of_a_feature_the_engine_gains_come_at_the_reconnect(
    hass: HomeAssistant,
    haul: tuple[EngineProcess, CountingProxy, MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _engine, proxy, entry = haul
    gained = {"requests_todo": "todo", "sweep_all": "button", "sweeps": "switch"}
    full = registered(hass, entry)
    assert {full[key].split(".")[0] for key in gained} == set(gained.values())
    await offered_again(hass, proxy, entry, lacking("requests", "library"), set(gained))
    assert state(hass, full["sweeps"]) == STATE_ON
    no_duplicates(caplog)


async def test_a_connector_of_a_kind_the_engine_serves_again_gets_its_entities_back(
    hass: HomeAssistant,
    haul: tuple[EngineProcess, CountingProxy, MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    engine, proxy, entry = haul
    url = f"http://127.0.0.1:{free_port()}"
    await hass.async_add_executor_job(engine.add_connector, "sonarr", url, "x")
    await wait_for(lambda: len(entry.subentries) == 1)
    (subentry_id,) = entry.subentries

    def mine() -> set[str]:
        return {key for key in registered(hass, entry) if key.startswith(subentry_id)}

    await wait_for(lambda: len(mine()) == 10)
    # missing, cutoff unmet, upcoming, completion, last sync, sync, sweep, scheduled sweeps
    arr_only = mine() - {f"{subentry_id}_problem", f"{subentry_id}_enabled"}
    await offered_again(hass, proxy, entry, lacking("sonarr"), arr_only)
    assert state(hass, registered(hass, entry)[f"{subentry_id}_problem"]) != STATE_UNAVAILABLE
    no_duplicates(caplog)


async def test_entities_offered_while_the_entry_unloads_are_not_added(
    hass: HomeAssistant,
    haul: tuple[EngineProcess, CountingProxy, MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An event between the platforms' unload and the entry's end adds nothing to them.

    The engine's events are followed until the entry has unloaded: one offering the tunnel's
    sensors, or a new download's, then would add them to a platform already gone, never to be
    removed.
    """
    _engine, _proxy, entry = haul
    coordinator = entry.runtime_data.coordinator
    unload_platforms = hass.config_entries.async_unload_platforms

    async def unload_then_offer(unloading: ConfigEntry, platforms: Iterable[Platform]) -> bool:
        unloaded = await unload_platforms(unloading, platforms)
        data = coordinator.data
        started = Torrent(
            hash=info_hash(7), name="late", state="downloading", progress=0.1, size=1,
            download_rate=0, upload_rate=0, eta=60, category="", request_id=None, stopped=False,
        )  # fmt: skip
        coordinator.async_set_updated_data(dataclasses.replace(
            data, system=dataclasses.replace(data.system, has_vpn=True),
            views=dataclasses.replace(data.views, torrents={started.hash: started}),
        ))  # fmt: skip
        return unloaded

    monkeypatch.setattr(hass.config_entries, "async_unload_platforms", unload_then_offer)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.haul_vpn_public_address") is None
    assert [s.entity_id for s in hass.states.async_all("sensor") if "late" in s.entity_id] == []
    monkeypatch.undo()
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    no_duplicates(caplog)


async def test_a_subentry_removed_while_its_kind_is_lacking_gets_no_entities(
    hass: HomeAssistant,
    haul: tuple[EngineProcess, CountingProxy, MockConfigEntry],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The kind served again before the reload a removal schedules: nothing for the subentry."""
    engine, proxy, entry = haul
    await hass.async_add_executor_job(
        engine.add_connector, "sonarr", f"http://127.0.0.1:{free_port()}", "x"
    )
    await wait_for(lambda: len(entry.subentries) == 1)
    (subentry_id,) = entry.subentries
    served = entry.runtime_data.coordinator.data.kinds
    proxy.rewrite = lacking("sonarr")  # an older engine as Home Assistant starts
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    coordinator = entry.runtime_data.coordinator
    assert "sonarr" not in coordinator.data.kinds

    assert hass.config_entries.async_remove_subentry(entry, subentry_id)
    coordinator.async_set_updated_data(dataclasses.replace(coordinator.data, kinds=served))
    await hass.async_block_till_done()
    assert not [r for r in caplog.records if "unknown subentry" in r.getMessage()]
