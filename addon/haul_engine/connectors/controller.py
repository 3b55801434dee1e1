"""ConnectorsController: CRUD, connection tests and hand-over to the owning capability."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import uuid
from datetime import datetime  # noqa: TC003 - pydantic reads the annotations at runtime
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, Field, ValidationError
from yarl import URL

from haul_engine.commands import api_command
from haul_engine.connectors.kinds import (
    KEPT,
    WEBHOOK_SECRET_BYTES,
    ConnectorConfig,
    ConnectorKind,
    HealthStatus,
    KindName,
    KindView,
    TestResult,
    get_kind,
    registered_kinds,
    reveal,
)
from haul_engine.connectors.models import CONNECTORS, Connector
from haul_engine.controller import Controller
from haul_engine.db.database import get_or_not_found, unique
from haul_engine.db.values import utcnow
from haul_engine.errors import Conflict, EngineError, InvalidInput
from haul_engine.events import EventName
from haul_engine.logs import SecretFilter

if TYPE_CHECKING:
    from collections.abc import Iterable
    from contextlib import AbstractContextManager

    from haul_engine.db.sql import Transaction
    from haul_engine.engine import Engine

_LOGGER = logging.getLogger(__name__)
# what an update may change (the rest is the connector's identity or its owner's to write)
UPDATABLE = ("name", "url", "api_key", "settings", "secrets", "enabled", "verify_tls", "updated_at")
Name = Annotated[str, Field(min_length=1, max_length=100)]


class ConnectorView(BaseModel):
    """A connector as the API shows it: secrets only as has_api_key and secrets_set."""

    id: str
    kind: str
    category: str | None
    name: str
    url: str
    enabled: bool
    verify_tls: bool
    settings: dict[str, Any]
    has_api_key: bool
    secrets_set: list[str]
    health: str
    last_error: str | None
    health_checked_at: datetime | None
    app: str | None
    app_version: str | None
    created_at: datetime
    updated_at: datetime
    revision: int = Field(description="of the connector's latest event (0: none since the start)")
    webhook_secret: str | None = Field(
        default=None,
        description="only in the answer to a create that gave no webhook secret: the one Haul "
        "made, shown this once",
    )


class Removed(BaseModel):
    """The id of what was removed."""

    id: str


class ConnectorOwner:
    """Implemented by the capability that runs work per connector of the kinds it owns."""

    async def connector_saved(self, connector: ConnectorConfig) -> None:
        """Start or restart work for a connector that was created, changed or found at start."""

    async def connector_removed(self, connector_id: str) -> None:
        """Stop work for a deleted connector and forget it."""

    async def sync(self, connector: ConnectorConfig) -> dict[str, Any]:
        """Synchronise now; the answer is the owner's summary of what happened."""
        msg = f"{connector.kind} connectors cannot be synced"
        raise Conflict(msg)

    async def sweep(self, connector: ConnectorConfig) -> dict[str, Any]:
        """Search for what is missing now."""
        msg = f"{connector.kind} connectors cannot be swept"
        raise Conflict(msg)


class ConnectorsController(Controller):
    """The /connectors resource; owners attach to the kinds they run."""

    feature = "connectors"

    def __init__(self, engine: Engine) -> None:
        """No owners until they attach."""
        super().__init__(engine)
        self._owners: dict[str, ConnectorOwner] = {}
        self._identifying: dict[str, asyncio.Task[None]] = {}

    async def setup(self) -> None:
        """Keep every stored secret out of the logs; learn which app answers at each connector."""
        async with self.engine.database.session() as tx:
            rows = await CONNECTORS.all(tx)
        for row in rows:
            _register_secrets(row)
            self._identify_soon(row)

    async def close(self) -> None:
        """Stop asking the apps who they are."""
        tasks = list(self._identifying.values())
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def attach(self, owner: ConnectorOwner, kinds: Iterable[str]) -> None:
        """Route the given kinds to owner and hand it every existing connector of those kinds."""
        kinds = set(kinds)
        for kind in kinds:
            self._owners[kind] = owner
        for config in await self.configs(kinds):
            await owner.connector_saved(config)

    async def configs(self, kinds: Iterable[str] | None = None) -> list[ConnectorConfig]:
        """Every connector (of the given kinds) with validated settings and secrets in clear."""
        where, params = (
            ("", {}) if kinds is None else ("WHERE kind IN :kinds", {"kinds": sorted(kinds)})
        )
        async with self.engine.database.session() as tx:
            rows = await CONNECTORS.all(tx, f"{where} ORDER BY created_at", params)
        return [config for row in rows if (config := _config_or_none(row)) is not None]

    async def config(self, connector_id: str) -> ConnectorConfig:
        """One connector with validated settings and secrets in clear."""
        async with self.engine.database.session() as tx:
            row = await _row(tx, connector_id)
        config = _config_or_none(row)
        if config is None:
            msg = f"connector kind {row.kind!r} is not available in this engine"
            raise Conflict(msg)
        return config

    def _identify_soon(self, row: Connector) -> None:
        """Ask the app at an enabled connector who it is, in the background (at start, on save)."""
        config = _config_or_none(row)
        if config is None or not config.enabled or row.id in self._identifying:
            return
        task = asyncio.create_task(self._identify(config), name=f"identify {row.name}")
        self._identifying[row.id] = task
        task.add_done_callback(lambda _: self._identifying.pop(row.id, None))

    async def _identify(self, config: ConnectorConfig) -> None:
        """Record the app and version its connection test finds; health stays the owner's."""
        try:
            found = await _kind(config.kind).test(config, self.engine.http.session)
        except EngineError as err:
            found = TestResult(ok=False, error=str(err))
        if not found.ok or not found.app:
            _LOGGER.debug("cannot tell which app answers at %s: %s", config.name, found.error)
            return
        app, version = found.app[:64], found.version[:64] if found.version else None
        async with self.engine.database.session() as tx:
            row = await CONNECTORS.get(tx, config.id)
            if row is None or (row.app, row.app_version) == (app, version):
                return
            row.app, row.app_version = app, version
            await CONNECTORS.update(tx, row, "app", "app_version")
        self._publish(EventName.CONNECTOR_UPDATED, row)

    async def set_health(self, connector_id: str, health: HealthStatus, error: str | None) -> None:
        """Record a connector's health: connector_health_changed, or connector_updated (error)."""
        async with self.engine.database.session() as tx:
            row = await CONNECTORS.get(tx, connector_id)
            if row is None:
                return
            previous, previous_error = row.health, row.last_error
            row.health, row.last_error, row.health_checked_at = health, error, utcnow()
            await CONNECTORS.update(tx, row, "health", "last_error", "health_checked_at")
        if previous != health:
            _LOGGER.info("connector %s is %s (was %s)", row.name, health, previous)
            self._publish(EventName.CONNECTOR_HEALTH_CHANGED, row, previous=previous, error=error)
        elif previous_error != error:
            self._publish(EventName.CONNECTOR_UPDATED, row)

    def _view(self, row: Connector) -> ConnectorView:
        kind = get_kind(row.kind)
        return ConnectorView(
            id=row.id, kind=row.kind, category=kind.category if kind else None, name=row.name,
            url=row.url, enabled=row.enabled, verify_tls=row.verify_tls, settings=row.settings,
            has_api_key=bool(row.api_key), secrets_set=sorted(row.secrets), health=row.health,
            last_error=row.last_error, health_checked_at=row.health_checked_at, app=row.app,
            app_version=row.app_version, created_at=row.created_at, updated_at=row.updated_at,
            revision=self.engine.events.revision("connector", row.id),
        )  # fmt: skip

    def _publish(self, name: EventName, row: Connector, **extra: Any) -> ConnectorView:  # noqa: ANN401
        """Publish an event with the connector's view (and what else it tells); return the view."""
        view = self._view(row)
        shown = view.model_dump(mode="json") | extra
        view.revision = self.engine.events.publish(name, shown, row.id).revision
        return view

    @api_command("connectors/kinds", path="/connectors/kinds")
    async def list_kinds(self) -> list[KindView]:
        """Every connector kind: what it is, its address and webhook, its settings' JSON schema."""
        views = []
        for name in registered_kinds():
            kind = _kind(name)
            view = kind.view()
            for setting, source in kind.choice_fields().items():
                _offer(view.settings_schema["properties"][setting], await self._choices(source))
            views.append(view)
        return views

    async def _choices(self, source: str) -> dict[str, str]:
        """List the values a command lists (each item's id) with their titles (its name)."""
        listed = await self.engine.commands.call(source, {})
        return {str(item["id"]): str(item.get("name") or item["id"]) for item in listed}

    async def _valid_settings(
        self, kind: ConnectorKind, values: dict[str, Any], kept: frozenset[str] = frozenset()
    ) -> BaseModel:
        """Validate settings by the kind's model, then the values other commands list.

        kept: the settings taken as stored rather than given now (not judged again).
        """
        if unused := sorted(kind.unused_settings & values.keys()):
            msg = "; ".join(
                f"settings.{name}: not a setting of {kind.name} connectors" for name in unused
            )
            raise InvalidInput(msg)
        model = _validate_settings(kind, values, kept)
        for setting, source in kind.choice_fields().items():
            value = getattr(model, setting)
            if value is not None and value not in (choices := await self._choices(source)):
                msg = f"settings.{setting}: {value!r} is not one of {', '.join(choices)}"
                raise InvalidInput(msg)
        return model

    @api_command("connectors/list", path="/connectors")
    async def list_connectors(self, kind: str | None = None) -> list[ConnectorView]:
        """Every connector, optionally of one kind."""
        where = "" if kind is None else "WHERE kind = :kind"
        async with self.engine.database.session() as tx:
            rows = await CONNECTORS.all(tx, f"{where} ORDER BY created_at", {"kind": kind})
        return [self._view(row) for row in rows]

    @api_command("connectors/get", path="/connectors/{connector_id}")
    async def get_connector(self, connector_id: str) -> ConnectorView:
        """One connector."""
        async with self.engine.database.session() as tx:
            return self._view(await _row(tx, connector_id))

    @api_command("connectors/create", method="POST", path="/connectors")
    async def create_connector(  # noqa: PLR0913 - the create body's fields
        self,
        *,
        kind: KindName,
        name: Name,
        url: str,
        api_key: str = "",
        settings: dict[str, Any] | None = None,
        enabled: bool = True,
        verify_tls: bool = True,
    ) -> ConnectorView:
        """Add a connector; its settings are validated by the schema of its kind.

        url is http(s)://host[:port][/path] without credentials or query; kinds that need an
        API key refuse an empty one; settings follow the kind's schema (GET /connectors/kinds:
        choices list what the engine has now). A 400 says which.
        """
        connector_kind = _kind(kind)
        row = Connector(
            id=uuid.uuid4().hex, kind=kind, name=name.strip(), url=_clean_url(url),
            api_key=api_key, enabled=enabled, verify_tls=verify_tls, health="unknown",
        )  # fmt: skip
        _check_api_key(connector_kind, api_key)
        settings = dict(settings or {})
        generated = _make_webhook_secret(connector_kind, settings)
        _store_settings(row, connector_kind, await self._valid_settings(connector_kind, settings))
        row.created_at = row.updated_at = utcnow()
        async with self.engine.database.session() as tx:
            with _unique(row.name):
                await CONNECTORS.insert(tx, row)
        _register_secrets(row)
        _LOGGER.info("connector %s (%s) created", row.name, row.kind)
        view = self._publish(EventName.CONNECTOR_CREATED, row)
        await self._tell_owner(row)
        return view.model_copy(update={"webhook_secret": generated})

    @api_command("connectors/update", method="PATCH", path="/connectors/{connector_id}")
    async def update_connector(  # noqa: PLR0913 - the update body's fields
        self,
        connector_id: str,
        *,
        name: Name | None = None,
        url: str | None = None,
        api_key: str | None = None,
        settings: dict[str, Any] | None = None,
        enabled: bool | None = None,
        verify_tls: bool | None = None,
    ) -> ConnectorView:
        """Change some fields; settings are merged into the stored ones and validated again.

        The same rules as for a new connector apply to the merged result (a 400 says which).
        """
        async with self.engine.database.session() as tx:
            row = await _row(tx, connector_id)
            connector_kind = _kind(row.kind)
            if name is not None:
                row.name = name.strip()
            if url is not None:
                row.url = _clean_url(url)
            if api_key is not None:
                _check_api_key(connector_kind, api_key)
                row.api_key = api_key
            if settings is not None:
                stored = {**row.settings, **row.secrets}
                kept = {key: stored[key] for key in stored.keys() - connector_kind.unused_settings}
                merged = kept | settings
                valid = await self._valid_settings(
                    connector_kind, merged, frozenset(kept.keys() - settings.keys())
                )
                _store_settings(row, connector_kind, valid)
            if enabled is not None:
                row.enabled = enabled
            if verify_tls is not None:
                row.verify_tls = verify_tls
            row.updated_at = utcnow()
            with _unique(row.name):
                await CONNECTORS.update(tx, row, *UPDATABLE)
        _register_secrets(row)
        view = self._publish(EventName.CONNECTOR_UPDATED, row)
        await self._tell_owner(row)
        return view

    @api_command("connectors/delete", method="DELETE", path="/connectors/{connector_id}")
    async def delete_connector(self, connector_id: str) -> Removed:
        """Remove a connector; its owner stops its work and drops what it kept for it."""
        async with self.engine.database.session() as tx:
            row = await _row(tx, connector_id)
            await CONNECTORS.delete(tx, connector_id)
        owner = self._owners.get(row.kind)
        if owner is not None:
            await owner.connector_removed(connector_id)
        _LOGGER.info("connector %s (%s) removed", row.name, row.kind)
        self._publish(EventName.CONNECTOR_REMOVED, row)
        return Removed(id=connector_id)

    @api_command("connectors/test", method="POST", path="/connectors/test")
    async def test_connector(  # noqa: PLR0913 - the create body's fields
        self,
        *,
        kind: KindName,
        name: Name,
        url: str,
        api_key: str = "",
        settings: dict[str, Any] | None = None,
        enabled: bool = True,
        verify_tls: bool = True,
    ) -> TestResult:
        """Try a connector before saving it (same body and rules as create); nothing is stored."""
        connector_kind = _kind(kind)
        _check_api_key(connector_kind, api_key)
        config = ConnectorConfig(
            id="", kind=kind, name=name, url=_clean_url(url), api_key=api_key,
            settings=await self._valid_settings(connector_kind, settings or {}), enabled=enabled,
            verify_tls=verify_tls,
        )  # fmt: skip
        SecretFilter.register(api_key)
        try:
            return await connector_kind.test(config, self.engine.http.session)
        except EngineError as err:
            return TestResult(ok=False, error=str(err))

    @api_command("connectors/sync", method="POST", path="/connectors/{connector_id}/sync")
    async def sync_connector(self, connector_id: str) -> dict[str, Any]:
        """Ask the owning capability to synchronise this connector now."""
        config = await self.config(connector_id)
        return await self._owner(config).sync(config)

    @api_command("connectors/sweep", method="POST", path="/connectors/{connector_id}/sweep")
    async def sweep_connector(self, connector_id: str) -> dict[str, Any]:
        """Ask the owning capability to search for this connector's gaps now."""
        config = await self.config(connector_id)
        return await self._owner(config).sweep(config)

    def _owner(self, config: ConnectorConfig) -> ConnectorOwner:
        owner = self._owners.get(config.kind)
        if owner is None:
            msg = f"nothing in this engine runs {config.kind} connectors"
            raise Conflict(msg)
        return owner

    async def _tell_owner(self, row: Connector) -> None:
        self._identify_soon(row)
        owner = self._owners.get(row.kind)
        config = _config_or_none(row)
        if owner is not None and config is not None:
            await owner.connector_saved(config)


async def _row(tx: Transaction, connector_id: str) -> Connector:
    return await get_or_not_found(
        CONNECTORS, tx, connector_id, f"no connector with id {connector_id!r}"
    )


def _unique(name: str) -> AbstractContextManager[None]:
    return unique(f"a connector named {name!r} already exists")


def _kind(name: str) -> ConnectorKind:
    kind = get_kind(name)
    if kind is None:
        msg = f"kind: unknown connector kind {name!r} (known: {', '.join(registered_kinds())})"
        raise InvalidInput(msg)
    return kind


def _check_api_key(kind: ConnectorKind, api_key: str) -> None:
    if kind.requires_api_key and not api_key.strip():
        msg = f"api_key: required for {kind.name} connectors"
        raise InvalidInput(msg)


def _clean_url(url: str) -> str:
    """Accept http(s) URLs with a host; drop a trailing slash so paths join cleanly."""
    try:
        parsed = URL(url.strip())
    except ValueError:
        parsed = URL()
    if parsed.scheme not in {"http", "https"} or not parsed.host or parsed.user or parsed.query:
        msg = (
            f"url: expected http(s)://host[:port][/path] without credentials or query, got {url!r}"
        )
        raise InvalidInput(msg)
    return str(parsed).rstrip("/")


def _validate_settings(
    kind: ConnectorKind, values: dict[str, Any], kept: frozenset[str] = frozenset()
) -> BaseModel:
    try:
        return kind.settings_model.model_validate(values, context={KEPT: kept})
    except ValidationError as err:
        problems = [
            f"settings.{'.'.join(str(part) for part in error['loc']) or 'body'}: "
            + error["msg"].removeprefix("Value error, ")
            for error in err.errors()
        ]
        raise InvalidInput("; ".join(problems)) from None


def _offer(schema: dict[str, Any], choices: dict[str, str]) -> None:
    """List the allowed values, each with its title, in a setting's string schema."""
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string" and choices:
            branch["oneOf"] = [{"const": value, "title": title} for value, title in choices.items()]


def _store_settings(row: Connector, kind: ConnectorKind, model: BaseModel) -> None:
    """Store returnable settings and secrets apart; drop the settings the kind does not use."""
    secret_fields = kind.secret_fields()
    row.settings = model.model_dump(mode="json", exclude=secret_fields | kind.unused_settings)
    revealed = {name: reveal(model, name) for name in secret_fields}
    row.secrets = {name: value for name, value in revealed.items() if value is not None}


def _config_or_none(row: Connector) -> ConnectorConfig | None:
    kind = get_kind(row.kind)
    if kind is None:
        _LOGGER.warning(
            "connector %s has kind %s, which no capability registered", row.name, row.kind
        )
        return None
    stored = {**row.settings, **row.secrets}
    return ConnectorConfig(
        id=row.id, kind=row.kind, name=row.name, url=row.url, api_key=row.api_key,
        settings=kind.settings_model.model_validate(stored, context={KEPT: frozenset(stored)}),
        enabled=row.enabled, verify_tls=row.verify_tls,
    )  # fmt: skip


def _make_webhook_secret(kind: ConnectorKind, settings: dict[str, Any]) -> str | None:
    """Make the webhook's secret when none is given (192 random bits); return it, or None."""
    if kind.webhook is None or settings.get(kind.webhook.secret_setting):
        return None
    secret = secrets.token_urlsafe(WEBHOOK_SECRET_BYTES)
    settings[kind.webhook.secret_setting] = secret
    return secret


def _register_secrets(row: Connector) -> None:
    for secret in (row.api_key, *row.secrets.values()):
        SecretFilter.register(secret)
