"""The base of every engine capability."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from haul_engine.engine import Engine


class Controller:
    """A capability owned by the Engine: set up at start, closed at stop, commands on it."""

    feature: ClassVar[str]

    def __init__(self, engine: Engine) -> None:
        """Keep the engine to reach settings, database, events and sibling controllers."""
        self.engine = engine

    async def setup(self) -> None:
        """Start the capability (after the database is ready)."""

    async def close(self) -> None:
        """Persist what is in flight and stop."""

    def counts(self) -> dict[str, int]:
        """Numbers shown in the system summary."""
        return {}

    def problems(self) -> list[str]:
        """Say what makes the engine degraded right now."""
        return []
