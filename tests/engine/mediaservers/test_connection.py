"""The jellyfin, emby and plex connector kinds: connection tests, creation and health."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tests.engine.mediaservers.helpers import add, body, health
from tests.support.programs import free_port

if TYPE_CHECKING:
    from tests.fakes.mediaservers import FakeJellyfin, FakePlex
    from tests.support.engine import EngineProcess


def test_connection_test_sends_each_servers_auth_and_reports_the_version(
    engine: EngineProcess, jellyfin: FakeJellyfin, emby: FakeJellyfin, plex: FakePlex
) -> None:
    expected = {
        "jellyfin": ("Jellyfin", "12.0.0"),
        "emby": ("Emby", "4.8.10.0"),
        "plex": ("Plex Media Server", "1.41.3.9314-a0bfb8370"),
    }
    for fake in (jellyfin, emby, plex):
        status, result = engine.request("POST", "/api/v1/connectors/test", body(fake))
        assert status == 200, result
        app, version = expected[body(fake)["kind"]]
        assert result == {"ok": True, "app": app, "version": version, "error": None}

    [info] = jellyfin.calls("GET", "/System/Info")
    assert info.headers["authorization"] == f'MediaBrowser Token="{jellyfin.api_key}"'
    assert "x-emby-token" not in info.headers
    assert "api_key" not in info.query
    [info] = emby.calls("GET", "/System/Info")
    assert info.headers["x-emby-token"] == emby.api_key
    [sections] = plex.calls("GET", "/library/sections")
    assert sections.headers["x-plex-token"] == plex.api_key
    assert sections.headers["accept"] == "application/json"
    assert "X-Plex-Token" not in sections.query  # the token stays out of URLs (and access logs)

    status, listed = engine.request("GET", "/api/v1/connectors")
    assert (status, listed) == (200, [])  # testing stores nothing


def test_wrong_key_wrong_url_and_dead_server_give_clear_errors(
    engine: EngineProcess, jellyfin: FakeJellyfin, emby: FakeJellyfin, plex: FakePlex
) -> None:
    secrets = ["wrong-key-3f9a1c7e5b", jellyfin.api_key, emby.api_key, plex.api_key]
    cases = [
        (body(jellyfin, api_key=secrets[0]), "Jellyfin refused the API key (HTTP 401)"),
        (body(emby, api_key=secrets[0]), "Emby refused the API key (HTTP 401)"),
        (body(plex, api_key=secrets[0]), "Plex Media Server refused the API key (HTTP 401)"),
        (body(jellyfin, url=f"http://127.0.0.1:{free_port()}"), "cannot reach Jellyfin at"),
        (body(jellyfin, url=plex.url), "GET /System/Info failed (HTTP 404)"),
        (body(plex, url=jellyfin.url), "GET /library/sections failed (HTTP 404)"),
    ]
    for request, message in cases:
        status, result = engine.request("POST", "/api/v1/connectors/test", request)
        assert status == 200, result
        assert result["ok"] is False
        assert message in result["error"], result
        assert all(secret not in repr(result) for secret in secrets)

    status, answer = engine.request("POST", "/api/v1/connectors/test", body(plex, api_key=""))
    assert status == 400
    assert "api_key: required" in answer["error"]["message"]
    status, answer = engine.request(
        "POST", "/api/v1/connectors/test", body(plex, settings={"path_map": {"": "/x"}})
    )
    assert status == 400
    assert "settings.path_map" in answer["error"]["message"]
    assert all(secret not in engine.log for secret in secrets)


def test_created_servers_are_checked_and_their_keys_never_shown(
    engine: EngineProcess, jellyfin: FakeJellyfin, emby: FakeJellyfin, plex: FakePlex
) -> None:
    created = [add(engine, jellyfin), add(engine, plex)]
    refused = add(engine, emby, api_key="wrong-emby-key-6d2e8a")
    for connector in created:
        assert connector["category"] == "mediaserver"
        assert connector["has_api_key"] is True
        assert health(engine, connector["id"])["health"] == "healthy"
    checked = health(engine, refused["id"])
    assert checked["health"] == "unhealthy"
    assert checked["last_error"] == "Emby: Emby refused the API key (HTTP 401)"

    status, system = engine.request("GET", "/api/v1/system")
    assert status == 200
    assert system["counts"]["media_servers"] == 3
    assert "media server Emby: Emby refused the API key (HTTP 401)" in system["problems"]
    assert "mediaservers" in engine.request("GET", "/api/v1/info")[1]["features"]

    status, listed = engine.request("GET", "/api/v1/connectors?kind=jellyfin")
    assert status == 200
    assert [c["id"] for c in listed] == [created[0]["id"]]
    for secret in (jellyfin.api_key, emby.api_key, plex.api_key, "wrong-emby-key-6d2e8a"):
        assert secret not in repr(listed)
        assert secret not in repr(created)
        assert secret not in engine.log

    status, _ = engine.request(
        "PATCH", f"/api/v1/connectors/{refused['id']}", {"api_key": emby.api_key}
    )
    assert status == 200
    assert health(engine, refused["id"], "healthy")["last_error"] is None
    problems = engine.request("GET", "/api/v1/system")[1]["problems"]
    assert not [problem for problem in problems if problem.startswith("media server")]
