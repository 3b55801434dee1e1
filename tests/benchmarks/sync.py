"""Benchmark: full and incremental sync of a 2,000 series / 100,000 episode library over loopback.

Run as a script: `.venv/bin/python -m tests.benchmarks.sync`. The fake Sonarr runs in its own
process so it does not share the GIL with the code measured. The floor is the time to download and
JSON-parse the same pages with the same concurrency. Goals: full sync at most 1.5 times the floor,
peak RSS at most 200 MB, incremental sync with nothing changed at most 10 % of a full one. Each
round measures the floor and then both syncs (into a fresh database) back to back, so that a ratio
compares runs made under the same load on a shared machine; the goals are judged on the median
round, and every round is printed. Next to each time is the CPU time this process spent (all its
threads): the fake server's is not in it, and on a machine with two cores it competes with both.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

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


class Round(NamedTuple):
    """One round's seconds, and CPU seconds of this process, for the floor and the syncs."""

    floor: float
    floor_cpu: float
    full: float
    full_cpu: float
    incremental: float

    @property
    def ratio(self) -> float:
        """The full sync against the floor."""
        return self.full / self.floor

    @property
    def share(self) -> float:
        """The incremental sync against the full one."""
        return self.incremental / self.full


def serve(pipe: Connection) -> None:
    """Child process: serve the synthetic library until told to stop."""
    library = Library.generate(
        1, series=SERIES, seasons=SEASONS, episodes_per_season=EPISODES, spread=SPREAD
    )
    with FakeArr("sonarr", library) as fake:
        pipe.send(fake.url)
        pipe.recv()


async def floor(url: str) -> tuple[float, float]:
    """Download and parse /series and every /episode page, FETCH_CONCURRENCY at a time."""
    started, cpu = time.perf_counter(), time.process_time()
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
    return time.perf_counter() - started, time.process_time() - cpu


async def syncs(url: str, folder: Path) -> tuple[float, float, float, int]:
    """Full then incremental sync into a fresh SQLite database."""
    database = Database(f"sqlite+aiosqlite:///{folder / 'haul.db'}")
    await database.setup()
    config = ConnectorConfig(
        id=CONNECTOR_ID, kind="sonarr", name="TV", url=url, api_key=API_KEY, settings=ArrSettings()
    )
    client = await add_connector(database, config)
    sync = LibrarySync(database, client, CONNECTOR_ID, await client.detect())
    cpu = time.process_time()
    full = await sync.run(full=True)
    full_cpu = time.process_time() - cpu
    incremental = await sync.run(full=False)
    await client.close()
    await database.close()
    return full.seconds, full_cpu, incremental.seconds, full.items


def main() -> int:
    """Print the figures and whether the goals are met."""
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.get_context("fork").Process(target=serve, args=(child,), daemon=True)
    server.start()
    url = parent.recv()
    rounds: list[Round] = []
    try:
        for _ in range(ROUNDS):
            base, base_cpu = asyncio.run(floor(url))
            with tempfile.TemporaryDirectory() as folder:
                full, full_cpu, incremental, items = asyncio.run(syncs(url, Path(folder)))
            rounds.append(Round(base, base_cpu, full, full_cpu, incremental))
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        parent.send("stop")
        server.join(30)
    report = [
        f"library: {SERIES} series, {items} episodes; {ROUNDS} rounds, the median one first",
        "floor s (CPU)   full s (CPU)   ratio (<= 1.5x)   incremental s   share (<= 10%)",
    ]
    median = sorted(rounds, key=lambda one: one.ratio)[len(rounds) // 2]
    report.extend(
        f"{one.floor:7.2f} ({one.floor_cpu:4.2f}) {one.full:6.2f} ({one.full_cpu:4.2f})"
        f"   {one.ratio:5.2f}x {one.incremental:23.3f}   {one.share:6.1%}"
        for one in [median, *rounds]
    )
    report.append(f"peak RSS: {peak_mb:.0f} MB (<= 200 MB)")
    print("\n".join(report))  # noqa: T201 - a benchmark prints its figures
    shares = sorted(one.share for one in rounds)
    met = median.ratio <= 1.5 and shares[len(shares) // 2] <= 0.1 and peak_mb <= 200
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
