"""A NAT-PMP client (RFC 6886): the gateway's public address and port mappings through it."""

from __future__ import annotations

import asyncio
import ipaddress
import struct
from dataclasses import dataclass
from typing import Literal, NamedTuple

PORT = 5351
VERSION = 0
OPCODES = {"udp": 1, "tcp": 2}
FIRST_WAIT_SECONDS = 0.25  # RFC 6886 3.1: 250 ms, doubled at each retry
RESULTS = {
    1: "unsupported version",
    2: "not authorized or refused",
    3: "network failure",
    4: "out of resources",
    5: "unsupported opcode",
}


class NatPmpError(Exception):
    """The gateway did not answer, answered garbage, or refused."""


@dataclass(frozen=True)
class Mapping:
    """A port mapping the gateway granted."""

    protocol: Literal["udp", "tcp"]
    internal_port: int
    external_port: int
    lifetime: int


class Gateway(NamedTuple):
    """Where NAT-PMP requests go, and how often one is sent before giving up."""

    host: str
    port: int = PORT
    tries: int = 4  # 250 ms + 500 ms + 1 s + 2 s (RFC 6886 allows up to 9 tries, 64 s)


class _Exchange(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.answers: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:  # noqa: ARG002 - connected: only the gateway
        self.answers.put_nowait(data)


async def _ask(gateway: Gateway, request: bytes, opcode: int) -> bytes:
    """Send the request, resending after 250 ms, 500 ms, ...; return the answer to it."""
    loop = asyncio.get_running_loop()
    transport, exchange = await loop.create_datagram_endpoint(
        _Exchange, remote_addr=(gateway.host, gateway.port)
    )
    try:
        wait = FIRST_WAIT_SECONDS
        for _ in range(gateway.tries):
            transport.sendto(request)
            try:
                async with asyncio.timeout(wait):
                    while True:
                        answer = await exchange.answers.get()
                        if len(answer) >= 4 and answer[0] == VERSION and answer[1] == 128 + opcode:  # noqa: PLR2004
                            return _checked(answer)
            except TimeoutError:
                wait *= 2
    finally:
        transport.close()
    msg = f"no NAT-PMP answer from {gateway.host}:{gateway.port}"
    raise NatPmpError(msg)


def _checked(answer: bytes) -> bytes:
    (result,) = struct.unpack_from("!H", answer, 2)
    if result:
        msg = f"the NAT-PMP gateway refused: {RESULTS.get(result, f'result {result}')}"
        raise NatPmpError(msg)
    return answer


async def external_address(gateway: Gateway) -> str:
    """Return the gateway's public IPv4 address (opcode 0)."""
    answer = await _ask(gateway, struct.pack("!BB", VERSION, 0), 0)
    if len(answer) < 12:  # noqa: PLR2004 - RFC 6886 3.2
        msg = "short NAT-PMP answer"
        raise NatPmpError(msg)
    return str(ipaddress.IPv4Address(answer[8:12]))


async def map_port(
    gateway: Gateway,
    protocol: Literal["udp", "tcp"],
    internal_port: int,
    external_port: int,
    lifetime: int,
) -> Mapping:
    """Ask for external_port to reach internal_port for lifetime seconds (0: remove it)."""
    opcode = OPCODES[protocol]
    request = struct.pack("!BBHHHI", VERSION, opcode, 0, internal_port, external_port, lifetime)
    answer = await _ask(gateway, request, opcode)
    if len(answer) < 16:  # noqa: PLR2004 - RFC 6886 3.3
        msg = "short NAT-PMP answer"
        raise NatPmpError(msg)
    internal, external, granted = struct.unpack_from("!HHI", answer, 8)
    return Mapping(protocol, internal, external, granted)
