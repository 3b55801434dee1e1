"""Repairs, system health, the card's WebSocket commands, the to-do list and the options flow."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
import pytest_socket
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import STATE_OFF
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import issue_registry as ir
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import get_system_health_info

from custom_components.haul import api, views
from custom_components.haul.const import DOMAIN
from custom_components.haul.errors import title_and_year
from tests.fakes.arr import FakeArr
from tests.fakes.overseerr import API_KEY as OVERSEERR_KEY
from tests.fakes.overseerr import FakeOverseerr, OverseerrRequest
from tests.integration.conftest import entry_for, load, wait_for
from tests.integration.test_surface import following
from tests.support.disk import fill
from tests.support.engine import EngineProcess
from tests.support.programs import free_port
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import WebSocketGenerator

SECRET = "extras-hook-secret-60b1e9a4"  # noqa: S105 - a test value


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
    monkeypatch.setattr(api, "SCHEMA_VERSION", 3)
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
    assert set(first) == {"requests", "downloads", "transfer", "engine"}
    assert first["engine"] == {"available": True, "since": None}

    request = OverseerrRequest(id=31, media_type="movie", title="Alien", year=1979, tmdb_id=348)
    status, _ = send_webhook(vpn_engine[1], overseerr.add(request).webhook("MEDIA_PENDING"), SECRET)
    assert status == 200
    update: dict[str, Any] = first
    while not update["requests"]:
        update = (await client.receive_json())["event"]
    (shown,) = update["requests"]
    assert (shown["title"], shown["year"], shown["state"], shown["requested_by"]) == (
        "Alien", 1979, "pending", "alice",
    )  # fmt: skip

    await client.send_json_auto_id({"type": "haul/requests", "config_entry_id": entry.entry_id})
    answer = await client.receive_json()
    assert [r["id"] for r in answer["result"]["requests"]] == [shown["id"]]
    await client.send_json_auto_id({"type": "haul/candidates", "request_id": shown["id"]})
    answer = await client.receive_json()
    assert answer["result"] == {
        "request_id": shown["id"], "state": "pending", "selected_candidate_id": None,
        "candidates": [],
    }  # fmt: skip
    await client.send_json_auto_id({"type": "haul/downloads"})
    answer = await client.receive_json()
    assert answer["result"]["downloads"] == []
    assert answer["result"]["transfer"]["alt_active"] is False
    await client.send_json_auto_id({"type": "haul/candidates", "request_id": 4242})
    assert (await client.receive_json())["success"] is False
    await client.send_json_auto_id({"type": "haul/requests", "config_entry_id": "nope"})
    assert (await client.receive_json())["error"]["code"] == "not_found"

    # Renaming the item, unchecked, leaves the request waiting.
    await hass.services.async_call(
        "todo", "update_item", {"item": str(shown["id"]), "rename": "Aliens"},
        target={"entity_id": "todo.haul_media_requests"}, blocking=True,
    )  # fmt: skip
    assert vpn_engine[0].call("GET", f"/requests/{shown['id']}")["state"] == "pending"

    # Deleting the to-do item declines the request.
    await hass.services.async_call(
        "todo", "remove_item", {"item": [str(shown["id"])]},
        target={"entity_id": "todo.haul_media_requests"}, blocking=True,
    )  # fmt: skip
    status, detail = vpn_engine[0].request("GET", f"/api/v1/requests/{shown['id']}")
    assert (status, detail["state"]) == (200, "declined")
    await wait_for(lambda: getattr(hass.states.get("todo.haul_media_requests"), "state", "") == "0")
    assert getattr(hass.states.get("switch.haul_pause_all_downloads"), "state", "") == STATE_OFF


def waiting(entry: MockConfigEntry) -> dict[str, int]:
    """The requests Home Assistant lists as waiting for approval: title → id."""
    views = entry.runtime_data.coordinator.data.views
    return {
        title_and_year({"title": r.title, "year": r.year}): r.id
        for r in views.requests_in("pending")
    }


async def pending_request(
    hass: HomeAssistant,
    vpn_engine: tuple[EngineProcess, str],
    entry: MockConfigEntry,
    overseerr: FakeOverseerr,
    request: OverseerrRequest,
) -> int:
    """Deliver Overseerr's webhook of a new request; its id once Home Assistant lists it."""
    body = overseerr.add(request).webhook("MEDIA_PENDING")
    assert (await hass.async_add_executor_job(send_webhook, vpn_engine[1], body, SECRET))[0] == 200
    title = f"{request.title} ({request.year})"
    await wait_for(lambda: title in waiting(entry))
    return waiting(entry)[title]


async def test_deleting_items_stops_at_one_handled_meanwhile(
    hass: HomeAssistant,
    vpn_engine: tuple[EngineProcess, str],
    entry: MockConfigEntry,
    overseerr: FakeOverseerr,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    aliens, alien3 = [
        await pending_request(hass, vpn_engine, entry, overseerr, request)
        for request in (
            OverseerrRequest(id=32, media_type="movie", title="Aliens", year=1986, tmdb_id=679),
            OverseerrRequest(id=33, media_type="movie", title="Alien 3", year=1992, tmdb_id=8077),
        )
    ]
    # (Connecting again, Home Assistant reads the requests under way a page at a time.)
    monkeypatch.setattr(views, "REQUESTS_PAGE", 1)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert {aliens, alien3} <= set(waiting(entry).values())
    monkeypatch.setattr(overseerr, "decline_delay", 1.0)
    deleting = hass.async_create_task(hass.services.async_call(
        "todo", "remove_item", {"item": [str(aliens), str(alien3)]},
        target={"entity_id": "todo.haul_media_requests"}, blocking=True,
    ))  # fmt: skip
    # While Overseerr takes its time over the first, someone approves the second.
    engine = vpn_engine[0]
    await hass.async_add_executor_job(engine.call, "POST", f"/requests/{alien3}/approve")
    await wait_for(lambda: alien3 not in waiting(entry).values())
    with pytest.raises(ServiceValidationError) as caught:
        await deleting
    assert (caught.value.translation_key, caught.value.translation_placeholders) == (
        "no_such_item", {"uid": str(alien3)},
    )  # fmt: skip
    assert engine.call("GET", f"/requests/{aliens}")["state"] == "declined"
    assert engine.call("GET", f"/requests/{alien3}")["state"] != "declined"


async def test_a_request_cancelled_in_the_engine_leaves_the_list(
    hass: HomeAssistant,
    vpn_engine: tuple[EngineProcess, str],
    entry: MockConfigEntry,
    overseerr: FakeOverseerr,
) -> None:
    request = OverseerrRequest(id=34, media_type="movie", title="Prometheus", year=2012,
                               tmdb_id=70981)  # fmt: skip
    prometheus = await pending_request(hass, vpn_engine, entry, overseerr, request)
    await hass.async_add_executor_job(vpn_engine[0].call, "POST", f"/requests/{prometheus}/cancel")
    await wait_for(lambda: prometheus not in waiting(entry).values())


async def card_feed(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, engine: EngineProcess
) -> tuple[MockConfigEntry, Any, dict[str, Any]]:
    """Load the engine's entry and subscribe as the card does: the entry, the socket, the first."""
    loaded = await load(hass, entry_for(engine))
    client = await hass_ws_client(hass)
    await client.send_json_auto_id({"type": "haul/subscribe", "config_entry_id": loaded.entry_id})
    assert (await client.receive_json())["success"]
    return loaded, client, (await client.receive_json())["event"]


async def test_the_card_hears_of_changes_only(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, own_engine: EngineProcess
) -> None:
    loaded, client, first = await card_feed(hass, hass_ws_client, own_engine)
    sent = [first]
    await following(loaded)  # a heartbeat: new engine status, the same requests and downloads
    magnet = f"magnet:?xt=urn:btih:{'c' * 40}&dn=card"
    info_hash = (await hass.async_add_executor_job(
        own_engine.call, "POST", "/torrents", {"magnet": magnet}))["hash"]  # fmt: skip
    while not sent[-1]["downloads"]:
        sent.append((await client.receive_json())["event"])
    assert [[download["hash"] for download in update["downloads"]] for update in sent] == [
        [], [info_hash],
    ]  # fmt: skip


async def test_the_card_hears_when_its_data_is_stale(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, own_engine: EngineProcess
) -> None:
    """While the engine is away the card keeps the last data and hears since when; then live."""
    _, client, live = await card_feed(hass, hass_ws_client, own_engine)
    before = dt_util.utcnow()
    await hass.async_add_executor_job(own_engine.stop)
    stale = (await client.receive_json())["event"]
    assert stale["engine"]["available"] is False
    assert before <= dt_util.parse_datetime(stale["engine"]["since"]) <= dt_util.utcnow()
    assert stale | {"engine": live["engine"]} == live  # the data as it was
    await hass.async_add_executor_job(own_engine.start)
    update = stale
    while not update["engine"]["available"]:
        update = (await client.receive_json())["event"]
    assert update["engine"] == {"available": True, "since": None}


async def test_without_an_engine_the_card_hears_so_and_system_health_counts_none(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator
) -> None:
    assert await async_setup_component(hass, "system_health", {})
    assert await async_setup_component(hass, DOMAIN, {})
    assert await get_system_health_info(hass, DOMAIN) == {"engines": 0}
    client = await hass_ws_client(hass)
    for command in (
        {"type": "haul/requests"},
        {"type": "haul/downloads"},
        {"type": "haul/subscribe"},
        {"type": "haul/candidates", "request_id": 1},
        {"type": "haul/files", "info_hash": "a" * 40},
    ):
        await client.send_json_auto_id(command)
        assert (await client.receive_json())["error"]["code"] == "not_found", command


async def test_the_card_hears_why_the_files_of_a_download_cannot_be_listed(
    hass: HomeAssistant, hass_ws_client: WebSocketGenerator, own_engine: EngineProcess
) -> None:
    await load(hass, entry_for(own_engine))
    client = await hass_ws_client(hass)
    unknown = {"type": "haul/files", "info_hash": "d" * 40}
    await client.send_json_auto_id(unknown)
    refused = (await client.receive_json())["error"]
    assert (refused["code"], refused["message"]) == (
        "home_assistant_error", f"not_found: no torrent with hash {'d' * 40}",
    )  # fmt: skip
    await hass.async_add_executor_job(own_engine.stop)
    await client.send_json_auto_id(unknown)
    unreachable = (await client.receive_json())["error"]
    assert unreachable["code"] == "home_assistant_error"
    assert unreachable["message"].startswith(f"cannot connect to {own_engine.url}")


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
    with pytest.raises(ServiceValidationError) as failed:  # no Radarr: the engine refuses
        await hass.services.async_call(DOMAIN, "request_media", asked, blocking=True,
                                       return_response=True)  # fmt: skip
    assert failed.value.translation_key == "rejected"
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


async def test_options_flow_when_the_engine_stops_as_the_form_is_saved(
    hass: HomeAssistant, own_engine: EngineProcess, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = await load(hass, entry_for(own_engine))
    client = loaded.runtime_data.client
    result = await hass.config_entries.options.async_init(loaded.entry_id)
    chosen = {"download_limit": 0, "upload_limit": 0, "alt_download_limit": 0,
              "alt_upload_limit": 0, "schedule_enabled": False, "schedule_start": "01:00:00",
              "schedule_end": "07:00:00", "schedule_days": ["0"], "auto_pick_hours": 3}  # fmt: skip
    # Saving reads the engine's settings again, then writes: the engine must stop between the
    # two, which no timing from outside hits at will; it is stopped at the first write.
    read_and_write = client.call

    async def stop_at_the_first_write(method: str, path: str, arguments: Any) -> Any:  # noqa: ANN401 - JSON
        if method == "PUT":
            await hass.async_add_executor_job(own_engine.stop)
        return await read_and_write(method, path, arguments)

    with monkeypatch.context() as patched:
        patched.setattr(client, "call", stop_at_the_first_write)
        result = await hass.config_entries.options.async_configure(result["flow_id"], chosen)
    assert (result["type"], result["errors"]) == ("form", {"base": "cannot_connect"})
    assert f"cannot connect to {own_engine.url}" in result["description_placeholders"]["error"]

    # Nothing was saved; once the engine is back, the same form saves.
    await hass.async_add_executor_job(own_engine.start)
    assert own_engine.call("GET", "/options")["auto_pick_hours"] == 0.0
    result = await hass.config_entries.options.async_configure(result["flow_id"], chosen)
    assert result["type"] == "create_entry"
    assert own_engine.call("GET", "/options")["auto_pick_hours"] == 3.0


async def test_options_flow_on_an_engine_whose_disk_is_full(
    hass: HomeAssistant, engine_factory: Callable[..., EngineProcess], small_disk: Path
) -> None:
    database = f"sqlite+aiosqlite:///{small_disk / 'haul.db'}"
    engine = engine_factory(args=["--database-url", database]).start()
    loaded = await load(hass, entry_for(engine))
    result = await hass.config_entries.options.async_init(loaded.entry_id)
    chosen = {"download_limit": 0, "upload_limit": 0, "alt_download_limit": 0,
              "alt_upload_limit": 0, "schedule_enabled": False, "schedule_start": "01:00:00",
              "schedule_end": "07:00:00", "schedule_days": ["0"], "auto_pick_hours": 3}  # fmt: skip

    filler = await hass.async_add_executor_job(fill, small_disk)
    result = await hass.config_entries.options.async_configure(result["flow_id"], chosen)
    # The engine answered: the form says what it answered, not that it cannot be reached.
    assert result["type"] == "form"
    assert result["errors"] != {"base": "cannot_connect"}
    assert "is full" in str(result["description_placeholders"])
    assert engine.call("GET", "/options")["auto_pick_hours"] == 0.0

    filler.unlink()
    result = await hass.config_entries.options.async_configure(result["flow_id"], chosen)
    assert result["type"] == "create_entry"
    assert engine.call("GET", "/options")["auto_pick_hours"] == 3.0
