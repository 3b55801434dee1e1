"""The kind registry: each connector kind declares its settings schema and how to test it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, SecretStr

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    import aiohttp

Category = Literal["arr", "indexer", "request", "mediaserver"]
HealthStatus = Literal["unknown", "healthy", "degraded", "unhealthy", "offline"]


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


@dataclass(frozen=True, slots=True)
class ConnectorKind:
    """One kind of connector: its name, category, settings schema and connection test.

    The test reaches the connector over the engine's HTTP session (given as its second argument).
    """

    name: str
    category: Category
    settings_model: type[BaseModel]
    test: Callable[[ConnectorConfig, aiohttp.ClientSession], Awaitable[TestResult]]
    requires_api_key: bool = True

    def secret_fields(self) -> set[str]:
        """Name the settings fields typed SecretStr: stored apart and never returned."""
        return {
            name
            for name, field in self.settings_model.model_fields.items()
            if field.annotation in (SecretStr, SecretStr | None)
        }


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
