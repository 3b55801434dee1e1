"""Where requests go (HD or 4K arr, Overseerr's server, profile and folder) and what they hold."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import pytest

from haul_engine.arr.kinds import ArrSettings
from haul_engine.connectors.kinds import ConnectorConfig
from haul_engine.errors import Conflict
from haul_engine.requests.arr import route
from tests.engine.requests.conftest import (
    FAST,
    MATRIX_LOOKUP,
    OFFER,
    WEBHOOK_SECRET,
    add_overseerr,
    only_request,
    wait_for_request,
)
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr_releases import ReleaseArr
from tests.fakes.overseerr import OverseerrRequest
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess

ULTRA_HD = {"id": 7, "name": "Ultra-HD", "upgradeAllowed": True, "cutoff": 19}
POSTER_PATH = "/f89U3ADr1oiB1s9GkdPOEpXUk5H.jpg"
TMDB = "https://image.tmdb.org/t/p/w600_and_h900_bestv2"


def matrix(**changes: Any) -> OverseerrRequest:  # noqa: ANN401
    """Overseerr's request for The Matrix, approved."""
    request = OverseerrRequest(
        id=31, media_type="movie", title="The Matrix", year=1999, tmdb_id=603, status=2,
        poster_path=POSTER_PATH, overview="A hacker learns what the Matrix is.",
    )  # fmt: skip
    return dataclasses.replace(request, **changes)


@dataclasses.dataclass
class Household:
    """An HD Radarr (Overseerr's server 0) and a 4K one (server 1) behind one engine."""

    engine: EngineProcess
    hd: ReleaseArr
    uhd: ReleaseArr
    hd_id: str
    uhd_id: str
    overseerr_id: str


@pytest.fixture
def household(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr
) -> Iterator[Household]:
    with (
        ReleaseArr("radarr", tmp_path / "hd") as hd,
        ReleaseArr("radarr", tmp_path / "uhd") as uhd,
    ):
        for radarr in (hd, uhd):
            radarr.metadata.append(MATRIX_LOOKUP | {"images": [
                {"coverType": "poster", "url": "/MediaCover/1/poster.jpg",
                 "remoteUrl": f"{TMDB}{POSTER_PATH}"}]})  # fmt: skip
        uhd.quality_profiles.append(ULTRA_HD)
        uhd.root_folders.append(str(tmp_path / "uhd" / "movies-4k"))
        engine = engine_factory(env={**FAST, "HAUL_REQUEST_ARR_WAIT_MINUTES": "0.03"}).start()
        hd_id = engine.add_connector(
            "radarr", hd.url, ARR_KEY, name="Radarr", request_default=True, request_servers=[0]
        )
        uhd_id = engine.add_connector(
            "radarr", uhd.url, ARR_KEY, name="Radarr 4K", request_4k=True, request_servers=[1],
            request_quality_profile=7,
        )  # fmt: skip
        overseerr_id = add_overseerr(engine, overseerr, reconcile=False)
        yield Household(engine, hd, uhd, hd_id, uhd_id, overseerr_id)


def _added(radarr: ReleaseArr) -> list[dict[str, Any]]:
    return [command["added"] for command in radarr.commands if "added" in command]


def test_a_4k_request_lands_on_the_4k_radarr_with_overseerrs_profile_and_folder(
    household: Household, overseerr: FakeOverseerr, tmp_path: Path
) -> None:
    """The webhook says nothing of 4K: the request read back does, and the 4K Radarr gets it."""
    engine, uhd = household.engine, household.uhd
    uhd.offers[1] = [OFFER]
    folder = str(tmp_path / "uhd" / "movies-4k")
    request = overseerr.add(matrix(is4k=True, server_id=1, profile_id=7, root_folder=folder,
                                   tags=[3]))  # fmt: skip
    url = f"{engine.url}/api/v1/webhooks/overseerr/{household.overseerr_id}"
    status, answer = send_webhook(url, request.webhook("MEDIA_AUTO_APPROVED"), WEBHOOK_SECRET)
    assert status == 200, answer
    request_id = only_request(engine)["id"]
    detail = wait_for_request(engine, request_id, "awaiting_selection")
    assert (detail["arr_connector_id"], detail["is4k"]) == (household.uhd_id, True)
    assert (detail["quality_profile_id"], detail["root_folder"]) == (7, folder)
    [added] = _added(uhd)
    assert (added["qualityProfileId"], added["rootFolderPath"], added["tags"]) == (7, folder, [3])
    assert added["addOptions"]["searchForMovie"] is False
    assert _added(household.hd) == []
    assert not [call for call in household.hd.requests if call[1].startswith("/api/v3/release")]
    assert [c["title"] for c in detail["candidates"]] == [OFFER.title]
    # what it is comes from Overseerr's media details
    assert (detail["title"], detail["year"]) == ("The Matrix", 1999)
    assert detail["overview"] == "A hacker learns what the Matrix is."
    assert detail["poster_url"] == f"{TMDB}{POSTER_PATH}"


def test_an_hd_request_goes_to_the_default_radarr_on_its_server(
    household: Household, overseerr: FakeOverseerr
) -> None:
    engine = household.engine
    request = overseerr.add(matrix(id=32, root_folder=household.hd.root_folders[0]))
    url = f"{engine.url}/api/v1/webhooks/overseerr/{household.overseerr_id}"
    assert send_webhook(url, request.webhook("MEDIA_AUTO_APPROVED"), WEBHOOK_SECRET)[0] == 200
    request_id = only_request(engine)["id"]
    detail = wait_for_request(engine, request_id, "searching")
    assert (detail["arr_connector_id"], detail["is4k"]) == (household.hd_id, False)
    [added] = _added(household.hd)
    assert (added["qualityProfileId"], added["rootFolderPath"]) == (
        4, household.hd.root_folders[0],
    )  # fmt: skip
    assert _added(household.uhd) == []


def test_a_profile_the_arr_lacks_fails_the_request_saying_why(
    household: Household, overseerr: FakeOverseerr
) -> None:
    """Overseerr names a quality profile deleted from Radarr since: the arr's refusal is told."""
    engine = household.engine
    request = overseerr.add(matrix(id=35, is4k=True, server_id=1, profile_id=99))
    url = f"{engine.url}/api/v1/webhooks/overseerr/{household.overseerr_id}"
    assert send_webhook(url, request.webhook("MEDIA_AUTO_APPROVED"), WEBHOOK_SECRET)[0] == 200
    failed = wait_for_request(engine, only_request(engine)["id"], "failed", timeout=20)
    assert failed["reason"].startswith("the title never appeared in Radarr 4K (adding it: ")
    assert "QualityProfileId" in failed["reason"]
    assert _added(household.uhd) == []


def test_where_an_admin_sends_a_request_when_approving_counts(
    household: Household, overseerr: FakeOverseerr, tmp_path: Path
) -> None:
    """Pending for the HD server, approved for the 4K one: the request follows the approval."""
    engine = household.engine
    request = overseerr.add(matrix(id=34, status=1))
    url = f"{engine.url}/api/v1/webhooks/overseerr/{household.overseerr_id}"
    assert send_webhook(url, request.webhook("MEDIA_PENDING"), WEBHOOK_SECRET)[0] == 200
    pending = only_request(engine)
    assert (pending["state"], pending["is4k"]) == ("pending", False)
    folder = str(tmp_path / "uhd" / "movies-4k")
    overseerr.store[34] = dataclasses.replace(
        request, status=2, is4k=True, server_id=1, profile_id=7, root_folder=folder
    )
    assert send_webhook(url, request.webhook("MEDIA_APPROVED"), WEBHOOK_SECRET)[0] == 200
    detail = wait_for_request(engine, pending["id"], "searching")
    assert (detail["arr_connector_id"], detail["root_folder"]) == (household.uhd_id, folder)
    assert [a["rootFolderPath"] for a in _added(household.uhd)] == [folder]
    assert _added(household.hd) == []


def test_a_request_made_in_haul_names_its_arr_profile_and_folder(
    household: Household, tmp_path: Path
) -> None:
    """Profiles and folders are listed from the arr; what it lacks is refused, naming them."""
    engine, uhd_id = household.engine, household.uhd_id
    assert engine.request("GET", f"/api/v1/requests/arr/{uhd_id}/profiles") == (
        200, [{"id": "4", "name": "HD-1080p"}, {"id": "7", "name": "Ultra-HD"}],
    )  # fmt: skip
    status, folders = engine.request("GET", f"/api/v1/requests/arr/{uhd_id}/folders")
    assert (status, [f["id"] for f in folders]) == (200, household.uhd.root_folders)
    overseerr_id = household.overseerr_id
    status, answer = engine.request("GET", f"/api/v1/requests/arr/{overseerr_id}/profiles")
    assert (status, answer["error"]["code"]) == (409, "conflict")

    body: dict[str, Any] = {"media_type": "movie", "query": "matrix", "connector_id": uhd_id}
    status, answer = engine.request("POST", "/api/v1/requests", body | {"quality_profile_id": 9})
    assert status == 400
    assert answer["error"]["message"] == (
        "quality_profile_id: Radarr 4K has no quality profile 9 (it has: 4 (HD-1080p), "
        "7 (Ultra-HD))"
    )
    status, answer = engine.request("POST", "/api/v1/requests", body | {"root_folder": "/nope"})
    assert (status, "root_folder: Radarr 4K has no root folder '/nope'") == (
        400, answer["error"]["message"].split(" (it has")[0],
    )  # fmt: skip
    status, answer = engine.request(
        "POST", "/api/v1/requests", body | {"connector_id": household.overseerr_id}
    )
    assert (status, answer["error"]["message"]) == (
        400, f"connector_id: no enabled radarr connector has the id {household.overseerr_id!r}",
    )  # fmt: skip
    assert _added(household.uhd) == []

    folder = str(tmp_path / "uhd" / "movies-4k")
    status, request = engine.request("POST", "/api/v1/requests", body | {"root_folder": folder})
    assert status == 200, request
    [added] = _added(household.uhd)
    # the connector's default profile for requests, the folder asked for
    assert (added["qualityProfileId"], added["rootFolderPath"]) == (7, folder)
    assert (request["arr_connector_id"], request["root_folder"]) == (uhd_id, folder)
    assert request["poster_url"] == f"{TMDB}{POSTER_PATH}"
    # without a connector named, the default for requests
    status, request = engine.request("POST", "/api/v1/requests", {"media_type": "movie",
                                                                    "tmdb_id": 603})  # fmt: skip
    assert (status, request["arr_connector_id"]) == (200, household.hd_id)


def test_a_read_back_request_has_its_title_and_poster_before_anyone_acts(
    engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr
) -> None:
    """Overseerr's request list names no title: the media details give title, year, poster."""
    overseerr.add(matrix(status=1))
    engine = engine_factory(env=FAST).start()
    add_overseerr(engine, overseerr)
    request = only_request(engine)
    assert request["state"] == "pending"
    assert (request["title"], request["year"]) == ("The Matrix", 1999)
    assert request["overview"] == "A hacker learns what the Matrix is."
    assert request["poster_url"] == f"{TMDB}{POSTER_PATH}"
    assert ("GET", "/api/v1/movie/603") in [(r["method"], r["path"]) for r in overseerr.requests]


def test_without_media_details_the_webhook_names_the_request(
    engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr
) -> None:
    """TMDB unreachable from Overseerr: the subject gives title and year, the image the poster."""
    engine = engine_factory(env=FAST).start()
    connector = add_overseerr(engine, overseerr, reconcile=False)
    overseerr.tmdb_down = True
    request = overseerr.add(matrix(id=33, status=1))
    url = f"{engine.url}/api/v1/webhooks/overseerr/{connector}"
    assert send_webhook(url, request.webhook("MEDIA_PENDING"), WEBHOOK_SECRET)[0] == 200
    received = only_request(engine)
    assert (received["title"], received["year"]) == ("The Matrix", 1999)
    assert received["poster_url"] == f"{TMDB}{POSTER_PATH}"
    assert received["overview"] is None
    assert "no details of The Matrix" in engine.log


def _config(name: str, **settings: Any) -> ConnectorConfig:  # noqa: ANN401
    return ConnectorConfig(
        id=name, kind="radarr", name=name, url="http://radarr", api_key="k",
        settings=ArrSettings.model_validate(settings),
    )  # fmt: skip


def test_routing_rules() -> None:
    """Bound first, then Overseerr's server, then 4K or not with the default first."""
    hd = _config("hd")
    default = _config("default", request_default=True)
    uhd = _config("uhd", request_4k=True, request_servers=[2])
    configs = [hd, default, uhd]
    assert route(configs, "movie") is default
    assert route(configs, "movie", connector_id="hd") is hd
    assert route(configs, "movie", connector_id="gone") is default
    assert route(configs, "movie", is4k=True) is uhd
    assert route(configs, "movie", server_id=2) is uhd
    assert route(configs, "movie", server_id=5) is default
    assert route([uhd], "movie") is uhd  # a request for HD takes the only Radarr there is
    assert route(configs, "tv") is None
    with pytest.raises(Conflict, match="no radarr connector serves 4K requests"):
        route([hd, default], "movie", is4k=True)
    disabled = dataclasses.replace(uhd, enabled=False)
    with pytest.raises(Conflict):
        route([hd, disabled], "movie", is4k=True)
