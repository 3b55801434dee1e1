"""The engine's own WireGuard tunnel, with real traffic across network namespaces.

Two namespaces stand for the add-on's container (`engine`) and the VPN provider (`provider`),
linked by a veth pair `eth0` (the container's only way out, by its default route). The provider
runs a WireGuard server (wireguard-go: no kernel module here) and, on its tunnel address, a seeder,
a NAT-PMP gateway, a what-is-my-IP page and the VPN's DNS server; on its `eth0` address, Home
Assistant's resolver (the container's resolv.conf names it). A raw socket
counts every packet the engine's namespace sends out of `eth0`: nothing but WireGuard's own UDP may
leave by it, also while the tunnel is down and being rebuilt.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from haul_engine.vpn.resolvconf import MARKER
from tests.fakes.dns import A, FakeDnsServer, ask_tcp, query
from tests.fakes.vpn import FakeNatPmpGateway, WhatIsMyIp
from tests.support.netns import TCP, UDP, Namespace, OutgoingCounter, veth
from tests.support.peers import QbittorrentPeer, engine_env, make_torrent, wait_for_torrent
from tests.support.programs import require_program

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.support.engine import EngineProcess

WIREGUARD_PORT = 51820
DNS_PORT = 53
TRACKER, APP = "tracker.example.org", "a0d7b954-sonarr"
GRANTED_PORT = 47_000 + os.getpid() % 1000


@dataclass
class Lab:
    """The two namespaces, their addresses and the provider's services."""

    engine: Namespace
    provider: Namespace
    link: str  # the provider's eth0 address (the WireGuard endpoint)
    gateway: str  # the provider's tunnel address: not on a network the engine is connected to
    tunnel_address: str  # the engine's tunnel address
    config: Path


def _wg(*arguments: str, stdin: str | None = None) -> str:
    return subprocess.run(
        ["wg", *arguments], input=stdin, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """Build the namespaces and the provider's WireGuard server; remove all, even on failure."""
    for program in ("wg", "wireguard-go", "qbittorrent-nox"):
        require_program(program)
    engine, provider = Namespace("engine"), Namespace("provider")
    try:
        net = f"{os.getpid() % 200 + 20}.{int(engine.name[-2:], 16)}"
        link, gateway, address = f"10.{net}.2", f"10.{net}.9", f"10.{net}.10"
        veth(engine, provider)
        engine.ip("address", "add", f"10.{net}.1/30", "dev", "eth0")
        provider.ip("address", "add", f"{link}/30", "dev", "eth0")
        engine.ip("route", "add", "default", "via", link)
        server_key, client_key = _wg("genkey"), _wg("genkey")
        subprocess.run(
            [*provider.exec_prefix(), "wireguard-go", "wgs"],
            env={**os.environ, "WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD": "1"},
            check=True, capture_output=True,
        )  # fmt: skip
        (tmp_path / "server.key").write_text(server_key)
        subprocess.run(
            [*provider.exec_prefix(), "wg", "set", "wgs",
             "private-key", str(tmp_path / "server.key"),
             "listen-port", str(WIREGUARD_PORT), "peer", _wg("pubkey", stdin=client_key),
             "allowed-ips", f"{address}/32"],
            check=True, capture_output=True,
        )  # fmt: skip
        provider.ip("address", "add", f"{gateway}/32", "dev", "wgs")
        provider.ip("link", "set", "wgs", "up")
        provider.ip("route", "add", f"{address}/32", "dev", "wgs")
        config = tmp_path / "wg0.conf"
        config.write_text(
            "# as a provider hands it out\n[Interface]\n"
            f"PrivateKey = {client_key}\nAddress = {address}/32\nDNS = {gateway}\n\n"
            f"[Peer]\nPublicKey = {_wg('pubkey', stdin=server_key)}\n"
            f"AllowedIPs = 0.0.0.0/0, ::/0\nEndpoint = {link}:{WIREGUARD_PORT}\n"
            "PersistentKeepalive = 5\n"
        )
        yield Lab(engine, provider, link, gateway, address, config)
    finally:
        engine.remove()
        provider.remove()


def _connect(address: str, port: int) -> str:
    """Try a TCP connection; 'connected' or the error's name."""
    try:
        with socket.create_connection((address, port), timeout=2):
            return "connected"
    except OSError as err:
        return type(err).__name__


def test_torrents_leave_only_through_the_tunnel_also_while_it_is_rebuilt(
    tmp_path: Path, lab: Lab, engine_factory: Callable[..., EngineProcess]
) -> None:
    torrent = make_torrent(
        tmp_path / "source", "Tunnel.S01", {"E01.mkv": 6 * 1024 * 1024, "E02.mkv": 4 * 1024 * 1024}
    )
    seeder = QbittorrentPeer(
        tmp_path / "seeder", host=lab.gateway, interface="wgs", netns=lab.provider.name
    )
    gateway = lab.provider.run(FakeNatPmpGateway, lab.gateway, "203.0.113.7", GRANTED_PORT)
    page = lab.provider.run(WhatIsMyIp, lab.gateway)
    counter = OutgoingCounter(lab.engine, "eth0").start()
    try:
        gateway.start()
        page.start()
        seeder.start_seeding(torrent)
        # the counter sees a leak: without the engine's kill switch, a call goes out by eth0
        # (and is refused: the seeder listens on the provider's tunnel interface only)
        assert lab.engine.run(_connect, lab.gateway, seeder.listen_port) == "ConnectionRefusedError"
        _wait_until(lambda: (TCP, lab.gateway, seeder.listen_port) in counter.packets)
        counter.packets.clear()

        engine = engine_factory(
            netns=lab.engine,
            env=engine_env(
                HAUL_WIREGUARD_CONFIG=str(lab.config),
                HAUL_VPN_PUBLIC_IP_URL=page.url,
                HAUL_VPN_PORT_FORWARDING="true",
                HAUL_VPN_CHECK_INTERVAL="2",
                HAUL_DOWNLOAD_LIMIT="1024",
            ),
        ).start()
        vpn = _wait_for_vpn(engine, lambda vpn: vpn["public_ip"] and vpn["forwarded_port"])
        assert vpn["interface"] == "wg0"
        assert vpn["userspace"] is True  # no WireGuard in this kernel: wireguard-go carries it
        assert vpn["public_ip"] == lab.tunnel_address  # as seen from the far end of the tunnel
        assert vpn["forwarded_port"] == GRANTED_PORT
        assert {request[0] for request in gateway.requests} == {1, 2}  # UDP and TCP mapped
        assert engine.call("GET", "/system")["vpn"]["public_ip"] == lab.tunnel_address
        # peers can connect in: the torrents listen on the forwarded port, on the tunnel
        _wait_until(
            lambda: lab.provider.run(_connect, lab.tunnel_address, GRANTED_PORT) == "connected"
        )

        assert (
            engine.request("POST", "/api/v1/torrents", {"torrent_base64": torrent.base64})[0] == 200
        )
        peers = {"peers": [f"{lab.gateway}:{seeder.listen_port}"]}
        engine.call("POST", f"/torrents/{torrent.info_hash}/peers", peers)
        wait_for_torrent(engine, torrent.info_hash, lambda item: item["progress"] > 0.15)

        lab.engine.ip("link", "del", "wg0")  # the tunnel falls; the engine builds it again
        # the kill switch: nothing in the container reaches the seeder while the tunnel is down
        refused = lab.engine.run(_connect, lab.gateway, seeder.listen_port)
        assert refused not in {"connected", "ConnectionRefusedError"}, refused
        _wait_until(lambda: "VPN" in " ".join(engine.call("GET", "/system")["problems"]))
        engine.request("POST", f"/api/v1/torrents/{torrent.info_hash}/peers", peers)
        _wait_for_vpn(engine, lambda vpn: vpn["up"], timeout=30)
        assert engine.wait_for_log("tunnel wg0 is down: building it again")
        _wait_until(lambda: not engine.call("GET", "/system")["problems"])
        # the seeder still holds the connection that died with the tunnel (and refuses a second
        # from the same address until it times out): a fresh seeder, as other peers would be
        seeder.stop()
        seeder.start_seeding(torrent)
        engine.call("POST", f"/torrents/{torrent.info_hash}/peers", peers)
        wait_for_torrent(
            engine, torrent.info_hash, lambda item: item["progress"] == 1.0, timeout=60
        )

        through_eth0 = [packet for packet in counter.packets if packet[0] == UDP]
        assert (UDP, lab.link, WIREGUARD_PORT) in through_eth0  # the data came through WireGuard
        assert counter.other_than(UDP, lab.link, WIREGUARD_PORT) == []  # and nothing else left
    finally:
        counter.stop()
        seeder.stop()
        lab.provider.run(gateway.close)
        lab.provider.run(page.close)


def _lookup(namespace: Namespace, name: str) -> str:
    """Resolve name as a program in the container does (glibc, its resolv.conf); "" if it fails."""
    done = subprocess.run(
        [*namespace.exec_prefix(), "getent", "ahostsv4", name],
        capture_output=True, text=True, timeout=20, check=False,
    )  # fmt: skip
    return done.stdout.split()[0] if done.returncode == 0 and done.stdout else ""


def test_name_lookups_go_through_the_tunnel_and_only_app_names_to_home_assistant(
    lab: Lab, engine_factory: Callable[..., EngineProcess]
) -> None:
    vpn_dns = lab.provider.run(
        FakeDnsServer, lab.gateway, {TRACKER: "192.0.2.80", "ip.vpn.example": lab.gateway}
    )
    home_dns = lab.provider.run(
        FakeDnsServer, lab.link, {APP: "172.30.33.5", TRACKER: "192.0.2.66"}
    )
    page = lab.provider.run(WhatIsMyIp, lab.gateway)
    machine = Path("/etc/resolv.conf").read_text()
    original = f"search local.hass.io\nnameserver {lab.link}\noptions ndots:0\n"
    resolv_conf = lab.engine.resolv_conf(original)
    counter = OutgoingCounter(lab.engine, "eth0").start()
    try:
        for server in (vpn_dns, home_dns, page):
            server.start()
        # the counter sees a leak: without the engine, the tracker's name goes out by eth0
        assert _lookup(lab.engine, TRACKER) == "192.0.2.66"
        _wait_until(lambda: (UDP, lab.link, DNS_PORT) in counter.packets)
        counter.packets.clear()
        home_dns.questions.clear()

        engine = engine_factory(
            netns=lab.engine,
            env=engine_env(
                HAUL_WIREGUARD_CONFIG=str(lab.config),
                # the engine's own lookups too: the page's name is known only through the tunnel
                HAUL_VPN_PUBLIC_IP_URL=page.url.replace(lab.gateway, "ip.vpn.example"),
                HAUL_VPN_CHECK_INTERVAL="2",
            ),
        ).start()
        vpn = _wait_for_vpn(engine, lambda vpn: vpn["public_ip"])
        assert vpn["public_ip"] == lab.tunnel_address
        assert vpn["dns"] == [lab.gateway]
        assert resolv_conf.read_text().startswith(f"{MARKER}\nnameserver 127.0.0.1\n")
        assert engine.call("GET", "/system")["problems"] == []

        assert _lookup(lab.engine, TRACKER) == "192.0.2.80"  # the VPN's answer
        assert vpn_dns.asked(TRACKER)
        [answer] = lab.engine.run(ask_tcp, DNS_PORT, query(TRACKER))  # over TCP too
        assert answer.endswith(socket.inet_aton("192.0.2.80"))
        assert (TRACKER, A, "tcp") in vpn_dns.questions
        assert not home_dns.asked(TRACKER)
        time.sleep(0.3)  # the counter's thread reads what was sent meanwhile
        assert counter.other_than(UDP, lab.link, WIREGUARD_PORT) == []  # no DNS by eth0

        # an app's name is Home Assistant's alone: asked there, never of the VPN's DNS
        assert _lookup(lab.engine, APP) == "172.30.33.5"
        assert not vpn_dns.asked(APP)
        assert home_dns.asked(APP)

        _lookups_wait_while_the_tunnel_is_rebuilt(lab, engine, home_dns, counter)

        engine.kill()  # resolv.conf still points at the forwarder: lookups fail, nothing leaks
        assert resolv_conf.read_text().startswith(MARKER)
        assert _lookup(lab.engine, TRACKER) == ""
        time.sleep(0.3)
        assert counter.other_than(UDP, lab.link, WIREGUARD_PORT) == []
        engine.start()  # finds the original in its data folder: app names resolve again
        _wait_for_vpn(engine, lambda vpn: vpn["up"])
        assert _lookup(lab.engine, APP) == "172.30.33.5"
        assert engine.stop() == 0
        assert resolv_conf.read_text() == original
        assert Path("/etc/resolv.conf").read_text() == machine  # the machine's, never touched
    finally:
        counter.stop()
        for server in (vpn_dns, home_dns):
            lab.provider.run(server.close)
        lab.provider.run(page.close)


def test_an_endpoint_by_name_is_resolved_by_home_assistant_s_resolver(
    lab: Lab, engine_factory: Callable[..., EngineProcess]
) -> None:
    """`wg setconf` resolves it while lookups already go to the forwarder (also at a rebuild)."""
    endpoint = "nl-ams.vpn.example"
    lab.config.write_text(lab.config.read_text().replace(f"{lab.link}:", f"{endpoint}:"))
    vpn_dns = lab.provider.run(FakeDnsServer, lab.gateway, {TRACKER: "192.0.2.80"})
    home_dns = lab.provider.run(FakeDnsServer, lab.link, {endpoint: lab.link})
    lab.engine.resolv_conf(f"search local.hass.io\nnameserver {lab.link}\noptions ndots:0\n")
    try:
        for server in (vpn_dns, home_dns):
            server.start()
        engine = engine_factory(
            netns=lab.engine,
            env=engine_env(
                HAUL_WIREGUARD_CONFIG=str(lab.config),
                HAUL_VPN_PUBLIC_IP_URL="",
                HAUL_VPN_CHECK_INTERVAL="1",
            ),
        ).start()
        _wait_for_vpn(engine, lambda vpn: vpn["up"])
        assert _lookup(lab.engine, TRACKER) == "192.0.2.80"  # through the tunnel it made
        home_dns.questions.clear()
        lab.engine.ip("link", "del", "wg0")
        assert engine.wait_for_log("tunnel wg0 is down: building it again")
        _wait_until(lambda: _lookup(lab.engine, TRACKER) == "192.0.2.80")
        assert home_dns.asked(endpoint)  # asked again for the rebuild
        assert {question[0] for question in home_dns.questions} == {endpoint}
        assert not vpn_dns.asked(endpoint)
        assert engine.stop() == 0
    finally:
        for server in (vpn_dns, home_dns):
            lab.provider.run(server.close)


def _lookups_wait_while_the_tunnel_is_rebuilt(
    lab: Lab, engine: EngineProcess, home_dns: FakeDnsServer, counter: OutgoingCounter
) -> None:
    """Delete wg0: lookups fail (their callers try again), never around the tunnel; apps resolve."""
    counter.packets.clear()
    home_dns.questions.clear()
    lab.engine.ip("link", "del", "wg0")
    assert _lookup(lab.engine, TRACKER) == ""
    assert _lookup(lab.engine, APP) == "172.30.33.5"  # the *arr apps stay reachable meanwhile
    assert {question[0] for question in home_dns.questions} == {APP}
    time.sleep(0.3)  # the counter's thread reads what was sent meanwhile: the app's lookup
    assert set(counter.other_than(UDP, lab.link, WIREGUARD_PORT)) <= {(UDP, lab.link, DNS_PORT)}
    home_dns.questions.clear()
    counter.packets.clear()
    deadline = time.monotonic() + 30
    while _lookup(lab.engine, TRACKER) != "192.0.2.80":  # while it is rebuilt, then through it
        assert time.monotonic() < deadline, "the tracker's name never resolved again"
    assert engine.wait_for_log("tunnel wg0 is down: building it again")
    time.sleep(0.3)  # the counter's thread reads what was sent meanwhile
    assert home_dns.questions == []
    assert counter.other_than(UDP, lab.link, WIREGUARD_PORT) == []


def _wait_until(condition: Callable[[], object], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def _wait_for_vpn(
    engine: EngineProcess, condition: Callable[[dict[str, object]], object], timeout: float = 20
) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while True:
        vpn = engine.call("GET", "/vpn")
        if vpn and condition(vpn):
            return dict(vpn)
        assert time.monotonic() < deadline, f"the tunnel never got there: {vpn}"
        time.sleep(0.2)


def test_a_broken_configuration_holds_the_kill_switch_and_says_why(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess]
) -> None:
    container = Namespace("engine")
    try:
        config = tmp_path / "wg0.conf"
        config.write_text("[Interface]\nPrivateKey = not-a-key\nAddress = 10.2.0.2/32\n")
        engine = engine_factory(netns=container, env=engine_env(HAUL_WIREGUARD_CONFIG=str(config)))
        # killed before with lookups through a tunnel: no forwarder now, the original comes back
        engine.data_dir.mkdir()
        (engine.data_dir / "resolv.conf.original").write_text("nameserver 192.0.2.53\n")
        resolv_conf = container.resolv_conf(f"{MARKER}\nnameserver 127.0.0.1\n")
        engine.start()
        assert resolv_conf.read_text() == "nameserver 192.0.2.53\n"
        why = f"{config}, line 2: PrivateKey is not a WireGuard key (44 characters of base64)"
        system = engine.call("GET", "/system")
        assert system["status"] == "degraded"
        assert system["problems"] == [
            f"VPN tunnel: {why}",
            "VPN interface wg0 is down: torrents are paused",
        ]
        assert engine.call("GET", "/vpn") == {
            "interface": "wg0", "up": False, "userspace": False, "public_ip": "",
            "forwarded_port": 0, "handshake_age_seconds": None, "error": why, "dns": [],
        }  # fmt: skip
        rules = container.ip("rule", "list")
        assert "not from all fwmark 0xca6c lookup 51820" in rules
        assert "blackhole default" in container.ip("route", "list", "table", "51820")
        assert "not-a-key" not in engine.log
    finally:
        container.remove()


def _take(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", port))
    return sock


def test_a_taken_dns_port_is_a_problem_and_lookups_stay_as_they_were(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess]
) -> None:
    for program in ("wg", "wireguard-go"):
        require_program(program)
    container = Namespace("engine")
    taken = container.run(_take, DNS_PORT)
    try:
        original = "nameserver 192.0.2.53\n"
        resolv_conf = container.resolv_conf(original)
        config = tmp_path / "wg0.conf"
        config.write_text(
            f"[Interface]\nPrivateKey = {_wg('genkey')}\nAddress = 10.2.0.2/32\nDNS = 10.2.0.1\n"
            f"[Peer]\nPublicKey = {_wg('pubkey', stdin=_wg('genkey'))}\nAllowedIPs = 0.0.0.0/0\n"
            "Endpoint = 192.0.2.1:51820\n"
        )
        engine = engine_factory(
            netns=container,
            env=engine_env(HAUL_WIREGUARD_CONFIG=str(config), HAUL_VPN_PUBLIC_IP_URL=""),
        ).start()
        why = (
            "VPN DNS: no lookups through the tunnel (listening on 127.0.0.1:53: Address already "
            "in use); names go to the container's resolver, outside the tunnel"
        )
        assert engine.call("GET", "/system")["problems"] == [why]
        assert engine.wait_for_log(why.removeprefix("VPN DNS: "))
        vpn = engine.call("GET", "/vpn")
        assert (vpn["up"], vpn["dns"]) == (True, [])  # the tunnel itself works
        assert resolv_conf.read_text() == original
        assert engine.stop() == 0
        assert resolv_conf.read_text() == original
    finally:
        taken.close()
        container.remove()
