"""Buttons of the Haul engine: sweep every *arr now."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.components.button import ButtonEntity, ButtonEntityDescription

from .connector_entities import BUTTONS as CONNECTOR_BUTTONS
from .connector_entities import HaulConnectorButton, add_connector_entities
from .entity import HaulEntity, HaulEntityDescription, add_engine_entities, has_feature
from .errors import call_engine

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import HaulConfigEntry, HaulCoordinator

# Each press makes engine calls; the engine serialises them.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HaulButtonEntityDescription(HaulEntityDescription, ButtonEntityDescription):
    """A Haul button and what pressing it does."""

    press_fn: Callable[[HaulCoordinator], Awaitable[None]]


async def _sweep_all(coordinator: HaulCoordinator) -> None:
    for connector in coordinator.data.views.connectors.values():
        if connector.category == "arr" and connector.enabled:
            await call_engine(coordinator.client.connectors_sweep(connector.id))


BUTTONS = (
    HaulButtonEntityDescription(
        key="sweep_all",
        translation_key="sweep_all",
        exists_fn=has_feature("library"),
        press_fn=_sweep_all,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: HaulConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the engine's buttons."""
    add_engine_entities(entry, async_add_entities, BUTTONS, HaulButton)
    add_connector_entities(entry, async_add_entities, CONNECTOR_BUTTONS, HaulConnectorButton)


class HaulButton(HaulEntity, ButtonEntity):
    """A button of the engine."""

    entity_description: HaulButtonEntityDescription

    async def async_press(self) -> None:
        """Do it in the engine."""
        await self.entity_description.press_fn(self.coordinator)
