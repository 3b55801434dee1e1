"""Connector subentries and the engine's connectors kept in step."""

from __future__ import annotations

from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigSubentry
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL, CONF_VERIFY_SSL
from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.device_registry import DeviceEntryType, DeviceInfo
from homeassistant.helpers.storage import Store

from .api import HaulCommandError, HaulError
from .const import DOMAIN, LOGGER
from .settings_form import known_settings
from .subentry_flow import CONF_CONNECTOR_ID, CONF_SETTINGS

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant

    from .api import HaulClient, HaulEvent
    from .coordinator import HaulConfigEntry, HaulCoordinator


def connector_subentries(entry: HaulConfigEntry) -> list[ConfigSubentry]:
    """List the entry's connector subentries (every subentry of Haul is a connector)."""
    return list(entry.subentries.values())


def connector_category(entry: HaulConfigEntry, subentry: ConfigSubentry) -> str | None:
    """Say which kind of service a subentry's connector is (None: a kind the engine lost)."""
    kind = entry.runtime_data.kinds.get(subentry.subentry_type)
    return kind.category if kind else None


def connector_device_key(coordinator: HaulCoordinator, subentry: ConfigSubentry) -> str:
    """Name the device of a connector subentry (its identifier)."""
    return f"{coordinator.data.info.server_id}_{subentry.subentry_id}"


def connector_device(coordinator: HaulCoordinator, subentry: ConfigSubentry) -> DeviceInfo:
    """Describe a connector's device: the app as it names itself, a service behind the engine."""
    known = coordinator.config_entry.runtime_data.kinds.get(subentry.subentry_type)
    kind = known.title if known else subentry.subentry_type
    connector = coordinator.data.views.connectors.get(subentry.data[CONF_CONNECTOR_ID])
    return DeviceInfo(
        identifiers={(DOMAIN, connector_device_key(coordinator, subentry))},
        name=subentry.title,
        # Jellyseerr behind an Overseerr connector says so; until the engine has asked, the kind.
        manufacturer=connector.app if connector and connector.app else kind,
        model=kind,
        sw_version=connector.app_version if connector else None,
        entry_type=DeviceEntryType.SERVICE,
        configuration_url=subentry.data[CONF_URL],
        via_device_id=dr.async_get_device_id_by_identifier(
            coordinator.hass,
            (DOMAIN, coordinator.data.info.server_id),
            config_entry_id=coordinator.config_entry.entry_id,
        ),
    )


@callback
def _adopt_engine_connectors(entry: HaulConfigEntry) -> None:
    """Give each connector of the engine that no subentry shows a subentry and entities.

    Such connectors were made through the engine's API, or outlived a removed Haul entry. Their
    entities are added in place (no reload, so no pushed event is missed). The engine never
    gives out API keys, so the subentry keeps none: a reset engine cannot get it back from it.
    """
    runtime = entry.runtime_data
    listed = {subentry.data[CONF_CONNECTOR_ID] for subentry in connector_subentries(entry)}
    for connector in runtime.coordinator.data.views.connectors.values():
        if (
            connector.id in listed
            or connector.id in runtime.removing
            or connector.kind not in runtime.kinds
        ):
            continue
        if connector.name in runtime.creating:
            continue
        LOGGER.info("Showing the Haul engine's connector %s (%s)", connector.name, connector.kind)
        data = {
            CONF_CONNECTOR_ID: connector.id,
            CONF_NAME: connector.name,
            CONF_URL: connector.url,
            CONF_API_KEY: "",
            CONF_VERIFY_SSL: connector.verify_tls,
            CONF_SETTINGS: connector.settings,
        }
        subentry = ConfigSubentry(
            data=MappingProxyType(data),
            subentry_type=connector.kind,
            title=connector.name,
            unique_id=connector.id,
        )
        # Shown before it is added: the update listener starts at once and must find it shown.
        runtime.shown[subentry.subentry_id] = _showing(subentry)
        runtime.coordinator.hass.config_entries.async_add_subentry(entry, subentry)
        for add_entities in runtime.connector_entity_adders:
            add_entities(subentry)


def _drop_removed_connector(entry: HaulConfigEntry) -> Callable[[HaulEvent], None]:
    """Follow the engine's removals: a connector removed there takes its subentry along.

    Only an explicit removal does; a connector merely missing (a reset engine) keeps its
    subentry, which creates it again at the next setup.
    """

    def drop(event: HaulEvent) -> None:
        if event.name != "connector_removed":
            return
        runtime = entry.runtime_data
        for subentry in connector_subentries(entry):
            if subentry.data[CONF_CONNECTOR_ID] == event.data.get("id"):
                LOGGER.info("The Haul engine removed its connector %s", subentry.title)
                # Not shown any more before it goes: the listener has nothing to delete or reload.
                runtime.shown.pop(subentry.subentry_id, None)
                runtime.coordinator.hass.config_entries.async_remove_subentry(
                    entry, subentry.subentry_id
                )

    return drop


@callback
def _follow_connector_apps(entry: HaulConfigEntry) -> None:
    """Keep each connector device's app and version as the engine last found them."""
    coordinator = entry.runtime_data.coordinator
    registry = dr.async_get(coordinator.hass)
    for subentry in connector_subentries(entry):
        wanted = connector_device(coordinator, subentry)
        device = registry.async_get_device_by_identifier(
            (DOMAIN, connector_device_key(coordinator, subentry)), entry.entry_id
        )
        shown = (wanted.get("manufacturer"), wanted.get("sw_version"))
        if device is not None and (device.manufacturer, device.sw_version) != shown:
            registry.async_update_device(device.id, manufacturer=shown[0], sw_version=shown[1])


def removals(hass: HomeAssistant, entry_id: str) -> Store[list[str]]:
    """Connectors of removed subentries that the engine could not be told of yet (it was away)."""
    return Store(hass, 1, f"{DOMAIN}.{entry_id}.removed_connectors")


async def _remove_connectors(
    hass: HomeAssistant, entry: HaulConfigEntry, client: HaulClient, ids: set[str]
) -> set[str]:
    """Remove connectors (and those left from before) from the engine; return all it was asked.

    Those the engine cannot be told of now are kept for the next setup.
    """
    store = removals(hass, entry.entry_id)
    asked = set(await store.async_load() or []) | ids
    left = set()
    for connector_id in sorted(asked):
        try:
            await client.connectors_delete(connector_id)
        except HaulCommandError as err:
            LOGGER.debug("connector %s was already gone: %s", connector_id, err)
        except HaulError as err:
            LOGGER.warning("Cannot remove %s from the Haul engine now: %s", connector_id, err)
            left.add(connector_id)
    if left:
        await store.async_save(sorted(left))
    else:
        await store.async_remove()
    return asked


async def async_setup_connectors(hass: HomeAssistant, entry: HaulConfigEntry) -> None:
    """Catch the engine up on subentries removed and connectors lost; follow later changes."""
    client = entry.runtime_data.client
    # Still in the snapshot read before: not to be adopted again.
    entry.runtime_data.removing = await _remove_connectors(hass, entry, client, set())
    known = entry.runtime_data.coordinator.data.views.connectors
    for subentry in connector_subentries(entry):
        kind = entry.runtime_data.kinds.get(subentry.subentry_type)
        if subentry.data[CONF_CONNECTOR_ID] in known or kind is None:
            continue
        body: dict[str, Any] = {
            "kind": subentry.subentry_type,
            "name": subentry.data[CONF_NAME],
            "url": subentry.data[CONF_URL],
            "api_key": subentry.data[CONF_API_KEY],
            "verify_tls": subentry.data[CONF_VERIFY_SSL],
            "settings": known_settings(kind, subentry.data[CONF_SETTINGS]),
        }
        try:
            created = await client.connectors_create(**body)
        except HaulError as err:
            LOGGER.warning("Cannot add %s to the Haul engine again: %s", subentry.title, err)
            continue
        LOGGER.info("Added %s to the Haul engine again", subentry.title)
        hass.config_entries.async_update_subentry(
            entry, subentry, data={**subentry.data, CONF_CONNECTOR_ID: created["id"]}
        )
    _adopt_engine_connectors(entry)
    entry.runtime_data.shown = {
        subentry.subentry_id: _showing(subentry) for subentry in connector_subentries(entry)
    }
    coordinator = entry.runtime_data.coordinator
    entry.async_on_unload(coordinator.async_add_listener(lambda: _follow_connector_apps(entry)))
    entry.async_on_unload(coordinator.async_add_listener(lambda: _adopt_engine_connectors(entry)))
    coordinator.event_listeners.append(_drop_removed_connector(entry))
    entry.async_on_unload(entry.add_update_listener(_follow_changes(dict(entry.data))))


def _showing(subentry: ConfigSubentry) -> tuple[str, dict[str, Any]]:
    """Say what the entities show of a subentry (HA changes subentries in place)."""
    return subentry.title, dict(subentry.data)


def _follow_changes(data: dict[str, Any]) -> Any:  # noqa: ANN401 - HA's listener type
    """Reload once for each change of the connection or of the connector subentries.

    Options are the engine's own settings: the engine keeps them and pushes their effects.
    """

    async def follow(hass: HomeAssistant, entry: HaulConfigEntry) -> None:
        """Remove the connector of a removed subentry, then reload to show the change."""
        client, shown = entry.runtime_data.client, entry.runtime_data.shown
        now = {subentry.subentry_id: _showing(subentry) for subentry in connector_subentries(entry)}
        if dict(entry.data) == data and now == shown:
            return
        removed = {shown[key][1][CONF_CONNECTOR_ID] for key in shown.keys() - now.keys()}
        if removed:
            await _remove_connectors(hass, entry, client, removed)
        hass.config_entries.async_schedule_reload(entry.entry_id)

    return follow
