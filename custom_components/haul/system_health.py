"""System health: whether each Haul engine answers, and how it is doing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.components import system_health
from homeassistant.core import callback

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import HaulConfigEntry


@callback
def async_register(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    register: system_health.SystemHealthRegistration,
) -> None:
    """Register the info callback."""
    register.async_register_info(system_health_info)


async def system_health_info(hass: HomeAssistant) -> dict[str, Any]:
    """Reachability, connection, version and problems of the first loaded engine."""
    entries: list[HaulConfigEntry] = hass.config_entries.async_loaded_entries(DOMAIN)
    if not entries:
        return {"engines": 0}
    coordinator = entries[0].runtime_data.coordinator
    data = coordinator.data
    return {
        "engines": len(entries),
        "can_reach_engine": system_health.async_check_can_reach_url(
            hass, f"{coordinator.client.url}/health"
        ),
        "connected": coordinator.last_update_success,
        "version": data.info.version,
        "status": data.system.status,
        "problems": len(data.system.problems),
        "torrents": data.system.counts.get("torrents", 0),
        "connectors": len(data.views.connectors),
    }
