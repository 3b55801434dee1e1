"""The API client on its own, against the real engine."""

from __future__ import annotations

import ast
import asyncio
import contextlib
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import aiohttp
import pytest
from aiohttp import web

from custom_components.haul import api, connector_entities, engine_api, sensor
from custom_components.haul.api import (
    HaulAuthError,
    HaulClient,
    HaulCommandError,
    HaulConnectionError,
    HaulIncompatibleError,
)
from custom_components.haul.views import ArrLibrary, HaulViews
from tests.support.programs import free_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable
    from types import ModuleType

    from custom_components.haul.coordinator import HaulData
    from tests.support.engine import EngineProcess

    Script = Callable[[web.WebSocketResponse], Awaitable[Any]]

SUBSCRIBED = {"id": 1, "result": {"subscribed": True}}
EVENT = {"type": "event", "event": "torrent_added", "data": {}, "at": "2026-01-01T00:00:00+00:00",
         "object": {"kind": "torrent", "id": "a" * 40, "revision": 1}}  # fmt: skip


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.mark.parametrize("module", [api, engine_api])
def test_client_modules_have_no_home_assistant_imports(module: ModuleType) -> None:
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    imported: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            own = node.level == 1 and node.module == "engine_api"
            assert node.level == 0 or own, "the client must not import the integration's HA modules"
            imported.add(node.module or "")
    assert not [name for name in imported if name.split(".")[0] == "homeassistant"]


async def test_info_and_system(engine: EngineProcess, session: aiohttp.ClientSession) -> None:
    client = HaulClient(engine.url + "/", engine.token, session)
    info = await client.info()
    assert info.compatible
    assert info.version == "0.1.0"
    assert "system" in info.features
    system = await client.system_status()
    assert system["status"] == "ok"
    assert system["disk_free_bytes"] > 0
    assert system["download_dir"] == str(engine.data_dir / "downloads")
    assert system["vpn"] is None  # no WireGuard tunnel of its own: no VPN sensors
    assert api.SystemStatus.from_dict(system).has_vpn is False


def test_the_engines_own_tunnel_reads_as_address_and_port() -> None:
    system = {
        "version": "0.1.0", "status": "ok", "problems": [], "uptime_seconds": 1.0,
        "started_at": "2026-01-01T00:00:00+00:00", "download_dir": "/media/downloads",
        "disk_free_bytes": 1, "disk_total_bytes": 2, "counts": {}, "revision": 3,
        "vpn": {"interface": "wg0", "up": True, "userspace": True, "public_ip": "203.0.113.7",
                "forwarded_port": 51413, "handshake_age_seconds": 12.5, "error": "",
                "dns": ["10.2.0.1"]},
    }  # fmt: skip
    status = api.SystemStatus.from_dict(system)
    assert (status.has_vpn, status.vpn_public_ip, status.vpn_forwarded_port) == (
        True, "203.0.113.7", 51413,
    )  # fmt: skip
    down = {**system, "vpn": {**system["vpn"], "up": False, "public_ip": "", "forwarded_port": 0}}
    status = api.SystemStatus.from_dict(down)
    assert (status.has_vpn, status.vpn_public_ip, status.vpn_forwarded_port) == (True, None, None)


def test_a_library_summary_of_an_engine_without_upcoming_reads_as_unknown() -> None:
    """An engine of schema 3 built before the figure: its sensors are unknown, not a false 0."""
    summary = {
        "id": "c1", "name": "Radarr", "kind": "radarr", "items": 3, "missing": 1,
        "cutoff_unmet": 0, "completion": 0.5, "queued": 0, "searches_today": 0,
        "outcomes_today": {}, "exhausted": 0, "last_sync": None, "sync_failures": 0,
        "sync_error": None, "revision": 0,
    }  # fmt: skip
    engine_sensor = next(d for d in sensor.SENSORS if d.key == "upcoming")
    connector_sensor = next(d for d in connector_entities.SENSORS if d.key == "upcoming")
    for figure, shown in ((None, None), (2, 2)):
        library = ArrLibrary.from_dict(summary if figure is None else {**summary, "upcoming": 2})
        assert library.upcoming == shown
        data = cast("HaulData", SimpleNamespace(views=HaulViews(library={"c1": library})))
        assert engine_sensor.value_fn(data) == shown
        assert connector_sensor.value_fn(data, "c1") == shown


async def test_typed_errors(engine: EngineProcess, session: aiohttp.ClientSession) -> None:
    with pytest.raises(HaulAuthError):
        await HaulClient(engine.url, "wrong", session).info()
    with pytest.raises(HaulConnectionError):
        await HaulClient(f"http://127.0.0.1:{free_port()}", engine.token, session).info()
    with pytest.raises(HaulCommandError) as missing:
        await HaulClient(engine.url, engine.token, session).call("GET", "/nothing-here", {})
    assert missing.value.code == "unknown_route"
    assert missing.value.command == "GET /nothing-here"


async def test_incompatible_schema(
    engine: EngineProcess, session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "SCHEMA_VERSION", 99)
    with pytest.raises(HaulIncompatibleError, match="needs 99"):
        await HaulClient(engine.url, engine.token, session).info()


@contextlib.asynccontextmanager
async def subscribed(client: HaulClient) -> AsyncIterator[api.EventStream]:
    """The client's event stream, closed at the end."""
    stream = await client.subscribe()
    try:
        yield stream
    finally:
        await stream.close()


async def test_event_stream(engine: EngineProcess, session: aiohttp.ClientSession) -> None:
    client = HaulClient(engine.url, engine.token, session)
    async with subscribed(client) as stream:
        async for event in stream:
            assert event.name == "system_heartbeat"
            assert event.data["status"] == "ok"
            assert (event.kind, event.object_id) == ("system", None)
            assert event.revision == event.data["revision"] > 0
            break
    with pytest.raises(HaulAuthError):
        await HaulClient(engine.url, "wrong", session).subscribe()
    with pytest.raises(HaulConnectionError):
        await HaulClient(f"http://127.0.0.1:{free_port()}", "x", session).subscribe()


async def test_event_stream_ends_when_the_engine_stops(
    own_engine: EngineProcess, session: aiohttp.ClientSession
) -> None:
    async with subscribed(HaulClient(own_engine.url, own_engine.token, session)) as stream:
        own_engine.stop()
        with pytest.raises(HaulConnectionError):
            async for _event in stream:
                pass


@contextlib.asynccontextmanager
async def lying_engine(
    routes: dict[str, Callable[[web.Request], Awaitable[web.StreamResponse]]],
) -> AsyncIterator[str]:
    """A server on loopback that answers like a broken engine (the real one cannot lie)."""
    app = web.Application()
    for path, handler in routes.items():
        app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


async def subscribe(socket: web.WebSocketResponse, *answers: object) -> None:
    """Take the client's token, then its subscription, and send these answers."""
    await socket.receive()
    await socket.send_json({"type": "auth_ok"})
    await socket.receive()
    for answer in answers:
        await socket.send_json(answer)


async def follow(session: aiohttp.ClientSession, script: Script, received: list[str]) -> None:
    """Note the names of the events of an engine whose WebSocket plays the script, then vanishes.

    The consumer takes a while over each event, as an automation would.
    """

    async def websocket(request: web.Request) -> web.WebSocketResponse:
        socket = web.WebSocketResponse(autoping=False)
        await socket.prepare(request)
        await script(socket)
        if request.transport is not None:  # gone without a closing handshake
            request.transport.close()
        return socket

    async with (
        lying_engine({"/api/v1/ws": websocket}) as url,
        subscribed(HaulClient(url, "token", session)) as stream,
    ):
        async for event in stream:
            received.append(event.name)
            await asyncio.sleep(0.1)


async def test_an_engine_refusing_the_subscription_raises_its_error(
    session: aiohttp.ClientSession,
) -> None:
    async def refuse(socket: web.WebSocketResponse) -> None:
        error = {"code": "not_found", "message": "no command subscribe"}
        await subscribe(socket, EVENT, {"id": 1, "error": error})  # the event before: skipped

    received: list[str] = []
    with pytest.raises(HaulCommandError, match="no command subscribe") as refused:
        await follow(session, refuse, received)
    assert refused.value.code == "not_found"
    assert received == []


async def test_a_silent_engine_is_given_up_after_the_idle_timeout(
    session: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api, "WS_IDLE_TIMEOUT", 0.2)

    async def stay_silent(socket: web.WebSocketResponse) -> None:
        await socket.receive()  # the token; then nothing, until the client leaves
        await socket.receive()

    with pytest.raises(HaulConnectionError, match="sent nothing"):
        await follow(session, stay_silent, [])


@pytest.mark.parametrize("text", ["[]", "<html>502 Bad Gateway</html>"])
async def test_a_message_that_is_no_json_object_breaks_the_connection(
    session: aiohttp.ClientSession, text: str
) -> None:
    async def send_garbage(socket: web.WebSocketResponse) -> None:
        await subscribe(socket, SUBSCRIBED)
        await socket.send_str(text)

    # Any other error would end the integration's event task for good: no reconnect.
    with pytest.raises(HaulConnectionError):
        await follow(session, send_garbage, [])


async def test_a_connection_lost_while_the_consumer_is_busy_ends_the_stream(
    session: aiohttp.ClientSession,
) -> None:
    async def ping_and_vanish(socket: web.WebSocketResponse) -> None:
        await subscribe(socket, SUBSCRIBED, EVENT)
        await socket.ping()  # answered (autoping) once the consumer is back: too late

    received: list[str] = []
    with pytest.raises(HaulConnectionError, match="broke"):
        await follow(session, ping_and_vanish, received)
    assert received == ["torrent_added"]


async def test_messages_between_events_that_are_no_events_are_skipped(
    session: aiohttp.ClientSession,
) -> None:
    async def interleave(socket: web.WebSocketResponse) -> None:
        other = EVENT | {"event": "torrent_removed"}
        await subscribe(socket, SUBSCRIBED, EVENT, {"id": 7, "result": None}, {"type": "x"}, other)

    received: list[str] = []
    with pytest.raises(HaulConnectionError):  # the engine vanishes after its last event
        await follow(session, interleave, received)
    assert received == ["torrent_added", "torrent_removed"]


@pytest.mark.parametrize(
    "unreadable",
    [
        {key: value for key, value in EVENT.items() if key != "at"},
        EVENT | {"at": "yesterday"},
        EVENT | {"data": None},
        EVENT | {"data": ["not an object"]},
    ],
    ids=["no time", "a time that is no date", "no data", "data that is no object"],
)
async def test_an_event_haul_cannot_read_breaks_the_connection(
    session: aiohttp.ClientSession, unreadable: dict[str, Any]
) -> None:
    async def lie(socket: web.WebSocketResponse) -> None:
        await subscribe(socket, SUBSCRIBED, EVENT, unreadable)

    received: list[str] = []
    # A connection error: the integration reconnects, reading the engine's state afresh.
    with pytest.raises(HaulConnectionError, match="an event Haul cannot read"):
        await follow(session, lie, received)
    assert received == ["torrent_added"]
