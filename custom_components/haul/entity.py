"""Base entities: written only when what they show changed; one device for the engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import HaulCoordinator

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import HaulConfigEntry, HaulData


@dataclass(frozen=True, kw_only=True)
class HaulEntityDescription(EntityDescription):
    """An entity of the engine's device, and whether the engine offers it now."""

    exists_fn: Callable[[HaulData], bool] = lambda _data: True


def has_feature(feature: str) -> Callable[[HaulData], bool]:
    """Offered by engines that have the feature (a capability: torrents, library, requests)."""
    return lambda data: feature in data.info.features


class HaulCoordinatorEntity(CoordinatorEntity[HaulCoordinator]):
    """An entity of the engine's data, written only when what it shows changed.

    The data changes with every event the engine pushes (a download's progress every two
    seconds); most entities show none of it.
    """

    _shown: tuple[Any, ...] | None = None

    def shown(self) -> tuple[Any, ...]:
        """Return what the entity shows: availability, state and attributes."""
        return (self.available, self.state, self.state_attributes, self.extra_state_attributes)

    async def async_added_to_hass(self) -> None:
        """Remember what the first state, written next, shows."""
        await super().async_added_to_hass()
        self._shown = self.shown()

    @callback
    def write_state(self) -> None:
        """Write the state, remembering what it shows."""
        self._shown = self.shown()
        self.async_write_ha_state()

    @callback
    def _handle_coordinator_update(self) -> None:
        """Write the state only when what it shows changed."""
        if self.shown() != self._shown:
            self.write_state()


class HaulEntity(HaulCoordinatorEntity):
    """An entity of the Haul engine device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: HaulCoordinator, description: EntityDescription) -> None:
        """Attach to the engine's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.data.info.server_id}_{description.key}"
        self._attr_device_info = engine_device(coordinator)

    @property
    def available(self) -> bool:
        """Unavailable while the engine no longer offers it (its VPN gone), as a lost connector."""
        description = self.entity_description
        offered = not isinstance(description, HaulEntityDescription) or description.exists_fn(
            self.coordinator.data
        )
        return super().available and offered


def adding_entities(entry: HaulConfigEntry) -> bool:
    """Whether entities may still be added: not once the entry unloads (its platforms go first).

    The engine's events are followed until the entry has unloaded; an entity one of them offers
    then would join a platform already gone, and stay in Home Assistant's states for good.
    """
    return entry.state in {ConfigEntryState.SETUP_IN_PROGRESS, ConfigEntryState.LOADED}


@callback
def add_engine_entities[D: HaulEntityDescription](
    entry: HaulConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: Iterable[D],
    entity: Callable[[HaulCoordinator, D], HaulEntity],
) -> None:
    """Add each entity the engine offers, once: at setup, or with the update that offers it.

    A tunnel configured after setup, an engine that gained a feature: their entities come with
    the snapshot of the next connection or the event that shows them, without a reload.
    """
    coordinator = entry.runtime_data.coordinator
    waiting = list(descriptions)

    @callback
    def add() -> None:
        if not adding_entities(entry):
            return
        offered = [
            description for description in waiting if description.exists_fn(coordinator.data)
        ]
        for description in offered:
            waiting.remove(description)
        if offered:
            async_add_entities(entity(coordinator, description) for description in offered)

    add()
    if waiting:
        entry.async_on_unload(coordinator.async_add_listener(add))


def engine_device(coordinator: HaulCoordinator) -> DeviceInfo:
    """Describe the engine's device (registered at setup: connector devices link to it)."""
    info = coordinator.data.info
    return DeviceInfo(
        identifiers={(DOMAIN, info.server_id)},
        name="Haul",
        manufacturer="Haul",
        model="Haul engine",
        sw_version=info.version,
        configuration_url=coordinator.client.url,
    )
