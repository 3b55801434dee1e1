"""What each pushed engine event does beyond the status: re-read views, fire `haul_event`."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.dispatcher import async_dispatcher_send

from .api import HaulError
from .connectors import connector_device_key, connector_subentries
from .const import DOMAIN, LOGGER
from .subentry_flow import CONF_CONNECTOR_ID
from .views import REFRESH_ON, read_parts

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .api import HaulEvent
    from .coordinator import HaulConfigEntry, HaulCoordinator

BUS_EVENT = f"{DOMAIN}_event"
TOP_CANDIDATES = 3

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
    "sync_completed": ("sync_completed", ""),
    "sweep_started": ("sweep_started", ""),
    "sweep_completed": ("sweep_completed", ""),
    "item_acquired": ("item_acquired", ""),
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


class EventPump:
    """Takes the coordinator's events in order: re-reads what changed, then fires `haul_event`."""

    def __init__(self, hass: HomeAssistant, coordinator: HaulCoordinator) -> None:
        """Queue events from the coordinator until started."""
        self.hass = hass
        self.coordinator = coordinator
        self.entry = coordinator.config_entry
        self._queue: asyncio.Queue[HaulEvent] = asyncio.Queue()
        coordinator.event_listeners.append(self._queue.put_nowait)

    def start(self) -> None:
        """Work through the queue for as long as the entry is loaded."""
        self.entry.async_create_background_task(
            self.hass, self._run(), f"{DOMAIN} event pump {self.entry.entry_id}"
        )

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while not self._queue.empty():
                batch.append(self._queue.get_nowait())
            parts = frozenset[str]().union(*(REFRESH_ON.get(event.name, ()) for event in batch))
            if parts:
                try:
                    await self._refresh(parts)
                except HaulError as err:  # the coordinator reconnects and re-reads everything
                    LOGGER.debug("re-reading %s failed: %s", sorted(parts), err)
            for event in batch:
                if event.name in BUS_EVENTS:
                    await self._fire(event)

    async def _refresh(self, parts: frozenset[str]) -> None:
        """Re-read the changed parts, then hand the new state to the entities."""
        client = self.coordinator.client
        features = self.coordinator.data.info.features
        if "system" in parts:
            changes, system = await asyncio.gather(
                read_parts(client, features, parts), client.system()
            )
        else:
            changes, system = await read_parts(client, features, parts), None
        data = self.coordinator.data
        self.coordinator.async_set_updated_data(
            dataclasses.replace(
                data,
                system=system or data.system,
                views=dataclasses.replace(data.views, **changes),
            )
        )

    async def _fire(self, event: HaulEvent) -> None:
        kind, entity = BUS_EVENTS[event.name]
        data = await self._describe(event)
        device = dr.async_get(self.hass).async_get_device_by_identifier(
            (DOMAIN, self._device_key(data)), self.entry.entry_id
        )
        self.hass.bus.async_fire(
            BUS_EVENT,
            {
                "type": kind,
                "config_entry_id": self.entry.entry_id,
                "device_id": device.id if device else None,
                **data,
            },
        )
        if entity:
            async_dispatcher_send(self.hass, signal(self.entry), entity, kind, data)

    def _device_key(self, data: dict[str, Any]) -> str:
        """Pick the device of the event's connector when a subentry has it, else the engine's."""
        for subentry in connector_subentries(self.entry):
            if subentry.data[CONF_CONNECTOR_ID] == data.get("connector_id"):
                return connector_device_key(self.coordinator, subentry)
        return self.coordinator.data.info.server_id

    async def _describe(self, event: HaulEvent) -> dict[str, Any]:
        """Give the event's data the shape a notification needs."""
        data = dict(event.data)
        if "id" in data and event.name == "connector_health_changed":
            data["connector_id"] = data.pop("id")
        if event.name.startswith("torrent_"):
            return {**data, "info_hash": data.get("hash"), "title": data.get("name")}
        if "request_id" not in data:
            return data
        if "candidates" in data:
            data["candidates"] = [
                {"id": candidate.get("id"), "summary": candidate.get("summary")}
                for candidate in data["candidates"][:TOP_CANDIDATES]
            ]
        try:
            request = await self.coordinator.client.request(
                "GET", f"/requests/{data['request_id']}"
            )
        except HaulError:
            request = {}
        return {
            **data,
            "year": request.get("year"),
            "poster_url": data.get("poster_url"),
            "requester": data.get("requested_by"),
        }
