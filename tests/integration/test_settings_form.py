"""Every connector form the engine's kinds make is labelled in the translations HA loads."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import ObjectSelector, SelectSelector
from homeassistant.helpers.translation import async_get_translations

from custom_components.haul.api import ConnectorKind
from custom_components.haul.const import DOMAIN
from custom_components.haul.settings_form import form_defaults, form_fields

if TYPE_CHECKING:
    from collections.abc import Iterator

    from homeassistant.core import HomeAssistant

    from tests.support.engine import EngineProcess

CONNECTION = ("name", "url", "api_key", "verify_ssl")


def labels_needed(kind: ConnectorKind) -> Iterator[tuple[str, str]]:
    """(translation category, key) of every label the kind's form shows, as the frontend asks."""
    flow = f"component.{DOMAIN}.config_subentries.{kind.name}"
    yield "config_subentries", f"{flow}.initiate_flow.user"
    yield "config_subentries", f"{flow}.entry_type"
    if kind.webhook_path:
        yield "config_subentries", f"{flow}.step.webhook.description"
    for step in ("user", "reconfigure"):
        yield "config_subentries", f"{flow}.step.{step}.title"
        for name in CONNECTION:
            yield "config_subentries", f"{flow}.step.{step}.data.{name}"
        for marker, field in form_fields(kind, form_defaults(kind)).items():
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
