"""What the engine shows beyond its status: transfer, torrents, requests, library, connectors."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

    from .api import HaulClient

OPEN_REQUEST_STATES = frozenset(
    {
        "pending",
        "approved",
        "searching",
        "awaiting_selection",
        "grabbed",
        "downloading",
        "importing",
    }
)


@dataclass(frozen=True, slots=True)
class Transfer:
    """Speeds now and the limits in force (KiB/s)."""

    download_rate: int
    upload_rate: int
    alt_active: bool
    limits: dict[str, Any]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Parse `transfer/get`."""
        return cls(data["download_rate"], data["upload_rate"], data["alt_active"], data["limits"])


@dataclass(frozen=True, slots=True)
class Torrent:
    """One download."""

    hash: str
    name: str
    state: str
    progress: float
    size: int
    download_rate: int
    upload_rate: int
    eta: int
    category: str
    request_id: str | None
    stopped: bool

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Parse a `TorrentInfo`."""
        return cls(
            hash=data["hash"],
            name=data["name"],
            state=data["state"],
            progress=data["progress"],
            size=data["size"],
            download_rate=data["download_rate"],
            upload_rate=data["upload_rate"],
            eta=data["eta"],
            category=data["category"],
            request_id=data["request_id"],
            stopped=data["stopped"],
        )


@dataclass(frozen=True, slots=True)
class MediaRequest:
    """A request that is still under way."""

    id: int
    connector_id: str | None
    title: str
    year: int | None
    media_type: str
    state: str
    requested_by: str
    created_at: datetime

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Parse a `RequestView`."""
        return cls(
            id=data["id"],
            connector_id=data["connector_id"],
            title=data["title"],
            year=data["year"],
            media_type=data["media_type"],
            state=data["state"],
            requested_by=data["requested_by"],
            created_at=datetime.fromisoformat(data["created_at"]),
        )


@dataclass(frozen=True, slots=True)
class Connector:
    """A connector and its health."""

    id: str
    kind: str
    category: str | None  # the engine's: arr, indexer, request, mediaserver
    name: str
    url: str
    enabled: bool
    verify_tls: bool
    health: str
    last_error: str | None
    settings: dict[str, Any]
    app: str | None
    app_version: str | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Parse a `ConnectorView` (or the connector events, which carry one)."""
        return cls(
            id=data["id"],
            kind=data["kind"],
            category=data.get("category"),
            name=data["name"],
            url=data["url"],
            enabled=data["enabled"],
            verify_tls=data["verify_tls"],
            health=data["health"],
            last_error=data["last_error"],
            settings=data["settings"],
            app=data.get("app"),
            app_version=data.get("app_version"),
        )


@dataclass(frozen=True, slots=True)
class ArrLibrary:
    """One *arr connector's library at a glance."""

    items: int
    missing: int
    cutoff_unmet: int
    completion: float
    queued: int
    searches_today: int
    last_sync: datetime | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Parse a `ConnectorSummary`."""
        last_sync = data["last_sync"]
        return cls(
            items=data["items"],
            missing=data["missing"],
            cutoff_unmet=data["cutoff_unmet"],
            completion=data["completion"],
            queued=data["queued"],
            searches_today=data["searches_today"],
            last_sync=datetime.fromisoformat(last_sync) if last_sync else None,
        )


@dataclass(frozen=True, slots=True)
class Indexer:
    """How one indexer connector is doing."""

    failures: int
    last_error: str | None
    last_success: datetime | None
    last_response_ms: int | None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Self:
        """Parse an `IndexerStatus`."""
        last_success = data["last_success"]
        return cls(
            failures=data["failures"],
            last_error=data["last_error"],
            last_success=datetime.fromisoformat(last_success) if last_success else None,
            last_response_ms=data["last_response_ms"],
        )


@dataclass(frozen=True, slots=True)
class HaulViews:
    """The engine's parts that entities show; each re-read when an event says it changed."""

    transfer: Transfer | None = None
    torrents: Mapping[str, Torrent] = field(default_factory=dict)
    requests: tuple[MediaRequest, ...] = ()
    connectors: Mapping[str, Connector] = field(default_factory=dict)
    library: Mapping[str, ArrLibrary] = field(default_factory=dict)
    sweeps_paused: bool | None = None
    search_queue: int = 0
    indexers: Mapping[str, Indexer] = field(default_factory=dict)

    def requests_in(self, state: str) -> list[MediaRequest]:
        """List the requests in one state, oldest first."""
        return sorted(
            (request for request in self.requests if request.state == state), key=lambda r: r.id
        )


async def _transfer(client: HaulClient) -> dict[str, Any]:
    return {"transfer": Transfer.from_dict(await client.request("GET", "/transfer"))}


async def _torrents(client: HaulClient) -> dict[str, Any]:
    found = [Torrent.from_dict(item) for item in await client.request("GET", "/torrents")]
    return {"torrents": {torrent.hash: torrent for torrent in found}}


async def _requests(client: HaulClient) -> dict[str, Any]:
    found = [MediaRequest.from_dict(item) for item in await client.request("GET", "/requests")]
    return {"requests": tuple(r for r in found if r.state in OPEN_REQUEST_STATES)}


async def _connectors(client: HaulClient) -> dict[str, Any]:
    found = [Connector.from_dict(item) for item in await client.request("GET", "/connectors")]
    return {"connectors": {connector.id: connector for connector in found}}


async def _library(client: HaulClient) -> dict[str, Any]:
    summary = await client.request("GET", "/library/summary")
    queue = await client.request("GET", "/queue")
    return {
        "library": {item["id"]: ArrLibrary.from_dict(item) for item in summary["connectors"]},
        "sweeps_paused": queue["paused"],
        "search_queue": queue["depth"],
    }


async def _indexers(client: HaulClient) -> dict[str, Any]:
    found = await client.request("GET", "/indexers")
    return {"indexers": {item["id"]: Indexer.from_dict(item) for item in found}}


# part -> (the engine feature serving it, its reader)
PARTS: dict[str, tuple[str, Callable[[HaulClient], Awaitable[dict[str, Any]]]]] = {
    "transfer": ("torrents", _transfer),
    "torrents": ("torrents", _torrents),
    "requests": ("requests", _requests),
    "connectors": ("connectors", _connectors),
    "library": ("library", _library),
    "indexers": ("indexers", _indexers),
}

# engine event -> the parts it changes ("system" is the status itself)
REFRESH_ON: dict[str, frozenset[str]] = {
    "system_heartbeat": frozenset({"transfer"}),
    **dict.fromkeys(
        (
            "torrent_added",
            "torrent_metadata",
            "torrent_progress",
            "torrent_completed",
            "torrent_error",
            "torrent_removed",
            "torrent_state",
        ),
        frozenset({"torrents", "transfer", "system"}),
    ),
    **dict.fromkeys(
        (
            "request_received",
            "request_approved",
            "request_declined",
            "request_awaiting_selection",
            "release_grabbed",
            "download_completed",
            "import_completed",
            "request_available",
            "request_failed",
        ),
        frozenset({"requests"}),
    ),
    **dict.fromkeys(
        ("connector_created", "connector_updated", "connector_removed"),
        frozenset({"connectors", "library", "indexers"}),
    ),
    "connector_health_changed": frozenset({"connectors", "indexers", "system"}),
    "indexers_searched": frozenset({"indexers"}),
    **dict.fromkeys(
        ("torrents_vpn_down", "torrents_vpn_up", "torrents_disk_low", "torrents_disk_ok"),
        frozenset({"system"}),
    ),
    **dict.fromkeys(
        ("sync_completed", "sweep_started", "sweep_completed", "search_dispatched"),
        frozenset({"library"}),
    ),
}


async def read_parts(
    client: HaulClient, features: tuple[str, ...], parts: frozenset[str] | None = None
) -> dict[str, Any]:
    """Read the given parts (all by default) of the features the engine has, at once."""
    found = await asyncio.gather(
        *(
            reader(client)
            for part, (feature, reader) in PARTS.items()
            if feature in features and (parts is None or part in parts)
        )
    )
    return {key: value for changes in found for key, value in changes.items()}


async def read_views(client: HaulClient, features: tuple[str, ...]) -> HaulViews:
    """Read every part the engine has."""
    return HaulViews(**await read_parts(client, features))
