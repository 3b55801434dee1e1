"""Post-processing with real downloads: files placed by name, the torrent seeding on, servers told.

A qbittorrent-nox seeder on loopback, the real engine downloading, a fake Jellyfin recording the
refresh of each new folder (through its path map).
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest

from tests.fakes.mediaservers import FakeJellyfin
from tests.support.peers import engine_env, make_torrent, wait_for_torrent

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from tests.support.engine import EngineProcess
    from tests.support.peers import MadeTorrent, QbittorrentPeer

MB = 1024 * 1024


@pytest.fixture
def jellyfin() -> Iterator[FakeJellyfin]:
    with FakeJellyfin("jellyfin") as fake:
        yield fake


def download(
    engine: EngineProcess, seeder: QbittorrentPeer, torrent: MadeTorrent, category: str
) -> None:
    """Add the torrent in a category, connect the seeder and wait until it is complete."""
    start_download(engine, seeder, torrent, category)
    wait_for_torrent(engine, torrent.info_hash, lambda item: item["progress"] == 1.0)


def start_download(
    engine: EngineProcess, seeder: QbittorrentPeer, torrent: MadeTorrent, category: str
) -> None:
    """Add the torrent in a category and connect the seeder."""
    seeder.seed(torrent)
    body = {"torrent_base64": torrent.base64, "category": category}
    assert engine.request("POST", "/api/v1/torrents", body)[0] == 200
    engine.call("POST", f"/torrents/{torrent.info_hash}/peers",
                {"peers": [f"127.0.0.1:{seeder.listen_port}"]})  # fmt: skip


def placed(engine: EngineProcess, info_hash: str) -> dict[str, Any]:
    """The post-processing event of a torrent, once it came."""
    deadline = time.monotonic() + 20
    while True:
        for line in engine.log.splitlines():
            if "post-processing" in line and "failed" in line:
                pytest.fail(line)
        status, result = engine.request("POST", f"/api/v1/postprocessing/{info_hash}")
        if status == 200 and all(item["how"] == "present" for item in result["files"]):
            return dict(result)
        assert time.monotonic() < deadline, result
        time.sleep(0.2)


def test_movies_are_hard_linked_series_copied_and_the_torrents_keep_seeding(
    tmp_path: Path,
    engine_factory: Callable[..., EngineProcess],
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
    jellyfin: FakeJellyfin,
) -> None:
    media = tmp_path / "media"
    rules = [
        {"category": "films", "action": "hardlink", "folder": str(media / "movies")},
        {"category": "shows", "action": "copy", "folder": str(media / "tv")},
    ]
    engine = engine_factory(
        env=engine_env(
            HAUL_EXTRA_FOLDERS=json.dumps([str(media)]), HAUL_POST_PROCESSING=json.dumps(rules)
        )
    ).start()
    engine.add_connector(
        "jellyfin", jellyfin.url, jellyfin.api_key, path_map={str(media): "/media"}
    )
    seeder = qbittorrent_factory("seeder")
    movie = make_torrent(
        tmp_path / "source", "Arrival.2016.1080p.BluRay.x264-SPARKS",
        {"arrival.2016.1080p.bluray.x264-sparks.mkv": 3 * MB, "Sample/arrival-sample.mkv": MB // 2,
         "arrival.2016.1080p.bluray.x264-sparks.en.srt": 2000, "sparks.nfo": 300},
    )  # fmt: skip
    series = make_torrent(
        tmp_path / "source", "Severance.S02.1080p.WEB-DL.DDP5.1.H.264-NTb",
        {"Severance.S02E01.Hello.Ms.Cobel.1080p.WEB-DL.DDP5.1.H.264-NTb.mkv": 2 * MB,
         "Severance.S02E02.Goodbye.Mrs.Selvig.1080p.WEB-DL.DDP5.1.H.264-NTb.mkv": 2 * MB},
    )  # fmt: skip
    download(engine, seeder, movie, "films")
    download(engine, seeder, series, "shows")

    film = placed(engine, movie.info_hash)
    target = media / "movies" / "Arrival (2016)" / "Arrival (2016) - Bluray-1080p.mkv"
    source = (
        engine.data_dir / "downloads" / movie.name / "arrival.2016.1080p.bluray.x264-sparks.mkv"
    )
    assert target.read_bytes() == source.read_bytes()
    assert target.samefile(source)  # a hard link: no second copy on the disk
    assert (target.parent / "Arrival (2016) - Bluray-1080p.en.srt").exists()
    assert sorted(film["left"]) == [
        f"{movie.name}/Sample/arrival-sample.mkv",
        f"{movie.name}/sparks.nfo",
    ]
    assert not (target.parent / "Sample").exists()

    placed(engine, series.info_hash)
    shows = media / "tv" / "Severance" / "Season 02"
    assert sorted(path.name for path in shows.iterdir()) == [
        "Severance - S02E01 - WEBDL-1080p.mkv",
        "Severance - S02E02 - WEBDL-1080p.mkv",
    ]
    copied = shows / "Severance - S02E01 - WEBDL-1080p.mkv"
    original = engine.data_dir / "downloads" / series.name / next(iter(series.files))
    assert copied.read_bytes() == original.read_bytes()
    assert not copied.samefile(original)

    for torrent in (movie, series):  # copying and linking leave the torrent seeding where it was
        state = engine.call("GET", f"/torrents/{torrent.info_hash}")["state"]
        assert state in {"uploading", "stalledUP", "queuedUP"}, state

    refreshed = {
        call.body["Updates"][0]["Path"] for call in jellyfin.calls("POST", "/Library/Media/Updated")
    }
    assert refreshed == {"/media/movies/Arrival (2016)", "/media/tv/Severance/Season 02"}


def test_move_takes_the_files_and_the_torrent_away_and_bad_rules_are_refused(
    tmp_path: Path,
    engine_factory: Callable[..., EngineProcess],
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    media = tmp_path / "media"
    rules = [{"category": "keep", "action": "move", "folder": str(media / "movies")}]
    engine = engine_factory(
        env=engine_env(
            HAUL_EXTRA_FOLDERS=json.dumps([str(media)]),
            HAUL_POST_PROCESSING=json.dumps(rules),
            # placed only once the finished torrent has moved out of the incomplete folder
            HAUL_INCOMPLETE_DIR=str(tmp_path / "incomplete"),
        )
    ).start()
    seeder = qbittorrent_factory("seeder")
    movie = make_torrent(tmp_path / "source", "Dune.Part.Two.2024.2160p.WEB-DL.mkv",
                         {"Dune.Part.Two.2024.2160p.WEB-DL.mkv": 2 * MB})  # fmt: skip
    plain = make_torrent(tmp_path / "source", "Notes.2024.mkv", {"Notes.2024.mkv": MB})
    start_download(engine, seeder, movie, "keep")  # moved, and the torrent removed, once done
    download(engine, seeder, plain, "")

    target = media / "movies" / "Dune Part Two (2024)" / "Dune Part Two (2024) - WEBDL-2160p.mkv"
    deadline = time.monotonic() + 20
    while engine.request("GET", f"/api/v1/torrents/{movie.info_hash}")[0] != 404:
        assert time.monotonic() < deadline, "the moved torrent is still listed"
        time.sleep(0.2)
    assert target.stat().st_size == 2 * MB
    assert not (engine.data_dir / "downloads" / movie.name).exists()
    assert not (tmp_path / "incomplete" / movie.name).exists()

    # a category without a rule is left alone; asking for it is a clear 400
    status, answer = engine.request("POST", f"/api/v1/postprocessing/{plain.info_hash}")
    assert status == 400
    assert "category '' has no post-processing rule" in answer["error"]["message"]
    assert (engine.data_dir / "downloads" / plain.name).exists()

    # another file in the way: the move is refused before the torrent is removed
    blocked = make_torrent(tmp_path / "source", "Arrival.2016.2160p.WEB-DL.mkv",
                           {"Arrival.2016.2160p.WEB-DL.mkv": MB})  # fmt: skip
    other = media / "movies" / "Arrival (2016)" / "Arrival (2016) - WEBDL-2160p.mkv"
    other.parent.mkdir(parents=True)
    other.write_bytes(b"someone else's film")
    download(engine, seeder, blocked, "keep")
    status, answer = engine.request("POST", f"/api/v1/postprocessing/{blocked.info_hash}")
    assert status == 400
    assert "exists and is another file" in answer["error"]["message"]
    assert engine.request("GET", f"/api/v1/torrents/{blocked.info_hash}")[0] == 200
    assert other.read_bytes() == b"someone else's film"

    # a media folder outside the roots stops the start with the setting named
    engine.stop()
    outside = [{"category": "keep", "action": "copy", "folder": "/etc/haul"}]
    broken = engine_factory("broken", env=engine_env(HAUL_POST_PROCESSING=json.dumps(outside)))
    with pytest.raises(
        RuntimeError, match=r"invalid setting 'post_processing'.*outside the download"
    ):
        broken.start()
