"""aiohttp application: /health, REST routes from the command registry, WebSocket, OpenAPI."""

from __future__ import annotations

import logging
from collections import defaultdict
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from haul_engine import __version__
from haul_engine.api.auth import bearer, token_matches
from haul_engine.api.jsonio import error_response, json_response, read_json, text_value
from haul_engine.api.openapi import openapi_document
from haul_engine.api.qbittorrent import QbittorrentApi
from haul_engine.api.tls import DualProtocolSite
from haul_engine.api.webhooks import webhook_routes
from haul_engine.api.websocket import WebSocketHandler
from haul_engine.errors import EngineError, InvalidInput

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
# the codes of aiohttp's own errors (a route or method the engine lacks: Home Assistant tells
# an engine too old for a command apart from a missing object)
HTTP_ERROR_CODES: dict[int, str] = {
    HTTPStatus.NOT_FOUND: "unknown_route",
    HTTPStatus.METHOD_NOT_ALLOWED: "method_not_allowed",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "too_large",
}
Handler = Any


class ApiServer:
    """Serves the engine's API on the configured host and port."""

    def __init__(self, engine: Engine) -> None:
        """Nothing listens until start."""
        self.engine = engine
        self._runner: web.AppRunner | None = None
        self.websockets = WebSocketHandler(engine)
        self.qbittorrent = QbittorrentApi(engine)
        self._index_page = INDEX_PAGE.read_bytes()

    def build_app(self) -> web.Application:
        """Assemble every route."""
        app = web.Application(
            client_max_size=MAX_BODY, middlewares=[json_errors, self._https_redirect]
        )
        app.router.add_get("/", self._index)
        app.router.add_get("/health", self._health)
        app.router.add_get(f"{API_PREFIX}/openapi.json", self._openapi)
        app.router.add_get(f"{API_PREFIX}/ws", self.websockets.handle)
        fixed_paths: dict[str, set[str]] = defaultdict(set)
        for command in self.engine.commands.commands.values():
            path = API_PREFIX + command.spec.path
            app.router.add_route(command.spec.method, path, self._rest_handler(command))
            if not command.path_params:
                fixed_paths[path].add(command.spec.method)
        for path, methods in fixed_paths.items():
            # another method on a fixed path is a 405, not a path value of a sibling route
            # (GET /torrents/pause is no GET /torrents/{info_hash})
            app.router.add_route("*", path, _not_allowed(methods))
        app.router.add_routes(webhook_routes(self.engine))
        app.router.add_routes(self.qbittorrent.routes())
        return app

    async def start(self) -> None:
        """Listen."""
        self._runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=2)
        await self._runner.setup()
        site = DualProtocolSite(
            self._runner, self.engine.settings.host, self.engine.settings.port, self.tls
        )
        await site.start()
        _LOGGER.info("listening on %s:%s", self.engine.settings.host, self.engine.settings.port)

    async def stop(self) -> None:
        """Stop listening and close WebSocket clients."""
        await self.websockets.close_all()
        if self._runner is not None:
            await self._runner.cleanup()

    def tls(self) -> ssl.SSLContext | None:
        """Return the context of TLS connections (while the WebUI's use_https is on)."""
        return self.engine.torrents.tls

    @web.middleware
    async def _https_redirect(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        """While TLS is on, send browsers and qBittorrent clients on plain HTTP to https://.

        Home Assistant's /api/v1 (and its WebSocket) and the watchdog's /health stay on both.
        """
        if self.tls() is not None and not request.secure and _for_browsers(request.path):
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
                values = [_argument(command, key, text) for text in request.query.getall(key)]
                args[key] = values if len(values) > 1 or command.takes_list(key) else values[0]
            try:
                if request.body_exists:
                    body = await read_json(request)
                    if not isinstance(body, dict):
                        msg = "body must be a JSON object"
                        raise InvalidInput(msg)
                    args.update(body)
                args.update(
                    (key, _argument(command, key, text)) for key, text in request.match_info.items()
                )
                result = await command.call(args)
            except EngineError as err:
                return json_response(err.shape(), err.status)
            return json_response(result)

        return handle


@web.middleware
async def json_errors(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Answer every error of the engine's API in the one JSON error shape.

    That is aiohttp's own (no such route, a method the route lacks, a body too large) and an
    unexpected exception, which is logged with its traceback. The page and qBittorrent's /api/v2
    answer as browsers and qBittorrent clients expect.
    """
    if _for_browsers(request.path):
        return await handler(request)
    try:
        return await handler(request)
    except web.HTTPException as err:
        if err.status < HTTPStatus.BAD_REQUEST:
            raise
        fallback = (
            "internal_error" if err.status >= HTTPStatus.INTERNAL_SERVER_ERROR else "invalid_input"
        )
        code = HTTP_ERROR_CODES.get(err.status, fallback)
        message = f"{request.method} {request.path}: {err.reason.lower()}"
        answer = error_response(err.status, code, message)
        if isinstance(err, web.HTTPMethodNotAllowed):
            answer.headers["Allow"] = ",".join(sorted(err.allowed_methods))
        return answer
    except Exception:
        _LOGGER.exception("%s %s failed", request.method, request.path)
        return error_response(500, "internal_error", "the engine failed unexpectedly: see its log")


def _for_browsers(path: str) -> bool:
    """Whether a path is the add-on's page or qBittorrent's WebAPI (not the engine's own API)."""
    return path in {"/", WEBUI} or path.startswith(f"{WEBUI}/")


def _not_allowed(methods: set[str]) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """Refuse the methods a fixed path lacks, naming the ones it has."""

    async def handle(request: web.Request) -> web.StreamResponse:
        raise web.HTTPMethodNotAllowed(request.method, methods)

    return handle


def _argument(command: Command, name: str, text: str) -> Any:  # noqa: ANN401 - any JSON value
    """Read a query or path value as the JSON its argument takes: `true`, `12`; text stays text."""
    return text if command.takes_text(name) else text_value(text)


def _unauthorized() -> web.Response:
    return error_response(401, "unauthorized", "a valid bearer token is required")
