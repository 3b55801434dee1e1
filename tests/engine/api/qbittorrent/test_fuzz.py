"""Fuzz every /api/v2 endpoint of the real engine: hostile parameters never get a 5xx.

Each example is one request to a qBittorrent endpoint (GET or POST, form or multipart) with
parameters drawn from the names qBittorrent reads and from values that broke servers before:
non-finite and huge numbers, NUL and other control characters, paths out of the folders,
unknown and malformed hashes, junk JSON and junk .torrent files. app/shutdown is left out: it
stops the engine, as asked. Bounded for two busy cores: a fixed number of examples, a fixed seed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from haul_engine.engine import Engine
from haul_engine.settings import Settings
from tests.support.engine import EngineProcess
from tests.support.peers import bencode, engine_env, make_torrent

if TYPE_CHECKING:
    from collections.abc import Iterator

HASH = "ab" * 20
QBITTORRENT = Engine(Settings(data_dir=Path("/nonexistent"))).api.qbittorrent
ENDPOINTS = sorted(
    [
        f"{scope}/{action}"
        for scope, endpoints in QBITTORRENT.groups.items()
        for action in endpoints
        if f"{scope}/{action}" != "app/shutdown"
    ]
    + ["auth/login", "auth/logout"]
)
NAMES = [
    "hash", "hashes", "urls", "category", "categories", "tag", "tags", "savepath", "savePath",
    "downloadPath", "downloadPathEnabled", "useDownloadPath", "filter", "sort", "reverse",
    "limit", "offset", "private", "ratioLimit", "seedingTimeLimit", "inactiveSeedingTimeLimit",
    "dlLimit", "upLimit", "value", "enable", "id", "path", "location", "name", "rename",
    "oldPath", "newPath", "peers", "priority", "mode", "json", "rid", "origUrl", "newUrl", "url",
    "indexes", "deleteFiles", "contentLayout", "root_folder", "stopped", "paused", "iface",
    "dirPath", "autoTMM", "sequentialDownload", "firstLastPiecePrio", "username", "password",
    "ssl_certificate", "ssl_private_key", "ssl_dh_params",
]  # fmt: skip
HOSTILE = [
    "", "all", HASH, "f" * 40, "f" * 64, "zz", "-1", "-2", "0", "1", "7", "2147483648", "nan",
    "inf", "-inf", "1e999", "99999999999999999999", "1.5", "true", "false", "a\x00b", "\x00",
    "../../etc", "/etc", "/etc/passwd", "tv", "a|b|", "|", "\n", "🙂", "\ud800", "%00",
    "127.0.0.1:\u00b2", "999.999.1.1:80", "[zz]:80", "[::1]:6881", "127.0.0.1:6881",
    '{"dht": "x"}', '{"listen_port": 99999999}', '{"temp_path": "/etc"}', "[]", "{", "null",
    '{"scheduler_days": [1]}', '{"encryption": {}}', "[" * 2000, "7" * 5000, "\u00b2",
    '{"schedule_from_hour": 1e20, "schedule_from_min": 0}',
    "magnet:?xt=urn:btih:zz", f"magnet:?xt=urn:btih:{HASH}", "http://127.0.0.1:9/x",
    "Original", "NoSubfolder", "x" * 5000,
]  # fmt: skip


@pytest.fixture(scope="module")
def fuzz_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    """An engine of this module only, holding a magnet, a .torrent and a category."""
    folder = tmp_path_factory.mktemp("fuzz")
    engine = EngineProcess(folder / "engine", env=engine_env()).start()
    made = make_torrent(folder / "made", "Pack", {"a.bin": 40_000, "b/c.bin": 20_000})
    auth = {"Authorization": f"Bearer {engine.token}"}
    base = f"{engine.url}/api/v2"
    for path, form, files in [
        ("torrents/createCategory", {"category": "tv"}, None),
        ("torrents/add", {"urls": f"magnet:?xt=urn:btih:{HASH}"}, None),
        ("torrents/add", {}, {"torrents": made.data}),
    ]:
        answer = requests.post(f"{base}/{path}", data=form, files=files, headers=auth, timeout=30)
        assert answer.status_code == 200, answer.text
    yield engine
    engine.kill()


request_shapes = st.fixed_dictionaries(
    {
        "endpoint": st.sampled_from(ENDPOINTS),
        "method": st.sampled_from(["GET", "POST"]),
        "params": st.dictionaries(
            st.sampled_from(NAMES), st.sampled_from(HOSTILE) | st.text(max_size=20), max_size=6
        ),
        "upload": st.one_of(
            st.none(),
            st.binary(max_size=200),
            st.just(bencode({"info": {"name": "x", "piece length": 0, "pieces": b""}})),
        ),
    }
)


@settings(
    max_examples=1500,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(shape=request_shapes)
def test_no_answer_is_a_server_error(fuzz_engine: EngineProcess, shape: dict[str, Any]) -> None:
    url = f"{fuzz_engine.url}/api/v2/{shape['endpoint']}"
    auth = {"Authorization": f"Bearer {fuzz_engine.token}"}
    params = {key: value.encode("utf-8", "surrogatepass") for key, value in shape["params"].items()}
    if shape["method"] == "GET":
        answer = requests.get(url, params=params, headers=auth, timeout=30)
    elif shape["upload"] is not None:
        files = {"torrents": ("x.torrent", shape["upload"])}
        answer = requests.post(url, data=params, files=files, headers=auth, timeout=30)
    else:
        answer = requests.post(url, data=params, headers=auth, timeout=30)
    assert answer.status_code < 500, (shape, answer.status_code, answer.text[:500])
    assert fuzz_engine.process is not None
    assert fuzz_engine.process.poll() is None, fuzz_engine.log[-4000:]


def test_nothing_failed_out_of_sight(fuzz_engine: EngineProcess) -> None:
    # aiohttp logs the requests its HTTP parser refuses (with a 400) as errors: not failures
    records = re.split(r"\n(?=\d{4}-\d\d-\d\d )", fuzz_engine.log)
    failed = [
        record
        for record in records
        if " ERROR " in record.partition("\n")[0] and "aiohttp.http_exceptions." not in record
    ]
    assert not failed, failed[:3]
