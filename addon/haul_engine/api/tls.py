"""One port for plain HTTP and TLS: each connection is told apart by its first byte."""

from __future__ import annotations

import asyncio
import logging
import socket
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    import ssl
    from collections.abc import Callable, Coroutine

_LOGGER = logging.getLogger(__name__)
TLS_HANDSHAKE = b"\x16"  # the record type every TLS connection opens with (its ClientHello)
FIRST_BYTE_TIMEOUT = 60.0  # what asyncio allows a TLS handshake
ACCEPT_PAUSE = 1.0  # after a failed accept (out of file descriptors): let connections close
BACKLOG = 128


class DualProtocolSite(web.BaseSite):
    """Listen on host:port and serve each connection with TLS or as plain HTTP.

    A connection whose first byte opens a TLS handshake is served with the context that
    `context()` gives at that moment; every other one (and every one while it gives None) as
    plain HTTP. Connections are handed to the runner's server, which also shuts them down.
    """

    def __init__(
        self,
        runner: web.BaseRunner,
        host: str,
        port: int,
        context: Callable[[], ssl.SSLContext | None],
    ) -> None:
        """Nothing listens until start."""
        super().__init__(runner, backlog=BACKLOG)
        self._host = host
        self._port = port
        self._context = context
        self._listeners: list[socket.socket] = []
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def name(self) -> str:
        """Where it listens."""
        return f"http(s)://{self._host}:{self._port}"

    async def start(self) -> None:
        """Bind and accept connections."""
        await super().start()
        server = self._runner.server
        if server is None:
            msg = "the runner is not set up"
            raise RuntimeError(msg)
        self._listeners = await _bind(self._host, self._port, self._backlog)
        for listener in self._listeners:
            self._spawn(self._accept(listener, server))

    async def stop(self) -> None:
        """Stop accepting; connections not yet handed over are closed."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        for listener in self._listeners:
            listener.close()
        await super().stop()

    def _spawn(self, work: Coroutine[None, None, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _accept(self, listener: socket.socket, server: web.Server) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, _address = await loop.sock_accept(listener)
            except OSError as err:
                _LOGGER.warning("accepting a connection failed: %s", err)
                await asyncio.sleep(ACCEPT_PAUSE)
                continue
            self._spawn(self._serve(connection, server))

    async def _serve(self, connection: socket.socket, server: web.Server) -> None:
        """Peek at the first byte (a slow client waits alone), then hand the connection over."""
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(FIRST_BYTE_TIMEOUT):
                await _readable(connection)
            first = connection.recv(1, socket.MSG_PEEK)
            context = self._context() if first == TLS_HANDSHAKE else None
            await loop.connect_accepted_socket(server, connection, ssl=context)
        except OSError as err:  # a silent client's timeout, a failed TLS handshake (SSLError)
            _LOGGER.debug("connection closed before it was served: %r", err)
            connection.close()
        except asyncio.CancelledError:
            connection.close()
            raise


async def _readable(connection: socket.socket) -> None:
    """Wait until the connection has data to read (or its peer closed it)."""
    loop = asyncio.get_running_loop()
    ready = loop.create_future()

    def wake() -> None:
        loop.remove_reader(connection)
        if not ready.done():  # cancelled meanwhile (shutdown)
            ready.set_result(None)

    loop.add_reader(connection, wake)
    try:
        await ready
    finally:
        loop.remove_reader(connection)


async def _bind(host: str, port: int, backlog: int) -> list[socket.socket]:
    """Return listening sockets on every address host names, bound as `create_server` binds."""
    loop = asyncio.get_running_loop()
    addresses = await loop.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )
    listeners: list[socket.socket] = []
    try:
        for family, kind, protocol, _name, address in dict.fromkeys(addresses):
            listener = socket.socket(family, kind, protocol)
            listeners.append(listener)
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                listener.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            try:
                listener.bind(address)
            except OSError as err:
                reason = str(err.strerror).lower()
                msg = f"error while attempting to bind on address {address!r}: {reason}"
                raise OSError(err.errno, msg) from None
            listener.listen(backlog)
            listener.setblocking(False)  # noqa: FBT003 - the socket API's own flag
    except BaseException:
        for listener in listeners:
            listener.close()
        raise
    return listeners
