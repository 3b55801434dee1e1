"""Fake Jellyfin, Emby and Plex servers, one fresh per test."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.engine.mediaservers.helpers import MOVIES, SHOWS
from tests.fakes.mediaservers import FakeJellyfin, FakePlex, PlexSection

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def jellyfin() -> Iterator[FakeJellyfin]:
    with FakeJellyfin("jellyfin") as fake:
        yield fake


@pytest.fixture
def emby() -> Iterator[FakeJellyfin]:
    with FakeJellyfin("emby") as fake:
        yield fake


@pytest.fixture
def plex() -> Iterator[FakePlex]:
    sections = [
        PlexSection("1", "Movies", "movie", [MOVIES]),
        PlexSection("2", "TV Shows", "show", [SHOWS, "/mnt/extra/tv"]),
    ]
    with FakePlex(sections) as fake:
        yield fake
