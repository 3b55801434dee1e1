"""Sensors of the Haul engine."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import EntityCategory, UnitOfDataRate, UnitOfInformation

from .connector_entities import SENSORS as CONNECTOR_SENSORS
from .connector_entities import HaulConnectorSensor, add_connector_entities
from .downloads import async_setup_downloads
from .entity import HaulEntity, HaulEntityDescription, add_engine_entities

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from datetime import datetime

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import HaulConfigEntry, HaulData

# The coordinator pushes every update; entities never fetch.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HaulSensorEntityDescription(HaulEntityDescription, SensorEntityDescription):
    """A Haul sensor and how to read its value."""

    value_fn: Callable[[HaulData], str | int | float | datetime | None]


def _count(key: str) -> Callable[[HaulData], int | None]:
    return lambda data: data.system.counts.get(key)


def _requests_in(state: str) -> Callable[[HaulData], int]:
    return lambda data: len(data.views.requests_in(state))


def _total(figures: Iterable[int | None]) -> int | None:
    """Sum figures, unknown if one is (an engine built before the figure)."""
    total = 0
    for figure in figures:
        if figure is None:
            return None
        total += figure
    return total


SENSORS = (
    HaulSensorEntityDescription(
        key="status",
        translation_key="status",
        device_class=SensorDeviceClass.ENUM,
        options=["ok", "degraded"],
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.system.status,
    ),
    HaulSensorEntityDescription(
        key="uptime",
        translation_key="uptime",
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda data: data.system.started_at,
    ),
    HaulSensorEntityDescription(
        key="disk_free",
        translation_key="disk_free",
        device_class=SensorDeviceClass.DATA_SIZE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=1,
        value_fn=lambda data: data.system.disk_free_bytes,
    ),
    HaulSensorEntityDescription(
        key="download_speed",
        translation_key="download_speed",
        device_class=SensorDeviceClass.DATA_RATE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfDataRate.BYTES_PER_SECOND,
        suggested_unit_of_measurement=UnitOfDataRate.MEBIBYTES_PER_SECOND,
        suggested_display_precision=2,
        value_fn=lambda data: data.views.transfer.download_rate if data.views.transfer else None,
    ),
    HaulSensorEntityDescription(
        key="upload_speed",
        translation_key="upload_speed",
        device_class=SensorDeviceClass.DATA_RATE,
        state_class=SensorStateClass.MEASUREMENT,
        native_unit_of_measurement=UnitOfDataRate.BYTES_PER_SECOND,
        suggested_unit_of_measurement=UnitOfDataRate.MEBIBYTES_PER_SECOND,
        suggested_display_precision=2,
        value_fn=lambda data: data.views.transfer.upload_rate if data.views.transfer else None,
    ),
    HaulSensorEntityDescription(
        key="vpn_public_ip",
        translation_key="vpn_public_ip",
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda data: data.system.has_vpn,
        value_fn=lambda data: data.system.vpn_public_ip,
    ),
    HaulSensorEntityDescription(
        key="vpn_forwarded_port",
        translation_key="vpn_forwarded_port",
        entity_category=EntityCategory.DIAGNOSTIC,
        exists_fn=lambda data: data.system.has_vpn,
        value_fn=lambda data: data.system.vpn_forwarded_port,
    ),
    *(
        HaulSensorEntityDescription(
            key=key,
            translation_key=key,
            state_class=SensorStateClass.MEASUREMENT,
            entity_registry_enabled_default=enabled,
            value_fn=_count(count),
        )
        for key, count, enabled in (
            ("active_downloads", "torrents_active", True),
            ("queued_downloads", "torrents_queued", True),
            ("seeding", "torrents_seeding", False),
        )
    ),
    *(
        HaulSensorEntityDescription(
            key=key,
            translation_key=key,
            state_class=SensorStateClass.MEASUREMENT,
            value_fn=_requests_in(state),
        )
        for key, state in (
            ("pending_requests", "pending"),
            ("awaiting_selection", "awaiting_selection"),
        )
    ),
    HaulSensorEntityDescription(
        key="missing",
        translation_key="missing",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: sum(arr.missing for arr in data.views.library.values()),
    ),
    HaulSensorEntityDescription(
        key="upcoming",
        translation_key="upcoming",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: _total(arr.upcoming for arr in data.views.library.values()),
    ),
    HaulSensorEntityDescription(
        key="upgradable",
        translation_key="upgradable",
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=lambda data: sum(arr.cutoff_unmet for arr in data.views.library.values()),
    ),
    HaulSensorEntityDescription(
        key="search_queue",
        translation_key="search_queue",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda data: data.views.search_queue,
    ),
    HaulSensorEntityDescription(
        key="searches_today",
        translation_key="searches_today",
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda data: sum(arr.searches_today for arr in data.views.library.values()),
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: HaulConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the engine's sensors (the VPN's once the engine runs a tunnel)."""
    add_engine_entities(entry, async_add_entities, SENSORS, HaulSensor)
    async_setup_downloads(entry, async_add_entities)
    add_connector_entities(entry, async_add_entities, CONNECTOR_SENSORS, HaulConnectorSensor)


class HaulSensor(HaulEntity, SensorEntity):
    """A sensor reading the engine's state."""

    entity_description: HaulSensorEntityDescription

    @property
    def native_value(self) -> str | int | float | datetime | None:
        """The value from the latest pushed state."""
        return self.entity_description.value_fn(self.coordinator.data)
