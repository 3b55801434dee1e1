"""End to end: webhook → arr interactive search → pick → real download → arr import → Jellyfin."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from tests.engine.requests.conftest import (
    FAST,
    WEBHOOK_SECRET,
    EventRecorder,
    add_overseerr,
    only_request,
    wait_for_request,
)
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr import NOW, QUALITIES
from tests.fakes.arr_releases import Offer, ReleaseArr
from tests.fakes.mediaservers import JELLYFIN_KEY, FakeJellyfin
from tests.fakes.overseerr import OverseerrRequest
from tests.fakes.torznab import FakeRelease, FakeTorznab
from tests.support.peers import QbittorrentPeer, engine_env, make_torrent, wait_for_torrent
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess
    from tests.support.peers import MadeTorrent

GOOD = "The.Matrix.1999.1080p.AMZN.WEB-DL.DDP5.1.H.264-FLUX"
CAM = "The.Matrix.1999.CAM.x264-NOGRP"
DEAD = "The.Matrix.1999.2160p.WEB-DL.DDP5.1.HDR.H.265-DEAD"
OTHER = "The.Matrix.1999.720p.WEB-DL.DDP5.1.H.264-OTHER"
SIZE = 3 * 1024 * 1024


@dataclass
class World:
    """Everything one end-to-end test runs against."""

    engine: EngineProcess
    seeder: QbittorrentPeer
    radarr: ReleaseArr
    jellyfin: FakeJellyfin
    overseerr: FakeOverseerr
    overseerr_id: str
    radarr_id: str
    torrent: MadeTorrent
    tmp_path: Path

    def webhook(self, kind: str, request: OverseerrRequest) -> None:
        """Deliver a webhook for request as Overseerr would."""
        url = f"{self.engine.url}/api/v1/webhooks/overseerr/{self.overseerr_id}"
        status, answer = send_webhook(url, request.webhook(kind), WEBHOOK_SECRET)
        assert status == 200, answer

    def add_movie(self) -> None:
        """Overseerr's add reaching Radarr: The Matrix appears in its library as movie 1."""
        movie = {
            "id": 1, "title": "The Matrix", "year": 1999, "monitored": True, "hasFile": False,
            "isAvailable": True, "tmdbId": 603, "quality": QUALITIES[1], "cutoffNotMet": False,
            "released": NOW,
        }  # fmt: skip
        self.radarr.call(self.radarr.library.movies.__setitem__, 1, movie)

    def feed_peer(self, info_hash: str) -> None:
        """Connect the engine's copy of the torrent to the seeder (no DHT or trackers here)."""
        wait_for_torrent(self.engine, info_hash, lambda _torrent: True, timeout=20)
        peer = f"127.0.0.1:{self.seeder.listen_port}"
        status, answer = self.engine.request(
            "POST", f"/api/v1/torrents/{info_hash}/peers", {"peers": [peer]}
        )
        assert status in {200, 204}, answer

    def restart(self) -> None:
        """Stop the engine cleanly and start it again on the same data."""
        self.engine.restart()


def offer(torrent: MadeTorrent | None, title: str, **verdict: Any) -> Offer:  # noqa: ANN401
    """An offer whose magnet points at torrent (or at a torrent nobody seeds)."""
    info_hash = torrent.info_hash if torrent else hashlib.sha1(title.encode()).hexdigest()  # noqa: S324
    return Offer(
        title=title, magnet=f"magnet:?xt=urn:btih:{info_hash}&dn={title}", size=SIZE,
        info_hash=info_hash, **verdict,
    )  # fmt: skip


@pytest.fixture
def world(
    tmp_path: Path,
    engine_factory: Callable[..., EngineProcess],
    overseerr: FakeOverseerr,
    engine_args: list[str],
) -> Iterator[World]:
    """A seeded torrent, the engine, Radarr with its offers, Jellyfin and Overseerr, connected."""
    torrent = make_torrent(tmp_path / "content", GOOD, {f"{GOOD}.mkv": SIZE})
    seeder = QbittorrentPeer(tmp_path / "seeder").start()
    env = engine_env(HAUL_REQUEST_STALL_MINUTES="0.12", **FAST)
    engine = engine_factory(env=env, args=engine_args).start()
    radarr = ReleaseArr("radarr", tmp_path / "library").start()
    jellyfin = FakeJellyfin().start()
    try:
        seeder.seed(torrent)
        radarr.use_client(engine.url, "admin", env["HAUL_QBITTORRENT_PASSWORD"])
        radarr.offers[1] = [
            offer(None, DEAD),
            offer(torrent, GOOD, custom_formats=["AMZN"], custom_format_score=50),
            offer(None, CAM, approved=False, rejections=["CAM is not wanted in profile"],
                  quality="HDTV-720p"),
        ]  # fmt: skip
        radarr_id = engine.add_connector("radarr", radarr.url, ARR_KEY)
        engine.add_connector("jellyfin", jellyfin.url, JELLYFIN_KEY)
        connector = add_overseerr(
            engine, overseerr, reconcile=False, auto_pick_users=["carol"],
            availability_job="availability-sync",
        )  # fmt: skip
        yield World(
            engine, seeder, radarr, jellyfin, overseerr, connector, radarr_id, torrent, tmp_path
        )
    finally:
        jellyfin.stop()
        radarr.stop()
        seeder.stop()


def _states(engine: EngineProcess, request_id: int) -> list[str]:
    detail = engine.request("GET", f"/api/v1/requests/{request_id}")[1]
    return [move["to_state"] for move in detail["history"]]


def _assert_imported(world: World, request: dict[str, Any]) -> None:
    """The library holds the seeded bytes and Jellyfin was told about exactly its folder."""
    imported = world.tmp_path / "library" / "The Matrix (1999)" / f"{GOOD}.mkv"
    original = world.torrent.parent / f"{GOOD}.mkv"
    assert request["imported_path"] == str(imported)
    assert imported.read_bytes() == original.read_bytes()
    updates = [call.body for call in world.jellyfin.calls("POST", "/Library/Media/Updated")]
    assert {"Updates": [{"Path": str(imported.parent), "UpdateType": "Created"}]} in updates


def _auto_approved_until_imported(world: World, overseerr_id: int) -> int:
    """Carol's auto-approved request for The Matrix, fed its torrent until it is available."""
    world.webhook("MEDIA_AUTO_APPROVED", world.overseerr.add(
        OverseerrRequest(id=overseerr_id, media_type="movie", title="The Matrix", year=1999,
                         tmdb_id=603, status=2, user="carol")))  # fmt: skip
    request_id = int(only_request(world.engine)["id"])
    world.feed_peer(world.torrent.info_hash)
    _assert_imported(world, wait_for_request(world.engine, request_id, "available", timeout=30))
    return request_id


def test_select_download_import_refresh_with_a_restart_at_every_stage(world: World) -> None:
    """An admin picks the second candidate; every stage survives an engine restart."""
    engine = world.engine
    world.webhook("MEDIA_AUTO_APPROVED", world.overseerr.add(
        OverseerrRequest(id=11, media_type="movie", title="The Matrix", year=1999, tmdb_id=603,
                         status=2)))  # fmt: skip
    request_id = only_request(engine)["id"]
    wait_for_request(engine, request_id, "approved")
    world.restart()  # approved, waiting for Overseerr's add to reach Radarr
    world.add_movie()
    detail = wait_for_request(engine, request_id, "awaiting_selection")
    titles = [(c["title"], c["arr_approved"]) for c in detail["candidates"]]
    assert titles == [(DEAD, True), (GOOD, True), (CAM, False)]
    good = detail["candidates"][1]
    assert good["summary"] == "1080p WEB-DL · 0.0 GB · 25 seeders · AMZN"
    assert (good["custom_formats"], good["custom_format_score"]) == (["AMZN"], 50)
    assert detail["candidates"][2]["arr_rejections"] == ["CAM is not wanted in profile"]
    assert any("CAM" in reason for reason in detail["candidates"][2]["haul_rejections"])

    world.restart()  # awaiting selection
    status, answer = engine.request("POST", f"/api/v1/requests/{request_id}/select",
                                    {"candidate_id": 999})  # fmt: skip
    assert status == 404, answer
    status, answer = engine.request("POST", f"/api/v1/requests/{request_id}/select",
                                    {"candidate_id": good["id"], "actor": "admin-dan"})  # fmt: skip
    assert status == 200, answer
    assert answer["state"] == "grabbed"
    assert world.radarr.grabbed == [GOOD]
    wait_for_request(engine, request_id, "downloading")
    world.restart()  # downloading (no peer yet, so nothing can have finished)
    world.radarr.hold_imports = True
    world.feed_peer(world.torrent.info_hash)
    wait_for_request(engine, request_id, "importing")
    world.restart()  # importing, the arr has not imported yet
    world.radarr.hold_imports = False
    request = wait_for_request(engine, request_id, "available", timeout=60)

    _assert_imported(world, request)
    assert _states(engine, request_id) == [
        "pending", "approved", "searching", "awaiting_selection", "grabbed", "downloading",
        "importing", "available",
    ]  # fmt: skip
    history = engine.request("GET", f"/api/v1/requests/{request_id}")[1]["history"]
    assert ("admin-dan", "api") in [(move["actor"], move["origin"]) for move in history]
    assert world.jellyfin.scans_completed == 0
    assert world.overseerr.jobs_run == ["availability-sync"]


def test_auto_pick_skips_a_dead_torrent_for_the_next_candidate(world: World) -> None:
    """For a chosen user Haul picks at once; the dead pick is blocklisted and the next one taken."""
    engine = world.engine
    events = EventRecorder(engine).start()
    world.add_movie()
    world.webhook("MEDIA_AUTO_APPROVED", world.overseerr.add(
        OverseerrRequest(id=12, media_type="movie", title="The Matrix", year=1999, tmdb_id=603,
                         status=2, user="carol")))  # fmt: skip
    request_id = only_request(engine)["id"]
    deadline = time.monotonic() + 30
    while GOOD not in world.radarr.grabbed:
        assert time.monotonic() < deadline, engine.log[-3000:]
        time.sleep(0.1)
    assert world.radarr.grabbed == [DEAD, GOOD]
    assert world.radarr.blocklisted == [DEAD]
    world.feed_peer(world.torrent.info_hash)
    request = wait_for_request(engine, request_id, "available", timeout=60)
    _assert_imported(world, request)
    detail = engine.request("GET", f"/api/v1/requests/{request_id}")[1]
    failed = {c["title"]: c["failed"] for c in detail["candidates"] if c["failed"]}
    assert failed == {DEAD: "the download stalled"}
    assert _states(engine, request_id).count("awaiting_selection") == 2

    events.stop()
    first_offer = events.named("request_awaiting_selection")[0]
    assert [c["summary"] for c in first_offer["candidates"]] == [
        "2160p WEB-DL · 0.0 GB · 25 seeders · GRP",
        "1080p WEB-DL · 0.0 GB · 25 seeders · AMZN",
        "CAM · 0.0 GB · 25 seeders · GRP",
    ]
    assert (first_offer["title"], first_offer["year"]) == ("The Matrix", 1999)
    assert [e["candidate"]["title"] for e in events.named("release_grabbed")] == [DEAD, GOOD]
    assert len(events.named("request_received")) == len(events.named("request_approved")) == 1
    assert events.named("download_completed")[0]["download_id"] == world.torrent.info_hash
    assert events.named("import_completed")[0]["path"] == request["imported_path"]
    assert events.named("request_available")[0]["id"] == request_id
    # every change of the request is an event carrying the request as it then was
    about = [e for e in events.events if (e["object"] or {}).get("kind") == "request"]
    assert [e["event"] for e in about] == [
        "request_received", "request_approved", "request_searching",
        "request_awaiting_selection", "release_grabbed", "request_downloading",
        "request_awaiting_selection", "release_grabbed", "request_downloading",
        "download_completed", "request_importing", "import_completed", "request_available",
    ]  # fmt: skip
    revisions = [e["object"]["revision"] for e in about]
    assert revisions == sorted(set(revisions))
    assert all(e["object"]["id"] == e["data"]["id"] == request_id for e in about)
    assert all(e["data"]["revision"] == e["object"]["revision"] for e in about)
    assert [e["data"]["state"] for e in about][-4:] == [
        "importing", "importing", "available", "available",  # a change's events: its end
    ]  # fmt: skip
    assert {e["data"]["requested_by"] for e in about} == {"carol"}
    assert {e["data"]["year"] for e in about} == {1999}  # from the first event: Overseerr told
    second_offer = events.named("request_awaiting_selection")[1]
    assert [c["title"] for c in second_offer["candidates"]] == [GOOD, CAM]  # not the dead one
    assert engine.call("GET", f"/requests/{request_id}")["revision"] == revisions[-1]


@pytest.mark.parametrize("engine_args", ["sqlite", "postgresql"], indirect=True)
def test_a_person_blocklists_a_bad_release_and_picks_another(world: World) -> None:
    """Blocklist: the arr drops and blocklists the release, the others are offered, actor noted."""
    engine = world.engine
    world.add_movie()
    world.radarr.offers[1].append(offer(None, OTHER))
    world.webhook("MEDIA_AUTO_APPROVED", world.overseerr.add(
        OverseerrRequest(id=14, media_type="movie", title="The Matrix", year=1999, tmdb_id=603,
                         status=2)))  # fmt: skip
    request_id = only_request(engine)["id"]
    detail = wait_for_request(engine, request_id, "awaiting_selection")
    ids = {c["title"]: c["id"] for c in engine.call("GET", f"/requests/{request_id}")["candidates"]}
    blocklist = f"/api/v1/requests/{request_id}/blocklist"
    status, answer = engine.request("POST", blocklist, {"actor": "dan"})
    assert status == 409, answer
    assert "no grabbed release" in answer["error"]["message"]
    engine.call("POST", f"/requests/{request_id}/select", {"candidate_id": ids[DEAD]})
    wait_for_request(engine, request_id, "downloading")

    status, answer = engine.request("POST", blocklist, {"actor": "dan", "reason": "wrong language"})
    assert status == 200, answer
    assert answer["state"] == "awaiting_selection"
    assert [c["title"] for c in answer["candidates"]] == [GOOD, OTHER, CAM]
    assert world.radarr.blocklisted == [DEAD]
    assert not world.radarr.library.queue
    detail = engine.call("GET", f"/requests/{request_id}")
    failed = {c["title"]: c["failed"] for c in detail["candidates"] if c["failed"]}
    assert failed == {DEAD: "blocklisted by dan: wrong language"}
    last = detail["history"][-1]
    assert (last["from_state"], last["to_state"], last["actor"], last["origin"]) == (
        "downloading", "awaiting_selection", "dan", "api",
    )  # fmt: skip
    engine.call("POST", f"/requests/{request_id}/select", {"candidate_id": ids[GOOD]})
    assert world.radarr.grabbed == [DEAD, GOOD]
    wait_for_request(engine, request_id, "downloading")

    # blocklist and pick another in one command; the release being blocklisted is no pick
    for candidate_id in (ids[GOOD], ids[DEAD]):
        status, answer = engine.request("POST", blocklist, {"candidate_id": candidate_id})
        assert status == 409, answer
    status, answer = engine.request(
        "POST", blocklist, {"actor": "erin", "candidate_id": ids[OTHER]}
    )
    assert (status, answer["state"]) == (200, "grabbed")
    assert (world.radarr.blocklisted, world.radarr.grabbed) == ([DEAD, GOOD], [DEAD, GOOD, OTHER])
    moves = engine.call("GET", f"/requests/{request_id}")["history"][-2:]
    assert [(m["to_state"], m["actor"]) for m in moves] == [
        ("awaiting_selection", "erin"), ("grabbed", "erin"),
    ]  # fmt: skip

    # the arr can no longer grab the other: the blocklisting stands, the request awaits a pick
    wait_for_request(engine, request_id, "downloading")
    world.radarr.offers[1] = []
    world.radarr.expire_cache()
    status, answer = engine.request("POST", blocklist, {"actor": "erin", "candidate_id": ids[CAM]})
    assert status >= 400, answer
    assert world.radarr.blocklisted == [DEAD, GOOD, OTHER]
    detail = engine.call("GET", f"/requests/{request_id}")
    assert (detail["state"], detail["selected_candidate_id"]) == ("awaiting_selection", None)
    assert [c["title"] for c in detail["candidates"] if not c["failed"]] == [CAM]


def test_import_failure_is_reported_with_the_arr_message(world: World) -> None:
    """When the arr cannot import, the request fails with the arr's own words."""
    engine = world.engine
    world.add_movie()
    world.radarr.import_failure = "No files found are eligible for import"
    world.radarr.offers[1] = [offer(world.torrent, GOOD)]
    world.webhook("MEDIA_AUTO_APPROVED", world.overseerr.add(
        OverseerrRequest(id=13, media_type="movie", title="The Matrix", year=1999, tmdb_id=603,
                         status=2, user="carol")))  # fmt: skip
    request_id = only_request(engine)["id"]
    wait_for_request(engine, request_id, "downloading")
    world.feed_peer(world.torrent.info_hash)
    request = wait_for_request(engine, request_id, "failed", timeout=60)
    assert request["reason"] == "import failed: No files found are eligible for import"


@pytest.mark.parametrize("hash_listed", [True, False], ids=["hash-listed", "title-only"])
def test_a_download_the_arr_imports_before_the_queue_is_read(
    world: World, *, hash_listed: bool
) -> None:
    """The arr imports at once and its queue never shows the download: its history tells it."""
    engine = world.engine
    world.add_movie()
    world.radarr.instant_imports = True
    world.radarr.offers[1] = [offer(world.torrent, GOOD, hash_listed=hash_listed)]
    request_id = _auto_approved_until_imported(world, 15)
    assert not world.radarr.library.queue
    assert _states(engine, request_id)[-4:] == ["grabbed", "downloading", "importing", "available"]
    detail = engine.call("GET", f"/requests/{request_id}")
    assert not [c for c in detail["candidates"] if c["failed"]]


def test_without_an_arr_haul_searches_its_indexers_and_downloads_itself(world: World) -> None:
    """No Radarr: candidates come from Torznab ranked by Haul; the download is Haul's own."""
    engine = world.engine
    assert engine.request("DELETE", f"/api/v1/connectors/{world.radarr_id}")[0] == 200
    release = FakeRelease(GOOD, size=SIZE, info_hash=world.torrent.info_hash, link="magnet_attr")
    with FakeTorznab([release, FakeRelease(CAM, size=SIZE)]) as torznab:
        engine.add_connector("torznab", torznab.url, torznab.api_key)
        world.webhook("MEDIA_AUTO_APPROVED", world.overseerr.add(
            OverseerrRequest(id=14, media_type="movie", title="The Matrix", year=1999,
                             tmdb_id=603, status=2)))  # fmt: skip
        request_id = only_request(engine)["id"]
        detail = wait_for_request(engine, request_id, "awaiting_selection")
    assert {c["origin"] for c in detail["candidates"]} == {"indexer"}
    assert [c["title"] for c in detail["candidates"]] == [GOOD, CAM]
    assert detail["candidates"][0]["arr_approved"] is None
    status, answer = engine.request(
        "POST", f"/api/v1/requests/{request_id}/select",
        {"candidate_id": detail["candidates"][0]["id"]},
    )  # fmt: skip
    assert status == 200, answer
    world.feed_peer(world.torrent.info_hash)
    request = wait_for_request(engine, request_id, "available", timeout=60)
    torrent = engine.request("GET", f"/api/v1/torrents/{world.torrent.info_hash}")[1]
    assert request["imported_path"] == torrent["content_path"]
    assert torrent["category"] == "haul-requests"
    updates = [call.body for call in world.jellyfin.calls("POST", "/Library/Media/Updated")]
    assert {"Updates": [{"Path": torrent["content_path"], "UpdateType": "Created"}]} in updates


def test_the_arr_s_webhook_and_the_gate_refresh_jellyfin_once_for_one_import(world: World) -> None:
    """Radarr announces its import (webhook), the gate sees it (history): one scan of the folder."""
    engine = world.engine
    secret = "arr-webhook-secret-0123456789"  # noqa: S105 - a test's secret
    status, answer = engine.request(
        "PATCH", f"/api/v1/connectors/{world.radarr_id}", {"settings": {"webhook_secret": secret}}
    )
    assert status == 200, answer
    basic = "Basic " + base64.b64encode(f"haul:{secret}".encode()).decode()
    world.radarr.webhook = (f"{engine.url}/api/v1/webhooks/arr/{world.radarr_id}", basic)
    world.add_movie()
    world.radarr.offers[1] = [offer(world.torrent, GOOD)]
    _auto_approved_until_imported(world, 16)
    assert engine.wait_for_log("is in the scan of", timeout=15)  # the webhook's refresh, 5 s on
    folder = str(world.tmp_path / "library" / "The Matrix (1999)")
    updates = [call.body for call in world.jellyfin.calls("POST", "/Library/Media/Updated")]
    assert updates == [{"Updates": [{"Path": folder, "UpdateType": "Created"}]}]
