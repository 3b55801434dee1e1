"""Binary sensors of the Haul engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.const import EntityCategory

from .connector_entities import PROBLEM, HaulConnectorProblem, add_connector_entities
from .entity import HaulEntity
from .repairs import VPN_PREFIX

if TYPE_CHECKING:
    from collections.abc import Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import HaulConfigEntry, HaulCoordinator

# The coordinator pushes every update; entities never fetch.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HaulBinarySensorEntityDescription(BinarySensorEntityDescription):
    """A Haul binary sensor and how to read it."""

    is_on_fn: Callable[[HaulCoordinator], bool]
    always_available: bool = False


BINARY_SENSORS = (
    HaulBinarySensorEntityDescription(
        key="connected",
        translation_key="connected",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_category=EntityCategory.DIAGNOSTIC,
        is_on_fn=lambda coordinator: coordinator.last_update_success,
        always_available=True,
    ),
    HaulBinarySensorEntityDescription(
        key="vpn",
        translation_key="vpn",
        device_class=BinarySensorDeviceClass.CONNECTIVITY,
        entity_registry_enabled_default=False,
        is_on_fn=lambda coordinator: (
            not any(problem.startswith(VPN_PREFIX) for problem in coordinator.data.system.problems)
        ),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: HaulConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the engine's binary sensors."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(HaulBinarySensor(coordinator, description) for description in BINARY_SENSORS)
    add_connector_entities(entry, async_add_entities, (PROBLEM,), HaulConnectorProblem)


class HaulBinarySensor(HaulEntity, BinarySensorEntity):
    """A binary sensor of the engine."""

    entity_description: HaulBinarySensorEntityDescription

    @property
    def available(self) -> bool:
        """The connectivity sensor reports the outage instead of hiding it."""
        return self.entity_description.always_available or super().available

    @property
    def is_on(self) -> bool:
        """Whether the condition holds now."""
        return self.entity_description.is_on_fn(self.coordinator)
