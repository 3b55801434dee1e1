"""Fixtures of the request gate tests: a fake Overseerr and helpers over the engine API."""

from __future__ import annotations

import asyncio
import threading
import time
from typing import TYPE_CHECKING, Any, Self

import aiohttp
import pytest

from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr_releases import Offer
from tests.fakes.overseerr import API_KEY, FakeOverseerr
from tests.support.peers import engine_env

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.fakes.arr_releases import ReleaseArr
    from tests.support.engine import EngineProcess

WEBHOOK_SECRET = "hook-secret-7d1e0c9b3a5f62"  # noqa: S105 - a test value
FAST = {
    "HAUL_REQUEST_POLL_INTERVAL": "0.2",
    "HAUL_REQUEST_SEARCH_RETRY_MINUTES": "0.005",
}
# what Radarr's metadata source says of The Matrix, and a release of it (nobody seeds it)
MATRIX_LOOKUP = {
    "title": "The Matrix", "year": 1999, "tmdbId": 603, "imdbId": "tt0133093",
    "titleSlug": "the-matrix-603", "images": [], "runtime": 136, "monitored": False,
    "hasFile": False, "isAvailable": True, "minimumAvailability": "released",
}  # fmt: skip
DUNES = [
    {"title": "Dune", "year": 2021, "tmdbId": 438631, "imdbId": "tt1160419",
     "overview": "Paul Atreides, a brilliant and gifted young man...",
     "remotePoster": "https://image.tmdb.org/t/p/original/d5NXSklXo0qyIYkgV94XAgMIckC.jpg",
     "images": [], "monitored": False, "hasFile": False, "isAvailable": True},
    {"title": "Dune", "year": 1984, "tmdbId": 841, "imdbId": "tt0087182",
     "overview": "In the year 10,191, the world is at war for control of Arrakis.",
     "images": [{"coverType": "poster",
                 "remoteUrl": "https://image.tmdb.org/t/p/original/5kkvJOqDu8Dw6eD6uyBpXjXL5Ik.jpg"}],
     "monitored": False, "hasFile": False, "isAvailable": True},
    {"title": "Dune: Part Two", "year": 2024, "tmdbId": 693134, "imdbId": "tt15239678",
     "overview": "Follow the mythic journey of Paul Atreides...", "images": [],
     "monitored": False, "hasFile": False, "isAvailable": True},
]  # fmt: skip
OFFER = Offer(
    title="The.Matrix.1999.1080p.BluRay.x264-GRP", quality="Bluray-1080p", size=8 * 10**9,
    magnet="magnet:?xt=urn:btih:" + "ab" * 20, info_hash="ab" * 20,
)  # fmt: skip


@pytest.fixture
def engine_args(request: pytest.FixtureRequest) -> list[str]:
    """The engine's database: SQLite, or PostgreSQL for a test parametrized with "postgresql"."""
    if getattr(request, "param", "sqlite") == "postgresql":
        return ["--database-url", request.getfixturevalue("postgres_database")]
    return []


def add_overseerr(engine: EngineProcess, overseerr: FakeOverseerr, **settings: Any) -> str:  # noqa: ANN401
    """Create the overseerr connector with the test webhook secret."""
    return engine.add_connector(
        "overseerr", overseerr.url, API_KEY, webhook_secret=WEBHOOK_SECRET, **settings
    )


def start_with_arr(
    engine_factory: Callable[..., EngineProcess], arr: ReleaseArr, **env: str
) -> EngineProcess:
    """Start an engine with the arr as a connector and the engine as the arr's download client."""
    settings = engine_env(**env)
    engine = engine_factory(env=settings).start()
    arr.use_client(engine.url, "admin", settings["HAUL_QBITTORRENT_PASSWORD"])
    engine.add_connector(arr.kind, arr.url, ARR_KEY)
    return engine


def wait_for_request(
    engine: EngineProcess, request_id: int, state: str, timeout: float = 30.0
) -> dict[str, Any]:
    """Poll GET /requests/{id} until it reaches state; fail fast on an unexpected final state."""
    deadline = time.monotonic() + timeout
    answer: Any = None
    while time.monotonic() < deadline:
        status, answer = engine.request("GET", f"/api/v1/requests/{request_id}")
        if status == 200 and answer["state"] == state:
            return dict(answer)
        if status == 200 and answer["state"] in {"failed", "declined", "cancelled"}:
            break
        time.sleep(0.1)
    message = f"request {request_id} did not become {state}: {answer}\n{engine.log[-3000:]}"
    raise AssertionError(message)


def only_request(engine: EngineProcess, timeout: float = 10.0) -> dict[str, Any]:
    """Wait until exactly one request exists and return it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, answer = engine.request("GET", "/api/v1/requests")
        assert status == 200
        if answer:
            assert len(answer) == 1, answer
            return dict(answer[0])
        time.sleep(0.05)
    raise AssertionError(engine.log[-3000:])


class EventRecorder:
    """A WebSocket client on its own thread that keeps every event the engine publishes."""

    def __init__(self, engine: EngineProcess) -> None:
        """Prepare; start() connects and subscribes."""
        self.engine = engine
        self.events: list[dict[str, Any]] = []
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def start(self) -> Self:
        """Connect, authenticate and subscribe before returning."""
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._listen(), self._loop)
        assert self._ready.wait(10), "the WebSocket subscription did not start"
        return self

    def named(self, name: str) -> list[dict[str, Any]]:
        """The data of every event of that name so far."""
        return [event["data"] for event in list(self.events) if event["event"] == name]

    async def _listen(self) -> None:
        url = f"{self.engine.url}/api/v1/ws"
        async with aiohttp.ClientSession() as session, session.ws_connect(url) as socket:
            await socket.send_json({"type": "auth", "token": self.engine.token})
            await socket.receive_json()
            await socket.send_json({"id": 1, "command": "subscribe"})
            async for message in socket:
                data = message.json()
                if data.get("id") == 1:
                    self._ready.set()
                elif data.get("type") == "event":
                    self.events.append(data)

    def stop(self) -> None:
        """Disconnect and end the thread."""
        asyncio.run_coroutine_threadsafe(self._cancel(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @staticmethod
    async def _cancel() -> None:
        current = asyncio.current_task()
        listening = [task for task in asyncio.all_tasks() if task is not current]
        for task in listening:
            task.cancel()
        await asyncio.gather(*listening, return_exceptions=True)
