"""The engine's one HTTP session: shared by every client, verify_tls and timeouts per call."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import ssl
import subprocess
import textwrap
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from aiohttp import web

from haul_engine.arr.apps import AppClient
from haul_engine.arr.client import ArrOfflineError, RetryPolicy
from haul_engine.arr.kinds import ArrSettings
from haul_engine.connectors.kinds import ConnectorConfig
from haul_engine.http import USER_AGENT, Http
from tests.engine.api.test_https import Certificate, make_certificate
from tests.engine.requests.conftest import (
    FAST,
    MATRIX_LOOKUP,
    OFFER,
    start_with_arr,
    wait_for_request,
)
from tests.fakes.arr import API_KEY, FakeArr
from tests.fakes.arr_releases import ReleaseArr
from tests.support.engine import ENGINE_BIN
from tests.support.programs import free_port, require_program

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterator

    from tests.support.engine import EngineProcess

STATUS = {"appName": "Sonarr", "version": "4.0.14.2939"}
RUN_SCRIPT = Path(__file__).parents[2] / "addon/rootfs/etc/s6-overlay/s6-rc.d/haul/run"
# A fresh engine Python (aiohttp makes its TLS contexts at import): the authorities its verifying
# context holds before any connection, then the status of a GET through the engine's session.
FETCH = textwrap.dedent(
    """
    import asyncio, sys
    import aiohttp.connector
    from haul_engine.http import new_session
    async def fetch():
        async with new_session() as session, session.get(sys.argv[1]) as response:
            return response.status
    loaded = aiohttp.connector._SSL_CONTEXT_VERIFIED.cert_store_stats()["x509_ca"]
    print(loaded, asyncio.run(fetch()))
    """
)


@pytest.fixture
async def http() -> AsyncIterator[Http]:
    shared = Http()
    await shared.setup()
    yield shared
    await shared.close()


def _config(url: str, *, verify_tls: bool = True) -> ConnectorConfig:
    return ConnectorConfig(
        id="c1", kind="sonarr", name="TV", url=url, api_key=API_KEY, settings=ArrSettings(),
        verify_tls=verify_tls,
    )  # fmt: skip


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key."""
    openssl = require_program("openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
async def tls_sonarr(
    certificate: tuple[Path, Path], socket_enabled: None
) -> AsyncIterator[tuple[str, list[object]]]:
    """A Sonarr status endpoint over TLS with a self-signed certificate; lists its connections."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    connections: list[object] = []

    async def status(request: web.Request) -> web.Response:
        if request.transport is not None:
            connections.append(request.transport.get_extra_info("peername"))
        return web.json_response(STATUS)

    app = web.Application()
    app.router.add_get("/api/v3/system/status", status)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()
    yield f"https://127.0.0.1:{port}", connections
    await runner.cleanup()


async def test_calls_carry_haul_s_name_share_connections_and_keep_no_cookies(
    http: Http, socket_enabled: None
) -> None:
    seen: list[tuple[str, str | None, object]] = []

    async def answer(request: web.Request) -> web.Response:
        peer = request.transport.get_extra_info("peername") if request.transport else None
        seen.append((request.headers["User-Agent"], request.headers.get("Cookie"), peer))
        response = web.json_response(STATUS)
        response.set_cookie("session", "of-another-service")
        return response

    app = web.Application()
    app.router.add_get("/api/v3/system/status", answer)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        first = AppClient(_config(f"http://127.0.0.1:{port}"), session=http.session)
        second = AppClient(_config(f"http://127.0.0.1:{port}"), session=http.session)
        for client in (first, second, first):
            assert (await client.status()).app == "Sonarr"
        await first.close()  # a shared session stays open
        async with http.session.get(f"http://127.0.0.1:{port}/api/v3/system/status") as response:
            assert response.status == 200
        assert not http.session.closed
    finally:
        await runner.cleanup()
    assert {(agent, cookie) for agent, cookie, _ in seen} == {(USER_AGENT, None)}
    assert len({peer for _, _, peer in seen}) == 1  # four calls, one connection


async def test_verify_tls_is_each_connector_s_own_on_the_shared_session(
    http: Http, tls_sonarr: tuple[str, list[object]]
) -> None:
    url, connections = tls_sonarr
    once = RetryPolicy(attempts=1, timeout=5.0)
    lenient = AppClient(_config(url, verify_tls=False), session=http.session, retry=once)
    strict = AppClient(_config(url), session=http.session, retry=once)
    assert (await lenient.status()).app == "Sonarr"
    with pytest.raises(ArrOfflineError, match="Certificate"):  # never the unverified connection
        await strict.status()
    assert (await lenient.status()).app == "Sonarr"
    assert len(connections) == 2
    assert len(set(connections)) == 1  # the unverified connection is kept for its own connector


async def test_each_call_keeps_its_own_timeout_on_the_shared_session(
    http: Http, socket_enabled: None
) -> None:
    with FakeArr("sonarr") as sonarr:
        sonarr.hang_seconds = 3.0
        sonarr.fail_next("hang")
        quick = AppClient(
            _config(sonarr.url), session=http.session, retry=RetryPolicy(attempts=1, timeout=0.5)
        )
        started = time.monotonic()
        with pytest.raises(ArrOfflineError, match="unreachable"):
            await quick.status()
        assert time.monotonic() - started < 2.0  # the call's 0.5 s, not the session's 30 s


@pytest.fixture
def radarr(tmp_path: Path) -> Iterator[ReleaseArr]:
    with ReleaseArr("radarr", tmp_path / "library") as server:
        server.metadata.append(MATRIX_LOOKUP)
        server.offers[1] = [OFFER]
        yield server


def test_a_request_s_steps_reuse_the_engine_s_connections(
    engine_factory: Callable[..., EngineProcess], radarr: ReleaseArr
) -> None:
    """Lookup, add, search, grab and the queue share a few connections with the library's calls."""
    engine = start_with_arr(engine_factory, radarr, HAUL_REQUEST_STALL_MINUTES="60", **FAST)
    status, request = engine.request(
        "POST", "/api/v1/requests", {"media_type": "movie", "query": "matrix"}
    )
    assert status == 200, request
    detail = wait_for_request(engine, request["id"], "awaiting_selection")
    candidate = detail["candidates"][0]["id"]
    status, answer = engine.request(
        "POST", f"/api/v1/requests/{request['id']}/select", {"candidate_id": candidate}
    )
    assert status == 200, answer
    wait_for_request(engine, request["id"], "downloading")
    calls = len(radarr.requests)
    assert calls >= 12, radarr.requests
    # a session per call (or per step) would open about one connection each
    assert len(radarr.connections) <= 4, (len(radarr.connections), calls)
    assert engine.stop() == 0
    assert "Unclosed" not in engine.log  # the session is closed at shutdown


def authority_folder(certificate: Certificate, folder: Path, *, hashed: bool) -> Path:
    """A folder holding the test authority's file, with OpenSSL's hash link to it or not."""
    folder.mkdir()
    shutil.copy(certificate.authority, folder / "001.pem")
    if hashed:
        subprocess.run([require_program("openssl"), "rehash", str(folder)], check=True)
    return folder


async def test_the_add_on_s_hashed_authorities_are_read_when_needed_and_verify(
    tmp_path: Path, socket_enabled: None
) -> None:
    """The run script's OpenSSL settings: no bundle held at start, a server still verified."""
    script = RUN_SCRIPT.read_text()
    found = re.search(r"^export SSL_CERT_DIR=(\S+) SSL_CERT_FILE=(\S+)$", script, re.MULTILINE)
    assert found is not None
    image_folder, no_bundle = map(Path, found.groups())
    assert no_bundle.parent == image_folder  # the Dockerfile makes the folder, never that file
    assert str(image_folder) in (RUN_SCRIPT.parents[5] / "Dockerfile").read_text()
    certificate = make_certificate(tmp_path / "tls")
    unhashed = authority_folder(certificate, tmp_path / "unhashed", hashed=False)
    hashed = authority_folder(certificate, tmp_path / "hashed", hashed=True)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate.cert, certificate.key)
    app = web.Application()
    app.router.add_get("/", lambda _: web.Response(text="ok"))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port, ssl_context=context).start()

    async def fetch(folder: Path) -> tuple[int, str]:
        env = {
            **os.environ,
            "SSL_CERT_DIR": str(folder),
            "SSL_CERT_FILE": str(folder / no_bundle.name),
        }
        child = await asyncio.create_subprocess_exec(
            ENGINE_BIN / "python", "-c", FETCH, f"https://127.0.0.1:{port}/", env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        out, err = await child.communicate()
        return child.returncode or 0, (out + err).decode()

    try:
        code, output = await fetch(unhashed)  # an authority is found by its hash link alone
        assert code != 0
        assert "certificate verify failed" in output
        assert await fetch(hashed) == (0, "0 200\n")  # none loaded before the connection; verified
    finally:
        await runner.cleanup()
