"""Client of the Haul engine API: REST calls and the WebSocket event stream; no HA code."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

import aiohttp

from .engine_api import EngineCommands

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Mapping

    from .engine_api import EngineInfo as EngineInfoView
    from .engine_api import KindView

SCHEMA_VERSION = 3
REQUEST_TIMEOUT = 10.0
# The engine pings every 30 s: a socket silent for longer than this is gone (no aiohttp heartbeat,
# whose timer aiohttp 3.14 can leave behind after a close).
WS_IDLE_TIMEOUT = 75.0
HTTP_BAD_REQUEST = 400
HTTP_UNAUTHORIZED = 401
BODY_METHODS = {"POST", "PUT", "PATCH"}
NOT_JSON = object()  # `null` is a valid answer (commands without a result)


class HaulError(Exception):
    """Any failure talking to the engine."""


class HaulConnectionError(HaulError):
    """The engine cannot be reached or the connection broke."""


class HaulAuthError(HaulError):
    """The engine refused the token."""


class HaulIncompatibleError(HaulError):
    """The engine does not speak this client's API schema version."""


class HaulCommandError(HaulError):
    """The engine answered a call with an error."""

    def __init__(
        self, code: str, message: str, command: str = "", details: dict[str, Any] | None = None
    ) -> None:
        """Keep the code, the engine's message, the command that failed and the error's details."""
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.command = command
        self.details = details or {}


@dataclass(frozen=True, slots=True)
class EngineInfo:
    """Who the engine is and which API schema range it speaks."""

    version: str
    schema_version: int
    min_schema_version: int
    server_id: str
    features: tuple[str, ...]

    @classmethod
    def from_dict(cls, data: EngineInfoView) -> Self:
        """Parse the `system/info` result."""
        return cls(
            version=data["version"],
            schema_version=data["schema_version"],
            min_schema_version=data["min_schema_version"],
            server_id=data["server_id"],
            features=tuple(data["features"]),
        )

    @property
    def compatible(self) -> bool:
        """Whether the engine speaks this client's schema version."""
        return self.min_schema_version <= SCHEMA_VERSION <= self.schema_version


@dataclass(frozen=True, slots=True)
class SystemStatus:
    """How the engine is doing: the `system/status` result and the heartbeat payload."""

    version: str
    status: str
    problems: tuple[str, ...]
    started_at: datetime
    uptime_seconds: float
    download_dir: str
    disk_free_bytes: int
    disk_total_bytes: int
    counts: dict[str, int]
    has_vpn: bool = False  # the engine brings up a WireGuard tunnel of its own
    vpn_public_ip: str | None = None  # while the tunnel is up
    vpn_forwarded_port: int | None = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Parse the engine's JSON."""
        vpn = data.get("vpn") or {}
        return cls(
            version=data["version"],
            status=data["status"],
            problems=tuple(data["problems"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            uptime_seconds=data["uptime_seconds"],
            download_dir=data["download_dir"],
            disk_free_bytes=data["disk_free_bytes"],
            disk_total_bytes=data["disk_total_bytes"],
            counts=dict(data["counts"]),
            has_vpn=bool(vpn),
            vpn_public_ip=vpn.get("public_ip") or None,
            vpn_forwarded_port=vpn.get("forwarded_port") or None,
        )


@dataclass(frozen=True, slots=True)
class ConnectorKind:
    """A connector kind the engine serves: what it is and its settings' JSON schema."""

    name: str
    title: str
    category: str
    requires_api_key: bool
    default_url: str
    webhook_path: str | None  # where the app sends its webhook, with {connector_id}
    webhook_secret: str | None  # the setting holding the webhook's secret
    settings_schema: dict[str, Any]

    @classmethod
    def from_dict(cls, data: KindView) -> Self:
        """Parse one `KindView` of `connectors/kinds`."""
        webhook = data["webhook"]
        return cls(
            name=data["name"],
            title=data["title"],
            category=data["category"],
            requires_api_key=data["requires_api_key"],
            default_url=data["default_url"],
            webhook_path=webhook and webhook["path"],
            webhook_secret=webhook and webhook["secret_setting"],
            settings_schema=data["settings_schema"],
        )


@dataclass(frozen=True, slots=True)
class HaulEvent:
    """One event pushed by the engine: its data is the view of its object (kind, id) as of revision.

    A notice (the VPN went down) is about no object: kind None, revision 0.
    """

    name: str
    data: dict[str, Any]
    at: datetime
    kind: str | None = None
    object_id: str | int | None = None
    revision: int = 0

    @classmethod
    def from_message(cls, message: dict[str, Any]) -> Self:
        """Parse the engine's event envelope."""
        about = message["object"]
        return cls(
            name=str(message["event"]),
            data=dict(message["data"]),
            at=datetime.fromisoformat(message["at"]),
            kind=None if about is None else str(about["kind"]),
            object_id=None if about is None else about["id"],
            revision=0 if about is None else int(about["revision"]),
        )


class EventStream:
    """An authenticated, subscribed WebSocket; iterate it for events until the connection ends."""

    def __init__(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        """Wrap a subscribed socket."""
        self._socket = socket

    async def __aiter__(self) -> AsyncIterator[HaulEvent]:
        """Yield events; raise HaulConnectionError when the connection ends or lies."""
        while True:
            message = await _receive_json(self._socket)
            if message.get("type") != "event":
                continue
            try:
                event = HaulEvent.from_message(message)
            except (KeyError, TypeError, ValueError) as err:
                msg = f"the engine sent an event Haul cannot read: {err!r}"
                raise HaulConnectionError(msg) from err
            yield event

    async def close(self) -> None:
        """Close the WebSocket."""
        await self._socket.close()


class HaulClient(EngineCommands):
    """Talks to one engine through the given aiohttp session: `EngineCommands`, events, checks."""

    def __init__(self, url: str, token: str, session: aiohttp.ClientSession) -> None:
        """Remember where the engine is and how to authenticate."""
        self.url = url.rstrip("/")
        self._token = token
        self._session = session

    async def call(self, method: str, path: str, arguments: Mapping[str, Any]) -> Any:  # noqa: ANN401 - JSON
        """Run a command under /api/v1 and return its decoded JSON result."""
        as_body = method in BODY_METHODS
        try:
            async with self._session.request(
                method,
                f"{self.url}/api/v1{path}",
                json=dict(arguments) if as_body else None,
                params=None if as_body else _query(arguments),
                headers={"Authorization": f"Bearer {self._token}"},
                timeout=aiohttp.ClientTimeout(total=REQUEST_TIMEOUT),
            ) as response:
                status, text = response.status, await response.text()
        except (aiohttp.ClientError, TimeoutError) as err:
            msg = f"cannot connect to {self.url}: {err}"
            raise HaulConnectionError(msg) from err
        if status == HTTP_UNAUTHORIZED:
            msg = "the engine refused the token"
            raise HaulAuthError(msg)
        try:
            result = json.loads(text)
        except ValueError:
            result = NOT_JSON
        if status >= HTTP_BAD_REQUEST:
            error = result.get("error") if isinstance(result, dict) else None
            command = f"{method} {path}"
            if isinstance(error, dict):
                details = error.get("details")
                raise HaulCommandError(
                    str(error.get("code")),
                    str(error.get("message")),
                    command,
                    details if isinstance(details, dict) else None,
                )
            raise HaulCommandError(str(status), text, command)
        if result is NOT_JSON:
            msg = f"the engine answered {path} with something that is not JSON"
            raise HaulError(msg)
        return result

    async def info(self) -> EngineInfo:
        """Identify the engine; raise HaulIncompatibleError when its schema range excludes ours."""
        answer = await self.system_info()
        try:
            info = EngineInfo.from_dict(answer)
        except (KeyError, TypeError, ValueError) as err:
            msg = f"{self.url} does not answer as a Haul engine ({err!r})"
            raise HaulError(msg) from err
        if not info.compatible:
            msg = (
                f"the engine speaks API schema {info.min_schema_version}-{info.schema_version}, "
                f"this integration needs {SCHEMA_VERSION}"
            )
            raise HaulIncompatibleError(msg)
        return info

    async def kinds(self) -> dict[str, ConnectorKind]:
        """Read the connector kinds the engine serves, by name."""
        kinds = map(ConnectorKind.from_dict, await self.connectors_kinds())
        return {kind.name: kind for kind in kinds}

    async def subscribe(self) -> EventStream:
        """Open the WebSocket, authenticate and subscribe; the caller closes the stream."""
        try:
            socket = await self._session.ws_connect(
                f"{self.url}/api/v1/ws",
                timeout=aiohttp.ClientWSTimeout(ws_close=REQUEST_TIMEOUT),
            )
        except (aiohttp.ClientError, TimeoutError) as err:
            msg = f"cannot connect to {self.url}: {err}"
            raise HaulConnectionError(msg) from err
        try:
            await self._handshake(socket)
        except BaseException:
            await socket.close()
            raise
        return EventStream(socket)

    async def _handshake(self, socket: aiohttp.ClientWebSocketResponse) -> None:
        """Authenticate and subscribe."""
        await _send_json(socket, {"type": "auth", "token": self._token})
        if (await _receive_json(socket)).get("type") != "auth_ok":
            msg = "the engine refused the token"
            raise HaulAuthError(msg)
        await _send_json(socket, {"id": 1, "command": "subscribe"})
        while (reply := await _receive_json(socket)).get("id") != 1:
            pass
        if "error" in reply:
            error = reply["error"] if isinstance(reply["error"], dict) else {}
            raise HaulCommandError(str(error.get("code")), str(error.get("message")))


def _query(arguments: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Write arguments as the engine reads a query: text as it is, others as JSON, None left out."""
    return [
        (name, one if isinstance(one, str) else json.dumps(one))
        for name, value in arguments.items()
        if value is not None
        for one in (value if isinstance(value, list) else [value])
    ]


async def _send_json(socket: aiohttp.ClientWebSocketResponse, message: dict[str, Any]) -> None:
    try:
        await socket.send_json(message)
    except (aiohttp.ClientError, ConnectionError) as err:
        msg = f"the connection to the engine broke: {err}"
        raise HaulConnectionError(msg) from err


async def _receive_json(socket: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """Read the next JSON object; raise HaulConnectionError once the socket closes."""
    try:
        message = await socket.receive(timeout=WS_IDLE_TIMEOUT)
    except TimeoutError as err:
        msg = f"the engine sent nothing for {WS_IDLE_TIMEOUT:.0f} s"
        raise HaulConnectionError(msg) from err
    except (aiohttp.ClientError, ConnectionError) as err:
        msg = f"the connection to the engine broke: {err}"
        raise HaulConnectionError(msg) from err
    if message.type != aiohttp.WSMsgType.TEXT:
        msg = f"the engine closed the connection ({message.type.name})"
        raise HaulConnectionError(msg)
    try:
        decoded = message.json()
    except ValueError as err:
        msg = "the engine sent something that is not JSON"
        raise HaulConnectionError(msg) from err
    if not isinstance(decoded, dict):
        msg = "the engine sent something that is not a JSON object"
        raise HaulConnectionError(msg)
    return decoded
