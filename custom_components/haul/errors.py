"""Engine calls made on a user's behalf, their failures raised as translated HA errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import HaulCommandError, HaulError
from .const import DOMAIN

if TYPE_CHECKING:
    from collections.abc import Awaitable, Mapping

# engine error codes that mean the caller asked for something wrong, not that something broke
CALLER_ERRORS = {"not_found": "not_found", "invalid_input": "rejected", "conflict": "rejected"}
# the engine lacks the command: no such route or method (an older engine answered a bare 404)
MISSING_ROUTE = {"unknown_route", "method_not_allowed", "404"}


class AmbiguousTitle(ServiceValidationError):
    """A title matching several works: the candidates to choose from (by year or id)."""

    def __init__(self, candidates: list[dict[str, Any]]) -> None:
        """Name the candidates in the message; keep them for the caller."""
        super().__init__(
            translation_domain=DOMAIN,
            translation_key="ambiguous",
            translation_placeholders={"choices": ", ".join(map(title_and_year, candidates))},
        )
        self.candidates = candidates


def title_and_year(work: Mapping[str, object]) -> str:
    """Name a work or request with its year, when it has one (and its title does not say it)."""
    title, year = str(work.get("title") or ""), work.get("year")
    return f"{title} ({year})" if year and not title.endswith(f"({year})") else title


async def call_engine[T](call: Awaitable[T]) -> T:
    """Await an engine command; raise ServiceValidationError or HomeAssistantError with a reason."""
    try:
        return await call
    except HaulCommandError as err:
        if err.code == "ambiguous":
            raise AmbiguousTitle(list(err.details.get("candidates") or [])) from err
        placeholders = {"error": err.message, "command": err.command}
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
