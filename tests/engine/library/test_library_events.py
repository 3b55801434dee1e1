"""Library events over the engine's WebSocket, end to end."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import aiohttp

from tests.engine.library.test_library_api import FAST
from tests.fakes.arr import API_KEY, FakeArr, Library

if TYPE_CHECKING:
    from tests.support.engine import EngineProcess


class Client:
    """A subscribed WebSocket client that sorts what arrives into events and replies."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        self.socket = socket
        self.events: list[dict[str, Any]] = []
        self.next_id = 0

    async def call(self, command: str, **args: object) -> Any:  # noqa: ANN401
        self.next_id += 1
        await self.socket.send_json({"id": self.next_id, "command": command, "args": args})
        while True:
            message = await self.socket.receive_json(timeout=30)
            if message.get("type") == "event":
                self.events.append(message)
            elif message.get("id") == self.next_id:
                return message.get("result", message)

    async def event(self, name: str) -> dict[str, Any]:
        for seen in self.events:
            if seen["event"] == name:
                self.events.remove(seen)
                return dict(seen["data"])
        while True:
            message = await self.socket.receive_json(timeout=30)
            if message.get("event") == name:
                return dict(message["data"])
            self.events.append(message)


async def test_sync_sweep_and_acquired_events(engine: EngineProcess) -> None:
    library = Library.generate(11, movies=6, have=0.5)
    for movie in library.movies.values():
        movie["isAvailable"] = True
    gaps = sorted(m["id"] for m in library.movies.values() if not m["hasFile"])
    with FakeArr("radarr", library) as radarr:
        async with aiohttp.ClientSession() as session:
            socket = await session.ws_connect(f"{engine.url}/api/v1/ws")
            await socket.send_json({"type": "auth", "token": engine.token})
            assert (await socket.receive_json())["type"] == "auth_ok"
            client = Client(socket)
            assert await client.call("subscribe") == {"subscribed": True}
            created = await client.call(
                "connectors/create", kind="radarr", name="Movies", url=radarr.url,
                api_key=API_KEY, settings=FAST,
            )  # fmt: skip
            assert (await client.event("connector_created"))["id"] == created["id"]
            health = await client.event("connector_health_changed")
            assert (health["previous"], health["health"]) == ("unknown", "healthy")
            # each library event carries the connector's counts, and what happened beside them
            synced = await client.event("sync_completed")
            assert (synced["sync"]["mode"], synced["sync"]["inserted"]) == ("full", 6)
            assert (synced["id"], synced["items"], synced["missing"], synced["upcoming"]) == (
                created["id"], 6, len(gaps), 0,
            )  # fmt: skip

            await client.call("connectors/sweep", connector_id=created["id"])
            started = await client.event("sweep_started")
            assert (started["connector_id"], started["queued"]) == (created["id"], len(gaps))
            dispatched = await client.event("search_dispatched")
            search = dispatched["search"]
            assert (search["command"], sorted(search["body"]["movieIds"])) == (
                "MoviesSearch", gaps,
            )  # fmt: skip
            assert dispatched["searches_today"] == len(gaps)
            done = await client.event("sweep_completed")
            sweep = done["sweep"]
            assert (sweep["dispatched"], sweep["completed"], sweep["cost"]) == (1, 1, len(gaps))
            revisions = [e["revision"] for e in (synced, started, dispatched, done)]
            assert revisions == sorted(set(revisions))

            library.movies[gaps[0]]["hasFile"] = True
            await client.call("connectors/sync", connector_id=created["id"])
            acquired = await client.event("item_acquired")
            assert acquired["item"] == {"id": acquired["item"]["id"], "title": f"Movie {gaps[0]}"}
            assert acquired["missing"] == len(gaps) - 1
            summary = await client.call("library/summary")
            assert summary["connectors"][0]["revision"] > acquired["revision"]  # sync_completed
            await asyncio.wait_for(socket.close(), 5)
