"""Mirror tables of each *arr connector, the search registry and the search history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime  # noqa: TC003 - Table reads the annotations at runtime
from typing import Any

from haul_engine.db.tables import Table


@dataclass(slots=True)
class Series:
    """A series of a Sonarr (or Whisparr v2) connector; fingerprint spots changed statistics."""

    connector_id: str
    arr_id: int
    title: str
    monitored: bool
    fingerprint: str
    boost: int = 0  # its episodes'
    id: int = 0  # 0 until inserted


@dataclass(slots=True)
class Season:
    """A season's statistics as the *arr reports them."""

    series_id: int
    season_number: int
    monitored: bool
    episode_count: int
    episode_file_count: int
    total_episode_count: int
    next_airing: datetime | None = None
    id: int = 0  # 0 until inserted


@dataclass(slots=True)
class Artist:
    """An artist of a Lidarr connector."""

    connector_id: str
    arr_id: int
    name: str
    monitored: bool
    id: int = 0  # 0 until inserted


@dataclass(slots=True)
class Item:
    """Something searchable: an episode, a movie or an album, with its file state.

    monitored is what the user chose all the way up: an episode of an unmonitored season or series
    and an album of an unmonitored artist are stored as unmonitored.
    """

    connector_id: str
    kind: str
    arr_id: int
    title: str
    monitored: bool
    has_file: bool
    cutoff_not_met: bool
    available: bool
    series_id: int | None = None
    artist_id: int | None = None
    parent_arr_id: int | None = None
    season_number: int | None = None
    episode_number: int | None = None
    quality: str | None = None
    # in the *arr's wanted lists at all, out or not (Radarr 5 lists no movie without a year)
    listed: bool = True
    released_at: datetime | None = None
    last_search_at: datetime | None = None
    id: int = 0  # 0 until inserted


@dataclass(slots=True)
class Search:
    """The search registry: where each gap stands and when it may be searched again."""

    item_id: int
    connector_id: str
    reason: str
    state: str
    attempts: int = 0
    boost: int = 0
    next_eligible_at: datetime | None = None
    failure: str | None = None
    history_id: int | None = None
    outcome: str | None = None  # of its latest search
    # a season or series search of it that found nothing: searched by episode until then
    pack_attempts: int = 0
    pack_retry_at: datetime | None = None
    exhausted_at: datetime | None = None


@dataclass(slots=True)
class SearchHistory:
    """One search command sent to an *arr, and how it ended."""

    connector_id: str
    command: str
    body: dict[str, Any]
    item_ids: list[int]
    cost: int
    status: str
    started_at: datetime
    arr_command_id: int | None = None
    message: str | None = None
    outcome: str | None = None
    ended_at: datetime | None = None
    id: int = 0  # 0 until inserted


@dataclass(slots=True)
class SyncState:
    """When a connector was last synchronised, fully and at all, and its detected flavour."""

    connector_id: str
    flavor: str | None = None
    last_full_sync_at: datetime | None = None
    last_sync_at: datetime | None = None


SERIES = Table("library_series", Series, key=["id"], generated="id")
SEASONS = Table("library_seasons", Season, key=["id"], generated="id")
ARTISTS = Table("library_artists", Artist, key=["id"], generated="id")
ITEMS = Table("library_items", Item, key=["id"], generated="id")
SEARCHES = Table("library_searches", Search, key=["item_id"])
SEARCH_HISTORY = Table("library_search_history", SearchHistory, key=["id"], generated="id")
SYNC_STATES = Table("library_sync_state", SyncState, key=["connector_id"])
