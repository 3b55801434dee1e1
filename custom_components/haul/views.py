"""What the engine shows beyond its status: transfer, torrents, requests, library, connectors.

Read whole when the integration connects; then each engine event replaces the one object whose view
it carries.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping, Sequence

    from .api import HaulClient, HaulEvent
    from .engine_api import RequestView

REQUESTS_PAGE = 500
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
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
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
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
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
    poster_url: str | None
    created_at: datetime
    overview: str | None
    arr_connector_id: str | None  # the arr connector serving it
    is4k: bool
    season_states: dict[str, str]  # a series' state per season number
    download_id: str | None  # the info-hash of the download under way (the card's progress)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Parse a `RequestView` (or a request event, which carries one)."""
        return cls(
            id=data["id"],
            connector_id=data["connector_id"],
            title=data["title"],
            year=data["year"],
            media_type=data["media_type"],
            state=data["state"],
            requested_by=data["requested_by"],
            poster_url=data["poster_url"],
            created_at=datetime.fromisoformat(data["created_at"]),
            overview=data["overview"],
            arr_connector_id=data["arr_connector_id"],
            is4k=data["is4k"],
            season_states=data["season_states"],
            download_id=data["download_id"],
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
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
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
    upcoming: int | None  # monitored, no file, not out yet (never searched); None: engine before it
    completion: float
    queued: int
    searches_today: int
    last_sync: datetime | None
    exhausted: int
    outcomes_today: Mapping[str, int]
    sync_failures: int  # in a row; 0 once one works
    sync_error: str | None
    revision: int  # of the library's latest event: the card reads the gaps again when it moves

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
        """Parse a `ConnectorSummary`."""
        last_sync = data["last_sync"]
        return cls(
            items=data["items"],
            missing=data["missing"],
            cutoff_unmet=data["cutoff_unmet"],
            upcoming=data.get("upcoming"),  # unknown from an engine of schema 3 built before it
            completion=data["completion"],
            queued=data["queued"],
            searches_today=data["searches_today"],
            last_sync=datetime.fromisoformat(last_sync) if last_sync else None,
            exhausted=data["exhausted"],
            outcomes_today=data["outcomes_today"],
            sync_failures=data["sync_failures"],
            sync_error=data["sync_error"],
            revision=data["revision"],
        )


@dataclass(frozen=True, slots=True)
class Indexer:
    """How one indexer connector is doing."""

    failures: int
    last_error: str | None
    last_success: datetime | None
    last_response_ms: int | None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Self:
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
    """The engine's parts that entities show; each event replaces the object it carries."""

    transfer: Transfer | None = None
    torrents: Mapping[str, Torrent] = field(default_factory=dict)
    requests: Mapping[int, MediaRequest] = field(default_factory=dict)  # those under way
    connectors: Mapping[str, Connector] = field(default_factory=dict)
    library: Mapping[str, ArrLibrary] = field(default_factory=dict)
    sweeps_paused: bool | None = None
    indexers: Mapping[str, Indexer] = field(default_factory=dict)

    @property
    def search_queue(self) -> int:
        """How many gaps wait for a search, over every *arr."""
        return sum(library.queued for library in self.library.values())

    def requests_in(self, state: str) -> list[MediaRequest]:
        """List the requests in one state, oldest first."""
        return sorted(
            (request for request in self.requests.values() if request.state == state),
            key=lambda r: r.id,
        )


# (kind of object, its id): the revision of the view held of it
type Revisions = dict[tuple[str, str | int | None], int]


def _keyed[T](
    items: Sequence[Mapping[str, Any]], parse: Callable[[Any], T], kind: str, seen: Revisions
) -> dict[Any, T]:
    """Parse views keyed by their id, noting the revision of each."""
    for item in items:
        seen[kind, item["id"]] = item["revision"]
    return {item["id"]: parse(item) for item in items}


async def _transfer(client: HaulClient, seen: Revisions) -> dict[str, Any]:
    answer = await client.transfer_get()
    seen["transfer", None] = answer["revision"]
    return {"transfer": Transfer.from_dict(answer)}


async def _torrents(client: HaulClient, seen: Revisions) -> dict[str, Any]:
    found = [{**item, "id": item["hash"]} for item in await client.torrents_list()]
    return {"torrents": _keyed(found, Torrent.from_dict, "torrent", seen)}


async def _requests(client: HaulClient, seen: Revisions) -> dict[str, Any]:
    """Read the requests under way, a page at a time (newest first)."""
    found: list[RequestView] = []
    while True:
        before = found[-1]["id"] if found else None
        page = await client.requests_list(active=True, limit=REQUESTS_PAGE, before=before)
        found += page
        if len(page) < REQUESTS_PAGE:
            return {"requests": _keyed(found, MediaRequest.from_dict, "request", seen)}


async def _connectors(client: HaulClient, seen: Revisions) -> dict[str, Any]:
    found = await client.connectors_list()
    return {"connectors": _keyed(found, Connector.from_dict, "connector", seen)}


async def _library(client: HaulClient, seen: Revisions) -> dict[str, Any]:
    summary = await client.library_summary()
    queue = await client.library_queue()
    seen["queue", None] = queue["revision"]
    return {
        "library": _keyed(summary["connectors"], ArrLibrary.from_dict, "library", seen),
        "sweeps_paused": queue["paused"],
    }


async def _indexers(client: HaulClient, seen: Revisions) -> dict[str, Any]:
    found = await client.indexers_status()
    return {"indexers": _keyed(found, Indexer.from_dict, "indexer", seen)}


# the engine feature serving each part, and its reader
PARTS: tuple[tuple[str, Callable[[HaulClient, Revisions], Awaitable[dict[str, Any]]]], ...] = (
    ("torrents", _transfer),
    ("torrents", _torrents),
    ("requests", _requests),
    ("connectors", _connectors),
    ("library", _library),
    ("indexers", _indexers),
)


async def read_views(client: HaulClient, features: tuple[str, ...], seen: Revisions) -> HaulViews:
    """Read every part the engine has at once, noting the revision of each object read."""
    found = await asyncio.gather(
        *(reader(client, seen) for feature, reader in PARTS if feature in features)
    )
    return HaulViews(**{key: value for changes in found for key, value in changes.items()})


def _put[K, T](objects: Mapping[K, T], key: K, value: T | None) -> Mapping[K, T]:
    """Return objects with key set to value (None: without it); the same mapping if unchanged."""
    if objects.get(key) == value:
        return objects
    changed = {other: item for other, item in objects.items() if other != key}
    if value is not None:
        changed[key] = value
    return changed


def _torrent(views: HaulViews, event: HaulEvent) -> HaulViews:
    gone = event.name == "torrent_removed"
    torrent = None if gone else Torrent.from_dict(event.data)
    return _replaced(views, torrents=_put(views.torrents, str(event.object_id), torrent))


def _request(views: HaulViews, event: HaulEvent) -> HaulViews:
    request = MediaRequest.from_dict(event.data)
    shown = request if request.state in OPEN_REQUEST_STATES else None
    return _replaced(views, requests=_put(views.requests, request.id, shown))


def _connector(views: HaulViews, event: HaulEvent) -> HaulViews:
    if event.name != "connector_removed":
        connector = Connector.from_dict(event.data)
        return _replaced(views, connectors=_put(views.connectors, connector.id, connector))
    gone = str(event.object_id)
    return _replaced(
        views,
        connectors=_put(views.connectors, gone, None),
        library=_put(views.library, gone, None),
        indexers=_put(views.indexers, gone, None),
    )


def _library_event(views: HaulViews, event: HaulEvent) -> HaulViews:
    library = ArrLibrary.from_dict(event.data)
    return _replaced(views, library=_put(views.library, str(event.object_id), library))


def _indexer(views: HaulViews, event: HaulEvent) -> HaulViews:
    indexer = Indexer.from_dict(event.data)
    return _replaced(views, indexers=_put(views.indexers, str(event.object_id), indexer))


def _replaced(views: HaulViews, **changes: Any) -> HaulViews:  # noqa: ANN401
    """Return views with the changed parts; the same views when nothing changed."""
    changed = {key: value for key, value in changes.items() if getattr(views, key) != value}
    return dataclasses.replace(views, **changed) if changed else views


# the kind of object an event is about -> how its view changes the views
APPLY: dict[str, Callable[[HaulViews, HaulEvent], HaulViews]] = {
    "torrent": _torrent,
    "transfer": lambda views, event: _replaced(views, transfer=Transfer.from_dict(event.data)),
    "request": _request,
    "connector": _connector,
    "library": _library_event,
    "queue": lambda views, event: _replaced(views, sweeps_paused=event.data["paused"]),
    "indexer": _indexer,
}
