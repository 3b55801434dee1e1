"""Events, persistence across restarts, transfer limits and the disk guard, on the real engine."""

from __future__ import annotations

import shutil
import time
from typing import TYPE_CHECKING, Any

import aiohttp

from tests.support.peers import engine_env, make_torrent, wait_for_torrent, webapi_call

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess
    from tests.support.peers import MadeTorrent


def place_content(torrent: MadeTorrent, downloads: Path) -> None:
    """Put a torrent's complete data where the engine will look for it."""
    for name in torrent.files:
        source = (
            torrent.parent / torrent.name / name
            if len(torrent.files) > 1
            else torrent.parent / name
        )
        target = downloads / torrent.name / name if len(torrent.files) > 1 else downloads / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


async def next_event(
    ws: aiohttp.ClientWebSocketResponse, name: str, within: float = 20
) -> dict[str, Any]:
    """Skip messages until the named event arrives; return its data."""
    deadline = time.monotonic() + within
    while True:
        message = await ws.receive_json(timeout=max(deadline - time.monotonic(), 0.1))
        if message.get("type") == "event" and message["event"] == name:
            return dict(message["data"])


async def test_events_follow_a_torrent_through_its_life(
    tmp_path: Path, torrent_engine: EngineProcess
) -> None:
    made = make_torrent(tmp_path, "Ready", {"a.mkv": 300_000, "b.srt": 2000})
    place_content(made, torrent_engine.data_dir / "downloads")
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(f"{torrent_engine.url}/api/v1/ws") as ws,
    ):
        await ws.send_json({"type": "auth", "token": torrent_engine.token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, "command": "subscribe"})
        args = {"torrent_base64": made.base64, "category": "tv", "request_id": "req-9"}
        await ws.send_json({"id": 2, "command": "torrents/add", "args": args})
        added = await next_event(ws, "torrent_added")
        assert (added["hash"], added["category"], added["request_id"]) == (
            made.info_hash,
            "tv",
            "req-9",
        )
        completed = await next_event(ws, "torrent_completed")
        assert completed["hash"] == made.info_hash
        assert completed["progress"] == 1.0
        await ws.send_json(
            {"id": 3, "command": "torrents/pause", "args": {"info_hash": made.info_hash}}
        )
        state = await next_event(ws, "torrent_state")
        assert state["state"] == "stoppedUP"
        await ws.send_json(
            {"id": 4, "command": "torrents/remove", "args": {"info_hash": made.info_hash}}
        )
        removed = await next_event(ws, "torrent_removed")
        assert removed == removed | {"hash": made.info_hash, "delete_files": False}
    assert (torrent_engine.data_dir / "downloads" / "Ready" / "a.mkv").exists()
    assert torrent_engine.request("GET", "/api/v1/system")[1]["counts"]["torrents"] == 0


def test_everything_survives_a_restart(tmp_path: Path, torrent_engine: EngineProcess) -> None:
    bearer = {"Authorization": f"Bearer {torrent_engine.token}"}
    form = {"category": "films", "savePath": "films"}
    assert webapi_call(torrent_engine, "POST", "torrents/createCategory", form, **bearer)[0] == 200
    made = make_torrent(tmp_path, "Film.mkv", {"Film.mkv": 400_000})
    place_content(made, torrent_engine.data_dir / "downloads" / "films")
    body = {
        "torrent_base64": made.base64,
        "category": "films",
        "request_id": "r-1",
        "ratio_limit": 3,
    }
    assert torrent_engine.request("POST", "/api/v1/torrents", body)[0] == 200
    magnet = "magnet:?xt=urn:btih:" + "9" * 40 + "&dn=Waiting"
    body = {"magnet": magnet, "tags": ["x", "y"], "stopped": True, "seeding_time_limit": 30}
    assert torrent_engine.request("POST", "/api/v1/torrents", body)[0] == 200
    wait_for_torrent(torrent_engine, made.info_hash, lambda item: item["completed_on"] is not None)
    limits = {
        "download_limit": 500,
        "upload_limit": 100,
        "alt_download_limit": 50,
        "alt_upload_limit": 10,
    }
    status, transfer = torrent_engine.request(
        "PUT", "/api/v1/transfer", {"limits": limits | {"alt_mode": True}}
    )
    assert status == 200, transfer
    assert transfer["alt_active"] is True
    before = {item["hash"]: item for item in torrent_engine.request("GET", "/api/v1/torrents")[1]}

    torrent_engine.restart()
    assert "restored 2 torrents (clean shutdown)" in torrent_engine.log
    after = {item["hash"]: item for item in torrent_engine.request("GET", "/api/v1/torrents")[1]}
    assert after.keys() == before.keys()
    stable = (
        "category",
        "tags",
        "save_path",
        "stopped",
        "request_id",
        "ratio_limit",
        "seeding_time_limit",
        "added_on",
    )
    for info_hash, item in before.items():
        assert {key: after[info_hash][key] for key in stable} == {key: item[key] for key in stable}
    film = wait_for_torrent(
        torrent_engine, made.info_hash, lambda item: item["state"] == "stalledUP"
    )
    assert film["save_path"] == str(torrent_engine.data_dir / "downloads" / "films")
    assert film["completed_on"] == before[made.info_hash]["completed_on"]
    assert after["9" * 40]["state"] == "stoppedDL"
    transfer = torrent_engine.request("GET", "/api/v1/transfer")[1]
    assert transfer["limits"] == transfer["limits"] | limits
    assert webapi_call(torrent_engine, "GET", "transfer/speedLimitsMode", **bearer) == (200, b"1")
    categories = webapi_call(torrent_engine, "GET", "torrents/categories", **bearer)[1]
    assert b'"films"' in categories

    film_file = torrent_engine.data_dir / "downloads" / "films" / "Film.mkv"
    assert film_file.exists()
    path = f"/api/v1/torrents/{made.info_hash}?delete_files=true"
    assert torrent_engine.request("DELETE", path)[0] == 200
    deadline = time.monotonic() + 10
    while film_file.exists():
        assert time.monotonic() < deadline, "the files were not deleted"
        time.sleep(0.1)
    assert [item["hash"] for item in torrent_engine.request("GET", "/api/v1/torrents")[1]] == [
        "9" * 40
    ]


def test_deleted_tags_and_categories_leave_every_torrent_after_a_restart(
    torrent_engine: EngineProcess,
) -> None:
    bearer = {"Authorization": f"Bearer {torrent_engine.token}"}
    form = {"category": "old", "savePath": "old"}
    assert webapi_call(torrent_engine, "POST", "torrents/createCategory", form, **bearer)[0] == 200
    hashes = [str(digit) * 40 for digit in range(1, 4)]
    for info_hash in hashes:
        body = {
            "magnet": f"magnet:?xt=urn:btih:{info_hash}",
            "category": "old",
            "tags": ["gone", "kept"],
            "stopped": True,
        }
        assert torrent_engine.request("POST", "/api/v1/torrents", body)[0] == 200
    assert (
        webapi_call(torrent_engine, "POST", "torrents/deleteTags", {"tags": "gone"}, **bearer)[0]
        == 200
    )
    form = {"categories": "old"}
    assert (
        webapi_call(torrent_engine, "POST", "torrents/removeCategories", form, **bearer)[0] == 200
    )

    torrent_engine.restart()
    listed = torrent_engine.request("GET", "/api/v1/torrents")[1]
    assert {item["hash"]: (item["category"], item["tags"]) for item in listed} == dict.fromkeys(
        hashes, ("", ["kept"])
    )


def test_bad_transfer_limits_are_refused(torrent_engine: EngineProcess) -> None:
    status, answer = torrent_engine.request(
        "PUT", "/api/v1/transfer", {"limits": {"download_limit": -5}}
    )
    assert status == 400
    assert "download_limit" in answer["error"]["message"]
    schedule = {"alt_schedule": {"enabled": True, "start": "25:00"}}
    assert torrent_engine.request("PUT", "/api/v1/transfer", {"limits": schedule})[0] == 400
    assert torrent_engine.request("GET", "/api/v1/transfer")[1]["limits"]["download_limit"] == 0


def test_disk_guard_holds_downloads_until_space_returns(
    small_disk: Path, engine_factory: Callable[..., EngineProcess]
) -> None:
    env = engine_env(HAUL_DOWNLOAD_DIR=str(small_disk), HAUL_MIN_FREE_SPACE_MB="16")
    engine = engine_factory(env=env).start()
    magnet = "magnet:?xt=urn:btih:" + "7" * 40 + "&dn=Big"
    assert engine.request("POST", "/api/v1/torrents", {"magnet": magnet})[0] == 200
    filler = small_disk / "filler.bin"
    filler.write_bytes(b"\0" * (12 * 1024 * 1024))
    deadline = time.monotonic() + 15
    while not engine.request("GET", "/api/v1/system")[1]["problems"]:
        assert time.monotonic() < deadline, "the disk guard did not trigger"
        time.sleep(0.2)
    assert "downloads are paused" in engine.request("GET", "/api/v1/system")[1]["problems"][0]
    assert (
        wait_for_torrent(engine, "7" * 40, lambda item: item["state"] == "queuedDL")["stopped"]
        is False
    )
    filler.unlink()
    deadline = time.monotonic() + 15
    while engine.request("GET", "/api/v1/system")[1]["problems"]:
        assert time.monotonic() < deadline, "the disk guard did not release"
        time.sleep(0.2)
    wait_for_torrent(engine, "7" * 40, lambda item: item["state"] == "metaDL")


def test_content_layouts(tmp_path: Path, torrent_engine: EngineProcess) -> None:
    single = make_torrent(tmp_path, "Film.2024.mkv", {"Film.2024.mkv": 40_000})
    body = {
        "torrent_base64": single.base64,
        "content_layout": "Subfolder",
        "stopped": True,
        "sequential": True,
        "first_last_piece": True,
    }
    status, added = torrent_engine.request("POST", "/api/v1/torrents", body)
    assert status == 200, added
    # qBittorrent: a single file's content path is the file, now inside its new folder
    assert added["content_path"] == f"{added['save_path']}/Film.2024/Film.2024.mkv"
    assert added["name"] == "Film.2024"
    assert added["sequential"] is True
    bearer = {"Authorization": f"Bearer {torrent_engine.token}"}
    assert (
        b'"f_l_piece_prio":true' in webapi_call(torrent_engine, "GET", "torrents/info", **bearer)[1]
    )
    pack = make_torrent(tmp_path, "Pack", {"a.mkv": 40_000, "b.nfo": 10})
    body = {"torrent_base64": pack.base64, "content_layout": "NoSubfolder", "stopped": True}
    status, added = torrent_engine.request("POST", "/api/v1/torrents", body)
    assert status == 200, added
    # without its root folder a multi-file torrent's content path is the save path (qBittorrent)
    assert added["content_path"] == added["save_path"]


async def test_a_torrent_added_stopped_is_stopped_from_the_start(
    tmp_path: Path, torrent_engine: EngineProcess
) -> None:
    """No new torrent reads checkingResumeData (libtorrent's first status of a new handle).

    qBittorrent lists a torrent only once it is loaded, so that state belongs to torrents
    resumed at start; a client that adds a torrent stopped (@ctrl/qbittorrent's
    normalizedAddTorrent with startPaused) reads it stopped at once, in every answer and event.
    """
    headers = {"Authorization": f"Bearer {torrent_engine.token}"}
    states: list[tuple[str, str]] = []
    async with (
        aiohttp.ClientSession(headers=headers) as session,
        session.ws_connect(f"{torrent_engine.url}/api/v1/ws") as ws,
    ):
        await ws.send_json({"type": "auth", "token": torrent_engine.token})
        assert (await ws.receive_json())["type"] == "auth_ok"
        await ws.send_json({"id": 1, "command": "subscribe"})
        hashes = []
        for number in range(40):
            made = make_torrent(tmp_path, f"Stopped {number}", {"a.bin": 20_000 + number})
            form = aiohttp.FormData({"stopped": "true", "paused": "true"})
            if number % 2:
                form.add_field("urls", made.magnet)
            else:
                form.add_field("torrents", made.data, filename=f"{number}.torrent")
            url = f"{torrent_engine.url}/api/v2/torrents/add"
            async with session.post(url, data=form) as answer:
                assert (answer.status, await answer.text()) == (200, "Ok.")
            url = f"{torrent_engine.url}/api/v2/torrents/info?hashes={made.info_hash}"
            async with session.get(url) as answer:
                [listed] = await answer.json()
            url = f"{torrent_engine.url}/api/v1/torrents/{made.info_hash}"
            async with session.get(url) as answer:
                engine_view = await answer.json()
            states += [("info", listed["state"]), ("engine", engine_view["state"])]
            hashes.append(made.info_hash)
        while (message := await ws.receive_json(timeout=2)).get("event") != "torrent_added" or (
            message["data"]["hash"] != hashes[-1]
        ):
            if message.get("event") in {"torrent_added", "torrent_state"}:
                states.append((message["event"], message["data"]["state"]))
        states.append(("torrent_added", message["data"]["state"]))
    assert {state for _where, state in states} == {"stoppedDL"}, sorted(set(states))
