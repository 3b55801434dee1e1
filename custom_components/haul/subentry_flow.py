"""Config subentries: one per engine connector, of the kinds the engine serves.

The engine describes each kind (`GET /connectors/kinds`): its title, default address, webhook and
settings as JSON schema. The forms are built from that (`settings_form.py`); their labels come from
the translations `python -m haul_engine.connectors.translations` writes from the same description.
"""

from __future__ import annotations

import copy
import dataclasses
import secrets
from functools import cache
from typing import TYPE_CHECKING, Any, ClassVar

import probatio
from homeassistant.config_entries import SOURCE_RECONFIGURE, ConfigEntryState, ConfigSubentryFlow
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL, CONF_VERIFY_SSL
from homeassistant.helpers.selector import (
    BooleanSelector,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import HaulClient, HaulCommandError, HaulError
from .const import LOGGER
from .settings_form import (
    CONNECTOR_CHOICES,
    PASSWORD,
    SECRET,
    SettingsFormError,
    form_defaults,
    form_fields,
    form_settings,
    form_values,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from homeassistant.config_entries import ConfigEntry, ConfigSubentry, SubentryFlowResult

    from .api import ConnectorKind
    from .coordinator import HaulConfigEntry, HaulRuntimeData
    from .engine_api import ConnectorView

CONF_CONNECTOR_ID = "connector_id"
CONF_SETTINGS = "settings"
CONF_WEBHOOK_SECRET = "webhook_secret"  # noqa: S105 - a setting's name
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))


def subentry_flows(entry: ConfigEntry[Any]) -> dict[str, type[ConfigSubentryFlow]]:
    """One flow per connector kind the loaded entry's engine serves; none while not loaded."""
    runtime: HaulRuntimeData | None = getattr(entry, "runtime_data", None)
    if entry.state is not ConfigEntryState.LOADED or runtime is None:
        return {}
    return {name: _flow(name) for name in runtime.kinds}


def forget_subentry_types(entry: HaulConfigEntry) -> None:
    """Make Home Assistant ask for the subentry types again (they follow the engine's kinds).

    Home Assistant keeps the first answer of async_get_supported_subentry_types for the entry's
    lifetime (it lists the "Add" buttons); asked while the engine was away, that answer is empty.
    """
    entry._supported_subentry_types = None  # noqa: SLF001 - no public way to say they changed


@cache
def _flow(kind: str) -> type[ConnectorSubentryFlow]:
    return type(f"{kind.title()}SubentryFlow", (ConnectorSubentryFlow,), {"kind_name": kind})


class ConnectorSubentryFlow(ConfigSubentryFlow):
    """Add or change one connector of the engine, tested by the engine first."""

    kind_name: ClassVar[str]

    def __init__(self) -> None:
        """Nothing created yet."""
        self._created: dict[str, Any] = {}
        self._kind: ConnectorKind | None = None

    @property
    def _runtime(self) -> HaulRuntimeData:
        entry: HaulConfigEntry = self._get_entry()
        return entry.runtime_data

    @property
    def _client(self) -> HaulClient:
        return self._runtime.client

    async def _connector_kind(self) -> ConnectorKind:
        """Read the kind as the engine describes it now (the profiles it lists change), once."""
        if self._kind is None:
            try:
                self._kind = (await self._client.kinds()).get(self.kind_name)
            except HaulError as err:
                LOGGER.debug("kinds not read again, using those read at setup: %s", err)
            self._kind = self._kind or self._runtime.kinds[self.kind_name]
        return self._kind

    async def _save(
        self, kind: ConnectorKind, user_input: dict[str, Any], settings: dict[str, Any]
    ) -> tuple[ConnectorView | None, dict[str, str], dict[str, str]]:
        """Test the connector, then create or update it; the connector or the form's errors."""
        reconfiguring = self.source == SOURCE_RECONFIGURE
        body: dict[str, Any] = {
            "kind": kind.name,
            "name": user_input[CONF_NAME],
            "url": user_input[CONF_URL],
            "verify_tls": user_input[CONF_VERIFY_SSL],
            "settings": settings,
        }
        if user_input.get(CONF_API_KEY):
            body["api_key"] = user_input[CONF_API_KEY]
        elif reconfiguring:
            body["api_key"] = self._get_reconfigure_subentry().data[CONF_API_KEY]
        connector_id = (
            self._get_reconfigure_subentry().data[CONF_CONNECTOR_ID] if reconfiguring else None
        )
        try:
            result = await self._client.connectors_test(**body)
            if not result["ok"]:
                return None, {"base": "test_failed"}, {"error": str(result["error"])}
            # A subentry whose connector the engine lost (a reset engine, its name taken since)
            # has it made again.
            if (
                connector_id is None
                or connector_id not in self._runtime.coordinator.data.views.connectors
            ):
                # Not the engine's own: this flow adds its subentry (kept until the next reload, as
                # a flow left at the webhook step never does).
                self._runtime.creating.add(body["name"].strip())
                return await self._client.connectors_create(**body), {}, {}
            body.pop("kind")
            return await self._client.connectors_update(connector_id, **body), {}, {}
        except HaulCommandError as err:
            self._runtime.creating.discard(body["name"].strip())
            reason = "name_taken" if err.code == "conflict" else "invalid_settings"
            return (
                None,
                {"base": reason},
                {"error": err.message, "name": body["name"]},
            )
        except HaulError as err:
            self._runtime.creating.discard(body["name"].strip())
            LOGGER.debug("cannot reach the Haul engine: %s", err)
            return None, {"base": "cannot_connect"}, {"error": str(err)}

    def _form(
        self,
        kind: ConnectorKind,
        values: dict[str, Any],
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
        placeholders: dict[str, str],
    ) -> SubentryFlowResult:
        """Name, address, key and TLS check, then the kind's settings; values are the defaults."""
        reconfiguring = self.source == SOURCE_RECONFIGURE
        # A new connector needs its key; on reconfigure an empty key keeps the stored one.
        key_marker = (
            probatio.Required if kind.requires_api_key and not reconfiguring else probatio.Optional
        )
        schema = probatio.Schema(
            {
                probatio.Required(CONF_NAME, default=values[CONF_NAME]): TextSelector(),
                probatio.Required(CONF_URL, default=values[CONF_URL]): URL_SELECTOR,
                key_marker(CONF_API_KEY): PASSWORD,
                probatio.Required(
                    CONF_VERIFY_SSL, default=values[CONF_VERIFY_SSL]
                ): BooleanSelector(),
                **form_fields(kind, values),
            }
        )
        # What was typed is shown again after an error, never a key or secret.
        hidden = {CONF_API_KEY, *_secrets(kind, user_input or {})}
        shown = {key: value for key, value in (user_input or {}).items() if key not in hidden}
        # Reconfigure shows the webhook again, to paste once more.
        webhook = (
            _webhook(self._client, kind, self._get_reconfigure_subentry().data)
            if reconfiguring and kind.webhook_path
            else {}
        )
        return self.async_show_form(
            step_id="reconfigure" if reconfiguring else "user",
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors=errors,
            description_placeholders={
                "kind": kind.title,
                "error": "",
                "name": "",
                **webhook,
                **placeholders,
            },
        )

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the connector's address, key and settings.

        The settings whose values the app lists (an arr's quality profiles and root folders) are
        asked next, once the connector exists and the engine can list them.
        """
        if self._get_entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="engine_not_loaded")
        full = await self._connector_kind()
        kind = narrowed(full, listed=False)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                settings = form_settings(kind, user_input)
            except SettingsFormError as err:
                errors, placeholders = {"base": "invalid_settings"}, {"error": str(err)}
            else:
                if kind.webhook_secret and not settings.get(kind.webhook_secret):
                    settings[kind.webhook_secret] = secrets.token_urlsafe(24)
                connector, errors, placeholders = await self._save(kind, user_input, settings)
                if connector is not None:
                    self._created = _data(connector, user_input, _secrets(kind, settings))
                    if narrowed(full, listed=True).settings_schema["properties"]:
                        return await self.async_step_choices()
                    return await self._after_settings(kind)
        values = {
            CONF_NAME: kind.title,
            CONF_URL: kind.default_url,
            CONF_VERIFY_SSL: True,
            **form_defaults(kind),
        }
        return self._form(kind, values, user_input, errors, placeholders)

    async def async_step_choices(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Offer the values the new connector's app lists (its profiles, its folders) as choices."""
        connector_id = self._created[CONF_CONNECTOR_ID]
        full = await self._connector_kind()
        kind = narrowed(await self._listed(full, connector_id), listed=True)
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                settings = form_settings(kind, user_input)
                connector = await self._client.connectors_update(connector_id, settings=settings)
            except SettingsFormError as err:
                errors, placeholders = {"base": "invalid_settings"}, {"error": str(err)}
            except HaulCommandError as err:
                errors = {"base": "invalid_settings"}
                placeholders = {"error": err.message}
            except HaulError as err:
                LOGGER.debug("cannot reach the Haul engine: %s", err)
                errors, placeholders = {"base": "cannot_connect"}, {"error": str(err)}
            else:
                kept = _secrets(full, self._created[CONF_SETTINGS])
                self._created[CONF_SETTINGS] = connector["settings"] | kept
                return await self._after_settings(full)
        schema = probatio.Schema(form_fields(kind, form_defaults(kind)))
        return self.async_show_form(
            step_id="choices",
            data_schema=self.add_suggested_values_to_schema(schema, user_input or {}),
            errors=errors,
            description_placeholders={
                "kind": kind.title,
                "error": "",
                "name": self._created[CONF_NAME],
                **placeholders,
            },
        )

    async def _after_settings(self, kind: ConnectorKind) -> SubentryFlowResult:
        """Show the webhook to paste when the app sends webhooks, else add the subentry."""
        if kind.webhook_path:
            return await self.async_step_webhook()
        return self._finish()

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the webhook address and secret to paste into the app."""
        if user_input is not None:
            return self._finish()
        kind = await self._connector_kind()
        placeholders = _webhook(self._client, kind, self._created)
        return self.async_show_form(step_id="webhook", description_placeholders=placeholders)

    def _finish(self) -> SubentryFlowResult:
        if self.source == SOURCE_RECONFIGURE:
            subentry = self._get_reconfigure_subentry()
            return self.async_update_and_abort(
                self._get_entry(),
                subentry,
                title=self._created[CONF_NAME],
                data=self._created,
                unique_id=self._created[CONF_CONNECTOR_ID],
            )
        return self.async_create_entry(
            title=self._created[CONF_NAME],
            data=self._created,
            unique_id=self._created[CONF_CONNECTOR_ID],
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the connector, showing its current settings; empty secrets keep theirs."""
        if self._get_entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="engine_not_loaded")
        subentry = self._get_reconfigure_subentry()
        kind = await self._listed(await self._connector_kind(), subentry.data[CONF_CONNECTOR_ID])
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            try:
                settings = form_settings(kind, user_input)
            except SettingsFormError as err:
                errors, placeholders = {"base": "invalid_settings"}, {"error": str(err)}
            else:
                connector, errors, placeholders = await self._save(kind, user_input, settings)
                if connector is not None:
                    key = user_input.get(CONF_API_KEY) or subentry.data[CONF_API_KEY]
                    kept = _secrets(kind, subentry.data[CONF_SETTINGS]) | _secrets(kind, settings)
                    self._created = _data(connector, user_input | {CONF_API_KEY: key}, kept)
                    if kind.webhook_secret and settings.get(kind.webhook_secret):
                        return await self.async_step_webhook()  # a new secret to paste
                    return self._finish()
        return self._form(kind, self._current(kind, subentry), user_input, errors, placeholders)

    async def _listed(self, kind: ConnectorKind, connector_id: str) -> ConnectorKind:
        """Offer the values the engine lists for this connector as choices.

        An arr's quality profiles and root folders; a list the engine cannot read leaves its
        setting a plain box.
        """
        lists = {
            "requests/arr_profiles": self._client.requests_arr_profiles,
            "requests/arr_folders": self._client.requests_arr_folders,
        }
        properties = copy.deepcopy(kind.settings_schema["properties"])
        for name, schema in properties.items():
            list_them = lists.get(schema.get(CONNECTOR_CHOICES, ""))
            if list_them is None:
                continue
            try:
                listed = await list_them(connector_id)
            except HaulError as err:
                LOGGER.debug("no choices for %s of %s: %s", name, connector_id, err)
                continue
            for branch in schema.get("anyOf", [schema]):
                if listed and branch.get("type") in {"integer", "string"}:
                    number = branch["type"] == "integer"
                    branch["oneOf"] = [
                        {"const": int(item["id"]) if number else item["id"], "title": item["name"]}
                        for item in listed
                    ]
        schema = {**kind.settings_schema, "properties": properties}
        return dataclasses.replace(kind, settings_schema=schema)

    def _current(self, kind: ConnectorKind, subentry: ConfigSubentry) -> dict[str, Any]:
        """Show the connector as the engine has it now (switches change it), else as stored."""
        connector = self._runtime.coordinator.data.views.connectors.get(
            subentry.data[CONF_CONNECTOR_ID]
        )
        if connector is None:
            name, url, verify = (
                subentry.data[key] for key in (CONF_NAME, CONF_URL, CONF_VERIFY_SSL)
            )
            settings = subentry.data[CONF_SETTINGS]
        else:
            name, url, verify = connector.name, connector.url, connector.verify_tls
            settings = connector.settings
        return {
            CONF_NAME: name,
            CONF_URL: url,
            CONF_VERIFY_SSL: verify,
            **form_values(kind, settings),
        }


def narrowed(kind: ConnectorKind, *, listed: bool) -> ConnectorKind:
    """Keep a kind's settings whose values the connector's app lists, or all the others."""
    properties = {
        name: schema
        for name, schema in kind.settings_schema["properties"].items()
        if (CONNECTOR_CHOICES in schema) is listed
    }
    return dataclasses.replace(
        kind, settings_schema={**kind.settings_schema, "properties": properties}
    )


def _secrets(kind: ConnectorKind, settings: dict[str, Any]) -> dict[str, Any]:
    """Pick the secrets among settings (the engine never shows them again)."""
    properties = kind.settings_schema["properties"]
    return {
        key: value
        for key, value in settings.items()
        if value and properties.get(key, {}).get(SECRET)
    }


def _data(
    connector: ConnectorView, user_input: dict[str, Any], secret_settings: dict[str, Any]
) -> dict[str, Any]:
    """Keep enough in the subentry to create the connector again in a reset engine."""
    return {
        CONF_CONNECTOR_ID: connector["id"],
        CONF_NAME: connector["name"],
        CONF_URL: connector["url"],
        CONF_API_KEY: user_input.get(CONF_API_KEY, ""),
        CONF_VERIFY_SSL: connector["verify_tls"],
        CONF_SETTINGS: connector["settings"] | secret_settings,
    }


def _webhook(client: HaulClient, kind: ConnectorKind, data: Mapping[str, Any]) -> dict[str, str]:
    """Give the webhook address and secret of a connector whose app sends webhooks.

    A connector made elsewhere (adopted) has a secret Home Assistant never saw: "—".
    """
    path = (kind.webhook_path or "").format(connector_id=data[CONF_CONNECTOR_ID])
    secret = data[CONF_SETTINGS].get(kind.webhook_secret or "") or "—"
    return {"url": f"{client.url}{path}", "secret": secret}
