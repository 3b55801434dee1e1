"""Hostile input on every way into the engine: a 400 in the one error shape, nothing stored.

Bodies 100,000 levels deep, numbers of 5,000 digits, digits that are no ASCII digits, booleans
where numbers are meant, a page number whose offset no database holds; and an unexpected
failure inside a command, which is a 500 in the same shape.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from haul_engine.engine import Engine
from haul_engine.settings import Settings
from tests.support.engine import EngineProcess
from tests.support.programs import allow_loopback_sockets

if TYPE_CHECKING:
    from collections.abc import Iterator

DEEP = b"[" * 100_000 + b"]" * 100_000
DIGITS = "7" * 5000
REGISTRY = Engine(Settings(data_dir=Path("/nonexistent"))).commands.commands.values()
ROUTES = sorted({(c.spec.method, c.spec.path) for c in REGISTRY})
PLACEHOLDERS = {"info_hash": "0" * 40, "request_id": "1", "item_id": "1"}
# (method, path under /api/v1, JSON body or None) that a strict reading refuses
REFUSED = {
    "a page whose offset overflows": ("GET", "/gaps?page=2777598942072180736", None),
    "a page of 5,000 digits": ("GET", f"/gaps?page={DIGITS}", None),
    "a superscript two as page": ("GET", "/gaps?page=%C2%B2", None),
    "true as page": ("GET", "/gaps?page=true", None),
    "1 as a boolean in the query": ("DELETE", f"/torrents/{'0' * 40}?delete_files=1", None),
    "an id of 5,000 digits": ("GET", f"/requests/{DIGITS}", None),
    "a superscript two as id": ("GET", "/requests/%C2%B2", None),
    "true as an integer": ("POST", "/gaps/1/boost", {"boost": True}),
    "an integer of 5,000 digits": ("POST", "/gaps/1/boost", f'{{"boost": {DIGITS}}}'),
    "a superscript two as an integer": ("POST", "/gaps/1/boost", {"boost": "²"}),
    "a string as an integer": ("POST", "/gaps/1/boost", {"boost": "1"}),
    "false as a number": ("PUT", "/options", {"auto_pick_hours": False}),
    "0 as a boolean": ("PATCH", "/connectors/x", {"enabled": 0}),
    "true as a limit": ("PUT", "/transfer", {"limits": {"download_limit": True}}),
    "false as a weekday": ("PUT", "/transfer", {"limits": {"alt_schedule": {"days": [False]}}}),
    "25 o'clock": ("PUT", "/transfer", {"limits": {"alt_schedule": {"start": "25:00"}}}),
    "1 as a boolean in a body": (
        "POST", "/releases/profiles", {"name": "p", "rules": {"prefer_freeleech": 1}},
    ),
    "false as a season": ("POST", "/requests", {"media_type": "tv", "seasons": [False]}),
    "a seeders count beyond 64 bits": (
        "POST", "/releases/rank", {"releases": [{"title": "x", "seeders": 2**64}]},
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    """One engine for the module: nothing here may change it."""
    allow_loopback_sockets()
    process = EngineProcess(tmp_path_factory.mktemp("hostile") / "engine").start()
    yield process
    process.kill()


def send(engine: EngineProcess, method: str, path: str, body: bytes | None) -> tuple[int, Any]:
    """Send raw bytes; return the status and the JSON answer."""
    request = urllib.request.Request(  # noqa: S310 - the engine on loopback
        f"{engine.url}{path}", data=body, method=method, headers=engine.headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def stored(engine: EngineProcess) -> list[Any]:
    """What the engine keeps that a refused request could have changed."""
    paths = ["/options", "/transfer", "/connectors", "/releases/profiles", "/requests", "/torrents"]
    kept = [engine.call("GET", path) for path in paths]
    kept[1].pop("revision")  # counts the engine's own transfer events (its first tick's), not state
    return kept


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_a_body_100000_deep_is_a_400_on_every_route(
    engine: EngineProcess, method: str, path: str
) -> None:
    concrete = re.sub(r"{(\w+)}", lambda m: PLACEHOLDERS.get(m[1], "x"), path)
    status, answer = send(engine, method, f"/api/v1{concrete}", DEEP)
    assert status == 400, answer
    assert answer["error"]["code"] == "invalid_input"
    assert answer["error"]["message"].startswith("body is not valid JSON: depth limit exceeded")


@pytest.mark.parametrize(("method", "path", "body"), REFUSED.values(), ids=REFUSED.keys())
def test_hostile_values_are_refused_and_nothing_is_stored(
    engine: EngineProcess, method: str, path: str, body: object
) -> None:
    before = stored(engine)
    text = body if isinstance(body, str) or body is None else json.dumps(body)
    status, answer = send(engine, method, f"/api/v1{path}", text and text.encode())
    assert status == 400, answer
    assert set(answer) == {"error"}
    assert answer["error"]["code"] == "invalid_input"
    assert stored(engine) == before
    assert "Traceback" not in engine.log


async def test_the_websocket_refuses_the_same(engine: EngineProcess) -> None:
    async with aiohttp.ClientSession() as session:
        refused = await session.ws_connect(f"{engine.url}/api/v1/ws")
        await refused.send_bytes(DEEP)  # instead of the auth message
        assert (await refused.receive_json())["type"] == "auth_invalid"
        async with session.ws_connect(f"{engine.url}/api/v1/ws") as socket:
            await socket.send_json({"type": "auth", "token": engine.token})
            assert (await socket.receive_json())["type"] == "auth_ok"
            await socket.send_str(DEEP.decode())
            assert (await socket.receive_json())["error"]["code"] == "invalid_input"
            for number, args in enumerate(
                [{"page": True}, {"page": "²"}, {"page": 2777598942072180736}], start=1
            ):
                await socket.send_json({"id": number, "command": "library/gaps", "args": args})
                reply = await socket.receive_json()
                assert reply["id"] == number
                assert reply["error"]["code"] == "invalid_input", reply
            await socket.send_str(
                f'{{"id": 9, "command": "library/gaps", "args": {{"page": {DIGITS}}}}}'
            )
            assert (await socket.receive_json())["error"]["code"] == "invalid_input"
    assert "Traceback" not in engine.log


def test_aiohttp_errors_have_the_one_shape(engine: EngineProcess) -> None:
    status, answer = send(engine, "GET", "/api/v1/no/such/route", None)
    assert (status, answer["error"]["code"]) == (404, "unknown_route")
    request = urllib.request.Request(  # noqa: S310
        f"{engine.url}/api/v1/connectors/kinds", method="OPTIONS", headers=engine.headers
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)  # noqa: S310
    assert refused.value.code == 405
    assert refused.value.headers["Allow"] == "GET"
    assert json.loads(refused.value.read())["error"]["code"] == "method_not_allowed"
    status, answer = send(engine, "POST", "/api/v1/releases/parse", b" " * (17 * 1024 * 1024))
    assert (status, answer["error"]["code"]) == (413, "too_large")


def test_an_unexpected_failure_is_a_500_in_the_one_shape(tmp_path: Path) -> None:
    """A command that fails unexpectedly (its file cannot be written) changes nothing."""
    engine = EngineProcess(tmp_path / "engine").start()
    try:
        limits = engine.call("GET", "/transfer")["limits"]
        saved = tmp_path / "engine" / "torrents" / "transfer.json"
        saved.unlink(missing_ok=True)
        saved.mkdir()  # where the limits are written: replacing a folder fails
        (saved / "keep").touch()
        status, answer = engine.request(
            "PUT", "/api/v1/transfer", {"limits": {**limits, "download_limit": 100}}
        )
        assert status == 500, answer
        assert answer == {
            "error": {
                "code": "internal_error",
                "message": "the engine failed unexpectedly: see its log",
            }
        }
        assert engine.call("GET", "/transfer")["limits"] == limits
        assert engine.log.count("Traceback") == 1
        assert "PUT /api/v1/transfer failed" in engine.log
        shutil.rmtree(saved)
        assert engine.request("GET", "/health")[1]["status"] == "ok"
    finally:
        engine.kill()
