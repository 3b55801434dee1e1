"""Fast JSON in and out of the API."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web


def loads(text: str | bytes) -> Any:  # noqa: ANN401 - any JSON value
    """Parse strictly: no NaN, no lone surrogate, at most 1024 levels deep; else JSONDecodeError."""
    return orjson.loads(text)


def dumps(value: Any) -> str:  # noqa: ANN401 - any JSON-ready value
    """Serialise to a str."""
    return orjson.dumps(value).decode()


def json_response(value: Any, status: int = 200) -> web.Response:  # noqa: ANN401 - any JSON-ready value
    """Build an application/json response."""
    return web.Response(body=orjson.dumps(value), status=status, content_type="application/json")


def error_response(status: int, code: str, message: str) -> web.Response:
    """Build the one error shape of the API."""
    return json_response({"error": {"code": code, "message": message}}, status)
