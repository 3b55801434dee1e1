"""The engine's one port: TLS and plain HTTP told apart per connection."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING

import aiohttp

if TYPE_CHECKING:
    from tests.support.engine import EngineProcess


async def test_silent_connections_do_not_hold_up_others(engine: EngineProcess) -> None:
    silent = [socket.create_connection(("127.0.0.1", engine.port)) for _ in range(20)]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{engine.url}/health") as answer,
        ):
            assert answer.status == 200
    finally:
        for connection in silent:
            connection.close()
