"""Errors a command may raise; each maps to an HTTP status and a stable code."""

from __future__ import annotations

from typing import Any, ClassVar


class EngineError(Exception):
    """An error the API reports to its caller as it is."""

    status: ClassVar[int] = 500
    code: ClassVar[str] = "internal_error"
    details: dict[str, Any] | None = None  # what a caller needs to act on it, per code

    def shape(self) -> dict[str, Any]:
        """Return the error as the API answers it: code, message and the details it has."""
        error: dict[str, Any] = {"code": self.code, "message": str(self)}
        if self.details is not None:
            error["details"] = self.details
        return {"error": error}


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


class Ambiguous(Conflict):
    """The caller named something that matches several things: details list them."""

    code = "ambiguous"

    def __init__(self, message: str, **details: Any) -> None:  # noqa: ANN401 - JSON values
        """Keep what the caller may choose from."""
        super().__init__(message)
        self.details = details


class Unavailable(EngineError):
    """Something the command needs is not reachable now."""

    status = 503
    code = "unavailable"


class DiskFull(Unavailable):
    """The database could not be written: its disk is full."""

    code = "disk_full"
