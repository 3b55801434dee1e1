"""Jellyfin, Emby and Plex clients: identify the server, targeted and full library refreshes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import aiohttp
import orjson

from haul_engine.logs import redact

if TYPE_CHECKING:
    from collections.abc import Mapping

    from haul_engine.connectors.kinds import ConnectorConfig, HealthStatus

CALL_TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)
FULL_REFRESH_TIMEOUT = aiohttp.ClientTimeout(total=3600, sock_connect=10)
HTTP_UNAUTHORIZED = frozenset({401, 403})
HTTP_ERROR = 400
MEDIA_EXTENSIONS = frozenset({
    "mkv", "mp4", "m4v", "avi", "mov", "wmv", "ts", "m2ts", "mpg", "mpeg", "webm", "flv", "iso",
    "strm", "mp3", "flac", "m4a", "m4b", "aac", "ogg", "opus", "wav", "wma", "alac", "ape", "dsf",
    "srt", "ass", "ssa", "sub", "idx", "vtt",
})  # fmt: skip


class MediaServerError(Exception):
    """A media server call failed; health says what that means for the connector."""

    def __init__(self, message: str, health: HealthStatus = "degraded") -> None:
        """Keep the message and the health it implies."""
        super().__init__(message)
        self.health: HealthStatus = health


@dataclass(frozen=True, slots=True)
class ServerInfo:
    """What answered: the app and its version."""

    app: str
    version: str | None


class MediaServerClient:
    """Calls to one media server over a shared aiohttp session; subclasses speak each API."""

    app: ClassVar[str]  # the name the server gives itself
    title: ClassVar[str]  # the name people call it
    default_url: ClassVar[str]  # where it listens when installed with its defaults

    def __init__(self, config: ConnectorConfig, session: aiohttp.ClientSession) -> None:
        """Bind to a connector and a session."""
        self.config = config
        self.session = session

    def auth_headers(self) -> dict[str, str]:
        """Return the headers that carry the API key."""
        raise NotImplementedError

    async def identify(self) -> ServerInfo:
        """Check the key and say which app and version answer."""
        raise NotImplementedError

    async def refresh_path(self, path: str) -> None:
        """Ask the server to scan just this path (as the server sees it)."""
        raise NotImplementedError

    async def refresh_all(self, path: str) -> None:
        """Ask for the broader scan that covers path (the whole library when unsure)."""
        raise NotImplementedError

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: object = None,
        time_limit: aiohttp.ClientTimeout = CALL_TIMEOUT,
    ) -> bytes:
        """Send one request; return the raw answer or raise MediaServerError saying what failed."""
        name, url = self.config.name, self.config.url
        headers = self.auth_headers()
        data = None
        if body is not None:
            data = orjson.dumps(body)
            headers["Content-Type"] = "application/json"
        try:
            async with self.session.request(
                method, url + path, params=params, data=data, headers=headers, timeout=time_limit,
                ssl=self.config.verify_tls,
            ) as answer:  # fmt: skip
                raw = await answer.read()
                status = answer.status
        except TimeoutError:
            msg = f"{name}: {self.app} at {url} did not answer {method} {path} in time"
            raise MediaServerError(msg, "offline") from None
        except aiohttp.ClientError as err:
            reason = redact(str(err)) or type(err).__name__
            msg = f"{name}: cannot reach {self.app} at {url} ({reason})"
            raise MediaServerError(msg, "offline") from None
        if status in HTTP_UNAUTHORIZED:
            msg = f"{name}: {self.app} refused the API key (HTTP {status})"
            raise MediaServerError(msg, "unhealthy")
        if status >= HTTP_ERROR:
            detail = redact(raw[:200].decode(errors="replace")).strip()
            msg = f"{name}: {method} {path} failed (HTTP {status}){': ' if detail else ''}{detail}"
            raise MediaServerError(msg)
        return raw

    async def json(self, method: str, path: str) -> dict[str, Any]:
        """Send one request and decode the JSON object it answers."""
        raw = await self.call(method, path)
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            decoded = None
        if not isinstance(decoded, dict):
            msg = f"{self.config.name}: {path} did not answer with {self.app}'s JSON (wrong URL?)"
            raise MediaServerError(msg)
        return decoded


class MediaBrowserClient(MediaServerClient):
    """The API Jellyfin and Emby share (both descend from MediaBrowser)."""

    async def identify(self) -> ServerInfo:
        """GET /System/Info needs a valid key and names the version."""
        info = await self.json("GET", "/System/Info")
        version = info.get("Version")
        return ServerInfo(self.app, str(version) if version else None)

    async def refresh_path(self, path: str) -> None:
        """POST /Library/Media/Updated: the server rescans only what holds this path."""
        body = {"Updates": [{"Path": path, "UpdateType": "Created"}]}
        await self.call("POST", "/Library/Media/Updated", body=body)

    async def refresh_all(self, path: str) -> None:  # noqa: ARG002 - a full scan covers every path
        """POST /Library/Refresh: a full scan; Jellyfin answers only once it is done."""
        await self.call("POST", "/Library/Refresh", time_limit=FULL_REFRESH_TIMEOUT)


class JellyfinClient(MediaBrowserClient):
    """Jellyfin: the key goes in the MediaBrowser Authorization header (Jellyfin 12 needs it)."""

    app = title = "Jellyfin"
    default_url = "http://localhost:8096"

    def auth_headers(self) -> dict[str, str]:
        """Send the key as Authorization: MediaBrowser Token="<key>"."""
        return {"Authorization": f'MediaBrowser Token="{self.config.api_key}"'}


class EmbyClient(MediaBrowserClient):
    """Emby: the key goes in X-Emby-Token."""

    app = title = "Emby"
    default_url = "http://localhost:8096"

    def auth_headers(self) -> dict[str, str]:
        """Send the key as X-Emby-Token."""
        return {"X-Emby-Token": self.config.api_key}


class PlexClient(MediaServerClient):
    """Plex Media Server: library sections by location, partial scans by folder."""

    app = "Plex Media Server"
    title = "Plex"
    default_url = "http://localhost:32400"

    def auth_headers(self) -> dict[str, str]:
        """Send the key as X-Plex-Token and ask for JSON instead of Plex's default XML."""
        return {"X-Plex-Token": self.config.api_key, "Accept": "application/json"}

    async def identify(self) -> ServerInfo:
        """GET /library/sections checks the token; GET /identity names the version."""
        await self.sections()
        identity = (await self.json("GET", "/identity")).get("MediaContainer") or {}
        version = identity.get("version")
        return ServerInfo(self.app, str(version) if version else None)

    async def sections(self) -> list[tuple[str, list[str]]]:
        """Every library section as (key, locations)."""
        container = (await self.json("GET", "/library/sections")).get("MediaContainer") or {}
        return [
            (
                str(section["key"]),
                [str(place.get("path", "")) for place in section.get("Location", [])],
            )
            for section in container.get("Directory") or []
            if "key" in section
        ]

    async def refresh_path(self, path: str) -> None:
        """Scan only the folder, in the section whose location holds it."""
        folder = media_folder(path)
        key = section_for(await self.sections(), folder)
        if key is None:
            msg = f"{self.config.name}: no Plex library location holds {folder}"
            raise MediaServerError(msg)
        await self.call("GET", f"/library/sections/{key}/refresh", params={"path": folder})

    async def refresh_all(self, path: str) -> None:
        """Scan the whole section holding path, or every section when none does."""
        sections = await self.sections()
        key = section_for(sections, media_folder(path))
        for section_key in [key] if key is not None else [key for key, _ in sections]:
            await self.call("GET", f"/library/sections/{section_key}/refresh")


CLIENTS: dict[str, type[MediaServerClient]] = {
    "jellyfin": JellyfinClient,
    "emby": EmbyClient,
    "plex": PlexClient,
}


def make_client(config: ConnectorConfig, session: aiohttp.ClientSession) -> MediaServerClient:
    """Build the client of a media-server connector."""
    return CLIENTS[config.kind](config, session)


def is_under(path: str, folder: str) -> bool:
    """Say whether path is folder or inside it (either separator)."""
    trimmed = folder.rstrip("/\\")
    if not trimmed:  # the root holds every absolute path; an empty location holds nothing
        return bool(folder) and path.startswith(folder)
    return path == trimmed or path.startswith((f"{trimmed}/", f"{trimmed}\\"))


def media_folder(path: str) -> str:
    """Return the folder to scan: the path itself, or its parent when it names a media file."""
    trimmed = path.rstrip("/\\") or path
    cut = max(trimmed.rfind("/"), trimmed.rfind("\\"))
    name = trimmed[cut + 1 :]
    if cut > 0 and "." in name and name.rpartition(".")[2].lower() in MEDIA_EXTENSIONS:
        return trimmed[:cut]
    return trimmed


def section_for(sections: list[tuple[str, list[str]]], folder: str) -> str | None:
    """Return the key of the section whose longest location holds folder, if any."""
    matches = [
        (len(location), key)
        for key, locations in sections
        for location in locations
        if is_under(folder, location)
    ]
    return max(matches)[1] if matches else None
