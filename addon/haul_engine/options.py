"""Engine-wide runtime options kept in the database: the auto-pick delay, the default profile."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

from pydantic import BaseModel, Field

from haul_engine.commands import api_command
from haul_engine.controller import Controller
from haul_engine.db.models import ENGINE_META, EngineMeta
from haul_engine.errors import InvalidInput, NotFound
from haul_engine.releases.profiles import DEFAULT_PROFILE

if TYPE_CHECKING:
    from haul_engine.engine import Engine

PREFIX = "option:"
Hours = Annotated[float, Field(ge=0, le=10_000)]


class EngineOptions(BaseModel):
    """Hours before a request's best candidate is auto-picked (0 = never); the fallback profile."""

    auto_pick_hours: Hours
    default_profile: str


class OptionsController(Controller):
    """Serves /options; stored values win over the start settings."""

    feature = "options"

    def __init__(self, engine: Engine) -> None:
        """Start from the start settings until setup reads the stored values."""
        super().__init__(engine)
        self.current = EngineOptions(
            auto_pick_hours=engine.settings.request_auto_pick_hours,
            default_profile=DEFAULT_PROFILE,
        )

    async def setup(self) -> None:
        """Read the stored options."""
        async with self.engine.database.session() as tx:
            rows = await ENGINE_META.all(tx, "WHERE key LIKE :prefix", {"prefix": PREFIX + "%"})
        stored = {row.key.removeprefix(PREFIX): json.loads(row.value) for row in rows}
        self.current = EngineOptions.model_validate(self.current.model_dump() | stored)

    @api_command("options/get", path="/options")
    async def get(self) -> EngineOptions:
        """Show the engine-wide options."""
        return self.current

    @api_command("options/set", method="PUT", path="/options")
    async def set(
        self, auto_pick_hours: Hours | None = None, default_profile: str | None = None
    ) -> EngineOptions:
        """Change the options given.

        default_profile names an existing quality profile, by id or name (else 400); it is
        stored by its id.
        """
        changes: dict[str, float | str] = {}
        if auto_pick_hours is not None:
            changes["auto_pick_hours"] = auto_pick_hours
        if default_profile is not None:
            try:
                changes["default_profile"] = (
                    await self.engine.releases.profiles.get(default_profile)
                ).id
            except NotFound as err:
                msg = f"default_profile: {err}"
                raise InvalidInput(msg) from None
        async with self.engine.database.session() as tx:
            for name, value in changes.items():
                row = EngineMeta(key=PREFIX + name, value=json.dumps(value))
                await ENGINE_META.upsert(tx, row, ["value"])
        self.current = self.current.model_copy(update=changes)
        return self.current
