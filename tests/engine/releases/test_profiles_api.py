"""Quality profiles through the engine's API: presets, CRUD, bad input, restarts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

    from tests.support.engine import EngineProcess

RULES = {
    "min_resolution": 1080,
    "max_resolution": 2160,
    "preferred_codecs": ["x265"],
    "min_seeders": 3,
}


def test_profile_crud_survives_a_restart(engine: EngineProcess) -> None:
    status, profiles = engine.request("GET", "/api/v1/releases/profiles")
    assert status == 200
    presets = {profile["id"]: profile for profile in profiles}
    assert {"any", "1080p-compact", "2160p-hdr", "lossless-music"} <= presets.keys()
    assert all(profile["builtin"] for profile in profiles)
    assert presets["2160p-hdr"]["rules"]["hdr"] == "required"

    status, created = engine.request(
        "POST", "/api/v1/releases/profiles", {"name": "My Movies", "rules": RULES}
    )
    assert status == 200, created
    assert created["id"] == "my-movies"
    assert created["builtin"] is False
    assert created["rules"]["preferred_codecs"] == ["x265"]
    assert created["rules"]["hdr"] == "allowed"  # defaults fill what was not given

    status, renamed = engine.request(
        "PUT",
        "/api/v1/releases/profiles/my-movies",
        {"name": "Films", "rules": {**RULES, "hdr": "wanted"}},
    )
    assert status == 200, renamed
    assert (renamed["id"], renamed["name"], renamed["rules"]["hdr"]) == (
        "my-movies",
        "Films",
        "wanted",
    )

    engine.restart()
    status, found = engine.request("GET", "/api/v1/releases/profiles/films")
    assert status == 200
    assert found["rules"] == renamed["rules"]

    assert engine.request("DELETE", "/api/v1/releases/profiles/my-movies") == (
        200,
        {"id": "my-movies"},
    )
    assert engine.request("GET", "/api/v1/releases/profiles/my-movies")[0] == 404


def test_profiles_on_postgresql(
    engine_factory: Callable[..., EngineProcess], request: pytest.FixtureRequest
) -> None:
    # Asked for here, after the autouse fixture that lets sockets open.
    postgres_database = str(request.getfixturevalue("postgres_database"))
    engine = engine_factory("pg", args=["--database-url", postgres_database]).start()
    status, created = engine.request(
        "POST", "/api/v1/releases/profiles", {"name": "PG", "rules": RULES}
    )
    assert status == 200, created
    engine.restart()
    assert engine.request("GET", "/api/v1/releases/profiles/pg")[1]["rules"] == created["rules"]
    assert engine.request("DELETE", "/api/v1/releases/profiles/pg")[0] == 200


def test_bad_profiles_are_refused_and_nothing_is_lost(engine: EngineProcess) -> None:
    engine.request("POST", "/api/v1/releases/profiles", {"name": "Keep", "rules": RULES})
    cases = [
        (
            "POST",
            "/api/v1/releases/profiles",
            {"name": "X", "rules": {"min_resolution": 2160, "max_resolution": 720}},
            400,
            "min_resolution is above max_resolution",
        ),
        (
            "POST",
            "/api/v1/releases/profiles",
            {"name": "X", "rules": {"hdr": "maybe"}},
            400,
            "rules.hdr",
        ),
        ("POST", "/api/v1/releases/profiles", {"name": "keep", "rules": {}}, 409, "already exists"),
        ("POST", "/api/v1/releases/profiles", {"name": "ANY", "rules": {}}, 409, "already exists"),
        (
            "PUT",
            "/api/v1/releases/profiles/keep",
            {"rules": {"languages": ["english"]}},
            400,
            "languages",
        ),
        ("PUT", "/api/v1/releases/profiles/1080p-compact", {"name": "Mine"}, 409, "built-in"),
        ("DELETE", "/api/v1/releases/profiles/any", None, 409, "built-in"),
        ("DELETE", "/api/v1/releases/profiles/nothing", None, 404, "no custom quality profile"),
    ]
    for method, path, body, expected, message in cases:
        status, answer = engine.request(method, path, body)
        assert status == expected, (method, path, answer)
        assert message in answer["error"]["message"], answer
    status, kept = engine.request("GET", "/api/v1/releases/profiles/keep")
    assert status == 200
    assert kept["rules"]["min_resolution"] == 1080
    assert kept["rules"]["languages"] == []


def test_rank_and_parse_through_the_api(engine: EngineProcess) -> None:
    status, parsed = engine.request(
        "POST", "/api/v1/releases/parse", {"names": ["Show.Name.S01E02.720p.HDTV.x264-LOL"]}
    )
    assert status == 200
    assert parsed[0]["name"] == "Show.Name.S01E02.720p.HDTV.x264-LOL"
    assert (parsed[0]["parsed"]["resolution"], parsed[0]["parsed"]["release_group"]) == (720, "LOL")
    assert engine.request("POST", "/api/v1/releases/parse", {"names": []})[0] == 400

    releases = [
        {"title": "Movie.Title.2020.1080p.WEB-DL.x264-GRP", "size": 3 * 1024**3, "seeders": 50},
        {"title": "Movie.Title.2020.2160p.WEB-DL.x265-GRP", "size": 8 * 1024**3, "seeders": 50},
    ]
    status, ranked = engine.request(
        "POST", "/api/v1/releases/rank", {"releases": releases, "profile": "1080p-compact"}
    )
    assert status == 200, ranked
    assert [release["accepted"] for release in ranked] == [True, False]
    assert ranked[1]["rejections"] == ["2160p is above the profile's maximum of 1080p"]
    assert {"reason": "resolution 1080p", "points": 400} in ranked[0]["breakdown"]
    status, error = engine.request(
        "POST", "/api/v1/releases/rank", {"releases": releases, "profile": "nope"}
    )
    assert status == 404
    assert error["error"]["message"] == "no quality profile 'nope'"
    anime = [
        {"title": "[Hoshi] Starlit Garden - 30 [1080p]", "seeders": 50},
        {"title": "[Hoshi] Starlit Garden - 29 [1080p]", "seeders": 50},
    ]
    status, ranked = engine.request(
        "POST",
        "/api/v1/releases/rank",
        {"releases": anime, "type": "tv", "season": 2, "episode": 5, "absolute_episode": 30},
    )
    assert status == 200, ranked
    assert [release["accepted"] for release in ranked] == [True, False]
    assert ranked[1]["rejections"] == [
        "absolute episode 29, not the absolute episode 30 searched for"
    ]
