"""The /connectors resource through the real engine subprocess, against fake *arrs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.fakes.arr import API_KEY, FakeArr
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.engine import EngineProcess

WEBHOOK_SECRET = "hook-secret-5a0b7c9e14d283"  # noqa: S105 - a test value


@pytest.fixture
def sonarr() -> Iterator[FakeArr]:
    with FakeArr("sonarr") as fake:
        yield fake


def body(fake: FakeArr, **changes: object) -> dict[str, Any]:
    return {"kind": fake.kind, "name": "TV", "url": fake.url, "api_key": API_KEY,
            "settings": {"webhook_secret": WEBHOOK_SECRET}, **changes}  # fmt: skip


def test_crud_never_returns_secrets(engine: EngineProcess, sonarr: FakeArr) -> None:
    status, created = engine.request("POST", "/api/v1/connectors", body(sonarr))
    assert status == 200, created
    assert created["has_api_key"] is True
    assert created["secrets_set"] == ["webhook_secret"]
    assert created["category"] == "arr"
    connector_id = created["id"]

    status, listed = engine.request("GET", "/api/v1/connectors")
    assert status == 200
    assert [c["id"] for c in listed] == [connector_id]

    status, updated = engine.request(
        "PATCH", f"/api/v1/connectors/{connector_id}",
        {"name": "Series", "settings": {"throttle": "conservative"}},
    )  # fmt: skip
    assert status == 200, updated
    assert updated["name"] == "Series"
    assert updated["settings"]["throttle"] == "conservative"
    assert updated["secrets_set"] == ["webhook_secret"]  # merged, not replaced

    status, fetched = engine.request("GET", f"/api/v1/connectors/{connector_id}")
    assert status == 200
    for answer in (created, listed, updated, fetched):
        text = repr(answer)
        assert API_KEY not in text
        assert WEBHOOK_SECRET not in text

    assert engine.request("DELETE", f"/api/v1/connectors/{connector_id}") == (
        200, {"id": connector_id},
    )  # fmt: skip
    assert engine.request("GET", f"/api/v1/connectors/{connector_id}")[0] == 404
    assert API_KEY not in engine.log
    assert WEBHOOK_SECRET not in engine.log


BAD_INPUT: list[tuple[dict[str, object], str]] = [
    ({"kind": "gopher"}, "unknown connector kind 'gopher'"),
    ({"url": "ftp://example"}, "url: expected http(s)"),
    ({"url": "http://user:pw@example"}, "without credentials"),
    ({"api_key": ""}, "api_key: required"),
    ({"name": ""}, "name: String should have at least 1 character"),
    ({"settings": {"throttle": "reckless"}}, "settings.throttle"),
    ({"settings": {"sweep_schedule": "61 * * * *"}}, "minute field"),
    ({"settings": {"surprise": 1}}, "settings.surprise: Extra inputs are not permitted"),
    ({"settings": {"webhook_secret": "x" * 21}}, "settings.webhook_secret: too short: at least 22"),
]


def test_bad_input_is_refused_and_changes_nothing(engine: EngineProcess, sonarr: FakeArr) -> None:
    for changes, message in BAD_INPUT:
        status, answer = engine.request("POST", "/api/v1/connectors", body(sonarr, **changes))
        assert status == 400, changes
        assert answer["error"]["code"] == "invalid_input"
        assert message in answer["error"]["message"], answer
    assert engine.request("GET", "/api/v1/connectors") == (200, [])


def test_a_webhook_secret_not_given_is_made_and_shown_once(
    engine: EngineProcess, sonarr: FakeArr
) -> None:
    status, created = engine.request("POST", "/api/v1/connectors", body(sonarr, settings={}))
    assert status == 200, created
    secret = created["webhook_secret"]
    assert len(secret) >= 32  # 192 random bits in URL-safe base64
    assert created["secrets_set"] == ["webhook_secret"]
    fetched = engine.request("GET", f"/api/v1/connectors/{created['id']}")[1]
    assert fetched["webhook_secret"] is None
    hook = f"{engine.url}/api/v1/webhooks/arr/{created['id']}"
    assert send_webhook(hook, {"eventType": "Test"}, secret)[0] == 200
    # a stored secret is kept as it is when other settings change
    status, _ = engine.request(
        "PATCH", f"/api/v1/connectors/{created['id']}", {"settings": {"queue_limit": 3}}
    )
    assert status == 200
    assert secret not in engine.log


def test_duplicate_name_and_bad_patch_keep_the_stored_connector(
    engine: EngineProcess, sonarr: FakeArr
) -> None:
    connector_id = engine.request("POST", "/api/v1/connectors", body(sonarr))[1]["id"]
    status, answer = engine.request("POST", "/api/v1/connectors", body(sonarr))
    assert (status, answer["error"]["code"]) == (409, "conflict")
    status, answer = engine.request(
        "PATCH", f"/api/v1/connectors/{connector_id}", {"settings": {"queue_limit": -1}}
    )
    assert status == 400
    assert "settings.queue_limit" in answer["error"]["message"]
    stored = engine.request("GET", f"/api/v1/connectors/{connector_id}")[1]
    assert stored["settings"]["queue_limit"] == 20
    assert len(engine.request("GET", "/api/v1/connectors")[1]) == 1


CONNECTION_TESTS = [
    ("sonarr", "3.0.10.1567", API_KEY, None),
    ("sonarr", "4.0.14.2939", API_KEY, None),
    ("radarr", "3.2.2.5080", API_KEY, None),
    ("radarr", "5.21.1.9799", API_KEY, None),
    ("whisparr", "2.0.0.1123", API_KEY, None),
    ("whisparr", "3.0.0.800", API_KEY, None),
    ("lidarr", "2.9.6.4552", API_KEY, None),
    ("sonarr", "2.0.0.5344", API_KEY, "Sonarr 2.0.0.5344 is not supported (supported: v3, v4)"),
    ("radarr", "6.0.0.1", API_KEY, "Radarr 6.0.0.1 is not supported"),
    ("sonarr", "4.0.14.2939", "wrong-key-123456", "API key was refused"),
]


def test_connection_test_detects_app_and_version(engine: EngineProcess) -> None:
    for kind, version, api_key, error in CONNECTION_TESTS:
        with FakeArr(kind, version=version) as fake:
            status, result = engine.request(
                "POST", "/api/v1/connectors/test", body(fake, api_key=api_key)
            )
        assert status == 200
        assert result["ok"] is (error is None), result
        if error is None:
            assert (result["app"], result["version"]) == (fake.kind.title(), version)
        else:
            assert error in result["error"]
    assert engine.request("GET", "/api/v1/connectors") == (200, [])
    assert "wrong-key-123456" not in engine.log


def test_test_refuses_the_wrong_app(engine: EngineProcess) -> None:
    with FakeArr("radarr") as radarr:
        status, result = engine.request(
            "POST", "/api/v1/connectors/test", {**body(radarr), "kind": "whisparr"}
        )
    assert status == 200
    assert result == {"ok": False, "app": "Radarr", "version": radarr.version,
                      "error": "TV: this is Radarr, not Whisparr"}  # fmt: skip


def test_unreachable_arr_is_reported(engine: EngineProcess, sonarr: FakeArr) -> None:
    status, result = engine.request(
        "POST", "/api/v1/connectors/test", body(sonarr, url="http://127.0.0.1:9")
    )
    assert status == 200
    assert result["ok"] is False
    assert "unreachable" in result["error"]
