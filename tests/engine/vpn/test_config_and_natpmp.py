"""The wg-quick reader and the NAT-PMP client, without namespaces."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import struct
from typing import TYPE_CHECKING

import pytest

from haul_engine.logs import REDACTED, SecretFilter
from haul_engine.settings import load_settings
from haul_engine.vpn.config import WireguardConfig, WireguardConfigError
from haul_engine.vpn.natpmp import Gateway, NatPmpError, external_address, map_port
from tests.fakes.vpn import FakeNatPmpGateway

if TYPE_CHECKING:
    from pathlib import Path

KEY = base64.b64encode(bytes(range(32))).decode()
PEER = base64.b64encode(bytes(range(1, 33))).decode()
PROTON = f"""[Interface]
# Key for Haul
PrivateKey = {KEY}
Address = 10.2.0.2/32, fd00::2/128
DNS = 10.2.0.1
MTU = 1380

[Peer]
# NL-FREE#1
PublicKey = {PEER}
AllowedIPs = 0.0.0.0/0, ::/0
Endpoint = 185.107.56.1:51820
PersistentKeepalive = 25
"""


def test_a_providers_file_is_read_and_its_key_kept_out_of_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = WireguardConfig.parse(PROTON)
    assert [str(address) for address in config.addresses] == ["10.2.0.2/32", "fd00::2/128"]
    assert config.dns == ["10.2.0.1"]
    assert config.mtu == 1380
    assert config.endpoint_names == []
    assert config.setconf() == (
        f"[Interface]\nPrivateKey = {KEY}\n[Peer]\nPublicKey = {PEER}\n"
        "AllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = 185.107.56.1:51820\nPersistentKeepalive = 25\n"
    )
    logger = logging.getLogger("haul_engine.vpn")
    logger.addFilter(SecretFilter())
    with caplog.at_level(logging.INFO):
        logger.info("config %s", config.setconf())
    assert KEY not in caplog.text
    assert REDACTED in caplog.text


def test_the_endpoints_host_names_are_known_to_be_resolved_outside_the_tunnel() -> None:
    peers = "".join(
        f"[Peer]\nPublicKey = {PEER}\nAllowedIPs = 0.0.0.0/0\nEndpoint = {endpoint}\n"
        for endpoint in ("nl-ams.prod.surfshark.com:51820", "[2001:db8::1]:51820", "10.0.0.1:1637")
    )
    interface = f"[Interface]\nPrivateKey = {KEY}\nAddress = 10.2.0.2/32\n"
    config = WireguardConfig.parse(interface + peers)
    assert config.endpoint_names == ["nl-ams.prod.surfshark.com"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PROTON.replace(KEY, "not-a-key"), "line 3: PrivateKey is not a WireGuard key"),
        (PROTON.replace("Address = 10.2.0.2/32, fd00::2/128", "Address = 10.2.0.300/32"),
         "line 4: '10.2.0.300/32' does not appear to be an IPv4 or IPv6 interface"),
        (PROTON.replace("MTU", "Mtu = 1380\nPostUp"), "line 7: PostUp runs commands"),
        (PROTON.replace("[Peer]", "[Server]"), "line 8: unknown section [Server]"),
        (PROTON.replace("PersistentKeepalive", "Keepalive"), "line 13: unknown key Keepalive"),
        (PROTON.split("[Peer]", maxsplit=1)[0], "missing a [Peer]"),
        ("PrivateKey = x", "line 1: expected 'Key = value' inside [Interface] or [Peer]"),
        ("", "missing [Interface] PrivateKey, [Interface] Address, a [Peer]"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_work_says_which_line_and_why(text: str, message: str) -> None:
    with pytest.raises(WireguardConfigError, match=f"^wg0.conf.*{re.escape(message)}"):
        WireguardConfig.parse(text, "wg0.conf")


def test_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WireguardConfigError, match="cannot read the WireGuard configuration"):
        WireguardConfig.read(tmp_path / "wg0.conf")


def test_a_tunnel_of_its_own_is_wg0_unless_named(tmp_path: Path) -> None:
    environ = {"HAUL_WIREGUARD_CONFIG": "/config/wg0.conf"}
    assert load_settings({"data_dir": tmp_path}, environ).vpn_interface == "wg0"
    named = {**environ, "HAUL_VPN_INTERFACE": "proton"}
    assert load_settings({"data_dir": tmp_path}, named).vpn_interface == "proton"
    assert load_settings({"data_dir": tmp_path}, {}).vpn_interface == ""


async def test_nat_pmp_maps_the_port_the_gateway_grants() -> None:
    gateway = FakeNatPmpGateway("127.0.0.1", "203.0.113.7", 51413, port=0).start()
    try:
        assert await external_address(Gateway("127.0.0.1", gateway.port)) == "203.0.113.7"
        mapping = await map_port(Gateway("127.0.0.1", gateway.port), "tcp", 6881, 0, 60)
        assert (mapping.internal_port, mapping.external_port, mapping.lifetime) == (6881, 51413, 60)
        assert gateway.requests == [(2, 6881, 0, 60)]
        # RFC 6886: an unknown opcode is answered with result 5, which the client reports
        answer = gateway.answer(struct.pack("!BB", 0, 9))
        assert answer[1] == 128 + 9
        assert struct.unpack_from("!H", answer, 2) == (5,)
    finally:
        gateway.close()


async def test_nat_pmp_gives_up_on_a_silent_gateway_and_reports_a_refusal() -> None:
    silent = FakeNatPmpGateway("127.0.0.1", "203.0.113.7", 51413, port=0)  # never answers
    try:
        with pytest.raises(NatPmpError, match=r"no NAT-PMP answer from 127\.0\.0\.1"):
            await map_port(Gateway("127.0.0.1", silent.port, tries=2), "udp", 6881, 0, 60)
    finally:
        silent.sock.close()
    loop = asyncio.get_running_loop()
    refusing, _ = await loop.create_datagram_endpoint(_Refuse, local_addr=("127.0.0.1", 0))
    port = refusing.get_extra_info("sockname")[1]
    try:
        with pytest.raises(NatPmpError, match="refused: not authorized or refused"):
            await map_port(Gateway("127.0.0.1", port, tries=2), "udp", 6881, 0, 60)
    finally:
        refusing.close()


class _Refuse(asyncio.DatagramProtocol):
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        assert isinstance(self.transport, asyncio.DatagramTransport)
        self.transport.sendto(struct.pack("!BBHI", 0, 128 + data[1], 2, 0), addr)
