"""Repairs, system health, the card's WebSocket commands and the options flow, on the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import pytest_socket
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import get_system_health_info

from custom_components.haul import api
from custom_components.haul.const import DOMAIN
from tests.fakes.arr import FakeArr
from tests.fakes.overseerr import API_KEY as OVERSEERR_KEY
from tests.fakes.overseerr import FakeOverseerr, OverseerrRequest
from tests.integration.conftest import entry_for, load, wait_for
from tests.integration.test_surface import following
from tests.support.engine import EngineProcess
from tests.support.programs import free_port
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator

SECRET = "extras-hook-secret"  # noqa: S105 - a test value


@pytest.fixture(scope="module")
def overseerr() -> Iterator[FakeOverseerr]:
    """A fake Overseerr."""
    pytest_socket.enable_socket()
    with FakeOverseerr() as server:
        yield server


@pytest.fixture(scope="module")
def sonarr() -> Iterator[FakeArr]:
    """A fake Sonarr the engine is given the wrong API key of."""
    pytest_socket.enable_socket()
    with FakeArr("sonarr") as server:
        yield server


@pytest.fixture(scope="module")
def vpn_engine(
    tmp_path_factory: pytest.TempPathFactory, overseerr: FakeOverseerr, sonarr: FakeArr
) -> Iterator[tuple[EngineProcess, str]]:
    """An engine whose VPN is missing, with an Overseerr, a dead Radarr and a Sonarr refusing it."""
    pytest_socket.enable_socket()
    engine = EngineProcess(
        tmp_path_factory.mktemp("extras") / "engine",
        env={"HAUL_VPN_INTERFACE": "hauldummy0", "HAUL_REQUEST_POLL_INTERVAL": "0.2"},
    ).start()
    for kind, url, key, settings in (
        ("overseerr", overseerr.url, OVERSEERR_KEY, {"webhook_secret": SECRET, "reconcile": False}),
        ("radarr", f"http://127.0.0.1:{free_port()}", "nope", {}),
        ("sonarr", sonarr.url, "not-the-key", {}),
    ):
        status, answer = engine.request(
            "POST", "/api/v1/connectors",
            {"kind": kind, "name": kind, "url": url, "api_key": key, "settings": settings},
        )  # fmt: skip
        assert status == 200, answer
        if kind == "overseerr":
            hook = f"{engine.url}/api/v1/webhooks/overseerr/{answer['id']}"
    yield engine, hook
    engine.kill()


@pytest.fixture
async def entry(hass: HomeAssistant, vpn_engine: tuple[EngineProcess, str]) -> MockConfigEntry:
    """The engine, set up in HA."""
    return await following(await load(hass, entry_for(vpn_engine[0])))


def issues(hass: HomeAssistant) -> dict[str, str | None]:
    """The integration's repair issues: id → translation key."""
    return {
        issue_id: issue.translation_key
        for (domain, issue_id), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN
    }


async def test_repairs_vpn_and_a_failing_connector(
    hass: HomeAssistant, vpn_engine: tuple[EngineProcess, str], entry: MockConfigEntry
) -> None:
    await wait_for(lambda: f"vpn_down_{entry.entry_id}" in issues(hass))
    await wait_for(lambda: "connector_failing" in issues(hass).values())
    await wait_for(lambda: "connector_auth" in issues(hass).values())

    fired: list[dict[str, Any]] = []
    hass.bus.async_listen(f"{DOMAIN}_event", lambda event: fired.append(dict(event.data)))
    status, dead = vpn_engine[0].request(
        "POST", "/api/v1/connectors",
        {"kind": "sonarr", "name": "dead sonarr", "url": f"http://127.0.0.1:{free_port()}",
         "api_key": "x"},
    )  # fmt: skip
    assert status == 200, dead
    await wait_for(lambda: any(e["type"] == "connector_health_changed" for e in fired))
    changed = next(e for e in fired if e["type"] == "connector_health_changed")
    assert changed | {"connector_id": dead["id"], "name": "dead sonarr", "health": "offline",
                      "config_entry_id": entry.entry_id} == changed  # fmt: skip
    assert changed["error"]
    await wait_for(lambda: f"connector_{dead['id']}" in issues(hass))
    vpn_engine[0].request("DELETE", f"/api/v1/connectors/{dead['id']}")
    await wait_for(lambda: f"connector_{dead['id']}" not in issues(hass))
    assert hass.states.get("binary_sensor.haul_vpn") is None  # disabled by default
    await hass.config_entries.async_unload(entry.entry_id)
    assert issues(hass) == {}


async def test_incompatible_engine_raises_an_issue(
    hass: HomeAssistant, vpn_engine: tuple[EngineProcess, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "SCHEMA_VERSION", 99)
    entry = entry_for(vpn_engine[0])
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY
    assert issues(hass) == {f"incompatible_{entry.entry_id}": "incompatible"}
    monkeypatch.setattr(api, "SCHEMA_VERSION", 1)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.state is ConfigEntryState.LOADED
    assert f"incompatible_{entry.entry_id}" not in issues(hass)


async def test_system_health(hass: HomeAssistant, entry: MockConfigEntry) -> None:
    assert await async_setup_component(hass, "system_health", {})
    await hass.async_block_till_done()
    info = await get_system_health_info(hass, DOMAIN)
    info["can_reach_engine"] = await info["can_reach_engine"]
    assert info | {"engines": 1, "can_reach_engine": "ok", "connected": True,
                   "status": "degraded", "connectors": 3} == info  # fmt: skip
    assert entry.state is ConfigEntryState.LOADED


async def test_card_websocket_and_todo_decline(
    hass: HomeAssistant,
    hass_ws_client: WebSocketGenerator,
    vpn_engine: tuple[EngineProcess, str],
    entry: MockConfigEntry,
    overseerr: FakeOverseerr,
) -> None:
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "haul/subscribe"})
    assert (await client.receive_json())["success"]
    first = (await client.receive_json())["event"]
    assert set(first) == {"requests", "downloads", "transfer"}

    request = OverseerrRequest(id=31, media_type="movie", title="Alien", year=1979, tmdb_id=348)
    status, _ = send_webhook(vpn_engine[1], overseerr.add(request).webhook("MEDIA_PENDING"), SECRET)
    assert status == 200
    update: dict[str, Any] = first
    while not update["requests"]:
        update = (await client.receive_json())["event"]
    (shown,) = update["requests"]
    assert (shown["title"], shown["state"], shown["requested_by"]) == (
        "Alien (1979)", "pending", "alice",
    )  # fmt: skip

    await client.send_json_auto_id({"type": "haul/requests", "config_entry_id": entry.entry_id})
    answer = await client.receive_json()
    assert [r["id"] for r in answer["result"]["requests"]] == [shown["id"]]
    await client.send_json_auto_id({"type": "haul/candidates", "request_id": shown["id"]})
    answer = await client.receive_json()
    assert answer["result"] == {"request_id": shown["id"], "candidates": []}
    await client.send_json_auto_id({"type": "haul/downloads"})
    answer = await client.receive_json()
    assert answer["result"]["downloads"] == []
    assert answer["result"]["transfer"]["alt_active"] is False
    await client.send_json_auto_id({"type": "haul/candidates", "request_id": 4242})
    assert (await client.receive_json())["success"] is False
    await client.send_json_auto_id({"type": "haul/requests", "config_entry_id": "nope"})
    assert (await client.receive_json())["error"]["code"] == "not_found"

    # Deleting the to-do item declines the request.
    await hass.services.async_call(
        "todo", "remove_item", {"item": [str(shown["id"])]},
        target={"entity_id": "todo.haul_media_requests"}, blocking=True,
    )  # fmt: skip
    status, detail = vpn_engine[0].request("GET", f"/api/v1/requests/{shown['id']}")
    assert (status, detail["state"]) == (200, "declined")
    await wait_for(lambda: getattr(hass.states.get("todo.haul_media_requests"), "state", "") == "0")
    assert getattr(hass.states.get("switch.haul_pause_all_downloads"), "state", "") == STATE_OFF


async def test_options_flow_sets_the_engines_limits(
    hass: HomeAssistant, vpn_engine: tuple[EngineProcess, str], entry: MockConfigEntry
) -> None:
    result = await hass.config_entries.options.async_init(entry.entry_id)
    assert result["step_id"] == "init"
    options = {"download_limit": 800, "upload_limit": 100, "alt_download_limit": 200,
               "alt_upload_limit": 20, "schedule_enabled": True, "schedule_start": "23:00:00",
               "schedule_end": "06:30:00", "schedule_days": ["5", "6"]}  # fmt: skip
    result = await hass.config_entries.options.async_configure(result["flow_id"], options)
    assert result["type"] == "create_entry"
    status, transfer = vpn_engine[0].request("GET", "/api/v1/transfer")
    assert status == 200
    limits = transfer["limits"]
    assert (limits["download_limit"], limits["alt_upload_limit"]) == (800, 20)
    assert limits["alt_schedule"] == {"enabled": True, "start": "23:00:00", "end": "06:30:00",
                                      "days": [5, 6]}  # fmt: skip
    result = await hass.config_entries.options.async_init(entry.entry_id)
    suggested = {
        str(key): key.description["suggested_value"] for key in result["data_schema"].schema
    }
    assert (suggested["schedule_days"], suggested["download_limit"]) == (["5", "6"], 800)


async def test_options_flow_sets_the_auto_pick_delay_and_default_profile(
    hass: HomeAssistant, vpn_engine: tuple[EngineProcess, str], entry: MockConfigEntry
) -> None:
    engine = vpn_engine[0]
    rules = {"name": "Weekend", "rules": {"min_seeders": 3}}
    assert engine.request("POST", "/api/v1/releases/profiles", rules)[0] == 200
    result = await hass.config_entries.options.async_init(entry.entry_id)
    fields = {str(key): (key, value) for key, value in result["data_schema"].schema.items()}
    choices = {o["value"]: o["label"] for o in fields["default_profile"][1].config["options"]}
    assert choices | {"any": "Any", "weekend": "Weekend"} == choices
    suggested = {name: key.description["suggested_value"] for name, (key, _) in fields.items()}
    assert (suggested["auto_pick_hours"], suggested["default_profile"]) == (0.0, "any")
    limits = {name: value for name, value in suggested.items() if name not in {
        "auto_pick_hours", "default_profile"}}  # fmt: skip

    # The profile disappears from the engine while the form is open.
    assert engine.request("DELETE", "/api/v1/releases/profiles/weekend")[0] == 200
    chosen = {**limits, "auto_pick_hours": 4, "default_profile": "weekend"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], chosen)
    assert (result["type"], result["errors"]) == ("form", {"default_profile": "unknown_profile"})
    assert engine.request("GET", "/api/v1/options")[1] == {
        "auto_pick_hours": 0.0, "default_profile": "any"}  # fmt: skip

    chosen = {**limits, "auto_pick_hours": 2.5, "default_profile": "1080p-compact"}
    result = await hass.config_entries.options.async_configure(result["flow_id"], chosen)
    assert result["type"] == "create_entry"
    assert engine.request("GET", "/api/v1/options")[1] == {
        "auto_pick_hours": 2.5, "default_profile": "1080p-compact"}  # fmt: skip
    result = await hass.config_entries.options.async_init(entry.entry_id)
    suggested = {
        str(key): key.description["suggested_value"] for key in result["data_schema"].schema
    }
    assert (suggested["auto_pick_hours"], suggested["default_profile"]) == (2.5, "1080p-compact")
    engine.request("PUT", "/api/v1/options", {"auto_pick_hours": 0, "default_profile": "any"})


async def test_options_flow_without_the_engine(
    hass: HomeAssistant, own_engine: EngineProcess
) -> None:
    loaded = await load(hass, entry_for(own_engine))
    result = await hass.config_entries.options.async_init(loaded.entry_id)
    assert (result["type"], result["errors"]) == ("form", {})
    asked = {"config_entry_id": loaded.entry_id, "media_type": "movie", "tmdb_id": 603}
    with pytest.raises(HomeAssistantError) as failed:  # no Radarr: the engine is unavailable
        await hass.services.async_call(DOMAIN, "request_media", asked, blocking=True,
                                       return_response=True)  # fmt: skip
    assert failed.value.translation_key == "command_failed"
    await hass.async_add_executor_job(own_engine.stop)
    with pytest.raises(HomeAssistantError) as failed:
        await hass.services.async_call(DOMAIN, "request_media", asked, blocking=True,
                                       return_response=True)  # fmt: skip
    assert failed.value.translation_key == "cannot_connect"
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {"download_limit": 1, "upload_limit": 1, "alt_download_limit": 1, "alt_upload_limit": 1,
         "schedule_enabled": False, "schedule_start": "01:00:00", "schedule_end": "02:00:00",
         "schedule_days": ["0"]},
    )  # fmt: skip
    assert (result["type"], result["errors"]) == ("form", {"base": "cannot_connect"})
    assert await hass.config_entries.async_unload(loaded.entry_id)
    result = await hass.config_entries.options.async_init(loaded.entry_id)
    assert (result["type"], result["reason"]) == ("abort", "engine_not_loaded")
