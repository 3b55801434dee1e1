"""The WebUI's use_https: TLS and plain HTTP on the engine's one port, told apart per connection.

qBittorrent clients and browsers are sent to https://; Home Assistant's /api/v1 (and its
WebSocket) and the watchdog's /health keep answering over plain HTTP.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import subprocess
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
import pytest

from tests.support.peers import engine_env
from tests.support.programs import require_program

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.support.engine import EngineProcess

PASSWORD = engine_env()["HAUL_QBITTORRENT_PASSWORD"]
BASIC = "Basic " + base64.b64encode(f"admin:{PASSWORD}".encode()).decode()
SERVER_EXTENSIONS = """
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1, DNS:localhost
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid, issuer
"""


@dataclass
class Certificate:
    """A server certificate for 127.0.0.1, its key, and the authority that signed it."""

    authority: Path
    cert: Path
    key: Path


def make_certificate(folder: Path) -> Certificate:
    """Make a test authority and a server certificate it signs (openssl, valid two days)."""
    openssl = require_program("openssl")
    folder.mkdir(parents=True, exist_ok=True)
    made = Certificate(folder / "ca.crt", folder / "server.crt", folder / "server.key")
    (folder / "server.ext").write_text(SERVER_EXTENSIONS)
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for command in (
        ["req", "-x509", *curve, "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=Haul test CA",
         "-days", "2", "-addext", "keyUsage = critical, keyCertSign, cRLSign"],
        ["req", *curve, "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"],
        ["x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
         "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt"],
    ):  # fmt: skip
        subprocess.run([openssl, *command], cwd=folder, check=True, capture_output=True)
    return made


def trusting(certificate: Certificate) -> ssl.SSLContext:
    """A client context that trusts the test authority (and verifies as browsers do)."""
    return ssl.create_default_context(cafile=certificate.authority)


def https_on(certificate: Certificate) -> dict[str, str]:
    """The setPreferences form that turns the WebUI's HTTPS on with this certificate."""
    wanted = {
        "use_https": True,
        "web_ui_https_cert_path": str(certificate.cert),
        "web_ui_https_key_path": str(certificate.key),
    }
    return {"json": json.dumps(wanted)}


HTTPS_OFF = {
    "json": json.dumps(
        {"use_https": False, "web_ui_https_cert_path": "", "web_ui_https_key_path": ""}
    )
}


@pytest.fixture
def certificate(tmp_path: Path) -> Certificate:
    return make_certificate(tmp_path / "tls")


@pytest.fixture
def webui_engine(engine_factory: Callable[..., EngineProcess]) -> EngineProcess:
    return engine_factory(env=engine_env()).start()


async def call(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    tls: ssl.SSLContext | None = None,
    **options: object,
) -> tuple[int, str, str]:
    """One request, redirects not followed: (status, body, Location)."""
    async with session.request(
        method, url, ssl=tls or False, allow_redirects=False, **options
    ) as answer:
        return answer.status, await answer.text(), answer.headers.get("Location", "")


def webui_session() -> aiohttp.ClientSession:
    """A session that logs in to /api/v2 with Basic credentials on every request."""
    return aiohttp.ClientSession(headers={"Authorization": BASIC})


async def assert_plain_http_as_today(session: aiohttp.ClientSession, engine: EngineProcess) -> None:
    """The WebUI on plain HTTP: no redirect, and a TLS client finds no TLS."""
    assert await call(session, "GET", f"{engine.url}/api/v2/app/version") == (200, "v5.0.0", "")
    status, _, location = await call(session, "GET", f"{engine.url}/")
    assert (status, location) == (200, "")
    with pytest.raises(aiohttp.ClientSSLError):
        await call(session, "GET", engine.url.replace("http:", "https:") + "/api/v2/app/version")


async def test_https_beside_plain_http_for_home_assistant(
    webui_engine: EngineProcess, certificate: Certificate
) -> None:
    engine = webui_engine
    secure = engine.url.replace("http:", "https:")
    trusted = trusting(certificate)
    bearer = {"Authorization": f"Bearer {engine.token}"}
    async with webui_session() as session:
        await assert_plain_http_as_today(session, engine)
        status, body, _ = await call(
            session, "POST", f"{engine.url}/api/v2/app/setPreferences", data=https_on(certificate)
        )
        assert status == 200, body

        for round_ in ("set", "after a restart"):
            # qBittorrent clients and browsers: TLS with the certificate, plain HTTP redirected
            version = await call(session, "GET", f"{secure}/api/v2/app/version", tls=trusted)
            assert version == (200, "v5.0.0", ""), round_
            status, body, _ = await call(
                session, "GET", f"{secure}/api/v2/app/preferences", tls=trusted
            )
            preferences = json.loads(body)
            assert preferences["use_https"] is True
            assert preferences["web_ui_https_cert_path"] == str(certificate.cert)
            assert preferences["web_ui_https_key_path"] == str(certificate.key)
            for method, path in (
                ("GET", "/api/v2/app/version?x=1"),
                ("POST", "/api/v2/torrents/info?filter=all"),
                ("HEAD", "/"),
            ):
                status, _, location = await call(session, method, f"{engine.url}{path}")
                assert (status, location) == (307, f"{secure}{path}"), (round_, method, path)
            assert (await call(session, "GET", f"{secure}/", tls=trusted))[0] == 200
            for host in ("x:99999", "x:port"):  # no URL to send the client to
                status, body, _ = await call(session, "GET", engine.url, headers={"Host": host})
                assert (status, body) == (400, "Bad Host header"), host
            # a client that does not trust the certificate fails, as qbittorrent-api expects
            with pytest.raises(aiohttp.ClientConnectorCertificateError):
                await call(
                    session, "GET", f"{secure}/api/v2/app/version", tls=ssl.create_default_context()
                )

            # Home Assistant and the watchdog: plain HTTP as before, and TLS too
            for base, tls in ((engine.url, None), (secure, trusted)):
                status, body, _ = await call(
                    session, "GET", f"{base}/api/v1/info", tls=tls, headers=bearer
                )
                assert status == 200, (round_, base, body)
                status, body, _ = await call(session, "GET", f"{base}/health", tls=tls)
                assert (status, json.loads(body)["status"]) == (200, "ok"), (round_, base)
                ws_url = base.replace("http", "ws", 1) + "/api/v1/ws"
                async with session.ws_connect(ws_url, ssl=tls or False) as websocket:
                    await websocket.send_json({"type": "auth", "token": engine.token})
                    assert (await websocket.receive_json())["type"] == "auth_ok", (round_, base)
            if round_ == "set":
                engine.restart()

        status, body, _ = await call(
            session, "POST", f"{secure}/api/v2/app/setPreferences", data=HTTPS_OFF, tls=trusted
        )
        assert status == 200, body
        await assert_plain_http_as_today(session, engine)
    assert " ERROR " not in engine.log, engine.log[-4000:]  # refused handshakes are no errors


async def test_certificates_that_cannot_serve_are_refused_and_http_stays(
    webui_engine: EngineProcess, certificate: Certificate, tmp_path: Path
) -> None:
    engine = webui_engine
    other = make_certificate(tmp_path / "other")
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n")
    unreadable = tmp_path / "unreadable"
    unreadable.mkdir()
    cases = [
        ({"web_ui_https_cert_path": "", "web_ui_https_key_path": ""}, "(no path) is not a file"),
        (
            {"web_ui_https_cert_path": str(tmp_path / "missing.crt")},
            f"the certificate {tmp_path / 'missing.crt'} is not a file",
        ),
        ({"web_ui_https_key_path": str(unreadable)}, f"the key {unreadable} is not a file"),
        ({"web_ui_https_cert_path": str(junk)}, "not a PEM certificate and its unencrypted"),
        ({"web_ui_https_cert_path": str(certificate.key)}, "not a PEM certificate"),
        ({"web_ui_https_key_path": str(other.key)}, "the key does not belong to the certificate"),
        ({"web_ui_https_cert_path": "/no\u0000where"}, "is not a file"),
    ]
    async with webui_session() as session:
        for override, message in cases:
            form = https_on(certificate)
            wanted = json.loads(form["json"]) | override | {"dht": True}
            status, body, _ = await call(
                session,
                "POST",
                f"{engine.url}/api/v2/app/setPreferences",
                data={"json": json.dumps(wanted)},
            )
            assert status == 400, (override, body)
            assert body.startswith("HTTPS stays off: "), body
            assert message in body, body
            status, body, _ = await call(session, "GET", f"{engine.url}/api/v2/app/preferences")
            preferences = json.loads(body)
            assert preferences["use_https"] is False
            assert preferences["web_ui_https_cert_path"] == ""
            assert preferences["dht"] is False  # engine_env's own: the request changed nothing
            await assert_plain_http_as_today(session, engine)
    assert not (engine.data_dir / "torrents" / "preferences.json").exists()


async def test_a_certificate_gone_at_start_leaves_http_and_says_so(
    webui_engine: EngineProcess, certificate: Certificate
) -> None:
    engine = webui_engine
    async with webui_session() as session:
        form = https_on(certificate)
        status, body, _ = await call(
            session, "POST", f"{engine.url}/api/v2/app/setPreferences", data=form
        )
        assert status == 200, body
        engine.stop()
        certificate.cert.unlink()
        engine.start()
        await assert_plain_http_as_today(session, engine)
        status, body, _ = await call(session, "GET", f"{engine.url}/health")
        assert (status, json.loads(body)["status"]) == (200, "degraded")
        status, system = engine.request("GET", "/api/v1/system")
        expected = f"HTTPS stays off: the certificate {certificate.cert} is not a file"
        assert expected in json.dumps(system), system
        # the files back and the same preferences set again: HTTPS at once, the problem gone
        make_certificate(certificate.cert.parent)
        status, body, _ = await call(
            session, "POST", f"{engine.url}/api/v2/app/setPreferences", data=form
        )
        assert status == 200, body
        version = await call(
            session,
            "GET",
            engine.url.replace("http:", "https:") + "/api/v2/app/version",
            tls=trusting(certificate),
        )
        assert version == (200, "v5.0.0", "")
        status, body, _ = await call(session, "GET", f"{engine.url}/health")
        assert json.loads(body)["status"] == "ok"


async def test_silent_connections_do_not_hold_up_others(engine: EngineProcess) -> None:
    silent = [socket.create_connection(("127.0.0.1", engine.port)) for _ in range(20)]
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{engine.url}/health") as answer,
        ):
            assert answer.status == 200
    finally:
        for connection in silent:
            connection.close()
