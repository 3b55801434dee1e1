"""Resume data on a Raspberry Pi's SD card: written when something happens, not on a timer, and
without the metadata (kept once, in the database).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import TYPE_CHECKING

import libtorrent as lt

from tests.support.peers import engine_env, make_torrent, wait_for_torrent

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess
    from tests.support.peers import QbittorrentPeer

LIMIT_KIBS = 2048
FILM = {"Film.mkv": 24 * 1024 * 1024}
WATCH_SECONDS = 6.0
METADATA = b"4:infod"  # the bencoded "info" key of a dictionary


def version(path: Path) -> tuple[int, int]:
    """What changes with each atomic write of path (a new file: inode, modification time)."""
    stat = path.stat()
    return stat.st_ino, stat.st_mtime_ns


def rewrites(path: Path, seconds: float) -> int:
    """Count the times path is replaced within seconds."""
    count, last = 0, version(path)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)
        if (now := version(path)) != last:
            count, last = count + 1, now
    return count


def test_a_download_writes_resume_data_on_events_not_every_few_seconds(
    tmp_path: Path,
    engine_factory: Callable[..., EngineProcess],
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    film = make_torrent(tmp_path / "source", "Film", FILM)
    seeder = qbittorrent_factory("seeder")
    seeder.seed(film)
    engine = engine_factory(env=engine_env(HAUL_DOWNLOAD_LIMIT=str(LIMIT_KIBS))).start()
    assert engine.request("POST", "/api/v1/torrents", {"magnet": film.magnet})[0] == 200
    peers = {"peers": [f"127.0.0.1:{seeder.listen_port}"]}
    assert engine.request("POST", f"/api/v1/torrents/{film.info_hash}/peers", peers)[0] == 200
    wait_for_torrent(engine, film.info_hash, lambda item: item["progress"] > 0.1)
    resume = engine.data_dir / "torrents" / "resume" / f"{film.info_hash}.fastresume"
    assert METADATA not in resume.read_bytes()

    # every 2 s before (3 rewrites here); now nothing happens to save until the download ends
    assert rewrites(resume, WATCH_SECONDS) == 0
    assert wait_for_torrent(engine, film.info_hash, lambda item: item["progress"] < 1.0)

    downloading = version(resume)
    wait_for_torrent(engine, film.info_hash, lambda item: item["progress"] == 1.0, timeout=60)
    deadline = time.monotonic() + 10
    while version(resume) == downloading and time.monotonic() < deadline:
        time.sleep(0.05)
    assert version(resume) != downloading  # saved when it finished
    assert METADATA not in resume.read_bytes()

    # the metadata came from the seeder once; the restarted engine has it without any peer
    seeder.stop()
    engine.restart()
    item = wait_for_torrent(engine, film.info_hash, lambda item: item["state"] == "stalledUP")
    assert (item["progress"], item["name"]) == (1.0, "Film.mkv")
    files = engine.call("GET", f"/torrents/{film.info_hash}/files")
    assert [entry["path"] for entry in files] == ["Film.mkv"]


def test_resume_data_of_earlier_versions_hands_its_metadata_to_the_database(
    tmp_path: Path, torrent_engine: EngineProcess
) -> None:
    film = make_torrent(tmp_path / "source", "Film", {"Film.mkv": 300_000})
    assert torrent_engine.request("POST", "/api/v1/torrents", {"torrent_base64": film.base64})[0]
    wait_for_torrent(torrent_engine, film.info_hash, lambda item: item["state"] != "checkingDL")
    torrent_engine.stop()
    # as an earlier version left it: the metadata in the resume data, none in the database
    resume = torrent_engine.data_dir / "torrents" / "resume" / f"{film.info_hash}.fastresume"
    params = lt.read_resume_data(resume.read_bytes())
    params.ti = lt.load_torrent_buffer(film.data).ti
    resume.write_bytes(lt.write_resume_data_buf(params))
    assert METADATA in resume.read_bytes()
    database = torrent_engine.data_dir / "haul.db"
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.execute("DELETE FROM torrent_metadata")

    torrent_engine.start()
    files = torrent_engine.call("GET", f"/torrents/{film.info_hash}/files")
    assert [entry["path"] for entry in files] == ["Film.mkv"]
    with contextlib.closing(sqlite3.connect(database)) as db:
        (kept,) = db.execute("SELECT data FROM torrent_metadata").fetchone()
    assert lt.load_torrent_buffer(kept).ti.info_hashes().v1 == lt.sha1_hash(
        bytes.fromhex(film.info_hash)
    )

    assert torrent_engine.request("DELETE", f"/api/v1/torrents/{film.info_hash}")[0] == 200
    with contextlib.closing(sqlite3.connect(database)) as db:
        assert db.execute("SELECT count(*) FROM torrent_metadata").fetchone() == (0,)
