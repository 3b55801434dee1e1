"""Search several indexers at once: each within its own limits, failures reported, hashes merged."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from haul_engine.indexers.base import IndexerError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from haul_engine.indexers.base import IndexerClient, IndexerResult, SearchQuery

    type OnResults = Callable[[list[IndexerResult]], Awaitable[None]]

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IndexerReport:
    """How one indexer did in one search."""

    name: str
    ok: bool
    results: int
    elapsed_ms: int
    error: str | None = None


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """Every result (one per info-hash) and what each indexer did."""

    results: list[IndexerResult]
    indexers: list[IndexerReport]


async def search_all(
    clients: Sequence[IndexerClient], query: SearchQuery, on_results: OnResults | None = None
) -> SearchOutcome:
    """Ask every indexer in parallel; a slow or failing one never sinks the others.

    on_results is given each indexer's results as they arrive, while slower ones are awaited.
    """
    searches = (_search_one(client, query, on_results) for client in clients)
    answers = await asyncio.gather(*searches)
    reports = [report for report, _ in answers]
    results = merge_by_hash([result for _, found in answers for result in found])
    return SearchOutcome(results, reports)


async def _search_one(
    client: IndexerClient, query: SearchQuery, on_results: OnResults | None
) -> tuple[IndexerReport, list[IndexerResult]]:
    started = time.monotonic()
    # The client's timeout bounds each request; this bounds the whole search (caps and pages).
    budget = client.options.timeout * (client.options.max_pages + 1) + 1
    try:
        async with asyncio.timeout(budget):
            found = await client.search(query)
    except IndexerError as err:
        error = client.redact(str(err))
    except TimeoutError:
        error = f"{client.name}: search took longer than {budget:g} s"
        client.health.failed(error)
    else:
        elapsed = round(1000 * (time.monotonic() - started))
        if on_results is not None and found:
            await on_results(found)
        return IndexerReport(client.name, ok=True, results=len(found), elapsed_ms=elapsed), found
    _LOGGER.warning("search on %s failed: %s", client.name, error)
    elapsed = round(1000 * (time.monotonic() - started))
    return IndexerReport(client.name, ok=False, results=0, elapsed_ms=elapsed, error=error), []


def merge_by_hash(results: list[IndexerResult]) -> list[IndexerResult]:
    """One result per info-hash (the best-seeded one), naming the other indexers that have it."""
    kept: dict[str, IndexerResult] = {}
    merged: list[IndexerResult] = []
    for result in sorted(results, key=lambda r: -(r.seeders or 0)):
        if result.info_hash is None:
            merged.append(result)
            continue
        first = kept.get(result.info_hash)
        if first is None:
            kept[result.info_hash] = result
            merged.append(result)
        elif result.indexer != first.indexer and result.indexer not in first.also_on:
            first.also_on.append(result.indexer)
    return merged
