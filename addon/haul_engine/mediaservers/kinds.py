"""The jellyfin, emby and plex connector kinds: settings schema and connection test."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, ConfigDict, Field

from haul_engine.connectors.kinds import (
    ConnectorConfig,
    ConnectorKind,
    TestResult,
    register_kind,
    titled_map,
)
from haul_engine.mediaservers.clients import CLIENTS, MediaServerError, is_under, make_client

if TYPE_CHECKING:
    import aiohttp

MEDIA_SERVER_KINDS = frozenset(CLIENTS)


class MediaServerSettings(BaseModel):
    """Per-connector settings of a media server."""

    model_config = ConfigDict(extra="forbid")

    path_map: Annotated[
        dict[Annotated[str, Field(min_length=1)], str],
        Field(
            title="Path map",
            description="Folders the media server sees under another path than Haul and the "
            "apps do (other containers or machines); the longest matching folder is rewritten.",
            json_schema_extra=titled_map(
                "Folder as Haul and the apps see it", "The same folder as the server sees it"
            ),
        ),
    ] = {}

    def server_path(self, path: str) -> str:
        """Rewrite path with the longest matching path_map prefix (unchanged when none matches)."""
        matches = [prefix for prefix in self.path_map if is_under(path, prefix)]
        if not matches:
            return path
        prefix = max(matches, key=len)
        return self.path_map[prefix].rstrip("/\\") + path[len(prefix.rstrip("/\\")) :]


async def test_media_server(config: ConnectorConfig, session: aiohttp.ClientSession) -> TestResult:
    """Check the key with an authenticated call and report the app and its version."""
    try:
        info = await make_client(config, session).identify()
    except MediaServerError as err:
        return TestResult(ok=False, error=str(err))
    return TestResult(ok=True, app=info.app, version=info.version)


for _name, _client in CLIENTS.items():
    register_kind(
        ConnectorKind(
            _name, "mediaserver", MediaServerSettings, test_media_server, title=_client.title,
            default_url=_client.default_url,
        )
    )  # fmt: skip
