"""Switches of the Haul engine: alternative speed limits, pause all downloads, sweeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from homeassistant.components.switch import SwitchEntity, SwitchEntityDescription

from .connector_entities import SWITCHES as CONNECTOR_SWITCHES
from .connector_entities import HaulConnectorSwitch, add_connector_entities
from .entity import HaulEntity, HaulEntityDescription, add_engine_entities, has_feature
from .errors import call_engine

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.entity_platform import AddConfigEntryEntitiesCallback

    from .coordinator import HaulConfigEntry, HaulCoordinator, HaulData

# Each switch makes one engine call; the engine serialises them.
PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class HaulSwitchEntityDescription(HaulEntityDescription, SwitchEntityDescription):
    """A Haul switch: how to read it and how to turn it."""

    is_on_fn: Callable[[HaulData], bool | None]
    turn_fn: Callable[[HaulCoordinator, bool], Awaitable[None]]


async def _set_alt_mode(coordinator: HaulCoordinator, on: bool) -> None:  # noqa: FBT001
    answer = await call_engine(coordinator.client.transfer_update(limits={"alt_mode": on}))
    coordinator.take_answer("transfer_updated", "transfer", answer)


async def _pause_all(coordinator: HaulCoordinator, on: bool) -> None:  # noqa: FBT001
    """Stop or start every download in one command; their events follow."""
    client = coordinator.client
    await call_engine(client.torrents_pause_all() if on else client.torrents_resume_all())


async def _sweeps(coordinator: HaulCoordinator, on: bool) -> None:  # noqa: FBT001
    client = coordinator.client
    answer = await call_engine(
        client.library_queue_resume() if on else client.library_queue_pause()
    )
    coordinator.take_answer("queue_resumed" if on else "queue_paused", "queue", answer)


def _all_paused(data: HaulData) -> bool:
    torrents = data.views.torrents.values()
    return bool(torrents) and all(torrent.stopped for torrent in torrents)


SWITCHES = (
    HaulSwitchEntityDescription(
        key="alt_speed",
        translation_key="alt_speed",
        exists_fn=has_feature("torrents"),
        is_on_fn=lambda data: data.views.transfer.alt_active if data.views.transfer else None,
        turn_fn=_set_alt_mode,
    ),
    HaulSwitchEntityDescription(
        key="pause_all",
        translation_key="pause_all",
        exists_fn=has_feature("torrents"),
        is_on_fn=_all_paused,
        turn_fn=_pause_all,
    ),
    HaulSwitchEntityDescription(
        key="sweeps",
        translation_key="sweeps",
        exists_fn=has_feature("library"),
        is_on_fn=lambda data: (
            None if data.views.sweeps_paused is None else not data.views.sweeps_paused
        ),
        turn_fn=_sweeps,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: HaulConfigEntry,
    async_add_entities: AddConfigEntryEntitiesCallback,
) -> None:
    """Add the switches of the features the engine has."""
    add_engine_entities(entry, async_add_entities, SWITCHES, HaulSwitch)
    add_connector_entities(entry, async_add_entities, CONNECTOR_SWITCHES, HaulConnectorSwitch)


class HaulSwitch(HaulEntity, SwitchEntity):
    """A switch of the engine."""

    entity_description: HaulSwitchEntityDescription

    @property
    def is_on(self) -> bool | None:
        """Whether it is on, from the latest pushed state."""
        return self.entity_description.is_on_fn(self.coordinator.data)

    async def async_turn_on(self, **kwargs: Any) -> None:  # noqa: ARG002, ANN401 - HA signature
        """Turn it on in the engine."""
        await self.entity_description.turn_fn(self.coordinator, True)  # noqa: FBT003

    async def async_turn_off(self, **kwargs: Any) -> None:  # noqa: ARG002, ANN401 - HA signature
        """Turn it off in the engine."""
        await self.entity_description.turn_fn(self.coordinator, False)  # noqa: FBT003
