"""POST /api/v1/mediaservers/refresh: targeted refreshes, the full fallback, dead servers."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from tests.engine.mediaservers.helpers import MOVIES, SHOWS, add, eventually, health
from tests.support.programs import free_port

if TYPE_CHECKING:
    from tests.fakes.mediaservers import FakeJellyfin, FakePlex
    from tests.support.engine import EngineProcess

EPISODE = f"{SHOWS}/Severance/Season 02/Severance - S02E01 - Hello, Ms. Cobel.mkv"


def refresh(engine: EngineProcess, path: str) -> dict[str, dict[str, Any]]:
    status, outcomes = engine.request("POST", "/api/v1/mediaservers/refresh", {"path": path})
    assert status == 200, outcomes
    return {outcome["kind"]: outcome for outcome in outcomes}


async def test_targeted_refresh_reaches_every_server_and_is_announced(
    engine: EngineProcess, jellyfin: FakeJellyfin, emby: FakeJellyfin, plex: FakePlex
) -> None:
    add(engine, jellyfin)
    add(engine, emby, settings={"path_map": {"/data/media": "D:\\Media"}})
    add(engine, plex)
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{engine.url}/api/v1/ws") as ws,
    ):
        await ws.send_json({"type": "auth", "token": engine.token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, "command": "subscribe"})
        assert (await ws.receive_json())["result"] == {"subscribed": True}

        outcomes = await asyncio.to_thread(refresh, engine, EPISODE)
        events: list[dict[str, Any]] = []
        while len(events) < 3:
            message = await asyncio.wait_for(ws.receive_json(), 5)
            if message.get("event") == "media_server_refreshed":
                events.append(message["data"])

    assert {kind: (o["mode"], o["ok"], o["error"]) for kind, o in outcomes.items()} == {
        "jellyfin": ("targeted", True, None),
        "emby": ("targeted", True, None),
        "plex": ("targeted", True, None),
    }
    assert sorted(events, key=lambda e: e["kind"]) == sorted(
        outcomes.values(), key=lambda o: o["kind"]
    )
    assert outcomes["emby"]["path"] == EPISODE.replace("/data/media", "D:\\Media")

    [update] = jellyfin.calls("POST", "/Library/Media/Updated")
    assert update.body == {"Updates": [{"Path": EPISODE, "UpdateType": "Created"}]}
    assert update.headers["authorization"] == f'MediaBrowser Token="{jellyfin.api_key}"'
    assert update.headers["content-type"] == "application/json"
    [update] = emby.calls("POST", "/Library/Media/Updated")
    assert update.body == {"Updates": [{"Path": outcomes["emby"]["path"], "UpdateType": "Created"}]}
    assert update.headers["x-emby-token"] == emby.api_key
    [scan] = plex.calls("GET", "/library/sections/2/refresh")
    assert scan.query == {"path": f"{SHOWS}/Severance/Season 02"}
    assert scan.headers["x-plex-token"] == plex.api_key
    assert not jellyfin.calls("POST", "/Library/Refresh")
    assert not emby.calls("POST", "/Library/Refresh")
    assert all(fake.api_key not in engine.log for fake in (jellyfin, emby, plex))

    # a folder is scanned as it is, in the section with that location
    assert refresh(engine, f"{MOVIES}/Dune Part Two (2024)/")["plex"]["mode"] == "targeted"
    assert plex.calls("GET", "/library/sections/1/refresh")[0].query == {
        "path": f"{MOVIES}/Dune Part Two (2024)"
    }


def test_full_refresh_when_the_targeted_one_fails(
    engine: EngineProcess, jellyfin: FakeJellyfin, plex: FakePlex
) -> None:
    jellyfin_id = add(engine, jellyfin)["id"]
    add(engine, plex)
    health(engine, jellyfin_id)
    jellyfin.fail["/Library/Media/Updated"] = 500
    plex.fail_next["/library/sections/1/refresh"] = 500
    movie = f"{MOVIES}/Arrival (2016)/Arrival (2016).mkv"

    outcomes = refresh(engine, movie)
    assert outcomes["jellyfin"]["mode"] == "full"
    assert outcomes["jellyfin"]["ok"] is True
    assert "POST /Library/Media/Updated failed (HTTP 500)" in outcomes["jellyfin"]["error"]
    assert len(jellyfin.calls("POST", "/Library/Refresh")) == 1
    assert outcomes["plex"]["mode"] == "full"
    targeted, full = plex.calls("GET", "/library/sections/1/refresh")
    assert targeted.query == {"path": f"{MOVIES}/Arrival (2016)"}
    assert full.query == {}  # the whole section, not every section
    assert not plex.calls("GET", "/library/sections/2/refresh")
    degraded = health(engine, jellyfin_id, "degraded")
    assert "HTTP 500" in degraded["last_error"]

    # a path in no Plex library: every section is scanned
    assert refresh(engine, "/elsewhere/Film (2001)/Film.mkv")["plex"]["mode"] == "full"
    assert len(plex.calls("GET", "/library/sections/1/refresh")) == 3
    assert len(plex.calls("GET", "/library/sections/2/refresh")) == 1

    jellyfin.fail.clear()
    assert refresh(engine, movie)["jellyfin"]["mode"] == "targeted"
    assert health(engine, jellyfin_id, "healthy")["last_error"] is None


def test_a_full_scan_that_blocks_runs_on_unattended(
    engine: EngineProcess, jellyfin: FakeJellyfin
) -> None:
    add(engine, jellyfin)
    jellyfin.fail["/Library/Media/Updated"] = 404  # e.g. an old server without the endpoint
    jellyfin.scan_seconds = 5  # Jellyfin answers /Library/Refresh only when the scan is done
    started = time.monotonic()
    outcome = refresh(engine, f"{MOVIES}/Heat (1995)")["jellyfin"]
    assert time.monotonic() - started < 4.5
    assert (outcome["mode"], outcome["ok"]) == ("full", True)
    assert eventually(lambda: jellyfin.scans_completed, bool) == 1


def test_a_dead_server_does_not_stop_the_others(
    engine: EngineProcess, jellyfin: FakeJellyfin, emby: FakeJellyfin, plex: FakePlex
) -> None:
    dead = add(engine, jellyfin, url=f"http://127.0.0.1:{free_port()}")
    refused = add(engine, emby, api_key="not-the-emby-key-1b9c")
    add(engine, plex, name="Plex (off)", enabled=False)
    add(engine, plex)

    started = time.monotonic()
    status, outcomes = engine.request("POST", "/api/v1/mediaservers/refresh", {"path": EPISODE})
    assert status == 200, outcomes
    assert time.monotonic() - started < 5
    by_name = {outcome["name"]: outcome for outcome in outcomes}
    assert set(by_name) == {"Jellyfin", "Emby", "Plex"}  # the disabled one is left alone
    assert by_name["Plex"]["mode"] == "targeted"
    assert (by_name["Jellyfin"]["mode"], by_name["Jellyfin"]["ok"]) == ("none", False)
    assert "cannot reach Jellyfin" in by_name["Jellyfin"]["error"]
    assert (by_name["Emby"]["mode"], by_name["Emby"]["ok"]) == ("none", False)
    assert "refused the API key (HTTP 401)" in by_name["Emby"]["error"]
    assert not emby.calls("POST", "/Library/Refresh")  # no full refresh with a refused key
    assert health(engine, dead["id"], "offline")["last_error"] == by_name["Jellyfin"]["error"]
    assert health(engine, refused["id"], "unhealthy")
    assert len(plex.calls("GET", "/library/sections/2/refresh")) == 1
    assert "not-the-emby-key-1b9c" not in engine.log

    status, answer = engine.request("POST", "/api/v1/mediaservers/refresh", {"path": ""})
    assert status == 400
    assert answer["error"]["code"] == "invalid_input"
    anonymous = engine.request("POST", "/api/v1/mediaservers/refresh", {"path": "/x"}, token="")
    assert anonymous[0] == 401
