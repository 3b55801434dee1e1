"""qBittorrent WebAPI v2 on the engine's port: Sonarr, Radarr and dashboards see a qBittorrent."""

from __future__ import annotations

import base64
import binascii
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web
from multidict import MultiDict

from haul_engine.api.auth import bearer, token_matches
from haul_engine.api.jsonio import json_response
from haul_engine.api.qbittorrent.app import AppApi
from haul_engine.api.qbittorrent.auth import BANNED, Credentials, LoginGuard, LoginSessions
from haul_engine.api.qbittorrent.params import ApiError, Params, bad_params
from haul_engine.api.qbittorrent.torrents import TorrentsApi
from haul_engine.api.qbittorrent.transfer import SyncApi, TransferApi
from haul_engine.errors import EngineError, NotFound
from haul_engine.logs import SecretFilter

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from haul_engine.api.qbittorrent.params import Endpoints
    from haul_engine.engine import Engine

_LOGGER = logging.getLogger(__name__)
PREFIX = "/api/v2"


class QbittorrentApi:
    """The routes, login sessions and failed-login counts of the compatibility layer."""

    def __init__(self, engine: Engine) -> None:
        """Serve the engine's torrents with the credentials of its settings (and its token)."""
        self.engine = engine
        self.torrents = torrents = engine.torrents
        self.settings = engine.settings
        if self.settings.qbittorrent_password:
            SecretFilter.register(self.settings.qbittorrent_password)
        self.sessions = LoginSessions(lambda: torrents.preferences.session_seconds)
        self.credentials = Credentials(
            self.settings.qbittorrent_username,
            self.settings.qbittorrent_password,
            lambda: torrents.preferences.session_seconds,
        )
        self.guard = LoginGuard(
            lambda: torrents.preferences.max_auth_failures,
            lambda: torrents.preferences.ban_seconds,
        )
        listing = TorrentsApi(torrents, self.settings)
        self.groups: dict[str, Endpoints] = {
            "app": AppApi(torrents, self.settings).endpoints(),
            "torrents": listing.endpoints(),
            "transfer": TransferApi(torrents, self.settings).endpoints(),
            "sync": SyncApi(listing).endpoints(),
        }

    def routes(self) -> list[web.RouteDef]:
        """Every endpoint: reads answer GET and POST (as qBittorrent), changes only POST."""
        routes = [
            web.post(f"{PREFIX}/auth/login", self._login),
            web.post(f"{PREFIX}/auth/logout", self._logout),
        ]
        for scope, endpoints in self.groups.items():
            for action, (handler, changes) in endpoints.items():
                path = f"{PREFIX}/{scope}/{action}"
                routes.append(web.post(path, self._endpoint(handler)))
                if not changes:
                    routes.append(web.get(path, self._endpoint(handler)))
        return routes

    # ----- auth

    async def _refusal(self, request: web.Request) -> web.Response | None:
        """None when the request may go on; else the 401/403 answer (and a counted failure)."""
        if self._cross_site(request):
            return web.Response(status=401, text="Unauthorized")
        sid = request.cookies.get("SID")
        if sid is not None and self.sessions.valid(sid):
            return None
        header = request.headers.get("Authorization", "")
        scheme = header.partition(" ")[0].lower()
        if scheme not in {"basic", "bearer"}:
            return web.Response(status=403, text="Forbidden")
        remote = request.remote or ""
        if self.guard.banned(remote):
            return web.Response(status=403, text=BANNED)
        if scheme == "basic":
            try:
                decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            username, _, password = decoded.partition(":")
            accepted = await self.credentials.match_remembered(username, password)
        else:
            accepted = token_matches(bearer(header), self.engine.token)
        if accepted:
            self.guard.succeeded(remote)
            return None
        count = self.guard.failed(remote)
        _LOGGER.warning(
            "qBittorrent API: failed login from %s (%s, attempt %d)", remote, scheme, count
        )
        return web.Response(status=403, text="Forbidden")

    def _cross_site(self, request: web.Request) -> bool:
        """Apply qBittorrent's CSRF check when the preference asks for it.

        A request is refused whose Origin (else Referer) names another host:port than the one
        it was sent to.
        """
        if not self.torrents.preferences.csrf_protection:
            return False
        source = request.headers.get("Origin") or request.headers.get("Referer")
        if not source:
            return False
        target = request.headers.get("X-Forwarded-Host") or request.host
        try:
            origin, sent_to = urlsplit(source), urlsplit(f"//{target}")
            same = (origin.hostname, origin.port) == (sent_to.hostname, sent_to.port)
        except ValueError:  # a port that is not a number
            same = False
        return not same

    async def _login(self, request: web.Request) -> web.Response:
        if self._cross_site(request):
            return web.Response(status=401, text="Unauthorized")
        sid = request.cookies.get("SID")
        if sid is not None and self.sessions.valid(sid):
            return web.Response(text="Ok.")
        form = await request.post()
        remote = request.remote or ""
        if self.guard.banned(remote):
            return web.Response(status=403, text=BANNED)
        if not await self.credentials.match(
            str(form.get("username", "")), str(form.get("password", ""))
        ):
            count = self.guard.failed(remote)
            _LOGGER.warning("qBittorrent API: failed login from %s (attempt %d)", remote, count)
            return web.Response(text="Fails.")
        self.guard.succeeded(remote)
        response = web.Response(text="Ok.")
        response.set_cookie(
            "SID",
            self.sessions.start(),
            path="/",
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )
        return response

    async def _logout(self, request: web.Request) -> web.Response:
        refusal = await self._refusal(request)
        if refusal is not None:
            return refusal
        self.sessions.end(request.cookies.get("SID", ""))
        return web.Response()

    # ----- dispatch

    def _endpoint(
        self, handler: Callable[[Params], Awaitable[object]]
    ) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
        async def handle(request: web.Request) -> web.StreamResponse:
            refusal = await self._refusal(request)
            if refusal is not None:
                return refusal
            try:
                values = await _values(request)
            except ApiError as err:
                return web.Response(status=err.status, text=err.text)
            try:
                return _answer(await handler(Params(values)))
            except ApiError as err:
                return web.Response(status=err.status, text=err.text)
            except NotFound:
                return web.Response(status=404, text="Not Found")
            except EngineError as err:  # 400 InvalidInput, 409 Conflict, 503 Unavailable
                return web.Response(status=err.status, text=str(err))

        return handle


async def _values(request: web.Request) -> MultiDict[Any]:
    """Read the query and form values; 400 for a body that is not UTF-8 or not a form."""
    try:
        values: MultiDict[Any] = MultiDict(request.query)
        if request.method == "POST":
            values.extend(await request.post())
    except (UnicodeDecodeError, ValueError):
        raise bad_params() from None
    return values


def _answer(result: object) -> web.StreamResponse:
    """Shape a handler's result: nothing, text, a prepared response or JSON."""
    if isinstance(result, web.StreamResponse):
        return result
    if result is None:
        return web.Response()
    if isinstance(result, str):
        return web.Response(text=result)
    return json_response(result)
