"""Helpers to add fake media servers to a real engine and read what happened."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tests.fakes.mediaservers import FakeJellyfin

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.fakes.mediaservers import FakeMediaServer
    from tests.support.engine import EngineProcess

MOVIES = "/data/media/movies"
SHOWS = "/data/media/tv"


def kind_of(fake: FakeMediaServer) -> str:
    return fake.flavour if isinstance(fake, FakeJellyfin) else "plex"


def body(fake: FakeMediaServer, **changes: object) -> dict[str, Any]:
    kind = kind_of(fake)
    return {"kind": kind, "name": kind.title(), "url": fake.url, "api_key": fake.api_key, **changes}


def add(engine: EngineProcess, fake: FakeMediaServer, **changes: object) -> dict[str, Any]:
    status, created = engine.request("POST", "/api/v1/connectors", body(fake, **changes))
    assert status == 200, created
    return dict(created)


def eventually[T](probe: Callable[[], T], done: Callable[[T], bool], timeout: float = 10) -> T:
    """Probe until done says yes (or the time is up); return the last probe."""
    deadline = time.monotonic() + timeout
    value = probe()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.05)
        value = probe()
    return value


def health(engine: EngineProcess, connector_id: str, wanted: str | None = None) -> dict[str, Any]:
    """The connector once its health is known (the check after saving runs in the background)."""

    def probe() -> dict[str, Any]:
        status, connector = engine.request("GET", f"/api/v1/connectors/{connector_id}")
        assert status == 200, connector
        return dict(connector)

    return eventually(
        probe, lambda c: c["health"] == wanted if wanted else c["health"] != "unknown"
    )
