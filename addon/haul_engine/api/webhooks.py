"""The webhooks other apps call: Overseerr's into the request gate, the *arrs' into the library."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import web

from haul_engine.api.auth import webhook_secret_matches
from haul_engine.api.jsonio import error_response, json_response, read_json
from haul_engine.arr.kinds import WEBHOOK_PATH as ARR_PATH
from haul_engine.errors import EngineError, NotFound
from haul_engine.requests.overseerr import WEBHOOK_PATH as OVERSEERR_PATH

if TYPE_CHECKING:
    from haul_engine.api.server import Handler
    from haul_engine.engine import Engine


class WebhookReceiver(Protocol):
    """A controller that takes a connector's webhook."""

    def webhook_secret(self, connector_id: str) -> str | None:
        """Return the connector's webhook secret; NotFound when no enabled connector has the id."""

    async def receive_webhook(self, connector_id: str, body: Any) -> dict[str, Any]:  # noqa: ANN401 - any JSON
        """Act on a body (InvalidInput when it says nothing usable); return the answer."""


def webhook_routes(engine: Engine) -> list[web.RouteDef]:
    """Route each webhook to its controller (no bearer token: each connector has its secret)."""
    return [
        web.post(OVERSEERR_PATH, _handler(engine.requests)),
        web.post(ARR_PATH, _handler(engine.library)),
    ]


def _handler(receiver: WebhookReceiver) -> Handler:
    """Check the secret (in constant time), read the body strictly, hand it to the receiver."""

    async def handle(request: web.Request) -> web.Response:
        connector_id = request.match_info["connector_id"]
        try:
            secret = receiver.webhook_secret(connector_id)
        except NotFound as err:
            return error_response(404, err.code, str(err))
        if not webhook_secret_matches(request.headers.get("Authorization"), secret):
            return error_response(401, "unauthorized", "wrong or missing webhook secret")
        try:
            answer = await receiver.receive_webhook(connector_id, await read_json(request))
        except EngineError as err:  # InvalidInput: nothing usable in it; DiskFull, ...
            return error_response(err.status, err.code, str(err))
        return json_response(answer)

    return handle
