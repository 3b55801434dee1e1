"""Entities of a connector subentry's device: its library, health, requests and controls."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.binary_sensor import (
    BinarySensorDeviceClass,
    BinarySensorEntity,
    BinarySensorEntityDescription,
)
from homeassistant.components.button import ButtonEntity, ButtonEntityDescription
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription
from homeassistant.const import EntityCategory, UnitOfRatio, UnitOfTime
from homeassistant.core import callback

from .connectors import (
    connector_category,
    connector_device,
    connector_device_key,
    connector_subentries,
)
from .engine_api import EngineCommands
from .entity import HaulCoordinatorEntity, adding_entities
from .errors import call_engine
from .subentry_flow import CONF_CONNECTOR_ID

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime

    from homeassistant.config_entries import ConfigSubentry
    from homeassistant.helpers.entity import EntityDescription
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import HaulConfigEntry, HaulCoordinator, HaulData
    from .engine_api import ConnectorsUpdateArgs
    from .views import Connector

# The engine's categories of connector kinds.
ARRS, INDEXERS, REQUEST_APPS = frozenset({"arr"}), frozenset({"indexer"}), frozenset({"request"})
PROBLEMS = frozenset({"degraded", "unhealthy", "offline"})


@dataclass(frozen=True, kw_only=True)
class ConnectorSensorDescription(SensorEntityDescription):
    """A sensor of the connectors of some categories, and how to read it."""

    categories: frozenset[str]
    value_fn: Callable[[HaulData, str], str | int | float | datetime | None]


@dataclass(frozen=True, kw_only=True)
class ConnectorSwitchDescription(SwitchEntityDescription):
    """A switch of the connectors of some categories (None: all): what it reads, what it sends."""

    categories: frozenset[str] | None
    is_on_fn: Callable[[Connector], bool]
    body_fn: Callable[[bool], ConnectorsUpdateArgs]


@dataclass(frozen=True, kw_only=True)
class ConnectorButtonDescription(ButtonEntityDescription):
    """A button of the connectors of some categories: the engine command it runs."""

    categories: frozenset[str]
    command: Callable[[EngineCommands, str], Awaitable[object]]


def _library(field: str, scale: float = 1) -> Callable[[HaulData, str], float | None]:
    def value(data: HaulData, connector_id: str) -> float | None:
        library = data.views.library.get(connector_id)
        figure = None if library is None else getattr(library, field)
        return None if figure is None else round(figure * scale, 2)

    return value


def _last_sync(data: HaulData, connector_id: str) -> datetime | None:
    library = data.views.library.get(connector_id)
    return library.last_sync if library else None


def _last_success(data: HaulData, connector_id: str) -> datetime | None:
    indexer = data.views.indexers.get(connector_id)
    return indexer.last_success if indexer else None


def _failures(data: HaulData, connector_id: str) -> int | None:
    indexer = data.views.indexers.get(connector_id)
    return indexer.failures if indexer else None


def _response_ms(data: HaulData, connector_id: str) -> int | None:
    indexer = data.views.indexers.get(connector_id)
    return indexer.last_response_ms if indexer else None


def _pending(data: HaulData, connector_id: str) -> int:
    return sum(r.connector_id == connector_id for r in data.views.requests_in("pending"))


SENSORS = (
    ConnectorSensorDescription(
        key="missing",
        translation_key="missing",
        categories=ARRS,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_library("missing"),
    ),
    ConnectorSensorDescription(
        key="cutoff_unmet",
        translation_key="cutoff_unmet",
        categories=ARRS,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_library("cutoff_unmet"),
    ),
    ConnectorSensorDescription(
        key="upcoming",
        translation_key="upcoming",
        categories=ARRS,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_library("upcoming"),
    ),
    ConnectorSensorDescription(
        key="completion",
        translation_key="completion",
        categories=ARRS,
        native_unit_of_measurement=UnitOfRatio.PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_library("completion", 100),
    ),
    ConnectorSensorDescription(
        key="last_sync",
        translation_key="last_sync",
        categories=ARRS,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_last_sync,
    ),
    ConnectorSensorDescription(
        key="pending_requests",
        translation_key="pending_requests",
        categories=REQUEST_APPS,
        state_class=SensorStateClass.MEASUREMENT,
        value_fn=_pending,
    ),
    ConnectorSensorDescription(
        key="last_success",
        translation_key="last_success",
        categories=INDEXERS,
        device_class=SensorDeviceClass.TIMESTAMP,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_last_success,
    ),
    ConnectorSensorDescription(
        key="failures",
        translation_key="failures",
        categories=INDEXERS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_failures,
    ),
    ConnectorSensorDescription(
        key="response_time",
        translation_key="response_time",
        categories=INDEXERS,
        device_class=SensorDeviceClass.DURATION,
        native_unit_of_measurement=UnitOfTime.MILLISECONDS,
        state_class=SensorStateClass.MEASUREMENT,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=_response_ms,
    ),
)
PROBLEM = BinarySensorEntityDescription(
    key="problem",
    device_class=BinarySensorDeviceClass.PROBLEM,
    entity_category=EntityCategory.DIAGNOSTIC,
)
SWITCHES = (
    ConnectorSwitchDescription(
        key="enabled",
        translation_key="connector_enabled",
        entity_category=EntityCategory.CONFIG,
        categories=None,
        is_on_fn=lambda connector: connector.enabled,
        body_fn=lambda on: {"enabled": on},
    ),
    ConnectorSwitchDescription(
        key="scheduled_sweeps",
        translation_key="scheduled_sweeps",
        categories=ARRS,
        is_on_fn=lambda connector: bool(connector.settings.get("scheduled_sweeps", True)),
        body_fn=lambda on: {"settings": {"scheduled_sweeps": on}},
    ),
)
BUTTONS = (
    ConnectorButtonDescription(
        key="sync", translation_key="sync", categories=ARRS, command=EngineCommands.connectors_sync
    ),
    ConnectorButtonDescription(
        key="sweep",
        translation_key="sweep",
        categories=ARRS,
        command=EngineCommands.connectors_sweep,
    ),
)


class HaulConnectorEntity(HaulCoordinatorEntity):
    """An entity of one connector's device."""

    _attr_has_entity_name = True

    def __init__(
        self, coordinator: HaulCoordinator, subentry: ConfigSubentry, description: EntityDescription
    ) -> None:
        """Attach to the connector's device."""
        super().__init__(coordinator)
        self.entity_description = description
        self.connector_id: str = subentry.data[CONF_CONNECTOR_ID]
        device = connector_device_key(coordinator, subentry)
        self._attr_unique_id = f"{device}_{description.key}"
        self._attr_device_info = connector_device(coordinator, subentry)

    @property
    def connector(self) -> Connector | None:
        """The connector as the engine last showed it."""
        return self.coordinator.data.views.connectors.get(self.connector_id)

    @property
    def available(self) -> bool:
        """Unavailable while the engine does not have the connector."""
        return super().available and self.connector is not None


class HaulConnectorSensor(HaulConnectorEntity, SensorEntity):
    """A sensor of a connector."""

    entity_description: ConnectorSensorDescription

    @property
    def native_value(self) -> str | int | float | datetime | None:
        """The value from the latest pushed state."""
        return self.entity_description.value_fn(self.coordinator.data, self.connector_id)


class HaulConnectorProblem(HaulConnectorEntity, BinarySensorEntity):
    """On while the engine finds the connector degraded, unhealthy or offline."""

    @property
    def is_on(self) -> bool | None:
        """Whether the connector has a problem."""
        connector = self.connector
        return None if connector is None else connector.health in PROBLEMS

    @property
    def extra_state_attributes(self) -> dict[str, Any]:
        """The engine's word on the connector's health."""
        connector = self.connector
        return (
            {} if connector is None else {"health": connector.health, "error": connector.last_error}
        )


class HaulConnectorSwitch(HaulConnectorEntity, SwitchEntity):
    """A switch of a connector, kept by the engine."""

    entity_description: ConnectorSwitchDescription

    @property
    def is_on(self) -> bool | None:
        """Whether it is on, from the connector the engine last showed."""
        connector = self.connector
        return None if connector is None else self.entity_description.is_on_fn(connector)

    async def async_turn_on(self, **kwargs: Any) -> None:  # noqa: ARG002, ANN401 - HA signature
        """Turn it on in the engine."""
        await self._set(on=True)

    async def async_turn_off(self, **kwargs: Any) -> None:  # noqa: ARG002, ANN401 - HA signature
        """Turn it off in the engine."""
        await self._set(on=False)

    async def _set(self, *, on: bool) -> None:
        body = self.entity_description.body_fn(on)
        await call_engine(self.coordinator.client.connectors_update(self.connector_id, **body))


class HaulConnectorButton(HaulConnectorEntity, ButtonEntity):
    """Runs a connector command now."""

    entity_description: ConnectorButtonDescription

    async def async_press(self) -> None:
        """Ask the engine to do it."""
        command = self.entity_description.command
        await call_engine(command(self.coordinator.client, self.connector_id))


def add_connector_entities[D: EntityDescription](
    entry: HaulConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
    descriptions: tuple[D, ...],
    entity: Callable[[HaulCoordinator, ConfigSubentry, D], HaulConnectorEntity],
) -> None:
    """Add the entities of each connector subentry's category, to the subentry; later ones too.

    A subentry of a kind the engine does not serve (an older engine) has only the entities of
    every connector until the engine serves the kind again.
    """
    coordinator = entry.runtime_data.coordinator
    kindless: dict[str, ConfigSubentry] = {}

    def add_to(subentry: ConfigSubentry, offered: list[D]) -> None:
        if not adding_entities(entry):
            return
        async_add_entities(
            (entity(coordinator, subentry, description) for description in offered),
            config_subentry_id=subentry.subentry_id,
        )

    def add(subentry: ConfigSubentry) -> None:
        category = connector_category(entry, subentry)
        if category is None:
            kindless[subentry.subentry_id] = subentry
        add_to(subentry, [d for d in descriptions if _offered(d, category)])

    @callback
    def add_served() -> None:
        for subentry_id, subentry in list(kindless.items()):
            if subentry_id not in entry.subentries:  # removed: the entry reloads soon
                del kindless[subentry_id]
            elif (category := connector_category(entry, subentry)) is not None:
                del kindless[subentry_id]
                add_to(
                    subentry,
                    [d for d in descriptions if _offered(d, category) and not _offered(d, None)],
                )

    for subentry in connector_subentries(entry):
        add(subentry)
    entry.runtime_data.connector_entity_adders.append(add)
    entry.async_on_unload(coordinator.async_add_listener(add_served))


def _offered(description: EntityDescription, category: str | None) -> bool:
    """Whether connectors of the category have the entity (descriptions without categories: all)."""
    categories: frozenset[str] | None = getattr(description, "categories", None)
    return categories is None or category in categories
