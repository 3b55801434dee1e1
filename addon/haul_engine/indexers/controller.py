"""IndexersController: a client per torznab/prowlarr connector, searched together."""

from __future__ import annotations

import logging
from datetime import datetime  # noqa: TC003 - pydantic reads the annotations at runtime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from haul_engine.commands import api_command
from haul_engine.connectors.controller import ConnectorOwner
from haul_engine.controller import Controller
from haul_engine.events import EventName
from haul_engine.indexers.base import IndexerHealth
from haul_engine.indexers.kinds import CLIENTS, identify, make_client
from haul_engine.indexers.search import SearchOutcome, search_all

if TYPE_CHECKING:
    from haul_engine.connectors.kinds import ConnectorConfig, HealthStatus
    from haul_engine.engine import Engine
    from haul_engine.indexers.base import IndexerClient, SearchQuery
    from haul_engine.indexers.search import OnResults

_LOGGER = logging.getLogger(__name__)


class IndexerStatus(BaseModel):
    """How one indexer is doing."""

    id: str
    name: str
    kind: str
    enabled: bool
    failures: int
    last_error: str | None
    last_success: datetime | None
    paused_until: datetime | None
    pause_reason: str | None
    last_response_ms: int | None
    revision: int = Field(description="of the indexer's latest event (0: none since the start)")


class IndexersController(Controller, ConnectorOwner):
    """Owns the torznab and prowlarr connectors and searches them."""

    feature = "indexers"

    def __init__(self, engine: Engine) -> None:
        """No clients until the connectors are handed over."""
        super().__init__(engine)
        self.clients: dict[str, IndexerClient] = {}
        self.configs: dict[str, ConnectorConfig] = {}
        self._reported: dict[str, tuple[HealthStatus, str | None]] = {}
        self.response_ms: dict[str, int] = {}

    async def setup(self) -> None:
        """Take over every indexer connector."""
        await self.engine.connectors.attach(self, CLIENTS)

    async def connector_saved(self, connector: ConnectorConfig) -> None:
        """Build (or rebuild) the client of a created or changed connector."""
        self.clients[connector.id] = make_client(connector, self.engine.http.session)
        self.configs[connector.id] = connector

    async def connector_removed(self, connector_id: str) -> None:
        """Forget a deleted connector."""
        self.clients.pop(connector_id, None)
        self.configs.pop(connector_id, None)
        self._reported.pop(connector_id, None)
        self.response_ms.pop(connector_id, None)

    async def sync(self, connector: ConnectorConfig) -> dict[str, Any]:
        """Forget failures and back-off, then reach the indexer afresh (caps re-read)."""
        client = self.clients[connector.id]
        client.health = IndexerHealth()
        checked = await identify(client)
        if not checked.ok:
            client.health.failed(checked.error or "unreachable")
        await self._report_health(connector.id, client)
        self._publish(connector.id)
        return checked.model_dump()

    def enabled_clients(self) -> list[IndexerClient]:
        """Return the clients of enabled connectors."""
        return [client for key, client in self.clients.items() if self.configs[key].enabled]

    async def search(
        self, query: SearchQuery, on_results: OnResults | None = None
    ) -> SearchOutcome:
        """Search every enabled indexer (see search_all); record their health and response time."""
        asked = [key for key in self.clients if self.configs[key].enabled]
        outcome = await search_all([self.clients[key] for key in asked], query, on_results)
        for key, report in zip(asked, outcome.indexers, strict=True):
            if report.ok:
                self.response_ms[key] = report.elapsed_ms
            await self._report_health(key, self.clients[key])
            self._publish(key)
        return outcome

    def _publish(self, key: str) -> None:
        """Publish indexer_updated with the indexer's status (after a search or a check)."""
        if key in self.clients:  # else removed meanwhile
            status = self._status(key).model_dump(mode="json")
            self.engine.events.publish(EventName.INDEXER_UPDATED, status, key)

    def client_named(self, name: str) -> IndexerClient | None:
        """Find the client whose results carry this name (Prowlarr: `server: indexer`)."""
        for client in self.clients.values():
            if name == client.name or name.startswith(f"{client.name}: "):
                return client
        return None

    async def _report_health(self, key: str, client: IndexerClient) -> None:
        health: HealthStatus = "healthy"
        if client.health.waiting() is not None:
            health = "unhealthy"
        elif client.health.failures:
            health = "degraded"
        report = (health, client.health.last_error)
        if self._reported.get(key) != report:
            self._reported[key] = report
            await self.engine.connectors.set_health(key, *report)

    def counts(self) -> dict[str, int]:
        """How many indexers are configured."""
        return {"indexers": len(self.clients)}

    def problems(self) -> list[str]:
        """Indexers backed off or rate limited right now."""
        return [
            f"indexer {client.name}: {waiting}"
            for client in self.enabled_clients()
            if (waiting := client.health.waiting()) is not None
        ]

    @api_command("indexers/status", path="/indexers")
    async def status(self) -> list[IndexerStatus]:
        """Every indexer with its failures, back-off, last error and last response time."""
        return [self._status(key) for key in self.clients]

    def _status(self, key: str) -> IndexerStatus:
        client = self.clients[key]
        waiting = client.health.waiting() is not None
        return IndexerStatus(
            id=key,
            name=client.name,
            kind=self.configs[key].kind,
            enabled=self.configs[key].enabled,
            failures=client.health.failures,
            last_error=client.health.last_error,
            last_success=client.health.last_success,
            paused_until=client.health.paused_until if waiting else None,
            pause_reason=client.health.pause_reason if waiting else None,
            last_response_ms=self.response_ms.get(key),
            revision=self.engine.events.revision("indexer", key),
        )
