"""The engine's events on Home Assistant's event bus: `haul_event`, and the event entities."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.core import callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .connectors import connector_device_key, connector_subentries
from .const import DOMAIN
from .subentry_flow import CONF_CONNECTOR_ID

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api import HaulEvent
    from .coordinator import HaulConfigEntry, HaulCoordinator

BUS_EVENT = f"{DOMAIN}_event"
TOP_CANDIDATES = 3
CONNECTOR_OBJECTS = frozenset({"connector", "library"})  # kinds of objects a connector id names

# engine event -> (`type` of the haul_event, the event entity that shows it)
BUS_EVENTS: dict[str, tuple[str, str]] = {
    "request_received": ("request_received", "requests"),
    "request_approved": ("request_approved", "requests"),
    "request_declined": ("request_declined", "requests"),
    "request_awaiting_selection": ("request_awaiting_selection", "requests"),
    "release_grabbed": ("release_grabbed", "requests"),
    "download_completed": ("download_completed", "requests"),
    "import_completed": ("import_completed", "requests"),
    "request_available": ("request_available", "requests"),
    "request_failed": ("request_failed", "requests"),
    "torrent_added": ("download_added", "downloads"),
    "torrent_completed": ("download_completed", "downloads"),
    "torrent_error": ("download_error", "downloads"),
    "torrent_removed": ("download_removed", "downloads"),
    "postprocessing_completed": ("download_placed", "downloads"),
    "sync_completed": ("sync_completed", ""),
    "sync_failed": ("sync_failed", ""),
    "sweep_started": ("sweep_started", ""),
    "sweep_completed": ("sweep_completed", ""),
    "item_acquired": ("item_acquired", ""),
    "search_exhausted": ("search_exhausted", ""),
    "connector_health_changed": ("connector_health_changed", ""),
    "torrents_vpn_down": ("vpn_down", ""),
    "torrents_vpn_up": ("vpn_up", ""),
    "torrents_disk_low": ("disk_low", ""),
    "torrents_disk_ok": ("disk_ok", ""),
}


def event_types(entity: str) -> list[str]:
    """List the `haul_event` types an event entity shows."""
    return [kind for kind, shown_by in BUS_EVENTS.values() if shown_by == entity]


def signal(entry: HaulConfigEntry) -> str:
    """Name the signal carrying (entity, type, data) of each fired event to the event entities."""
    return f"{DOMAIN}_{entry.entry_id}_event"


@callback
def async_follow_bus_events(hass: HomeAssistant, coordinator: HaulCoordinator) -> None:
    """Fire a `haul_event` (and show it on its event entity) for each engine event of BUS_EVENTS.

    What a notification needs comes with the event itself: nothing is read from the engine.
    """
    entry = coordinator.config_entry

    def fire(event: HaulEvent) -> None:
        if event.name not in BUS_EVENTS:
            return
        kind, entity = BUS_EVENTS[event.name]
        data = describe(event)
        device = dr.async_get(hass).async_get_device_by_identifier(
            (DOMAIN, _device_key(entry, coordinator, event)), entry.entry_id
        )
        hass.bus.async_fire(
            BUS_EVENT,
            {
                "type": kind,
                "config_entry_id": entry.entry_id,
                "device_id": device.id if device else None,
                **data,
            },
        )
        if entity:
            async_dispatcher_send(hass, signal(entry), entity, kind, data)

    coordinator.event_listeners.append(fire)


def _device_key(entry: HaulConfigEntry, coordinator: HaulCoordinator, event: HaulEvent) -> str:
    """Pick the device of a connector's event when a subentry has it, else the engine's."""
    if event.kind in CONNECTOR_OBJECTS:
        for subentry in connector_subentries(entry):
            if subentry.data[CONF_CONNECTOR_ID] == event.object_id:
                return connector_device_key(coordinator, subentry)
    return coordinator.data.info.server_id


def describe(event: HaulEvent) -> dict[str, Any]:
    """Give the event's data the shape a notification needs (the view it carries, renamed)."""
    data = {key: value for key, value in event.data.items() if key != "revision"}
    if event.kind == "torrent" or event.name == "postprocessing_completed":
        return {**data, "info_hash": data.get("hash"), "title": data.get("name")}
    if event.kind in CONNECTOR_OBJECTS:
        data["connector_id"] = data.pop("id", event.object_id)
    if event.kind != "request":
        return data
    return {
        **data,
        "request_id": data.get("id"),
        "requester": data.get("requested_by"),
        "candidates": [
            {"id": candidate.get("id"), "summary": candidate.get("summary")}
            for candidate in data.get("candidates", [])[:TOP_CANDIDATES]
        ],
    }
