"""The coordinator: engine state pushed over the WebSocket, reconnecting with backoff."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    ConnectorKind,
    EngineInfo,
    HaulAuthError,
    HaulClient,
    HaulError,
    HaulEvent,
    HaulIncompatibleError,
    SystemStatus,
)
from .const import DOMAIN, LOGGER
from .views import HaulViews, read_views

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.config_entries import ConfigSubentry
    from homeassistant.core import HomeAssistant

RECONNECT_MIN = 1.0
RECONNECT_MAX = 60.0


@dataclass(frozen=True, slots=True)
class HaulData:
    """Everything the entities show; replaced as a whole on every change."""

    info: EngineInfo
    system: SystemStatus
    views: HaulViews = field(default_factory=HaulViews)
    # The connector kinds the engine serves: one subentry type each.
    kinds: dict[str, ConnectorKind] = field(default_factory=dict)


def _on_heartbeat(data: HaulData, event: HaulEvent) -> HaulData:
    return dataclasses.replace(data, system=SystemStatus.from_dict(event.data))


EVENT_HANDLERS: dict[str, Callable[[HaulData, HaulEvent], HaulData]] = {
    "system_heartbeat": _on_heartbeat,
}


@dataclass(slots=True)
class HaulRuntimeData:
    """What a loaded config entry holds."""

    client: HaulClient
    coordinator: HaulCoordinator
    # Names of connectors a subentry flow created: not to be adopted as the engine's own.
    creating: set[str] = field(default_factory=set)
    # Connectors of removed subentries the engine has not heard of yet: not to be adopted again.
    removing: set[str] = field(default_factory=set)
    # What the entities show of each connector subentry; a change of it reloads the entry.
    shown: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # One per platform: adds a new connector subentry's entities without a reload.
    connector_entity_adders: list[Callable[[ConfigSubentry], None]] = field(default_factory=list)

    @property
    def kinds(self) -> dict[str, ConnectorKind]:
        """The connector kinds the engine served when it last connected."""
        return self.coordinator.data.kinds


type HaulConfigEntry = ConfigEntry[HaulRuntimeData]


class HaulCoordinator(DataUpdateCoordinator[HaulData]):
    """Reads the engine once, then follows its events; never polls."""

    config_entry: HaulConfigEntry

    def __init__(self, hass: HomeAssistant, entry: HaulConfigEntry, client: HaulClient) -> None:
        """Bind to the entry's engine."""
        super().__init__(hass, LOGGER, config_entry=entry, name="Haul engine")
        self.client = client
        self.event_listeners: list[Callable[[HaulEvent], None]] = []

    async def _async_update_data(self) -> HaulData:
        """Read identity and status over REST (setup and after every reconnect)."""
        try:
            info = self._same_engine(await self.client.info())
            return HaulData(
                info=info,
                system=await self.client.system(),
                views=await read_views(self.client, info.features),
                kinds=await self.client.kinds(),
            )
        except HaulAuthError as err:
            raise ConfigEntryAuthFailed(
                translation_domain=DOMAIN, translation_key="invalid_auth"
            ) from err
        except HaulIncompatibleError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="incompatible",
                translation_placeholders={"error": str(err)},
            ) from err
        except HaulError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="cannot_connect",
                translation_placeholders={"error": str(err)},
            ) from err

    def _same_engine(self, info: EngineInfo) -> EngineInfo:
        """Refuse another engine at the entry's URL (its data was replaced), not to mix entities."""
        if info.server_id != self.config_entry.unique_id:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="wrong_engine",
                translation_placeholders={"url": self.client.url},
            )
        return info

    def start_push(self) -> None:
        """Follow the engine's events for as long as the entry is loaded."""
        self.config_entry.async_create_background_task(
            self.hass, self._follow_events(), f"{DOMAIN} events {self.client.url}"
        )

    async def _follow_events(self) -> None:
        """Stay subscribed; on loss go unavailable and retry with exponential backoff."""
        delay = RECONNECT_MIN
        while True:
            try:
                async with self.client.events() as stream:
                    recovered = not self.last_update_success
                    self._connected(await self._async_update_data())
                    if recovered:
                        LOGGER.info("Connection to the Haul engine at %s is back", self.client.url)
                    delay = RECONNECT_MIN
                    async for event in stream:
                        if handler := EVENT_HANDLERS.get(event.name):
                            self.async_set_updated_data(handler(self.data, event))
                        for listener in self.event_listeners:
                            listener(event)
            except (HaulAuthError, ConfigEntryAuthFailed) as err:
                self.async_set_update_error(err)
                self.config_entry.async_start_reauth(self.hass)
                return
            except (HaulError, UpdateFailed) as err:
                self.async_set_update_error(err)
            except Exception as err:  # noqa: BLE001 - an engine that lies must not end this task
                LOGGER.exception("Unexpected answer from the Haul engine at %s", self.client.url)
                self.async_set_update_error(err)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    def _connected(self, data: HaulData) -> None:
        """Take fresh data; an engine upgrade shows on the device."""
        if self.data.info.version != data.info.version:
            registry = dr.async_get(self.hass)
            device = registry.async_get_device_by_identifier(
                (DOMAIN, data.info.server_id), self.config_entry.entry_id
            )
            if device is not None:
                registry.async_update_device(device.id, sw_version=data.info.version)
        self.async_set_updated_data(data)
