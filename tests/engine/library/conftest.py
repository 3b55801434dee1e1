"""In-process fixtures: a migrated SQLite database, a connector row and a client for a fake *arr."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, override

import pytest

from haul_engine.arr.apps import AppClient
from haul_engine.arr.client import RetryPolicy
from haul_engine.arr.kinds import ArrSettings
from haul_engine.connectors.kinds import ConnectorConfig
from haul_engine.connectors.models import CONNECTORS, Connector
from haul_engine.db.database import Database
from haul_engine.library import registry
from haul_engine.library.dispatch import Clock
from haul_engine.library.sync import LibrarySync
from tests.fakes.arr import API_KEY, NOW

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from haul_engine.arr.client import Flavor
    from tests.fakes.arr import FakeArr

FAST_RETRY = RetryPolicy(attempts=3, backoff=0.0, timeout=2.0)
_CLIENTS: list[AppClient] = []


@pytest.fixture(autouse=True)
async def _close_clients() -> AsyncIterator[None]:
    """Close every client a test made, even when it fails."""
    yield
    while _CLIENTS:
        await _CLIENTS.pop().close()


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'haul.db'}")
    await database.setup()
    yield database
    await database.close()


def arr_config(fake: FakeArr, connector_id: str = "c1", **settings: object) -> ConnectorConfig:
    return ConnectorConfig(
        id=connector_id, kind=fake.kind, name=f"{fake.kind} test", url=fake.url, api_key=API_KEY,
        settings=ArrSettings.model_validate(settings),
    )  # fmt: skip


async def add_connector(database: Database, config: ConnectorConfig) -> AppClient:
    """Store the connector row the mirror hangs off, and return a client for it."""
    async with database.session() as tx:
        await CONNECTORS.insert(tx, Connector(
            id=config.id, kind=config.kind, name=config.name, url=config.url,
            api_key=config.api_key,
        ))  # fmt: skip
    client = AppClient(config, retry=FAST_RETRY)
    _CLIENTS.append(client)
    return client


class FakeClock(Clock):
    """A clock that only moves when slept on (or moved by the test)."""

    def __init__(self, start: datetime = NOW, zone: tzinfo = UTC) -> None:
        """Start at a fixed moment."""
        super().__init__(zone)
        self.moment = start

    @override
    def now(self) -> datetime:
        return self.moment

    @override
    async def sleep(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)
        await asyncio.sleep(0)


async def synced(
    database: Database, client: AppClient, clock: Clock, *, upgrades: bool = False
) -> Flavor:
    """Detect the app, run a full sync and fill the registry; return the flavour."""
    flavor = await client.detect()
    await LibrarySync(database, client, client.config.id, flavor).run(full=True)
    async with database.session() as tx:
        await registry.refresh(tx, client.config.id, clock.now(), upgrades=upgrades)
    return flavor
