"""The engine's HTTP surface, against the real subprocess."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from haul_engine.engine import Engine
from haul_engine.settings import Settings

if TYPE_CHECKING:
    from tests.support.engine import EngineProcess

REGISTRY = Engine(Settings(data_dir=Path("/nonexistent"))).commands.commands.values()
ROUTES = sorted({(c.spec.method, c.spec.path) for c in REGISTRY if c.spec.auth})


def test_health_needs_no_token(engine: EngineProcess) -> None:
    with urllib.request.urlopen(f"{engine.url}/health") as answer:  # noqa: S310
        assert answer.status == 200
        assert answer.read() == b'{"status":"ok","version":"0.1.0"}'


def test_info_identifies_the_engine(engine: EngineProcess) -> None:
    status, info = engine.request("GET", "/api/v1/info")
    assert status == 200
    assert info["version"] == "0.1.0"
    assert info["min_schema_version"] <= info["schema_version"]
    assert re.fullmatch(r"[0-9a-f]{32}", info["server_id"])
    assert "system" in info["features"]


def test_system_reports_disk_and_uptime(engine: EngineProcess) -> None:
    status, system = engine.request("GET", "/api/v1/system")
    assert status == 200
    assert system["status"] == "ok"
    assert 0 < system["disk_free_bytes"] <= system["disk_total_bytes"]
    assert system["uptime_seconds"] >= 0
    assert system["download_dir"] == str(engine.data_dir / "downloads")


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
@pytest.mark.parametrize("token", ["", "wrong-token"], ids=["missing", "wrong"])
def test_every_route_needs_the_token(
    shared_engine: EngineProcess, method: str, path: str, token: str
) -> None:
    concrete = re.sub(r"{\w+}", "0" * 40, path)
    request = urllib.request.Request(f"{shared_engine.url}/api/v1{concrete}", method=method)  # noqa: S310
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)  # noqa: S310
    assert refused.value.code == 401
    assert b"unauthorized" in refused.value.read()


def test_openapi_lists_every_command(engine: EngineProcess) -> None:
    status, document = engine.request("GET", "/api/v1/openapi.json")
    assert status == 200
    assert document["openapi"].startswith("3.1")
    listed = {
        (method.upper(), path.removeprefix("/api/v1"))
        for path, operations in document["paths"].items()
        for method in operations
    }
    assert listed == {(c.spec.method, c.spec.path) for c in REGISTRY}
    wrong = "nope"
    assert engine.request("GET", "/api/v1/openapi.json", token=wrong)[0] == 401


def test_unknown_route_and_bad_body(engine: EngineProcess) -> None:
    assert engine.request("GET", "/api/v1/nothing-here")[0] == 404
    request = urllib.request.Request(  # noqa: S310
        f"{engine.url}/api/v1/info", data=b"{not json", method="GET", headers=engine.headers
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request)  # noqa: S310
    assert refused.value.code == 400


def test_web_ui_page_needs_no_token_and_carries_no_data(shared_engine: EngineProcess) -> None:
    with urllib.request.urlopen(f"{shared_engine.url}/") as answer:  # noqa: S310
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/html")
        page = answer.read().decode()
    assert "<title>Haul engine</title>" in page
    assert shared_engine.token not in page
    assert shared_engine.request("GET", "/api/v1/info")[1]["server_id"] not in page
