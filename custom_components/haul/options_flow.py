"""Options: the engine's speed limits and the schedule of its alternative limits."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import voluptuous as vol
from homeassistant.config_entries import ConfigEntryState, OptionsFlow
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TimeSelector,
)

from .api import HaulError

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigFlowResult

LIMITS = ("download_limit", "upload_limit", "alt_download_limit", "alt_upload_limit")
KIBS = NumberSelector(
    NumberSelectorConfig(
        min=0, max=10_000_000, step=1, unit_of_measurement="KiB/s", mode=NumberSelectorMode.BOX
    )
)
DAYS = SelectSelector(
    SelectSelectorConfig(
        options=[str(day) for day in range(7)], multiple=True, translation_key="days"
    )
)
SCHEMA = vol.Schema(
    {
        **{vol.Required(name): KIBS for name in LIMITS},
        vol.Required("schedule_enabled"): BooleanSelector(),
        vol.Required("schedule_start"): TimeSelector(),
        vol.Required("schedule_end"): TimeSelector(),
        vol.Required("schedule_days"): DAYS,
    }
)


class HaulOptionsFlow(OptionsFlow):
    """Change the limits in the engine, which keeps them."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the engine's limits; save the changed ones to it."""
        if self.config_entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="engine_not_loaded")
        client = self.config_entry.runtime_data.client
        errors: dict[str, str] = {}
        try:
            current = (await client.request("GET", "/transfer"))["limits"]
            if user_input is not None:
                limits = current | {name: int(user_input[name]) for name in LIMITS}
                limits["alt_schedule"] = {
                    "enabled": user_input["schedule_enabled"],
                    "start": user_input["schedule_start"],
                    "end": user_input["schedule_end"],
                    "days": sorted(int(day) for day in user_input["schedule_days"]),
                }
                await client.request("PUT", "/transfer", {"limits": limits})
                return self.async_create_entry(data=user_input)
        except HaulError:
            errors["base"] = "cannot_connect"
            current = {}
        schedule = current.get("alt_schedule", {})
        shown = {
            **{name: current[name] for name in LIMITS if name in current},
            "schedule_enabled": schedule.get("enabled", False),
            "schedule_start": schedule.get("start", "01:00:00"),
            "schedule_end": schedule.get("end", "07:00:00"),
            "schedule_days": [str(day) for day in schedule.get("days", range(7))],
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(SCHEMA, user_input or shown),
            errors=errors,
        )
