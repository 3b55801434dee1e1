"""The base *arr HTTP client: API key header, timeouts, retries with backoff, 429."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypedDict, Unpack

import aiohttp
import msgspec
import orjson

from haul_engine.errors import Unavailable
from haul_engine.http import new_session
from haul_engine.logs import SecretFilter, redact
from haul_engine.politeness import retry_after_seconds

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Mapping

    from msgspec.json import Decoder

    from haul_engine.connectors.kinds import ConnectorConfig

_LOGGER = logging.getLogger(__name__)
PAGE_SIZE = 1000
RETRY_AFTER_CAP = 60.0
HTTP_TOO_MANY = 429
RATE_LIMITED = "rate limited (HTTP 429)"
HTTP_SERVER_ERROR = 500
HTTP_UNAUTHORIZED = (401, 403)
Flavor = Literal["series", "movie", "music"]


class ArrError(Unavailable):
    """An *arr did not answer usefully; the message says what happened, never the key."""

    maybe_received = False  # a command that timed out may still have reached the *arr


class ArrAuthError(ArrError):
    """The *arr refused the API key."""


class ArrOfflineError(ArrError):
    """The *arr could not be reached at all."""


class ArrRateLimitedError(ArrError):
    """The *arr (or its indexers) kept answering 429; retry_after is what it asked for last."""

    def __init__(self, message: str, retry_after: float) -> None:
        """Keep how long the *arr asked to wait, in seconds."""
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How many times to try and how long to wait between tries."""

    attempts: int = 3
    backoff: float = 0.5
    timeout: float = 30.0


@dataclass(frozen=True, slots=True)
class AppInfo:
    """What system/status says the other end is."""

    app: str
    version: str

    @property
    def major(self) -> int:
        """The major version number (0 when unparseable)."""
        head = self.version.split(".", 1)[0]
        return int(head) if head.isdigit() else 0


class ClientOptions(TypedDict, total=False):
    """How a client reaches its *arr: over which session, with what retries and timeout."""

    session: aiohttp.ClientSession | None
    retry: RetryPolicy | None


class ArrClient:
    """JSON over HTTP to one *arr, on the engine's session (or on one of its own)."""

    api_base = "/api/v3"

    def __init__(self, config: ConnectorConfig, **options: Unpack[ClientOptions]) -> None:
        """Use the given session; without one, a session of its own opens on first use."""
        self.config = config
        self.retry = options.get("retry") or RetryPolicy()
        self._session = options.get("session")
        self._own_session: aiohttp.ClientSession | None = None
        self._timeout = aiohttp.ClientTimeout(total=self.retry.timeout)
        self._headers = {"X-Api-Key": config.api_key}
        self._json_headers = {**self._headers, "Content-Type": "application/json"}
        SecretFilter.register(config.api_key)

    async def close(self) -> None:
        """Close the session this client opened itself; a given one stays open."""
        if self._own_session is not None:
            await self._own_session.close()
            self._own_session = self._session = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            self._session = self._own_session = new_session()
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None = None,
        body: Any = None,  # noqa: ANN401 - any JSON body
        api: bool = True,
    ) -> Any:  # noqa: ANN401 - decoded JSON
        """Send one request, retrying transient failures; return the decoded JSON answer."""
        raw = await self._send(method, path, params=params, body=body, api=api)
        return _decode(raw, orjson.loads, self.config.name, path)

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str | int] | None,
        body: Any = None,  # noqa: ANN401 - any JSON body
        api: bool = True,
    ) -> bytes:
        """Send one request, retrying transient failures; return the successful answer's body."""
        url = self.config.url + (self.api_base if api else "") + path
        data = None if body is None else orjson.dumps(body)
        headers = self._headers if data is None else self._json_headers
        last_error = ""
        limited = 0.0  # what the latest 429 asked for
        repeatable = method == "GET"  # a command is never sent twice
        for attempt in range(1, self.retry.attempts + 1):
            delay = self.retry.backoff * 2 ** (attempt - 1)
            try:
                async with self._open().request(
                    method, url, params=params, data=data, headers=headers,
                    timeout=self._timeout, ssl=self.config.verify_tls,
                ) as answer:  # fmt: skip
                    raw = await answer.read()
                    if answer.status in HTTP_UNAUTHORIZED:
                        msg = f"{self.config.name}: the API key was refused (HTTP {answer.status})"
                        raise ArrAuthError(msg)
                    if answer.status == HTTP_TOO_MANY:
                        retry_after = answer.headers.get("Retry-After")
                        limited = retry_after_seconds(retry_after, delay)
                        delay = min(limited, RETRY_AFTER_CAP)
                        last_error = RATE_LIMITED
                    elif answer.status >= HTTP_SERVER_ERROR:
                        last_error = f"server error (HTTP {answer.status})"
                        if not repeatable:
                            break
                    elif answer.status >= 400:  # noqa: PLR2004 - client errors are final
                        msg = (
                            f"{self.config.name}: {method} {path} refused (HTTP {answer.status}): "
                        )
                        raise ArrError(msg + redact(raw[:200].decode(errors="replace")))
                    else:
                        return raw
            except (aiohttp.ClientConnectionError, TimeoutError) as err:
                last_error = f"unreachable ({type(err).__name__})"
                not_sent = isinstance(err, aiohttp.ClientConnectorError)
                if attempt == self.retry.attempts or not (repeatable or not_sent):
                    msg = f"{self.config.name}: {method} {path} failed: {last_error}"
                    offline = ArrOfflineError(msg)
                    offline.maybe_received = not not_sent
                    raise offline from None
            _LOGGER.debug("%s %s attempt %d: %s", method, path, attempt, last_error)
            if attempt < self.retry.attempts:
                await asyncio.sleep(delay)
        msg = f"{self.config.name}: {method} {path} failed after {attempt} tries: {last_error}"
        raise _gave_up(msg, last_error, limited)

    async def get(self, path: str, **params: str | int) -> Any:  # noqa: ANN401 - decoded JSON
        """GET a JSON resource."""
        return await self.request("GET", path, params=params)

    async def get_as[T](self, records: Decoder[T], path: str, **params: str | int) -> T:
        """GET a JSON resource straight into typed records."""
        raw = await self._send("GET", path, params=params)
        answer: T = _decode(raw, records.decode, self.config.name, path)
        return answer

    async def pages(self, path: str, **params: str | int) -> AsyncIterator[list[dict[str, Any]]]:
        """Yield the records of a paged resource, PAGE_SIZE at a time."""
        page = 1
        while True:
            answer = await self.get(path, page=page, pageSize=PAGE_SIZE, **params)
            records: list[dict[str, Any]] = answer.get("records") or []
            if records:
                yield records
            if page * PAGE_SIZE >= int(answer.get("totalRecords") or 0) or not records:
                return
            page += 1

    async def ping(self) -> bool:
        """Whether /ping answers (it needs no key)."""
        try:
            await self._send("GET", "/ping", params=None, api=False)
        except ArrError:
            return False
        return True

    async def status(self) -> AppInfo:
        """Ask system/status which app and version this is."""
        answer = await self.get("/system/status")
        if not isinstance(answer, dict) or "version" not in answer:
            msg = f"{self.config.name}: system/status did not look like an *arr"
            raise ArrError(msg)
        return AppInfo(str(answer.get("appName") or ""), str(answer["version"]))

    async def health(self) -> list[dict[str, Any]]:
        """Fetch the *arr's own health checks."""
        answer = await self.get("/health")
        return answer if isinstance(answer, list) else []

    async def command(self, name: str, **body: Any) -> dict[str, Any]:  # noqa: ANN401 - command fields
        """Start a command; the answer carries its id."""
        answer: dict[str, Any] = await self.request("POST", "/command", body={"name": name, **body})
        return answer

    async def command_status(self, command_id: int) -> dict[str, Any]:
        """Fetch the state of a started command."""
        answer: dict[str, Any] = await self.get(f"/command/{command_id}")
        return answer


def _gave_up(message: str, last_error: str, retry_after: float) -> ArrError:
    """Make the error after the last try: rate limited when the *arr kept answering 429."""
    if last_error == RATE_LIMITED:
        return ArrRateLimitedError(message, retry_after)
    return ArrError(message)


def _decode(raw: bytes, decode: Callable[[bytes], Any], name: str, path: str) -> Any:  # noqa: ANN401
    if not raw:
        return None
    try:
        return decode(raw)
    except msgspec.ValidationError as err:
        msg = f"{name}: {path} answered with records of an unexpected shape ({err})"
        raise ArrError(msg) from None
    except (orjson.JSONDecodeError, msgspec.DecodeError):
        msg = f"{name}: {path} answered with something that is not JSON"
        raise ArrError(msg) from None
