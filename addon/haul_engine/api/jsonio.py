"""Fast JSON in and out of the API."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from haul_engine.errors import InvalidInput


def loads(text: str | bytes) -> Any:  # noqa: ANN401 - any JSON value
    """Parse strictly; else JSONDecodeError.

    Strictly: UTF-8, no NaN or Infinity, no number beyond a double's range, no lone surrogate,
    at most 1024 levels deep (deeper is refused before any recursion could overflow).
    """
    return orjson.loads(text)


async def read_json(request: web.Request) -> Any:  # noqa: ANN401 - any JSON value
    """Return a request's body parsed strictly (InvalidInput saying why it is not JSON)."""
    try:
        return loads(await request.read())
    except orjson.JSONDecodeError as err:
        msg = f"body is not valid JSON: {err}"
        raise InvalidInput(msg) from None


def text_value(text: str) -> Any:  # noqa: ANN401 - any JSON value
    """Read a query or path value as the JSON scalar it spells (`true`, `12`), else as text."""
    try:
        return loads(text)
    except orjson.JSONDecodeError:
        return text


def dumps(value: Any) -> str:  # noqa: ANN401 - any JSON-ready value
    """Serialise to a str."""
    return orjson.dumps(value).decode()


def json_response(value: Any, status: int = 200) -> web.Response:  # noqa: ANN401 - any JSON-ready value
    """Build an application/json response."""
    return web.Response(body=orjson.dumps(value), status=status, content_type="application/json")


def error_response(status: int, code: str, message: str) -> web.Response:
    """Build the one error shape of the API."""
    return json_response({"error": {"code": code, "message": message}}, status)
