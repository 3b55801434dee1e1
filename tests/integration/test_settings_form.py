"""Every connector form the engine's kinds make is labelled in the translations HA loads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import probatio
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import ObjectSelector, SelectSelector
from homeassistant.helpers.translation import async_get_translations
from homeassistant.setup import async_setup_component

from custom_components.haul.api import ConnectorKind
from custom_components.haul.const import DOMAIN
from custom_components.haul.settings_form import form_defaults, form_fields, form_settings
from custom_components.haul.subentry_flow import narrowed

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.common import MockConfigEntry
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

    from tests.support.engine import EngineProcess

CONNECTION = ("name", "url", "api_key", "verify_ssl")


def labels_needed(kind: ConnectorKind) -> Iterator[tuple[str, str]]:
    """(translation category, key) of every label the kind's form shows, as the frontend asks."""
    flow = f"component.{DOMAIN}.config_subentries.{kind.name}"
    yield "config_subentries", f"{flow}.initiate_flow.user"
    yield "config_subentries", f"{flow}.entry_type"
    if kind.webhook_path:
        yield "config_subentries", f"{flow}.step.webhook.description"
    # the values the app lists are asked once it is added (choices), all of them on reconfigure
    steps = {"user": narrowed(kind, listed=False), "reconfigure": kind}
    if (listed := narrowed(kind, listed=True)).settings_schema["properties"]:
        steps["choices"] = listed
    for step, shown in steps.items():
        yield "config_subentries", f"{flow}.step.{step}.title"
        for name in CONNECTION if step != "choices" else ():
            yield "config_subentries", f"{flow}.step.{step}.data.{name}"
        for marker, field in form_fields(shown, form_defaults(shown)).items():
            if isinstance(field, section):
                where = f"{flow}.step.{step}.sections.{marker.schema}"
                yield "config_subentries", f"{where}.name"
                inner = field.schema.schema.items()
            else:
                where = f"{flow}.step.{step}"
                inner = [(marker, field)]
            for name, selector in inner:
                yield "config_subentries", f"{where}.data.{name}"
                yield "config_subentries", f"{where}.data_description.{name}"
                yield from selector_labels(selector)


def selector_labels(selector: Any) -> Iterator[tuple[str, str]]:  # noqa: ANN401 - any selector
    """The selector translations a field needs: its options, or its object's fields."""
    key = getattr(selector, "config", {}).get("translation_key")
    if key is None:
        return
    where = f"component.{DOMAIN}.selector.{key}"
    if isinstance(selector, SelectSelector):
        for option in selector.config["options"]:
            yield "selector", f"{where}.options.{option['value']}"
    if isinstance(selector, ObjectSelector):
        for name in selector.config["fields"]:
            yield "selector", f"{where}.fields.{name}.name"


async def test_every_served_setting_has_a_label(hass: HomeAssistant, engine: EngineProcess) -> None:
    kinds = [ConnectorKind.from_dict(kind) for kind in engine.call("GET", "/connectors/kinds")]
    loaded = {
        category: await async_get_translations(hass, "en", category, [DOMAIN])
        for category in ("config_subentries", "selector")
    }
    needed = [(kind.name, *label) for kind in kinds for label in labels_needed(kind)]
    missing = [(name, key) for name, category, key in needed if not loaded[category].get(key)]
    assert len(needed) > 400
    assert missing == []
    batch = "sonarr.step.reconfigure.sections.custom_throttle.data.batch_size"
    assert loaded["config_subentries"][f"component.{DOMAIN}.config_subentries.{batch}"] == (
        "Items per search"
    )
    # Values another command lists (the engine's quality profiles) are named by the engine.
    overseerr = next(kind for kind in kinds if kind.name == "overseerr")
    fields = {marker.schema: field for marker, field in form_fields(overseerr, {}).items()}
    assert "translation_key" not in fields["ranking_profile"].config
    assert {option["label"] for option in fields["ranking_profile"].config["options"]} >= {"Any"}


async def test_the_frontend_gets_every_form(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    engine: EngineProcess,
    loaded_entry: MockConfigEntry,
) -> None:
    """Each kind's form as Home Assistant's REST API sends it to the frontend (serialised)."""
    assert await async_setup_component(hass, "config", {})
    client = await hass_client()
    flows = "/api/config/config_entries/subentries/flow"
    forms: dict[str, dict[str, Any]] = {}
    for kind in engine.call("GET", "/connectors/kinds"):
        answer = await client.post(flows, json={"handler": [loaded_entry.entry_id, kind["name"]]})
        assert answer.status == 200, await answer.text()
        shown = await answer.json()
        forms[kind["name"]] = {field["name"]: field for field in shown["data_schema"]}
        assert (await client.delete(f"{flows}/{shown['flow_id']}")).status == 200
    sonarr, jellyfin = forms["sonarr"], forms["jellyfin"]
    pace = sonarr["custom_throttle"]
    assert (pace["type"], pace["expanded"]) == ("expandable", False)
    batch = next(field for field in pace["schema"] if field["name"] == "batch_size")
    assert (
        batch["selector"]["number"] | {"min": 1, "max": 50, "step": 1}
        == batch["selector"]["number"]
    )
    assert (batch["optional"], batch["description"]) == (True, {"suggested_value": 5})
    assert sonarr["throttle"]["selector"]["select"]["translation_key"] == "settings_throttle"
    assert sonarr["webhook_secret"]["selector"] == {"text": {"type": "password", "multiline": False,
                                                             "multiple": False}}  # fmt: skip
    assert "season_search_ratio" in sonarr
    assert "season_search_ratio" not in forms["radarr"]
    pairs = jellyfin["path_map"]["selector"]["object"]
    assert (pairs["multiple"], set(pairs["fields"])) == (True, {"key", "value"})
    assert jellyfin["path_map"]["optional"] is True
    assert forms["torznab"]["categories"]["selector"]["text"]["multiple"] is True
    # Only switches and dropdowns must hold a value: a list of no users, no path map, an emptied
    # number (the engine's default) may be saved.
    required = {
        (kind, name)
        for kind, form in forms.items()
        for name, field in form.items()
        if field.get("required") and "selector" in field
    }
    assert {
        next(iter(field["selector"]))
        for kind, name in required
        if name not in CONNECTION
        for field in [forms[kind][name]]
    } <= {"boolean", "select"}
    assert forms["overseerr"]["auto_pick_users"]["optional"] is True


def test_settings_of_shapes_a_newer_engine_may_serve_still_make_a_form() -> None:
    """No kind of today's engine has these; an engine newer than the integration may serve them.

    A list of choices is a multiple dropdown, a setting without default must be answered, and a
    union the form cannot take apart is edited as YAML; the answers reach the engine as given.
    """
    choices = [{"const": "hd", "title": "HD"}, {"const": "uhd", "title": "4K"}]
    newer = ConnectorKind.from_dict({
        "name": "newer", "title": "Newer app", "category": "arr", "requires_api_key": True,
        "default_url": "http://localhost:7878", "webhook": None,
        "settings_schema": {"type": "object", "properties": {
            "qualities": {"type": "array", "default": ["hd"],
                          "items": {"type": "string", "oneOf": choices}},
            "retries": {"type": "integer", "minimum": 0},
            "limit": {"anyOf": [{"type": "integer"}, {"type": "string"}], "default": 5},
        }},
    })  # fmt: skip
    fields = {
        marker.schema: (marker, selector)
        for marker, selector in form_fields(newer, form_defaults(newer)).items()
    }
    marker, qualities = fields["qualities"]
    assert isinstance(qualities, SelectSelector)
    assert (qualities.config["multiple"], qualities.config["translation_key"]) == (
        True, "settings_qualities",
    )  # fmt: skip
    assert [option["value"] for option in qualities.config["options"]] == ["hd", "uhd"]
    assert marker.description == {"suggested_value": ["hd"]}
    marker, _ = fields["retries"]
    assert isinstance(marker, probatio.Required)
    assert marker.default is probatio.UNDEFINED
    marker, limit = fields["limit"]
    assert isinstance(limit, ObjectSelector)
    assert marker.description == {"suggested_value": 5}
    answers = {"qualities": ["uhd"], "retries": "3", "limit": "unlimited"}
    assert form_settings(newer, answers) == answers | {"retries": 3}
    # emptied, a setting is the engine's default again
    assert form_settings(newer, {"retries": 3}) == {"qualities": ["hd"], "retries": 3, "limit": 5}
