"""The qBittorrent WebAPI v2 layer, driven by real client libraries the way Sonarr drives it."""

from __future__ import annotations

import base64
import time
import urllib.parse
import urllib.request
from typing import TYPE_CHECKING

import aiohttp
import aioqbt.exc
import libtorrent as lt
import pytest
import qbittorrentapi
from aioqbt.api import AddFormBuilder
from aioqbt.client import create_client

from tests.support.peers import engine_env, make_torrent, webapi_call

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess
    from tests.support.peers import QbittorrentPeer

PASSWORD = engine_env()["HAUL_QBITTORRENT_PASSWORD"]
MAGNET_HASH = "0123456789abcdef0123456789abcdef01234567"
MAGNET = f"magnet:?xt=urn:btih:{MAGNET_HASH}&dn=Some.Show.S01E02"


def client(engine: EngineProcess) -> qbittorrentapi.Client:
    """A logged-in qbittorrent-api client."""
    api = qbittorrentapi.Client(
        host=engine.url, username="admin", password=PASSWORD, REQUESTS_ARGS={"timeout": 10}
    )
    api.auth_log_in()
    return api


def test_handshake_is_403_never_401(torrent_engine: EngineProcess) -> None:
    # before login qBittorrent 5.0 answers 403 even here: callers read it as "v2, log in"
    assert webapi_call(torrent_engine, "GET", "app/webapiVersion") == (403, b"Forbidden")
    assert webapi_call(torrent_engine, "GET", "torrents/info")[0] == 403
    assert webapi_call(torrent_engine, "POST", "torrents/add", {"urls": MAGNET})[0] == 403
    assert webapi_call(
        torrent_engine, "POST", "auth/login", {"username": "admin", "password": "wrong"}
    ) == (200, b"Fails.")
    assert webapi_call(torrent_engine, "GET", "torrents/info", Cookie="SID=forged")[0] == 403
    wrong = {"username": "admin", "password": "guess"}
    for _ in range(4):
        assert webapi_call(torrent_engine, "POST", "auth/login", wrong) == (200, b"Fails.")
    right = {"username": "admin", "password": PASSWORD}
    assert webapi_call(torrent_engine, "POST", "auth/login", right)[0] == 403  # guessing is stopped
    assert PASSWORD not in torrent_engine.log


def test_login_cookie_basic_and_bearer(torrent_engine: EngineProcess) -> None:
    request = urllib.request.Request(  # noqa: S310
        f"{torrent_engine.url}/api/v2/auth/login",
        data=urllib.parse.urlencode({"username": "admin", "password": PASSWORD}).encode(),
    )
    with urllib.request.urlopen(request) as answer:  # noqa: S310
        assert answer.read() == b"Ok."
        cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("SID=")
    assert "path=/" in cookie.lower()
    sid = cookie.split(";")[0]
    assert webapi_call(torrent_engine, "GET", "torrents/info", Cookie=sid) == (200, b"[]")
    basic = base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
    assert webapi_call(torrent_engine, "GET", "torrents/info", Authorization=f"Basic {basic}") == (
        200,
        b"[]",
    )
    wrong = base64.b64encode(b"admin:nope").decode()
    assert (
        webapi_call(torrent_engine, "GET", "torrents/info", Authorization=f"Basic {wrong}")[0]
        == 403
    )
    bearer = f"Bearer {torrent_engine.token}"
    assert webapi_call(torrent_engine, "GET", "torrents/info", Authorization=bearer) == (200, b"[]")
    assert webapi_call(torrent_engine, "POST", "auth/logout", {}, Cookie=sid) == (200, b"")
    assert webapi_call(torrent_engine, "GET", "torrents/info", Cookie=sid)[0] == 403
    assert webapi_call(torrent_engine, "GET", "torrents/add", Authorization=bearer)[0] == 405


def test_sonarr_flow_with_qbittorrent_api(tmp_path: Path, torrent_engine: EngineProcess) -> None:
    api = client(torrent_engine)
    assert api.app_web_api_version() == "2.11.2"
    assert api.app_version() == "v5.0.0"
    preferences = api.app_preferences()
    assert preferences["dht"] is False  # the truth: the test engine runs without DHT
    assert preferences["max_ratio_act"] == 0
    api.torrents_create_category(name="tv", save_path="tv")
    api.torrents_create_category(name="tv", save_path="tv")  # idempotent
    assert api.torrents_categories()["tv"]["savePath"] == str(
        torrent_engine.data_dir / "downloads" / "tv"
    )

    assert api.torrents_add(urls=MAGNET, category="tv", is_stopped=True) == "Ok."
    listed = api.torrents_info(category="tv")  # listed before add returned, without metadata
    assert [item.hash for item in listed] == [MAGNET_HASH]
    assert listed[0].state == "stoppedDL"
    assert listed[0].eta == 8_640_000  # unknown: no metadata yet
    assert listed[0].content_path != listed[0].save_path

    made = make_torrent(tmp_path, "Movie.2024", {"Movie.2024.mkv": 300_000, "extras/info.txt": 10})
    assert (
        api.torrents_add(torrent_files=made.data, category="movies", is_stopped=True, ratio_limit=2)
        == "Ok."
    )
    assert [item.hash for item in api.torrents_info(category="tv")] == [MAGNET_HASH]
    movie = api.torrents_info(category="movies")[0]
    assert movie.hash == made.info_hash
    assert movie.content_path == f"{movie.save_path}/Movie.2024"
    assert movie.ratio_limit == 2
    assert len(api.torrents_info()) == 2

    assert api.torrents_properties(torrent_hash=made.info_hash).save_path == movie.save_path
    with pytest.raises(qbittorrentapi.NotFound404Error):
        api.torrents_properties(torrent_hash="f" * 40)
    with pytest.raises(qbittorrentapi.NotFound404Error):
        api.torrents_files(torrent_hash="f" * 40)
    names = sorted(entry.name for entry in api.torrents_files(torrent_hash=made.info_hash))
    assert names == ["Movie.2024/Movie.2024.mkv", "Movie.2024/extras/info.txt"]

    with pytest.raises(qbittorrentapi.Conflict409Error):
        api.torrents_set_category(category="no-such-category", torrent_hashes=[MAGNET_HASH])
    api.torrents_set_share_limits(
        ratio_limit=1.5, seeding_time_limit=60, torrent_hashes=[MAGNET_HASH]
    )
    item = api.torrents_info(torrent_hashes=MAGNET_HASH)[0]
    assert (item.ratio_limit, item.seeding_time_limit, item.inactive_seeding_time_limit) == (
        1.5,
        60,
        -2,
    )
    api.torrents_add_tags(tags="haul,sonarr", torrent_hashes=[MAGNET_HASH])
    assert api.torrents_info(tag="sonarr")[0].tags == "haul, sonarr"

    api.torrents_start(torrent_hashes=[MAGNET_HASH])
    assert api.torrents_info(torrent_hashes=MAGNET_HASH)[0].state in {"metaDL", "queuedDL"}
    api.torrents_stop(torrent_hashes="all")
    assert {item.state for item in api.torrents_info()} == {"stoppedDL"}
    assert api.transfer_info()["connection_status"] == "firewalled"  # no peer connected in
    main = api.sync_maindata()
    assert set(main["torrents"]) == {MAGNET_HASH, made.info_hash}

    api.torrents_delete(delete_files=True, torrent_hashes=[MAGNET_HASH, made.info_hash])
    assert api.torrents_info() == []


async def test_aioqbt_drives_the_layer(tmp_path: Path, torrent_engine: EngineProcess) -> None:
    made = make_torrent(tmp_path, "Episode.mkv", {"Episode.mkv": 200_000})
    # aiohttp keeps cookies of IP-address hosts only with an unsafe jar (aioqbt documents this)
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with (
        http,
        await create_client(f"{torrent_engine.url}/api/v2/", "admin", PASSWORD, http=http) as api,
    ):
        assert str(await api.app.webapi_version()) == "2.11.2"
        await api.torrents.create_category("tv", "")
        form = (
            AddFormBuilder.with_client(api)
            .include_url(MAGNET)
            .category("tv")
            .stopped(stopped=True)
            .build()
        )
        await api.torrents.add(form)
        form = (
            AddFormBuilder.with_client(api)
            .include_file(made.data, "x.torrent")
            .category("tv")
            .build()
        )
        await api.torrents.add(form)
        listed = await api.torrents.info(category="tv")
        assert {item.hash for item in listed} == {MAGNET_HASH, made.info_hash}
        single = next(item for item in listed if item.hash == made.info_hash)
        assert single.content_path == f"{single.save_path}/Episode.mkv"
        assert await api.torrents.info(category="movies") == []
        assert (await api.torrents.properties(MAGNET_HASH)).hash == MAGNET_HASH
        assert await api.torrents.files(MAGNET_HASH) == []
        assert "tv" in await api.torrents.categories()
        with pytest.raises(aioqbt.exc.ConflictError):
            await api.torrents.set_category([MAGNET_HASH], "nope")
        with pytest.raises(aioqbt.exc.NotFoundError):
            await api.torrents.properties("e" * 40)
        await api.torrents.set_share_limits([MAGNET_HASH], 3.0, 120)
        assert (await api.torrents.info(hashes=[MAGNET_HASH]))[0].ratio_limit == 3.0
        await api.torrents.delete("all", delete_files=False)
        assert await api.torrents.info() == []


CONTRACT_TABLE = [
    ("GET", "app/webapiVersion", None, b"2.11.2"),
    ("GET", "app/version", None, b"v5.0.0"),
    ("GET", "app/preferences", None, b'"max_seeding_time_enabled"'),
    ("GET", "torrents/info?category=tv", None, b"["),
    ("GET", f"torrents/properties?hash={MAGNET_HASH}", None, b'"seeding_time"'),
    ("GET", f"torrents/files?hash={MAGNET_HASH}", None, b"["),
    ("GET", f"torrents/trackers?hash={MAGNET_HASH}", None, b"["),
    ("POST", "torrents/createCategory", {"category": "tv", "savePath": ""}, b""),
    ("GET", "torrents/categories", None, b'"tv"'),
    ("POST", "torrents/setCategory", {"hashes": MAGNET_HASH, "category": "tv"}, b""),
    (
        "POST",
        "torrents/setShareLimits",
        {"hashes": MAGNET_HASH, "ratioLimit": "1", "seedingTimeLimit": "5"},
        b"",
    ),
    ("POST", "torrents/topPrio", {"hashes": MAGNET_HASH}, b""),
    ("POST", "torrents/setForceStart", {"hashes": MAGNET_HASH, "value": "true"}, b""),
    ("POST", "torrents/addTags", {"hashes": MAGNET_HASH, "tags": "a,b"}, b""),
    ("POST", "torrents/stop", {"hashes": MAGNET_HASH}, b""),
    ("POST", "torrents/start", {"hashes": MAGNET_HASH}, b""),
    ("POST", "torrents/pause", {"hashes": "all"}, b""),
    ("POST", "torrents/resume", {"hashes": "all"}, b""),
    ("GET", "transfer/info", None, b'"dl_info_speed"'),
    ("GET", "sync/maindata", None, b'"server_state"'),
    ("POST", "torrents/delete", {"hashes": MAGNET_HASH, "deleteFiles": "false"}, b""),
    ("GET", f"torrents/properties?hash={MAGNET_HASH}", None, b""),
]


def test_contract_table_row_by_row(torrent_engine: EngineProcess) -> None:
    bearer = {"Authorization": f"Bearer {torrent_engine.token}"}
    assert webapi_call(
        torrent_engine, "POST", "torrents/add", {"urls": MAGNET, "stopped": "true"}, **bearer
    ) == (200, b"Ok.")
    for method, path, form, expected in CONTRACT_TABLE[:-1]:
        status, body = webapi_call(torrent_engine, method, path, form, **bearer)
        assert status == 200, (path, body)
        assert expected in body if expected else body == b"", (path, body)  # actions answer nothing
    assert webapi_call(torrent_engine, "GET", CONTRACT_TABLE[-1][1], **bearer)[0] == 404
    status, body = webapi_call(
        torrent_engine, "POST", "torrents/setCategory", {"hashes": "all", "category": "x"}, **bearer
    )
    assert status == 409


def test_share_limit_stops_and_never_deletes(tmp_path: Path, torrent_engine: EngineProcess) -> None:
    made = make_torrent(tmp_path, "Done.mkv", {"Done.mkv": 100_000})
    downloads = torrent_engine.data_dir / "downloads"
    (downloads / "Done.mkv").write_bytes((made.parent / "Done.mkv").read_bytes())
    api = client(torrent_engine)
    api.torrents_add(torrent_files=made.data, seeding_time_limit=0, category="tv")
    deadline = time.monotonic() + 20
    while (item := api.torrents_info(torrent_hashes=made.info_hash)[0]).state != "stoppedUP":
        assert time.monotonic() < deadline, item
        time.sleep(0.2)
    assert item.progress == 1.0
    assert (downloads / "Done.mkv").exists()
    assert api.torrents_info(torrent_hashes=made.info_hash)


def test_hybrid_torrent_is_found_by_v1_and_v2_hashes(
    tmp_path: Path, torrent_engine: EngineProcess
) -> None:
    made = make_torrent(tmp_path, "Hybrid", {"a.bin": 70_000, "b.bin": 30_000}, hybrid=True)
    api = client(torrent_engine)
    assert api.torrents_add(torrent_files=made.data, is_stopped=True) == "Ok."
    assert [item.hash for item in api.torrents_info()] == [made.info_hash]  # the v1 hash
    assert made.v2_hash
    for spelling in (made.info_hash, made.v2_hash, made.v2_hash[:40]):
        assert [item.hash for item in api.torrents_info(torrent_hashes=spelling)] == [
            made.info_hash
        ]
        assert api.torrents_properties(torrent_hash=spelling).hash == made.info_hash
    status, item = torrent_engine.request("GET", f"/api/v1/torrents/{made.v2_hash}")
    assert (status, item["hash"]) == (200, made.info_hash)
    # export: the same torrent, with the trackers added since; pieces by state and hash
    api.torrents_add_trackers(torrent_hash=made.info_hash, urls="http://127.0.0.1:9/announce")
    exported = lt.load_torrent_buffer(api.torrents_export(torrent_hash=made.info_hash))
    assert str(exported.ti.info_hashes().v1) == made.info_hash
    assert str(exported.ti.info_hashes().v2) == made.v2_hash
    assert exported.trackers == ["http://127.0.0.1:9/announce"]
    states = api.torrents_piece_states(torrent_hash=made.info_hash)
    hashes = api.torrents_piece_hashes(torrent_hash=made.info_hash)
    pieces = api.torrents_properties(torrent_hash=made.info_hash).pieces_num
    assert (len(states), len(hashes), set(states)) == (pieces, pieces, {0})


# Home Assistant's core qbittorrent integration (2026.10): what its coordinator, sensors,
# switch and get_torrents action call, and what they read from the answers.
HA_FILTERS = ["active", "inactive", "paused", "all", "seeding", "started", "errored"]
HA_SERVER_STATE = ("dl_info_speed", "up_info_speed", "dl_rate_limit", "up_rate_limit")


def home_assistant_values(api: qbittorrentapi.Client) -> dict[str, object]:
    """Every sensor's value as the integration computes it, and its switch's state."""
    data = api.sync_maindata()
    state = data["server_state"]
    torrents = data.get("torrents", {})

    def count(states: list[str]) -> int:
        return sum(1 for item in torrents.values() if item.get("state") in states)

    return {
        **{key: state[key] for key in HA_SERVER_STATE},
        "connection_status": state["connection_status"],
        "alltime_download": state.get("alltime_dl") or None,
        "alltime_upload": state.get("alltime_ul") or None,
        "global_ratio": float(state["global_ratio"]),
        "all_torrents": len(torrents),
        "active_torrents": count(["downloading", "uploading"]),
        "inactive_torrents": count(["stalledDL", "stalledUP"]),
        "paused_torrents": count(["stoppedDL", "stoppedUP"]),
        "errored_torrents": count(["error", "missingFiles"]),
        "alternative_speed": api.transfer_speed_limits_mode() == "1",
    }


def test_what_home_assistants_qbittorrent_integration_calls(
    tmp_path: Path,
    torrent_engine: EngineProcess,
    qbittorrent_factory: Callable[[str], QbittorrentPeer],
) -> None:
    made = make_torrent(tmp_path / "made", "Movie.2024", {"Movie.2024.mkv": 2_000_000})
    seeder = qbittorrent_factory("seeder")
    seeder.seed(made)
    # the integration's setup_client: a login with the configured credentials, certificate checked
    api = qbittorrentapi.Client(
        torrent_engine.url, username="admin", password=PASSWORD, VERIFY_WEBUI_CERTIFICATE=True
    )
    api.auth_log_in("admin", PASSWORD)
    assert api.torrents_add(torrent_files=made.data, category="movies") == "Ok."
    api.torrents_add_peers(peers=f"127.0.0.1:{seeder.listen_port}", torrent_hashes=made.info_hash)
    deadline = time.monotonic() + 60
    while api.torrents_info(torrent_hashes=made.info_hash)[0].progress < 1:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    seeder.stop()
    leecher = qbittorrent_factory("leecher")  # and it uploads: both totals move
    leecher.leech(made, f"127.0.0.1:{torrent_engine.env['HAUL_LISTEN_PORT']}")
    leecher.wait_for(made.info_hash, lambda item: item.progress == 1.0)
    assert api.torrents_add(urls=MAGNET, is_stopped=True) == "Ok."

    while (values := home_assistant_values(api))["alltime_upload"] is None:
        assert time.monotonic() < deadline + 60, values  # the session counters come each second
        time.sleep(0.2)
    assert all(value is not None for value in values.values()), values  # every entity has one
    assert values["connection_status"] in {"connected", "firewalled", "disconnected"}
    assert values["alltime_download"] >= 2_000_000
    assert values["alltime_upload"] >= 2_000_000
    assert values["global_ratio"] >= 0.9
    assert (values["all_torrents"], values["paused_torrents"]) == (2, 1)

    # the switch: turn_on/turn_off, then toggle (qbittorrent-api sends setSpeedLimitsMode)
    for wanted in (True, False):
        api.transfer_toggle_speed_limits_mode(wanted)
        assert home_assistant_values(api)["alternative_speed"] is wanted
    api.transfer_toggle_speed_limits_mode()
    assert home_assistant_values(api)["alternative_speed"] is True
    api.transfer_toggle_speed_limits_mode()
    assert home_assistant_values(api)["alternative_speed"] is False

    # get_torrents / get_all_torrents: every filter of the action, each torrent's fields
    by_filter = {name: api.torrents_info(name) for name in HA_FILTERS}
    assert {item.hash for item in by_filter["started"]} == {made.info_hash, MAGNET_HASH}
    assert [item.hash for item in by_filter["paused"]] == [MAGNET_HASH]
    assert [item.hash for item in by_filter["seeding"]] == [made.info_hash]
    assert by_filter["errored"] == []
    for item in by_filter["all"]:
        assert {"hash", "added_on", "progress", "state", "eta", "ratio", "name"} <= set(item)

    torrent_engine.restart()  # all-time totals survive a restart
    api = qbittorrentapi.Client(torrent_engine.url, username="admin", password=PASSWORD)
    after = home_assistant_values(api)
    assert after["alltime_download"] >= values["alltime_download"]  # type: ignore[operator]
    assert after["alltime_upload"] >= values["alltime_upload"]  # type: ignore[operator]


def test_the_schedule_switches_the_alternative_mode_and_a_switch_by_hand_holds(
    torrent_engine: EngineProcess,
) -> None:
    api = client(torrent_engine)
    all_day = {"enabled": True, "start": "00:00", "end": "23:59", "days": list(range(7))}
    limits = {"alt_download_limit": 100, "alt_schedule": all_day}
    assert torrent_engine.request("PUT", "/api/v1/transfer", {"limits": limits})[0] == 200
    deadline = time.monotonic() + 5
    while api.transfer_speed_limits_mode() != "1":  # the window opened: on, at the next tick
        assert time.monotonic() < deadline
        time.sleep(0.2)
    api.transfer_set_speed_limits_mode(intended_state=False)  # Home Assistant's switch, off
    time.sleep(2.5)  # ticks pass inside the window: it stays as set, as in qBittorrent
    assert api.transfer_speed_limits_mode() == "0"
    assert api.sync_maindata()["server_state"]["use_alt_speed_limits"] is False
