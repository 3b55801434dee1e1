"""Network namespaces for tests that need real routing: made uniquely, always removed.

Interfaces are only ever created inside namespaces the test made, never in the test's own
(a veth appearing there once disturbed Chromium in another test: ERR_NETWORK_CHANGED). Each has
its own /etc/resolv.conf for what runs by exec_prefix (`ip netns exec` mounts
/etc/netns/<name>/resolv.conf over it): the engine's VPN DNS rewrites that one.
Code that must open sockets inside a namespace runs on a thread that entered it (`run`).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tests.support.programs import require_program, require_root

if TYPE_CHECKING:
    from collections.abc import Callable

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
IPV4, IPV6 = 0x0800, 0x86DD
TCP, UDP = 6, 17


def _enter(name: str) -> None:
    with open(f"/run/netns/{name}", "rb") as handle:  # noqa: PTH123 - a namespace handle
        os.setns(handle.fileno(), os.CLONE_NEWNET)


class Namespace:
    """A network namespace with a unique name; `run` calls code on a thread inside it."""

    def __init__(self, role: str) -> None:
        """Create it (needs root and ip), loopback up."""
        require_root("creates network namespaces")
        require_program("ip")
        self.name = f"haul-{role}-{secrets.token_hex(3)}"
        subprocess.run(["ip", "netns", "add", self.name], check=True, capture_output=True)
        self._inside = ThreadPoolExecutor(1, initializer=_enter, initargs=(self.name,))
        self.ip("link", "set", "lo", "up")
        # its own resolv.conf: an engine with a tunnel rewrites that one, never the machine's
        try:
            machine = Path("/etc/resolv.conf").read_text()
        except OSError:
            machine = ""
        self.resolv_conf(machine)

    def ip(self, *arguments: str) -> str:
        """Run `ip` inside the namespace; its output."""
        done = subprocess.run(
            ["ip", "-n", self.name, *arguments], check=True, capture_output=True, text=True
        )
        return done.stdout

    def exec_prefix(self) -> list[str]:
        """What runs a program inside the namespace."""
        return ["ip", "netns", "exec", self.name]

    def resolv_conf(self, text: str) -> Path:
        """Give programs started by exec_prefix this /etc/resolv.conf (`ip netns exec` mounts)."""
        path = Path("/etc/netns") / self.name / "resolv.conf"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        return path

    def run[T](self, function: Callable[..., T], *arguments: Any) -> T:  # noqa: ANN401 - passed on
        """Call function on the namespace's thread (its sockets are the namespace's)."""
        return self._inside.submit(function, *arguments).result()

    def remove(self) -> None:
        """Stop every process still inside, then delete the namespace (and its interfaces)."""
        self._inside.shutdown(wait=False, cancel_futures=True)
        pids = subprocess.run(
            ["ip", "netns", "pids", self.name], capture_output=True, text=True, check=False
        ).stdout.split()
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid), signal.SIGKILL)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, check=False)
        shutil.rmtree(Path("/etc/netns") / self.name, ignore_errors=True)
        with contextlib.suppress(OSError):
            Path("/etc/netns").rmdir()  # when no other namespace has one


def veth(left: Namespace, right: Namespace, name: str = "eth0") -> None:
    """Link two namespaces by a veth pair named `name` at both ends, created inside `left`."""
    left.ip("link", "add", name, "type", "veth", "peer", "name", name, "netns", right.name)
    left.ip("link", "set", name, "up")
    right.ip("link", "set", name, "up")


@dataclass
class OutgoingCounter:
    """Counts the IP packets a namespace sends out of one interface (a raw AF_PACKET socket)."""

    namespace: Namespace
    interface: str
    packets: list[tuple[int, str, int]] = field(default_factory=list)  # (protocol, dst, port)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> OutgoingCounter:
        """Open the socket inside the namespace and count on a thread of its own."""
        sock = self.namespace.run(self._open)
        self._thread = threading.Thread(target=self._count, args=(sock,), daemon=True)
        self._thread.start()
        return self

    def _open(self) -> socket.socket:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        sock.bind((self.interface, 0))
        sock.settimeout(0.2)
        return sock

    def _count(self, sock: socket.socket) -> None:
        with sock:
            while not self._stop.is_set():
                try:
                    frame, address = sock.recvfrom(65535)
                except TimeoutError:
                    continue
                if address[2] == PACKET_OUTGOING and (packet := _ip_packet(frame)) is not None:
                    self.packets.append(packet)

    def stop(self) -> None:
        """Stop counting."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)

    def other_than(self, protocol: int, destination: str, port: int) -> list[tuple[int, str, int]]:
        """The TCP and UDP packets sent to anything but (protocol, destination, port)."""
        return [
            packet
            for packet in list(self.packets)
            if packet[0] in {TCP, UDP} and packet != (protocol, destination, port)
        ]


def _ip_packet(frame: bytes) -> tuple[int, str, int] | None:
    """(protocol, destination, destination port) of an Ethernet frame's IP packet."""
    (ethertype,) = struct.unpack_from("!H", frame, 12)
    if ethertype == IPV4:
        header = 14 + (frame[14] & 0x0F) * 4
        protocol, destination = frame[23], socket.inet_ntop(socket.AF_INET, frame[30:34])
    elif ethertype == IPV6:
        header = 14 + 40
        protocol, destination = frame[20], socket.inet_ntop(socket.AF_INET6, frame[38:54])
    else:
        return None
    port = struct.unpack_from("!H", frame, header + 2)[0] if protocol in {TCP, UDP} else 0
    return protocol, destination, port
