"""The WebSocket API: authenticate, run commands, stream events; slow clients are dropped."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from haul_engine import __version__
from haul_engine.api.auth import token_matches
from haul_engine.api.jsonio import dumps, loads
from haul_engine.errors import EngineError

if TYPE_CHECKING:
    from haul_engine.engine import Engine
    from haul_engine.events import EventStream

_LOGGER = logging.getLogger(__name__)
AUTH_TIMEOUT = 10.0
SEND_TIMEOUT = 10.0
OUTBOX_SIZE = 1024
MAX_MESSAGE = 16 * 1024 * 1024
CLOSE_AUTH_FAILED = 4001
CLOSE_TOO_SLOW = 4008


class WebSocketHandler:
    """Accepts WebSocket clients and keeps track of them."""

    def __init__(self, engine: Engine) -> None:
        """No clients yet."""
        self.engine = engine
        self.clients: set[WebSocketClient] = set()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """Serve one client until it leaves."""
        socket = web.WebSocketResponse(heartbeat=30, max_msg_size=MAX_MESSAGE)
        await socket.prepare(request)
        client = WebSocketClient(self.engine, socket)
        self.clients.add(client)
        try:
            await client.serve()
        finally:
            self.clients.discard(client)
        return socket

    async def close_all(self) -> None:
        """Disconnect every client (engine shutdown)."""
        await asyncio.gather(*(client.socket.close() for client in list(self.clients)))


class WebSocketClient:
    """One connected client with its outbox, its subscription and its running commands."""

    def __init__(self, engine: Engine, socket: web.WebSocketResponse) -> None:
        """Bind to the socket."""
        self.engine = engine
        self.socket = socket
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue(OUTBOX_SIZE)
        self._events: EventStream | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def serve(self) -> None:
        """Authenticate, then read commands while a writer drains the outbox."""
        if not await self._authenticate():
            return
        writer = asyncio.create_task(self._write(), name="websocket writer")
        try:
            async for message in self.socket:
                if message.type != WSMsgType.TEXT:
                    break
                self._dispatch(message.data)
        finally:
            writer.cancel()
            for task in self._tasks:
                task.cancel()
            if self._events is not None:
                self._events.close()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _authenticate(self) -> bool:
        try:
            message = await self.socket.receive(AUTH_TIMEOUT)
            payload = loads(message.data) if message.type == WSMsgType.TEXT else None
        except (TimeoutError, json.JSONDecodeError):
            payload = None
        token = payload.get("token") if isinstance(payload, dict) else None
        if not (
            isinstance(payload, dict)
            and payload.get("type") == "auth"
            and isinstance(token, str)
            and token_matches(token, self.engine.token)
        ):
            await self.socket.send_str(dumps({"type": "auth_invalid", "message": "invalid token"}))
            await self.socket.close(code=CLOSE_AUTH_FAILED, message=b"authentication failed")
            return False
        await self.socket.send_str(
            dumps({"type": "auth_ok", "version": __version__, "server_id": self.engine.server_id})
        )
        return True

    def _dispatch(self, text: str) -> None:
        """Start one command; replies go through the outbox in completion order."""
        try:
            message = loads(text)
        except json.JSONDecodeError:
            self.send({"id": None, "error": {"code": "invalid_input", "message": "not JSON"}})
            return
        if not isinstance(message, dict) or not isinstance(message.get("command"), str):
            self.send(
                {
                    "id": message.get("id") if isinstance(message, dict) else None,
                    "error": {"code": "invalid_input", "message": "expected {id, command, args}"},
                }
            )
            return
        task = asyncio.create_task(self._run(message), name=f"ws {message['command']}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, message: dict[str, Any]) -> None:
        request_id = message.get("id")
        args = message.get("args") or {}
        try:
            if message["command"] == "subscribe":
                result: Any = self._subscribe(args)
            elif isinstance(args, dict):
                result = await self.engine.commands.call(message["command"], args)
            else:
                self.send(
                    {
                        "id": request_id,
                        "error": {"code": "invalid_input", "message": "args must be an object"},
                    }
                )
                return
        except EngineError as err:
            self.send({"id": request_id, **err.shape()})
        except Exception:
            _LOGGER.exception("command %s failed", message["command"])
            self.send(
                {"id": request_id, "error": {"code": "internal_error", "message": "see engine log"}}
            )
        else:
            self.send({"id": request_id, "result": result})

    def _subscribe(self, _args: object) -> dict[str, bool]:
        """Start forwarding every event to this client."""
        if self._events is None:
            self._events = self.engine.events.stream()
            task = asyncio.create_task(self._forward(self._events), name="ws events")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return {"subscribed": True}

    async def _forward(self, events: EventStream) -> None:
        while (event := await events.next()) is not None:
            self.send(event.as_message())
        if events.overflowed:
            await self._drop("too slow to read events")

    def send(self, message: dict[str, Any]) -> None:
        """Queue a message; a client that lets its outbox fill up is dropped."""
        try:
            self._outbox.put_nowait(message)
        except asyncio.QueueFull:
            task = asyncio.create_task(self._drop("too slow to read replies"))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _write(self) -> None:
        while True:
            message = await self._outbox.get()
            try:
                await asyncio.wait_for(self.socket.send_str(dumps(message)), SEND_TIMEOUT)
            except (TimeoutError, ConnectionError):
                await self._drop("not reading")
                return

    async def _drop(self, reason: str) -> None:
        _LOGGER.warning("dropping WebSocket client: %s", reason)
        await self.socket.close(code=CLOSE_TOO_SLOW, message=reason.encode())
