"""Engine calls made on a user's behalf, their failures raised as translated HA errors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import HaulCommandError, HaulError
from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Awaitable

# engine error codes that mean the caller asked for something wrong, not that something broke
CALLER_ERRORS = {"not_found": "not_found", "invalid_input": "rejected", "conflict": "rejected"}
# the engine lacks the command: no such route or method (an older engine answered a bare 404)
MISSING_ROUTE = {"unknown_route", "method_not_allowed", "404"}


async def call_engine[T](call: Awaitable[T]) -> T:
    """Await an engine command; raise ServiceValidationError or HomeAssistantError with a reason."""
    try:
        return await call
    except HaulCommandError as err:
        placeholders = {"error": str(err).split(": ", 1)[-1], "command": err.command}
        if err.code in MISSING_ROUTE:
            raise HomeAssistantError(
                translation_domain=DOMAIN,
                translation_key="unsupported",
                translation_placeholders=placeholders,
            ) from err
        if err.code in CALLER_ERRORS:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key=CALLER_ERRORS[err.code],
                translation_placeholders=placeholders,
            ) from err
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="command_failed",
            translation_placeholders=placeholders,
        ) from err
    except HaulError as err:
        raise HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="cannot_connect",
            translation_placeholders={"error": str(err)},
        ) from err
