"""hassfest's checks of a custom integration, rebuilt on the installed Home Assistant."""

# hassfest (script/hassfest of home-assistant/core) is in neither the homeassistant wheel nor its
# sdist, and CI cannot download it. Each test mirrors one of its plugins as
# `python -m script.hassfest --integration-path custom_components/haul` runs it: the schemas that
# live only in hassfest are rebuilt here, everything else comes from the installed HA.

from __future__ import annotations

import ast
import json
import re
from importlib import import_module, resources
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import probatio as vol
import pytest
from homeassistant import config_entries, loader
from homeassistant.const import Platform
from homeassistant.core import DOMAIN as HOMEASSISTANT_DOMAIN
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers import selector, service
from homeassistant.requirements import DISCOVERY_INTEGRATIONS
from homeassistant.util.yaml import load_yaml_dict
from probatio.humanize import humanize_error

from custom_components.haul.const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from homeassistant.core import HomeAssistant

INTEGRATION = Path(__file__).parents[2] / "custom_components" / DOMAIN
TRANSLATION_KEY = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
URL = re.compile(r"\b(?:[a-z][a-z0-9+.-]*://|www\.)[^\s/$.?#]", re.IGNORECASE)
# Integrations that are always there, so using them needs no dependency (hassfest's list).
ALWAYS_USABLE = {
    *("alert", "automation", "conversation", "default_config", "device_automation", "frontend"),
    *("group", "homeassistant", "input_boolean", "input_button", "input_datetime", "input_number"),
    *("input_select", "input_text", "media_source", "mjpeg", "onboarding", "panel_custom"),
    *("persistent_notification", "person", "script", "shopping_list", "stream", "sun"),
    *("system_health", "system_log", "timer", "webhook", "websocket_api", "zone"),
    *(platform.value for platform in Platform),
}


def load_json(name: str) -> dict[str, Any]:
    return json.loads((INTEGRATION / name).read_text(encoding="utf-8"))


def check(schema: Callable[[Any], Any], data: object, name: str) -> None:
    """Fail with every place where data does not fit the schema, as hassfest reports them."""
    try:
        schema(data)
    except vol.Invalid as err:
        problems = humanize_error(data, err)
    else:
        return
    pytest.fail(f"Invalid {name}: {problems}", pytrace=False)


def translation_key(value: object) -> str:
    """A key the frontend can look up: [a-z0-9] words joined by single - or _."""
    if not isinstance(value, str) or not TRANSLATION_KEY.fullmatch(value):
        msg = f"invalid translation key {value!r}: [a-z0-9-_]+, no -/_ at either end or twice"
        raise vol.Invalid(msg)
    return value


def text(value: object) -> str:
    """A translated string as hassfest of 2026 takes it."""
    string = cv.string_with_no_html(value)
    placeholders = re.findall(r"\{([^{}]*)\}", string.replace("{{", "").replace("}}", ""))
    for broken, msg in (
        (re.search(r"'\{\w+\}'", string), "placeholders may not be inside single quotes"),
        (re.search(r".\[%|%\].", string), "a reference must be the whole string"),
        (string != string.strip(), "no leading or trailing spaces"),
        (URL.search(string), "no URLs: pass them in as description placeholders"),
        (
            any(not re.fullmatch(r"[A-Za-z_]\w*", name, re.ASCII) for name in placeholders),
            "placeholders must be identifiers ([A-Za-z_][A-Za-z0-9_]*)",
        ),
    ):
        if broken:
            raise vol.Invalid(msg)
    return string


def fixed_text(value: object) -> str:
    """A state, attribute or unit string: HA fills no placeholders in those."""
    string = text(value)
    if re.search(r"\{[^{}]*\}", string.replace("{{", "").replace("}}", "")):
        msg = "no placeholders in a state, attribute or unit"
        raise vol.Invalid(msg)
    return string


def mdi(value: object) -> str:
    """An icon of Material Design Icons."""
    icon = cv.string_with_no_html(value)
    if not icon.startswith("mdi:"):
        msg = "icons need to be Material Design Icons and start with mdi:"
        raise vol.Invalid(msg)
    return icon


def keyed(value: object, key: Callable[[Any], str] = translation_key) -> Callable[[Any], Any]:
    return cv.schema_with_slug_keys(value, slug_validator=key)


def described_data_only(flow: dict[str, Any]) -> dict[str, Any]:
    """Every data_description belongs to a field of its step."""
    for step_id, step in flow["step"].items():
        if stray := set(step.get("data_description", {})) - set(step.get("data", {})):
            msg = f"step {step_id}: data_description {sorted(stray)} not in data"
            raise vol.Invalid(msg)
    return flow


def flow_strings(*, subentry: bool = False) -> Callable[[Any], Any]:
    """The strings of a config, options, subentry or repair flow."""
    texts = {str: text}
    fields = {vol.Optional("data"): texts, vol.Optional("data_description"): texts}
    labels = {vol.Optional("name"): text, vol.Optional("description"): text}
    step = {
        **{vol.Optional(key): text for key in ("title", "description", "submit")},
        **{vol.Optional(key): texts for key in ("menu_options", "menu_option_descriptions")},
        vol.Optional("sections"): {str: {**labels, **fields}},
        **fields,
    }
    schema: dict[Any, Any] = {
        vol.Optional("flow_title"): text,
        vol.Required("step"): {str: step},
        **{vol.Optional(key): texts for key in ("error", "abort", "progress", "create_entry")},
    }
    if subentry:
        schema[vol.Required("entry_type")] = text
        schema[vol.Required("initiate_flow")] = {
            vol.Required("user"): text,
            vol.Optional("reconfigure"): text,
        }
    return vol.All(schema, described_data_only)


TEXTS = keyed(text)
STATES = keyed(fixed_text)
STRINGS = vol.Schema(
    {
        vol.Optional("title"): text,
        vol.Optional("common"): keyed(text, cv.slug),
        vol.Optional("config"): flow_strings(),
        vol.Optional("options"): flow_strings(),
        vol.Optional("config_subentries"): keyed(flow_strings(subentry=True), cv.slug),
        vol.Optional("selector"): keyed(
            {
                vol.Optional("choices"): TEXTS,
                vol.Optional("fields"): keyed(
                    {vol.Optional(key): text for key in ("name", "description")}
                ),
                vol.Optional("options"): TEXTS,
                vol.Optional("unit_of_measurement"): TEXTS,
            },
            vol.Any("_", cv.slug),
        ),
        vol.Optional("device"): keyed({vol.Optional("name"): text}),
        vol.Optional("entity"): keyed(
            keyed(
                {
                    vol.Optional("name"): text,
                    vol.Optional("state"): STATES,
                    vol.Optional("state_attributes"): keyed(
                        {vol.Optional("name"): fixed_text, vol.Optional("state"): STATES}
                    ),
                    vol.Optional("unit_of_measurement"): fixed_text,
                }
            ),
            cv.slug,
        ),
        vol.Optional("exceptions"): keyed({vol.Optional("message"): text}, cv.slug),
        vol.Optional("issues"): {
            str: vol.All(
                cv.has_at_least_one_key("description", "fix_flow"),
                {
                    vol.Required("title"): text,
                    vol.Exclusive("description", "fixable"): text,
                    vol.Exclusive("fix_flow", "fixable"): flow_strings(),
                },
            )
        },
        vol.Optional("services"): keyed(
            {
                vol.Required("name"): text,
                vol.Required("description"): text,
                vol.Optional("fields"): keyed(
                    {
                        vol.Required("name"): text,
                        vol.Required("description"): text,
                        vol.Optional("example"): text,
                    }
                ),
                vol.Optional("sections"): keyed(
                    {vol.Required("name"): text, vol.Optional("description"): text}
                ),
            }
        ),
        vol.Optional("system_health"): {vol.Optional("info"): TEXTS},
        vol.Optional("device_automation"): {
            vol.Optional(key): {str: text}
            for key in ("action_type", "condition_type", "trigger_type", "trigger_subtype")
        },
        vol.Optional("application_credentials"): {vol.Optional("description"): text},
    }
)


def no_state_as_default(icons: dict[str, Any]) -> dict[str, Any]:
    """A state icon that repeats the default icon is dead weight."""
    for key, icon in icons.items():
        for state, state_icon in icon.get("state", {}).items():
            if state_icon == icon.get("default"):
                msg = f"{key}.state.{state} is the default icon again"
                raise vol.Invalid(msg)
    return icons


STATE_ICONS = keyed(mdi)
FLOW_ICONS = {"step": {str: {"section": {str: mdi}}}}
ENTITY_ICON = {
    vol.Optional("default"): mdi,
    vol.Optional("state"): STATE_ICONS,
    vol.Optional("state_attributes"): vol.All(
        keyed({vol.Optional("default"): mdi, vol.Optional("state"): STATE_ICONS}),
        no_state_as_default,
    ),
    vol.Optional("range"): {str: mdi},
}
ICONS = vol.Schema(
    {
        vol.Optional("entity"): keyed(vol.All(keyed(ENTITY_ICON), no_state_as_default), cv.slug),
        vol.Optional("services"): keyed(
            {vol.Required("service"): mdi, vol.Optional("sections"): STATE_ICONS}
        ),
        vol.Optional("config"): FLOW_ICONS,
        vol.Optional("options"): FLOW_ICONS,
        vol.Optional("config_subentries"): keyed(FLOW_ICONS, cv.slug),
        vol.Optional("issues"): {str: {"fix_flow": FLOW_ICONS}},
    }
)


def exists(value: object) -> object:
    """A value that YAML did not leave empty."""
    if value is None:
        msg = "Value cannot be None"
        raise vol.Invalid(msg)
    return value


def unique_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """A field name is used once in an action, sections included."""
    names = [name for key, field in fields.items() for name in (field or {}).get("fields", [key])]
    if repeated := sorted({name for name in names if names.count(name) > 1}):
        msg = f"Duplicate use of field {repeated} in service"
        raise vol.Invalid(msg)
    return fields


def action_schema(*, targeted: bool) -> vol.Schema:
    """An action of services.yaml; custom integrations may label it there."""
    labels = {vol.Optional("name"): str, vol.Optional("description"): str}
    field: dict[Any, Any] = {
        **labels,
        vol.Optional("example"): exists,
        vol.Optional("default"): exists,
        vol.Optional("required"): bool,
        vol.Optional("advanced"): bool,
        vol.Optional("selector"): selector.validate_selector,
    }
    if targeted:  # a filter narrows the target, so only targeted actions have one
        field[vol.Optional("filter")] = {
            vol.Exclusive("attribute", "filter"): {
                vol.Required(str): [vol.All(str, service.validate_attribute_option)]
            },
            vol.Exclusive("supported_features", "filter"): [
                vol.All(str, service.validate_supported_feature)
            ],
        }
    section = {**labels, vol.Optional("collapsed"): bool, vol.Required("fields"): {str: field}}
    action: dict[Any, Any] = {
        **labels,
        vol.Optional("fields"): vol.All({str: vol.Any(field, section)}, unique_fields),
    }
    if targeted:
        action[vol.Required("target")] = selector.TargetSelector.CONFIG_SCHEMA
    return vol.Schema(action)


# Unlike HA's own loader, hassfest drops no `.hidden` keys of a custom integration: every key
# is an action, so a YAML anchor is defined where it is first used.
SERVICES = vol.Schema(
    {cv.slug: vol.Any(action_schema(targeted=True), action_schema(targeted=False), None)}
)


def documentation_url(url: str) -> str:
    """A custom integration documents itself over https, not on home-assistant.io's pages."""
    if not url.startswith("https://"):
        msg = "Documentation url is not prefixed with https"
        raise vol.Invalid(msg)
    if url.startswith("https://www.home-assistant.io/integrations"):
        msg = "Documentation of a custom integration is not on home-assistant.io"
        raise vol.Invalid(msg)
    return url


MANIFEST = vol.Schema(
    {
        vol.Required("domain"): str,
        vol.Required("name"): str,
        vol.Required("codeowners"): [vol.Match(r"^@[\w-]+(/[\w-]+)?$")],
        vol.Required("documentation"): vol.All(vol.Url(), documentation_url),
        vol.Required("iot_class"): vol.In(
            [
                "assumed_state",
                "calculated",
                "cloud_polling",
                "cloud_push",
                "local_polling",
                "local_push",
            ]
        ),
        vol.Required("version"): str,
        vol.Optional("integration_type"): vol.In(
            ["device", "entity", "hardware", "helper", "hub", "service", "system"]
        ),
        vol.Optional("issue_tracker"): vol.Url(),
        vol.Optional("quality_scale"): vol.In(
            ["bronze", "silver", "gold", "platinum", "internal", "legacy"]
        ),
        **{vol.Optional(key): bool for key in ("config_flow", "import_executor")},
        vol.Optional("single_config_entry"): bool,
        **{
            vol.Optional(key): [str]
            for key in ("after_dependencies", "dependencies", "loggers", "mqtt", "requirements")
        },
        **{vol.Optional(key): [dict] for key in ("bluetooth", "dhcp", "ssdp", "usb")},
        vol.Optional("zeroconf"): [vol.Any(str, dict)],
        vol.Optional("homekit"): {vol.Optional("models"): [str]},
        vol.Optional("disabled"): str,
    }
)


def components_used(node: ast.AST) -> Iterator[str]:
    """The integrations a module imports, outside `if TYPE_CHECKING:` blocks."""
    if isinstance(node, ast.If) and isinstance(node.test, ast.Name):
        if node.test.id == "TYPE_CHECKING":
            return
    elif isinstance(node, ast.ImportFrom) and node.module == "homeassistant.components":
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module:
        yield from re.findall(r"^homeassistant\.components\.(\w+)", node.module)
    elif isinstance(node, ast.Import):
        for alias in node.names:
            yield from re.findall(r"^homeassistant\.components\.(\w+)", alias.name)
    for child in ast.iter_child_nodes(node):
        yield from components_used(child)


def top_level_names(node: ast.stmt) -> Iterator[str]:
    """The names a module-level statement defines, assigns or imports."""
    if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
        yield node.name
    elif isinstance(node, ast.Import | ast.ImportFrom):
        yield from (alias.asname or alias.name for alias in node.names)
    elif isinstance(node, ast.Assign | ast.AnnAssign):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        yield from (target.id for target in targets if isinstance(target, ast.Name))


async def test_manifest(hass: HomeAssistant) -> None:
    """hassfest manifest.py; the key order is test_metadata's."""
    manifest = load_json("manifest.json")
    check(MANIFEST, manifest, "manifest.json")
    assert manifest["domain"] == INTEGRATION.name, "Domain does not match dir name"
    assert find_spec(f"homeassistant.components.{DOMAIN}") is None, "Domain collides with core"
    # HA's loader blocks a custom integration whose version is missing or not a version.
    integration = await loader.async_get_integration(hass, DOMAIN)
    assert not integration.is_built_in
    assert str(integration.version) == manifest["version"]


def fields_of(action: dict[str, Any] | None) -> Iterator[tuple[str | None, str, dict[str, Any]]]:
    """Each field of an action as (its section or None, its name, its schema)."""
    for key, value in ((action or {}).get("fields") or {}).items():
        if "fields" in value:
            yield from ((key, name, field) for name, field in value["fields"].items())
        else:
            yield None, key, value


def action_problems(name: str, action: dict[str, Any] | None, strings: dict[str, Any]) -> list[str]:
    """What an action of services.yaml lacks in labels and translations."""
    action, translated = action or {}, strings.get("services", {}).get(name, {})
    fields, sections = translated.get("fields", {}), translated.get("sections", {})
    schemas = list(fields_of(action))
    labelled = [
        (name, action, translated, ("name", "description")),
        *((f"{name} section {key}", action["fields"][key], sections.get(key, {}), ("name",))
          for key in {section for section, _, _ in schemas if section}),
        *((f"{name} field {key}", schema, fields.get(key, {}), ("name", "description"))
          for _, key, schema in schemas),
    ]  # fmt: skip
    problems = [
        f"{where} has no {label} in services.yaml or translations/en.json"
        for where, yaml, translation, labels in labelled
        for label in labels
        if label not in yaml and label not in translation
    ]
    problems += [
        f"{name} field {key} is translated but not in services.yaml"
        for key in set(fields) - {key for _, key, _ in schemas}
    ]
    selectors = {
        key: (schema.get("selector") or {}).get("select") or {} for _, key, schema in schemas
    }
    problems += [
        f"{name} field {key}: selector {select['translation_key']} is not translated"
        for key, select in selectors.items()
        if select.get("translation_key", "") not in {"", *strings.get("selector", {})}
    ]
    return problems


def test_services() -> None:
    """hassfest services.py, with the labels it asks only of core integrations."""
    actions = load_yaml_dict(str(INTEGRATION / "services.yaml"))
    check(SERVICES, actions, "services.yaml")
    # hassfest reads a custom integration's labels from translations/en.json, as HA shows them.
    strings = load_json("translations/en.json")
    problems = [
        problem
        for name, action in actions.items()
        for problem in action_problems(name, action, strings)
    ]
    assert not problems, problems


@pytest.mark.parametrize("name", ["strings.json", "translations/en.json"])
def test_translations(name: str) -> None:
    """hassfest translations.py, which checks both files of a custom integration."""
    check(STRINGS, load_json(name), name)


def test_icons() -> None:
    """hassfest icons.py, HA's pylint check that every icon exists, and an icon per action."""
    icons = load_json("icons.json")
    check(ICONS, icons, "icons.json")
    icon_list = resources.files("hass_frontend") / "static" / "mdi" / "iconList.json"
    known = {icon["name"] for icon in json.loads(icon_list.read_text(encoding="utf-8"))}
    unknown = sorted(set(re.findall(r'"mdi:([^"]+)"', json.dumps(icons))) - known)
    assert not unknown, f"not among the frontend's Material Design Icons: {unknown}"
    actions = load_yaml_dict(str(INTEGRATION / "services.yaml"))
    assert set(icons.get("services", {})) == set(actions), "an icon per action, as core has"


async def test_config_schema(hass: HomeAssistant) -> None:
    """hassfest config_schema.py, and what the schema does with YAML it does not take."""
    init = ast.parse((INTEGRATION / "__init__.py").read_text(encoding="utf-8"))
    names = {name for node in init.body for name in top_level_names(node)}
    if names & {"setup", "async_setup"}:
        assert names & {"CONFIG_SCHEMA", "PLATFORM_SCHEMA", "PLATFORM_SCHEMA_BASE"}, (
            "Integrations which implement 'async_setup' or 'setup' must define a CONFIG_SCHEMA"
        )
    yaml = {DOMAIN: {"url": "http://127.0.0.1:8765"}}
    assert import_module(f"custom_components.{DOMAIN}").CONFIG_SCHEMA(yaml) == yaml
    issue = ir.async_get(hass).async_get_issue(HOMEASSISTANT_DOMAIN, f"config_entry_only_{DOMAIN}")
    assert issue is not None, "YAML under haul: is ignored without a repair"


def test_config_flow() -> None:
    """hassfest config_flow.py, per discovery step, with HA's own list of discovery sources."""
    source_file = INTEGRATION / "config_flow.py"
    assert load_json("manifest.json").get("config_flow", False) == source_file.is_file(), (
        "Config flows need to be defined in the file config_flow.py"
    )
    import_module(f"custom_components.{DOMAIN}.config_flow")
    assert DOMAIN in config_entries.HANDLERS, "config_flow.py registers no flow of the domain"
    source = source_file.read_text(encoding="utf-8")
    sources = config_entries.DISCOVERY_SOURCES - {config_entries.SOURCE_IMPORT}
    steps = {f"async_step_{source}" for source in sources}
    unsure = [
        node.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.AsyncFunctionDef) and node.name in steps
        and not re.search(
            r"self\.async_set_unique_id|_async_handle_discovery_without_unique_id",
            ast.get_source_segment(source, node) or "",
        )
    ]  # fmt: skip
    assert not unsure, f"Config flows that are discoverable need to set a unique ID: {unsure}"


async def test_dependencies(hass: HomeAssistant) -> None:
    """hassfest dependencies.py; HA's loader then resolves them (each exists, none circular)."""
    manifest = load_json("manifest.json")
    needed, wanted = manifest.get("dependencies", []), manifest.get("after_dependencies", [])
    allowed = (
        ALWAYS_USABLE
        | {DOMAIN, *needed, *wanted}
        | {domain for domain, keys in DISCOVERY_INTEGRATIONS.items() if set(keys) & set(manifest)}
    )
    undeclared = sorted(
        f"{path.relative_to(INTEGRATION)} uses {domain}"
        for path in INTEGRATION.rglob("*.py")
        for domain in set(components_used(ast.parse(path.read_text(encoding="utf-8"))))
        # using a platform this integration provides (sensor.py) needs no dependency
        if domain not in allowed and not (INTEGRATION / f"{domain}.py").is_file()
    )
    assert not undeclared, f"not in 'dependencies' or 'after_dependencies': {undeclared}"
    assert not set(needed) & set(wanted), "in both dependencies and after_dependencies"
    integration = await loader.async_get_integration(hass, DOMAIN)
    assert await integration.resolve_dependencies() is not None, "a missing or circular dependency"
