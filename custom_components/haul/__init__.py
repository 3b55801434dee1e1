"""The Haul integration: a thin client of the Haul engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.const import CONF_TOKEN, CONF_URL, Platform
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.aiohttp_client import async_get_clientsession

from .api import HaulClient
from .card import async_setup_card
from .connectors import async_setup_connectors, removals
from .const import DOMAIN
from .coordinator import HaulConfigEntry, HaulCoordinator, HaulRuntimeData
from .entity import engine_device
from .push import async_follow_bus_events
from .repairs import async_follow_issues, incompatible_issue
from .services import async_setup_services
from .subentry_flow import forget_subentry_types
from .websocket_api import async_setup_websocket

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.BUTTON,
    Platform.EVENT,
    Platform.SENSOR,
    Platform.SWITCH,
    Platform.TODO,
]
CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:  # noqa: ARG001 - HA signature
    """Register the actions, which name the entry they act on."""
    async_setup_services(hass)
    async_setup_websocket(hass)
    await async_setup_card(hass)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: HaulConfigEntry) -> bool:
    """Connect to the engine, add its entities, then follow its events."""
    client = HaulClient(entry.data[CONF_URL], entry.data[CONF_TOKEN], async_get_clientsession(hass))
    coordinator = HaulCoordinator(hass, entry, client)
    async_follow_bus_events(hass, coordinator)
    async_follow_issues(hass, coordinator)
    await coordinator.async_config_entry_first_refresh()
    dr.async_get(hass).async_get_or_create(
        config_entry_id=entry.entry_id, **engine_device(coordinator)
    )
    entry.runtime_data = HaulRuntimeData(client=client, coordinator=coordinator)
    forget_subentry_types(entry)
    await async_setup_connectors(hass, entry)
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    coordinator.start_push()
    return True


async def async_unload_entry(hass: HomeAssistant, entry: HaulConfigEntry) -> bool:
    """Remove the entities and the entry's repair issues; the event task ends with the entry."""
    ir.async_delete_issue(hass, DOMAIN, incompatible_issue(entry.entry_id))
    forget_subentry_types(entry)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: HaulConfigEntry) -> None:
    """Take the entry's repair issue (it may have been retrying) and its stored removals along."""
    ir.async_delete_issue(hass, DOMAIN, incompatible_issue(entry.entry_id))
    await removals(hass, entry.entry_id).async_remove()
