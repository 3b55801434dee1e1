"""Config flow: by hand (URL + token), from the add-on's discovery, reauth and reconfigure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import probatio
from homeassistant.config_entries import (
    ConfigFlow,
    ConfigFlowResult,
    ConfigSubentryFlow,
    OptionsFlow,
)
from homeassistant.const import CONF_HOST, CONF_PORT, CONF_TOKEN, CONF_URL
from homeassistant.core import callback
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.selector import (
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import (
    EngineInfo,
    HaulAuthError,
    HaulClient,
    HaulConnectionError,
    HaulError,
    HaulIncompatibleError,
)
from .const import DOMAIN, LOGGER
from .options_flow import HaulOptionsFlow
from .subentry_flow import subentry_flows

if TYPE_CHECKING:  # pragma: no cover - 100 % of this module is under test
    from collections.abc import Mapping

    from homeassistant.helpers.service_info.hassio import HassioServiceInfo

    from .coordinator import HaulConfigEntry

TITLE = "Haul"
# Shown in the URL field's help (translations may not hold URLs themselves).
EXAMPLE_URL = {"example_url": "http://192.168.1.20:8765"}
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
TOKEN_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
TOKEN_SCHEMA = probatio.Schema({probatio.Required(CONF_TOKEN): TOKEN_SELECTOR})


CONNECTION_SCHEMA = probatio.Schema(
    {probatio.Required(CONF_URL): URL_SELECTOR, probatio.Required(CONF_TOKEN): TOKEN_SELECTOR}
)


class HaulConfigFlow(ConfigFlow, domain=DOMAIN):
    """Connect Home Assistant to a Haul engine."""

    VERSION = 1

    @classmethod
    @callback
    def async_get_supported_subentry_types(
        cls, config_entry: HaulConfigEntry
    ) -> dict[str, type[ConfigSubentryFlow]]:
        """One subentry type per connector kind the engine serves."""
        return subentry_flows(config_entry)

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: HaulConfigEntry) -> OptionsFlow:  # noqa: ARG004 - HA signature
        """Change the engine's speed limits and their schedule."""
        return HaulOptionsFlow()

    def __init__(self) -> None:
        """Nothing discovered yet."""
        self._discovered: dict[str, str] = {}
        self._addon_name = ""

    async def _probe(self, url: str, token: str) -> tuple[EngineInfo | None, dict[str, str]]:
        """Identify the engine, or name the form error."""
        client = HaulClient(url, token, async_get_clientsession(self.hass))
        try:
            return await client.info(), {}
        except HaulAuthError:
            return None, {"base": "invalid_auth"}
        except HaulIncompatibleError:
            return None, {"base": "incompatible"}
        except HaulConnectionError:
            return None, {"base": "cannot_connect"}
        except HaulError:
            LOGGER.exception("unexpected answer from the Haul engine at %s", url)
            return None, {"base": "unknown"}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the engine's URL and token."""
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._probe(user_input[CONF_URL], user_input[CONF_TOKEN])
            if info is not None:
                await self.async_set_unique_id(info.server_id)
                self._abort_if_unique_id_configured()
                return self.async_create_entry(title=TITLE, data=user_input)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(CONNECTION_SCHEMA, user_input),
            errors=errors,
            description_placeholders=EXAMPLE_URL,
        )

    async def async_step_hassio(self, discovery_info: HassioServiceInfo) -> ConfigFlowResult:
        """Refresh a known engine from the add-on's announcement, or offer to add it."""
        config = discovery_info.config
        url = f"http://{config[CONF_HOST]}:{config[CONF_PORT]}"
        info, errors = await self._probe(url, config[CONF_TOKEN])
        if info is None:
            return self.async_abort(reason=errors["base"])
        await self.async_set_unique_id(info.server_id)
        self._discovered = {CONF_URL: url, CONF_TOKEN: config[CONF_TOKEN]}
        # A loaded entry is reloaded by its update listener, one in setup retry by Home Assistant.
        self._abort_if_unique_id_configured(updates=self._discovered, reload_on_update=False)
        self._addon_name = discovery_info.name
        return await self.async_step_hassio_confirm()

    async def async_step_hassio_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Confirm adding the add-on's engine."""
        if user_input is not None:
            return self.async_create_entry(title=TITLE, data=self._discovered)
        self._set_confirm_only()
        return self.async_show_form(
            step_id="hassio_confirm", description_placeholders={"addon": self._addon_name}
        )

    async def async_step_reauth(self, entry_data: Mapping[str, Any]) -> ConfigFlowResult:  # noqa: ARG002 - HA signature
        """Start over with a new token after the engine refused the old one."""
        return await self.async_step_reauth_confirm()

    async def async_step_reauth_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask for the engine's current token."""
        entry: HaulConfigEntry = self._get_reauth_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._probe(entry.data[CONF_URL], user_input[CONF_TOKEN])
            if info is not None:
                await self.async_set_unique_id(info.server_id)
                self._abort_if_unique_id_mismatch(reason="wrong_engine")
                return self._update_and_abort(entry, user_input)
        return self.async_show_form(
            step_id="reauth_confirm",
            data_schema=TOKEN_SCHEMA,
            description_placeholders={"url": entry.data[CONF_URL]},
            errors=errors,
        )

    def _update_and_abort(
        self, entry: HaulConfigEntry, data_updates: dict[str, Any]
    ) -> ConfigFlowResult:
        """Store the connection and reload the entry once.

        A loaded entry's update listener reloads it when the data changed; any other case is
        reloaded here (an unchanged token that works again, an entry that failed to set up).
        """
        listener_reloads = bool(entry.update_listeners) and entry.data != entry.data | data_updates
        result = self.async_update_and_abort(entry, data_updates=data_updates)
        if not listener_reloads:
            self.hass.config_entries.async_schedule_reload(entry.entry_id)
        return result

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Point the entry at the engine's new URL or token."""
        entry: HaulConfigEntry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            info, errors = await self._probe(user_input[CONF_URL], user_input[CONF_TOKEN])
            if info is not None:
                await self.async_set_unique_id(info.server_id)
                self._abort_if_unique_id_mismatch(reason="wrong_engine")
                return self._update_and_abort(entry, user_input)
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=self.add_suggested_values_to_schema(
                CONNECTION_SCHEMA, user_input or {CONF_URL: entry.data[CONF_URL]}
            ),
            errors=errors,
            description_placeholders=EXAMPLE_URL,
        )
