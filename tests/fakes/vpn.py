"""What a VPN provider runs beside its WireGuard server: a NAT-PMP gateway and a what-is-my-IP page.

The gateway speaks RFC 6886 (versions 0, opcodes 0 = public address, 1 = UDP, 2 = TCP mapping),
as ProtonVPN's does at 10.2.0.1: it grants one public port, whatever port is asked for, and
answers unknown opcodes with result 5. Both serve from sockets their caller opens (so a test can
open them inside a network namespace).
"""

from __future__ import annotations

import ipaddress
import socket
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import override

UNSUPPORTED_OPCODE = 5


class FakeNatPmpGateway:
    """Grants `granted_port` for every mapping request; records each request."""

    def __init__(self, host: str, public_ip: str, granted_port: int, port: int = 5351) -> None:
        """Bind to host:port (call from inside the namespace whose address host is; 0: any)."""
        self.public_ip = public_ip
        self.granted_port = granted_port
        self.requests: list[tuple[int, int, int, int]] = []  # opcode, internal, external, lifetime
        self.started = time.monotonic()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.port = int(self.sock.getsockname()[1])
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def start(self) -> FakeNatPmpGateway:
        """Answer on a thread of its own."""
        self._thread.start()
        return self

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                request, client = self.sock.recvfrom(64)
            except TimeoutError:
                continue
            if answer := self.answer(request):
                self.sock.sendto(answer, client)

    def answer(self, request: bytes) -> bytes:
        """The answer RFC 6886 prescribes to request (nothing for garbage)."""
        if len(request) < 2:
            return b""
        version, opcode = request[0], request[1]
        epoch = int(time.monotonic() - self.started)
        if version != 0 or opcode not in {0, 1, 2}:
            return struct.pack("!BBHI", 0, 128 + opcode, UNSUPPORTED_OPCODE, epoch)
        if opcode == 0:
            address = ipaddress.IPv4Address(self.public_ip).packed
            return struct.pack("!BBHI", 0, 128, 0, epoch) + address
        internal, external, lifetime = struct.unpack_from("!HHI", request, 4)
        self.requests.append((opcode, internal, external, lifetime))
        return struct.pack(
            "!BBHIHHI", 0, 128 + opcode, 0, epoch, internal, self.granted_port, lifetime
        )

    def close(self) -> None:
        """Stop answering."""
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


class _EchoAddress(BaseHTTPRequestHandler):
    @override
    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""

    def do_GET(self) -> None:
        """Answer the caller's address as plain text (as api.ipify.org does)."""
        body = self.client_address[0].encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class WhatIsMyIp:
    """An HTTP page that answers the address it is called from."""

    def __init__(self, host: str) -> None:
        """Bind to host on a free port (call from inside the namespace whose address host is)."""
        self.server = ThreadingHTTPServer((host, 0), _EchoAddress)
        self.url = f"http://{host}:{self.server.server_address[1]}/"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> WhatIsMyIp:
        """Serve on a thread of its own."""
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
