"""Request parameters read the way qBittorrent reads them, and its error answers."""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from multidict import MultiDict

    from haul_engine.settings import Settings
    from haul_engine.torrents.controller import TorrentsController

type Handler = Callable[[Params], Awaitable[object]]
type Endpoints = dict[str, tuple[Handler, bool]]  # action -> (handler, changes something)

_INTEGER = re.compile(r"^[+-]?[0-9]{1,19}$")
INT32 = 2**31 - 1


class ApiError(Exception):
    """An answer other than 200: qBittorrent's status and plain-text body."""

    def __init__(self, status: int, text: str) -> None:
        """Keep status and text."""
        super().__init__(text)
        self.status = status
        self.text = text


def bad_params(text: str = "Bad Request") -> ApiError:
    """400: missing or unusable parameters (qBittorrent answers an empty message so)."""
    return ApiError(400, text)


def conflict(text: str) -> ApiError:
    """409."""
    return ApiError(409, text)


def not_found() -> ApiError:
    """404 as qBittorrent answers it for an unknown torrent."""
    return ApiError(404, "Not Found")


def invalid(name: str) -> ApiError:
    """400 naming the parameter, in qBittorrent's words."""
    return bad_params(f"'{name}': invalid argument")


class Params:
    """The query and form values of one request (form values win) and its uploaded files."""

    def __init__(self, values: MultiDict[Any]) -> None:
        """Wrap the merged values."""
        self.values = values

    def __contains__(self, key: str) -> bool:
        """Whether the parameter was sent at all."""
        return key in self.values

    def require(self, *keys: str) -> None:
        """400 unless every key was sent (qBittorrent's requireParams)."""
        if any(key not in self.values for key in keys):
            raise bad_params()

    def text(self, key: str, default: str = "") -> str:
        """Return the parameter as text (the last one sent wins, as in a form)."""
        values = [value for value in self.values.getall(key, []) if isinstance(value, str)]
        return values[-1] if values else default

    def files(self) -> list[web.FileField]:
        """Every uploaded file, whatever its field name (qBittorrent takes them all)."""
        return [value for value in self.values.values() if isinstance(value, web.FileField)]

    def flag(self, key: str) -> bool | None:
        """`true`/`false` (any case) as a bool; anything else, or nothing, is None."""
        value = self.text(key).strip().lower()
        return {"true": True, "false": False}.get(value)

    def number(self, key: str, default: float, low: float, high: float) -> float:
        """Return a finite number within [low, high]; 400 naming the parameter otherwise."""
        raw = self.text(key).strip()
        if not raw:
            return default
        try:
            value = float(raw)
        except ValueError:
            raise invalid(key) from None
        if not math.isfinite(value) or not low <= value <= high:
            raise invalid(key)
        return value

    def integer(self, key: str, default: int, low: int = -INT32, high: int = INT32) -> int:
        """Return a whole number within [low, high] (what the database and libtorrent hold)."""
        raw = self.text(key).strip()
        if not raw:
            return default
        number = self.whole_number(raw)
        if number is None or not low <= number <= high:
            raise invalid(key)
        return number

    @staticmethod
    def whole_number(text: str) -> int | None:
        """Read text as Qt's toInt does (ASCII digits, a sign, 32 bits), else None."""
        raw = text.strip()
        if not _INTEGER.match(raw) or not -INT32 - 1 <= int(raw) <= INT32:
            return None
        return int(raw)

    def ids(self, key: str) -> list[str]:
        """`a|b|c` split, empty parts dropped."""
        return [part.strip() for part in self.text(key).split("|") if part.strip()]


_ACTION = "__webapi_action__"


def action[F: Callable[..., Any]](*names: str, changes: bool = False) -> Callable[[F], F]:
    """Mark a Scope method as the handler of actions.

    Reads answer GET and POST, changes only POST (qBittorrent's rule).
    """

    def mark(function: F) -> F:
        setattr(function, _ACTION, (names, changes))
        return function

    return mark


class Scope:
    """One part of the WebAPI (app/, torrents/, ...) serving the torrents controller."""

    def __init__(self, torrents: TorrentsController, settings: Settings) -> None:
        """Serve the given controller, with the engine's settings."""
        self.torrents = torrents
        self.settings = settings

    def endpoints(self) -> Endpoints:
        """Every action of the scope with its handler."""
        found: Endpoints = {}
        for attribute in dir(type(self)):
            names, changes = getattr(getattr(type(self), attribute), _ACTION, ((), False))
            for name in names:
                found[name] = (getattr(self, attribute), changes)
        return found
