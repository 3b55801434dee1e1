"""The kind registry: each connector kind declares its settings schema and how to test it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, ValidationInfo

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    import aiohttp

Category = Literal["arr", "indexer", "request", "mediaserver"]
HealthStatus = Literal["unknown", "healthy", "degraded", "unhealthy", "offline"]
SECRET = "x-secret"  # noqa: S105 - marks a write-only setting in the schema
CHOICES = "x-choices"  # names the command that lists a setting's allowed values
# names the command that lists a setting's values for one connector (its connector_id)
CONNECTOR_CHOICES = "x-connector-choices"
MIN_WEBHOOK_SECRET = 22  # characters: 128 bits of secrets.token_urlsafe text
WEBHOOK_SECRET_BYTES = 24  # what Haul makes: 192 bits
KEPT = "kept"  # validation context: the settings taken as stored, not given now


def _long_enough(secret: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
    """Refuse a webhook secret given now that is too short to resist guessing."""
    kept = (info.context or {}).get(KEPT, ())
    if secret is None or info.field_name in kept:
        return secret
    if len(secret.get_secret_value()) < MIN_WEBHOOK_SECRET:
        msg = (
            f"too short: at least {MIN_WEBHOOK_SECRET} characters, so it cannot be guessed "
            "(leave it empty and Haul makes one)"
        )
        raise ValueError(msg)
    return secret


# A webhook's secret: write-only, long enough when given (stored ones are kept as they are).
WebhookSecret = Annotated[
    SecretStr | None,
    AfterValidator(_long_enough),
    Field(json_schema_extra={"minLength": MIN_WEBHOOK_SECRET}),
]


class NoSettings(BaseModel):
    """Settings of a kind that needs nothing beyond url and api key."""

    model_config = ConfigDict(extra="forbid")


class TestResult(BaseModel):
    """What a connection test found: the app and version on the other end, or why it failed."""

    __test__ = False  # not a pytest class

    ok: bool
    app: str | None = None
    version: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ConnectorConfig:
    """A connector as its owner sees it: validated settings and secrets in clear."""

    id: str
    kind: str
    name: str
    url: str
    api_key: str
    settings: BaseModel
    enabled: bool = True
    verify_tls: bool = True

    def setting(self, name: str) -> Any:  # noqa: ANN401 - each kind has its own settings
        """One settings value, secrets revealed."""
        return reveal(self.settings, name)


def reveal(settings: BaseModel, name: str) -> Any:  # noqa: ANN401 - each kind has its own settings
    """Return a settings value, a SecretStr turned back into its text."""
    value = getattr(settings, name)
    return value.get_secret_value() if isinstance(value, SecretStr) else value


class WebhookView(BaseModel):
    """Where an app sends its webhook, the setting holding its secret, what to choose in the app."""

    path: str
    secret_setting: str
    events: list[str]


class KindView(BaseModel):
    """A connector kind as clients build their forms from it."""

    name: str
    title: str
    category: Category
    requires_api_key: bool
    default_url: str
    webhook: WebhookView | None
    settings_schema: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Webhook:
    """The engine's address for the webhook an app sends, and the setting holding its secret."""

    path: str  # under the engine's URL, with {connector_id}
    secret_setting: str = "webhook_secret"  # noqa: S105 - a setting's name
    events: tuple[str, ...] = ()  # what to choose in the app, in its own words


@dataclass(frozen=True, slots=True)
class ConnectorKind:
    """One kind of connector: what it is, its settings schema and its connection test.

    The test reaches the connector over the engine's HTTP session (given as its second argument).
    """

    name: str
    category: Category
    settings_model: type[BaseModel]
    test: Callable[[ConnectorConfig, aiohttp.ClientSession], Awaitable[TestResult]]
    title: str  # the app's name as people write it
    default_url: str  # where the app listens when installed with its defaults
    requires_api_key: bool = True
    webhook: Webhook | None = None
    # Settings the model shares with kinds where they matter, offered only there.
    unused_settings: frozenset[str] = field(default_factory=frozenset)

    def view(self) -> KindView:
        """Describe the kind for clients; values listed by other commands are not filled in."""
        webhook = self.webhook
        return KindView(
            name=self.name, title=self.title, category=self.category,
            requires_api_key=self.requires_api_key, default_url=self.default_url,
            webhook=WebhookView(
                path=webhook.path, secret_setting=webhook.secret_setting,
                events=list(webhook.events),
            ) if webhook else None,
            settings_schema=self.settings_schema(),
        )  # fmt: skip

    def secret_fields(self) -> set[str]:
        """Name the settings fields typed SecretStr: stored apart and never returned."""
        return {
            name
            for name, info in self.settings_model.model_fields.items()
            if info.annotation in (SecretStr, SecretStr | None)
        }

    def choice_fields(self) -> dict[str, str]:
        """Name the settings whose values another command lists, and that command."""
        return {
            name: source
            for name, info in self.settings_model.model_fields.items()
            if isinstance(info.json_schema_extra, dict)
            and isinstance(source := info.json_schema_extra.get(CHOICES), str)
        }

    def settings_schema(self) -> dict[str, Any]:
        """Describe the settings as one JSON schema: nested models inline, secrets marked."""
        generated = self.settings_model.model_json_schema()
        schema: dict[str, Any] = _inline(generated, generated.pop("$defs", {}))
        properties: dict[str, Any] = schema["properties"]
        for name in self.unused_settings:
            del properties[name]
        for name in self.secret_fields():
            properties[name][SECRET] = True
        return schema


_KINDS: dict[str, ConnectorKind] = {}


def register_kind(kind: ConnectorKind) -> ConnectorKind:
    """Make a kind known; call it at import time of the module that defines the kind."""
    existing = _KINDS.get(kind.name)
    if existing is not None and existing != kind:
        msg = f"connector kind {kind.name} registered twice"
        raise ValueError(msg)
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> ConnectorKind | None:
    """Return the registered kind of that name, if any."""
    return _KINDS.get(name)


def registered_kinds() -> list[str]:
    """Return the names of every registered kind, sorted."""
    return sorted(_KINDS)


def _list_kinds(schema: dict[str, Any]) -> None:
    """Name the registered kinds in a JSON Schema (when it is made: every kind is known then)."""
    schema["enum"] = registered_kinds()


# A connector kind's name, as an argument: its schema lists the kinds, the commands refuse others.
KindName = Annotated[str, Field(json_schema_extra=_list_kinds)]


def titled_choices(titles: Mapping[str, str]) -> Callable[[dict[str, Any]], None]:
    """Describe a Literal setting's values as `oneOf` consts, each with its title."""

    def describe(schema: dict[str, Any]) -> None:
        values = schema.pop("enum")
        if set(values) != set(titles):
            msg = f"titles {sorted(titles)} do not name the values {sorted(values)}"
            raise ValueError(msg)
        schema["oneOf"] = [{"const": value, "title": titles[value]} for value in values]

    return describe


def titled_map(key: str, value: str) -> Callable[[dict[str, Any]], None]:
    """Give a dict setting's keys and values a title each (pydantic keeps none for them)."""

    def describe(schema: dict[str, Any]) -> None:
        schema.setdefault("propertyNames", {})["title"] = key
        schema["additionalProperties"]["title"] = value

    return describe


def _inline(schema: Any, definitions: dict[str, Any]) -> Any:  # noqa: ANN401 - any JSON value
    """Replace each $ref by its definition; the referring schema's own keys win."""
    if isinstance(schema, list):
        return [_inline(item, definitions) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        own = {key: value for key, value in schema.items() if key != "$ref"}
        target = definitions[schema["$ref"].rsplit("/", 1)[-1]]
        schema = {**target, **own}
    return {key: _inline(value, definitions) for key, value in schema.items()}
