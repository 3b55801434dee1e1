"""Engine-wide options through the API: defaults, validation, use by ranking, restarts."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.engine import EngineProcess

RELEASES = [
    {"title": "Movie.Title.2020.1080p.WEB-DL.x264-GRP", "size": 3 * 1024**3, "seeders": 50},
    {"title": "Movie.Title.2020.2160p.WEB-DL.x265-GRP", "size": 8 * 1024**3, "seeders": 50},
]


def test_options_default_to_the_start_settings_and_survive_a_restart(
    engine_factory: Callable[..., EngineProcess],
) -> None:
    engine = engine_factory(env={"HAUL_REQUEST_AUTO_PICK_HOURS": "6"}).start()
    assert engine.request("GET", "/api/v1/options") == (
        200,
        {"auto_pick_hours": 6.0, "default_profile": "any"},
    )
    status, created = engine.request(
        "POST", "/api/v1/releases/profiles", {"name": "My Films", "rules": {"min_seeders": 2}}
    )
    assert status == 200, created
    status, changed = engine.request(
        "PUT", "/api/v1/options", {"auto_pick_hours": 1.5, "default_profile": "my films"}
    )
    assert (status, changed) == (200, {"auto_pick_hours": 1.5, "default_profile": "my-films"})
    status, changed = engine.request("PUT", "/api/v1/options", {"auto_pick_hours": 0})
    assert (status, changed) == (200, {"auto_pick_hours": 0.0, "default_profile": "my-films"})

    engine.restart()
    assert engine.request("GET", "/api/v1/options") == (
        200,
        {"auto_pick_hours": 0.0, "default_profile": "my-films"},
    )
    # The default profile cannot be deleted while it is the default.
    status, error = engine.request("DELETE", "/api/v1/releases/profiles/my-films")
    assert status == 409
    assert "default profile" in error["error"]["message"]


def test_bad_options_are_refused_and_nothing_changes(engine: EngineProcess) -> None:
    cases = [
        ({"auto_pick_hours": -1}, "auto_pick_hours"),
        ({"auto_pick_hours": "soon"}, "auto_pick_hours"),
        ({"default_profile": "nope"}, "no quality profile 'nope'"),
        ({"auto_pick_hours": 2, "default_profile": "nope"}, "default_profile"),
    ]
    for body, message in cases:
        status, answer = engine.request("PUT", "/api/v1/options", body)
        assert status == 400, (body, answer)
        assert message in answer["error"]["message"], answer
    assert engine.request("GET", "/api/v1/options")[1] == {
        "auto_pick_hours": 0.0,
        "default_profile": "any",
    }


def test_ranking_without_a_profile_uses_the_default_one(engine: EngineProcess) -> None:
    def accepted() -> list[bool]:
        status, ranked = engine.request("POST", "/api/v1/releases/rank", {"releases": RELEASES})
        assert status == 200, ranked
        return [release["accepted"] for release in ranked]

    assert accepted() == [True, True]
    assert engine.request("PUT", "/api/v1/options", {"default_profile": "1080p-compact"})[0] == 200
    assert accepted() == [True, False]
