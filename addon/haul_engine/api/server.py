"""aiohttp application: /health, REST routes from the command registry, WebSocket, OpenAPI."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from haul_engine import __version__
from haul_engine.api.auth import bearer, token_matches
from haul_engine.api.jsonio import error_response, json_response, loads
from haul_engine.api.openapi import openapi_document
from haul_engine.api.webhooks import webhook_routes
from haul_engine.api.websocket import WebSocketHandler
from haul_engine.errors import EngineError

if TYPE_CHECKING:
    from haul_engine.commands import Command
    from haul_engine.engine import Engine

_LOGGER = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
MAX_BODY = 16 * 1024 * 1024
INDEX_PAGE = Path(__file__).parent / "static" / "index.html"
Handler = Any


class ApiServer:
    """Serves the engine's API on the configured host and port."""

    def __init__(self, engine: Engine) -> None:
        """Nothing listens until start."""
        self.engine = engine
        self._runner: web.AppRunner | None = None
        self.websockets = WebSocketHandler(engine)

    def build_app(self) -> web.Application:
        """Assemble every route."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_get("/", self._index)
        app.router.add_get("/health", self._health)
        app.router.add_get(f"{API_PREFIX}/openapi.json", self._openapi)
        app.router.add_get(f"{API_PREFIX}/ws", self.websockets.handle)
        for command in self.engine.commands.commands.values():
            app.router.add_route(
                command.spec.method, API_PREFIX + command.spec.path, self._rest_handler(command)
            )
        app.router.add_routes(webhook_routes(self.engine))
        for controller in self.engine.controllers:
            app.router.add_routes(controller.http_routes())
        return app

    async def start(self) -> None:
        """Listen."""
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.engine.settings.host, self.engine.settings.port)
        await site.start()
        _LOGGER.info("listening on %s:%s", self.engine.settings.host, self.engine.settings.port)

    async def stop(self) -> None:
        """Stop listening and close WebSocket clients."""
        await self.websockets.close_all()
        if self._runner is not None:
            await self._runner.cleanup()

    def authorized(self, request: web.Request) -> bool:
        """Whether the request carries the engine's bearer token."""
        return token_matches(bearer(request.headers.get("Authorization")), self.engine.token)

    async def _index(self, _request: web.Request) -> web.FileResponse:
        """Serve the add-on's web UI: a static page that shows data only with the token."""
        return web.FileResponse(INDEX_PAGE)

    async def _health(self, _request: web.Request) -> web.Response:
        problems = self.engine.problems()
        return json_response({"status": "degraded" if problems else "ok", "version": __version__})

    async def _openapi(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            return _unauthorized()
        return json_response(openapi_document(self.engine.commands, API_PREFIX))

    def _rest_handler(self, command: Command) -> Handler:
        """Wrap a command as an aiohttp handler: auth, arguments from path, query and body."""

        async def handle(request: web.Request) -> web.StreamResponse:
            if command.spec.auth and not self.authorized(request):
                return _unauthorized()
            args: dict[str, Any] = {}
            for key in request.query:
                values = request.query.getall(key)
                args[key] = values if len(values) > 1 else values[0]
            if request.body_exists:
                try:
                    body = await request.json(loads=loads)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    return error_response(400, "invalid_input", "body is not valid JSON")
                if not isinstance(body, dict):
                    return error_response(400, "invalid_input", "body must be a JSON object")
                args.update(body)
            args.update(request.match_info)
            try:
                result = await command.call(args)
            except EngineError as err:
                return error_response(err.status, err.code, str(err))
            return json_response(result)

        return handle


def _unauthorized() -> web.Response:
    return error_response(401, "unauthorized", "a valid bearer token is required")
