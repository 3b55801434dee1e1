"""The OpenAPI 3.1 document, generated from the command registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue

from haul_engine import __version__
from haul_engine.commands import INT64
from haul_engine.events import SUBJECTS
from haul_engine.requests.views import TitleMatch

if TYPE_CHECKING:
    from pydantic_core import core_schema

    from haul_engine.commands import Command, CommandRegistry

BODY_METHODS = {"POST", "PUT", "PATCH"}
NO_NUL = "^[^\\x00]*$"
# HH:MM[:SS[.fraction]] with an optional offset: what pydantic reads as a time of day
TIME_OF_DAY = (
    r"^([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.,][0-9]+)?)?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):?[0-5][0-9])?$"
)
REF_TEMPLATE = "#/components/schemas/{model}"
TITLE_MATCH = REF_TEMPLATE.format(model="TitleMatch")
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "details": {
                    "type": "object",
                    "description": "what the caller needs to act on the error, per code "
                    "(`ambiguous`: `candidates`, the works a request's query matches)",
                    "properties": {
                        "candidates": {"type": "array", "items": {"$ref": TITLE_MATCH}},
                    },
                },
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}
# the kind of object an event is about -> the schema of its view (a command's result as well)
OBJECT_SCHEMAS = {
    "torrent": "TorrentInfo",
    "transfer": "TransferInfo",
    "system": "SystemStatus",
    "request": "RequestView",
    "connector": "ConnectorView",
    "library": "ConnectorSummary",
    "queue": "SearchQueue",
    "indexer": "IndexerStatus",
}


class _Schemas(GenerateJsonSchema):
    """Pydantic's JSON Schemas, saying what the engine refuses beyond a field's own rules.

    Every argument's integer holds in 64 bits and its text has no NUL (what any database
    column holds; `commands` refuses the rest), and times read as pydantic reads them.
    """

    def int_schema(self, schema: core_schema.IntSchema) -> JsonSchemaValue:
        """Describe an integer; an argument's holds in 64 bits."""
        json_schema = super().int_schema(schema)
        if self.mode == "validation":
            if not {"minimum", "exclusiveMinimum"} & json_schema.keys():
                json_schema["minimum"] = INT64.start
            if not {"maximum", "exclusiveMaximum"} & json_schema.keys():
                json_schema["maximum"] = INT64.stop - 1
        return json_schema

    def str_schema(self, schema: core_schema.StringSchema) -> JsonSchemaValue:
        """Describe a string; an argument's has no NUL (a pattern of its own must refuse it)."""
        json_schema = super().str_schema(schema)
        if self.mode == "validation" and "pattern" not in json_schema:
            json_schema["pattern"] = NO_NUL
        return json_schema

    def time_schema(self, schema: core_schema.TimeSchema) -> JsonSchemaValue:  # noqa: ARG002
        """Describe a time of day by pattern: format "time" demands an offset naive times lack."""
        return {"type": "string", "pattern": TIME_OF_DAY}


def openapi_document(registry: CommandRegistry, prefix: str) -> dict[str, Any]:
    """Describe every REST route of every command."""
    schemas: dict[str, Any] = {
        "Error": ERROR_SCHEMA,
        "TitleMatch": TitleMatch.model_json_schema(mode="serialization"),
    }
    paths: dict[str, dict[str, Any]] = {}
    for command in registry.commands.values():
        paths.setdefault(prefix + command.spec.path, {})[command.spec.method.lower()] = _operation(
            command, schemas
        )
    schemas["Event"] = _event_schema()
    return {
        "openapi": "3.1.0",
        "info": {"title": "Haul engine", "version": __version__},
        "security": [{"bearer": []}],
        "paths": paths,
        "x-events": {
            name.value: {
                "object": kind,
                "data": {"$ref": REF_TEMPLATE.format(model=OBJECT_SCHEMAS[kind])}
                if kind
                else {"type": "object"},
            }
            for name, kind in SUBJECTS.items()
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Error": {
                    "description": "An error with a stable code and a message",
                    "content": {
                        "application/json": {"schema": {"$ref": REF_TEMPLATE.format(model="Error")}}
                    },
                },
            },
            "schemas": schemas,
        },
    }


def _event_schema() -> dict[str, Any]:
    """Describe the envelope of the events the WebSocket streams after `subscribe`."""
    return {
        "type": "object",
        "description": "An event: `data` is the view of its object as of `object.revision` "
        "(x-events names each event's object and data); a notice has no object.",
        "properties": {
            "type": {"const": "event"},
            "event": {"enum": [name.value for name in SUBJECTS]},
            "object": {
                "oneOf": [
                    {"type": "null"},
                    {
                        "type": "object",
                        "properties": {
                            "kind": {"enum": sorted(OBJECT_SCHEMAS)},
                            "id": {"type": ["string", "integer", "null"]},
                            "revision": {"type": "integer", "minimum": 1},
                        },
                        "required": ["kind", "id", "revision"],
                    },
                ]
            },
            "data": {"type": "object"},
            "at": {"type": "string", "format": "date-time"},
        },
        "required": ["type", "event", "object", "data", "at"],
    }


def _operation(command: Command, schemas: dict[str, Any]) -> dict[str, Any]:
    """One operation object; nested models are hoisted into components.schemas.

    A model both read and answered is described as it is read (what an answer holds obeys it too).
    """
    result = _hoist(
        command.result.json_schema(
            mode="serialization", ref_template=REF_TEMPLATE, schema_generator=_Schemas
        ),
        schemas,
    )
    if result.get("title") in OBJECT_SCHEMAS.values():  # an event's data: x-events names it
        schemas.setdefault(result["title"], result)
    args = _hoist(
        command.args_model.model_json_schema(ref_template=REF_TEMPLATE, schema_generator=_Schemas),
        schemas,
    )
    properties: dict[str, Any] = args.get("properties", {})
    required = set(args.get("required", []))
    path_params = command.path_params
    parameters = [
        {"name": name, "in": "path", "required": True, "schema": properties[name]}
        for name in path_params
    ]
    rest = {name: value for name, value in properties.items() if name not in path_params}
    error = {"$ref": "#/components/responses/Error"}
    operation: dict[str, Any] = {
        "operationId": command.spec.name.replace("/", "_"),
        "summary": command.summary,
        **({"description": command.description} if command.description else {}),
        "x-websocket-command": command.spec.name,
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {"schema": result}}},
            "400": error,
            # 404, 409, 503, ...: which errors a command raises is not in its signature
            "default": error,
        },
    }
    if command.spec.method in BODY_METHODS and rest:
        body = {
            "type": "object",
            "properties": rest,
            "required": sorted(required & rest.keys()),
            "additionalProperties": False,
        }
        if command.spec.rules:
            body["allOf"] = [rule.schema() for rule in command.spec.rules]
        operation["requestBody"] = {
            "required": bool(required & rest.keys() or command.spec.rules),
            "content": {"application/json": {"schema": body}},
        }
    else:
        parameters += [
            {"name": name, "in": "query", "required": name in required, "schema": value}
            for name, value in rest.items()
        ]
    if parameters:
        operation["parameters"] = parameters
    if command.spec.auth:
        operation["responses"]["401"] = error
    else:
        operation["security"] = []
    return operation


def _hoist(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Move a schema's $defs into the shared components."""
    schemas.update(schema.pop("$defs", {}))
    return schema
