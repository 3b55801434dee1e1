"""Connector subentries: create, test, reconfigure and remove, reaching the real engine."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import probatio
import pytest
import pytest_socket
from homeassistant.config_entries import SOURCE_RECONFIGURE, SOURCE_USER, ConfigSubentry
from homeassistant.const import STATE_OFF, STATE_ON, EntityCategory
from homeassistant.data_entry_flow import FlowResultType, InvalidData, section
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.selector import ObjectSelector, SelectSelector
from pytest_homeassistant_custom_component.components.diagnostics import (
    get_diagnostics_for_config_entry,
)

from custom_components.haul.connectors import removals
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
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator


@pytest.fixture(scope="module")
def fakes() -> Iterator[dict[str, Any]]:
    """The outside services connectors point at."""
    pytest_socket.enable_socket()
    library = Library.generate(3, series=2, seasons=1, episodes_per_season=4)
    # airs next week: monitored, not out yet (upcoming)
    library.episodes[4].update(airDateUtc=datetime.now(UTC) + timedelta(days=7), hasFile=False)
    servers: dict[str, Any] = {
        "sonarr": FakeArr("sonarr", library),
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
    """Open a subentry's reconfigure form."""
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, subentry.subentry_type),
        context={"source": SOURCE_RECONFIGURE, "subentry_id": subentry.subentry_id},
    )
    assert result["step_id"] == "reconfigure"
    return dict(result)


def shown(schema: probatio.Schema) -> dict[str, Any]:
    """What a form shows in each field, as the frontend fills it in: suggestion, else default."""
    values: dict[str, Any] = {}
    for marker, field in schema.schema.items():
        suggested = (marker.description or {}).get("suggested_value")
        if isinstance(field, section):
            values[marker.schema] = shown(field.schema)
        elif suggested is not None:
            values[marker.schema] = suggested
        elif marker.default is not probatio.UNDEFINED:
            values[marker.schema] = marker.default()
    return values


def selectors(schema: probatio.Schema) -> dict[str, Any]:
    """Each field's selector by name (a section's fields under the section's name)."""
    return {
        marker.schema: selectors(field.schema) if isinstance(field, section) else field
        for marker, field in schema.schema.items()
    }


async def _use_the_controls(
    hass: HomeAssistant, engine: EngineProcess, sonarr: FakeArr, connector_id: str, device_id: str
) -> None:
    """The Sonarr device's sensors, switches and buttons reach the engine."""
    await wait_for(
        lambda: state(hass, "sensor.sonarr_completion") not in {"unknown", "unavailable"}
    )
    assert state(hass, "binary_sensor.sonarr_problem") == STATE_OFF
    # Sonarr's missing list holds what has aired; the episode airing next week is upcoming
    missing = str(len(sonarr.wanted("missing")))
    await wait_for(lambda: state(hass, "sensor.sonarr_upcoming_items") == "1")
    assert state(hass, "sensor.sonarr_missing_items") == missing
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


async def _choose_from_sonarr(
    hass: HomeAssistant, engine: EngineProcess, result: dict[str, Any]
) -> dict[str, Any]:
    """Sonarr added, its quality profiles and root folders are offered as listed from it (the
    first form could not list them): a profile chosen, a folder left to Sonarr's first.
    """
    assert result["step_id"] == "choices", result.get("errors")
    assert result["description_placeholders"]["name"] == "Sonarr"
    listed = selectors(result["data_schema"])
    assert list(listed) == ["request_quality_profile", "request_root_folder"]
    for name, options in (("request_quality_profile", [("4", "HD-1080p")]),
                          ("request_root_folder", [("/tv", "/tv")])):  # fmt: skip
        assert isinstance(listed[name], SelectSelector)
        assert [(o["value"], o["label"]) for o in listed[name].config["options"]] == options
    assert shown(result["data_schema"]) == {}  # nothing chosen for the user
    # A profile Sonarr does not list is refused before it reaches the engine.
    flow_id = result["flow_id"]
    with pytest.raises(InvalidData, match="request_quality_profile"):
        await hass.config_entries.subentries.async_configure(
            flow_id, {"request_quality_profile": "7"}
        )
    (connector,) = connectors(engine).values()
    assert connector["settings"]["request_quality_profile"] is None
    chosen = dict(await hass.config_entries.subentries.async_configure(
        flow_id, {"request_quality_profile": "4"}))  # fmt: skip
    (connector,) = connectors(engine).values()
    settings = connector["settings"]
    assert (settings["request_quality_profile"], settings["request_root_folder"]) == (4, None)
    return chosen


async def _add_sonarr(
    hass: HomeAssistant, engine: EngineProcess, entry: MockConfigEntry, url: str
) -> tuple[dict[str, Any], str]:
    """Add Sonarr through the engine's form, the engine refusing a schedule first; the form used.

    Returns the form and the webhook secret.
    """
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "sonarr"), context={"source": SOURCE_USER}
    )
    # The form is the engine's: its defaults, its season settings, the custom pace as a section.
    defaults = shown(result["data_schema"])
    assert defaults == {
        "name": "Sonarr", "url": "http://localhost:8989", "verify_ssl": True,
        "sync_schedule": "*/30 * * * *", "sweep_schedule": "5 * * * *", "scheduled_sweeps": True,
        "search_upgrades": True, "upgrades_first": False, "throttle": "moderate",
        "custom_throttle": {"searches_per_minute": 2, "searches_per_day": 200, "batch_size": 5,
                            "cooldown_minutes": 360, "backoff_multiplier": 2.0, "max_attempts": 6},
        "exhausted_retention_days": 30,
        "queue_limit": 20, "season_search_ratio": 0.5, "episode_search_max": 4,
        "series_search_min_seasons": 3, "request_default": False, "request_4k": False,
        "request_servers": [],
    }  # fmt: skip
    throttle = selectors(result["data_schema"])["throttle"]
    assert isinstance(throttle, SelectSelector)
    assert throttle.config["translation_key"] == "settings_throttle"
    assert [option["value"] for option in throttle.config["options"]] == [
        "conservative", "moderate", "aggressive", "custom",
    ]  # fmt: skip
    form = defaults | {
        "url": url, "api_key": "wrong", "search_upgrades": False,
        "throttle": "custom", "queue_limit": 5, "sync_schedule": "0 * * * *",
        "sweep_schedule": "61 * * * *", "season_search_ratio": 0.75, "episode_search_max": 6,
        "series_search_min_seasons": 2,
        "custom_throttle": {**defaults["custom_throttle"], "batch_size": 7, "searches_per_day": 40},
    }  # fmt: skip
    # A schedule the engine refuses is shown with the engine's words.
    typed = form | {"webhook_secret": "typed-secret-long-enough-1234"}
    result = dict(await hass.config_entries.subentries.async_configure(result["flow_id"], typed))
    assert result["errors"] == {"base": "invalid_settings"}
    assert "settings.sweep_schedule" in result["description_placeholders"]["error"]
    assert "minute field" in result["description_placeholders"]["error"]
    again = shown(result["data_schema"])
    assert again["sweep_schedule"] == "61 * * * *"  # kept to correct
    assert "api_key" not in again
    assert "webhook_secret" not in again
    form["sweep_schedule"] = "15 */6 * * *"
    result = dict(await hass.config_entries.subentries.async_configure(result["flow_id"], form))
    assert result["type"] is FlowResultType.FORM
    assert result["errors"] == {"base": "test_failed"}
    assert result["description_placeholders"]["error"]
    assert connectors(engine) == {}

    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], user_input=form | {"api_key": ARR_KEY}
        )
    )
    result = await _choose_from_sonarr(hass, engine, result)
    # Sonarr's webhook (Basic credentials, the secret as password) makes syncs follow imports.
    assert result["step_id"] == "webhook"
    hook, secret = (result["description_placeholders"][key] for key in ("url", "secret"))
    (connector,) = connectors(engine).values()
    assert hook == f"{engine.url}/api/v1/webhooks/arr/{connector['id']}"
    assert connector["secrets_set"] == ["webhook_secret"]
    basic = "Basic " + base64.b64encode(f"haul:{secret}".encode()).decode()
    assert send_webhook(hook, {"eventType": "Test"}, basic)[0] == 200
    assert send_webhook(hook, {"eventType": "Test"}, "wrong")[0] == 401
    result = dict(await hass.config_entries.subentries.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    return form, secret


async def test_sonarr_create_reconfigure_remove(
    hass: HomeAssistant,
    module_engine: EngineProcess,
    entry: MockConfigEntry,
    fakes: dict[str, Any],
) -> None:
    form, secret = await _add_sonarr(hass, module_engine, entry, fakes["sonarr"].url)
    (connector,) = connectors(module_engine).values()
    assert (connector["kind"], connector["name"], connector["has_api_key"]) == (
        "sonarr",
        "Sonarr",
        True,
    )
    # The engine keeps every setting as the forms gave it (the ones left empty: null).
    connection = {"name", "url", "api_key", "verify_ssl"}
    chosen = {"request_quality_profile": 4, "request_root_folder": None}
    assert connector["settings"] == {k: v for k, v in form.items() if k not in connection} | chosen
    assert connector["settings"]["custom_throttle"]["batch_size"] == 7
    (subentry,) = entry.subentries.values()
    assert subentry.unique_id == connector["id"]

    # The reload shows the connector's device and entities.
    device = await _connector_device(hass, entry, subentry.subentry_id, fakes["sonarr"].version)
    ours = {e.entity_id for e in er.async_entries_for_device(er.async_get(hass), device.id)}
    assert ours == {
        "sensor.sonarr_missing_items", "sensor.sonarr_cutoff_unmet", "sensor.sonarr_completion",
        "sensor.sonarr_upcoming_items", "sensor.sonarr_last_sync", "binary_sensor.sonarr_problem",
        "switch.sonarr_enabled", "switch.sonarr_scheduled_sweeps", "button.sonarr_sync_now",
        "button.sonarr_sweep_now",
    }  # fmt: skip
    await _use_the_controls(hass, module_engine, fakes["sonarr"], connector["id"], device.id)

    # Reconfigure shows what the engine has now (the switch turned sweeps off), never a secret;
    # one nested value and the name change, the empty API key and secret keep the stored ones.
    result = await reconfigure(hass, entry, subentry)
    current = shown(result["data_schema"])
    assert current == {
        "name": "Sonarr", "url": fakes["sonarr"].url, "verify_ssl": True,
        **{key: value for key, value in form.items() if key not in {"name", "url", "api_key"}},
        "sweep_schedule": "15 */6 * * *", "scheduled_sweeps": False,
        "request_quality_profile": "4",  # chosen when it was added
    }  # fmt: skip
    # the quality profiles and root folders for requests are Sonarr's own, listed from it
    listed = selectors(result["data_schema"])
    for name, options in (("request_quality_profile", [("4", "HD-1080p")]),
                          ("request_root_folder", [("/tv", "/tv")])):  # fmt: skip
        assert isinstance(listed[name], SelectSelector)
        assert [(o["value"], o["label"]) for o in listed[name].config["options"]] == options
        assert "translation_key" not in listed[name].config
    changed_pace = {**current["custom_throttle"], "batch_size": 9}
    answers = current | {"name": "TV", "api_key": "", "custom_throttle": changed_pace,
                         "request_quality_profile": "4", "request_root_folder": "/tv"}  # fmt: skip
    result = dict(
        await hass.config_entries.subentries.async_configure(result["flow_id"], user_input=answers)
    )
    assert result["type"] is FlowResultType.ABORT
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    changed = connectors(module_engine)[connector["id"]]
    assert changed["name"] == "TV"
    assert changed["settings"] == connector["settings"] | {
        "custom_throttle": connector["settings"]["custom_throttle"] | {"batch_size": 9},
        "scheduled_sweeps": False, "request_quality_profile": 4, "request_root_folder": "/tv",
    }  # fmt: skip
    assert changed["secrets_set"] == ["webhook_secret"]
    assert changed["health"] != "unhealthy"
    hook = f"{module_engine.url}/api/v1/webhooks/arr/{connector['id']}"
    basic = "Basic " + base64.b64encode(f"haul:{secret}".encode()).decode()
    assert send_webhook(hook, {"eventType": "Test"}, basic)[0] == 200  # the same secret
    assert entry.subentries[subentry.subentry_id].title == "TV"
    assert entry.subentries[subentry.subentry_id].data["settings"]["webhook_secret"] == secret

    # Removing the subentry removes the connector and its device.
    assert hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: connectors(module_engine) == {})
    assert dr.async_get(hass).async_get(device.id) is None


async def _not_adopted_while_the_flow_runs(entry: MockConfigEntry, connector_id: str) -> None:
    """While a flow shows the webhook, the engine's new connector is the flow's to add."""
    coordinator = entry.runtime_data.coordinator
    await wait_for(lambda: connector_id in coordinator.data.views.connectors)
    assert not entry.subentries


def _shown_on_reconfigure(result: dict[str, Any], url: str, secret: str) -> dict[str, Any]:
    """The Overseerr form on reconfigure: the webhook again, the settings; two of them emptied."""
    placeholders = result["description_placeholders"]
    assert placeholders | {"url": url, "secret": secret} == placeholders
    current = shown(result["data_schema"])
    assert (current["ranking_profile"], current["auto_pick_users"]) == (
        "1080p-compact", ["carol", "dave"],
    )  # fmt: skip
    assert "webhook_secret" not in current
    del current["ranking_profile"], current["auto_pick_users"]
    return current


async def test_overseerr_shows_its_webhook(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    module_engine: EngineProcess,
    entry: MockConfigEntry,
    fakes: dict[str, Any],
) -> None:
    result = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "overseerr"), context={"source": SOURCE_USER}
    )
    # The ranking profile is one of the engine's quality profiles, by name.
    profiles = module_engine.call("GET", "/releases/profiles")
    ranking = selectors(result["data_schema"])["ranking_profile"]
    assert isinstance(ranking, SelectSelector)
    assert ranking.config["options"] == [{"value": p["id"], "label": p["name"]} for p in profiles]
    assert "translation_key" not in ranking.config
    form = {"name": "Overseerr", "url": fakes["overseerr"].url, "api_key": OVERSEERR_KEY,
            "verify_ssl": True, "reconcile": False, "auto_pick_users": [" carol", "dave", ""],
            "ranking_profile": "1080p-compact",
            "availability_job": "availability-sync"}  # fmt: skip
    result = dict(await hass.config_entries.subentries.async_configure(result["flow_id"], form))
    assert result["type"] is FlowResultType.FORM
    assert result["step_id"] == "webhook"
    url, secret = (
        result["description_placeholders"]["url"],
        result["description_placeholders"]["secret"],
    )
    (connector,) = connectors(module_engine).values()
    assert url == f"{module_engine.url}/api/v1/webhooks/overseerr/{connector['id']}"
    assert connector["secrets_set"] == ["webhook_secret"]
    assert connector["settings"] == {
        "reconcile": False, "auto_pick_users": ["carol", "dave"],
        "ranking_profile": "1080p-compact", "availability_job": "availability-sync",
    }  # fmt: skip
    await _not_adopted_while_the_flow_runs(entry, connector["id"])
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

    # Reconfigure shows the webhook again. A new webhook secret (typed in) is shown to paste;
    # emptied, the profile is the engine's default again and the auto-pick users none (optional
    # fields are optional: the frontend leaves an emptied one out).
    (subentry,) = entry.subentries.values()
    result = await reconfigure(hass, entry, subentry)
    current = _shown_on_reconfigure(result, url, secret)
    tested = len(fakes["overseerr"].requests)
    result = dict(
        await hass.config_entries.subentries.async_configure(
            result["flow_id"], current | {"webhook_secret": "a-secret-of-my-own-that-is-long"}
        )
    )
    assert result["step_id"] == "webhook"
    assert result["description_placeholders"] == {
        "url": url,
        "secret": "a-secret-of-my-own-that-is-long",
    }
    result = dict(await hass.config_entries.subentries.async_configure(result["flow_id"], {}))
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    settings = connectors(module_engine)[connector["id"]]["settings"]
    assert (settings["ranking_profile"], settings["auto_pick_users"]) == (None, [])
    assert send_webhook(url, body, secret)[0] == 401
    assert send_webhook(url, body, "a-secret-of-my-own-that-is-long")[0] == 200

    # The engine tested the app, then asks it who it is in the background once it is saved.
    def asked() -> int:
        return sum("/status" in request["path"] for request in fakes["overseerr"].requests[tested:])

    await wait_for(lambda: asked() >= 2)

    hass.config_entries.async_remove_subentry(entry, subentry.subentry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: connectors(module_engine) == {})


async def _refuses_a_folder_given_twice(
    hass: HomeAssistant, flow_id: str, form: dict[str, Any]
) -> dict[str, Any]:
    """Send a Jellyfin form whose path map names its last folder again: the form names it."""
    folder = form["path_map"][-1]["key"]
    twice = [*form["path_map"], {"key": folder, "value": "/elsewhere"}]
    result = dict(
        await hass.config_entries.subentries.async_configure(
            flow_id, user_input=form | {"path_map": twice}
        )
    )
    assert result["errors"] == {"base": "invalid_settings"}
    assert result["description_placeholders"]["error"] == f"path_map: {folder!r} is given twice"
    return result


async def _add_jellyfin(hass: HomeAssistant, entry: MockConfigEntry, url: str) -> list[Any]:
    """Add Jellyfin with a path map after the form's and the engine's refusals; the map."""
    # A path map is a list of folder pairs, each pair labelled by the engine's titles.
    path_map = [{"key": "/data/media", "value": "/media"}, {"key": "/downloads", "value": "/dl"}]
    jellyfin = {"name": "Indexer", "url": url, "api_key": JELLYFIN_KEY,
                "verify_ssl": True, "path_map": path_map}  # fmt: skip
    result = await add(hass, entry, "jellyfin", jellyfin | {"url": "ftp://jellyfin.local"})
    assert result["errors"] == {"base": "invalid_settings"}
    assert "http(s)" in result["description_placeholders"]["error"]
    pairs = selectors(result["data_schema"])["path_map"]
    assert isinstance(pairs, ObjectSelector)
    assert pairs.config["multiple"] is True
    assert pairs.config["translation_key"] == "settings_path_map"
    result = await _refuses_a_folder_given_twice(hass, result["flow_id"], jellyfin)
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
    return path_map


async def test_an_overseerr_with_only_its_connection_is_saved(
    hass: HomeAssistant,
    module_engine: EngineProcess,
    entry: MockConfigEntry,
    fakes: dict[str, Any],
) -> None:
    """Optional settings are optional: left empty (as the frontend leaves them out), defaults."""
    form = {"name": "Seerr", "url": fakes["overseerr"].url, "api_key": OVERSEERR_KEY,
            "verify_ssl": True}  # fmt: skip
    result = await add(hass, entry, "overseerr", form)
    assert result["step_id"] == "webhook", result.get("errors")
    (connector,) = connectors(module_engine).values()
    assert connector["settings"]["auto_pick_users"] == []
    assert connector["secrets_set"] == ["webhook_secret"]  # made by Haul
    result = dict(await hass.config_entries.subentries.async_configure(result["flow_id"], {}))
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    for subentry_id in list(entry.subentries):
        hass.config_entries.async_remove_subentry(entry, subentry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: connectors(module_engine) == {})


async def test_other_kinds_and_errors(
    hass: HomeAssistant,
    module_engine: EngineProcess,
    entry: MockConfigEntry,
    fakes: dict[str, Any],
) -> None:
    torznab = {"name": "Indexer", "url": f"{fakes['torznab'].url}/api", "api_key": TORZNAB_KEY,
               "verify_ssl": True, "timeout": 10, "concurrency": 3,
               "categories": ["2000", " 5000 "]}  # fmt: skip
    # A category that is no number goes to the engine as typed, which says what is wrong.
    result = await add(hass, entry, "torznab", torznab | {"categories": ["2000", "films"]})
    assert result["errors"] == {"base": "invalid_settings"}
    assert "settings.categories.1" in result["description_placeholders"]["error"]
    result = dict(
        await hass.config_entries.subentries.async_configure(result["flow_id"], user_input=torznab)
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()  # the entry reloads to show the connector
    path_map = await _add_jellyfin(hass, entry, fakes["jellyfin"].url)
    kinds = {c["kind"]: c for c in connectors(module_engine).values()}
    assert set(kinds) == {"torznab", "jellyfin"}
    assert kinds["torznab"]["settings"] == {
        "timeout": 10.0, "concurrency": 3, "categories": [2000, 5000], "max_pages": 1,
    }  # fmt: skip
    assert kinds["jellyfin"]["settings"] == {
        "path_map": {pair["key"]: pair["value"] for pair in path_map}
    }
    # Reconfigure shows the map as it is stored, and refuses a folder given twice as adding does.
    subentry = next(s for s in entry.subentries.values() if s.subentry_type == "jellyfin")
    result = await reconfigure(hass, entry, subentry)
    current = shown(result["data_schema"])
    assert current["path_map"] == path_map
    await _refuses_a_folder_given_twice(hass, result["flow_id"], current)
    jellyfin = connectors(module_engine)[subentry.data["connector_id"]]
    assert jellyfin["settings"] == kinds["jellyfin"]["settings"]
    hass.config_entries.subentries.async_abort(result["flow_id"])
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
    # The engine asks each app again who it is (and checks the media server) in the background.
    await wait_for(
        lambda: (
            all(c["app"] for c in connectors(module_engine).values())
            and connectors(module_engine)[again["jellyfin"]["id"]]["health"] == "healthy"
        )
    )
    assert [again[kind]["settings"] for kind in kinds] == [c["settings"] for c in kinds.values()]
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


async def test_the_add_buttons_follow_the_engines_kinds(
    hass: HomeAssistant, own_engine: EngineProcess
) -> None:
    """One subentry type per kind the engine serves; none while the engine is away."""
    served = {kind["name"] for kind in own_engine.call("GET", "/connectors/kinds")}
    loaded = await load(hass, entry_for(own_engine))
    assert set(loaded.supported_subentry_types) == served
    assert all(kind["supports_reconfigure"] for kind in loaded.supported_subentry_types.values())
    assert await hass.config_entries.async_unload(loaded.entry_id)
    assert loaded.supported_subentry_types == {}

    # Asked while the engine is down (Home Assistant keeps that answer), then the engine returns.
    await hass.async_add_executor_job(own_engine.stop)
    assert not await hass.config_entries.async_setup(loaded.entry_id)
    assert loaded.supported_subentry_types == {}
    await hass.async_add_executor_job(own_engine.start)
    assert await hass.config_entries.async_reload(loaded.entry_id)
    assert set(loaded.supported_subentry_types) == served


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


async def test_a_form_sent_once_the_entry_is_unloaded_is_refused(
    hass: HomeAssistant, own_engine: EngineProcess, fakes: dict[str, Any]
) -> None:
    """Forms opened while the engine was loaded, sent after its entry was unloaded: aborted."""
    url = f"{fakes['torznab'].url}/api"
    own_engine.add_connector("torznab", url, TORZNAB_KEY, name="Indexer")
    entry = await load(hass, entry_for(own_engine))
    (subentry,) = entry.subentries.values()
    adding = await hass.config_entries.subentries.async_init(
        (entry.entry_id, "torznab"), context={"source": SOURCE_USER}
    )
    changing = await reconfigure(hass, entry, subentry)
    before = connectors(own_engine)
    assert await hass.config_entries.async_unload(entry.entry_id)

    form = {"name": "Other", "url": url, "api_key": TORZNAB_KEY, "verify_ssl": True}
    for flow in (adding, changing):
        result = await hass.config_entries.subentries.async_configure(flow["flow_id"], form)
        assert (result["type"], result["reason"]) == (FlowResultType.ABORT, "engine_not_loaded")
    assert connectors(own_engine) == before
    assert [s.title for s in entry.subentries.values()] == ["Indexer"]


LOST_SETTINGS = {"timeout": 7.0, "categories": [2000]}


async def _entry_with_a_lost_connector(
    hass: HomeAssistant, engine: EngineProcess, url: str
) -> tuple[MockConfigEntry, ConfigSubentry, str]:
    """Set up a Torznab subentry whose connector the engine lost and gave its name to another.

    Returns the entry, that subentry and the id of the engine's connector of that name.
    """
    made = engine.add_connector("torznab", url, TORZNAB_KEY, name="Indexer")
    entry = entry_for(engine)
    entry.add_to_hass(hass)
    lost = {"connector_id": "lost", "name": "Indexer", "url": url, "api_key": TORZNAB_KEY,
            "verify_ssl": True, "settings": LOST_SETTINGS}  # fmt: skip
    subentry = ConfigSubentry(
        data=MappingProxyType(lost), subentry_type="torznab", title="Indexer", unique_id="lost"
    )
    hass.config_entries.async_add_subentry(entry, subentry)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    return entry, subentry, made


async def test_a_lost_connector_whose_name_was_taken_meanwhile_is_not_made_twice(
    hass: HomeAssistant,
    own_engine: EngineProcess,
    fakes: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"{fakes['torznab'].url}/api"
    entry, lost, made = await _entry_with_a_lost_connector(hass, own_engine, url)
    assert "Cannot add Indexer to the Haul engine again: conflict" in caplog.text
    assert set(connectors(own_engine)) == {made}
    # Kept to be made again at the next setup; the engine's own shows beside it.
    assert sorted(str(s.unique_id) for s in entry.subentries.values()) == sorted(["lost", made])

    # Its form shows what the subentry stored (the engine has nothing to show), never the key.
    result = await reconfigure(hass, entry, lost)
    assert shown(result["data_schema"]) == {
        "name": "Indexer", "url": url, "verify_ssl": True, "timeout": 7.0, "categories": ["2000"],
    }  # fmt: skip
    hass.config_entries.subentries.async_abort(result["flow_id"])


async def test_removing_the_subentry_of_a_lost_connector_leaves_nothing_to_retry(
    hass: HomeAssistant,
    own_engine: EngineProcess,
    fakes: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    entry, lost, made = await _entry_with_a_lost_connector(
        hass, own_engine, f"{fakes['torznab'].url}/api"
    )
    assert hass.config_entries.async_remove_subentry(entry, lost.subentry_id)
    await hass.async_block_till_done()
    # The engine had nothing to remove: the subentry is gone, the connector of its name stays.
    assert [s.unique_id for s in entry.subentries.values()] == [made]
    assert set(connectors(own_engine)) == {made}
    assert await removals(hass, entry.entry_id).async_load() is None
    assert "Cannot remove" not in caplog.text


async def test_a_lost_connector_given_a_free_name_on_reconfigure_is_made_again(
    hass: HomeAssistant, own_engine: EngineProcess, fakes: dict[str, Any]
) -> None:
    """Its name taken, another name is the one way back: saving the form makes the connector.

    Fails today: the form sends the change to the engine's connector, which is not there, and
    shows "The Haul engine refused these settings: no connector with id 'lost'" for any name.
    """
    url = f"{fakes['torznab'].url}/api"
    entry, lost, _ = await _entry_with_a_lost_connector(hass, own_engine, url)
    result = await reconfigure(hass, entry, lost)
    renamed = shown(result["data_schema"]) | {"name": "Old indexer"}
    result = dict(await hass.config_entries.subentries.async_configure(result["flow_id"], renamed))
    refused = (result.get("errors"), result.get("description_placeholders"))
    assert result["type"] is FlowResultType.ABORT, refused
    assert result["reason"] == "reconfigure_successful"
    await hass.async_block_till_done()
    remade = {connector["name"]: connector for connector in connectors(own_engine).values()}
    assert set(remade) == {"Indexer", "Old indexer"}
    assert remade["Old indexer"]["settings"]["timeout"] == LOST_SETTINGS["timeout"]
    assert remade["Old indexer"]["has_api_key"] is True
    assert {s.title: s.data["connector_id"] for s in entry.subentries.values()} == {
        name: connector["id"] for name, connector in remade.items()
    }
