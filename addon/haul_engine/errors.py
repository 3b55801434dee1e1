"""Errors a command may raise; each maps to an HTTP status and a stable code."""

from __future__ import annotations

from typing import ClassVar


class EngineError(Exception):
    """An error the API reports to its caller as it is."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"


class InvalidInput(EngineError):
    """The caller sent something unusable."""

    status = 400
    code = "invalid_input"


class Unauthorized(EngineError):
    """The caller did not prove who it is."""

    status = 401
    code = "unauthorized"


class NotFound(EngineError):
    """The named thing does not exist."""

    status = 404
    code = "not_found"


class Conflict(EngineError):
    """The request clashes with the current state."""

    status = 409
    code = "conflict"


class Unavailable(EngineError):
    """Something the command needs is not reachable now."""

    status = 503
    code = "unavailable"


class DiskFull(Unavailable):
    """The database could not be written: its disk is full."""

    code = "disk_full"
