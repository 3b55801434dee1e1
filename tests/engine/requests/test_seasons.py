"""A series request covers its seasons: a pick per season, each downloaded and imported for real."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from haul_engine.requests.models import MediaRequest, RequestCandidate
from haul_engine.requests.seasons import aired_seasons, packs_first, pending, season_complete
from tests.engine.requests.conftest import (
    FAST,
    WEBHOOK_SECRET,
    EventRecorder,
    add_overseerr,
    only_request,
    wait_for_request,
)
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr import NOW, Library
from tests.fakes.arr_releases import Offer, ReleaseArr
from tests.fakes.overseerr import OverseerrRequest
from tests.support.peers import QbittorrentPeer, engine_env, make_torrent, wait_for_torrent
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess
    from tests.support.peers import MadeTorrent

SIZE = 1024 * 1024
TVDB = 371980


def _severance(library: Library, seasons: int = 4, episodes: int = 9) -> None:
    """Severance in Sonarr (as Overseerr added it): aired seasons, the last one still to come."""
    library.series[1] = {"id": 1, "title": "Severance", "monitored": True, "tvdbId": TVDB}
    for season in range(1, seasons + 1):
        for number in range(1, episodes + 1):
            episode_id = season * 100 + number
            aired = NOW - timedelta(days=400 - season)
            if season == seasons and seasons > 1:
                aired = NOW + timedelta(days=90)
            library.episodes[episode_id] = {
                "id": episode_id, "seriesId": 1, "seasonNumber": season, "episodeNumber": number,
                "title": f"Episode {number}", "airDateUtc": aired, "monitored": True,
                "hasFile": False, "quality": None, "cutoffNotMet": False,
            }  # fmt: skip


@dataclass
class Household:
    """The engine, Sonarr using it as its client, a seeding peer and Overseerr's connector."""

    engine: EngineProcess
    sonarr: ReleaseArr
    seeder: QbittorrentPeer
    overseerr: FakeOverseerr
    connector: str
    tmp_path: Path

    def release(self, name: str, season: int, episode: int | None = None) -> MadeTorrent:
        """A release Sonarr's search offers, whose torrent the peer seeds."""
        torrent = make_torrent(self.tmp_path / name, name, {f"{name}.mkv": SIZE})
        self.seeder.seed(torrent)
        self.sonarr.offers.setdefault(1, []).append(Offer(
            title=name, season=season, episode=episode, size=SIZE, info_hash=torrent.info_hash,
            magnet=f"magnet:?xt=urn:btih:{torrent.info_hash}&dn={name}",
        ))  # fmt: skip
        return torrent

    def request(self) -> int:
        """Carol's request (auto-picked) of the series, naming no season; its id."""
        request = self.overseerr.add(OverseerrRequest(
            id=4, media_type="tv", title="Severance", year=2022, tmdb_id=95396, tvdb_id=TVDB,
            status=2, user="carol",
        ))  # fmt: skip
        url = f"{self.engine.url}/api/v1/webhooks/overseerr/{self.connector}"
        assert send_webhook(url, request.webhook("MEDIA_APPROVED"), WEBHOOK_SECRET)[0] == 200
        return int(only_request(self.engine)["id"])

    def feed(self, torrent: MadeTorrent) -> None:
        """Connect the engine's copy of the torrent to the peer (no DHT or trackers here)."""
        wait_for_torrent(self.engine, torrent.info_hash, lambda _torrent: True, timeout=30)
        peer = f"127.0.0.1:{self.seeder.listen_port}"
        status, answer = self.engine.request(
            "POST", f"/api/v1/torrents/{torrent.info_hash}/peers", {"peers": [peer]}
        )
        assert status in {200, 204}, answer

    def imported(self, torrent: MadeTorrent) -> bool:
        """Whether Sonarr's library holds the torrent's bytes."""
        copy = self.tmp_path / "library" / "Severance" / f"{torrent.name}.mkv"
        original = torrent.parent / f"{torrent.name}.mkv"
        return copy.is_file() and copy.read_bytes() == original.read_bytes()


@pytest.fixture
def household(
    tmp_path: Path,
    engine_factory: Callable[..., EngineProcess],
    overseerr: FakeOverseerr,
    engine_args: list[str],
) -> Iterator[Household]:
    seeder = QbittorrentPeer(tmp_path / "seeder").start()
    env = engine_env(**FAST)
    engine = engine_factory(env=env, args=engine_args).start()
    try:
        with ReleaseArr("sonarr", tmp_path / "library") as sonarr:
            sonarr.use_client(engine.url, "admin", env["HAUL_QBITTORRENT_PASSWORD"])
            engine.add_connector("sonarr", sonarr.url, ARR_KEY)
            connector = add_overseerr(engine, overseerr, reconcile=False, auto_pick_users=["carol"])
            yield Household(engine, sonarr, seeder, overseerr, connector, tmp_path)
    finally:
        seeder.stop()


def _season_state(engine: EngineProcess, request_id: int, season: int, state: str) -> None:
    deadline = time.monotonic() + 30
    while (
        engine.request("GET", f"/api/v1/requests/{request_id}")[1]["season_states"].get(str(season))
        != state
    ):
        assert time.monotonic() < deadline, engine.log[-3000:]
        time.sleep(0.1)


@pytest.mark.parametrize("engine_args", ["sqlite", "postgresql"], indirect=True)
def test_a_three_season_request_ends_available_after_three_grabs(household: Household) -> None:
    """No season named: the three aired ones; a pack per season (not its episodes), auto-picked,
    downloaded from a real peer and imported, season after season, then available.
    """
    engine, sonarr = household.engine, household.sonarr
    sonarr.call(_severance, sonarr.library)
    packs = {
        season: household.release(
            f"Severance.S0{season}.1080p.ATVP.WEB-DL.DDP5.1.H.264-NTb", season
        )
        for season in (1, 2, 3)
    }
    single = "Severance.S02E03.1080p.WEB-DL.H.264-GRP"
    magnet = f"magnet:?xt=urn:btih:{'ef' * 20}"
    sonarr.offers[1].append(
        Offer(title=single, season=2, episode=3, size=SIZE, info_hash="ef" * 20, magnet=magnet)
    )
    events = EventRecorder(engine).start()
    request_id = household.request()
    for season in (1, 2, 3):
        household.feed(packs[season])
        _season_state(engine, request_id, season, "available")
    done = wait_for_request(engine, request_id, "available", timeout=30)
    events.stop()
    assert sonarr.grabbed == [packs[n].name for n in (1, 2, 3)]
    assert single not in sonarr.grabbed
    assert done["seasons"] == [1, 2, 3]
    assert done["season_states"] == {"1": "available", "2": "available", "3": "available"}
    # the last pick stays shown: the seasons before it left the offer as they came in
    assert [c["title"] for c in done["candidates"]] == [packs[3].name]
    assert done["selected_candidate_id"] == done["candidates"][0]["id"]
    searches = [path for _method, path in sonarr.requests if "/release?" in path]
    assert searches[0:3] == [f"/api/v3/release?seriesId=1&seasonNumber={n}" for n in (1, 2, 3)]
    # every season's way shows in the events
    progress = [e["season_states"] for e in events.named("request_downloading")]
    assert [p["1"] for p in progress] == ["downloading", "available", "available"]
    assert [p["3"] for p in progress] == ["awaiting_selection"] * 2 + ["downloading"]
    assert len(events.named("request_available")) == 1
    assert all(household.imported(pack) for pack in packs.values())


def test_a_season_without_a_pack_is_taken_episode_by_episode(household: Household) -> None:
    """Only single episodes: each is picked and imported; the season is in with the last."""
    engine, sonarr = household.engine, household.sonarr
    sonarr.call(_severance, sonarr.library, 1, 2)
    episodes = [household.release(f"Severance.S01E0{n}.1080p.WEB-DL.H.264-GRP", 1, n)
                for n in (1, 2)]  # fmt: skip
    request_id = household.request()
    household.feed(episodes[0])
    deadline = time.monotonic() + 30
    while len(sonarr.grabbed) < 2:  # the first one in, the season still waits: the next is picked
        assert time.monotonic() < deadline, engine.log[-3000:]
        time.sleep(0.1)
    assert household.imported(episodes[0])
    detail = engine.request("GET", f"/api/v1/requests/{request_id}")[1]
    assert detail["season_states"]["1"] != "available"
    assert [c["title"] for c in detail["candidates"]] == [episodes[1].name]
    household.feed(episodes[1])
    done = wait_for_request(engine, request_id, "available", timeout=30)
    assert sonarr.grabbed == [episode.name for episode in episodes]
    assert done["season_states"] == {"1": "available"}
    assert household.imported(episodes[1])


def _candidate(title: str, season: int, *, pack: bool) -> RequestCandidate:
    return RequestCandidate(
        request_id=1, position=0, origin="arr", title=title, season=season, full_season=pack
    )


def test_packs_first_and_the_seasons_a_series_has() -> None:
    """A season with a pack offers its packs only; one without offers its episodes."""
    found = [
        _candidate("S02E01", 2, pack=False),
        _candidate("S01 pack", 1, pack=True),
        _candidate("S01E01", 1, pack=False),
        _candidate("S02E02", 2, pack=False),
        _candidate("S01 other pack", 1, pack=True),
    ]
    kept = packs_first(found)
    assert [(c.title, c.position) for c in kept] == [
        ("S01 pack", 0), ("S01 other pack", 1), ("S02E01", 2), ("S02E02", 3),
    ]  # fmt: skip
    series = {"seasons": [
        {"seasonNumber": 0, "monitored": True, "statistics": {"previousAiring": "2020"}},
        {"seasonNumber": 1, "monitored": True,
         "statistics": {"previousAiring": "2022", "episodeCount": 9, "episodeFileCount": 9}},
        {"seasonNumber": 2, "monitored": False, "statistics": {"previousAiring": "2025"}},
        {"seasonNumber": 3, "monitored": True,
         "statistics": {"previousAiring": "2026", "episodeCount": 9, "episodeFileCount": 4}},
        {"seasonNumber": 4, "monitored": True, "statistics": {"previousAiring": None}},
    ]}  # fmt: skip
    assert aired_seasons(series) == [1, 3]
    assert (season_complete(series, 1), season_complete(series, 3)) == (True, False)
    assert season_complete(series, 4) is None
    row = MediaRequest(
        source="haul", media_type="tv", state="searching", seasons=[1, 2, 3],
        season_states={"2": "available"},
    )  # fmt: skip
    assert pending(row) == [1, 3]
