"""Release search and grab through the real engine, with indexers configured as connectors."""

from __future__ import annotations

import urllib.parse
from typing import TYPE_CHECKING, Any

import pytest

from tests.fakes.prowlarr import FakeProwlarr
from tests.fakes.torznab import FakeRelease, FakeTorznab
from tests.support.programs import free_port

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from tests.support.engine import EngineProcess

GB = 1024**3
MAGNET = FakeRelease("Movie.Title.2020.1080p.WEB-DL.x264-GRP", size=3 * GB, seeders=120)
TORRENT = FakeRelease(
    "Movie.Title.2020.1080p.BluRay.x265-GRP", size=4 * GB, seeders=80, link="torrent"
)
TOO_BIG = FakeRelease("Movie.Title.2020.2160p.WEB-DL.x265-GRP", size=8 * GB, seeders=300)


@pytest.fixture
def quiet_engine(engine_factory: Callable[..., EngineProcess]) -> EngineProcess:
    """An engine whose torrent session talks to nobody outside this machine."""
    env = {"HAUL_DHT": "false", "HAUL_LSD": "false", "HAUL_LISTEN_PORT": str(free_port())}
    return engine_factory(env=env).start()


@pytest.fixture
def feeds() -> Iterator[tuple[FakeTorznab, FakeProwlarr]]:
    with (
        FakeTorznab([MAGNET, TORRENT, TOO_BIG], title="feed") as torznab,
        FakeProwlarr({1: [MAGNET]}) as prowlarr,
    ):
        prowlarr.behaviour.failure = "500"
        yield torznab, prowlarr


def add_connector(
    engine: EngineProcess, kind: str, name: str, url: str, api_key: str
) -> dict[str, Any]:
    status, connector = engine.request(
        "POST",
        "/api/v1/connectors",
        {"kind": kind, "name": name, "url": url, "api_key": api_key, "settings": {"timeout": 5}},
    )
    assert status == 200, connector
    return dict(connector)


def search(engine: EngineProcess, **params: object) -> tuple[int, Any]:
    return engine.request("GET", f"/api/v1/releases/search?{urllib.parse.urlencode(params)}")


def test_search_ranks_across_indexers_and_grabs(
    quiet_engine: EngineProcess, feeds: tuple[FakeTorznab, FakeProwlarr]
) -> None:
    torznab, prowlarr = feeds
    engine = quiet_engine
    status, error = search(engine, query="Movie Title")
    assert (status, error["error"]["code"]) == (409, "conflict")
    add_connector(engine, "torznab", "feed", torznab.url, torznab.api_key)
    prowlarr_connector = add_connector(
        engine, "prowlarr", "prowlarr", prowlarr.url, prowlarr.api_key
    )

    status, answer = search(engine, query="Movie Title", type="movie", profile="1080p-compact")
    assert status == 200, answer
    assert answer["profile"] == "1080p-compact"
    assert [result["title"] for result in answer["results"]] == [
        TORRENT.title,
        MAGNET.title,
        TOO_BIG.title,
    ]
    assert (answer["accepted"], answer["rejected"]) == (2, 1)
    assert answer["results"][2]["rejections"] == ["2160p is above the profile's maximum of 1080p"]
    reports = {report["name"]: report for report in answer["indexers"]}
    assert (reports["feed"]["ok"], reports["feed"]["results"]) == (True, 3)
    assert reports["prowlarr"]["ok"] is False
    assert reports["prowlarr"]["error"] == "prowlarr: HTTP 500 Internal Server Error"
    assert torznab.requests[-1]["t"] == "movie"

    status, added = engine.request(
        "POST", "/api/v1/releases/grab", {"id": answer["results"][0]["id"]}
    )
    assert status == 200, added
    assert (added["info_hash"], added["name"]) == (TORRENT.info_hash, TORRENT.title)
    status, added = engine.request(
        "POST", "/api/v1/releases/grab", {"id": answer["results"][1]["id"]}
    )
    assert status == 200, added
    assert added["info_hash"] == MAGNET.info_hash  # the feed's link redirected to a magnet
    hashes = {torrent["hash"] for torrent in engine.request("GET", "/api/v1/torrents")[1]}
    assert {TORRENT.info_hash, MAGNET.info_hash} <= hashes

    for _ in range(2):
        search(engine, query="Movie Title")
    status, indexers = engine.request("GET", "/api/v1/indexers")
    assert status == 200
    [failing] = [indexer for indexer in indexers if indexer["name"] == "prowlarr"]
    assert failing["failures"] == 3
    assert failing["pause_reason"] == "backed off after 3 failures in a row"
    system = engine.request("GET", "/api/v1/system")[1]
    assert (
        "indexer prowlarr: backed off after 3 failures in a row; next try in 60 s"
        in system["problems"]
    )
    connector = engine.request("GET", f"/api/v1/connectors/{prowlarr_connector['id']}")[1]
    assert connector["health"] == "unhealthy"

    prowlarr.behaviour.failure = None  # the user fixed Prowlarr and asks Haul to look again
    status, synced = engine.request("POST", f"/api/v1/connectors/{prowlarr_connector['id']}/sync")
    assert (status, synced) == (
        200,
        {"ok": True, "app": "Prowlarr", "version": "1.30.2.4939", "error": None},
    )
    problems = engine.request("GET", "/api/v1/system")[1]["problems"]
    assert not [problem for problem in problems if problem.startswith("indexer ")]
    connector = engine.request("GET", f"/api/v1/connectors/{prowlarr_connector['id']}")[1]
    assert connector["health"] == "healthy"

    answers = repr(answer) + repr(indexers) + repr(system)
    for key in (torznab.api_key, prowlarr.api_key):
        assert key not in answers
        assert key not in engine.log
    assert "apikey=**REDACTED**" in engine.log


def test_bad_search_and_grab_input(quiet_engine: EngineProcess) -> None:
    engine = quiet_engine
    cases = [
        ("GET", "/api/v1/releases/search?type=movie", None, 400, "give words to search for"),
        ("GET", "/api/v1/releases/search?query=x&type=book", None, 400, "type"),
        ("GET", "/api/v1/releases/search?imdb_id=0133093", None, 400, "imdb_id"),
        (
            "GET",
            "/api/v1/releases/search?query=x&profile=nope",
            None,
            404,
            "no quality profile 'nope'",
        ),
        ("POST", "/api/v1/releases/grab", {}, 400, "give exactly one of id, magnet or url"),
        (
            "POST",
            "/api/v1/releases/grab",
            {"id": "a" * 40, "magnet": "magnet:?x"},
            400,
            "exactly one",
        ),
        ("POST", "/api/v1/releases/grab", {"magnet": "magnet:?dn=nothing"}, 400, "urn:btih"),
        ("POST", "/api/v1/releases/grab", {"id": "f" * 40}, 404, "no search result"),
    ]
    for method, path, body, expected, message in cases:
        status, answer = engine.request(method, path, body)
        assert status == expected, (path, body, answer)
        assert message in answer["error"]["message"], answer
    magnet = f"magnet:?xt=urn:btih:{'c' * 40}&dn=direct"
    status, added = engine.request(
        "POST", "/api/v1/releases/grab", {"magnet": magnet, "category": "movies"}
    )
    assert status == 200, added
    assert added["info_hash"] == "c" * 40


def test_connection_test_of_indexer_kinds(
    quiet_engine: EngineProcess, feeds: tuple[FakeTorznab, FakeProwlarr]
) -> None:
    torznab, prowlarr = feeds
    body = {"kind": "torznab", "name": "feed", "url": torznab.url, "api_key": torznab.api_key}
    assert quiet_engine.request("POST", "/api/v1/connectors/test", body)[1] == {
        "ok": True,
        "app": "feed",
        "version": "1.1",
        "error": None,
    }
    status, answer = quiet_engine.request(
        "POST", "/api/v1/connectors/test", {**body, "api_key": "wrong-key-123"}
    )
    assert (status, answer["ok"]) == (200, False)
    assert answer["error"] == "feed: error 100: Invalid API Key"
    prowlarr.behaviour.failure = None
    body = {"kind": "prowlarr", "name": "p", "url": prowlarr.url, "api_key": prowlarr.api_key}
    assert quiet_engine.request("POST", "/api/v1/connectors/test", body)[1] == {
        "ok": True,
        "app": "Prowlarr",
        "version": "1.30.2.4939",
        "error": None,
    }
    body["settings"] = {"concurrency": 0}  # type: ignore[assignment]
    status, answer = quiet_engine.request("POST", "/api/v1/connectors/test", body)
    assert status == 400
    assert "settings.concurrency" in answer["error"]["message"]


def test_indexers_show_their_last_response_time(
    quiet_engine: EngineProcess, feeds: tuple[FakeTorznab, FakeProwlarr]
) -> None:
    """A successful search records how long each indexer took; a failing one records nothing."""
    torznab, prowlarr = feeds
    engine = quiet_engine
    feed = add_connector(engine, "torznab", "feed", torznab.url, torznab.api_key)
    failing = add_connector(engine, "prowlarr", "prowlarr", prowlarr.url, prowlarr.api_key)

    def response_times() -> dict[str, int | None]:
        status, indexers = engine.request("GET", "/api/v1/indexers")
        assert status == 200
        return {indexer["id"]: indexer["last_response_ms"] for indexer in indexers}

    assert response_times() == {feed["id"]: None, failing["id"]: None}
    torznab.behaviour.delay = 0.3
    status, answer = search(engine, query="Movie Title")
    assert status == 200, answer
    reports = {report["name"]: report for report in answer["indexers"]}
    shown = response_times()
    assert shown == {feed["id"]: reports["feed"]["elapsed_ms"], failing["id"]: None}
    assert shown[feed["id"]] >= 300
    torznab.behaviour.delay = 0.0
    assert search(engine, query="Movie Title")[0] == 200
    assert (response_times()[feed["id"]] or 0) < 300
