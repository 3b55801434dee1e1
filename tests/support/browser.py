"""Home Assistant as a subprocess serving its real frontend; headless Chromium driven over CDP."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

import aiohttp

from tests.support.programs import free_port, require_program

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

REPO = Path(__file__).resolve().parents[2]
# Made by scripts/setup: Home Assistant 2026.10.4 (what the integration's tests run on) and the
# newest one (what scripts/develop runs), each on its Python >= 3.14.
TEST_HASS = REPO / ".ha-test" / "bin" / "hass"
SERVER_HASS = REPO / ".ha-server" / "bin" / "hass"
USERNAME = "owner"
PASSWORD = "card-test-password"  # noqa: S105 - a throwaway test user
# Every onboarding step but the user is marked done, so creating the user finishes onboarding.
ONBOARDING = {"version": 4, "minor_version": 1, "key": "onboarding",
              "data": {"done": ["core_config", "analytics", "integration"]}}  # fmt: skip
# Finds an element by CSS selector through every open shadow root, as a page script.
DEEP_QUERY = """
window.deepQuery = (selector, root = document) => {
  const found = root.querySelector(selector);
  if (found) return found;
  for (const element of root.querySelectorAll("*")) {
    const inner = element.shadowRoot && window.deepQuery(selector, element.shadowRoot);
    if (inner) return inner;
  }
  return null;
};
"""


def http_storage(port: int) -> dict[str, Any]:
    """Home Assistant's stored HTTP settings: loopback only, on this port, nothing to confirm."""
    settings = {
        "server_host": ["127.0.0.1"], "server_port": port, "use_x_frame_options": True,
        "cors_allowed_origins": ["https://cast.home-assistant.io"], "ip_ban_enabled": True,
        "login_attempts_threshold": -1, "ssl_profile": "modern",
        "created_at": "2026-01-01T00:00:00+00:00", "error": None, "error_message": None,
    }  # fmt: skip
    return {"version": 2, "minor_version": 2, "key": "http",
            "data": {"stable": settings, "pending": None, "yaml_migration_done": True}}  # fmt: skip


class HomeAssistantProcess:
    """Home Assistant (`hass -c`) on a free loopback port with custom_components/haul, onboarded."""

    def __init__(
        self, config_dir: Path, dashboard: dict[str, Any] | None = None, hass: Path = TEST_HASS
    ) -> None:
        """Prepare a configuration folder (with `dashboard` as the default dashboard)."""
        self.hass = require_program(str(hass))
        self.config_dir = config_dir
        self.dashboard = dashboard
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.tokens: dict[str, Any] = {}
        self.log_path = config_dir.parent / f"{config_dir.name}-homeassistant.log"

    @property
    def url(self) -> str:
        """Where Home Assistant answers."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def client_id(self) -> str:
        """The OAuth client id of the frontend, which is its own origin."""
        return f"{self.url}/"

    @property
    def log(self) -> str:
        """Everything Home Assistant wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _write_config(self) -> None:
        storage = self.config_dir / ".storage"
        storage.mkdir(parents=True, exist_ok=True)
        (self.config_dir / "custom_components").mkdir(exist_ok=True)
        (self.config_dir / "custom_components" / "haul").symlink_to(
            REPO / "custom_components" / "haul"
        )
        (self.config_dir / "configuration.yaml").write_text(
            "homeassistant:\n  name: Haul test\n  time_zone: UTC\n"
            # recorder as in every installation: the frontend asks it (recorder/info) at once
            "frontend:\nconfig:\nrecorder:\nlogger:\n  default: warning\n"
        )
        # HTTP settings live in storage since 2026 (YAML ones are a trial to confirm in a dialog).
        (storage / "http").write_text(json.dumps(http_storage(self.port)))
        (storage / "onboarding").write_text(json.dumps(ONBOARDING))
        if self.dashboard is not None:
            lovelace = {"version": 1, "minor_version": 1, "key": "lovelace",
                        "data": {"config": self.dashboard}}  # fmt: skip
            (storage / "lovelace").write_text(json.dumps(lovelace))

    def start(self, timeout: float = 90.0) -> Self:
        """Start, wait for the HTTP API, create the owner and log in."""
        self._write_config()
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [self.hass, "-c", str(self.config_dir), "--skip-pip"],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while not self._answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                message = f"Home Assistant did not start:\n{self.log[-4000:]}"
                raise RuntimeError(message)
            time.sleep(0.2)
        code = self.call("POST", "/api/onboarding/users", {
            "client_id": self.client_id, "name": "Owner", "username": USERNAME,
            "password": PASSWORD, "language": "en",
        })["auth_code"]  # fmt: skip
        self.tokens = self.call("POST", "/auth/token", {
            "grant_type": "authorization_code", "code": code, "client_id": self.client_id,
        }, form=True)  # fmt: skip
        while self.call("GET", "/api/config")["state"] != "RUNNING":
            if time.monotonic() > deadline:
                message = f"Home Assistant did not finish starting:\n{self.log[-4000:]}"
                raise RuntimeError(message)
            time.sleep(0.2)
        return self

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/manifest.json", timeout=1):  # noqa: S310
                return True
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            return False

    def call(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, form: bool = False
    ) -> Any:  # noqa: ANN401 - JSON
        """A blocking call to Home Assistant's HTTP API as the owner; returns the decoded answer."""
        data = None
        headers = {}
        if body is not None:
            data = urllib.parse.urlencode(body).encode() if form else json.dumps(body).encode()
            headers["Content-Type"] = (
                "application/x-www-form-urlencoded" if form else "application/json"
            )
        if "access_token" in self.tokens:
            headers["Authorization"] = f"Bearer {self.tokens['access_token']}"
        request = urllib.request.Request(  # noqa: S310
            self.url + path, data=data, headers=headers, method=method
        )
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
            raw = answer.read()
            return json.loads(raw) if raw else None

    def add_haul(self, url: str, token: str) -> str:
        """Add the Haul integration through its config flow; returns the entry id."""
        flows = "/api/config/config_entries/flow"
        flow = self.call("POST", flows, {"handler": "haul"})
        result = self.call("POST", f"{flows}/{flow['flow_id']}", {"url": url, "token": token})
        if result.get("type") != "create_entry":
            message = f"the Haul config flow did not finish: {result}"
            raise RuntimeError(message)
        return str(result["result"]["entry_id"])

    async def add_user(self, name: str, username: str, password: str) -> dict[str, Any]:
        """Create a user who is no administrator (as the owner does in Settings → People) and log
        them in; their tokens, for `local_storage`.
        """
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"{self.url}/api/websocket") as socket:
                await socket.receive_json()  # auth_required
                await socket.send_json(
                    {"type": "auth", "access_token": self.tokens["access_token"]}
                )
                await socket.receive_json()  # auth_ok
                await socket.send_json({"id": 1, "type": "config/auth/create", "name": name,
                                        "group_ids": ["system-users"]})  # fmt: skip
                user = (await socket.receive_json())["result"]["user"]
                await socket.send_json({
                    "id": 2, "type": "config/auth_provider/homeassistant/create",
                    "user_id": user["id"], "username": username, "password": password,
                })  # fmt: skip
                created = await socket.receive_json()
                if not created["success"]:
                    message = f"the user was not created: {created}"
                    raise RuntimeError(message)
            client = {"client_id": self.client_id}
            flow_body = {
                **client,
                "handler": ["homeassistant", None],
                "redirect_uri": self.client_id,
            }
            async with session.post(f"{self.url}/auth/login_flow", json=flow_body) as answer:
                flow = await answer.json()
            login = {**client, "username": username, "password": password}
            async with session.post(
                f"{self.url}/auth/login_flow/{flow['flow_id']}", json=login
            ) as answer:
                code = (await answer.json())["result"]
            grant = {**client, "grant_type": "authorization_code", "code": code}
            async with session.post(f"{self.url}/auth/token", data=grant) as answer:
                tokens: dict[str, Any] = await answer.json()
                return tokens

    def local_storage(self, tokens: dict[str, Any] | None = None) -> dict[str, str]:
        """What the frontend keeps in localStorage once logged in (so the browser is logged in),
        as the owner or as the user of the given tokens.
        """
        tokens = tokens or self.tokens
        tokens = {
            **tokens,
            "hassUrl": self.url,
            "clientId": self.client_id,
            "expires": int(time.time() * 1000) + int(self.tokens["expires_in"]) * 1000,
        }
        return {"hassTokens": json.dumps(tokens)}

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM, and SIGKILL when it does not end in time."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Browser:
    """Headless Chromium with one page, driven over the Chrome DevTools Protocol."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap a connected page; use `Browser.launch`."""
        self._socket = socket
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self.errors: list[str] = []
        self.artifacts: Path | None = None
        self._reader = asyncio.create_task(self._read())

    @classmethod
    @contextlib.asynccontextmanager
    async def launch(cls, chromium: str, profile: Path) -> AsyncIterator[Browser]:
        """Start Chromium on a fresh profile, attach to its page, and end it afterwards."""
        port = free_port()
        process = await asyncio.create_subprocess_exec(
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
            "--no-first-run", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
            f"--remote-debugging-port={port}", "about:blank",
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
        )  # fmt: skip
        try:
            async with aiohttp.ClientSession() as session:
                page = await _page_socket_url(session, f"http://127.0.0.1:{port}")
                async with session.ws_connect(page, max_msg_size=0) as socket:
                    browser = cls(socket)
                    try:
                        for domain in ("Page", "Runtime", "Log"):
                            await browser.send(f"{domain}.enable")
                        await browser.send(
                            "Page.addScriptToEvaluateOnNewDocument", source=DEEP_QUERY
                        )
                        yield browser
                    finally:
                        browser._reader.cancel()
                        with contextlib.suppress(asyncio.CancelledError):
                            await browser._reader
        finally:
            process.kill()
            await process.wait()

    async def _read(self) -> None:
        async for message in self._socket:
            data = json.loads(message.data)
            if "id" in data:
                self._pending.pop(data["id"]).set_result(data)
            elif error := _page_error(data.get("method"), data.get("params", {})):
                self.errors.append(error)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:  # noqa: ANN401 - CDP values
        """Run a DevTools command; returns its result."""
        message_id = next(self._ids)
        answer = self._pending[message_id] = asyncio.get_running_loop().create_future()
        await self._socket.send_json({"id": message_id, "method": method, "params": params})
        data = await asyncio.wait_for(answer, 30)
        if "error" in data:
            message = f"{method}: {data['error']}"
            raise RuntimeError(message)
        return dict(data["result"])

    async def evaluate(self, expression: str) -> Any:  # noqa: ANN401 - any JSON value
        """Evaluate JavaScript in the page (awaiting a promise) and return its JSON value."""
        result = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            message = f"{expression}: {result['exceptionDetails']}"
            raise RuntimeError(message)
        return result["result"].get("value")

    async def wait_for(self, expression: str, within: float = 20.0) -> Any:  # noqa: ANN401
        """Evaluate until truthy (an element counts) and return it; else save `failure.png`."""
        try:
            check = (
                f"(() => {{ try {{ const value = {expression};"
                " return value instanceof Node || value; } catch { return null; } })()"
            )
            async with asyncio.timeout(within):
                while not (value := await self.evaluate(check)):  # noqa: ASYNC110 - polls the page
                    await asyncio.sleep(0.1)
        except TimeoutError:
            if self.artifacts is not None:
                await self.screenshot(self.artifacts / "failure.png")
            message = f"never true: {expression}; page errors: {self.errors}"
            raise AssertionError(message) from None
        return value

    async def open(self, url: str, local_storage: dict[str, str]) -> None:
        """Load a page of an origin whose localStorage holds the given items."""
        items = json.dumps(local_storage)
        await self.send(
            "Page.addScriptToEvaluateOnNewDocument",
            source=f"if (location.origin !== 'null') for (const [k, v] of Object.entries({items}))"
            " localStorage.setItem(k, v);",
        )
        await self.send("Page.navigate", url=url)

    async def click(self, element: str) -> None:
        """Click the middle of an element (a JavaScript expression) with the mouse."""
        x, y = await self.wait_for(
            f"(() => {{ const element = {element}; element.scrollIntoView({{block: 'center'}});"
            " const box = element.getBoundingClientRect();"
            " return box.width && [box.x + box.width / 2, box.y + box.height / 2]; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            await self.send(
                "Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1
            )

    async def emulate(self, width: int, height: int, *, dark: bool) -> None:
        """Set the window size (phone-like below 600 px) and the preferred colour scheme."""
        await self.send(
            "Emulation.setDeviceMetricsOverride",
            width=width, height=height, deviceScaleFactor=1, mobile=width < 600,
        )  # fmt: skip
        scheme = "dark" if dark else "light"
        await self.send(
            "Emulation.setEmulatedMedia",
            features=[{"name": "prefers-color-scheme", "value": scheme}],
        )

    async def screenshot(self, path: Path) -> None:
        """Save what the page shows as a PNG."""
        path.parent.mkdir(parents=True, exist_ok=True)
        shot = await self.send("Page.captureScreenshot", format="png")
        await asyncio.to_thread(path.write_bytes, base64.b64decode(shot["data"]))


def _page_error(method: str | None, params: dict[str, Any]) -> str | None:
    """What went wrong in the page, if a DevTools event says so."""
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        thrown = details.get("exception", {})
        frames = details.get("stackTrace", {}).get("callFrames", [])
        where = f" at {frames[0]['functionName']} {frames[0]['url']}" if frames else ""
        return f"{details.get('text', '')} {_described(thrown)}{where}".strip()
    if method == "Log.entryAdded" and params["entry"]["level"] == "error":
        return f"{params['entry']['text']} {params['entry'].get('url', '')}"
    if method == "Runtime.consoleAPICalled" and params["type"] == "error":
        frames = params.get("stackTrace", {}).get("callFrames", [])
        where = f" at {frames[0]['functionName']} {frames[0]['url']}" if frames else ""
        return " ".join(_described(arg) for arg in params["args"]) + where
    return None


def _described(value: dict[str, Any]) -> str:
    """A console argument as text; an object by its properties (DevTools' preview)."""
    if "value" in value:
        return str(value["value"])
    preview = value.get("preview", {}).get("properties", [])
    shown = ", ".join(f"{item['name']}: {item.get('value')}" for item in preview)
    return f"{value.get('description')} {{{shown}}}" if preview else str(value.get("description"))


async def _page_socket_url(session: aiohttp.ClientSession, base: str) -> str:
    """Wait for Chromium's DevTools endpoint and return its page's WebSocket URL."""
    async with asyncio.timeout(20):
        while True:
            with contextlib.suppress(aiohttp.ClientError):
                async with session.get(f"{base}/json/list") as answer:
                    pages = [t for t in await answer.json() if t["type"] == "page"]
                    if pages:
                        return str(pages[0]["webSocketDebuggerUrl"])
            await asyncio.sleep(0.1)
