"""The container's DNS forwarder: name lookups go through the tunnel, never around it.

A name only Home Assistant knows (an app's host name such as `a0d7b954-sonarr`, `.local`,
`.home.arpa`, `.hass.io`) is asked of the resolver the container had, so the *arr apps resolve even
while the tunnel is down; so is the tunnel's own endpoint's name, which `wg setconf` resolves before
the tunnel can carry anything. Every other query is sent to the WireGuard file's DNS servers from a
socket bound to the tunnel's interface (and routed by the kill switch's table); only when they
answer that the name does not exist (NXDOMAIN: `nas.lan`) is it asked of that resolver too. A
timeout or a missing tunnel is a failure (SERVFAIL): asking elsewhere would leak the name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from collections.abc import Sequence

_LOGGER = logging.getLogger(__name__)
HEADER = struct.Struct("!HHHHHH")  # id, flags, questions, answers, authority, additional
ANSWER_FLAG = 0x8000
RECURSION_FLAGS = 0x7900  # opcode and "recursion desired", echoed in a failure
RECURSION_AVAILABLE = 0x0080
NOERROR, SERVFAIL, NXDOMAIN = 0, 2, 3
MAX_LABEL = 63
MAX_NAME = 255
UPSTREAM_TIMEOUT = 2.0  # per server: a resolver (glibc, musl) waits 5 s before asking again
CLIENT_IDLE_SECONDS = 10.0  # a TCP client's connection is closed after this long without a query
FREE_PORT_TRIES = 20
MAX_PENDING = 256  # UDP queries answered at once, and TCP connections; more are dropped
HOME_ASSISTANT_SUFFIXES = (".local", ".home.arpa", ".hass.io")

Server = tuple[str, int]


class Message(NamedTuple):
    """What the forwarder reads of a DNS message: its header and its one question."""

    ident: int
    flags: int
    answers: int
    name: str  # lower case, no final dot
    kind: bytes  # the question's type and class, as sent
    question_end: int

    @property
    def rcode(self) -> int:
        """The response code (NOERROR, NXDOMAIN, ...)."""
        return self.flags & 0x000F

    def answers_to(self, query: Message) -> bool:
        """Whether this is the answer to query (its id and its question)."""
        return bool(self.flags & ANSWER_FLAG) and (self.ident, self.name, self.kind) == (
            query.ident,
            query.name,
            query.kind,
        )


def read_message(packet: bytes) -> Message | None:
    """Read a message with exactly one question; None for anything else (it is dropped)."""
    if len(packet) < HEADER.size:
        return None
    ident, flags, questions, answers, _, _ = HEADER.unpack_from(packet)
    if questions != 1:
        return None
    labels: list[bytes] = []
    offset = HEADER.size
    while offset < len(packet) and (length := packet[offset]) != 0:
        # a pointer or an extended label type in a question: no resolver sends one
        if length > MAX_LABEL or offset + 1 + length > len(packet):
            return None
        labels.append(packet[offset + 1 : offset + 1 + length])
        offset += 1 + length
    end = offset + 5  # the final zero, type and class
    if end > len(packet) or offset - HEADER.size > MAX_NAME:
        return None
    name = b".".join(labels).decode("ascii", errors="replace").lower()
    return Message(ident, flags, answers, name, packet[end - 4 : end], end)


def failure(packet: bytes, query: Message) -> bytes:
    """SERVFAIL for query: the client's resolver reports a temporary failure at once."""
    flags = ANSWER_FLAG | (query.flags & RECURSION_FLAGS) | RECURSION_AVAILABLE | SERVFAIL
    return HEADER.pack(query.ident, flags, 1, 0, 0, 0) + packet[HEADER.size : query.question_end]


def home_assistant_name(name: str) -> bool:
    """Whether only Home Assistant's resolver can know the name (an app's host name, .local)."""
    return "." not in name or f".{name}".endswith(HOME_ASSISTANT_SUFFIXES)


def searched(name: str, search: Sequence[str]) -> bool:
    """Whether the name is a dotted one with a search domain appended by the client's resolver.

    `tracker.example.org.local.hass.io` is the resolver trying again after the name itself failed
    (the tunnel was down): it is a tracker's name, never Home Assistant's to answer.
    """
    return any(
        name.endswith(f".{domain}") and "." in name.removesuffix(f".{domain}") for domain in search
    )


@dataclass
class Route:
    """Where queries go: the servers, and the interface their socket is bound to (if any)."""

    servers: list[Server]
    interface: str | None = None


class DnsForwarder:
    """Answers lookups on host:port (UDP, TCP): app names via Home Assistant, the rest via wg0."""

    def __init__(  # noqa: PLR0913 - the two routes, where it listens, which names are whose
        self,
        tunnel: Route,
        home_assistant: Route,
        host: str,
        port: int,
        *,
        search: Sequence[str] = (),
        outside: Sequence[str] = (),
    ) -> None:
        """Prepare (start listens); search: the container's search domains; outside: see below."""
        self.tunnel = tunnel
        self.home_assistant = home_assistant
        self.search = [domain.lower().strip(".") for domain in search]
        # names the tunnel needs before it is up (its endpoints'): Home Assistant's resolver's
        self.outside = {name.lower().rstrip(".") for name in outside}
        self.host = host
        self.port = port
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._pending: set[asyncio.Task[None]] = set()
        self._clients: set[asyncio.Task[object]] = set()  # TCP connections being served

    async def start(self) -> None:
        """Listen on UDP and TCP; OSError when the port is taken or not allowed.

        Port 0: a port free for both (the one UDP gets may be taken for TCP: another is tried).
        """
        loop = asyncio.get_running_loop()
        for attempt in range(1 if self.port else FREE_PORT_TRIES):
            self._udp, _ = await loop.create_datagram_endpoint(
                lambda: _UdpClients(self), local_addr=(self.host, self.port)
            )
            port = self._udp.get_extra_info("sockname")[1]
            try:
                self._tcp = await asyncio.start_server(self._serve_tcp, self.host, port)
            except OSError:
                self._udp.close()
                if self.port or attempt == FREE_PORT_TRIES - 1:
                    raise
                continue
            self.port = port
            return

    async def close(self) -> None:
        """Stop listening and drop the queries under way."""
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            self._tcp.close_clients()
            await self._tcp.wait_closed()
        under_way = [*self._pending, *self._clients]  # the server does not end its handlers
        for task in under_way:
            task.cancel()
        await asyncio.gather(*under_way, return_exceptions=True)

    def received(self, packet: bytes, client: tuple[str | int, ...]) -> None:
        """Answer a UDP query on a task of its own (dropped when too many are under way)."""
        if len(self._pending) >= MAX_PENDING:
            return
        task = asyncio.create_task(self._answer_udp(packet, client))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _answer_udp(self, packet: bytes, client: tuple[str | int, ...]) -> None:
        answer = await self.resolve(packet, tcp=False)
        if answer is not None and self._udp is not None and not self._udp.is_closing():
            self._udp.sendto(answer, client)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer length-prefixed queries in turn until the client goes or sends garbage."""
        if len(self._clients) >= MAX_PENDING:  # a flood: hung up on (the client tries again)
            writer.close()
            return
        if (task := asyncio.current_task()) is not None:
            self._clients.add(task)
            task.add_done_callback(self._clients.discard)
        with contextlib.suppress(asyncio.IncompleteReadError, TimeoutError, ConnectionError):
            while True:
                async with asyncio.timeout(CLIENT_IDLE_SECONDS):
                    (length,) = struct.unpack("!H", await reader.readexactly(2))
                    packet = await reader.readexactly(length)
                answer = await self.resolve(packet, tcp=True)
                if answer is None:
                    break
                writer.write(struct.pack("!H", len(answer)) + answer)
                await writer.drain()
        writer.close()

    async def resolve(self, packet: bytes, *, tcp: bool) -> bytes | None:
        """Answer a query (None: not a query, it is dropped)."""
        query = read_message(packet)
        if query is None or query.flags & ANSWER_FLAG:
            return None
        local_only = query.name in self.outside or (
            home_assistant_name(query.name) and not searched(query.name, self.search)
        )
        if local_only and self.home_assistant.servers:
            local = await _ask(self.home_assistant, packet, query, tcp=tcp)
            return local[0] if local is not None else failure(packet, query)
        tunnel = await _ask(self.tunnel, packet, query, tcp=tcp)
        if tunnel is None:
            _LOGGER.debug("DNS %s: no answer through the tunnel", query.name)
            return failure(packet, query)
        absent = tunnel[1].rcode == NXDOMAIN and not searched(query.name, self.search)
        if absent and self.home_assistant.servers:
            local = await _ask(self.home_assistant, packet, query, tcp=tcp)
            if local is not None:
                _LOGGER.debug("DNS %s: answered by Home Assistant's resolver", query.name)
                return local[0]
        return tunnel[0]


class _UdpClients(asyncio.DatagramProtocol):
    def __init__(self, forwarder: DnsForwarder) -> None:
        self.forwarder = forwarder

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.forwarder.received(data, addr)


async def _ask(
    route: Route, packet: bytes, query: Message, *, tcp: bool
) -> tuple[bytes, Message] | None:
    """Ask the route's servers in turn; the first valid answer (None: none answered)."""
    exchange = _exchange_tcp if tcp else _exchange_udp
    for server in route.servers:
        try:
            async with asyncio.timeout(UPSTREAM_TIMEOUT):
                return await exchange(
                    _socket(server, route.interface, tcp=tcp), server, packet, query
                )
        except (OSError, TimeoutError, asyncio.IncompleteReadError) as err:
            _LOGGER.debug("DNS %s: %s:%d did not answer: %r", query.name, *server, err)
    return None


def _socket(server: Server, interface: str | None, *, tcp: bool) -> socket.socket:
    """Open a socket bound to interface (OSError when it is missing: no fallback)."""
    family = socket.AF_INET6 if ":" in server[0] else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM if tcp else socket.SOCK_DGRAM)
    try:
        if interface is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        sock.setblocking(False)  # noqa: FBT003 - the socket API
    except OSError:
        sock.close()
        raise
    return sock


async def _exchange_udp(
    sock: socket.socket, server: Server, packet: bytes, query: Message
) -> tuple[bytes, Message]:
    """Send the query; wait for its answer (garbage and others' answers are skipped)."""
    loop = asyncio.get_running_loop()
    with sock:
        await loop.sock_connect(sock, server)
        await loop.sock_sendall(sock, packet)
        while True:
            data = await loop.sock_recv(sock, 65535)
            if (answer := read_message(data)) is not None and answer.answers_to(query):
                return data, answer


async def _exchange_tcp(
    sock: socket.socket, server: Server, packet: bytes, query: Message
) -> tuple[bytes, Message]:
    """Send the query with its length; read the answer (OSError when it is not the answer)."""
    try:
        await asyncio.get_running_loop().sock_connect(sock, server)
        reader, writer = await asyncio.open_connection(sock=sock)
    except BaseException:  # a timeout too: the socket is closed, then the error goes on
        sock.close()
        raise
    try:
        writer.write(struct.pack("!H", len(packet)) + packet)
        (length,) = struct.unpack("!H", await reader.readexactly(2))
        data = await reader.readexactly(length)
    finally:
        writer.close()
    answer = read_message(data)
    if answer is None or not answer.answers_to(query):
        msg = "not an answer to the query"
        raise OSError(msg)
    return data, answer
