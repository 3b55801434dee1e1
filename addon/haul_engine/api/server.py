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
from haul_engine.api.tls import DualProtocolSite
from haul_engine.api.webhooks import webhook_routes
from haul_engine.api.websocket import WebSocketHandler
from haul_engine.errors import EngineError

if TYPE_CHECKING:
    import ssl
    from collections.abc import Awaitable, Callable

    from haul_engine.commands import Command
    from haul_engine.engine import Engine

_LOGGER = logging.getLogger(__name__)
API_PREFIX = "/api/v1"
WEBUI = "/api/v2"  # qBittorrent's WebAPI
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
        self._index_page = INDEX_PAGE.read_bytes()
        # the TLS connections' context while the WebUI's use_https is on (set by the torrents)
        self.tls: ssl.SSLContext | None = None

    def build_app(self) -> web.Application:
        """Assemble every route."""
        app = web.Application(client_max_size=MAX_BODY, middlewares=[self._https_redirect])
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
        site = DualProtocolSite(
            self._runner, self.engine.settings.host, self.engine.settings.port, lambda: self.tls
        )
        await site.start()
        _LOGGER.info("listening on %s:%s", self.engine.settings.host, self.engine.settings.port)

    async def stop(self) -> None:
        """Stop listening and close WebSocket clients."""
        await self.websockets.close_all()
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _https_redirect(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """While TLS is on, send browsers and qBittorrent clients on plain HTTP to https://.

        Home Assistant's /api/v1 (and its WebSocket) and the watchdog's /health stay on both.
        """
        path = request.path
        for_browsers = path in {"/", WEBUI} or path.startswith(f"{WEBUI}/")
        if self.tls is not None and not request.secure and for_browsers:
            try:
                secure = request.url.with_scheme("https")
            except ValueError:  # a Host header with a port that is none
                raise web.HTTPBadRequest(text="Bad Host header") from None
            raise web.HTTPTemporaryRedirect(secure)
        return await handler(request)

    def authorized(self, request: web.Request) -> bool:
        """Whether the request carries the engine's bearer token."""
        return token_matches(bearer(request.headers.get("Authorization")), self.engine.token)

    async def _index(self, _request: web.Request) -> web.Response:
        """Serve the add-on's web UI: a static page that shows data only with the token.

        It is answered from memory: clients probing the port (qbittorrent-api sends a HEAD to
        find the scheme) get an answer at once.
        """
        return web.Response(body=self._index_page, content_type="text/html")

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
