"""End to end through the engine subprocess: sync, summary, gaps, sweeps, pause and health."""

from __future__ import annotations

import base64
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from tests.fakes.arr import API_KEY, FakeArr, Library
from tests.fakes.mediaservers import FakeJellyfin
from tests.support.disk import fill
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.support.engine import EngineProcess

THROTTLE = {"searches_per_minute": 50, "searches_per_day": 500, "batch_size": 5}
FAST = {"throttle": "custom", "search_upgrades": False, "custom_throttle": THROTTLE}
ERROR_CHECK = {
    "source": "IndexerStatusCheck",
    "type": "error",
    "message": "All indexers are unavailable",
    "wikiUrl": "https://wiki.servarr.com/radarr/system#indexers-are-unavailable",
}


@pytest.fixture
def radarr() -> Iterator[FakeArr]:
    library = Library.generate(9, movies=20, have=0.5)
    for movie in library.movies.values():
        movie["isAvailable"] = True
    with FakeArr("radarr", library) as fake:
        yield fake


def wait_for(check: Callable[[], Any], timeout: float = 20.0) -> Any:  # noqa: ANN401
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.1)
    pytest.fail("condition not met in time")


def add(engine: EngineProcess, fake: FakeArr, **settings: object) -> str:
    status, created = engine.request("POST", "/api/v1/connectors", {
        "kind": fake.kind, "name": "Movies", "url": fake.url, "api_key": API_KEY,
        "settings": {**FAST, **settings},
    })  # fmt: skip
    assert status == 200, created
    return str(created["id"])


def summary(engine: EngineProcess) -> list[dict[str, Any]]:
    return list(engine.request("GET", "/api/v1/library/summary")[1]["connectors"])


def synced(engine: EngineProcess) -> dict[str, Any]:
    return dict(wait_for(lambda: next((c for c in summary(engine) if c["last_sync"]), None)))


def test_sync_gaps_and_sweep_through_the_engine(engine: EngineProcess, radarr: FakeArr) -> None:
    connector_id = add(engine, radarr)
    movies = radarr.library.movies.values()
    gaps = sorted(m["id"] for m in movies if not m["hasFile"])
    row = synced(engine)
    assert row["id"] == connector_id
    assert (row["kind"], row["items"], row["missing"]) == ("radarr", 20, len(gaps))
    assert row["cutoff_unmet"] == sum(m["cutoffNotMet"] for m in movies)
    assert row["completion"] == round(1 - len(gaps) / 20, 4)

    status, page = engine.request("GET", f"/api/v1/gaps?connector_id={connector_id}&kind=missing")
    assert status == 200
    assert page["total"] == len(gaps) == len(page["records"])
    assert {r["state"] for r in page["records"]} == {"pending"}
    assert engine.request("GET", "/api/v1/gaps?kind=sideways")[0] == 400
    assert engine.request("GET", "/api/v1/gaps?page=0")[0] == 400
    assert engine.request("GET", "/api/v1/gaps?page=2")[1]["records"] == []
    first = page["records"][0]["id"]
    assert engine.request("POST", f"/api/v1/gaps/{first}/boost", {"boost": 5}) == (
        200, {"item_id": first, "boost": 5},
    )  # fmt: skip
    assert engine.request("POST", "/api/v1/gaps/999999/boost", {"boost": 5})[0] == 404
    assert engine.request("POST", f"/api/v1/gaps/{first}/boost", {"boost": 500})[0] == 400
    assert engine.request("GET", "/api/v1/system")[1]["counts"]["missing"] == len(gaps)

    assert engine.request("POST", f"/api/v1/connectors/{connector_id}/sweep") == (
        200, {"status": "started"},
    )  # fmt: skip
    wait_for(lambda: sorted(i for c in radarr.commands for i in c["body"]["movieIds"]) == gaps)
    assert all(len(c["body"]["movieIds"]) <= 5 for c in radarr.commands)
    queue = wait_for(lambda: (q := engine.request("GET", "/api/v1/queue")[1])["depth"] == 0 and q)
    assert queue["paused"] is False
    assert wait_for(lambda: summary(engine)[0]["searches_today"]) == len(gaps)
    assert API_KEY not in engine.log

    assert engine.request("DELETE", f"/api/v1/connectors/{connector_id}")[0] == 200
    assert summary(engine) == []


def test_upcoming_movies_are_counted_listed_and_never_searched(engine: EngineProcess) -> None:
    library = Library.generate(9, movies=20, have=0.5)
    gaps = [m for m in library.movies.values() if not m["hasFile"]]
    coming = gaps[:3]
    for movie in coming:  # released in a month: Radarr lists them as missing already
        movie.update(
            released=datetime.now(UTC) + timedelta(days=30), minimumAvailability="released"
        )
    with FakeArr("radarr", library) as radarr:
        connector_id = add(engine, radarr)
        row = synced(engine)
        assert (row["missing"], row["upcoming"]) == (len(gaps) - 3, 3)
        assert row["missing"] + row["upcoming"] == len(radarr.wanted("missing"))  # Radarr's total
        base = f"/api/v1/gaps?connector_id={connector_id}&kind=upcoming"
        page = engine.request("GET", f"{base}&sort=title&descending=false")[1]
        assert page["total"] == 3
        assert [(r["title"], r["reason"], r["state"]) for r in page["records"]] == [
            (m["title"], "upcoming", None) for m in sorted(coming, key=lambda m: m["title"])
        ]
        assert all(r["released_at"] for r in page["records"])
        first = page["records"][0]["id"]
        for action, body in (("search", None), ("boost", {"boost": 10})):  # not out yet: refused
            status, answer = engine.request("POST", f"/api/v1/gaps/{first}/{action}", body)
            assert (status, answer["error"]["code"]) == (409, "conflict"), answer
            assert "not out yet" in answer["error"]["message"]
        status, answer = engine.request("GET", f"{base}&state=pending")  # never searched
        assert (status, answer["error"]["code"]) == (400, "invalid_input")
        assert "no search state" in answer["error"]["message"]

        engine.request("POST", f"/api/v1/connectors/{connector_id}/sweep")
        wait_for(
            lambda: radarr.commands and engine.request("GET", "/api/v1/queue")[1]["depth"] == 0
        )
        searched = {i for c in radarr.commands for i in c["body"]["movieIds"]}
        assert searched == {m["id"] for m in gaps[3:]}

        coming[0]["minimumAvailability"] = "announced"  # out now: missing after the next sync
        assert engine.request("POST", f"/api/v1/connectors/{connector_id}/sync")[0] == 200
        row = summary(engine)[0]
        assert (row["missing"], row["upcoming"]) == (len(gaps) - 2, 2)


def test_sweeps_wait_for_health_and_for_resume(engine: EngineProcess, radarr: FakeArr) -> None:
    radarr.health_checks = [ERROR_CHECK]
    connector_id = add(engine, radarr)
    synced(engine)

    def connector() -> dict[str, Any]:
        return dict(engine.request("GET", f"/api/v1/connectors/{connector_id}")[1])

    assert connector()["health"] == "unhealthy"
    assert connector()["last_error"] == "All indexers are unavailable"
    assert engine.request("GET", "/api/v1/system")[1]["status"] == "degraded"
    engine.request("POST", f"/api/v1/connectors/{connector_id}/sweep")
    time.sleep(1)
    assert radarr.commands == []

    radarr.health_checks = []
    assert engine.request("POST", "/api/v1/queue/pause")[1]["paused"] is True
    engine.request("POST", f"/api/v1/connectors/{connector_id}/sweep")
    wait_for(lambda: connector()["health"] == "healthy")
    time.sleep(1)
    assert radarr.commands == []

    engine.restart()  # the pause survives a restart
    assert engine.request("GET", "/api/v1/queue")[1]["paused"] is True
    assert engine.request("POST", "/api/v1/queue/resume")[1]["paused"] is False
    engine.request("POST", f"/api/v1/connectors/{connector_id}/sweep")
    wait_for(lambda: radarr.commands)


def test_a_killed_engine_resumes_without_repeating(engine: EngineProcess, radarr: FakeArr) -> None:
    gaps = sorted(m["id"] for m in radarr.library.movies.values() if not m["hasFile"])
    radarr.polls_to_complete = 10**6  # the first search never finishes while the engine lives
    connector_id = add(engine, radarr, custom_throttle={**THROTTLE, "batch_size": 2})
    synced(engine)
    engine.request("POST", f"/api/v1/connectors/{connector_id}/sweep")
    wait_for(lambda: radarr.commands)
    engine.kill()

    radarr.polls_to_complete = 1
    engine.start()
    engine.request("POST", f"/api/v1/connectors/{connector_id}/sweep")
    searched = wait_for(
        lambda: (
            (ids := sorted(i for c in radarr.commands for i in c["body"]["movieIds"])) == gaps
            and ids
        )
    )
    assert searched == gaps  # each gap exactly once, across the kill
    time.sleep(1)
    assert len(radarr.commands) == len(gaps) // 2 + len(gaps) % 2


def test_a_sync_on_a_full_disk_fails_clearly_and_loses_nothing(
    engine_factory: Callable[..., EngineProcess], small_disk: Path, radarr: FakeArr
) -> None:
    database_url = f"sqlite+aiosqlite:///{small_disk / 'haul.db'}"
    engine = engine_factory(args=["--database-url", database_url]).start()
    connector_id = add(engine, radarr)
    assert synced(engine)["items"] == len(radarr.library.movies) == 20
    # more rows than the write-ahead log already has room for
    radarr.call(radarr.library.movies.update, Library.generate(10, movies=20_000).movies)
    filler = fill(small_disk)
    status, answer = engine.request("POST", f"/api/v1/connectors/{connector_id}/sync")
    assert status == 503, answer
    assert answer["error"]["code"] == "disk_full"
    assert "haul.db is full" in answer["error"]["message"]
    assert summary(engine)[0]["items"] == 20  # the failed sync changed nothing
    assert engine.request("GET", "/health")[0] == 200
    filler.unlink()
    status, answer = engine.request("POST", f"/api/v1/connectors/{connector_id}/sync")
    assert status == 200, answer
    assert answer["items"] == summary(engine)[0]["items"] == 20_000


def test_arr_webhooks_sync_a_burst_of_imports_once(engine: EngineProcess, radarr: FakeArr) -> None:
    secret = "arr-webhook-secret-0123456789"  # noqa: S105 - a test's secret
    basic = "Basic " + base64.b64encode(f"haul:{secret}".encode()).decode()
    # scheduled syncs only once a year: every sync after the first comes from the webhook
    connector_id = add(engine, radarr, webhook_secret=secret, sync_schedule="0 0 1 1 *")
    missing = synced(engine)["missing"]
    hook = f"{engine.url}/api/v1/webhooks/arr/{connector_id}"
    event = {"eventType": "Download", "movie": {"id": 1, "title": "Movie 1"}, "isUpgrade": False}

    assert send_webhook(hook, event, None)[0] == 401
    assert send_webhook(hook, event, "Basic " + base64.b64encode(b"haul:wrong").decode())[0] == 401
    assert send_webhook(hook, event, "Basic %%%")[0] == 401
    assert send_webhook(f"{engine.url}/api/v1/webhooks/arr/nope", event, basic)[0] == 404
    status, answer = send_webhook(hook, b"{not json", basic)
    assert (status, answer["error"]["code"]) == (400, "invalid_input")
    assert send_webhook(hook, {"movie": {}}, basic)[0] == 400
    assert send_webhook(hook, ["Download"], basic)[0] == 400
    tested = {"ok": True, "event": "Test", "action": "none"}
    assert send_webhook(hook, {"eventType": "Test"}, secret) == (200, tested)

    gap = next(movie for movie in radarr.library.movies.values() if not movie["hasFile"])
    radarr.call(gap.update, {"hasFile": True})
    syncs_before = radarr.requests.count(("GET", "/api/v3/movie"))
    for _ in range(3):  # one event per imported file, as a season pack's import sends them
        status, answer = send_webhook(hook, {**event, "movie": {"id": gap["id"]}}, basic)
        assert (status, answer["action"]) == (200, "sync")
    wait_for(lambda: summary(engine)[0]["missing"] == missing - 1)
    time.sleep(1)
    assert radarr.requests.count(("GET", "/api/v3/movie")) == syncs_before + 1

    health_checks = radarr.requests.count(("GET", "/api/v3/health"))
    answer = send_webhook(hook, {"eventType": "Health", "level": "error"}, f"Bearer {secret}")[1]
    assert answer["action"] == "health"
    wait_for(lambda: radarr.requests.count(("GET", "/api/v3/health")) > health_checks)
    assert secret not in engine.log


def test_a_webhook_s_sync_outlives_a_kill(engine: EngineProcess, radarr: FakeArr) -> None:
    """The sync a webhook plans is a durable job: a kill -9 before it runs loses nothing."""
    secret = "arr-webhook-secret-0123456789"  # noqa: S105 - a test's secret
    connector_id = add(engine, radarr, webhook_secret=secret, sync_schedule="0 0 1 1 *")
    synced(engine)
    hook = f"{engine.url}/api/v1/webhooks/arr/{connector_id}"
    event = {"eventType": "Download", "movie": {"id": 1, "title": "Movie 1"}, "isUpgrade": False}
    assert send_webhook(hook, event, secret)[1]["action"] == "sync"
    engine.kill()  # within the 5 s a burst of events is given to settle
    syncs = radarr.requests.count(("GET", "/api/v3/movie"))
    engine.start()
    # the sync every start makes, then the webhook's
    wait_for(lambda: radarr.requests.count(("GET", "/api/v3/movie")) == syncs + 2)
    time.sleep(1)
    assert radarr.requests.count(("GET", "/api/v3/movie")) == syncs + 2


def test_the_gap_browser_s_commands(engine: EngineProcess) -> None:
    library = Library.generate(6, series=3, seasons=1, episodes_per_season=5, have=0.4)
    with FakeArr("sonarr", library) as sonarr:
        connector_id = add(engine, sonarr, scheduled_sweeps=False)
        synced(engine)
        base = f"/api/v1/gaps?connector_id={connector_id}"
        everything = engine.request("GET", base)[1]
        titles = {r["id"]: r["series"] for r in everything["records"]}
        found = engine.request("GET", f"{base}&query=SERIES%202")[1]
        assert found["total"] == sum(title == "Series 2" for title in titles.values()) > 0
        assert {r["series"] for r in found["records"]} == {"Series 2"}
        assert engine.request("GET", f"{base}&query=%25")[1]["total"] == 0  # no wildcards
        ordered = engine.request("GET", f"{base}&sort=title&descending=false")[1]["records"]
        assert [r["title"] for r in ordered] == sorted(r["title"] for r in ordered)
        assert engine.request("GET", f"{base}&sort=size")[0] == 400
        assert engine.request("GET", f"{base}&state=lost")[0] == 400

        first = found["records"][0]
        status, started = engine.request("POST", f"/api/v1/gaps/{first['id']}/search")
        assert status == 200, started
        assert started["command"] == "EpisodeSearch"
        wait_for(lambda: sonarr.commands)
        assert [c["body"] for c in sonarr.commands] == [
            {"name": "EpisodeSearch", "episodeIds": [next(
                e["id"] for e in library.episodes.values()
                if e["seriesId"] == 2 and f"Episode {e['episodeNumber']}" == first["title"]
            )]}
        ]  # fmt: skip
        cooling = wait_for(lambda: engine.request("GET", f"{base}&state=cooldown")[1]["records"])
        assert [(r["id"], r["attempts"], r["outcome"]) for r in cooling] == [
            (first["id"], 1, "no_results")
        ]
        assert summary(engine)[0]["outcomes_today"]["no_results"] == 1
        assert engine.request("POST", "/api/v1/gaps/999999/search")[0] == 404
        # unmonitored in Sonarr since the last sync: the search syncs first, and refuses it
        unwatched = next(r for r in everything["records"] if r["series"] == "Series 3")
        library.series[3]["monitored"] = False
        assert engine.request("POST", f"/api/v1/gaps/{unwatched['id']}/search")[0] == 404
        assert len(sonarr.commands) == 1

        series_id = first["series_id"]
        boosted = engine.request("POST", f"/api/v1/library/series/{series_id}/boost", {"boost": 7})
        assert boosted == (200, {"series_id": series_id, "boost": 7})
        assert engine.request("POST", "/api/v1/library/series/999999/boost", {"boost": 7})[0] == 404
        reset = {"connector_id": connector_id, "series_id": series_id}
        assert engine.request("POST", "/api/v1/gaps/reset", reset)[1] == {
            "connector_id": connector_id, "reset": 1,
        }  # fmt: skip
        assert engine.request("GET", f"{base}&state=cooldown")[1]["total"] == 0
        assert engine.request("POST", "/api/v1/gaps/reset", {"connector_id": "nope"})[0] == 404
        assert engine.request("POST", "/api/v1/gaps/reset", {})[0] == 400

        sonarr.fail_next(*["500"] * 9, path="/series")  # three syncs fail: three tries each
        for failures in (1, 2, 3):
            assert engine.request("POST", f"/api/v1/connectors/{connector_id}/sync")[0] == 503
            assert summary(engine)[0]["sync_failures"] == failures
        assert "server error" in summary(engine)[0]["sync_error"]
        assert engine.request("POST", f"/api/v1/connectors/{connector_id}/sync")[0] == 200
        assert (summary(engine)[0]["sync_failures"], summary(engine)[0]["sync_error"]) == (0, None)


def test_every_import_an_arr_reports_refreshes_the_media_servers_once_per_folder(
    engine: EngineProcess, radarr: FakeArr
) -> None:
    secret = "arr-webhook-secret-0123456789"  # noqa: S105 - a test's secret
    connector_id = add(engine, radarr, webhook_secret=secret, sync_schedule="0 0 1 1 *")
    hook = f"{engine.url}/api/v1/webhooks/arr/{connector_id}"
    season = "/data/media/tv/Severance/Season 02"
    with FakeJellyfin("jellyfin") as jellyfin:
        engine.add_connector(
            "jellyfin", jellyfin.url, jellyfin.api_key, path_map={"/data/media": "/media"}
        )
        for episode in (1, 2):  # Sonarr: one Download per file of a season pack
            sonarr_event = {
                "eventType": "Download",
                "series": {"path": season.rsplit("/", 1)[0]},
                "episodeFile": {"path": f"{season}/Severance - S02E0{episode}.mkv"},
            }
            assert send_webhook(hook, sonarr_event, secret)[1]["action"] == "sync"
        radarr_event = {"eventType": "Download", "isUpgrade": True,
                        "movie": {"folderPath": "/data/media/movies/Arrival (2016)"}}  # fmt: skip
        assert send_webhook(hook, radarr_event, secret)[0] == 200
        lidarr_event = {  # a Lidarr on Windows
            "eventType": "Download",
            "artist": {"path": "C:\\Music\\Low"},
            "trackFiles": [{"path": "C:\\Music\\Low\\Hey What\\01 White Horses.flac"}],
        }
        assert send_webhook(hook, lidarr_event, secret)[0] == 200
        assert (
            send_webhook(hook, {"eventType": "Grab", "movie": {"folderPath": "/x"}}, secret)[0]
            == 200
        )

        def refreshed() -> list[str]:
            calls = jellyfin.calls("POST", "/Library/Media/Updated")
            return sorted(call.body["Updates"][0]["Path"] for call in calls)

        wait_for(lambda: len(refreshed()) == 3)
        time.sleep(1)
        assert refreshed() == [
            "/media/movies/Arrival (2016)",
            "/media/tv/Severance/Season 02",
            "C:\\Music\\Low\\Hey What",
        ]
