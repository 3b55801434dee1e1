"""A reverse proxy in front of the engine that counts the REST requests a client makes.

Home Assistant is given the proxy's URL: its REST calls and its WebSocket pass through unchanged,
each REST request is noted (when, method, path and query), and `drop_websockets()` cuts the
relayed sockets as a network failure would, so that the client reconnects. `rewrite`, when set,
changes what the engine answers (a REST answer's JSON, each WebSocket message), to show the
client an engine as it would be otherwise configured (running a VPN, lacking a feature).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import TYPE_CHECKING, Any

import aiohttp
from aiohttp import web

from tests.fakes.torznab import ThreadedServer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

WEBSOCKET = "/api/v1/ws"
PASSED_HEADERS = ("Authorization", "Content-Type")


class CountingProxy(ThreadedServer):
    """Relays HTTP and the engine's WebSocket to target; notes each REST request."""

    def __init__(self, target: str) -> None:
        """Prepare to relay to the engine at target; start() listens."""
        super().__init__()
        self.target = target.rstrip("/")
        self.rest: list[tuple[float, str, str]] = []  # (time.monotonic(), method, path?query)
        self._sockets: set[web.WebSocketResponse] = set()
        self._session: aiohttp.ClientSession | None = None
        # (path: the REST path or WEBSOCKET, JSON the engine sent) -> JSON the client gets
        self.rewrite: Callable[[str, Any], Any] | None = None

    def app(self) -> web.Application:
        """Every path goes to the engine."""
        app = web.Application(client_max_size=16 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._relay)
        app.on_cleanup.append(self._close_session)
        return app

    def requests_since(self, moment: float) -> list[str]:
        """The REST requests made after a time.monotonic() moment, as 'METHOD /path?query'."""
        return [f"{method} {path}" for at, method, path in list(self.rest) if at > moment]

    def drop_websockets(self) -> None:
        """Close the relayed WebSockets (the engine stays up): its clients must reconnect."""
        asyncio.run_coroutine_threadsafe(self._drop(list(self._sockets)), self._loop).result(10)

    def _rewrite_message(self, text: str) -> str:
        if self.rewrite is None:
            return text
        return json.dumps(self.rewrite(WEBSOCKET, json.loads(text)))

    async def _drop(self, sockets: Iterable[web.WebSocketResponse]) -> None:
        for socket in sockets:
            await socket.close()

    async def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        return self._session

    async def _close_session(self, _app: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    async def _relay(self, request: web.Request) -> web.StreamResponse:
        if request.path == WEBSOCKET:
            return await self._relay_websocket(request)
        self.rest.append((time.monotonic(), request.method, request.path_qs))
        session = await self._client()
        headers = {
            name: request.headers[name] for name in PASSED_HEADERS if name in request.headers
        }
        async with session.request(
            request.method,
            self.target + request.path_qs,
            headers=headers,
            data=await request.read(),
        ) as answer:
            body = await answer.read()
            if self.rewrite is not None and answer.content_type == "application/json":
                body = json.dumps(self.rewrite(request.path, json.loads(body))).encode()
            return web.Response(
                body=body, status=answer.status, content_type=answer.content_type or None
            )

    async def _relay_websocket(self, request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        session = await self._client()
        self._sockets.add(socket)
        try:
            async with session.ws_connect(self.target + WEBSOCKET) as upstream:
                relays = [
                    asyncio.create_task(_pump(upstream, socket, self._rewrite_message)),
                    asyncio.create_task(_pump(socket, upstream)),
                ]
                await asyncio.wait(relays, return_when=asyncio.FIRST_COMPLETED)
                for relay in relays:
                    relay.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await relay
        finally:
            self._sockets.discard(socket)
            await socket.close()
        return socket


async def _pump(
    source: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    sink: web.WebSocketResponse | aiohttp.ClientWebSocketResponse,
    change: Callable[[str], str] = str,
) -> None:
    """Copy text messages (changed on the way) until the source closes."""
    async for message in source:
        if message.type != aiohttp.WSMsgType.TEXT:
            return
        await sink.send_str(change(message.data))
