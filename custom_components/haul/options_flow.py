"""Options: the engine's speed limits, their schedule, the auto-pick delay and default profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import probatio
from homeassistant.config_entries import ConfigEntryState, OptionsFlow
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TimeSelector,
)

from .api import HaulCommandError, HaulError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigFlowResult

    from .api import HaulClient
    from .coordinator import HaulConfigEntry
    from .engine_api import LimitsPatch, Profile

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
HOURS = NumberSelector(
    NumberSelectorConfig(
        min=0, max=10_000, step=0.25, unit_of_measurement="h", mode=NumberSelectorMode.BOX
    )
)
ENGINE_OPTIONS = ("auto_pick_hours", "default_profile")


def _schema(profiles: list[Profile]) -> probatio.Schema:
    """Build the form; the default profile is chosen from the engine's quality profiles."""
    choices = [SelectOptionDict(value=p["id"], label=p["name"]) for p in profiles]
    fields: dict[probatio.Marker, Any] = {
        **{probatio.Required(name): KIBS for name in LIMITS},
        probatio.Required("schedule_enabled"): BooleanSelector(),
        probatio.Required("schedule_start"): TimeSelector(),
        probatio.Required("schedule_end"): TimeSelector(),
        probatio.Required("schedule_days"): DAYS,
        probatio.Optional("auto_pick_hours"): HOURS,
        probatio.Optional("default_profile"): SelectSelector(
            SelectSelectorConfig(options=choices, mode=SelectSelectorMode.DROPDOWN)
        ),
    }
    return probatio.Schema(fields)


class HaulOptionsFlow(OptionsFlow):
    """Change the limits and engine-wide options in the engine, which keeps them."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the engine's limits and options; save the changed ones to it."""
        entry: HaulConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="engine_not_loaded")
        client = entry.runtime_data.client
        errors: dict[str, str] = {}
        placeholders = {"error": ""}
        try:
            current: Mapping[str, Any] = (await client.transfer_get())["limits"]
            options: Mapping[str, Any] = await client.options_get()
            profiles = await client.releases_profiles()
        except HaulError as err:
            errors["base"], placeholders["error"] = "cannot_connect", str(err)
            current, options, profiles = {}, {}, []
        if user_input is not None and not errors:
            try:
                if await _save(client, user_input, errors):
                    # The engine keeps these and pushes their effects: nothing to store or reload.
                    return self.async_create_entry(data={})
            except HaulCommandError as err:  # refused (a full disk, say): the engine says why
                errors["base"], placeholders["error"] = "refused", err.message
            except HaulError as err:
                errors["base"], placeholders["error"] = "cannot_connect", str(err)
        schedule = current.get("alt_schedule", {})
        shown = {
            **{name: current[name] for name in LIMITS if name in current},
            "schedule_enabled": schedule.get("enabled", False),
            "schedule_start": schedule.get("start", "01:00:00"),
            "schedule_end": schedule.get("end", "07:00:00"),
            "schedule_days": [str(day) for day in schedule.get("days", range(7))],
            **{name: options[name] for name in ENGINE_OPTIONS if name in options},
        }
        return self.async_show_form(
            step_id="init",
            data_schema=self.add_suggested_values_to_schema(_schema(profiles), user_input or shown),
            errors=errors,
            description_placeholders=placeholders,
        )


async def _save(client: HaulClient, user_input: dict[str, Any], errors: dict[str, str]) -> bool:
    """Write the engine options, then the limits; False (with errors) when the engine refuses."""
    options = {name: user_input[name] for name in ENGINE_OPTIONS if name in user_input}
    if options:
        try:
            await client.options_set(**options)
        except HaulCommandError as err:
            if err.code != "invalid_input":
                raise
            errors["default_profile"] = "unknown_profile"
            return False
    limits: LimitsPatch = {
        "download_limit": int(user_input["download_limit"]),
        "upload_limit": int(user_input["upload_limit"]),
        "alt_download_limit": int(user_input["alt_download_limit"]),
        "alt_upload_limit": int(user_input["alt_upload_limit"]),
        "alt_schedule": {
            "enabled": user_input["schedule_enabled"],
            "start": user_input["schedule_start"],
            "end": user_input["schedule_end"],
            "days": sorted(int(day) for day in user_input["schedule_days"]),
        },
    }
    await client.transfer_update(limits=limits)  # alt_mode stays as it is
    return True
