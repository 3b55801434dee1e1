"""Config subentries: one per engine connector (an *arr, an indexer, Overseerr, a media server)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import probatio
from homeassistant.config_entries import ConfigEntryState, ConfigSubentryFlow
from homeassistant.const import CONF_API_KEY, CONF_NAME, CONF_URL, CONF_VERIFY_SSL
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    SelectSelector,
    SelectSelectorConfig,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

from .api import HaulClient, HaulCommandError, HaulError
from .const import LOGGER

if TYPE_CHECKING:
    from homeassistant.config_entries import ConfigSubentry, SubentryFlowResult

    from .coordinator import HaulConfigEntry, HaulRuntimeData

CONF_CONNECTOR_ID = "connector_id"
CONF_SETTINGS = "settings"
CONF_WEBHOOK_SECRET = "webhook_secret"  # noqa: S105 - a setting's name
CONF_AUTO_PICK_USERS = "auto_pick_users"
URL_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.URL))
PASSWORD_SELECTOR = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
ARR_WEBHOOK = "/api/v1/webhooks/arr/{connector_id}"
OVERSEERR_WEBHOOK = "/api/v1/webhooks/overseerr/{connector_id}"


def _number(low: float, high: float, step: float = 1) -> NumberSelector:
    return NumberSelector(
        NumberSelectorConfig(min=low, max=high, step=step, mode=NumberSelectorMode.BOX)
    )


ARR_OPTIONS: dict[str, tuple[Any, Any]] = {
    "search_upgrades": (True, BooleanSelector()),
    "upgrades_first": (False, BooleanSelector()),
    "throttle": (
        "moderate",
        SelectSelector(
            SelectSelectorConfig(
                options=["conservative", "moderate", "aggressive"], translation_key="throttle"
            )
        ),
    ),
    "queue_limit": (20, _number(0, 1000)),
}
INDEXER_OPTIONS: dict[str, tuple[Any, Any]] = {
    "timeout": (15, _number(1, 120)),
    "concurrency": (2, _number(1, 16)),
}
OVERSEERR_OPTIONS: dict[str, tuple[Any, Any]] = {
    "reconcile": (True, BooleanSelector()),
    CONF_AUTO_PICK_USERS: ("", TextSelector()),
}


@dataclass(frozen=True, slots=True)
class Kind:
    """What a connector kind needs: its default address, its own options, its webhook path."""

    title: str
    url: str
    options: dict[str, tuple[Any, Any]]
    webhook: str = ""  # the engine's path for the app's webhook, if it sends one


KINDS = {
    "sonarr": Kind("Sonarr", "http://localhost:8989", ARR_OPTIONS, ARR_WEBHOOK),
    "radarr": Kind("Radarr", "http://localhost:7878", ARR_OPTIONS, ARR_WEBHOOK),
    "whisparr": Kind("Whisparr", "http://localhost:6969", ARR_OPTIONS, ARR_WEBHOOK),
    "lidarr": Kind("Lidarr", "http://localhost:8686", ARR_OPTIONS, ARR_WEBHOOK),
    "prowlarr": Kind("Prowlarr", "http://localhost:9696", INDEXER_OPTIONS),
    "torznab": Kind("Torznab", "http://localhost:9117/api", INDEXER_OPTIONS),
    "overseerr": Kind("Overseerr", "http://localhost:5055", OVERSEERR_OPTIONS, OVERSEERR_WEBHOOK),
    "jellyfin": Kind("Jellyfin", "http://localhost:8096", {}),
    "emby": Kind("Emby", "http://localhost:8096", {}),
    "plex": Kind("Plex", "http://localhost:32400", {}),
}


def _schema(kind: Kind, *, reconfigure: bool) -> probatio.Schema:
    """Build the form: name, address, key and TLS check, then the kind's options."""
    fields: dict[probatio.Marker, Any] = {
        probatio.Required(CONF_NAME, default=kind.title): TextSelector(),
        probatio.Required(CONF_URL, default=kind.url): URL_SELECTOR,
        # On reconfigure an empty key keeps the stored one.
        (probatio.Optional if reconfigure else probatio.Required)(CONF_API_KEY): PASSWORD_SELECTOR,
        probatio.Required(CONF_VERIFY_SSL, default=True): BooleanSelector(),
    }
    for key, (default, selector) in kind.options.items():
        fields[probatio.Required(key, default=default)] = selector
    return probatio.Schema(fields)


def _settings(kind: Kind, user_input: dict[str, Any]) -> dict[str, Any]:
    """Turn the kind's options into the engine's settings."""
    settings = {key: user_input[key] for key in kind.options if key in user_input}
    if isinstance(settings.get(CONF_AUTO_PICK_USERS), str):
        users = settings[CONF_AUTO_PICK_USERS].split(",")
        settings[CONF_AUTO_PICK_USERS] = [user.strip() for user in users if user.strip()]
    for key in ("queue_limit", "concurrency"):
        if key in settings:
            settings[key] = int(settings[key])
    return settings


class ConnectorSubentryFlow(ConfigSubentryFlow):
    """Add or change one connector of the engine, tested by the engine first."""

    kind: ClassVar[str]

    def __init__(self) -> None:
        """Nothing created yet."""
        self._created: dict[str, Any] = {}

    @property
    def _runtime(self) -> HaulRuntimeData:
        entry: HaulConfigEntry = self._get_entry()
        return entry.runtime_data

    @property
    def _client(self) -> HaulClient:
        return self._runtime.client

    async def _save(
        self, user_input: dict[str, Any], connector_id: str | None, extra: dict[str, Any]
    ) -> tuple[dict[str, Any] | None, dict[str, str], dict[str, str]]:
        """Test the connector, then create or update it; the connector or the form's errors."""
        kind = KINDS[self.kind]
        settings = _settings(kind, user_input) | extra
        body: dict[str, Any] = {
            "kind": self.kind,
            "name": user_input[CONF_NAME],
            "url": user_input[CONF_URL],
            "verify_tls": user_input[CONF_VERIFY_SSL],
            "settings": settings,
        }
        if user_input.get(CONF_API_KEY):
            body["api_key"] = user_input[CONF_API_KEY]
        elif connector_id is not None:
            body["api_key"] = self._get_reconfigure_subentry().data[CONF_API_KEY]
        try:
            result = await self._client.request("POST", "/connectors/test", body)
            if not result["ok"]:
                return None, {"base": "test_failed"}, {"error": str(result["error"])}
            if connector_id is None:
                # Not the engine's own: this flow adds its subentry (kept until the next reload, as
                # a flow left at the webhook step never does).
                self._runtime.creating.add(body["name"].strip())
                return await self._client.request("POST", "/connectors", body), {}, {}
            body.pop("kind")
            return await self._client.request("PATCH", f"/connectors/{connector_id}", body), {}, {}
        except HaulCommandError as err:
            self._runtime.creating.discard(body["name"].strip())
            reason = "name_taken" if err.code == "conflict" else "invalid_settings"
            return (
                None,
                {"base": reason},
                {"error": str(err).split(": ", 1)[-1], "name": body["name"]},
            )
        except HaulError as err:
            self._runtime.creating.discard(body["name"].strip())
            LOGGER.debug("cannot reach the Haul engine: %s", err)
            return None, {"base": "cannot_connect"}, {"error": str(err)}

    def _form(
        self,
        step_id: str,
        user_input: dict[str, Any] | None,
        errors: dict[str, str],
        placeholders: dict[str, str],
    ) -> SubentryFlowResult:
        schema = _schema(KINDS[self.kind], reconfigure=step_id == "reconfigure")
        shown = {key: value for key, value in (user_input or {}).items() if key != CONF_API_KEY}
        return self.async_show_form(
            step_id=step_id,
            data_schema=self.add_suggested_values_to_schema(schema, shown),
            errors=errors,
            description_placeholders={
                "kind": KINDS[self.kind].title,
                "error": "",
                "name": "",
                **placeholders,
            },
        )

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> SubentryFlowResult:
        """Ask for the connector's address, key and options."""
        if self._get_entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="engine_not_loaded")
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            sends_webhooks = bool(KINDS[self.kind].webhook)
            extra = {CONF_WEBHOOK_SECRET: secrets.token_urlsafe(24)} if sends_webhooks else {}
            connector, errors, placeholders = await self._save(user_input, None, extra)
            if connector is not None:
                self._created = _data(connector, user_input, extra)
                if sends_webhooks:
                    return await self.async_step_webhook()
                return self._finish()
        return self._form("user", user_input, errors, placeholders)

    async def async_step_webhook(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Show the webhook address and secret to paste into the app."""
        if user_input is not None:
            return self._finish()
        placeholders = webhook(self._client, self.kind, self._created)
        return self.async_show_form(step_id="webhook", description_placeholders=placeholders)

    def _finish(self) -> SubentryFlowResult:
        return self.async_create_entry(
            title=self._created[CONF_NAME],
            data=self._created,
            unique_id=self._created[CONF_CONNECTOR_ID],
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> SubentryFlowResult:
        """Change the connector; an empty API key keeps the current one."""
        if self._get_entry().state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="engine_not_loaded")
        subentry = self._get_reconfigure_subentry()
        errors: dict[str, str] = {}
        placeholders: dict[str, str] = {}
        if user_input is not None:
            stored = subentry.data[CONF_SETTINGS]
            kept = {key: stored[key] for key in (CONF_WEBHOOK_SECRET,) if key in stored}
            connector, errors, placeholders = await self._save(
                user_input, subentry.data[CONF_CONNECTOR_ID], kept
            )
            if connector is not None:
                key = user_input.get(CONF_API_KEY) or subentry.data[CONF_API_KEY]
                data = _data(connector, user_input | {CONF_API_KEY: key}, kept)
                return self.async_update_and_abort(
                    self._get_entry(), subentry, title=data[CONF_NAME], data=data
                )
        return self._form("reconfigure", user_input or _form_values(subentry), errors, placeholders)


def _data(
    connector: dict[str, Any], user_input: dict[str, Any], extra: dict[str, Any]
) -> dict[str, Any]:
    """Keep enough in the subentry to create the connector again in a reset engine."""
    return {
        CONF_CONNECTOR_ID: connector["id"],
        CONF_NAME: connector["name"],
        CONF_URL: connector["url"],
        CONF_API_KEY: user_input.get(CONF_API_KEY, ""),
        CONF_VERIFY_SSL: connector["verify_tls"],
        CONF_SETTINGS: connector["settings"] | extra,
    }


def _form_values(subentry: ConfigSubentry) -> dict[str, Any]:
    """Fill the form in from the subentry (never the API key)."""
    settings = dict(subentry.data[CONF_SETTINGS])
    if isinstance(settings.get(CONF_AUTO_PICK_USERS), list):
        settings[CONF_AUTO_PICK_USERS] = ", ".join(settings[CONF_AUTO_PICK_USERS])
    return {
        CONF_NAME: subentry.data[CONF_NAME],
        CONF_URL: subentry.data[CONF_URL],
        CONF_VERIFY_SSL: subentry.data[CONF_VERIFY_SSL],
        **settings,
    }


def webhook(client: HaulClient, kind: str, data: dict[str, Any]) -> dict[str, str]:
    """Give the webhook address and secret of a connector whose app sends webhooks."""
    path = KINDS[kind].webhook.format(connector_id=data[CONF_CONNECTOR_ID])
    return {"url": f"{client.url}{path}", "secret": data[CONF_SETTINGS][CONF_WEBHOOK_SECRET]}


SUBENTRY_FLOWS: dict[str, type[ConfigSubentryFlow]] = {
    kind: type(f"{spec.title}SubentryFlow", (ConnectorSubentryFlow,), {"kind": kind})
    for kind, spec in KINDS.items()
}
