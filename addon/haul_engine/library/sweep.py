"""One sweep of one connector: back-pressure, plan within budget, dispatch at the allowed pace."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from haul_engine.library import registry
from haul_engine.library.planner import MINUTE, allowance, plan, spent_today

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from haul_engine.arr.apps import AppClient
    from haul_engine.arr.client import Flavor
    from haul_engine.arr.kinds import ArrSettings
    from haul_engine.db.database import Database
    from haul_engine.library.dispatch import Clock, Dispatcher
    from haul_engine.library.planner import Batch

_LOGGER = logging.getLogger(__name__)
QUEUE_ITEM_KEYS = ("episodeId", "movieId", "albumId")


@dataclass
class SweepReport:
    """What one sweep did and why it stopped."""

    planned: int = 0
    dispatched: int = 0
    completed: int = 0
    failed: int = 0
    cost: int = 0
    commands: dict[str, int] = field(default_factory=dict)
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(registry.OUTCOMES, 0))
    stopped: str = "done"

    def as_event(self) -> dict[str, Any]:
        """Render as the sweep_completed event's counts."""
        return {
            "planned": self.planned, "dispatched": self.dispatched, "completed": self.completed,
            "failed": self.failed, "cost": self.cost, "commands": self.commands,
            "outcomes": self.outcomes, "stopped": self.stopped,
        }  # fmt: skip


@dataclass
class Sweeper:
    """Runs sweeps of one connector; paused(), on_dispatch() and refresh() come from the controller.

    refresh() brings the mirror up to date before planning (an incremental sync): what the user
    stopped monitoring since the last sync is then never searched.
    """

    database: Database
    client: AppClient
    dispatcher: Dispatcher
    connector_id: str
    flavor: Flavor
    clock: Clock
    paused: Callable[[], bool] = lambda: False
    on_dispatch: Callable[[Batch], Awaitable[None]] | None = None
    refresh: Callable[[], Awaitable[object]] | None = None

    async def arr_queue(self) -> tuple[int, set[int]]:
        """Size of the *arr's download queue and the ids of the items in it."""
        in_queue: set[int] = set()
        total = 0
        async for page in self.client.pages("/queue"):
            for record in page:
                total += 1
                in_queue.update(int(record[key]) for key in QUEUE_ITEM_KEYS if record.get(key))
        return total, in_queue

    async def run(self, settings: ArrSettings) -> SweepReport:
        """Plan what may be searched today and dispatch it, never above the throttle."""
        report = SweepReport()
        limits = settings.limits
        queued, in_queue = await self.arr_queue()
        if queued > settings.queue_limit:
            report.stopped = "queue_full"
            return report
        if self.refresh is not None:
            await self.refresh()
        now = self.clock.now()
        async with self.database.session() as tx:
            spent = await registry.spent(tx, self.connector_id, now)
            found = await registry.candidates(tx, self.connector_id, now, in_queue)
            seasons = (
                await registry.season_facts(tx, self.connector_id, now)
                if self.flavor == "series"
                else {}
            )
        budget = limits.searches_per_day - spent_today(spent, now, self.clock.zone)
        batches = plan(found, seasons, settings, self.flavor, budget)
        report.planned = len(batches)
        await self._mark([i for b in batches for i in b.item_ids], "queued", "pending")
        try:
            for batch in batches:
                if not await self._wait_for_allowance(settings, spent, batch.cost, report):
                    break
                if (await self.client.get("/queue/status")).get(
                    "totalCount", 0
                ) > settings.queue_limit:
                    report.stopped = "queue_full"
                    break
                outcome = await self.dispatcher.send(batch, limits)
                if outcome.command_id is None:
                    report.failed += 1
                    report.outcomes[outcome.outcome] += 1
                    report.stopped = (
                        "rate_limited" if outcome.outcome == "rate_limited" else "unreachable"
                    )
                    break
                spent.append((self.clock.now(), batch.cost))
                report.dispatched += 1
                report.cost += batch.cost
                report.commands[batch.command] = report.commands.get(batch.command, 0) + 1
                if self.on_dispatch is not None:
                    await self.on_dispatch(batch)
                ended = await self.dispatcher.follow(outcome.history_id, outcome.command_id, limits)
                report.outcomes[ended] += 1
                if ended in {"grabbed", "no_results"}:
                    report.completed += 1
                else:
                    report.failed += 1
        finally:
            await self._mark([i for b in batches for i in b.item_ids], "pending", "queued")
        if (
            report.stopped == "done"
            and spent_today(spent, self.clock.now(), self.clock.zone) >= limits.searches_per_day
        ):
            report.stopped = "daily_budget"
        return report

    async def _wait_for_allowance(
        self, settings: ArrSettings, spent: list[tuple[Any, int]], cost: int, report: SweepReport
    ) -> bool:
        """Sleep until cost fits the per-minute rate; False when paused or out of daily budget."""
        limits = settings.limits
        while True:
            if self.paused():
                report.stopped = "paused"
                return False
            now = self.clock.now()
            if limits.searches_per_day - spent_today(spent, now, self.clock.zone) < cost:
                report.stopped = "daily_budget"
                return False
            if allowance(limits, spent, now, self.clock.zone) >= cost:
                return True
            recent = [at for at, _ in spent if at > now - MINUTE]
            await self.clock.sleep(max((min(recent) + MINUTE - now).total_seconds(), 0.001))

    async def _mark(self, item_ids: list[int], state: str, only_from: str) -> None:
        """Set the state of registry entries that are still in only_from."""
        if not item_ids:
            return
        async with self.database.session() as tx:
            await tx.execute(
                "UPDATE library_searches SET state = :state"
                " WHERE item_id IN :item_ids AND state = :only_from",
                {"state": state, "item_ids": item_ids, "only_from": only_from},
            )
