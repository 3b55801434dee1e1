"""The keeper's judgement of a tunnel that is up but whose server does not answer.

WireGuard itself says nothing: the interface stays up. When the public address cannot be fetched
through the tunnel and the latest handshake is older than WireGuard's own limit (or there was
none), the server is silent: a problem (Home Assistant's VPN sensor and repair follow it) until a
fetch works again. A failure that sent nothing into the tunnel (the name did not resolve) proves
nothing.
"""

from __future__ import annotations

import asyncio
import socket
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import aiohttp
import aiohttp.abc

from haul_engine.vpn.controller import SILENT_AFTER_SECONDS, VpnController
from tests.fakes.vpn import WhatIsMyIp
from tests.support.programs import free_port

if TYPE_CHECKING:
    from haul_engine.engine import Engine
    from haul_engine.vpn.tunnel import Tunnel


class FakeTunnel:
    """A tunnel whose latest handshake the test sets."""

    interface = "wg0"
    userspace = None

    def __init__(self) -> None:
        self.age: float | None = None

    def alive(self) -> bool:
        return True

    async def handshake_age(self) -> float | None:
        return self.age


def controller(url: str, session: aiohttp.ClientSession) -> VpnController:
    settings = SimpleNamespace(
        vpn_public_ip_url=url, vpn_interface="wg0", vpn_check_interval=5.0,
        vpn_port_forwarding=False, wireguard_config="/config/wg0.conf",
    )  # fmt: skip
    engine = SimpleNamespace(settings=settings, http=SimpleNamespace(session=session))
    return VpnController(cast("Engine", engine))


async def test_a_silent_server_is_a_problem_until_it_answers_again() -> None:
    tunnel = FakeTunnel()
    async with aiohttp.ClientSession() as session:
        vpn = controller(f"http://127.0.0.1:{free_port()}/", session)  # nothing listens
        vpn.tunnel = cast("Tunnel", tunnel)
        await vpn._keep_up(vpn.tunnel)
        assert vpn.problems() == [
            "VPN tunnel: the server of wg0 does not answer (no WireGuard handshake)"
        ]
        status = await vpn.view()
        assert (status.up, status.public_ip) == (False, "")

        tunnel.age = SILENT_AFTER_SECONDS - 10  # it answered lately: the page alone failed
        vpn._public_ip_due = 0
        await vpn._keep_up(vpn.tunnel)
        assert vpn.problems() == []

        page = WhatIsMyIp("127.0.0.1").start()
        try:
            vpn.engine.settings.vpn_public_ip_url = page.url
            tunnel.age = None
            vpn.silent = True
            vpn._public_ip_due = 0
            await vpn._keep_up(vpn.tunnel)
        finally:
            await asyncio.to_thread(page.close)
        assert vpn.problems() == []
        status = await vpn.view()
        assert (status.up, status.public_ip, status.error) == (True, "127.0.0.1", "")


class NoNames(aiohttp.abc.AbstractResolver):
    """A resolver that knows no name (no query leaves the test)."""

    async def resolve(
        self,
        host: str,
        port: int = 0,  # noqa: ARG002 - the base's signature
        family: socket.AddressFamily = socket.AF_INET,  # noqa: ARG002 - the base's signature
    ) -> list[aiohttp.abc.ResolveResult]:
        msg = f"{host} is unknown"
        raise OSError(msg)

    async def close(self) -> None:
        """Nothing to close."""


async def test_a_name_that_does_not_resolve_says_nothing_of_the_server() -> None:
    connector = aiohttp.TCPConnector(resolver=NoNames())
    async with aiohttp.ClientSession(connector=connector) as session:
        vpn = controller("http://ip.example/", session)
        vpn.tunnel = cast("Tunnel", FakeTunnel())
        await vpn._keep_up(vpn.tunnel)
        assert vpn.problems() == []
        assert vpn.public_ip == ""
