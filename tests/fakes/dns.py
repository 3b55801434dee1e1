"""A DNS server that knows a few names (A records), as a VPN provider's or Home Assistant's does.

It answers UDP and TCP (RFC 1035 4.2.2: two-byte length first), NXDOMAIN for names it does not
know, an empty answer for other record types of names it knows, and records every question.
`silent` makes it read queries and answer nothing (a server that times out). `query` and `ask_tcp`
are a client's side.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import threading

A, IN = 1, 1
NXDOMAIN = 3


def query(name: str, kind: int = A, ident: int = 0x1234) -> bytes:
    """A query as a stub resolver sends it (recursion desired)."""
    labels = b"".join(bytes([len(part)]) + part.encode() for part in name.split(".") if part)
    header = struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0)
    return header + labels + b"\0" + struct.pack("!HH", kind, IN)


def ask_tcp(port: int, *packets: bytes, host: str = "127.0.0.1") -> list[bytes]:
    """Send queries on one TCP connection; the answers until the server closes it."""
    answers = []
    with socket.create_connection((host, port), timeout=5) as sock:
        for packet in packets:
            sock.sendall(struct.pack("!H", len(packet)) + packet)
            head = sock.recv(2, socket.MSG_WAITALL)
            if len(head) < 2:  # the server closed the connection
                break
            answers.append(sock.recv(struct.unpack("!H", head)[0], socket.MSG_WAITALL))
    return answers


def _bind_both(host: str, port: int) -> tuple[socket.socket, socket.socket]:
    """A UDP and a listening TCP socket on the same port (port 0: one free for both)."""
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((host, port))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            tcp.bind((host, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            if port:
                raise
            continue
        tcp.listen()
        return udp, tcp
    msg = f"no port on {host} free for both UDP and TCP"
    raise OSError(msg)


class FakeDnsServer:
    """Answers names → IPv4 addresses on host:port (port 0: a free one), UDP and TCP."""

    def __init__(self, host: str, names: dict[str, str], port: int = 53) -> None:
        """Bind both sockets (call from inside the namespace whose address host is)."""
        self.names = {name.lower(): address for name, address in names.items()}
        self.questions: list[tuple[str, int, str]] = []  # name, type, "udp" or "tcp"
        self.silent = False
        self.udp, self.tcp = _bind_both(host, port)
        self.port = int(self.udp.getsockname()[1])
        for sock in (self.udp, self.tcp):
            sock.settimeout(0.2)
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._serve_udp, daemon=True),
            threading.Thread(target=self._serve_tcp, daemon=True),
        ]

    def start(self) -> FakeDnsServer:
        """Answer on threads of its own."""
        for thread in self._threads:
            thread.start()
        return self

    def asked(self, name: str) -> bool:
        """Whether name was asked (any type, any protocol)."""
        return any(question[0] == name for question in list(self.questions))

    def _serve_udp(self) -> None:
        while not self._stop.is_set():
            try:
                query, client = self.udp.recvfrom(4096)
            except TimeoutError:
                continue
            if answer := self.answer(query, "udp"):
                self.udp.sendto(answer, client)

    def _serve_tcp(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.tcp.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                try:
                    length = struct.unpack("!H", connection.recv(2, socket.MSG_WAITALL))[0]
                    answer = self.answer(connection.recv(length, socket.MSG_WAITALL), "tcp")
                    if answer:
                        connection.sendall(struct.pack("!H", len(answer)) + answer)
                except (OSError, struct.error):
                    continue

    def answer(self, query: bytes, protocol: str) -> bytes:
        """The answer to one query (nothing while silent or for garbage)."""
        try:
            ident, flags = struct.unpack_from("!HH", query)
            end, labels = 12, []
            while query[end]:
                labels.append(query[end + 1 : end + 1 + query[end]].decode().lower())
                end += 1 + query[end]
            kind = struct.unpack_from("!H", query, end + 1)[0]
        except (struct.error, IndexError, UnicodeDecodeError):
            return b""
        name = ".".join(labels)
        self.questions.append((name, kind, protocol))
        if self.silent:
            return b""
        question = query[12 : end + 5]
        address = self.names.get(name)
        rcode = NXDOMAIN if address is None else 0
        records = b""
        if address is not None and kind == A:
            packed = ipaddress.IPv4Address(address).packed
            records = struct.pack("!HHHIH", 0xC00C, A, IN, 60, 4) + packed
        header = struct.pack(
            "!HHHHHH", ident, 0x8080 | (flags & 0x0100) | rcode, 1, 1 if records else 0, 0, 0
        )
        return header + question + records

    def close(self) -> None:
        """Stop answering."""
        self._stop.set()
        for thread in self._threads:
            if thread.ident is not None:
                thread.join(2)
        self.udp.close()
        self.tcp.close()
