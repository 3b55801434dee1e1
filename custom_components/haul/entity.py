"""Base entity: one device for the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .const import DOMAIN
from .coordinator import HaulCoordinator

if TYPE_CHECKING:
    from homeassistant.helpers.entity import EntityDescription


class HaulEntity(CoordinatorEntity[HaulCoordinator]):
    """An entity of the Haul engine device."""

    _attr_has_entity_name = True

    def __init__(self, coordinator: HaulCoordinator, description: EntityDescription) -> None:
        """Attach to the engine's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self._attr_unique_id = f"{coordinator.data.info.server_id}_{description.key}"
        self._attr_device_info = engine_device(coordinator)


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
