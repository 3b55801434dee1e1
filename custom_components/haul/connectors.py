"""Connector subentries and the engine's connectors kept in step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL, CONF_VERIFY_SSL

from .api import HaulCommandError, HaulError
from .const import LOGGER
from .subentry_flow import CONF_CONNECTOR_ID, CONF_SETTINGS, KINDS

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentry
    from homeassistant.core import HomeAssistant

    from .coordinator import HaulConfigEntry


def connector_subentries(entry: HaulConfigEntry) -> list[ConfigSubentry]:
    """List the entry's connector subentries."""
    return [sub for sub in entry.subentries.values() if sub.subentry_type in KINDS]


async def async_setup_connectors(hass: HomeAssistant, entry: HaulConfigEntry) -> None:
    """Create again each subentry's connector the engine lost; follow subentry changes."""
    client = entry.runtime_data.client
    known = entry.runtime_data.coordinator.data.views.connectors
    for subentry in connector_subentries(entry):
        if subentry.data[CONF_CONNECTOR_ID] in known:
            continue
        body: dict[str, Any] = {
            "kind": subentry.subentry_type,
            "name": subentry.data[CONF_NAME],
            "url": subentry.data[CONF_URL],
            "api_key": subentry.data[CONF_API_KEY],
            "verify_tls": subentry.data[CONF_VERIFY_SSL],
            "settings": subentry.data[CONF_SETTINGS],
        }
        try:
            created = await client.request("POST", "/connectors", body)
        except HaulError as err:
            LOGGER.warning("Cannot add %s to the Haul engine again: %s", subentry.title, err)
            continue
        LOGGER.info("Added %s to the Haul engine again", subentry.title)
        hass.config_entries.async_update_subentry(
            entry, subentry, data={**subentry.data, CONF_CONNECTOR_ID: created["id"]}
        )
    snapshot = dict(entry.subentries)
    entry.async_on_unload(entry.add_update_listener(_follow_subentries(snapshot)))


def _follow_subentries(snapshot: dict[str, ConfigSubentry]) -> Any:  # noqa: ANN401 - HA's listener type
    async def follow(hass: HomeAssistant, entry: HaulConfigEntry) -> None:
        """Remove the connector of a removed subentry; reload to show subentry changes."""
        if dict(entry.subentries) == snapshot:
            return
        for removed in snapshot.keys() - entry.subentries.keys():
            if snapshot[removed].subentry_type not in KINDS:
                continue
            connector_id = snapshot[removed].data[CONF_CONNECTOR_ID]
            try:
                await entry.runtime_data.client.request("DELETE", f"/connectors/{connector_id}")
            except HaulCommandError as err:
                LOGGER.debug("connector %s was already gone: %s", connector_id, err)
            except HaulError as err:
                LOGGER.warning("Cannot remove %s from the Haul engine: %s", connector_id, err)
        hass.config_entries.async_schedule_reload(entry.entry_id)

    return follow
