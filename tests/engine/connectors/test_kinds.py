"""GET /connectors/kinds: every kind with its settings' JSON schema, as strict as the engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import jsonschema

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.support.engine import EngineProcess

KINDS = {
    "sonarr": "arr", "radarr": "arr", "whisparr": "arr", "lidarr": "arr", "prowlarr": "indexer",
    "torznab": "indexer", "overseerr": "request", "jellyfin": "mediaserver",
    "emby": "mediaserver", "plex": "mediaserver",
}  # fmt: skip
SEASON_PACKS = {"season_search_ratio", "episode_search_max", "series_search_min_seasons"}
UNREACHABLE = "http://127.0.0.1:9"
BOUNDS = {
    "minimum": ("greater than or equal to", -1),
    "exclusiveMinimum": ("greater than", 0),
    "maximum": ("less than or equal to", 1),
    "exclusiveMaximum": ("less than", 0),
}


def kinds(engine: EngineProcess) -> dict[str, dict[str, Any]]:
    return {kind["name"]: kind for kind in engine.call("GET", "/connectors/kinds")}


def fields(
    schema: dict[str, Any], path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every setting, those of nested settings too, with its path."""
    for name, field in schema.get("properties", {}).items():
        yield (*path, name), field
        yield from fields(field, (*path, name))


def nested(path: tuple[str, ...], value: object) -> dict[str, Any]:
    """The settings body that sets one (nested) setting."""
    body: Any = value
    for name in reversed(path):
        body = {name: body}
    return dict(body)


def tried(engine: EngineProcess, kind: str, settings: dict[str, Any]) -> tuple[int, Any]:
    """Validate settings through POST /connectors/test (it stores nothing)."""
    body = {"kind": kind, "name": "Try", "url": UNREACHABLE, "api_key": "k", "settings": settings}
    return engine.request("POST", "/api/v1/connectors/test", body)


def test_every_kind_is_described(engine: EngineProcess) -> None:
    served = kinds(engine)
    assert {name: kind["category"] for name, kind in served.items()} == KINDS
    for name, kind in served.items():
        schema = kind["settings_schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert kind["title"], name
        assert kind["default_url"].startswith("http://localhost:"), name
        assert kind["requires_api_key"] is True, name
        for path, field in fields(schema):
            assert field.get("title"), (name, path)
            assert field.get("description"), (name, path)
    sonarr, overseerr = served["sonarr"], served["overseerr"]
    assert (sonarr["title"], sonarr["default_url"]) == ("Sonarr", "http://localhost:8989")
    assert sonarr["webhook"]["path"] == "/api/v1/webhooks/arr/{connector_id}"
    assert "On Import" in sonarr["webhook"]["events"]
    assert overseerr["webhook"]["path"] == "/api/v1/webhooks/overseerr/{connector_id}"
    assert served["prowlarr"]["webhook"] is None
    for name in ("sonarr", "overseerr"):
        secret = served[name]["settings_schema"]["properties"]["webhook_secret"]
        assert secret["x-secret"] is True
        assert secret["anyOf"][0]["writeOnly"] is True
    # Season packs matter where a version of the app has seasons.
    for name in ("sonarr", "whisparr"):
        assert set(served[name]["settings_schema"]["properties"]) >= SEASON_PACKS
    for name in ("radarr", "lidarr"):
        assert not set(served[name]["settings_schema"]["properties"]) & SEASON_PACKS
    throttle = sonarr["settings_schema"]["properties"]["custom_throttle"]
    assert throttle["type"] == "object"
    assert set(throttle["properties"]) >= {"searches_per_minute", "batch_size"}
    path_map = served["jellyfin"]["settings_schema"]["properties"]["path_map"]
    assert path_map["propertyNames"]["title"]
    assert path_map["additionalProperties"]["type"] == "string"


def test_defaults_are_what_the_engine_stores(engine: EngineProcess) -> None:
    for name, kind in kinds(engine).items():
        properties = kind["settings_schema"]["properties"]
        created = engine.call(
            "POST", "/connectors",
            {"kind": name, "name": name, "url": UNREACHABLE, "api_key": "k", "settings": {}},
        )  # fmt: skip
        defaults = {
            key: field["default"] for key, field in properties.items() if "x-secret" not in field
        }
        assert created["settings"] == defaults, name
        jsonschema.validate(created["settings"], kind["settings_schema"])
        engine.call("DELETE", f"/connectors/{created['id']}")


def test_the_engine_refuses_what_the_schema_refuses(engine: EngineProcess) -> None:
    checked = 0
    for name, kind in kinds(engine).items():
        schema = kind["settings_schema"]
        for path, field in fields(schema):
            for bound, (words, step) in BOUNDS.items():
                if bound not in field:
                    continue
                outside = (
                    field[bound] + step
                    if field["type"] == "integer" or step == 0
                    else field[bound] + step * 0.5
                )
                settings = nested(path, outside)
                assert not jsonschema.Draft202012Validator(schema).is_valid(settings), (name, path)
                status, answer = tried(engine, name, settings)
                assert status == 400, (name, path, outside, answer)
                message = answer["error"]["message"]
                assert (
                    f"settings.{'.'.join(path)}: Input should be {words} {field[bound]}" in message
                ), message
                checked += 1
                if not bound.startswith("exclusive"):
                    inside = nested(path, field[bound])
                    assert jsonschema.Draft202012Validator(schema).is_valid(inside)
                    status, answer = tried(engine, name, inside)
                    assert (status, answer["ok"]) == (200, False), (name, path, answer)
    assert checked >= 30


def test_choices_patterns_and_lists(engine: EngineProcess) -> None:
    served = kinds(engine)
    sonarr = served["sonarr"]["settings_schema"]
    throttle = sonarr["properties"]["throttle"]
    assert [choice["const"] for choice in throttle["oneOf"]] == [
        "conservative", "moderate", "aggressive", "custom",
    ]  # fmt: skip
    assert throttle["oneOf"][0]["title"] == "Conservative: 1 a minute, 50 a day"
    refused = [
        ("sonarr", {"throttle": "reckless"}, "settings.throttle"),
        ("sonarr", {"sweep_schedule": "every hour"}, "settings.sweep_schedule"),
        ("sonarr", {"custom_throttle": {"surprise": 1}}, "settings.custom_throttle.surprise"),
        ("torznab", {"categories": [-1]}, "settings.categories.0"),
        ("overseerr", {"availability_job": "Not A Job"}, "settings.availability_job"),
        ("jellyfin", {"path_map": {"": "/media"}}, "settings.path_map"),
        ("radarr", {"season_search_ratio": 0.5}, "settings.season_search_ratio: not a setting"),
    ]
    for name, settings, where in refused:
        assert not jsonschema.Draft202012Validator(served[name]["settings_schema"]).is_valid(
            settings
        )
        status, answer = tried(engine, name, settings)
        assert status == 400, (settings, answer)
        assert where in answer["error"]["message"]
    # A cron the pattern lets through is still checked field by field.
    status, answer = tried(engine, "sonarr", {"sweep_schedule": "61 * * * *"})
    assert status == 400
    assert "minute field" in answer["error"]["message"]


def test_ranking_profiles_are_the_engines(engine: EngineProcess) -> None:
    def offered() -> dict[str, str]:
        field = kinds(engine)["overseerr"]["settings_schema"]["properties"]["ranking_profile"]
        (text, none) = field["anyOf"]
        assert none == {"type": "null"}
        return {choice["const"]: choice["title"] for choice in text["oneOf"]}

    profiles = {
        profile["id"]: profile["name"] for profile in engine.call("GET", "/releases/profiles")
    }
    assert offered() == profiles
    made = engine.call("POST", "/releases/profiles", {"name": "Kids", "rules": {"min_seeders": 3}})
    assert offered()[made["id"]] == "Kids"
    status, answer = tried(engine, "overseerr", {"ranking_profile": "nope"})
    assert status == 400
    assert "settings.ranking_profile: 'nope' is not one of" in answer["error"]["message"]
    status, answer = tried(engine, "overseerr", {"ranking_profile": made["id"]})
    assert (status, answer["ok"]) == (200, False)


async def test_kinds_on_the_websocket_and_in_the_openapi_document(engine: EngineProcess) -> None:
    document = engine.call("GET", "/openapi.json")
    assert "get" in document["paths"]["/api/v1/connectors/kinds"]
    reply = await engine.ws_call("connectors/kinds")
    assert reply["result"] == engine.call("GET", "/connectors/kinds")
