"""The integration's static files: manifest, translations, icons, quality scale, brand, HACS."""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from homeassistant.const import __version__ as tested_version
from homeassistant.setup import async_setup_component

if TYPE_CHECKING:
    from homeassistant.core import HomeAssistant
    from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

ROOT = Path(__file__).parents[2]
INTEGRATION = ROOT / "custom_components" / "haul"
RULES = {
    "bronze": """action-setup appropriate-polling brands common-modules config-flow
        config-flow-test-coverage dependency-transparency docs-actions docs-conditions
        docs-high-level-description docs-installation-instructions docs-removal-instructions
        docs-triggers entity-event-setup entity-unique-id has-entity-name runtime-data
        test-before-configure test-before-setup unique-config-entry""",
    "silver": """action-exceptions config-entry-unloading docs-configuration-parameters
        docs-installation-parameters entity-unavailable integration-owner log-when-unavailable
        parallel-updates reauthentication-flow test-coverage""",
    "gold": """devices diagnostics discovery discovery-update-info docs-data-update docs-examples
        docs-known-limitations docs-supported-devices docs-supported-functions
        docs-troubleshooting docs-use-cases dynamic-devices entity-category entity-device-class
        entity-disabled-by-default entity-translations exception-translations icon-translations
        reconfiguration-flow repair-issues stale-devices""",
    "platinum": "async-dependency inject-websession strict-typing",
}


def load_json(path: Path) -> Any:  # noqa: ANN401 - JSON
    return json.loads(path.read_text(encoding="utf-8"))


def test_manifest_in_hassfest_order() -> None:
    manifest = load_json(INTEGRATION / "manifest.json")
    keys = list(manifest)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])
    assert manifest["domain"] == "haul"
    assert manifest["config_flow"] is True
    assert manifest["iot_class"] == "local_push"
    assert manifest["integration_type"] == "hub"
    assert manifest["version"] == "0.1.0"
    assert manifest["codeowners"] == ["@haul-hub"]
    assert manifest["issue_tracker"] == manifest["documentation"] + "/issues"


def test_the_oldest_home_assistant_claimed_is_the_one_tested() -> None:
    # hacs.json, the blueprints and the README name the Home Assistant these tests run on.
    assert load_json(ROOT / "hacs.json") == {"name": "Haul", "homeassistant": tested_version}
    for blueprint in (ROOT / "blueprints").rglob("*.yaml"):
        text = blueprint.read_text(encoding="utf-8")
        assert f'min_version: "{tested_version}"' in text, blueprint
    assert f"Home Assistant {tested_version} or newer" in (ROOT / "README.md").read_text("utf-8")


def test_english_translation_is_strings_json() -> None:
    strings = (INTEGRATION / "strings.json").read_text(encoding="utf-8")
    assert (INTEGRATION / "translations" / "en.json").read_text(encoding="utf-8") == strings
    # Custom integrations get no build step that would resolve core's [%key:...] references.
    assert "[%key:" not in strings


def test_every_icon_has_a_translated_entity() -> None:
    entities = load_json(INTEGRATION / "strings.json")["entity"]
    icons = load_json(INTEGRATION / "icons.json")["entity"]
    for platform, keys in icons.items():
        assert set(keys) <= set(entities[platform]), platform


def test_quality_scale_names_every_rule_once() -> None:
    scale = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text(encoding="utf-8"))
    rules = scale["rules"]
    expected = {rule for tier in RULES.values() for rule in tier.split()}
    assert len(expected) == 54
    assert set(rules) == expected
    for rule, status in rules.items():
        if isinstance(status, dict):
            assert status["status"] in {"exempt", "todo"}, rule
            assert status["comment"], rule
        else:
            assert status in {"done", "todo"}, rule


def test_brand_icon_is_a_256_pixel_png() -> None:
    header = (INTEGRATION / "brand" / "icon.png").read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", header[16:24]) == (256, 256)


async def test_the_brand_icon_is_served_by_home_assistant(
    hass: HomeAssistant, hass_client: ClientSessionGenerator
) -> None:
    # Home Assistant serves a custom integration's brand/ images itself (since 2026.3), falling
    # back to icon.png for the sizes and themes the folder does not have.
    assert await async_setup_component(hass, "brands", {})
    client = await hass_client()
    icon = (INTEGRATION / "brand" / "icon.png").read_bytes()
    for image in ("icon.png", "icon@2x.png", "dark_icon.png", "logo.png", "dark_logo@2x.png"):
        answer = await client.get(f"/api/brands/integration/haul/{image}")
        assert answer.status == 200, image
        assert await answer.read() == icon, image


def test_units_are_the_2026_enums() -> None:
    # Home Assistant 2026.7 deprecated the bare PERCENTAGE constant for UnitOfRatio.PERCENTAGE.
    sources = "".join(path.read_text("utf-8") for path in INTEGRATION.glob("*.py"))
    assert "import PERCENTAGE" not in sources
    assert " PERCENTAGE," not in sources
