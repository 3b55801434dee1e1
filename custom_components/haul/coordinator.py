"""The coordinator: the engine's snapshot, then its events applied; reconnecting with backoff."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import callback
from homeassistant.exceptions import ConfigEntryAuthFailed
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    ConnectorKind,
    EngineInfo,
    EventStream,
    HaulAuthError,
    HaulClient,
    HaulError,
    HaulEvent,
    HaulIncompatibleError,
    SystemStatus,
)
from .const import DOMAIN, LOGGER
from .views import APPLY, HaulViews, Revisions, read_views

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from datetime import datetime

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


def applied(data: HaulData, event: HaulEvent) -> HaulData:
    """Return data with the event's object as the event shows it (the same data if unchanged)."""
    if event.kind == "system":
        system = SystemStatus.from_dict(event.data)
        return data if system == data.system else dataclasses.replace(data, system=system)
    apply = APPLY.get(event.kind or "")
    views = apply(data.views, event) if apply else data.views
    return data if views is data.views else dataclasses.replace(data, views=views)


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
    """Subscribes to the engine, reads its snapshot, then applies its events; never polls.

    Each event carries the whole view of one object with its revision: an event no newer than
    the view held (one published before the snapshot was read) changes nothing, and an event
    that changes nothing the entities show does not update them.
    """

    config_entry: HaulConfigEntry

    def __init__(self, hass: HomeAssistant, entry: HaulConfigEntry, client: HaulClient) -> None:
        """Bind to the entry's engine."""
        super().__init__(hass, LOGGER, config_entry=entry, name="Haul engine")
        self.client = client
        self.event_listeners: list[Callable[[HaulEvent], None]] = []
        self.revisions: Revisions = {}
        # since when the engine is out of reach (the data is as it was then), else None
        self.unavailable_since: datetime | None = None
        self._stream: EventStream | None = None
        entry.async_on_unload(self._close_stream)

    async def _async_update_data(self) -> HaulData:
        """Subscribe to the events, then read the snapshot (setup and every reconnect)."""
        await self._close_stream()
        try:
            return await self._subscribe_and_read()
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

    async def _subscribe_and_read(self) -> HaulData:
        """Read the snapshot while subscribed, noting the revision of each object read.

        Events published meanwhile wait in the subscription; those the snapshot already shows
        are dropped by their revisions.
        """
        self._stream = await self.client.subscribe()
        try:
            info = self._same_engine(await self.client.info())
            seen: Revisions = {}
            system = await self.client.system_status()
            seen["system", None] = system["revision"]
            data = HaulData(
                info=info,
                system=SystemStatus.from_dict(system),
                views=await read_views(self.client, info.features, seen),
                kinds=await self.client.kinds(),
            )
        except BaseException:
            await self._close_stream()
            raise
        self.revisions = seen
        return data

    async def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            await stream.close()

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
        """Stay subscribed; on loss go unavailable and retry with exponential backoff.

        The first round follows the subscription the setup's snapshot was read under.
        """
        delay = RECONNECT_MIN
        while True:
            try:
                if self._stream is None:
                    recovered = not self.last_update_success
                    self._connected(await self._async_update_data())
                    if recovered:
                        LOGGER.info("Connection to the Haul engine at %s is back", self.client.url)
                stream = self._stream
                delay = RECONNECT_MIN
                if stream is not None:
                    async for event in stream:
                        self.take(event)
            except (HaulAuthError, ConfigEntryAuthFailed) as err:
                self.async_set_update_error(err)
                self.config_entry.async_start_reauth(self.hass)
                return
            except (HaulError, UpdateFailed) as err:
                self.async_set_update_error(err)
            except Exception as err:  # noqa: BLE001 - an engine that lies must not end this task
                LOGGER.exception("Unexpected answer from the Haul engine at %s", self.client.url)
                self.async_set_update_error(err)
            await self._close_stream()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    @callback
    def async_set_update_error(self, err: Exception) -> None:
        """Go unavailable, noting since when: the card says how old what it shows is."""
        if self.last_update_success:
            self.unavailable_since = dt_util.utcnow()
        super().async_set_update_error(err)

    def take(self, event: HaulEvent) -> None:
        """Apply an event to the data, then tell the listeners (the `haul_event`s)."""
        self._apply(event)
        for listener in self.event_listeners:
            listener(event)

    def take_answer(self, event: str, kind: str, view: Mapping[str, Any]) -> None:
        """Show the answer of a command on a one-of-its-kind object at once, as its event would."""
        self._apply(HaulEvent(event, dict(view), dt_util.utcnow(), kind, None, view["revision"]))

    def _apply(self, event: HaulEvent) -> None:
        """Apply an event newer than the view held of its object; update only on a change."""
        key = (event.kind or "", event.object_id)
        if event.kind is None or event.revision <= self.revisions.get(key, 0):
            return
        self.revisions[key] = event.revision
        if (data := applied(self.data, event)) is not self.data:
            self.async_set_updated_data(data)

    def _connected(self, data: HaulData) -> None:
        """Take fresh data; an engine upgrade shows on the device."""
        if self.data.info.version != data.info.version:
            registry = dr.async_get(self.hass)
            device = registry.async_get_device_by_identifier(
                (DOMAIN, data.info.server_id), self.config_entry.entry_id
            )
            if device is not None:
                registry.async_update_device(device.id, sw_version=data.info.version)
        self.unavailable_since = None
        self.async_set_updated_data(data)
