"""Music through Lidarr: an album or an artist requested, added unsearched, picked, downloaded."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from tests.engine.requests.conftest import FAST, wait_for_request
from tests.fakes.arr import API_KEY as ARR_KEY
from tests.fakes.arr_releases import Offer, ReleaseArr
from tests.support.peers import QbittorrentPeer, engine_env, make_torrent, wait_for_torrent

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess

RADIOHEAD = {"artistName": "Radiohead", "foreignArtistId": "a74b1b7f-71a5-4011-9441-d0b5e4122711",
             "overview": "English rock band.", "artistType": "Group", "images": []}  # fmt: skip
OK_COMPUTER = {
    "title": "OK Computer", "foreignAlbumId": "b1392450-e666-3926-a536-22c65f834433",
    "releaseDate": "1997-05-21T00:00:00Z", "albumType": "Album", "overview": "Their third.",
    "images": [{"coverType": "cover", "url": "/MediaCover/Albums/1/cover.jpg",
                "remoteUrl": "https://coverartarchive.org/release/1/front.jpg"}],
    "artist": RADIOHEAD,
}  # fmt: skip
RELEASE = "Radiohead - OK Computer (1997) [FLAC]"
TRACKS = {f"{n:02d} - Track {n}.flac": 200_000 for n in range(1, 4)}


def test_an_album_request_ends_available(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess]
) -> None:
    """Looked up and added to Lidarr unsearched, its releases ranked as music, picked, downloaded
    from a real peer, imported track by track, available.
    """
    torrent = make_torrent(tmp_path / "content", RELEASE, TRACKS)
    seeder = QbittorrentPeer(tmp_path / "seeder").start()
    env = engine_env(**FAST)
    engine = engine_factory(env=env).start()
    try:
        seeder.seed(torrent)
        with ReleaseArr("lidarr", tmp_path / "library") as lidarr:
            lidarr.metadata.append(OK_COMPUTER)
            lidarr.quality_profiles = [{"id": 2, "name": "Lossless"}]
            lidarr.use_client(engine.url, "admin", env["HAUL_QBITTORRENT_PASSWORD"])
            lidarr.offers[1] = [
                Offer(title=RELEASE, quality="FLAC", size=600_000, info_hash=torrent.info_hash,
                      magnet=f"magnet:?xt=urn:btih:{torrent.info_hash}&dn=ok"),
                Offer(title="Radiohead - OK Computer (1997) [MP3 128]", quality="MP3-320",
                      size=100_000, info_hash="12" * 20, magnet=f"magnet:?xt=urn:btih:{'12' * 20}",
                      approved=False, rejections=["Not an upgrade"]),
            ]  # fmt: skip
            engine.add_connector("lidarr", lidarr.url, ARR_KEY)

            body = {"media_type": "album", "musicbrainz_id": OK_COMPUTER["foreignAlbumId"]}
            status, request = engine.request("POST", "/api/v1/requests", body)
            assert status == 200, request
            assert (request["title"], request["year"]) == ("Radiohead - OK Computer", 1997)
            assert request["poster_url"] == "https://coverartarchive.org/release/1/front.jpg"
            [added] = [c["added"] for c in lidarr.commands if "added" in c]
            assert added["addOptions"] == {"searchForNewAlbum": False}
            assert (added["artist"]["qualityProfileId"], added["artist"]["metadataProfileId"]) == (
                2, 1,
            )  # fmt: skip
            assert added["artist"]["addOptions"]["monitor"] == "none"
            assert not [c for c in lidarr.commands if c.get("name") == "AlbumSearch"]

            detail = wait_for_request(engine, request["id"], "awaiting_selection")
            assert [path for _m, path in lidarr.requests if "/release?" in path] == [
                "/api/v1/release?albumId=1"
            ]
            best, worse = detail["candidates"]
            assert (best["title"], best["arr_approved"], best["haul_accepted"]) == (
                RELEASE, True, True,
            )  # fmt: skip
            assert worse["arr_rejections"] == ["Not an upgrade"]
            status, answer = engine.request(
                "POST", f"/api/v1/requests/{request['id']}/select", {"candidate_id": best["id"]}
            )
            assert status == 200, answer
            assert lidarr.grabbed == [RELEASE]
            wait_for_torrent(engine, torrent.info_hash, lambda _torrent: True, timeout=30)
            peer = f"127.0.0.1:{seeder.listen_port}"
            status, answer = engine.request(
                "POST", f"/api/v1/torrents/{torrent.info_hash}/peers", {"peers": [peer]}
            )
            assert status in {200, 204}, answer
            done = wait_for_request(engine, request["id"], "available", timeout=60)
            folder = tmp_path / "library" / "Radiohead" / "OK Computer" / RELEASE
            assert done["imported_path"] == str(folder)
            for name in TRACKS:
                assert (folder / name).read_bytes() == (
                    torrent.parent / RELEASE / name
                ).read_bytes()
            assert lidarr.library.albums[1]["hasFile"] is True
            torrent_view = engine.request("GET", f"/api/v1/torrents/{torrent.info_hash}")[1]
            assert torrent_view["category"] == "lidarr"
    finally:
        seeder.stop()


def test_an_artist_request_adds_the_artist_and_offers_its_releases(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess]
) -> None:
    """By name: the artist is added (its albums monitored, none searched) and searched whole."""
    engine = engine_factory(env=FAST).start()
    with ReleaseArr("lidarr", tmp_path / "library") as lidarr:
        lidarr.metadata.append(OK_COMPUTER)
        discography = Offer(title="Radiohead - Discography (1993-2016) [FLAC]", quality="FLAC",
                            size=10**9, info_hash="34" * 20,
                            magnet=f"magnet:?xt=urn:btih:{'34' * 20}")  # fmt: skip
        lidarr.offers[1] = [discography]
        engine.add_connector("lidarr", lidarr.url, ARR_KEY)
        status, request = engine.request(
            "POST", "/api/v1/requests", {"media_type": "artist", "query": "radiohead"}
        )
        assert status == 200, request
        assert request["title"] == "Radiohead"
        added: dict[str, Any] = lidarr.commands[-1]["added"]
        assert added["addOptions"] == {"monitor": "all", "searchForMissingAlbums": False}
        detail = wait_for_request(engine, request["id"], "awaiting_selection")
        assert [c["title"] for c in detail["candidates"]] == [discography.title]
        assert "/api/v1/release?artistId=1" in [path for _m, path in lidarr.requests]
        status, answer = engine.request(
            "POST", "/api/v1/requests", {"media_type": "album", "query": "x"}
        )
        assert status == 404, answer
