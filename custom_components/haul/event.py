"""Event entities: the requests and the downloads as they happen."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components.event import EventEntity, EventEntityDescription
from homeassistant.core import callback
from homeassistant.helpers.dispatcher import async_dispatcher_connect

from .entity import HaulEntity
from .push import event_types, signal

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import HaulConfigEntry

# Events are pushed; nothing is fetched.
PARALLEL_UPDATES = 0

EVENTS = (
    EventEntityDescription(
        key="requests", translation_key="requests", event_types=event_types("requests")
    ),
    EventEntityDescription(
        key="downloads", translation_key="downloads", event_types=event_types("downloads")
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: HaulConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the engine's event entities."""
    coordinator = entry.runtime_data.coordinator
    async_add_entities(HaulEvent(coordinator, description) for description in EVENTS)


class HaulEvent(HaulEntity, EventEntity):
    """Fires with each request or download event of the engine."""

    async def async_added_to_hass(self) -> None:
        """Follow the events the event pump fires."""
        await super().async_added_to_hass()
        self.async_on_remove(
            async_dispatcher_connect(
                self.hass, signal(self.coordinator.config_entry), self._on_event
            )
        )

    @callback
    def _on_event(self, entity: str, kind: str, data: dict[str, Any]) -> None:
        if entity == self.entity_description.key:
            self._trigger_event(kind, data)
            self.write_state()
