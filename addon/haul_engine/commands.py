"""One registry of commands serving REST, WebSocket and the OpenAPI document."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, get_type_hints

import orjson
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, create_model

from haul_engine.errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Mapping

HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
_MARK = "__haul_command__"
_PATH_PARAM = re.compile(r"{(\w+)}")
# What every database column can hold: SQLite and PostgreSQL integers have 64 bits, and
# PostgreSQL text cannot hold NUL.
INT64 = range(-(2**63), 2**63)
_JSON_TYPES = {
    str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null",
    list: "array", dict: "object",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ExactlyOne:
    """A rule across arguments: exactly one of them is given (present and not null)."""

    names: tuple[str, ...]

    def problem(self, values: Mapping[str, Any]) -> str | None:
        """Say how the validated arguments break the rule, or None."""
        if sum(values.get(name) is not None for name in self.names) == 1:
            return None
        return f"give exactly one of {', '.join(self.names[:-1])} or {self.names[-1]}"

    def schema(self) -> dict[str, Any]:
        """State the rule in JSON Schema, for the request body."""
        return {
            "oneOf": [
                {"required": [name], "properties": {name: {"not": {"type": "null"}}}}
                for name in self.names
            ]
        }


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """How a command is reached: its WebSocket name and its REST method and path."""

    name: str
    method: HttpMethod
    path: str
    auth: bool = True
    rules: tuple[ExactlyOne, ...] = ()


def api_command[F: Callable[..., Awaitable[Any]]](
    name: str,
    *,
    method: HttpMethod = "GET",
    path: str | None = None,
    auth: bool = True,
    rules: tuple[ExactlyOne, ...] = (),
) -> Callable[[F], F]:
    """Mark a controller method as a command; path is relative to /api/v1.

    rules are checked across the arguments (after each is valid) and stated in the OpenAPI
    document's request body.
    """

    def mark(function: F) -> F:
        setattr(function, _MARK, CommandSpec(name, method, path or f"/{name}", auth, rules))
        return function

    return mark


class Command:
    """A registered command: its spec and handler; its argument model and result adapter.

    The models are built at the first call (or when the OpenAPI document is asked for): an
    engine builds only the validators of the commands it serves (measured: 1.4 MiB of an idle
    engine's memory when all were built at start).
    """

    def __init__(self, spec: CommandSpec, handler: Callable[..., Awaitable[Any]]) -> None:
        """Keep the spec and handler; read summary and description from its docstring."""
        self.spec = spec
        self.handler = handler
        summary, _, description = (inspect.getdoc(handler) or spec.name).partition("\n")
        self.summary = summary
        self.description = (
            description.strip()
        )  # the rest of the docstring: what the schema cannot say

    @cached_property
    def args_model(self) -> type[BaseModel]:
        """The model of the arguments, derived from the handler's signature."""
        hints = get_type_hints(self.handler, include_extras=True)
        fields: dict[str, Any] = {}
        for name, parameter in inspect.signature(self.handler).parameters.items():
            default = ... if parameter.default is inspect.Parameter.empty else parameter.default
            fields[name] = (hints[name], default)
        model_name = "".join(part.title() for part in re.split(r"[/_]", self.spec.name)) + "Args"
        return create_model(model_name, __config__=ConfigDict(extra="forbid"), **fields)

    @cached_property
    def result(self) -> TypeAdapter[Any]:
        """The adapter that makes the handler's result JSON-ready."""
        return TypeAdapter(get_type_hints(self.handler, include_extras=True).get("return", Any))

    @cached_property
    def arg_types(self) -> Mapping[str, frozenset[str]]:
        """The JSON types each argument takes."""
        schema = self.args_model.model_json_schema()
        return {
            name: _json_types(field, schema.get("$defs", {}))
            for name, field in schema["properties"].items()
        }

    @property
    def path_params(self) -> list[str]:
        """Names taken from the REST path."""
        return _PATH_PARAM.findall(self.spec.path)

    def takes_text(self, name: str) -> bool:
        """Whether a query or path value of the argument (or of its items) is text to keep."""
        return "string" in self.arg_types.get(name, {"string"})

    def takes_list(self, name: str) -> bool:
        """Whether the argument is a list (a query parameter given once is one item)."""
        return "array" in self.arg_types.get(name, ())

    async def call(self, args: Mapping[str, Any]) -> Any:  # noqa: ANN401 - any JSON value
        """Validate JSON args strictly, run the handler and return its JSON-ready result.

        Strictly as JSON reads: a number is no boolean, a string no number, true no 1; times,
        dates and enumerations are read from their JSON text. As in JSON Schema, 2.0 is the
        integer 2.
        """
        try:
            document = orjson.dumps({name: _integral(value) for name, value in args.items()})
        except orjson.JSONEncodeError as err:  # an integer beyond 64 bits, from inside the engine
            raise InvalidInput(str(err)) from None
        try:
            parsed = self.args_model.model_validate_json(document, strict=True)
        except ValidationError as err:
            raise InvalidInput(_describe(err)) from None
        values = {name: getattr(parsed, name) for name in type(parsed).model_fields}
        for name, value in values.items():
            problem = _unstorable(value)
            if problem:
                msg = f"{name}: {problem}"
                raise InvalidInput(msg)
        for rule in self.spec.rules:
            if problem := rule.problem(values):
                raise InvalidInput(problem)
        result = await self.handler(**values)
        return self.result.dump_python(result, mode="json")


class CommandRegistry:
    """Every command of every controller, by name."""

    def __init__(self) -> None:
        """Start empty."""
        self.commands: dict[str, Command] = {}

    def register(self, owner: object) -> None:
        """Register each method of owner marked with @api_command."""
        for attribute in dir(type(owner)):
            spec = getattr(getattr(type(owner), attribute), _MARK, None)
            if isinstance(spec, CommandSpec):
                self.add(spec, getattr(owner, attribute))

    def add(self, spec: CommandSpec, handler: Callable[..., Awaitable[Any]]) -> None:
        """Register one handler, deriving its argument model from its signature."""
        if spec.name in self.commands:
            msg = f"command {spec.name} registered twice"
            raise ValueError(msg)
        self.commands[spec.name] = Command(spec, handler)

    async def call(self, name: str, args: Mapping[str, Any]) -> Any:  # noqa: ANN401 - any JSON value
        """Run a command by name."""
        command = self.commands.get(name)
        if command is None:
            msg = f"unknown command {name!r}"
            raise NotFound(msg)
        return await command.call(args)


def _integral(value: Any) -> Any:  # noqa: ANN401 - any JSON value
    """Return the JSON value with each whole number (2.0) an int, as JSON Schema counts it."""
    if isinstance(value, float) and value.is_integer() and INT64.start <= value < INT64.stop:
        return int(value)
    if isinstance(value, list):
        return [_integral(item) for item in value]
    if isinstance(value, dict):
        return {key: _integral(item) for key, item in value.items()}
    return value


def _unstorable(value: object) -> str | None:
    """Why a validated argument could not be stored or looked up in a database, or None."""
    if isinstance(value, str):
        return "text may not contain the NUL character" if "\x00" in value else None
    if isinstance(value, int) and not isinstance(value, bool):
        return None if value in INT64 else "integer out of range (64 bits)"
    if isinstance(value, BaseModel):
        items: list[object] = [getattr(value, name) for name in type(value).model_fields]
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = list(value)
    else:
        return None
    return next((problem for item in items if (problem := _unstorable(item))), None)


def _json_types(schema: Mapping[str, Any], definitions: Mapping[str, Any]) -> frozenset[str]:
    """Return the JSON types a schema admits, an array's items' ones included."""
    if "$ref" in schema:
        return _json_types(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions)
    found: set[str] = set()
    declared = schema.get("type", [])
    found.update([declared] if isinstance(declared, str) else declared)
    values = [*schema.get("enum", []), *([schema["const"]] if "const" in schema else [])]
    found.update(_JSON_TYPES[type(value)] for value in values)
    parts = [*schema.get("anyOf", ()), *schema.get("oneOf", ())]
    for part in [*parts, schema["items"]] if "items" in schema else parts:
        found |= _json_types(part, definitions)
    return frozenset(found)


def _describe(err: ValidationError) -> str:
    """Say what is wrong with the arguments in one line."""
    problems = []
    for error in err.errors():
        where = ".".join(str(part) for part in error["loc"]) or "body"
        problems.append(f"{where}: {error['msg']}")
    return "; ".join(problems)
