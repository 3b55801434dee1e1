"""Fixtures for indexer clients: an HTTP session, clients of fakes, a filtered log capture."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import aiohttp
import pytest

from haul_engine.indexers.base import IndexerOptions
from haul_engine.indexers.prowlarr import ProwlarrClient, ProwlarrOptions
from haul_engine.indexers.torznab import TorznabClient
from haul_engine.logs import SecretFilter

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from tests.fakes.prowlarr import FakeProwlarr
    from tests.fakes.torznab import FakeTorznab


class Captured(logging.Handler):
    """Every formatted log line, after the secret filter, as the engine's handler writes them."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.addFilter(SecretFilter())
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@pytest.fixture
def captured_logs() -> Iterator[Captured]:
    handler = Captured()
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(previous)


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def torznab_client(http: aiohttp.ClientSession) -> Callable[..., TorznabClient]:
    def make(fake: FakeTorznab, name: str = "feed", **options: object) -> TorznabClient:
        return TorznabClient(
            name, fake.url, fake.api_key, IndexerOptions.model_validate(options), http
        )

    return make


@pytest.fixture
def prowlarr_client(http: aiohttp.ClientSession) -> Callable[..., ProwlarrClient]:
    def make(fake: FakeProwlarr, name: str = "prowlarr", **options: object) -> ProwlarrClient:
        return ProwlarrClient(
            name, fake.url, fake.api_key, ProwlarrOptions.model_validate(options), http
        )

    return make
