"""A move cut off by a kill -9 in the middle of a copy is finished by the next start.

Even when another file took a target's name meanwhile: the import waits (503, retried) and loses
nothing until that file is moved away.

The real engine places a series whose second episode is 1 GiB (sparse: made at once, checked by
libtorrent in seconds) into a media folder on a tmpfs, so each file is copied and then deleted;
the test kills the engine as soon as that copy's partial file appears.
"""

from __future__ import annotations

import json
import time
from types import SimpleNamespace
from typing import TYPE_CHECKING, cast

import pytest

from haul_engine.errors import InvalidInput
from haul_engine.postprocessing.controller import Plan, PlannedFile, PostProcessingController
from haul_engine.postprocessing.placing import partial_of
from haul_engine.torrents.folders import Folders
from tests.fakes.mediaservers import FakeJellyfin
from tests.support.peers import engine_env, make_torrent

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from haul_engine.engine import Engine
    from tests.support.engine import EngineProcess
    from tests.support.peers import MadeTorrent

MB = 1024 * 1024
NAME = "Severance.S02.1080p.WEB-DL.DDP5.1.H.264-NTb"
FIRST = "Severance.S02E01.Hello.Ms.Cobel.1080p.WEB-DL.DDP5.1.H.264-NTb.mkv"
SECOND = "Severance.S02E02.Goodbye.Mrs.Selvig.1080p.WEB-DL.DDP5.1.H.264-NTb.mkv"
SIZES = {FIRST: 4 * MB, SECOND: 1024 * MB}


def wait_until(engine: EngineProcess, done: Callable[[], bool], pause: float = 0.1) -> None:
    deadline = time.monotonic() + 60
    while not done():
        assert time.monotonic() < deadline, engine.log[-3000:]
        time.sleep(pause)


def all_zeros(path: Path) -> bool:
    with path.open("rb") as handle:
        while chunk := handle.read(8 * MB):
            if chunk.count(0) != len(chunk):
                return False
    return True


def copying(engine: EngineProcess, jellyfin: FakeJellyfin, media: Path) -> MadeTorrent:
    """Start the engine, add the series (already downloaded), wait for its 1 GiB copy to begin."""
    engine.start()
    engine.add_connector(
        "jellyfin", jellyfin.url, jellyfin.api_key, path_map={str(media): "/media"}
    )
    # the finished download, already in the download folder: libtorrent's check completes it
    torrent = make_torrent(engine.data_dir / "downloads", NAME, SIZES, sparse=True)
    body = {"torrent_base64": torrent.base64, "category": "keep"}
    assert engine.request("POST", "/api/v1/torrents", body)[0] == 200
    second = media / "Severance" / "Season 02" / "Severance - S02E02 - WEBDL-1080p.mkv"
    wait_until(engine, partial_of(second).exists, pause=0.001)
    return torrent


def test_a_move_killed_mid_copy_is_finished_at_the_next_start(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess], other_fs: Path
) -> None:
    media = other_fs / "media"
    rules = [{"category": "keep", "action": "move", "folder": str(media)}]
    engine = engine_factory(
        env=engine_env(
            HAUL_EXTRA_FOLDERS=json.dumps([str(media)]), HAUL_POST_PROCESSING=json.dumps(rules)
        )
    )
    downloads = engine.data_dir / "downloads"
    season = media / "Severance" / "Season 02"
    first = season / "Severance - S02E01 - WEBDL-1080p.mkv"
    second = season / "Severance - S02E02 - WEBDL-1080p.mkv"
    with FakeJellyfin("jellyfin") as jellyfin:
        torrent = copying(engine, jellyfin, media)
        engine.kill()  # SIGKILL, a power cut in the middle of the copy

        # what the kill left: the torrent removed, one file placed, one half-copied
        assert first.stat().st_size == SIZES[FIRST]
        assert not (downloads / NAME / FIRST).exists()
        assert not second.exists()
        assert partial_of(second).stat().st_size < SIZES[SECOND]
        assert (downloads / NAME / SECOND).stat().st_size == SIZES[SECOND]
        assert not jellyfin.calls("POST", "/Library/Media/Updated")

        # meanwhile someone puts another file where the second goes: the import waits for it
        second.write_bytes(b"someone else's episode")
        engine.start()  # the import's job resumes from its stored plan
        status, answer = engine.request("POST", f"/api/v1/postprocessing/{torrent.info_hash}")
        assert status == 503, answer
        assert "exists and is another file" in answer["error"]["message"]
        assert "move it away and the import goes on" in answer["error"]["message"]
        assert second.read_bytes() == b"someone else's episode"
        assert (downloads / NAME / SECOND).stat().st_size == SIZES[SECOND]
        second.unlink()  # moved away: the job's next try finishes the import
        wait_until(engine, lambda: second.exists() and not (downloads / NAME / SECOND).exists())
        assert second.stat().st_size == SIZES[SECOND]
        assert all_zeros(second)
        assert all_zeros(first)
        assert sorted(path.name for path in season.iterdir()) == [first.name, second.name]

        wait_until(engine, lambda: bool(jellyfin.calls("POST", "/Library/Media/Updated")))
        time.sleep(0.5)
        [update] = jellyfin.calls("POST", "/Library/Media/Updated")  # once, after the restart
        assert update.body["Updates"][0]["Path"] == "/media/Severance/Season 02"
    assert engine.log.count(f"post-processing {NAME}: 2 file(s) move") == 1
    assert engine.log.count("event postprocessing_completed") == 1

    # the moved torrent is gone for good: asking for it again is a clear 404, nothing moves
    status, answer = engine.request("POST", f"/api/v1/postprocessing/{torrent.info_hash}")
    assert status == 404, answer
    assert engine.request("GET", f"/api/v1/torrents/{torrent.info_hash}")[0] == 404
    engine.restart()  # and no job is left to run again
    time.sleep(1)
    assert engine.log.count("event postprocessing_completed") == 1


def test_a_scan_sent_while_the_files_are_copied_does_not_stand_for_the_import(
    tmp_path: Path, engine_factory: Callable[..., EngineProcess], other_fs: Path
) -> None:
    """A refresh of the season's folder (another import's, a webhook's) sent mid-copy saw none."""
    media = other_fs / "media"
    rules = [{"category": "keep", "action": "copy", "folder": str(media)}]
    engine = engine_factory(
        env=engine_env(
            HAUL_EXTRA_FOLDERS=json.dumps([str(media)]), HAUL_POST_PROCESSING=json.dumps(rules)
        )
    )
    season = media / "Severance" / "Season 02"
    second = season / "Severance - S02E02 - WEBDL-1080p.mkv"
    with FakeJellyfin("jellyfin") as jellyfin:
        copying(engine, jellyfin, media)
        early = engine.request("POST", "/api/v1/mediaservers/refresh", {"path": str(season)})
        assert early[0] == 200, early
        assert not second.exists(), "the copy ended before the early scan: make it bigger"

        wait_until(engine, lambda: "event postprocessing_completed" in engine.log)
        updates = jellyfin.calls("POST", "/Library/Media/Updated")
        assert [update.body["Updates"][0]["Path"] for update in updates] == [
            "/media/Severance/Season 02",  # sent while the second episode was still copied
            "/media/Severance/Season 02",  # once both were there
        ]


async def test_a_stored_plan_touches_nothing_outside_the_roots_as_they_are_now(
    tmp_path: Path,
) -> None:
    """The download folder it moves from was taken out of the roots since (a changed setting)."""
    media, old = tmp_path / "media", tmp_path / "old-downloads"
    source = old / NAME / FIRST
    source.parent.mkdir(parents=True)
    source.write_bytes(b"an episode")
    plan = Plan(
        hash="a" * 40, name=NAME, category="keep", action="move", folder=str(media),
        location=str(old), left=[],
        files=[PlannedFile(source=f"{NAME}/{FIRST}", target="Severance/S02E01.mkv", size=10)],
    )  # fmt: skip
    torrents = SimpleNamespace(folders=Folders([media]), records={})
    engine = SimpleNamespace(database=None, settings=None, torrents=torrents)
    controller = PostProcessingController(cast("Engine", engine))
    with pytest.raises(InvalidInput, match="outside the allowed folders"):
        await controller._import(plan.hash, {"plan": plan.model_dump(mode="json")})
    assert source.read_bytes() == b"an episode"
    assert not (media / "Severance").exists()
