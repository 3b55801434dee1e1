"""Fakes of Jellyfin, Emby and Plex Media Server: their authentication, payloads and refresh calls.

Each records every request it receives (method, path, query, lower-cased headers, JSON body) and
answers chosen paths with an HTTP status on demand (`fail`, or once: `fail_next`). Jellyfin 12
accepts only the `Authorization: MediaBrowser Token="…"` header; Emby also takes `X-Emby-Token`;
Plex takes `X-Plex-Token` and answers JSON only to `Accept: application/json` (XML otherwise).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.sax.saxutils import quoteattr

import orjson
from aiohttp import web

from tests.fakes.torznab import ThreadedServer

JELLYFIN_KEY = "jellyfin-api-key-4c2d9e7f1a0b"
EMBY_KEY = "emby-api-key-8b3e6a0d52c7"
PLEX_TOKEN = "plex-token-Zx81qPq3mVkA"  # noqa: S105 - a test value
_TOKEN = re.compile(r'Token="([^"]*)"')
PLEX_UNAUTHORIZED = (
    "<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Received:
    """One request as the fake saw it."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any = None


@dataclass
class PlexSection:
    """One Plex library section and the folders it holds."""

    key: str
    title: str
    type: str
    locations: list[str] = field(default_factory=list)


class FakeMediaServer(ThreadedServer):
    """Recording, failure injection and the shared HTTP plumbing of the fakes."""

    def __init__(self, api_key: str) -> None:
        """Accept this key."""
        super().__init__()
        self.api_key = api_key
        self.received: list[Received] = []
        self.fail: dict[str, int] = {}
        self.fail_next: dict[str, int] = {}

    def calls(self, method: str, path: str) -> list[Received]:
        """The requests received for one method and path."""
        return [r for r in self.received if r.method == method and r.path == path]

    def application(self) -> web.Application:
        """An app that records every request and fails the chosen paths."""
        return web.Application(middlewares=[self._record])

    @web.middleware
    async def _record(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        body = None
        if request.can_read_body:
            raw = await request.read()
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError:
                body = raw.decode(errors="replace")
        self.received.append(
            Received(
                request.method, request.path, dict(request.query),
                {key.lower(): value for key, value in request.headers.items()}, body,
            )
        )  # fmt: skip
        status = self.fail_next.pop(request.path, None) or self.fail.get(request.path)
        if status is not None:
            return web.Response(status=status, text=f"fake failure {status}")
        return await handler(request)


class FakeJellyfin(FakeMediaServer):
    """Jellyfin 12 (or Emby, flavour="emby"): system info and the two library refreshes."""

    def __init__(
        self, flavour: Literal["jellyfin", "emby"] = "jellyfin", *, api_key: str | None = None
    ) -> None:
        """Serve as Jellyfin or Emby; scan_seconds is how long a full scan blocks its answer."""
        super().__init__(api_key or (JELLYFIN_KEY if flavour == "jellyfin" else EMBY_KEY))
        self.flavour = flavour
        self.scan_seconds = 0.0
        self.scans_completed = 0

    def app(self) -> web.Application:
        """The routes Haul uses."""
        app = self.application()
        app.router.add_get("/System/Info", self._system_info)
        app.router.add_post("/Library/Media/Updated", self._media_updated)
        app.router.add_post("/Library/Refresh", self._refresh)
        return app

    def _authorized(self, request: web.Request) -> bool:
        tokens = [
            match.group(1)
            for header in ("Authorization", "X-Emby-Authorization")
            if (match := _TOKEN.search(request.headers.get(header, "")))
        ]
        if self.flavour == "emby":  # the legacy ways Jellyfin 12 no longer accepts
            tokens += [request.headers.get("X-Emby-Token"), request.query.get("api_key")]
        return self.api_key in tokens

    def _refused(self) -> web.Response:
        if self.flavour == "emby":
            return web.Response(status=401, text="Access token is invalid or expired.")
        return web.Response(status=401)

    async def _system_info(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._refused()
        if self.flavour == "emby":
            return web.json_response({
                "SystemUpdateLevel": "Release", "OperatingSystemDisplayName": "Linux",
                "HasPendingRestart": False, "IsShuttingDown": False, "OperatingSystem": "Linux",
                "SupportsLibraryMonitor": True, "WebSocketPortNumber": 8096,
                "CanSelfRestart": True, "CanSelfUpdate": False, "ProgramDataPath": "/config",
                "HttpServerPortNumber": 8096, "SupportsHttps": False, "HasUpdateAvailable": False,
                "LocalAddress": self.url, "ServerName": "emby-fake", "Version": "4.8.10.0",
                "Id": "7b3f4c1e2a5d4e6f8a9b0c1d2e3f4a5b",
            })  # fmt: skip
        return web.json_response({
            "OperatingSystemDisplayName": "Linux", "HasPendingRestart": False,
            "IsShuttingDown": False, "SupportsLibraryMonitor": True, "WebSocketPortNumber": 8096,
            "CompletedInstallations": [], "CanSelfRestart": True, "CanLaunchWebBrowser": False,
            "ProgramDataPath": "/config/data", "WebPath": "/jellyfin/jellyfin-web",
            "ItemsByNamePath": "/config/metadata", "CachePath": "/cache", "LogPath": "/config/log",
            "InternalMetadataPath": "/config/metadata", "TranscodingTempPath": "/cache/transcodes",
            "CastReceiverApplications": [], "HasUpdateAvailable": False,
            "EncoderLocation": "System", "SystemArchitecture": "X64", "LocalAddress": self.url,
            "ServerName": "jellyfin-fake", "Version": "12.0.0", "ProductName": "Jellyfin Server",
            "OperatingSystem": "", "Id": "0f6e3c4b5a7d48e29c1b2a3d4e5f6a7b",
            "StartupWizardCompleted": True,
        })  # fmt: skip

    async def _media_updated(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._refused()
        try:
            body = await request.json(loads=orjson.loads)
            updates = body["Updates"]
            valid = isinstance(updates, list) and all(isinstance(u["Path"], str) for u in updates)
        except (orjson.JSONDecodeError, KeyError, TypeError):
            valid = False
        if not valid:
            error = {"title": "One or more validation errors occurred.", "status": 400}
            return web.json_response(error, status=400)
        return web.Response(status=204)

    async def _refresh(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return self._refused()
        await asyncio.sleep(self.scan_seconds)  # Jellyfin answers once the scan is done
        self.scans_completed += 1
        return web.Response(status=204)


class FakePlex(FakeMediaServer):
    """Plex Media Server: identity, library sections with their locations, section refreshes."""

    def __init__(self, sections: list[PlexSection], *, api_key: str = PLEX_TOKEN) -> None:
        """Serve these library sections."""
        super().__init__(api_key)
        self.sections = sections

    def app(self) -> web.Application:
        """The routes Haul uses."""
        app = self.application()
        app.router.add_get("/identity", self._identity)
        app.router.add_get("/library/sections", self._sections)
        app.router.add_get("/library/sections/{key}/refresh", self._refresh)
        return app

    def _authorized(self, request: web.Request) -> bool:
        tokens = {request.headers.get("X-Plex-Token"), request.query.get("X-Plex-Token")}
        return self.api_key in tokens

    @staticmethod
    def _answer(request: web.Request, container: dict[str, Any], xml: str) -> web.Response:
        if "application/json" in request.headers.get("Accept", ""):
            return web.json_response({"MediaContainer": container})
        return web.Response(
            text=f'<?xml version="1.0" encoding="UTF-8"?>\n{xml}', content_type="text/xml"
        )

    async def _identity(self, request: web.Request) -> web.Response:
        container = {"size": 0, "claimed": True,
                     "machineIdentifier": "d1f2e3a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0",
                     "version": "1.41.3.9314-a0bfb8370"}  # fmt: skip
        xml = (
            f'<MediaContainer size="0" claimed="1" machineIdentifier='
            f'"{container["machineIdentifier"]}" version="{container["version"]}"/>'
        )
        return self._answer(request, container, xml)

    async def _sections(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401, text=PLEX_UNAUTHORIZED, content_type="text/html")
        directories = [
            {
                "allowSync": True, "art": f"/:/resources/{section.type}-fanart.jpg",
                "composite": f"/library/sections/{section.key}/composite/1732100000",
                "filters": True, "refreshing": False, "thumb": f"/:/resources/{section.type}.png",
                "key": section.key, "type": section.type, "title": section.title,
                "agent": "tv.plex.agents.movie", "scanner": "Plex Movie", "language": "en-US",
                "uuid": f"5b2c7d1e-0000-4000-8000-00000000000{section.key}",
                "updatedAt": 1732100000, "createdAt": 1700000000, "scannedAt": 1732100000,
                "content": True, "directory": True, "contentChangedAt": 123456, "hidden": 0,
                "Location": [
                    {"id": index, "path": path} for index, path in enumerate(section.locations, 1)
                ],
            }
            for section in self.sections
        ]  # fmt: skip
        container = {"size": len(directories), "allowSync": False, "title1": "Plex Library",
                     "Directory": directories}  # fmt: skip
        xml = "".join(
            f"<Directory key={quoteattr(section.key)} type={quoteattr(section.type)} "
            f"title={quoteattr(section.title)}>"
            + "".join(f'<Location id="{i}" path={quoteattr(p)}/>'
                      for i, p in enumerate(section.locations, 1))
            + "</Directory>"
            for section in self.sections
        )  # fmt: skip
        return self._answer(
            request, container, f'<MediaContainer size="{len(directories)}">{xml}</MediaContainer>'
        )

    async def _refresh(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.Response(status=401, text=PLEX_UNAUTHORIZED, content_type="text/html")
        if request.match_info["key"] not in {section.key for section in self.sections}:
            return web.Response(status=404)
        return web.Response(status=200)
