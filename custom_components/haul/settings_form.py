"""A connector kind's settings as form fields, built from the engine's JSON schema, and back.

Booleans are switches; numbers boxes with the schema's bounds; values named by `oneOf` consts a
dropdown (labelled by the translations the generator writes, or by the engine's titles for values
another command lists); secrets password boxes that are never filled in; lists of text or numbers
text boxes taking several values; a map (a path map) a list of key/value objects; a nested object
(a custom throttle) a collapsed section. Only switches and dropdowns must hold a value: any other
field may be emptied (no auto-pick users), which means null or the engine's default. The engine
validates: the form only converts.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import probatio
from homeassistant.data_entry_flow import section
from homeassistant.helpers.selector import (
    BooleanSelector,
    NumberSelector,
    NumberSelectorConfig,
    NumberSelectorMode,
    ObjectSelector,
    ObjectSelectorConfig,
    ObjectSelectorField,
    SelectOptionDict,
    SelectSelector,
    SelectSelectorConfig,
    SelectSelectorMode,
    TextSelector,
    TextSelectorConfig,
    TextSelectorType,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .api import ConnectorKind

SECRET = "x-secret"  # noqa: S105 - the engine's mark of a write-only setting
CHOICES = "x-choices"  # the engine lists these values from another command, not translated
CONNECTOR_CHOICES = "x-connector-choices"  # the same, listed for one connector
PASSWORD = TextSelector(TextSelectorConfig(type=TextSelectorType.PASSWORD))
MAP_KEY, MAP_VALUE = "key", "value"
INTEGER = re.compile(r"[+-]?\d+")
type Schema = dict[str, Any]
type Path = tuple[str, ...]


class SettingsFormError(Exception):
    """Answers that are no settings (a key given twice); the message names the setting."""


def translation_key(path: Sequence[str]) -> str:
    """Name the translations of a setting's options or fields (the generator's rule too)."""
    return "_".join(("settings", *path))


def value_schema(schema: Schema) -> tuple[Schema, bool]:
    """Return the schema of a setting's value and whether it may be null (X | None)."""
    branches: list[Schema] | None = schema.get("anyOf")
    if not branches:
        return schema, False
    values = [branch for branch in branches if branch.get("type") != "null"]
    nullable = len(values) < len(branches)
    if len(values) != 1:
        return schema, nullable  # a union the form cannot take apart: edited as YAML
    own = {key: value for key, value in schema.items() if key != "anyOf"}
    return own | values[0], nullable


def is_section(value: Schema) -> bool:
    """Whether a setting is a nested object of named settings (shown as a section)."""
    return value.get("type") == "object" and "properties" in value


def is_map(value: Schema) -> bool:
    """Whether a setting maps free keys to values (a path map)."""
    return value.get("type") == "object" and isinstance(value.get("additionalProperties"), dict)


def is_choice(value: Schema) -> bool:
    """Whether a setting takes one of the values its schema lists."""
    return bool(value.get("oneOf")) and all("const" in option for option in value["oneOf"])


def form_fields(kind: ConnectorKind, values: Mapping[str, Any]) -> dict[probatio.Marker, Any]:
    """Build the settings' fields of a form; values (form-shaped) are their defaults."""
    fields: dict[probatio.Marker, Any] = {}
    for name, schema in kind.settings_schema["properties"].items():
        value, _ = value_schema(schema)
        if is_section(value):
            current = values.get(name) or {}
            inner = dict(
                _field(key, item, current, (name,)) for key, item in value["properties"].items()
            )
            fields[probatio.Required(name, default={})] = section(
                probatio.Schema(inner), {"collapsed": True}
            )
        else:
            marker, selector = _field(name, schema, values, ())
            fields[marker] = selector
    return fields


def _field(
    name: str, schema: Schema, values: Mapping[str, Any], path: Path
) -> tuple[probatio.Marker, Any]:
    value, nullable = value_schema(schema)
    current = values.get(name)
    if schema.get(SECRET):
        marker: probatio.Marker = probatio.Optional(name)  # empty keeps (or makes) it
    elif nullable or ("default" in schema and _may_be_emptied(value)):  # emptied: the default
        shown = {"suggested_value": current} if current is not None else None
        marker = probatio.Optional(name, description=shown)
    elif current is not None:
        marker = probatio.Required(name, default=current)
    elif "default" in schema:
        marker = probatio.Optional(name)  # left out: the engine keeps its value
    else:
        marker = probatio.Required(name)
    return marker, _selector((*path, name), schema, value)


def _may_be_emptied(value: Schema) -> bool:
    """Whether a field may be left empty: any but a switch or a dropdown (those always hold one)."""
    return value.get("type") != "boolean" and not is_choice(value) and not is_section(value)


def _selector(path: Path, schema: Schema, value: Schema) -> Any:  # noqa: ANN401, PLR0911 - one selector per JSON type
    kind = value.get("type")
    if schema.get(SECRET):
        return PASSWORD
    if is_choice(value):
        return _choose(path, schema, value["oneOf"])
    if kind == "boolean":
        return BooleanSelector()
    if kind in {"integer", "number"}:
        return _number(value)
    if kind == "string":
        return TextSelector()
    if kind == "array":
        items, _ = value_schema(value.get("items", {}))
        if is_choice(items):
            return _choose(path, schema, items["oneOf"], multiple=True)
        numbers = items.get("type") in {"integer", "number"}
        text = TextSelectorType.NUMBER if numbers else TextSelectorType.TEXT
        return TextSelector(TextSelectorConfig(type=text, multiple=True))
    if is_map(value):
        return _map(path, value)
    return ObjectSelector()


def _choose(
    path: Path, schema: Schema, options: list[Schema], *, multiple: bool = False
) -> SelectSelector:
    config = SelectSelectorConfig(
        options=[
            SelectOptionDict(
                value=str(option["const"]), label=str(option.get("title", option["const"]))
            )
            for option in options
        ],
        mode=SelectSelectorMode.DROPDOWN,
        multiple=multiple,
    )
    if CHOICES not in schema and CONNECTOR_CHOICES not in schema:
        # the engine's own values are translated; listed ones are names
        config["translation_key"] = translation_key(path)
    return SelectSelector(config)


def _number(value: Schema) -> NumberSelector:
    config = NumberSelectorConfig(
        mode=NumberSelectorMode.BOX, step=1 if value["type"] == "integer" else "any"
    )
    low = value.get("minimum", value.get("exclusiveMinimum"))
    high = value.get("maximum", value.get("exclusiveMaximum"))
    if low is not None:
        config["min"] = low
    if high is not None:
        config["max"] = high
    return NumberSelector(config)


def _map(path: Path, value: Schema) -> ObjectSelector:
    keys: Schema = value.get("propertyNames", {})
    entries: Schema = value["additionalProperties"]
    return ObjectSelector(
        ObjectSelectorConfig(
            fields={
                MAP_KEY: ObjectSelectorField(
                    selector=TextSelector(), required=True, label=keys.get("title", MAP_KEY)
                ),
                MAP_VALUE: ObjectSelectorField(
                    selector=_selector((*path, MAP_VALUE), entries, value_schema(entries)[0]),
                    required=True,
                    label=entries.get("title", MAP_VALUE),
                ),
            },
            multiple=True,
            label_field=MAP_KEY,
            description_field=MAP_VALUE,
            translation_key=translation_key(path),
        )
    )


def form_settings(kind: ConnectorKind, answers: Mapping[str, Any]) -> dict[str, Any]:
    """Turn a form's answers into the engine's settings; an empty secret is left out."""
    return _settings(kind.settings_schema, answers, ())


def _settings(parent: Schema, answers: Mapping[str, Any], path: Path) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    for name, schema in parent["properties"].items():
        value, nullable = value_schema(schema)
        if schema.get(SECRET):
            if answers.get(name):
                settings[name] = answers[name]
        elif name in answers:
            settings[name] = _setting((*path, name), value, answers[name])
        elif nullable:
            settings[name] = None  # emptied: the engine's default applies
        elif "default" in schema:
            settings[name] = schema["default"]  # emptied (a list of no users): the default
    return settings


def _setting(path: Path, value: Schema, answer: Any) -> Any:  # noqa: ANN401 - any JSON value
    if is_section(value) and isinstance(answer, dict):
        return _settings(value, answer, path)
    if value.get("type") == "integer":
        return _integer(answer)
    if value.get("type") == "array" and isinstance(answer, list):
        items, _ = value_schema(value.get("items", {}))
        texts = [item.strip() if isinstance(item, str) else item for item in answer]
        return [_setting(path, items, item) for item in texts if item != ""]
    if is_map(value) and isinstance(answer, list):
        return _mapping(path, value, answer)
    return answer


def _integer(answer: Any) -> Any:  # noqa: ANN401 - anything else is the engine's to refuse
    """Take 5.0 (a number box) or "5" (a text box) as 5."""
    if isinstance(answer, float) and answer.is_integer():
        return int(answer)
    if isinstance(answer, str) and INTEGER.fullmatch(answer.strip()):
        return int(answer)
    return answer


def _mapping(path: Path, value: Schema, entries: list[Any]) -> dict[str, Any]:
    mapping: dict[str, Any] = {}
    for entry in entries:
        key = str(entry.get(MAP_KEY, "")).strip() if isinstance(entry, dict) else ""
        if key in mapping:
            msg = f"{'.'.join(path)}: {key!r} is given twice"
            raise SettingsFormError(msg)
        answer = entry.get(MAP_VALUE, "") if isinstance(entry, dict) else ""
        mapping[key] = _setting(path, value["additionalProperties"], answer)
    return mapping


def form_values(kind: ConnectorKind, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Turn the engine's settings into what the form shows (secrets never)."""
    return _values(kind.settings_schema, settings)


def form_defaults(kind: ConnectorKind) -> dict[str, Any]:
    """Return what the form shows for a new connector: the engine's defaults."""
    properties: dict[str, Schema] = kind.settings_schema["properties"]
    return form_values(
        kind,
        {name: schema["default"] for name, schema in properties.items() if "default" in schema},
    )


def known_settings(kind: ConnectorKind, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Keep the settings the engine's kind has (stored ones may predate a change of the kind)."""
    return {
        key: value for key, value in settings.items() if key in kind.settings_schema["properties"]
    }


def _values(parent: Schema, settings: Mapping[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, schema in parent["properties"].items():
        if schema.get(SECRET) or settings.get(name) is None:
            continue
        value, _ = value_schema(schema)
        values[name] = _value(value, settings[name])
    return values


def _value(value: Schema, setting: Any) -> Any:  # noqa: ANN401 - any JSON value
    if is_section(value) and isinstance(setting, dict):
        return _values(value, setting)
    if is_map(value) and isinstance(setting, dict):
        entries = value_schema(value["additionalProperties"])[0]
        return [{MAP_KEY: key, MAP_VALUE: _value(entries, item)} for key, item in setting.items()]
    if value.get("type") == "array" and isinstance(setting, list):
        items, _ = value_schema(value.get("items", {}))
        return [item if is_choice(items) else str(item) for item in setting]
    if is_choice(value):
        return str(setting)  # a dropdown's values are text (a listed profile id too)
    return setting
