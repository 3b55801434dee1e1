"""Run the real engine as a subprocess on a temporary data folder and a free port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp

from tests.support.programs import allow_loopback_sockets, free_port

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.netns import Namespace

# The engine runs on its own Python (3.13, with libtorrent), also under Home Assistant's tests.
ENGINE_VENV = Path(__file__).resolve().parents[2] / ".venv"
ENGINE_BIN = ENGINE_VENV / "bin" if ENGINE_VENV.is_dir() else Path(sys.executable).parent


class EngineProcess:
    """One engine subprocess; start, stop, kill and restart it like a user would."""

    def __init__(
        self,
        data_dir: Path,
        *,
        port: int | None = None,
        env: dict[str, str] | None = None,
        args: list[str] | None = None,
        netns: Namespace | None = None,
    ) -> None:
        """Prepare (nothing runs until start); inside netns, if given, its calls go there too."""
        self.data_dir = data_dir
        self.port = port or free_port()
        self.env = {"HAUL_HEARTBEAT_INTERVAL": "1", **(env or {})}
        self.args = args or []
        self.netns = netns
        self.process: subprocess.Popen[bytes] | None = None
        self.log_path = data_dir.parent / f"{data_dir.name}-engine.log"

    @property
    def url(self) -> str:
        """Base URL of the engine."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def token(self) -> str:
        """The API token the engine generated."""
        stored = json.loads((self.data_dir / "secrets.json").read_text())
        return str(stored["api_token"])

    @property
    def headers(self) -> dict[str, str]:
        """Authorization headers for the API."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def log(self) -> str:
        """Everything the engine wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def command_line(self) -> list[str]:
        """How the engine is started."""
        inside = self.netns.exec_prefix() if self.netns else []
        return [
            *inside, str(ENGINE_BIN / "python"), "-m", "haul_engine",
            "--data-dir", str(self.data_dir), "--host", "127.0.0.1", "--port", str(self.port),
            "--log-level", "debug", *self.args,
        ]  # fmt: skip

    def start(self, timeout: float = 30.0) -> EngineProcess:
        """Start and wait until /health answers."""
        allow_loopback_sockets()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("HAUL_")}
        environment.update(self.env)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command_line(), stdout=log, stderr=subprocess.STDOUT, env=environment
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                message = f"engine exited with {self.process.returncode}:\n{self.log[-4000:]}"
                raise RuntimeError(message)
            try:
                if self._inside(_status, f"{self.url}/health") == 200:
                    return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.05)
        self.kill()
        message = f"engine did not answer within {timeout} s:\n{self.log[-4000:]}"
        raise RuntimeError(message)

    def stop(self, timeout: float = 15.0) -> int:
        """SIGTERM and wait; returns the exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else 0
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise

    def kill(self) -> None:
        """SIGKILL, like a power cut for the engine."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self) -> EngineProcess:
        """Stop cleanly and start again on the same data and port."""
        self.stop()
        return self.start()

    def wait_for_log(self, text: str, timeout: float = 10.0) -> bool:
        """Wait until the engine's log contains text; False if it never does."""
        deadline = time.monotonic() + timeout
        while text not in self.log:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def call(self, method: str, path: str, body: object = None) -> Any:  # noqa: ANN401 - JSON
        """Call a route under /api/v1 that must succeed, and return its answer."""
        status, answer = self.request(method, f"/api/v1{path}", body)
        assert status == 200, answer
        return answer

    def add_connector(
        self, kind: str, url: str, api_key: str, *, name: str | None = None, **settings: object
    ) -> str:
        """Create a connector through the API (named after its kind and port) and return its id."""
        label = name or f"{kind.title()} {urllib.parse.urlsplit(url).port}"
        body = {"kind": kind, "name": label, "url": url, "api_key": api_key, "settings": settings}
        return str(self.call("POST", "/connectors", body)["id"])

    async def ws_call(self, command: str, args: dict[str, Any] | None = None) -> Any:  # noqa: ANN401 - JSON
        """Run one command over an authenticated WebSocket and return the reply."""
        async with (
            aiohttp.ClientSession() as session,
            session.ws_connect(f"{self.url}/api/v1/ws") as socket,
        ):
            await socket.send_json({"type": "auth", "token": self.token})
            assert (await socket.receive_json())["type"] == "auth_ok"
            await socket.send_json({"id": 1, "command": command, "args": args or {}})
            return await socket.receive_json()

    def request(
        self, method: str, path: str, body: object = None, *, token: str | None = None
    ) -> tuple[int, Any]:
        """A blocking JSON call for simple tests; returns (status, decoded body)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}{path}", data=data, method=method)  # noqa: S310
        request.add_header("Authorization", f"Bearer {self.token if token is None else token}")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        return self._inside(_exchange, request)

    def _inside[T](self, function: Callable[..., T], *arguments: Any) -> T:  # noqa: ANN401 - passed on
        """Call function where the engine's 127.0.0.1 is (its network namespace, if any)."""
        return self.netns.run(function, *arguments) if self.netns else function(*arguments)


def _status(url: str) -> int:
    with urllib.request.urlopen(url, timeout=1) as answer:  # noqa: S310 - the engine's own URL
        return int(answer.status)


def _exchange(request: urllib.request.Request) -> tuple[int, Any]:
    """Send a JSON request; (status, decoded body), also for error statuses."""
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as err:
        raw = err.read()
        try:
            return err.code, json.loads(raw)
        except json.JSONDecodeError:
            return err.code, raw.decode(errors="replace")
