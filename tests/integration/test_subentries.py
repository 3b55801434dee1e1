"""Connector subentries: create, test, reconfigure and remove, reaching the real engine."""

from __future__ import annotations

import base64
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import pytest
import pytest_socket
from homeassistant.config_entries import (
    SOURCE_RECONFIGURE,
    SOURCE_USER,
    ConfigEntryState,
    ConfigSubentry,
    ConfigSubentryData,
)
from homeassistant.const import CONF_TOKEN, CONF_URL, STATE_OFF, STATE_ON, EntityCategory
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.haul.const import DOMAIN
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr import FakeArr, Library
from tests.fakes.mediaservers import JELLYFIN_KEY, FakeJellyfin
from tests.fakes.overseerr import API_KEY as OVERSEERR_KEY
from tests.fakes.overseerr import FakeOverseerr, OverseerrRequest
from tests.fakes.torznab import API_KEY as TORZNAB_KEY
from tests.fakes.torznab import FakeTorznab
from tests.integration.conftest import entry_for, load, wait_for
from tests.support.engine import EngineProcess
from tests.support.programs import free_port
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, Any]]:
    """The outside services connectors point at."""
    pytest_socket.enable_socket()
    servers: dict[str, Any] = {
        "sonarr": FakeArr(
            "sonarr", Library.generate(3, series=2, seasons=1, episodes_per_season=4)
        ),
        "overseerr": FakeOverseerr(),
        "torznab": FakeTorznab(),
        "jellyfin": FakeJellyfin(),
    }
    for server in servers.values():
        server.start()
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="module")
def module_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    """An engine the tests of this module add connectors to."""
    pytest_socket.enable_socket()
    engine = EngineProcess(tmp_path_factory.mktemp("subentries") / "engine").start()
    yield engine
    engine.kill()


@pytest.fixture
async def entry(hass: HomeAssistant, module_engine: EngineProcess) -> MockConfigEntry:
    """The engine, set up in HA."""
    return await load(hass, entry_for(module_engine))


def connectors(engine: EngineProcess) -> dict[str, dict[str, Any]]:
    """The engine's connectors by id."""
    status, answer = engine.request("GET", "/api/v1/connectors")
    assert status == 200
    return {item["id"]: item for item in answer}


def state(hass: HomeAssistant, entity_id: str) -> str:
    """An entity's state."""
    current = hass.states.get(entity_id)
    assert current is not None, entity_id
    return current.state


async def add(
    hass: HomeAssistant, entry: MockConfigEntry, kind: str, form: dict[str, Any]
) -> dict[str, Any]:
    """Run a subentry flow to its first answer after the form."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, kind), context={"source": SOURCE_USER}
    )
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "user"
    return dict(
        await hass.config_entries.subentries.async_configure(result["flow_id"], user_input=form)
    )


async def reconfigure(
    hass: HomeAssistant, entry: MockConfigEntry, subentry: ConfigSubentry
) -> dict[str, Any]:
    """Open a subentry's reconfigure flow."""
    return dict(
        await hass.config_entries.subentries.async_init(
            (entry.entry_id, subentry.subentry_type),
            context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
        )
    )


def suggested(form: dict[str, Any]) -> dict[str, Any]:
    """The values a form is filled in with."""
    return {
        str(key): key.description["suggested_value"]
        for key in form["data_schema"].schema
        if key.description
    }


async def _use_the_controls(
    hass: HomeAssistant, engine: EngineProcess, connector_id: str, device_id: str
) -> None:
    """The Sonarr device's sensors, switches and buttons reach the engine."""
    await wait_for(
        lambda: state(hass, "sensor.sonarr_completion") not in {"unknown", "unavailable"}
    )
    assert state(hass, "binary_sensor.sonarr_problem") == STATE_OFF
    await hass.services.async_call(
        "switch", "turn_off", target={"entity_id": "switch.sonarr_enabled"}, blocking=True
    )
    assert connectors(engine)[connector_id]["enabled"] is False
    await wait_for(lambda: state(hass, "switch.sonarr_enabled") == STATE_OFF)
    await hass.services.async_call(
        "switch", "turn_on", target={"entity_id": "switch.sonarr_enabled"}, blocking=True
    )
    await wait_for(lambda: state(hass, "switch.sonarr_enabled") == STATE_ON)
    assert state(hass, "switch.sonarr_scheduled_sweeps") == STATE_ON
    await hass.services.async_call(
        "switch", "turn_off", target={"entity_id": "switch.sonarr_scheduled_sweeps"}, blocking=True
    )
    assert connectors(engine)[connector_id]["settings"]["scheduled_sweeps"] is False
    await wait_for(lambda: state(hass, "switch.sonarr_scheduled_sweeps") == STATE_OFF)
    synced: list[dict[str, Any]] = []
    hass.bus.async_listen(f"{DOMAIN}_event", lambda event: synced.append(dict(event.data)))
    await hass.services.async_call(
        "button", "press", target={"entity_id": "button.sonarr_sync_now"}, blocking=True
    )
    await wait_for(lambda: any(event["type"] == "sync_completed" for event in synced))
    sync = next(event for event in synced if event["type"] == "sync_completed")
    assert (sync["connector_id"], sync["device_id"]) == (connector_id, device_id)


async def _connector_device(
    hass: HomeAssistant, entry: MockConfigEntry, subentry_id: str, version: str
) -> dr.DeviceEntry:
    """The connector's device: a service of the subentry, reached through the engine's device."""
    device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, f"{entry.unique_id}_{subentry_id}"), entry.entry_id
    )
    assert device is not None
    assert (device.config_entry_id, device.config_subentry_id) == (
        entry.entry_id, subentry_id,
    )  # fmt: skip
    assert (device.name, device.model, device.entry_type) == (
        "Sonarr", "Sonarr", dr.DeviceEntryType.SERVICE,
    )  # fmt: skip
    engine_device = dr.async_get(hass).async_get_device_by_identifier(
        (DOMAIN, entry.unique_id or ""), entry.entry_id
    )
    assert engine_device is not None
    assert device.via_device_id == engine_device.id
    # The engine asks the app who it is; the device shows the app and version it answered.
    await wait_for(
        lambda: getattr(dr.async_get(hass).async_get(device.id), "sw_version", None) == version
    )
    assert getattr(dr.async_get(hass).async_get(device.id), "manufacturer", None) == "Sonarr"
    return device


async def test_sonarr_create_reconfigure_remove(
    hass: HomeAssistant,
    module_engine: EngineProcess,
    entry: MockConfigEntry,
    fakes: dict[str, Any],
) -> None:
    form = {"name": "Sonarr", "url": fakes["sonarr"].url, "api_key": "wrong", "verify_ssl": True,
            "search_upgrades": False, "upgrades_first": False, "throttle": "conservative",
            "queue_limit": 5}  # fmt: skip
    result = await add(hass, entry, "sonarr", form)
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "test_failed"}
    assert result["description_placeholders"]["error"]
    assert connectors(module_engine) == {}

    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], user_input=form | {"api_key": ARR_KEY}
        )
    )
    # Sonarr's webhook (Basic credentials, the secret as password) makes syncs follow imports.
    assert result["step_id"] == "webhook"
    url, secret = (result["description_placeholders"][key] for key in ("url", "secret"))
    (connector,) = connectors(module_engine).values()
    assert url == f"{module_engine.url}/api/v1/webhooks/arr/{connector['id']}"
    assert connector["secrets_set"] == ["webhook_secret"]
    basic = "Basic " + base64.b64encode(f"haul:{secret}".encode()).decode()
    assert send_webhook(url, {"eventType": "Test"}, basic)[0] == 200
    assert send_webhook(url, {"eventType": "Test"}, "wrong")[0] == 401
    result = dict(await hass.config_entries.subentries.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    (connector,) = connectors(module_engine).values()
    assert (connector["kind"], connector["name"], connector["has_api_key"]) == (
        "sonarr",
        "Sonarr",
        True,
    )
    assert connector["settings"]["throttle"] == "conservative"
    assert connector["settings"]["queue_limit"] == 5
    assert connector["settings"]["search_upgrades"] is False
    (subentry,) = entry.subentries.values()
    assert subentry.unique_id == connector["id"]

    # The reload shows the connector's device and entities.
    device = await _connector_device(hass, entry, subentry.subentry_id, fakes["sonarr"].version)
    ours = {e.entity_id for e in er.async_entries_for_device(er.async_get(hass), device.id)}
    assert ours == {
        "sensor.sonarr_missing_items", "sensor.sonarr_cutoff_unmet", "sensor.sonarr_completion",
        "sensor.sonarr_last_sync", "binary_sensor.sonarr_problem", "switch.sonarr_enabled",
        "switch.sonarr_scheduled_sweeps", "button.sonarr_sync_now", "button.sonarr_sweep_now",
    }  # fmt: skip
    await _use_the_controls(hass, module_engine, connector["id"], device.id)

    # Reconfigure: a new name and pace; the empty API key keeps the stored one.
    result = await reconfigure(hass, entry, subentry)
    assert result["step_id"] == "reconfigure"
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"],
            user_input=form | {"name": "TV", "api_key": "", "throttle": "aggressive"},
        )
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    changed = connectors(module_engine)[connector["id"]]
    assert (changed["name"], changed["settings"]["throttle"]) == ("TV", "aggressive")
    assert changed["health"] != "unhealthy"
    assert entry.subentries[subentry.subentry_id].title == "TV"

    # Removing the subentry removes the connector and its device.
    assert hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: connectors(module_engine) == {})
    assert dr.async_get(hass).async_get(device.id) is None


async def test_overseerr_shows_its_webhook(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    module_engine: EngineProcess,
    entry: MockConfigEntry,
    fakes: dict[str, Any],
) -> None:
    form = {"name": "Overseerr", "url": fakes["overseerr"].url, "api_key": OVERSEERR_KEY,
            "verify_ssl": True, "reconcile": False, "auto_pick_users": "carol, dave"}  # fmt: skip
    result = await add(hass, entry, "overseerr", form)
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "webhook"
    url, secret = (
        result["description_placeholders"]["url"],
        result["description_placeholders"]["secret"],
    )
    (connector,) = connectors(module_engine).values()
    assert url == f"{module_engine.url}/api/v1/webhooks/overseerr/{connector['id']}"
    assert connector["secrets_set"] == ["webhook_secret"]
    assert connector["settings"]["auto_pick_users"] == ["carol", "dave"]
    # While the flow shows the webhook, the engine's new connector is the flow's, not one to adopt.
    coordinator = entry.runtime_data.coordinator
    await wait_for(lambda: connector["id"] in coordinator.data.views.connectors)
    assert not entry.subentries
    result = dict(await hass.config_entries.subentries.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()

    request = OverseerrRequest(id=5, media_type="movie", title="Heat", year=1995, tmdb_id=949)
    body = fakes["overseerr"].add(request).webhook("MEDIA_PENDING")
    assert send_webhook(url, body, "wrong")[0] == 401
    assert send_webhook(url, body, secret)[0] == 200
    await wait_for(lambda: state(hass, "sensor.overseerr_pending_requests") == "1")

    diagnostics = await get_diagnostics_for_config_entry(hass, hass_client, entry)
    for secret_value in (secret, OVERSEERR_KEY, module_engine.token):
        assert secret_value not in str(diagnostics)
    (stored,) = diagnostics["entry"]["subentries"]
    redacted = "**REDACTED**"
    assert (stored["data"]["api_key"], stored["data"]["settings"]["webhook_secret"]) == (
        redacted, redacted,
    )  # fmt: skip

    # Reconfigure shows the users as they were typed; the app keeps the webhook secret it has.
    (subentry,) = entry.subentries.values()
    result = await reconfigure(hass, entry, subentry)
    assert suggested(result)["auto_pick_users"] == "carol, dave"
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], user_input=form | {"api_key": "", "auto_pick_users": "carol"}
        )
    )
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    (connector,) = connectors(module_engine).values()
    assert connector["settings"]["auto_pick_users"] == ["carol"]
    ronin = OverseerrRequest(id=6, media_type="movie", title="Ronin", year=1998, tmdb_id=8195)
    body = fakes["overseerr"].add(ronin).webhook("MEDIA_PENDING")
    assert send_webhook(url, body, secret)[0] == 200
    await wait_for(lambda: state(hass, "sensor.overseerr_pending_requests") == "2")

    hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: connectors(module_engine) == {})


async def test_other_kinds_and_errors(
    hass: HomeAssistant,
    module_engine: EngineProcess,
    entry: MockConfigEntry,
    fakes: dict[str, Any],
) -> None:
    torznab = {"name": "Indexer", "url": f"{fakes['torznab'].url}/api", "api_key": TORZNAB_KEY,
               "verify_ssl": True, "timeout": 10, "concurrency": 3}  # fmt: skip
    result = await add(hass, entry, "torznab", torznab)
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()  # the entry reloads to show the connector
    jellyfin = {"name": "Indexer", "url": fakes["jellyfin"].url, "api_key": JELLYFIN_KEY,
                "verify_ssl": True}  # fmt: skip
    result = await add(hass, entry, "jellyfin", jellyfin | {"url": "ftp://jellyfin.local"})
    assert result["errors"] == {"base": "invalid_settings"}
    assert "http(s)" in result["description_placeholders"]["error"]
    result = dict(
        await hass.config_entries.subentries.async_configure(result["flow_id"], user_input=jellyfin)
    )
    assert result["errors"] == {"base": "name_taken"}
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], user_input=jellyfin | {"name": "Jellyfin"}
        )
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    kinds = {c["kind"]: c for c in connectors(module_engine).values()}
    assert set(kinds) == {"torznab", "jellyfin"}
    assert kinds["torznab"]["settings"]["concurrency"] == 3
    assert hass.states.get("sensor.indexer_failures") is not None
    # A search through the engine shows how long the indexer took to answer.
    assert state(hass, "sensor.indexer_last_response_time") == "unknown"
    fakes["torznab"].behaviour.delay = 0.05
    status, answer = module_engine.request("GET", "/api/v1/releases/search?query=Movie")
    fakes["torznab"].behaviour.delay = 0.0
    assert status == 200, answer
    took = str(answer["indexers"][0]["elapsed_ms"])
    await wait_for(lambda: state(hass, "sensor.indexer_last_response_time") == took)
    timed = hass.states.get("sensor.indexer_last_response_time")
    assert timed is not None
    assert (timed.attributes["unit_of_measurement"], timed.attributes["device_class"]) == (
        "ms", "duration",
    )  # fmt: skip
    registered = er.async_get(hass).async_get("sensor.indexer_last_response_time")
    assert registered is not None
    assert registered.entity_category is EntityCategory.DIAGNOSTIC
    assert hass.states.get("binary_sensor.jellyfin_problem") is not None

    # A reset engine (its database lost while Home Assistant was away) has lost its connectors;
    # the subentries bring them back.
    assert await hass.config_entries.async_unload(entry.entry_id)
    for connector_id in kinds.values():
        status, _ = module_engine.request("DELETE", f"/api/v1/connectors/{connector_id['id']}")
        assert status == 200
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    again = {c["kind"]: c for c in connectors(module_engine).values()}
    assert set(again) == {"torznab", "jellyfin"}
    assert again["jellyfin"]["has_api_key"] is True
    assert {s.data["connector_id"] for s in entry.subentries.values()} == {
        c["id"] for c in again.values()
    }
    for subentry_id in list(entry.subentries):
        hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: connectors(module_engine) == {})


async def test_connectors_made_elsewhere_appear_as_devices(
    hass: HomeAssistant,
    module_engine: EngineProcess,
    entry: MockConfigEntry,
    fakes: dict[str, Any],
    setups: list[str],
) -> None:
    url = f"{fakes['torznab'].url}/api"
    # Made through the engine's API while Home Assistant runs: added in place, no reload.
    made = module_engine.add_connector("torznab", url, TORZNAB_KEY, name="Elsewhere")
    await wait_for(lambda: made in {s.unique_id for s in entry.subentries.values()})
    await hass.async_block_till_done()
    await wait_for(lambda: hass.states.get("sensor.elsewhere_failures") is not None)
    assert setups == []
    (subentry,) = entry.subentries.values()
    assert (subentry.subentry_type, subentry.title, subentry.data["connector_id"]) == (
        "torznab", "Elsewhere", made,
    )  # fmt: skip

    # Its name is taken, and the form says by what.
    form = {"name": "Elsewhere", "url": url, "api_key": TORZNAB_KEY, "verify_ssl": True,
            "timeout": 10, "concurrency": 2}  # fmt: skip
    result = await add(hass, entry, "torznab", form)
    assert result["errors"] == {"base": "name_taken"}
    assert result["description_placeholders"]["name"] == "Elsewhere"

    # Removing the Haul entry leaves the engine's connectors; adding it again shows them.
    assert await hass.config_entries.async_remove(entry.entry_id)
    assert set(connectors(module_engine)) == {made}
    again = await load(hass, entry_for(module_engine))
    assert [s.unique_id for s in again.subentries.values()] == [made]
    assert hass.states.get("sensor.elsewhere_failures") is not None

    # Removed in the engine (its API) while Home Assistant runs: the subentry and device go too.
    pushed = again.runtime_data.coordinator.data.system
    await wait_for(lambda: again.runtime_data.coordinator.data.system is not pushed)  # subscribed
    module_engine.call("DELETE", f"/connectors/{made}")
    await wait_for(lambda: not again.subentries)
    await hass.async_block_till_done()
    assert hass.states.get("sensor.elsewhere_failures") is None
    assert setups == [again.entry_id]  # its setup above; the removal reloaded nothing


async def test_a_connector_added_while_the_engine_is_down_is_added_once_it_is_back(
    hass: HomeAssistant, own_engine: EngineProcess, fakes: dict[str, Any]
) -> None:
    entry = await load(hass, entry_for(own_engine))
    await hass.async_add_executor_job(own_engine.stop)
    form = {"name": "Indexer", "url": f"{fakes['torznab'].url}/api", "api_key": TORZNAB_KEY,
            "verify_ssl": True, "timeout": 10, "concurrency": 2}  # fmt: skip
    result = await add(hass, entry, "torznab", form)
    assert result["errors"] == {"base": "cannot_connect"}
    assert own_engine.url in result["description_placeholders"]["error"]

    await hass.async_add_executor_job(own_engine.start)
    result = dict(
        await hass.config_entries.subentries.async_configure(result["flow_id"], user_input=form)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    assert [connector["name"] for connector in connectors(own_engine).values()] == ["Indexer"]


async def test_connector_flows_wait_for_the_engine_to_be_connected(hass: HomeAssistant) -> None:
    indexer = ConfigSubentryData(
        data={"connector_id": "c1", "name": "Indexer", "url": "http://127.0.0.1:9117/api",
              "api_key": TORZNAB_KEY, "verify_ssl": True, "settings": {}},
        subentry_type="torznab", title="Indexer", unique_id="c1",
    )  # fmt: skip
    entry = MockConfigEntry(
        domain=DOMAIN, title="Haul", unique_id="away", subentries_data=[indexer],
        data={CONF_URL: f"http://127.0.0.1:{free_port()}", CONF_TOKEN: "token"},
    )  # fmt: skip
    entry.add_to_hass(hass)
    assert not await hass.config_entries.async_setup(entry.entry_id)  # the engine is away
    assert entry.state is ConfigEntryState.SETUP_RETRY

    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "torznab"), context={"source": SOURCE_USER}
    )
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "engine_not_loaded")
    (subentry,) = entry.subentries.values()
    result = await reconfigure(hass, entry, subentry)
    assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "engine_not_loaded")


async def test_a_connector_removed_while_the_engine_is_down_stays_removed(
    hass: HomeAssistant,
    own_engine: EngineProcess,
    fakes: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    own_engine.add_connector("torznab", f"{fakes['torznab'].url}/api", TORZNAB_KEY, name="Indexer")
    entry = await load(hass, entry_for(own_engine))
    (subentry,) = entry.subentries.values()
    await hass.async_add_executor_job(own_engine.stop)
    assert hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    await hass.async_block_till_done()
    assert "Cannot remove" in caplog.text

    await hass.async_add_executor_job(own_engine.start)
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert [s.title for s in entry.subentries.values()] == []
    await wait_for(lambda: connectors(own_engine) == {})


async def test_a_lost_connector_whose_name_was_taken_meanwhile_is_not_made_twice(
    hass: HomeAssistant,
    own_engine: EngineProcess,
    fakes: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"{fakes['torznab'].url}/api"
    made = own_engine.add_connector("torznab", url, TORZNAB_KEY, name="Indexer")
    entry = entry_for(own_engine)
    entry.add_to_hass(hass)
    lost = {"connector_id": "lost", "name": "Indexer", "url": url, "api_key": TORZNAB_KEY,
            "verify_ssl": True, "settings": {}}  # fmt: skip
    hass.config_entries.async_add_subentry(
        entry,
        ConfigSubentry(data=MappingProxyType(lost), subentry_type="torznab", title="Indexer",
                       unique_id="lost"),
    )  # fmt: skip
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert "Cannot add Indexer to the Haul engine again: conflict" in caplog.text
    assert set(connectors(own_engine)) == {made}
    # Kept to be made again at the next setup; the engine's own shows beside it.
    assert sorted(str(s.unique_id) for s in entry.subentries.values()) == sorted(["lost", made])
