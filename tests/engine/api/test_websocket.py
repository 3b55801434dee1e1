"""The WebSocket API: authentication, commands, events, and dropping clients that do not read."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
import time
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from tests.support.engine import EngineProcess


async def _authenticated(
    session: aiohttp.ClientSession, engine: EngineProcess
) -> aiohttp.ClientWebSocketResponse:
    socket_ = await session.ws_connect(f"{engine.url}/api/v1/ws")
    await socket_.send_json({"type": "auth", "token": engine.token})
    assert (await socket_.receive_json())["type"] == "auth_ok"
    return socket_


async def test_wrong_token_is_refused(engine: EngineProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{engine.url}/api/v1/ws") as ws,
    ):
        await ws.send_json({"type": "auth", "token": "not-the-token"})
        assert (await ws.receive_json())["type"] == "auth_invalid"
        message = await ws.receive()
        assert message.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
        assert ws.close_code == 4001


async def test_command_before_auth_is_refused(engine: EngineProcess) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{engine.url}/api/v1/ws") as ws,
    ):
        await ws.send_json({"id": 1, "command": "system/info"})
        assert (await ws.receive_json())["type"] == "auth_invalid"


async def test_commands_answer_with_their_id(engine: EngineProcess) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await _authenticated(session, engine)
        await ws.send_json({"id": 7, "command": "system/info"})
        await ws.send_json({"id": 8, "command": "no/such"})
        await ws.send_json({"id": 9, "command": "system/info", "args": {"surprise": 1}})
        await ws.send_str("{garbage")
        replies = {}
        for _ in range(4):
            reply = await ws.receive_json()
            replies[reply["id"]] = reply
        assert replies[7]["result"]["server_id"]
        assert replies[8]["error"]["code"] == "not_found"
        assert replies[9]["error"]["code"] == "invalid_input"
        assert "surprise" in replies[9]["error"]["message"]
        assert replies[None]["error"]["code"] == "invalid_input"
        await ws.close()


async def test_subscribe_streams_heartbeat_events(engine: EngineProcess) -> None:
    async with aiohttp.ClientSession() as session:
        ws = await _authenticated(session, engine)
        await ws.send_json({"id": 1, "command": "subscribe"})
        assert (await ws.receive_json())["result"] == {"subscribed": True}
        event = await asyncio.wait_for(ws.receive_json(), 5)
        assert event["type"] == "event"
        assert event["event"] == "system_heartbeat"
        assert event["data"]["disk_free_bytes"] > 0
        assert event["at"].endswith("+00:00")
        await ws.close()


def _frame(text: str) -> bytes:
    """A masked client text frame, as RFC 6455 wants it."""
    payload, mask = text.encode(), os.urandom(4)
    size = len(payload)
    header = (
        bytes([0x81, 0x80 | size]) if size < 126 else bytes([0x81, 0xFE]) + size.to_bytes(2, "big")
    )
    return header + mask + bytes(byte ^ mask[index % 4] for index, byte in enumerate(payload))


def _stalled_client(engine: EngineProcess, requests: int) -> socket.socket:
    """Authenticate over a raw socket with a tiny receive buffer, send requests, and never read."""
    raw = socket.socket()
    raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
    raw.connect(("127.0.0.1", engine.port))
    key = base64.b64encode(os.urandom(16)).decode()
    raw.sendall(
        "GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += raw.recv(1)
    assert b" 101 " in answer
    raw.sendall(_frame(json.dumps({"type": "auth", "token": engine.token})))
    raw.sendall(_frame(json.dumps({"id": 0, "command": "subscribe"})))
    command = _frame(json.dumps({"id": 1, "command": "system/info"}))
    raw.sendall(command * requests)
    return raw


async def test_a_client_that_stops_reading_is_dropped_and_others_go_on(
    engine: EngineProcess,
) -> None:
    stalled = await asyncio.to_thread(_stalled_client, engine, 40_000)
    async with aiohttp.ClientSession() as session:
        healthy = await _authenticated(session, engine)
        started = time.monotonic()
        await healthy.send_json({"id": 1, "command": "system/info"})
        reply = await asyncio.wait_for(healthy.receive_json(), 10)
        assert reply["id"] == 1
        assert time.monotonic() - started < 5
        assert await asyncio.to_thread(engine.wait_for_log, "dropping WebSocket client", 30)
        assert engine.request("GET", "/api/v1/info")[0] == 200
        await healthy.close()
    stalled.close()
