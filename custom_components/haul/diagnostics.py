"""Diagnostics: the entry (token redacted) and what the engine last reported."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_API_KEY, CONF_TOKEN

from .subentry_flow import CONF_WEBHOOK_SECRET

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant

    from .coordinator import HaulConfigEntry

TO_REDACT = {CONF_TOKEN, CONF_API_KEY, CONF_WEBHOOK_SECRET}


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001 - platform signature
    entry: HaulConfigEntry,
) -> dict[str, Any]:
    """Return what helps to debug a setup."""
    coordinator = entry.runtime_data.coordinator
    return {
        "entry": async_redact_data(entry.as_dict(), TO_REDACT),
        "connected": coordinator.last_update_success,
        "last_error": repr(coordinator.last_exception) if coordinator.last_exception else None,
        "data": dataclasses.asdict(coordinator.data),
    }
