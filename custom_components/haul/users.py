"""Who acts: the Home Assistant user behind a call, named in the engine's audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from homeassistant.exceptions import ServiceValidationError, UnknownUser

from .const import DOMAIN

if TYPE_CHECKING:
    from homeassistant.core import Context, HomeAssistant

DEFAULT_ACTOR = "home assistant"


@dataclass(frozen=True, slots=True)
class Caller:
    """The user a change is made for, as the engine's audit trail names them."""

    name: str
    is_admin: bool
    wants_answer: bool = False  # an action called for its response data

    def require_admin(self, action: str) -> None:
        """Refuse a destructive action to a user who is not an administrator."""
        if not self.is_admin:
            raise ServiceValidationError(
                translation_domain=DOMAIN,
                translation_key="admin_only",
                translation_placeholders={"user": self.name, "action": action},
            )


async def caller_of(
    hass: HomeAssistant, context: Context | None, *, wants_answer: bool = False
) -> Caller:
    """Name the user of a call; a call no user made (an automation, a script) acts as HA itself.

    As Home Assistant's own admin services do, a call without a user is trusted: whoever wrote
    the automation could change it.
    """
    user_id = context.user_id if context is not None else None
    if user_id is None:
        return Caller(DEFAULT_ACTOR, is_admin=True, wants_answer=wants_answer)
    user = await hass.auth.async_get_user(user_id)
    if user is None:
        raise UnknownUser(context=context, user_id=user_id)
    return Caller(user.name or DEFAULT_ACTOR, is_admin=user.is_admin, wants_answer=wants_answer)
