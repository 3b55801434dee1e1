"""The library records Haul reads from the *arrs, decoded straight from JSON into typed structs.

Only the fields the mirror uses are declared: the rest of a record (media info, images, custom
formats) is skipped while decoding, which is most of the bytes of a large library.
"""

from __future__ import annotations

from datetime import datetime  # noqa: TC003 - msgspec reads the annotations at runtime

import msgspec


class _Record(msgspec.Struct, rename="camel", gc=False):
    """Camel-case JSON names; no reference cycles, so the garbage collector can skip them."""


class QualityName(_Record):
    """The innermost quality: {"name": "WEBDL-1080p"}."""

    name: str | None = None


class FileQuality(_Record):
    """A file's quality wrapper (it also carries revision, which Haul does not use)."""

    quality: QualityName | None = None


class MediaFile(_Record):
    """An episode or movie file: its quality and whether it is below the profile's cutoff."""

    id: int = 0
    quality: FileQuality | None = None
    quality_cutoff_not_met: bool = False

    @property
    def quality_name(self) -> str | None:
        """The quality's name, cut to what the mirror stores."""
        name = self.quality.quality.name if self.quality and self.quality.quality else None
        return name[:64] if name else None


class SeasonStatistics(_Record):
    """What changes in a season when any of its episodes changes: counts, size, airings."""

    episode_count: int = 0
    episode_file_count: int = 0
    total_episode_count: int = 0
    size_on_disk: int = 0
    next_airing: datetime | None = None
    previous_airing: datetime | None = None


class Season(_Record):
    """A season of a series, with its statistics."""

    season_number: int
    monitored: bool = False
    statistics: SeasonStatistics | None = None


class Series(_Record):
    """A Sonarr (or Whisparr v2) series: the container of episodes."""

    id: int
    title: str | None = None
    monitored: bool = False
    runtime: int = 0  # minutes: an episode has aired once it has ended
    seasons: list[Season] = msgspec.field(default_factory=list)


class Episode(_Record):
    """A Sonarr (or Whisparr v2) episode."""

    id: int
    series_id: int = 0
    season_number: int | None = None
    episode_number: int | None = None
    title: str | None = None
    monitored: bool = False
    has_file: bool = False
    air_date_utc: datetime | None = None
    last_search_time: datetime | None = None
    episode_file_id: int = 0
    episode_file: MediaFile | None = None


class Movie(_Record):
    """A Radarr (or Whisparr v3) movie."""

    id: int
    title: str | None = None
    year: int = 0
    monitored: bool = False
    has_file: bool = False
    is_available: bool = False
    minimum_availability: str | None = None  # announced, inCinemas, released (tba, preDB: old)
    digital_release: datetime | None = None
    physical_release: datetime | None = None
    in_cinemas: datetime | None = None
    last_search_time: datetime | None = None
    movie_file: MediaFile | None = None


class AlbumStatistics(_Record):
    """How many of the tracks of an album's monitored release there are, and have files."""

    track_file_count: int = 0
    total_track_count: int = 0


class Album(_Record):
    """A Lidarr album."""

    id: int
    artist_id: int = 0
    title: str | None = None
    monitored: bool = False
    release_date: datetime | None = None
    last_search_time: datetime | None = None
    statistics: AlbumStatistics | None = None


SERIES = msgspec.json.Decoder(list[Series])
EPISODES = msgspec.json.Decoder(list[Episode])
MOVIES = msgspec.json.Decoder(list[Movie])
ALBUMS = msgspec.json.Decoder(list[Album])
FILES = msgspec.json.Decoder(list[MediaFile])
