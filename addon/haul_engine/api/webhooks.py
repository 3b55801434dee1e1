"""The webhooks other apps call: Overseerr's into the request gate, the *arrs' into the library."""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from haul_engine.api.auth import webhook_secret_matches
from haul_engine.api.jsonio import error_response, json_response, read_json
from haul_engine.arr.kinds import WEBHOOK_PATH as ARR_PATH
from haul_engine.errors import EngineError, NotFound
from haul_engine.requests.overseerr import WEBHOOK_PATH as OVERSEERR_PATH

if TYPE_CHECKING:
    from collections.abc import Callable

    from haul_engine.api.server import Handler
    from haul_engine.engine import Engine

_LOGGER = logging.getLogger(__name__)
MAX_FAILURES = 10  # wrong secrets a connector's webhook takes in FAILURE_WINDOW
FAILURE_WINDOW = 600.0  # seconds
HTTP_TOO_MANY = 429


class FailedAttempts:
    """Wrong webhook secrets per connector: past MAX_FAILURES in FAILURE_WINDOW, calls wait.

    While a connector waits, every call is refused, right secret or not, so guessing learns
    nothing; the window frees up as the oldest failures age out.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        """Count nothing yet."""
        self._clock = clock
        self._failures: dict[str, deque[float]] = {}

    def wait(self, key: str) -> float:
        """Seconds before key's webhook takes a call again (0: now)."""
        failures = self._failures.get(key)
        if failures is None or len(failures) < MAX_FAILURES:
            return 0.0
        return max(failures[0] + FAILURE_WINDOW - self._clock(), 0.0)

    def fail(self, key: str) -> None:
        """Count a wrong secret for key."""
        failures = self._failures.setdefault(key, deque(maxlen=MAX_FAILURES))
        failures.append(self._clock())
        if len(failures) == MAX_FAILURES and self.wait(key) > 0:
            _LOGGER.warning(
                "webhook %s: %d wrong secrets in %.0f s; refusing its calls for a while",
                key, MAX_FAILURES, FAILURE_WINDOW,
            )  # fmt: skip


class WebhookReceiver(Protocol):
    """A controller that takes a connector's webhook."""

    def webhook_secret(self, connector_id: str) -> str | None:
        """Return the connector's webhook secret; NotFound when no enabled connector has the id."""

    async def receive_webhook(self, connector_id: str, body: Any) -> dict[str, Any]:  # noqa: ANN401 - any JSON
        """Act on a body (InvalidInput when it says nothing usable); return the answer."""


def webhook_routes(engine: Engine) -> list[web.RouteDef]:
    """Route each webhook to its controller (no bearer token: each connector has its secret)."""
    attempts = FailedAttempts()
    return [
        web.post(OVERSEERR_PATH, _handler(engine.requests, attempts)),
        web.post(ARR_PATH, _handler(engine.library, attempts)),
    ]


def _handler(receiver: WebhookReceiver, attempts: FailedAttempts) -> Handler:
    """Check the secret (in constant time, guesses limited), read the body strictly, hand it on."""

    async def handle(request: web.Request) -> web.Response:
        connector_id = request.match_info["connector_id"]
        try:
            secret = receiver.webhook_secret(connector_id)
        except NotFound as err:
            return error_response(404, err.code, str(err))
        if wait := attempts.wait(connector_id):
            refused = error_response(
                HTTP_TOO_MANY, "too_many_requests",
                "too many wrong webhook secrets for this connector; try again later",
            )  # fmt: skip
            refused.headers["Retry-After"] = str(math.ceil(wait))
            return refused
        if not webhook_secret_matches(request.headers.get("Authorization"), secret):
            attempts.fail(connector_id)
            return error_response(401, "unauthorized", "wrong or missing webhook secret")
        try:
            answer = await receiver.receive_webhook(connector_id, await read_json(request))
        except EngineError as err:  # InvalidInput: nothing usable in it; DiskFull, ...
            return error_response(err.status, err.code, str(err))
        return json_response(answer)

    return handle
