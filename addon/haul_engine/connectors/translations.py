"""Write the Home Assistant integration's connector form labels from the connector kinds.

    python -m haul_engine.connectors.translations [--check] [--integration custom_components/haul]

Home Assistant shows a form's labels only from the integration's translations, and a custom
integration cannot share them between sub-entry types, so each kind's steps repeat them. This
writes the `config_subentries` part of `strings.json` and of `translations/en.json` (the same file)
from the kinds as `GET /connectors/kinds` describes them: a kind's title names its flows, each
setting's `title` is its label and its `description` its help, a nested object of settings is a
section, a setting's titled values are its dropdown's options (`selector.settings_<path>`), a map's
key and value titles label its fields. The webhook step explains, per category, what to paste into
the app. Everything else in `strings.json` is written by hand and kept as it is. `--check` changes
nothing and exits with 1 when the files differ from what this would write.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import haul_engine.engine  # noqa: F401 - registers every kind
from haul_engine.connectors.kinds import (
    CHOICES,
    CONNECTOR_CHOICES,
    KindView,
    get_kind,
    registered_kinds,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

SELECTOR_PREFIX = "settings"  # the generated selector translations: settings_<path>
FILES = ("strings.json", "translations/en.json")
CONNECTION = {
    "name": ("Name", "How Haul and Home Assistant call this connector; unique in the engine."),
    "url": ("URL", "Address of {kind} as the Haul engine reaches it."),
    "api_key": ("API key", "The API key of {kind} (for Plex, its token)."),
    "verify_ssl": (
        "Verify the TLS certificate",
        "Refuse a certificate that cannot be verified (https only).",
    ),
}
ERRORS = {
    "cannot_connect": "Cannot reach the Haul engine: {error}",
    "test_failed": "The connection test failed: {error}",
    "name_taken": "The Haul engine already has a connector named “{name}”; it shows as its own "
    "device of this Haul entry. Choose another name, or change that connector instead.",
    "invalid_settings": "The Haul engine refused these settings: {error}",
}
ABORTS = {
    "reconfigure_successful": "Re-configuration was successful",
    "engine_not_loaded": "The Haul engine is not connected; try again once it is.",
}
REACH = "{app} must reach this address; use the engine's host IP when it runs elsewhere."
WEBHOOK_STEPS = {
    "arr": "Optional: with it, Haul updates its library a few seconds after each import instead "
    "of at the next scheduled sync. In {app}, open Settings → Connect → + → Webhook, choose "
    "{events}, then fill in:\n\n- URL: `{{url}}`\n- Method: POST\n- Username: `haul`\n- Password: "
    "`{{secret}}`\n\n" + REACH,
    "request": "In {app}, open Settings → Notifications → Webhook, enable it, choose {events}, "
    "then paste:\n\n- Webhook URL: `{{url}}`\n- Authorization header: `{{secret}}`\n\n" + REACH,
}
# shown again on reconfigure, to paste into the app once more
RECONFIGURE_WEBHOOK = {
    "arr": "\n\n{app}'s webhook (Settings → Connect):\n\n- URL: `{{url}}`\n- Username: `haul`"
    "\n- Password: `{{secret}}`",
    "request": "\n\n{app}'s webhook (Settings → Notifications → Webhook):\n\n- Webhook URL: "
    "`{{url}}`\n- Authorization header: `{{secret}}`",
}


def kind_views() -> list[KindView]:
    """Describe every registered kind as GET /connectors/kinds does (listed values aside)."""
    return [kind.view() for name in registered_kinds() if (kind := get_kind(name))]


def subentry_strings(views: Iterable[KindView]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Make the `config_subentries` translations and the settings' `selector` translations."""
    selectors: dict[str, Any] = {}
    flows = {view.name: _flow(view, selectors) for view in views}
    return flows, dict(sorted(selectors.items()))


def _flow(view: KindView, selectors: dict[str, Any]) -> dict[str, Any]:
    fields = _fields(view.settings_schema, (), selectors)
    data = {name: label for name, (label, _) in CONNECTION.items()} | fields["data"]
    help_texts = {name: text for name, (_, text) in CONNECTION.items()} | fields["data_description"]
    form: dict[str, Any] = {"data": data, "data_description": help_texts}
    if fields["sections"]:
        form["sections"] = fields["sections"]
    # settings whose values the app lists are asked once the connector exists (the choices step)
    listed = [
        n for n, field in view.settings_schema["properties"].items() if CONNECTOR_CHOICES in field
    ]
    first = {part: {n: text for n, text in form[part].items() if n not in listed}
             for part in ("data", "data_description")}  # fmt: skip
    steps: dict[str, Any] = {
        "user": {
            "title": f"Add {view.title}",
            "description": f"Haul tests the connection to {view.title} before adding it.",
            **form,
            **first,
        },
        "reconfigure": {
            "title": f"Change {view.title}",
            "description": "Leave the API key and the secrets empty to keep the current ones."
            + (
                RECONFIGURE_WEBHOOK[view.category].format(app=view.title)
                if view.webhook is not None
                else ""
            ),
            **form,
        },
    }
    if listed:
        steps["choices"] = {
            "title": f"Choose from {view.title}",
            "description": f"Haul added “{{name}}”; these are listed from {view.title}.",
            **{part: {n: form[part][n] for n in listed} for part in ("data", "data_description")},
        }
    if view.webhook is not None:
        steps["webhook"] = {
            "title": f"Connect {view.title}'s webhook",
            "description": _webhook_text(view, view.webhook.events),
        }
    return {
        "initiate_flow": {"user": f"Add {view.title}"},
        "entry_type": view.title,
        "step": steps,
        "error": ERRORS,
        "abort": ABORTS,
    }


def _webhook_text(view: KindView, events: Sequence[str]) -> str:
    template = WEBHOOK_STEPS.get(view.category)
    if template is None:
        msg = f"{view.name}: no webhook instructions for {view.category} apps in WEBHOOK_STEPS"
        raise ValueError(msg)
    listed = f"{', '.join(events[:-1])} and {events[-1]}" if len(events) > 1 else "".join(events)
    return template.format(app=view.title, events=listed)


def _fields(
    schema: dict[str, Any], path: tuple[str, ...], selectors: dict[str, Any]
) -> dict[str, Any]:
    """Label every setting; at the top, a nested object of settings is a section of its own."""
    data: dict[str, str] = {}
    help_texts: dict[str, str] = {}
    sections: dict[str, Any] = {}
    for name, field in schema["properties"].items():
        value = _value(field)
        where = (*path, name)
        if not path and value.get("type") == "object" and "properties" in value:
            inner = _fields(value, where, selectors)
            sections[name] = {
                "name": _text(field, "title", where),
                "description": _text(field, "description", where),
            }
            sections[name] |= {"data": inner["data"], "data_description": inner["data_description"]}
            continue
        data[name] = _text(field, "title", where)
        help_texts[name] = _text(field, "description", where)
        _selector(where, field, value, selectors)
    return {"data": data, "data_description": help_texts, "sections": sections}


def _selector(
    path: tuple[str, ...], field: dict[str, Any], value: dict[str, Any], selectors: dict[str, Any]
) -> None:
    """Translate a setting's titled values, or a map's key and value labels."""
    items = _value(value.get("items", {})) if value.get("type") == "array" else value
    if "oneOf" in items and CHOICES not in field:
        made: dict[str, Any] = {"options": {str(o["const"]): o["title"] for o in items["oneOf"]}}
    elif isinstance(value.get("additionalProperties"), dict):
        made = {
            "fields": {
                "key": {"name": _text(value.get("propertyNames", {}), "title", (*path, "key"))},
                "value": {"name": _text(value["additionalProperties"], "title", (*path, "value"))},
            }
        }
    else:
        return
    key = "_".join((SELECTOR_PREFIX, *path))
    if selectors.setdefault(key, made) != made:
        msg = f"selector {key}: kinds give the setting {'.'.join(path)} different values"
        raise ValueError(msg)


def _value(field: dict[str, Any]) -> dict[str, Any]:
    """Return the schema of a setting's value: its one branch besides null (X | None)."""
    branches = [branch for branch in field.get("anyOf", []) if branch.get("type") != "null"]
    return {**field, **branches[0]} if len(branches) == 1 else field


def _text(field: dict[str, Any], key: str, path: Sequence[str]) -> str:
    text = field.get(key)
    if not isinstance(text, str) or not text:
        msg = f"setting {'.'.join(path)} has no {key}: give its Field one"
        raise ValueError(msg)
    return text


def updated(strings: dict[str, Any], views: Iterable[KindView]) -> dict[str, Any]:
    """Replace the generated parts of strings.json, keeping the rest and its order."""
    flows, selectors = subentry_strings(views)
    kept = {
        key: value
        for key, value in strings.get("selector", {}).items()
        if not key.startswith(f"{SELECTOR_PREFIX}_")
    }
    return strings | {"config_subentries": flows, "selector": kept | selectors}


def render(strings: dict[str, Any]) -> str:
    """Write translations as the integration's files are written."""
    return json.dumps(strings, indent=2, ensure_ascii=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check, compare) the integration's strings.json and translations/en.json."""
    parser = argparse.ArgumentParser(
        prog="python -m haul_engine.connectors.translations",
        description="Write the connector forms' labels of the Home Assistant integration.",
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 on a difference"
    )
    parser.add_argument(
        "--integration", type=Path, default=Path("custom_components/haul"), help="its folder"
    )
    arguments = parser.parse_args(argv)
    folder: Path = arguments.integration
    source = (folder / FILES[0]).read_text(encoding="utf-8")
    wanted = render(updated(json.loads(source), kind_views()))
    stale = [name for name in FILES if (folder / name).read_text(encoding="utf-8") != wanted]
    if arguments.check:
        for name in stale:
            message = f"{folder / name} differs from the connector kinds: run {parser.prog}"
            print(message, file=sys.stderr)  # noqa: T201 - the command's output
        return 1 if stale else 0
    for name in stale:
        (folder / name).write_text(wanted, encoding="utf-8")
        print(f"wrote {folder / name}")  # noqa: T201 - the command's output
    return 0


if __name__ == "__main__":
    sys.exit(main())
