"""The torznab and prowlarr connector kinds: settings schema, client factory and connection test."""

from __future__ import annotations

from typing import TYPE_CHECKING

from haul_engine.connectors.kinds import ConnectorConfig, ConnectorKind, TestResult, register_kind
from haul_engine.indexers.base import IndexerClient, IndexerError, IndexerOptions
from haul_engine.indexers.prowlarr import ProwlarrClient, ProwlarrOptions
from haul_engine.indexers.torznab import TorznabClient

if TYPE_CHECKING:
    import aiohttp
    from pydantic import BaseModel

CLIENTS: dict[str, type[IndexerClient]] = {"torznab": TorznabClient, "prowlarr": ProwlarrClient}
OPTIONS: dict[str, type[IndexerOptions]] = {"torznab": IndexerOptions, "prowlarr": ProwlarrOptions}


def make_client(config: ConnectorConfig, session: aiohttp.ClientSession) -> IndexerClient:
    """Build the client of a stored connector."""
    options = _options(config.kind, config.settings)
    return CLIENTS[config.kind](
        config.name, config.url, config.api_key, options, session, verify_tls=config.verify_tls
    )


def _options(kind: str, settings: BaseModel) -> IndexerOptions:
    model = OPTIONS[kind]
    return settings if isinstance(settings, model) else model.model_validate(settings.model_dump())


async def identify(client: IndexerClient) -> TestResult:
    """Reach an indexer afresh (Torznab caps, Prowlarr system/status) and say what answered."""
    try:
        app, version = await client.identify()
    except IndexerError as err:
        return TestResult(ok=False, error=client.redact(str(err)))
    return TestResult(ok=True, app=app, version=version)


async def test_indexer(config: ConnectorConfig, session: aiohttp.ClientSession) -> TestResult:
    """Test a connector before it is saved (each call within the connector's own timeout)."""
    return await identify(make_client(config, session))


register_kind(
    ConnectorKind(
        "torznab", "indexer", IndexerOptions, test_indexer, title="Torznab indexer",
        default_url="http://localhost:9117/api",
    )
)  # fmt: skip
register_kind(
    ConnectorKind(
        "prowlarr", "indexer", ProwlarrOptions, test_indexer, title="Prowlarr",
        default_url="http://localhost:9696",
    )
)  # fmt: skip
