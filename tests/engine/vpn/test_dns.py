"""The DNS forwarder and resolv.conf, in process: which resolver answers what, and garbage.

The tunnel's DNS and Home Assistant's resolver are fake servers on 127.0.0.1; the "tunnel" route
is bound to `lo` (a missing interface stands for a tunnel that is down). Real traffic through a
WireGuard tunnel is in test_wireguard.py.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest

from haul_engine.vpn import controller as vpn_controller
from haul_engine.vpn import dns
from haul_engine.vpn.config import WireguardConfig
from haul_engine.vpn.controller import VpnController
from haul_engine.vpn.dns import DnsForwarder, Route, read_message
from haul_engine.vpn.resolvconf import MARKER, ResolvConf
from haul_engine.vpn.tunnel import Tunnel
from tests.fakes.dns import A, FakeDnsServer, ask_tcp, query

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator
    from pathlib import Path

    from haul_engine.engine import Engine

AAAA = 28
TRACKER, TRACKER_IP = "tracker.example.org", "198.51.100.7"
SONARR, SONARR_IP = "a0d7b954-sonarr", "172.30.33.5"
ORIGINAL = "search local.hass.io\nnameserver 172.30.32.3\noptions ndots:0\n"


def rcode(answer: bytes | None) -> int:
    """The response code of an answer."""
    message = read_message(answer or b"")
    assert message is not None
    return message.rcode


def addresses(answer: bytes) -> list[str]:
    """The A records of an answer from the fake (one answer, name compressed)."""
    message = read_message(answer)
    assert message is not None
    return [socket.inet_ntoa(answer[-4:])] if message.answers else []


@pytest.fixture
def servers() -> Iterator[tuple[FakeDnsServer, FakeDnsServer]]:
    """The VPN's DNS (knows the tracker) and Home Assistant's (knows the apps), both started."""
    vpn = FakeDnsServer("127.0.0.1", {TRACKER: TRACKER_IP}, port=0).start()
    home = FakeDnsServer(
        "127.0.0.1",
        {
            SONARR: SONARR_IP,
            f"{SONARR}.local.hass.io": SONARR_IP,
            "printer.local": "192.168.1.9",
            TRACKER: "0.0.0.1",
            f"{TRACKER}.local.hass.io": "0.0.0.1",
        },
        port=0,
    ).start()
    yield vpn, home
    vpn.close()
    home.close()


@pytest.fixture
async def forwarder(
    servers: tuple[FakeDnsServer, FakeDnsServer], monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[DnsForwarder]:
    """A forwarder on a free port: the tunnel is `lo`, Home Assistant is the second fake."""
    monkeypatch.setattr(dns, "UPSTREAM_TIMEOUT", 0.3)
    vpn, home = servers
    forwarder = DnsForwarder(
        Route([("127.0.0.1", vpn.port)], "lo"),
        Route([("127.0.0.1", home.port)]),
        "127.0.0.1",
        0,
        search=["Local.Hass.IO."],
    )
    await forwarder.start()
    yield forwarder
    await forwarder.close()


def _ask_udp(port: int, packet: bytes, timeout: float = 3) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(timeout)
        sock.sendto(packet, ("127.0.0.1", port))
        try:
            return sock.recv(65535)
        except TimeoutError:
            return None


async def ask(forwarder: DnsForwarder, packet: bytes, wait: float = 3) -> bytes | None:
    """Send one UDP query to the forwarder as the container's resolver would."""
    return await asyncio.to_thread(_ask_udp, forwarder.port, packet, wait)


async def test_names_go_through_the_tunnel_and_only_its_unknown_ones_to_home_assistant(
    forwarder: DnsForwarder, servers: tuple[FakeDnsServer, FakeDnsServer]
) -> None:
    vpn, home = servers
    answer = await ask(forwarder, query(TRACKER))
    assert answer is not None
    assert addresses(answer) == [TRACKER_IP]
    assert not home.asked(TRACKER)  # Home Assistant's resolver never saw the tracker's name
    assert not (await ask(forwarder, query(TRACKER, AAAA)) or b"")[7]  # no AAAA record: no answer
    assert not home.asked(TRACKER)  # "no record of that type" is not "no such name"

    for name, address in (
        (SONARR, SONARR_IP),
        (f"{SONARR}.local.hass.io", SONARR_IP),  # the resolver's search domain appended
        ("printer.local", "192.168.1.9"),
    ):
        answer = await ask(forwarder, query(name))
        assert answer is not None
        assert addresses(answer) == [address]
        assert not vpn.asked(name)  # an app's name is Home Assistant's alone: the tunnel not asked
        assert home.asked(name)

    assert rcode(await ask(forwarder, query("gone.example.org"))) == dns.NXDOMAIN  # from both
    assert home.asked("gone.example.org")  # a name on the LAN (nas.lan) may resolve there
    # a dotted name with the search domain appended: the resolver's retry after the name failed
    # (the tunnel was down), never an app's name; Home Assistant's resolver would pass it on
    assert rcode(await ask(forwarder, query(f"{TRACKER}.local.hass.io"))) == dns.NXDOMAIN
    assert not home.asked(f"{TRACKER}.local.hass.io")

    # over TCP (what a resolver does after a truncated answer): the same routes, on one connection
    tcp = await asyncio.to_thread(ask_tcp, forwarder.port, query(TRACKER), query(SONARR, ident=7))
    assert [addresses(answer) for answer in tcp] == [[TRACKER_IP], [SONARR_IP]]
    assert (TRACKER, A, "tcp") in vpn.questions
    assert (SONARR, A, "tcp") in home.questions


async def test_a_silent_or_missing_tunnel_fails_the_lookup_and_never_asks_elsewhere(
    forwarder: DnsForwarder, servers: tuple[FakeDnsServer, FakeDnsServer]
) -> None:
    vpn, home = servers
    vpn.silent = True  # a timeout: the name must not go to Home Assistant's resolver instead
    for name in (TRACKER, "gone.example.org"):
        answer = await ask(forwarder, query(name, ident=99))
        assert answer is not None
        message = read_message(answer)
        assert message is not None
        assert (message.ident, message.rcode, message.name) == (99, dns.SERVFAIL, name)
        assert vpn.asked(name)
    forwarder.tunnel.interface = "haul-missing0"  # the tunnel is down or being rebuilt
    vpn.questions.clear()
    assert rcode(await ask(forwarder, query(TRACKER))) == dns.SERVFAIL
    assert rcode(await ask(forwarder, query(f"{TRACKER}.local.hass.io"))) == dns.SERVFAIL
    assert vpn.questions == []  # nothing was sent: the socket could not bind to the interface
    assert home.questions == []
    # the *arr apps keep resolving meanwhile: their names were never the tunnel's to answer
    assert addresses(await ask(forwarder, query(SONARR)) or b"") == [SONARR_IP]


async def test_the_tunnel_s_own_endpoint_is_resolved_outside_it(
    servers: tuple[FakeDnsServer, FakeDnsServer],
) -> None:
    """`wg setconf` resolves an `Endpoint = vpn.provider.example:51820` before the tunnel is up."""
    vpn, home = servers
    home.names["vpn.provider.example"] = "203.0.113.9"
    forwarder = DnsForwarder(
        Route([("127.0.0.1", vpn.port)], "haul-missing0"),  # the tunnel is not up yet
        Route([("127.0.0.1", home.port)]),
        "127.0.0.1",
        0,
        outside=["VPN.Provider.Example."],
    )
    await forwarder.start()
    try:
        answer = await ask(forwarder, query("vpn.Provider.example"))
        assert addresses(answer or b"") == ["203.0.113.9"]
        assert rcode(await ask(forwarder, query(TRACKER))) == dns.SERVFAIL  # only that name
    finally:
        await forwarder.close()
    assert not home.asked(TRACKER)


async def test_close_ends_the_lookups_under_way_over_udp_and_tcp(
    servers: tuple[FakeDnsServer, FakeDnsServer],
) -> None:
    """Nothing is left running (or holding a socket) once the engine closes the forwarder."""
    servers[0].silent = True  # over UDP the VPN's DNS never answers
    mute = socket.create_server(("127.0.0.1", 0))
    forwarder = DnsForwarder(
        Route([("127.0.0.1", servers[0].port), mute.getsockname()], "lo"),
        Route([]),
        "127.0.0.1",
        0,
    )  # over TCP the second never answers: the connection is made, nothing comes back
    await forwarder.start()
    with mute, socket.create_connection(("127.0.0.1", forwarder.port)) as client:
        client.sendall(struct.pack("!H", len(query(TRACKER))) + query(TRACKER))
        udp = asyncio.create_task(ask(forwarder, query(TRACKER), wait=1))
        await asyncio.sleep(0.5)  # both wait on their servers (2 s each)
        await asyncio.wait_for(forwarder.close(), 1)
        lookups = [
            task
            for task in asyncio.all_tasks()
            if "DnsForwarder" in task.get_coro().__qualname__  # type: ignore[union-attr]
            and not task.done()
        ]
        assert lookups == []
        assert await udp is None
        client.settimeout(1)
        assert client.recv(2) == b""  # the connection is closed, unanswered


def _hung_up(client: socket.socket) -> bool:
    """Whether the server closed the connection (unread data makes that a reset)."""
    try:
        return client.recv(2) == b""
    except ConnectionResetError:
        return True


async def test_a_flood_is_held_to_max_pending_lookups_over_udp_and_tcp(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """More at once are dropped (UDP: the client asks again) or hung up on (TCP); then served."""
    monkeypatch.setattr(dns, "MAX_PENDING", 2)
    monkeypatch.setattr(dns, "UPSTREAM_TIMEOUT", 1.0)
    mute_udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    mute_udp.bind(("127.0.0.1", 0))
    mute_tcp = socket.create_server(mute_udp.getsockname())  # the same port: queries wait there
    forwarder = DnsForwarder(Route([mute_udp.getsockname()]), Route([]), "127.0.0.1", 0)
    await forwarder.start()
    clients: list[socket.socket] = []
    try:
        flood = [asyncio.create_task(ask(forwarder, query(TRACKER, ident=n), 3)) for n in range(3)]
        await asyncio.sleep(0.3)
        mute_udp.settimeout(0.2)
        assert len([mute_udp.recv(512) for _ in range(2)]) == 2
        with pytest.raises(TimeoutError):
            mute_udp.recv(512)  # the third was dropped
        for n in range(3):
            client = socket.create_connection(("127.0.0.1", forwarder.port))
            client.settimeout(3)
            clients.append(client)
            client.sendall(struct.pack("!H", len(query(TRACKER))) + query(TRACKER, ident=n))
            await asyncio.sleep(0.1)
        assert await asyncio.to_thread(_hung_up, clients[2])  # at once
        answers = [rcode(await task) if await task else None for task in flood]
        assert sorted(answers, key=str) == [dns.SERVFAIL, dns.SERVFAIL, None]
        assert rcode(await ask(forwarder, query(TRACKER))) == dns.SERVFAIL  # served again
    finally:
        for client in clients:
            client.close()
        await forwarder.close()
        mute_udp.close()
        mute_tcp.close()


@pytest.mark.parametrize(
    "garbage",
    [
        b"",
        b"\x12",
        b"\x00" * 11,
        struct.pack("!HHHHHH", 1, 0x0100, 0, 0, 0, 0),  # no question
        struct.pack("!HHHHHH", 1, 0x0100, 2, 0, 0, 0) + query(TRACKER)[12:] * 2,  # two
        query(TRACKER)[:-3],  # cut in the type
        query(TRACKER)[:14],  # cut in a label
        struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) + b"\xc0\x0c\x00\x01\x00\x01",  # a pointer
        struct.pack("!HHHHHH", 1, 0x0100, 1, 0, 0, 0) + (b"\x3f" + b"a" * 63) * 5 + b"\0\0\1\0\1",
        struct.pack("!HHHHHH", 1, 0x8180, 1, 0, 0, 0) + query(TRACKER)[12:],  # an answer
        bytes(range(256)) * 4,
    ],
    ids=[
        "empty",
        "one-byte",
        "short-header",
        "no-question",
        "two-questions",
        "cut-type",
        "cut-label",
        "pointer",
        "endless-name",
        "an-answer",
        "noise",
    ],
)
async def test_garbage_from_a_client_is_dropped_and_the_forwarder_goes_on(
    forwarder: DnsForwarder, servers: tuple[FakeDnsServer, FakeDnsServer], garbage: bytes
) -> None:
    assert await ask(forwarder, garbage, wait=0.3) is None
    assert servers[0].questions == []
    # over TCP the connection is closed
    assert await asyncio.to_thread(ask_tcp, forwarder.port, garbage, query(TRACKER)) == []
    answer = await ask(forwarder, query(TRACKER))
    assert answer is not None
    assert addresses(answer) == [TRACKER_IP]


async def test_garbage_and_strangers_from_a_server_are_skipped() -> None:
    liar = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    liar.bind(("127.0.0.1", 0))
    honest = FakeDnsServer("127.0.0.1", {TRACKER: TRACKER_IP}, port=0)

    def lie() -> None:
        packet, client = liar.recvfrom(4096)
        right = honest.answer(packet, "udp")
        for reply in (b"\xff", b"\x00" * 40, right[:20], b"\x99\x99" + right[2:], right):
            liar.sendto(reply, client)

    thread = threading.Thread(target=lie, daemon=True)
    thread.start()
    forwarder = DnsForwarder(Route([liar.getsockname()]), Route([]), "127.0.0.1", 0)
    await forwarder.start()
    try:
        answer = await ask(forwarder, query(TRACKER))
        assert answer is not None
        assert addresses(answer) == [TRACKER_IP]
    finally:
        await forwarder.close()
        thread.join(2)
        liar.close()
        honest.close()


async def test_garbage_over_tcp_from_a_server_fails_the_lookup() -> None:
    liar = socket.create_server(("127.0.0.1", 0))

    def lie() -> None:
        for reply in (b"\x00\x05junk!", b"\x00\x40short"):  # not an answer; cut short
            connection, _ = liar.accept()
            with connection:
                connection.recv(4096)
                connection.sendall(reply)

    thread = threading.Thread(target=lie, daemon=True)
    thread.start()
    forwarder = DnsForwarder(Route([liar.getsockname()] * 2), Route([]), "127.0.0.1", 0)
    try:
        answer = await forwarder.resolve(query(TRACKER), tcp=True)
        assert rcode(answer) == dns.SERVFAIL
    finally:
        thread.join(2)
        liar.close()


def test_resolv_conf_points_at_the_forwarder_and_is_given_back(tmp_path: Path) -> None:
    path, saved = tmp_path / "resolv.conf", tmp_path / "data" / "resolv.conf.original"
    saved.parent.mkdir()
    path.write_text(ORIGINAL)
    resolver = ResolvConf(path, saved)
    original = resolver.original()
    resolver.point_at("127.0.0.1", original)
    assert (
        path.read_text()
        == f"{MARKER}\nnameserver 127.0.0.1\nsearch local.hass.io\noptions ndots:0\n"
    )
    # killed here: the next start finds its original in the data folder
    assert ResolvConf(path, saved).original() == ORIGINAL
    resolver.point_at("127.0.0.1", resolver.original())  # idempotent
    resolver.restore()
    assert path.read_text() == ORIGINAL
    assert not saved.exists()
    resolver.restore()  # nothing to give back: nothing changes
    assert path.read_text() == ORIGINAL

    resolver.point_at("127.0.0.1", ORIGINAL)
    path.write_text("nameserver 10.0.0.1\n")  # rewritten by someone else meanwhile: theirs stays
    resolver.restore()
    assert path.read_text() == "nameserver 10.0.0.1\n"
    assert not saved.exists()

    path.write_text(f"{MARKER}\nnameserver 127.0.0.1\n")  # ours, and the original is lost
    assert resolver.original() is None


@pytest.mark.parametrize("left", ["", MARKER[:9]], ids=["emptied", "cut-short"])
def test_a_resolv_conf_cut_off_while_written_is_still_known_as_haul_s(
    tmp_path: Path, left: str
) -> None:
    """A kill between emptying the file and writing it: the saved original is the original."""
    path, saved = tmp_path / "resolv.conf", tmp_path / "resolv.conf.original"
    path.write_text(ORIGINAL)
    resolver = ResolvConf(path, saved)
    resolver.point_at("127.0.0.1", resolver.original())
    path.write_text(left)  # point_at (or restore) killed in the middle of its write
    assert resolver.original() == ORIGINAL  # not the empty file, saved over the original
    resolver.restore()  # with the option off: the original is back, not an empty file
    assert path.read_text() == ORIGINAL
    assert not saved.exists()


def _controller(tmp_path: Path, *, vpn_dns: bool = True) -> VpnController:
    settings = SimpleNamespace(data_dir=tmp_path, vpn_dns=vpn_dns, vpn_interface="lo")
    vpn = VpnController(cast("Engine", SimpleNamespace(settings=settings)))
    vpn.resolv_conf = tmp_path / "resolv.conf"
    return vpn


def _tunnel(dns_servers: list[str]) -> Tunnel:
    return Tunnel("lo", WireguardConfig(dns=dns_servers))


async def test_the_controller_points_resolv_conf_at_its_forwarder_also_after_a_kill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setattr(vpn_controller, "DNS_PORT", probe.getsockname()[1])
    (tmp_path / "resolv.conf").write_text(ORIGINAL)
    crashed = _controller(tmp_path)
    await crashed._start_dns(_tunnel(["10.2.0.1"]))
    assert crashed.dns is not None
    assert crashed.dns.home_assistant.servers == [("172.30.32.3", 53)]
    assert crashed.dns.tunnel == Route([("10.2.0.1", 53)], "lo")
    await crashed.dns.close()  # kill -9: resolv.conf still points at the forwarder
    assert (tmp_path / "resolv.conf").read_text().startswith(MARKER)

    restarted = _controller(tmp_path)
    await restarted._start_dns(_tunnel(["10.2.0.1"]))
    assert restarted.dns is not None
    assert restarted.dns.home_assistant.servers == [("172.30.32.3", 53)]  # found again
    assert restarted.problems() == []
    await restarted.close()
    assert (tmp_path / "resolv.conf").read_text() == ORIGINAL

    await crashed._start_dns(_tunnel(["10.2.0.1"]))
    assert crashed.dns is not None
    await crashed.dns.close()  # killed again, then started with the setting off: given back
    off = _controller(tmp_path, vpn_dns=False)
    await off._start_dns(_tunnel(["10.2.0.1"]))
    assert off.dns is None
    assert (tmp_path / "resolv.conf").read_text() == ORIGINAL
    await _controller(tmp_path)._start_dns(_tunnel([]))  # no DNS in the file: nothing to do
    assert (tmp_path / "resolv.conf").read_text() == ORIGINAL


async def test_a_taken_port_is_a_problem_and_lookups_stay_as_they_were(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "resolv.conf").write_text(ORIGINAL)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as taken:
        taken.bind(("127.0.0.1", 0))
        monkeypatch.setattr(vpn_controller, "DNS_PORT", taken.getsockname()[1])
        vpn = _controller(tmp_path)
        await vpn._start_dns(_tunnel(["10.2.0.1"]))
    assert vpn.dns is None
    assert (tmp_path / "resolv.conf").read_text() == ORIGINAL
    assert not (tmp_path / "resolv.conf.original").exists()
    [problem] = vpn.problems()
    where = f"listening on 127.0.0.1:{vpn_controller.DNS_PORT}"
    assert problem.startswith(f"VPN DNS: no lookups through the tunnel ({where}: ")
    assert problem.endswith("names go to the container's resolver, outside the tunnel")
    await vpn.close()


async def test_a_resolv_conf_it_cannot_write_is_a_problem_and_the_port_is_let_go(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        monkeypatch.setattr(vpn_controller, "DNS_PORT", probe.getsockname()[1])
    vpn = _controller(tmp_path)
    vpn.resolv_conf = tmp_path / "missing" / "resolv.conf"
    await vpn._start_dns(_tunnel(["10.2.0.1"]))
    assert vpn.dns is None
    why = f"{vpn.resolv_conf}: No such file or directory"
    outside = "names go to the container's resolver, outside the tunnel"
    assert vpn.problems() == [f"VPN DNS: no lookups through the tunnel ({why}); {outside}"]
    (tmp_path / "resolv.conf").write_text(ORIGINAL)
    vpn.resolv_conf = tmp_path / "resolv.conf"
    (tmp_path / "resolv.conf.original").mkdir()  # the copy cannot be saved: nothing changes
    await vpn._start_dns(_tunnel(["10.2.0.1"]))
    assert vpn.dns is None
    assert "resolv.conf.original" in vpn.dns_error
    assert (tmp_path / "resolv.conf").read_text() == ORIGINAL
    assert not (tmp_path / "resolv.conf.original.partial").exists()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as again:  # the forwarder let it go
        again.bind(("127.0.0.1", vpn_controller.DNS_PORT))
