"""Home Assistant's own qbittorrent integration, pointed at the engine as at a qBittorrent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from tests.engine.torrents.test_lifecycle import place_content
from tests.integration.conftest import wait_for
from tests.support.peers import engine_env, make_torrent, wait_for_torrent

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from homeassistant.core import HomeAssistant

    from tests.support.engine import EngineProcess

DOMAIN = "qbittorrent"
FILTERS = ("all", "active", "inactive", "paused", "seeding", "started", "errored")


async def _set_up(hass: HomeAssistant, engine: EngineProcess, password: str) -> str:
    """Add the integration through its config flow, every entity enabled; return the entry id."""
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {"url": engine.url, "username": "admin", "password": password, "verify_ssl": False},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY, result
    entry_id = str(result["result"].entry_id)
    await hass.async_block_till_done()
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry_id):
        if entity.disabled_by is not None:
            registry.async_update_entity(entity.entity_id, disabled_by=None)
    assert await hass.config_entries.async_reload(entry_id)
    await hass.async_block_till_done()
    return entry_id


def _moved(engine: EngineProcess) -> bool:
    """Whether the engine counts bytes downloaded and uploaded."""
    transfer = engine.call("GET", "/transfer")
    return bool(transfer["downloaded"] and transfer["uploaded"])


async def _torrents(hass: HomeAssistant, device_id: str, torrent_filter: str) -> dict[str, Any]:
    answer = await hass.services.async_call(
        DOMAIN, "get_torrents", {"device_id": device_id, "torrent_filter": torrent_filter},
        blocking=True, return_response=True,
    )  # fmt: skip
    assert answer is not None
    return dict(answer["torrents"])


async def test_home_assistants_qbittorrent_integration_drives_the_engine(
    hass: HomeAssistant, engine_factory: Callable[..., EngineProcess], tmp_path: Path
) -> None:
    env = engine_env()
    engine = engine_factory(env=env).start()
    peer = engine_factory("peer", env=engine_env()).start()
    # Real bytes both ways, so the all-time totals and the ratio have values: the engine seeds
    # one torrent to its peer and fetches another from it; a magnet without peers stays active.
    sent = make_torrent(tmp_path / "sent", "Sent", {"a.mkv": 400_000, "b.srt": 1_000})
    fetched = make_torrent(tmp_path / "fetched", "Fetched", {"c.mkv": 300_000, "c.nfo": 500})
    place_content(sent, engine.data_dir / "downloads")
    place_content(fetched, peer.data_dir / "downloads")
    for seeder, leecher, made in ((engine, peer, sent), (peer, engine, fetched)):
        for side in (seeder, leecher):
            side.call("POST", "/torrents", {"torrent_base64": made.base64})
        port = seeder.env["HAUL_LISTEN_PORT"]
        leecher.call("POST", f"/torrents/{made.info_hash}/peers", {"peers": [f"127.0.0.1:{port}"]})
    for side, made in ((peer, sent), (engine, fetched)):
        await hass.async_add_executor_job(
            wait_for_torrent, side, made.info_hash, lambda torrent: torrent["progress"] == 1
        )
    await wait_for(lambda: _moved(engine))  # the session's counters are read every few seconds
    engine.call("POST", "/torrents", {"magnet": f"magnet:?xt=urn:btih:{'d' * 40}&dn=Lonely"})

    entry_id = await _set_up(hass, engine, env["HAUL_QBITTORRENT_PASSWORD"])
    entry = hass.config_entries.async_get_entry(entry_id)
    assert entry is not None
    assert entry.state is ConfigEntryState.LOADED

    # Every entity it makes has a value, the all-time totals and the ratio included.
    entities = er.async_entries_for_config_entry(er.async_get(hass), entry_id)
    assert len(entities) >= 15
    for entity in entities:
        state = hass.states.get(entity.entity_id)
        assert state is not None, entity.entity_id
        assert state.state not in {STATE_UNKNOWN, STATE_UNAVAILABLE}, entity.entity_id
    counts = {
        key: hass.states.get(f"sensor.qbittorrent_{key}_torrents")
        for key in ("all", "active", "paused")
    }
    assert {key: state.state for key, state in counts.items() if state} == {
        "all": "3", "active": "1", "paused": "0",
    }  # fmt: skip

    # The alternative speed switch turns the engine's alternative limits on and off.
    switch = next(e.entity_id for e in entities if e.domain == "switch")
    for service, engine_mode, shown in (
        ("turn_on", True, STATE_ON),
        ("turn_off", False, STATE_OFF),
    ):
        await hass.services.async_call("switch", service, {"entity_id": switch}, blocking=True)
        assert engine.call("GET", "/transfer")["alt_active"] is engine_mode
        await wait_for(lambda: getattr(hass.states.get(switch), "state", None) == shown)  # noqa: B023

    # Its actions, with every filter it offers.
    (device,) = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
    found = {name: await _torrents(hass, device.id, name) for name in FILTERS}
    assert set(found["all"]) == {"Sent", "Fetched", "Lonely"}
    assert set(found["seeding"]) == {"Sent", "Fetched"}
    assert set(found["started"]) == {"Sent", "Fetched", "Lonely"}
    assert found["paused"] == found["errored"] == {}
    assert found["all"]["Fetched"]["percent_done"] == "100.00"
    every = await hass.services.async_call(
        DOMAIN, "get_all_torrents", {"torrent_filter": "all"}, blocking=True, return_response=True
    )
    assert every is not None
    assert set(every["all_torrents"][entry_id]) == {"Sent", "Fetched", "Lonely"}
