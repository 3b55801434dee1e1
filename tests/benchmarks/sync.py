"""Benchmark: full and incremental sync of a 2,000 series / 100,000 episode library over loopback.

Run as a script: `.venv/bin/python -m tests.benchmarks.sync`. The fake Sonarr runs in its own
process so it does not share the GIL with the code measured. The floor is the time to download and
JSON-parse the same pages with the same concurrency. Goals: full sync at most 1.5 times the floor,
peak RSS at most 200 MB, incremental sync with nothing changed at most 10 % of a full one. Each
round measures the floor and then both syncs (into a fresh database) back to back, so that a ratio
compares runs made under the same load on a shared machine; the goals are judged on the median
round, and every round is printed.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import orjson

from haul_engine.arr.kinds import ArrSettings
from haul_engine.connectors.kinds import ConnectorConfig
from haul_engine.db.database import Database
from haul_engine.library.sync import FETCH_CONCURRENCY, LibrarySync
from tests.engine.library.conftest import add_connector
from tests.fakes.arr import API_KEY, FakeArr, Library

if TYPE_CHECKING:
    from multiprocessing.connection import Connection

# seasons of 5 to 15 episodes, as real ones vary: batches then end at every length
SERIES, SEASONS, EPISODES, SPREAD = 2000, 5, 10, 5
ROUNDS = 7
CONNECTOR_ID = "0123456789abcdef0123456789abcdef"  # as long as the uuid4 hex ids the engine gives


def serve(pipe: Connection) -> None:
    """Child process: serve the synthetic library until told to stop."""
    library = Library.generate(
        1, series=SERIES, seasons=SEASONS, episodes_per_season=EPISODES, spread=SPREAD
    )
    with FakeArr("sonarr", library) as fake:
        pipe.send(fake.url)
        pipe.recv()


async def floor(url: str) -> float:
    """Download and parse /series and every /episode page, FETCH_CONCURRENCY at a time."""
    started = time.perf_counter()
    headers = {"X-Api-Key": API_KEY}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def get(path: str, **params: Any) -> Any:  # noqa: ANN401
            async with session.get(f"{url}/api/v3{path}", params=params) as answer:
                return orjson.loads(await answer.read())

        series = await get("/series")
        pending = iter(series)

        async def worker() -> None:
            for record in pending:
                await get("/episode", seriesId=record["id"], includeEpisodeFile="true")

        await asyncio.gather(*(worker() for _ in range(FETCH_CONCURRENCY)))
    return time.perf_counter() - started


async def syncs(url: str, folder: Path) -> tuple[float, float, int]:
    """Full then incremental sync into a fresh SQLite database."""
    database = Database(f"sqlite+aiosqlite:///{folder / 'haul.db'}")
    await database.setup()
    config = ConnectorConfig(
        id=CONNECTOR_ID, kind="sonarr", name="TV", url=url, api_key=API_KEY, settings=ArrSettings()
    )
    client = await add_connector(database, config)
    sync = LibrarySync(database, client, CONNECTOR_ID, await client.detect())
    full = await sync.run(full=True)
    incremental = await sync.run(full=False)
    await client.close()
    await database.close()
    return full.seconds, incremental.seconds, full.items


def main() -> int:
    """Print the figures and whether the goals are met."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(target=serve, args=(child,), daemon=True)
    server.start()
    url = parent.recv()
    rounds = []
    try:
        for _ in range(ROUNDS):
            base = asyncio.run(floor(url))
            with tempfile.TemporaryDirectory() as folder:
                full, incremental, items = asyncio.run(syncs(url, Path(folder)))
            rounds.append((base, full, full / base, incremental, incremental / full))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        parent.send("stop")
        server.join(30)
    report = [f"library: {SERIES} series, {items} episodes; {ROUNDS} rounds, the median one first"]
    header = "floor s   full s   ratio (<= 1.5x)   incremental s   share (<= 10%)"
    rows = sorted(rounds, key=lambda figures: figures[2])
    median = rows[len(rows) // 2]
    for base, full, ratio, incremental, share in [median, *rounds]:
        report.append(f"{base:7.2f} {full:8.2f}   {ratio:5.2f}x {incremental:23.3f}   {share:6.1%}")
    report[1:1] = [header]
    report.append(f"peak RSS: {peak_mb:.0f} MB (<= 200 MB)")
    print("\n".join(report))  # noqa: T201 - a benchmark prints its figures
    shares = sorted(figures[4] for figures in rounds)
    met = median[2] <= 1.5 and shares[len(shares) // 2] <= 0.1 and peak_mb <= 200
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
