"""The base of the app modules: what an *arr is, its supported versions and its library."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from haul_engine.arr.client import ArrError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from haul_engine.arr.client import AppInfo, Flavor

Command = tuple[str, dict[str, Any]]  # a command name and its body


@dataclass(frozen=True, slots=True)
class Searches:
    """The search commands of a library: by item ids, and for series-like ones by season/series."""

    items: str
    ids_key: str
    season: str = ""
    series: str = ""

    def for_items(self, arr_ids: Iterable[int]) -> Command:
        """Search these items (episodes, movies or albums)."""
        return self.items, {self.ids_key: list(arr_ids)}

    def for_season(self, series_id: int, season_number: int) -> Command:
        """Search one whole season."""
        return self.season, {"seriesId": series_id, "seasonNumber": season_number}

    def for_series(self, series_id: int) -> Command:
        """Search every monitored season of a series."""
        return self.series, {"seriesId": series_id}


@dataclass(frozen=True, slots=True)
class Library:
    """How one app version lays out its library: flavour, endpoints, search commands."""

    flavor: Flavor
    items: str  # the searchable things: /episode, /movie, /album
    searches: Searches
    containers: str = ""  # what items hang off: /series, /artist
    files: str = ""  # where item files live when the items leave them out
    wanted: bool = True  # /wanted/missing and /wanted/cutoff exist
    wanted_needs_year: bool = False  # wanted/missing leaves out movies without a year


@dataclass(frozen=True, slots=True)
class App:
    """One *arr application: its status name, API base and the library of each supported major."""

    kind: str
    title: str
    versions: dict[int, Library]
    default_url: str  # where the app listens when installed with its defaults
    webhook_events: tuple[str, ...]  # the webhook triggers Haul follows, as the app names them
    api_base: str = "/api/v3"

    def library(self, info: AppInfo, name: str) -> Library:
        """Return the library layout of this version, or refuse it clearly."""
        if info.app and info.app.lower() != self.kind:
            msg = f"{name}: this is {info.app}, not {self.title}"
            raise ArrError(msg)
        library = self.versions.get(info.major)
        if library is None:
            supported = ", ".join(f"v{major}" for major in sorted(self.versions))
            msg = f"{name}: {self.title} {info.version} is not supported (supported: {supported})"
            raise ArrError(msg)
        return library
