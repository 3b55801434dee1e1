"""Requests started in Haul, searches that find nothing, searching again and cancelling."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from tests.engine.requests.conftest import (
    DUNES,
    FAST,
    MATRIX_LOOKUP,
    OFFER,
    WEBHOOK_SECRET,
    add_overseerr,
    only_request,
    wait_for_request,
)
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr import NOW, QUALITIES
from tests.fakes.arr_releases import Offer, ReleaseArr
from tests.fakes.overseerr import OverseerrRequest
from tests.fakes.torznab import FakeRelease, FakeTorznab
from tests.support.peers import engine_env
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess


@pytest.fixture
def radarr(tmp_path: Path) -> Iterator[ReleaseArr]:
    """A Radarr whose metadata source knows The Matrix, with nothing in its library yet."""
    with ReleaseArr("radarr", tmp_path / "library") as server:
        server.metadata.append(MATRIX_LOOKUP)
        yield server


@pytest.fixture
def engine(engine_factory: Callable[..., EngineProcess], radarr: ReleaseArr) -> EngineProcess:
    """An engine with that Radarr, giving up after two empty searches."""
    engine = engine_factory(env={**FAST, "HAUL_REQUEST_SEARCH_ATTEMPTS": "2"}).start()
    engine.add_connector("radarr", radarr.url, ARR_KEY)
    return engine


def test_a_request_made_in_haul_is_added_to_the_arr_without_searching(
    engine: EngineProcess, radarr: ReleaseArr
) -> None:
    """POST /requests looks up, adds unsearched, offers the arr's releases; bad input is refused."""
    radarr.offers[1] = [OFFER]
    status, request = engine.request(
        "POST", "/api/v1/requests",
        {"media_type": "movie", "query": "matrix", "requested_by": "kitchen speaker"},
    )  # fmt: skip
    assert status == 200, request
    assert (request["state"], request["title"], request["tmdb_id"]) == (
        "approved", "The Matrix", 603,
    )  # fmt: skip
    added = radarr.commands[-1]["added"]
    assert added["addOptions"] == {"searchForMovie": False, "monitor": "movieOnly"}
    assert (added["qualityProfileId"], added["monitored"]) == (4, True)
    assert not [c for c in radarr.commands if c.get("name") == "MoviesSearch"]
    detail = wait_for_request(engine, request["id"], "awaiting_selection")
    assert [c["title"] for c in detail["candidates"]] == [OFFER.title]
    assert detail["candidates"][0]["summary"] == "1080p BluRay · 8.0 GB · 25 seeders · GRP"
    assert detail["history"][0]["actor"] == "kitchen speaker"

    status, again = engine.request(
        "POST", "/api/v1/requests", {"media_type": "movie", "tmdb_id": 603}
    )
    assert status == 200, again
    assert again["id"] == request["id"]
    assert len(radarr.library.movies) == 1

    status, answer = engine.request("POST", "/api/v1/requests", {"media_type": "movie"})
    assert (status, answer["error"]["message"]) == (
        400, "give a query, or a tmdb_id (movie), tvdb_id (tv) or musicbrainz_id (album, artist)",
    )  # fmt: skip
    status, answer = engine.request(
        "POST", "/api/v1/requests", {"media_type": "movie", "query": "no such film"}
    )
    assert status == 404
    assert "no title" in answer["error"]["message"]
    status, answer = engine.request("POST", "/api/v1/requests", {"media_type": "tv", "tvdb_id": 1})
    assert status == 409
    assert "sonarr" in answer["error"]["message"]
    assert (
        engine.request("POST", "/api/v1/requests", {"media_type": "book", "query": "x"})[0] == 400
    )
    assert engine.request("GET", "/api/v1/requests/42")[0] == 404
    assert engine.request("POST", "/api/v1/requests/42/cancel")[0] == 404


def test_an_ambiguous_title_answers_its_candidates_and_a_year_chooses(
    engine: EngineProcess, radarr: ReleaseArr
) -> None:
    """Two films called Dune: nothing is added, both are offered; the year or the id picks one."""
    radarr.metadata.extend(DUNES)
    status, answer = engine.request(
        "POST", "/api/v1/requests", {"media_type": "movie", "query": "Dune"}
    )
    assert status == 409, answer
    error = answer["error"]
    assert error["code"] == "ambiguous"
    assert error["message"] == (
        "'Dune' matches several titles: Dune (2021) or Dune (1984); give the year or an id"
    )
    assert error["details"]["candidates"] == [
        {"title": "Dune", "year": 2021, "tmdb_id": 438631, "tvdb_id": None,
         "imdb_id": "tt1160419", "overview": DUNES[0]["overview"],
         "poster_url": DUNES[0]["remotePoster"], "musicbrainz_id": None, "in_library": False},
        {"title": "Dune", "year": 1984, "tmdb_id": 841, "tvdb_id": None,
         "imdb_id": "tt0087182", "overview": DUNES[1]["overview"],
         "poster_url": DUNES[1]["images"][0]["remoteUrl"], "musicbrainz_id": None,
         "in_library": False},
    ]  # fmt: skip
    assert not radarr.library.movies
    # over the WebSocket the same error, with the same details
    reply = asyncio.run(engine.ws_call("requests/create", {"media_type": "movie", "query": "Dune"}))
    assert reply == {"id": 1, **answer}

    status, answer = engine.request(
        "POST", "/api/v1/requests", {"media_type": "movie", "query": "Dune", "year": 1990}
    )
    assert (status, answer["error"]["code"]) == (404, "not_found")
    status, answer = engine.request(
        "POST", "/api/v1/requests", {"media_type": "movie", "query": "dune", "year": 1984}
    )
    assert status == 200, answer
    assert (answer["title"], answer["year"], answer["tmdb_id"]) == ("Dune", 1984, 841)
    status, answer = engine.request("POST", "/api/v1/requests", {"media_type": "movie",
                                                                "tmdb_id": 438631})  # fmt: skip
    assert (status, answer["year"]) == (200, 2021)
    assert sorted(movie["year"] for movie in radarr.library.movies.values()) == [1984, 2021]
    status, answer = engine.request(
        "POST", "/api/v1/requests", {"media_type": "movie", "query": "dune: part two"}
    )
    assert (status, answer["title"]) == (200, "Dune: Part Two")


def test_nothing_found_retries_then_fails_and_can_search_again(
    engine: EngineProcess, radarr: ReleaseArr
) -> None:
    """Empty searches are retried on schedule, then the request fails; search starts over."""
    status, request = engine.request("POST", "/api/v1/requests", {"media_type": "movie",
                                                                 "query": "matrix"})  # fmt: skip
    assert status == 200, request
    failed = wait_for_request(engine, request["id"], "failed")
    assert failed["reason"] == "nothing found after 2 searches"
    searches = [path for method, path in radarr.requests if path.startswith("/api/v3/release?")]
    assert searches == ["/api/v3/release?movieId=1"] * 2

    radarr.offers[1] = [OFFER]
    status, answer = engine.request("POST", f"/api/v1/requests/{request['id']}/search",
                                    {"actor": "admin"})  # fmt: skip
    assert (status, answer["state"]) == (200, "searching")
    wait_for_request(engine, request["id"], "awaiting_selection")
    status, answer = engine.request("POST", f"/api/v1/requests/{request['id']}/cancel")
    assert (status, answer["state"]) == (200, "cancelled")
    status, answer = engine.request("POST", f"/api/v1/requests/{request['id']}/search")
    assert status == 409
    assert "cancelled" in answer["error"]["message"]


def test_a_series_request_searches_its_season_through_sonarr(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr
) -> None:
    """Sonarr's season search is offered; a grab after its cache expired searches again."""
    env = engine_env(**FAST)
    engine = engine_factory(env=env).start()
    with ReleaseArr("sonarr", tmp_path / "library") as sonarr:
        sonarr.use_client(engine.url, "admin", env["HAUL_QBITTORRENT_PASSWORD"])
        sonarr.library.series[1] = {"id": 1, "title": "Severance", "monitored": True,
                                    "tvdbId": 371980}  # fmt: skip
        pack = Offer(
            title="Severance.S02.1080p.ATVP.WEB-DL.DDP5.1.H.264-NTb", season=2, size=10**10,
            magnet="magnet:?xt=urn:btih:" + "cd" * 20, info_hash="cd" * 20,
        )  # fmt: skip
        sonarr.offers[1] = [pack]
        engine.add_connector("sonarr", sonarr.url, ARR_KEY)
        connector = add_overseerr(engine, overseerr, reconcile=False)
        request = overseerr.add(OverseerrRequest(
            id=3, media_type="tv", title="Severance", year=2022, tmdb_id=95396, tvdb_id=371980,
            seasons=[2], status=2,
        ))  # fmt: skip
        url = f"{engine.url}/api/v1/webhooks/overseerr/{connector}"
        assert send_webhook(url, request.webhook("MEDIA_APPROVED"), WEBHOOK_SECRET)[0] == 200
        request_id = only_request(engine)["id"]
        detail = wait_for_request(engine, request_id, "awaiting_selection")
        assert detail["seasons"] == [2]
        assert [(c["title"], c["season"]) for c in detail["candidates"]] == [(pack.title, 2)]
        assert detail["candidates"][0]["summary"] == "1080p WEB-DL · 10.0 GB · 25 seeders · ATVP"
        searches = [path for _method, path in sonarr.requests if "/release?" in path]
        assert searches == ["/api/v3/release?seriesId=1&seasonNumber=2"]

        sonarr.expire_cache()
        choice = {"candidate_id": detail["candidates"][0]["id"]}
        status, answer = engine.request("POST", f"/api/v1/requests/{request_id}/select", choice)
        assert status == 200, answer
        assert sonarr.grabbed == [pack.title]
        downloading = wait_for_request(engine, request_id, "downloading")
        assert downloading["download_id"] == "cd" * 20
        torrent = engine.request("GET", f"/api/v1/torrents/{'cd' * 20}")[1]
        assert torrent["category"] == "tv-sonarr"


def test_auto_pick_after_the_waiting_time(
    engine_factory: Callable[..., EngineProcess], radarr: ReleaseArr
) -> None:
    """With request_auto_pick_hours set, the best acceptable candidate is grabbed in time."""
    env = engine_env(HAUL_REQUEST_AUTO_PICK_HOURS="0.0002", **FAST)
    engine = engine_factory(env=env).start()
    radarr.use_client(engine.url, "admin", env["HAUL_QBITTORRENT_PASSWORD"])
    rejected = Offer(title="The.Matrix.1999.720p.HDTV.x264-BAD", quality="HDTV-720p", size=10**9,
                     magnet="magnet:?xt=urn:btih:" + "ef" * 20, info_hash="ef" * 20,
                     approved=False, rejections=["Not an upgrade"])  # fmt: skip
    radarr.offers[1] = [rejected, OFFER]
    engine.add_connector("radarr", radarr.url, ARR_KEY)
    status, request = engine.request("POST", "/api/v1/requests", {"media_type": "movie",
                                                                 "tmdb_id": 603})  # fmt: skip
    assert status == 200, request
    detail = wait_for_request(engine, request["id"], "downloading")
    assert radarr.grabbed == [OFFER.title]
    grab = next(move for move in detail["history"] if move["to_state"] == "grabbed")
    assert (grab["actor"], grab["origin"], grab["message"]) == ("auto-pick", "worker", OFFER.title)


def test_when_the_arr_finds_nothing_indexer_releases_are_pushed_to_it(
    engine_factory: Callable[..., EngineProcess], radarr: ReleaseArr
) -> None:
    """Haul's own search fills in; the chosen release is pushed so the arr tracks and imports it."""
    env = engine_env(**FAST)
    engine = engine_factory(env=env).start()
    radarr.use_client(engine.url, "admin", env["HAUL_QBITTORRENT_PASSWORD"])
    engine.add_connector("radarr", radarr.url, ARR_KEY)
    release = FakeRelease("The.Matrix.1999.1080p.BluRay.x264-SPARKS", link="magnet_attr")
    with FakeTorznab([release]) as torznab:
        engine.add_connector("torznab", torznab.url, torznab.api_key)
        status, request = engine.request(
            "POST", "/api/v1/requests", {"media_type": "movie", "tmdb_id": 603}
        )
        assert status == 200, request
        detail = wait_for_request(engine, request["id"], "awaiting_selection")
    candidate = detail["candidates"][0]
    assert (candidate["origin"], candidate["title"]) == ("indexer", release.title)
    assert candidate["haul_accepted"] is True
    choice = {"candidate_id": candidate["id"]}
    status, answer = engine.request("POST", f"/api/v1/requests/{request['id']}/select", choice)
    assert status == 200, answer
    assert radarr.grabbed == [release.title]
    downloading = wait_for_request(engine, request["id"], "downloading")
    assert downloading["download_id"] == release.info_hash


def test_an_overseerrs_ranking_profile_ranks_its_requests(
    engine: EngineProcess, radarr: ReleaseArr, overseerr: FakeOverseerr
) -> None:
    """The connector's ranking profile, not the default one; one removed since: the default."""
    radarr.library.movies[1] = {
        "id": 1, "title": "The Matrix", "year": 1999, "monitored": True, "hasFile": False,
        "isAvailable": True, "tmdbId": 603, "quality": QUALITIES[1], "cutoffNotMet": False,
        "released": NOW,
    }  # fmt: skip
    radarr.offers[1] = [OFFER]
    rules = {"min_resolution": 2160}
    uhd = engine.call("POST", "/releases/profiles", {"name": "UHD only", "rules": rules})
    connector = add_overseerr(engine, overseerr, reconcile=False, ranking_profile=uhd["id"])
    request = overseerr.add(OverseerrRequest(
        id=5, media_type="movie", title="The Matrix", year=1999, tmdb_id=603, status=2,
    ))  # fmt: skip
    url = f"{engine.url}/api/v1/webhooks/overseerr/{connector}"
    assert send_webhook(url, request.webhook("MEDIA_APPROVED"), WEBHOOK_SECRET)[0] == 200
    request_id = only_request(engine)["id"]
    (candidate,) = wait_for_request(engine, request_id, "awaiting_selection")["candidates"]
    assert candidate["haul_accepted"] is False
    assert any("2160" in rejection for rejection in candidate["haul_rejections"]), candidate

    engine.call("DELETE", f"/releases/profiles/{uhd['id']}")
    engine.call("POST", f"/requests/{request_id}/search")
    wait_for_request(engine, request_id, "searching")
    (candidate,) = wait_for_request(engine, request_id, "awaiting_selection")["candidates"]
    assert candidate["haul_accepted"] is True, candidate
    assert "ranking profile 'uhd-only' is gone" in engine.log
