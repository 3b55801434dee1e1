"""Bad input gets a clear error, changes nothing and leaves the engine working."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import threading
import urllib.error
import urllib.request
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, ClassVar

import pytest

from tests.support.peers import bencode, make_torrent, webapi_call

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.support.engine import EngineProcess

GOOD_MAGNET = "magnet:?xt=urn:btih:" + "ab" * 20 + "&dn=Keeper"


def hostile_torrent(paths: list[list[str]], name: str = "Pack") -> bytes:
    """A structurally valid .torrent whose names try to escape the save folder."""
    files = [{"length": 1000, "path": path} for path in paths]
    info = {
        "name": name,
        "piece length": 16384,
        "pieces": hashlib.sha1(b"x").digest(),  # noqa: S324 - BitTorrent v1 piece hashes are SHA-1
        "files": files,
    }
    return bencode({"info": info})


class _TorrentSite(http.server.BaseHTTPRequestHandler):
    """Answers like an indexer's download link would, good and bad."""

    routes: ClassVar[dict[str, tuple[int, dict[str, str], bytes]]] = {}

    def do_GET(self) -> None:
        status, headers, body = self.routes.get(self.path, (404, {}, b"no"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        """Stay quiet."""


@pytest.fixture
def site(tmp_path: Path) -> Iterator[str]:
    made = make_torrent(tmp_path, "Linked.mkv", {"Linked.mkv": 50_000})
    magnet = "magnet:?xt=urn:btih:" + "cd" * 20 + "&dn=Redirected"
    _TorrentSite.routes = {
        "/good.torrent": (200, {}, made.data),
        "/to-magnet": (302, {"Location": magnet}, b""),
        "/to-good": (301, {"Location": "/good.torrent"}, b""),
        "/page": (200, {"Content-Type": "text/html"}, b"<html>login first</html>"),
        "/huge": (200, {}, b"d" * (11 * 1024 * 1024)),
        "/loop": (302, {"Location": "/loop"}, b""),
    }
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _TorrentSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def add(engine: EngineProcess, **body: object) -> tuple[int, dict[str, object]]:
    status, answer = engine.request("POST", "/api/v1/torrents", body)
    return status, answer


def assert_refused(engine: EngineProcess, expected: str, **body: object) -> None:
    status, answer = add(engine, **body)
    assert status == 400, answer
    assert expected in str(answer["error"]["message"]), answer  # type: ignore[index]


def test_bad_sources_are_refused_and_nothing_changes(
    tmp_path: Path, torrent_engine: EngineProcess
) -> None:
    assert add(torrent_engine, magnet=GOOD_MAGNET)[0] == 200
    good = make_torrent(tmp_path, "Good", {"a.bin": 40_000, "b.bin": 40_000})
    truncated = base64.b64encode(good.data[: len(good.data) // 2]).decode()
    assert_refused(torrent_engine, "invalid info-hash", magnet="magnet:?xt=urn:btih:zz")
    assert_refused(torrent_engine, "missing info-hash", magnet="magnet:?dn=nothing")
    assert_refused(torrent_engine, "expected a magnet link", magnet="ftp://example/file")
    assert_refused(torrent_engine, "exactly one of", magnet=GOOD_MAGNET, url="http://127.0.0.1:1/x")
    assert_refused(torrent_engine, "exactly one of")
    assert_refused(torrent_engine, "not valid base64", torrent_base64="%%%")
    assert_refused(
        torrent_engine,
        "not a usable .torrent",
        torrent_base64=base64.b64encode(b"garbage").decode(),
    )
    assert_refused(torrent_engine, "not a usable .torrent", torrent_base64=truncated)
    too_big = base64.b64encode(b"d" * (11 * 1024 * 1024)).decode()
    assert_refused(torrent_engine, "larger than 10 MiB", torrent_base64=too_big)
    assert_refused(
        torrent_engine, "outside the allowed folders", magnet=good.magnet, save_path="/etc"
    )
    assert_refused(
        torrent_engine, "outside the allowed folders", magnet=good.magnet, save_path="../../escape"
    )
    assert_refused(torrent_engine, "ratio_limit", magnet=good.magnet, ratio_limit=-7)

    request = urllib.request.Request(  # noqa: S310
        f"{torrent_engine.url}/api/v1/torrents", data=b"x" * (17 * 1024 * 1024), method="POST",
        headers=torrent_engine.headers,
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)  # noqa: S310
    assert refused.value.code == 413

    status, listed = torrent_engine.request("GET", "/api/v1/torrents")
    assert status == 200
    assert [item["name"] for item in listed] == ["Keeper"]


def test_unknown_and_malformed_hashes(torrent_engine: EngineProcess) -> None:
    unknown = "f" * 40
    for method, path in [
        ("GET", f"/api/v1/torrents/{unknown}"),
        ("DELETE", f"/api/v1/torrents/{unknown}"),
        ("POST", f"/api/v1/torrents/{unknown}/pause"),
        ("POST", f"/api/v1/torrents/{unknown}/resume"),
        ("POST", f"/api/v1/torrents/{unknown}/recheck"),
    ]:
        status, answer = torrent_engine.request(method, path)
        assert status == 404, (path, answer)
        assert answer["error"]["code"] == "not_found"
    status, answer = torrent_engine.request("GET", "/api/v1/torrents/not-a-hash")
    assert status == 400
    assert "info_hash" in answer["error"]["message"]
    assert add(torrent_engine, magnet=GOOD_MAGNET)[0] == 200
    status, answer = torrent_engine.request(
        "POST", f"/api/v1/torrents/{'ab' * 20}/peers", {"peers": ["127.0.0.1:99999"]}
    )
    assert status == 400
    assert "invalid peer" in answer["error"]["message"]


def test_names_cannot_escape_the_download_folder(torrent_engine: EngineProcess) -> None:
    data = hostile_torrent(
        [["..", "..", "evil.txt"], ["/etc", "passwd"], ["ok", "fine.txt"]], name="../../Pack"
    )
    status, added = add(torrent_engine, torrent_base64=base64.b64encode(data).decode())
    assert status == 200, added
    downloads = (torrent_engine.data_dir / "downloads").resolve()
    content = torrent_engine.data_dir / "downloads" / str(added["content_path"])
    assert content.resolve().is_relative_to(downloads)
    status, body = webapi_call(
        torrent_engine,
        "GET",
        f"torrents/files?hash={added['hash']}",
        Authorization=f"Bearer {torrent_engine.token}",
    )
    assert status == 200
    for entry in json.loads(body):
        assert ".." not in PurePosixPath(entry["name"]).parts, entry
        assert not entry["name"].startswith("/")
    for created in torrent_engine.data_dir.rglob("*"):
        assert created.resolve().is_relative_to(torrent_engine.data_dir.resolve())


def test_url_adds_follow_magnet_redirects_and_refuse_non_torrents(
    site: str, torrent_engine: EngineProcess
) -> None:
    status, added = add(torrent_engine, url=f"{site}/good.torrent", category="tv")
    assert status == 200, added
    assert added["name"] == "Linked.mkv"
    status, added = add(torrent_engine, url=f"{site}/to-magnet")
    assert status == 200, added
    assert added["hash"] == "cd" * 20
    assert add(torrent_engine, url=f"{site}/to-good")[0] == 200  # already there: returned as is
    assert_refused(torrent_engine, "not a usable .torrent", url=f"{site}/page")
    assert_refused(torrent_engine, "larger than 10 MiB", url=f"{site}/huge")
    assert_refused(torrent_engine, "HTTP 404", url=f"{site}/missing")
    assert_refused(torrent_engine, "more than 5 redirects", url=f"{site}/loop")
    assert_refused(torrent_engine, "cannot fetch", url="http://127.0.0.1:1/nothing-listens")
    status, listed = torrent_engine.request("GET", "/api/v1/torrents")
    assert sorted(item["name"] for item in listed) == ["Linked.mkv", "Redirected"]


def test_qbittorrent_add_of_garbage_fails_cleanly(torrent_engine: EngineProcess) -> None:
    bearer = {"Authorization": f"Bearer {torrent_engine.token}"}
    assert webapi_call(
        torrent_engine, "POST", "torrents/add", {"urls": "magnet:?xt=urn:btih:nope"}, **bearer
    ) == (200, b"Fails.")
    assert webapi_call(torrent_engine, "POST", "torrents/add", {}, **bearer) == (200, b"Fails.")
    assert webapi_call(
        torrent_engine, "POST", "torrents/add", {"urls": GOOD_MAGNET, "savepath": "/root"}, **bearer
    ) == (
        200,
        b"Fails.",
    )
    status, body = webapi_call(
        torrent_engine,
        "POST",
        "torrents/setShareLimits",
        {"hashes": "all", "ratioLimit": "x"},
        **bearer,
    )
    assert status == 400
    assert body == b"'ratioLimit': invalid argument"
    # an unknown filter lists everything, as qBittorrent does (HA asks for "started")
    assert webapi_call(torrent_engine, "GET", "torrents/info?filter=bogus", **bearer) == (
        200,
        b"[]",
    )
    form = {"category": "evil", "savePath": "/etc"}
    status, body = webapi_call(torrent_engine, "POST", "torrents/createCategory", form, **bearer)
    assert status == 400
    assert b"outside the allowed folders" in body
    assert webapi_call(torrent_engine, "GET", "torrents/categories", **bearer) == (200, b"{}")
    assert webapi_call(torrent_engine, "GET", "torrents/info", **bearer) == (200, b"[]")
