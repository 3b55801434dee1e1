"""The dispatcher: send a search command, follow it to its end, record it, update the registry."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import update

from haul_engine.arr.client import ArrError
from haul_engine.library import registry
from haul_engine.library.models import Search, SearchHistory

if TYPE_CHECKING:
    from haul_engine.arr.apps import AppClient
    from haul_engine.arr.kinds import ThrottleLimits
    from haul_engine.db.database import Database
    from haul_engine.library.planner import Batch

_LOGGER = logging.getLogger(__name__)
TERMINAL = frozenset({"completed", "failed", "aborted", "cancelled", "orphaned"})


class Clock:
    """Wall-clock time and sleeping; tests pass a clock they move by hand."""

    def now(self) -> datetime:
        """Return the current time, timezone-aware."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait."""
        await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one search ended."""

    history_id: int
    status: str
    command_id: int | None


class Dispatcher:
    """Sends searches for one connector."""

    def __init__(  # noqa: PLR0913 - everything a dispatch touches
        self,
        database: Database,
        client: AppClient,
        connector_id: str,
        clock: Clock,
        *,
        poll_interval: float = 2.0,
        poll_timeout: float = 900.0,
    ) -> None:
        """Bind to one connector."""
        self.database = database
        self.client = client
        self.connector_id = connector_id
        self.clock = clock
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout

    async def send(self, batch: Batch, limits: ThrottleLimits) -> Outcome:
        """Record the search as being sent, send it, and note the *arr's command id."""
        async with self.database.session() as session, session.begin():
            history = SearchHistory(
                connector_id=self.connector_id, command=batch.command, body=batch.body,
                item_ids=batch.item_ids, cost=batch.cost, status="sending",
                started_at=self.clock.now(),
            )  # fmt: skip
            session.add(history)
            await session.flush()
            await session.execute(
                update(Search)
                .where(Search.item_id.in_(batch.item_ids))
                .values(state="searching", history_id=history.id)
            )
        try:
            answer = await self.client.command(batch.command, **batch.body)
        except ArrError as err:
            # a command that may have reached the *arr counts as sent, so it is not repeated
            status = "lost" if err.maybe_received else "unsent"
            await self._finish(history.id, status, str(err), limits, counted=err.maybe_received)
            return Outcome(history.id, status, None)
        command_id = int(answer.get("id") or 0)
        async with self.database.session() as session, session.begin():
            await session.execute(
                update(SearchHistory)
                .where(SearchHistory.id == history.id)
                .values(status="started", arr_command_id=command_id)
            )
        return Outcome(history.id, "started", command_id)

    async def follow(self, history_id: int, command_id: int, limits: ThrottleLimits) -> str:
        """Poll the command until it ends (or the timeout), then settle its items."""
        waited = 0.0
        status, message = "timeout", "the command did not finish in time"
        while waited <= self.poll_timeout:
            try:
                answer = await self.client.command_status(command_id)
            except ArrError as err:
                message = str(err)
            else:
                if answer.get("status") in TERMINAL:
                    status, message = str(answer["status"]), str(answer.get("message") or "")
                    break
            await self.clock.sleep(self.poll_interval)
            waited += self.poll_interval
        await self._finish(history_id, status, message, limits, counted=True)
        return status

    async def _finish(
        self, history_id: int, status: str, message: str, limits: ThrottleLimits, *, counted: bool
    ) -> None:
        """Record the end of a search; an unsent one costs nothing and counts no attempt."""
        now = self.clock.now()
        async with self.database.session() as session, session.begin():
            await session.execute(
                update(SearchHistory)
                .where(SearchHistory.id == history_id)
                .values(status=status, message=message[:2000], ended_at=now,
                        cost=SearchHistory.cost if status != "unsent" else 0)
            )  # fmt: skip
            failure = None if status == "completed" else status
            await registry.settle(
                session, history_id, limits, now, failure=failure, counted=counted
            )
        _LOGGER.debug("search %d ended: %s %s", history_id, status, message)
