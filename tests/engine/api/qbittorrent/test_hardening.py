"""Hostile input on /api/v2 found by fuzzing: a 400 in qBittorrent's words, nothing stored."""

from __future__ import annotations

import base64
import json
import time
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

from tests.support.peers import engine_env, make_torrent, wait_for_torrent, webapi_call

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess
    from tests.support.peers import QbittorrentPeer

PASSWORD = engine_env()["HAUL_QBITTORRENT_PASSWORD"]
HASH = "ab" * 20
MAGNET = f"magnet:?xt=urn:btih:{HASH}&dn=Some.Show.S01E01"
NAMELESS = "magnet:?xt=urn:btih:" + "cd" * 20
NOT_NUMBERS = ["nan", "inf", "-inf", "1e999", "99999999999999999999", "1e18", "x"]


def bearer(engine: EngineProcess) -> dict[str, str]:
    return {"Authorization": f"Bearer {engine.token}"}


def info(engine: EngineProcess, query: str = "") -> list[dict[str, object]]:
    status, body = webapi_call(engine, "GET", f"torrents/info{query}", **bearer(engine))
    assert status == 200, body
    return list(json.loads(body))


def test_numbers_that_are_not_finite_or_too_big_are_refused(
    torrent_engine: EngineProcess,
) -> None:
    auth = bearer(torrent_engine)
    assert webapi_call(
        torrent_engine, "POST", "torrents/add", {"urls": MAGNET, "stopped": "true"}, **auth
    ) == (200, b"Ok.")
    before = info(torrent_engine)
    calls: list[tuple[str, str, dict[str, str]]] = []
    for value in NOT_NUMBERS:
        calls += [
            ("POST", "torrents/setShareLimits", {"hashes": HASH, "ratioLimit": value}),
            ("POST", "torrents/setShareLimits", {"hashes": HASH, "seedingTimeLimit": value}),
            (
                "POST",
                "torrents/setShareLimits",
                {"hashes": HASH, "inactiveSeedingTimeLimit": value},
            ),
            ("POST", "torrents/setDownloadLimit", {"hashes": HASH, "limit": value}),
            ("POST", "torrents/setUploadLimit", {"hashes": HASH, "limit": value}),
            ("GET", f"torrents/info?limit={value}", {}),
            ("GET", f"torrents/info?offset={value}", {}),
            ("POST", "torrents/add", {"urls": NAMELESS, "dlLimit": value}),
            ("POST", "torrents/add", {"urls": NAMELESS, "upLimit": value}),
            ("POST", "torrents/add", {"urls": NAMELESS, "seedingTimeLimit": value}),
            ("POST", "torrents/add", {"urls": NAMELESS, "ratioLimit": value}),
        ]
    for method, path, form in calls:
        status, body = webapi_call(torrent_engine, method, path, form or None, **auth)
        assert status == 400, (path, form, status, body)
        assert b"invalid argument" in body, (path, form, body)
    assert info(torrent_engine) == before  # nothing was stored
    # the torrent can still be changed and survives a restart with its values
    form = {"hashes": HASH, "ratioLimit": "1.5", "seedingTimeLimit": "60"}
    assert webapi_call(torrent_engine, "POST", "torrents/setShareLimits", form, **auth)[0] == 200
    torrent_engine.restart()
    [item] = info(torrent_engine)
    assert (item["ratio_limit"], item["seeding_time_limit"]) == (1.5, 60)


def test_sorting_by_name_while_a_magnet_has_none(torrent_engine: EngineProcess) -> None:
    auth = bearer(torrent_engine)
    for urls in (NAMELESS, MAGNET):
        form = {"urls": urls, "stopped": "true"}
        assert webapi_call(torrent_engine, "POST", "torrents/add", form, **auth)[0] == 200
    assert [item["name"] for item in info(torrent_engine, "?sort=name")] == [
        "Some.Show.S01E01",
        "cd" * 20,  # qBittorrent names a torrent without metadata by its hash
    ]
    assert [item["hash"] for item in info(torrent_engine, "?sort=name&reverse=true")] == [
        "cd" * 20,
        HASH,
    ]
    status, body = webapi_call(torrent_engine, "GET", "torrents/info?sort=nope", **auth)
    assert (status, body) == (400, b"'sort' parameter is invalid")


def test_peers_that_are_not_ip_addresses_are_refused(torrent_engine: EngineProcess) -> None:
    auth = bearer(torrent_engine)
    form = {"urls": MAGNET}
    assert webapi_call(torrent_engine, "POST", "torrents/add", form, **auth)[0] == 200
    for peers in ("127.0.0.1:\u00b2", "999.999.1.1:80", "[zz]:80", "host.example:80", "1.2.3.4"):
        status, body = webapi_call(
            torrent_engine, "POST", "torrents/addPeers", {"hashes": HASH, "peers": peers}, **auth
        )
        assert (status, body) == (400, b"No valid peers were specified"), peers
    status, body = webapi_call(
        torrent_engine,
        "POST",
        "torrents/addPeers",
        {"hashes": HASH, "peers": "127.0.0.1:6881|[zz]:80|[::1]:6881"},
        **auth,
    )
    assert status == 200, body
    assert json.loads(body) == {HASH: {"added": 2, "failed": 1}}


def test_paths_with_a_nul_are_refused(torrent_engine: EngineProcess) -> None:
    auth = bearer(torrent_engine)
    form = {"urls": MAGNET, "savepath": "tv\x00x"}
    status, body = webapi_call(torrent_engine, "POST", "torrents/add", form, **auth)
    assert status == 400, body
    form = {"category": "tv", "savePath": "a\x00b"}
    status, body = webapi_call(torrent_engine, "POST", "torrents/createCategory", form, **auth)
    assert status == 400, body
    assert info(torrent_engine) == []
    assert webapi_call(torrent_engine, "GET", "torrents/categories", **auth) == (200, b"{}")


def test_file_indexes_qbittorrent_cannot_read_are_refused(
    torrent_engine: EngineProcess, tmp_path: Path
) -> None:
    made = make_torrent(tmp_path / "made", "Pack", {"a.bin": 40_000, "b.bin": 20_000})
    body = {"torrent_base64": base64.b64encode(made.data).decode(), "stopped": True}
    assert torrent_engine.request("POST", "/api/v1/torrents", body)[0] == 200
    auth = bearer(torrent_engine)

    def files(indexes: str) -> tuple[int, bytes]:
        query = urllib.parse.urlencode({"hash": made.info_hash, "indexes": indexes})
        return webapi_call(torrent_engine, "GET", f"torrents/files?{query}", **auth)

    for text in ("\u00b2", "7" * 5000, "-1", "2147483648", "\u0663", "x"):
        assert files(text) == (409, f'"{text}" is not a valid file index.'.encode()), text[:20]
    assert files("2") == (409, b"Index 2 is out of bounds.")
    status, answer = files(" 1 ")
    assert status == 200, answer
    assert [item["index"] for item in json.loads(answer)] == [1]
    assert "Traceback" not in torrent_engine.log


def test_preferences_that_are_no_json_qbittorrent_takes_are_refused(
    torrent_engine: EngineProcess,
) -> None:
    auth = bearer(torrent_engine)
    before = webapi_call(torrent_engine, "GET", "app/preferences", **auth)
    deep = "[" * 100_000 + "]" * 100_000
    for text, named in [
        (deep, "json"),
        ("[]", "json"),
        ('{"listen_port": 1e999}', "json"),
        (f'{{"dl_limit": {"7" * 5000}}}', "json"),
        ('{"scheduler_days": [1]}', "scheduler_days"),
        ('{"encryption": [1]}', "encryption"),
        ('{"bittorrent_protocol": {}}', "bittorrent_protocol"),
        (
            '{"schedule_from_hour": 100000000000000000000, "schedule_from_min": 0}',
            "schedule_from_hour",
        ),
        ('{"schedule_from_hour": true, "schedule_from_min": 0}', "schedule_from_hour"),
    ]:
        status, body = webapi_call(
            torrent_engine, "POST", "app/setPreferences", {"json": text}, **auth
        )
        assert (status, body) == (400, f"'{named}': invalid argument".encode()), text[:40]
    assert webapi_call(torrent_engine, "GET", "app/preferences", **auth) == before
    assert "Traceback" not in torrent_engine.log


def basic(password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"admin:{password}".encode()).decode()}


def test_one_failed_login_counter_for_every_way_in(torrent_engine: EngineProcess) -> None:
    wrong = {"username": "admin", "password": "guess"}
    assert webapi_call(torrent_engine, "POST", "auth/login", wrong) == (200, b"Fails.")
    for attempt in range(4):
        status, _ = webapi_call(torrent_engine, "GET", "app/version", **basic(f"guess{attempt}"))
        assert status == 403
    banned = b"Your IP address has been banned after too many failed authentication attempts."
    right = {"username": "admin", "password": PASSWORD}
    assert webapi_call(torrent_engine, "POST", "auth/login", right) == (403, banned)
    assert webapi_call(torrent_engine, "GET", "app/version", **basic(PASSWORD)) == (403, banned)
    assert "failed login" in torrent_engine.log


def test_login_sessions_are_pruned(torrent_engine: EngineProcess) -> None:
    right = {"username": "admin", "password": PASSWORD}
    sids = []
    for _ in range(257):  # a dashboard that logs in on every poll must not grow memory forever
        request = urllib.request.Request(  # noqa: S310 - the engine on loopback
            f"{torrent_engine.url}/api/v2/auth/login",
            data=urllib.parse.urlencode(right).encode(),
        )
        with urllib.request.urlopen(request) as answer:  # noqa: S310
            sids.append(answer.headers["Set-Cookie"].split(";")[0])
    oldest, newest = sids[0], sids[-1]
    assert webapi_call(torrent_engine, "GET", "app/version", Cookie=oldest)[0] == 403
    assert webapi_call(torrent_engine, "GET", "app/version", Cookie=newest) == (200, b"v5.0.0")


def test_an_existing_symlink_cannot_lead_a_torrent_out_of_the_folders(
    tmp_path: Path,
    torrent_engine: EngineProcess,
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    downloads = torrent_engine.data_dir / "downloads"
    (downloads / "Escape").symlink_to(outside)
    (downloads / "Pack").mkdir()
    (downloads / "Pack" / "sub").symlink_to(outside)
    auth = bearer(torrent_engine)
    # a .torrent: refused before anything is added
    escape = make_torrent(tmp_path / "made", "Escape", {"a.bin": 40_000, "b.bin": 10_000})
    status, answer = torrent_engine.request(
        "POST", "/api/v1/torrents", {"torrent_base64": escape.base64}
    )
    assert status == 400, answer
    assert "outside the allowed folders" in answer["error"]["message"]
    pack = make_torrent(tmp_path / "made", "Pack", {"sub/x.bin": 40_000, "y.bin": 1000})
    assert webapi_call(
        torrent_engine, "POST", "torrents/add", {"urls": "", "category": ""}, **auth
    ) == (200, b"Fails.")
    status, answer = torrent_engine.request(
        "POST", "/api/v1/torrents", {"torrent_base64": pack.base64}
    )
    assert status == 400, answer
    # a magnet: its paths are known once a peer sent the metadata; then it stops, in error
    seeder = qbittorrent_factory("seeder")
    seeder.seed(escape)
    assert webapi_call(torrent_engine, "POST", "torrents/add", {"urls": escape.magnet}, **auth) == (
        200,
        b"Ok.",
    )
    peers = {"peers": [f"127.0.0.1:{seeder.listen_port}"]}
    assert (
        torrent_engine.request("POST", f"/api/v1/torrents/{escape.info_hash}/peers", peers)[0]
        == 200
    )
    refused = wait_for_torrent(
        torrent_engine, escape.info_hash, lambda item: item["state"] == "error"
    )
    assert "outside the allowed folders" in refused["error"]
    time.sleep(2)
    assert not list(outside.iterdir())
    torrent_engine.restart()  # and stays so
    assert wait_for_torrent(torrent_engine, escape.info_hash, lambda item: item["state"] == "error")
    assert not list(outside.iterdir())
