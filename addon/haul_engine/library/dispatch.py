"""The dispatcher: send a search command, follow it to its end, record it, update the registry."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING

from haul_engine.arr.client import ArrError, ArrRateLimitedError
from haul_engine.library import registry
from haul_engine.library.models import SEARCH_HISTORY, SearchHistory

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from haul_engine.arr.apps import AppClient
    from haul_engine.arr.kinds import ThrottleLimits
    from haul_engine.db.database import Database
    from haul_engine.library.planner import Batch

_LOGGER = logging.getLogger(__name__)
TERMINAL = frozenset({"completed", "failed", "aborted", "cancelled", "orphaned"})
# every *arr ends a search command's message so: "Episode search completed. 2 reports downloaded."
DOWNLOADED = re.compile(r"(\d+) reports? downloaded", re.IGNORECASE)


def classify(status: str, message: str) -> str:
    """Name how a search command ended: grabbed, no_results, timed_out or arr_error."""
    if status == "completed":
        found = DOWNLOADED.search(message)
        return "grabbed" if found and int(found[1]) > 0 else "no_results"
    if status in {"timeout", "lost"}:
        return "timed_out"
    return "arr_error"


class Clock:
    """Wall-clock time, the local zone and sleeping; tests pass a clock they move by hand."""

    def __init__(self, zone: tzinfo = UTC) -> None:
        """Keep the zone schedules and the daily budget follow (Home Assistant's)."""
        self.zone = zone

    def local(self, moment: datetime) -> datetime:
        """Return the moment in the local zone."""
        return moment.astimezone(self.zone)

    def now(self) -> datetime:
        """Return the current time, timezone-aware."""
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        """Wait."""
        await asyncio.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Settled:
    """How a search ended, and the items it left exhausted."""

    history_id: int
    outcome: str
    exhausted: list[int]


@dataclass(frozen=True, slots=True)
class Outcome:
    """How one search ended."""

    history_id: int
    status: str
    command_id: int | None
    outcome: str = ""


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
        on_settled: Callable[[Settled], Awaitable[None]] | None = None,
    ) -> None:
        """Bind to one connector; on_settled hears how each search ended."""
        self.database = database
        self.client = client
        self.connector_id = connector_id
        self.clock = clock
        self.poll_interval = poll_interval
        self.poll_timeout = poll_timeout
        self.on_settled = on_settled

    async def send(self, batch: Batch, limits: ThrottleLimits) -> Outcome:
        """Record the search as being sent, send it, and note the *arr's command id."""
        async with self.database.session() as tx:
            history = await SEARCH_HISTORY.insert(tx, SearchHistory(
                connector_id=self.connector_id, command=batch.command, body=batch.body,
                item_ids=batch.item_ids, cost=batch.cost, status="sending",
                started_at=self.clock.now(),
            ))  # fmt: skip
            await tx.execute(
                "UPDATE library_searches SET state = 'searching', history_id = :history_id"
                " WHERE item_id IN :item_ids",
                {"history_id": history.id, "item_ids": batch.item_ids},
            )
        try:
            answer = await self.client.command(batch.command, **batch.body)
        except ArrRateLimitedError as err:  # nothing searched: wait as long as the *arr asked
            retry_at = self.clock.now() + timedelta(seconds=max(err.retry_after, 60.0))
            await self._finish(
                history.id, "unsent", str(err), limits, counted=False,
                outcome="rate_limited", retry_at=retry_at,
            )  # fmt: skip
            return Outcome(history.id, "unsent", None, "rate_limited")
        except ArrError as err:
            # a command that may have reached the *arr counts as sent, so it is not repeated
            status = "lost" if err.maybe_received else "unsent"
            outcome = "timed_out" if err.maybe_received else "arr_error"
            await self._finish(
                history.id, status, str(err), limits, counted=err.maybe_received, outcome=outcome
            )
            return Outcome(history.id, status, None, outcome)
        command_id = int(answer.get("id") or 0)
        async with self.database.session() as tx:
            await tx.execute(
                "UPDATE library_search_history SET status = 'started', arr_command_id = :command_id"
                " WHERE id = :id",
                {"id": history.id, "command_id": command_id},
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
        outcome = classify(status, message)
        await self._finish(history_id, status, message, limits, counted=True, outcome=outcome)
        return outcome

    async def _finish(  # noqa: PLR0913 - one finished search
        self,
        history_id: int,
        status: str,
        message: str,
        limits: ThrottleLimits,
        *,
        counted: bool,
        outcome: str,
        retry_at: datetime | None = None,
    ) -> None:
        """Record the end of a search; an unsent one costs nothing and counts no attempt."""
        now = self.clock.now()
        async with self.database.session() as tx:
            await tx.execute(
                "UPDATE library_search_history SET status = :status, message = :message,"
                " ended_at = :now, outcome = :outcome,"
                " cost = CASE WHEN :unsent THEN 0 ELSE cost END WHERE id = :id",
                {"id": history_id, "status": status, "message": message[:2000], "now": now,
                 "outcome": outcome, "unsent": status == "unsent"},
            )  # fmt: skip
            exhausted = await registry.settle(
                tx, history_id, limits, now, outcome=outcome, counted=counted,
                retry_at=retry_at,
            )  # fmt: skip
        _LOGGER.debug("search %d ended: %s (%s) %s", history_id, status, outcome, message)
        if self.on_settled is not None:
            await self.on_settled(Settled(history_id, outcome, exhausted))
