"""The search registry in the database: which gaps exist, which may be searched, and recovery."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import and_, case, delete, exists, false, func, insert, literal, or_, select, update

from haul_engine.library.models import Item, Search, SearchHistory
from haul_engine.library.planner import Candidate, SeasonFacts, after_attempt

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import CursorResult
    from sqlalchemy.ext.asyncio import AsyncSession

    from haul_engine.arr.kinds import ThrottleLimits

# Item.monitored is what the user chose in the *arr, all the way up: an episode of an unmonitored
# season or series, or an album of an unmonitored artist, is stored as unmonitored (sync.py)
UPGRADE = and_(Item.monitored, Item.has_file, Item.cutoff_not_met)
WAITING = ("pending", "queued", "searching", "cooldown")


class Counts(NamedTuple):
    """A connector's items, and how many of them are wanted, missing and below the cutoff."""

    items: int
    wanted: int
    missing: int
    upgrades: int


def wanted(now: datetime) -> Any:  # noqa: ANN401 - a SQL condition
    """Build the condition: monitored, and aired or available (per minimum availability)."""
    aired = and_(Item.released_at.is_not(None), Item.released_at <= now)
    return and_(Item.monitored, or_(Item.available, aired))


def missing(now: datetime) -> Any:  # noqa: ANN401 - a SQL condition
    """Build the condition: monitored, aired or available, and without a file."""
    return and_(wanted(now), ~Item.has_file)


def still_wanted(now: datetime) -> Any:  # noqa: ANN401 - a SQL condition
    """Build the condition: a registry entry's item is still the gap its reason says."""
    return or_(
        and_(Search.reason == "missing", missing(now)), and_(Search.reason == "upgrade", UPGRADE)
    )


async def counts(session: AsyncSession, connector_id: str, now: datetime) -> Counts:
    """Count a connector's items: all, wanted, missing, and below the cutoff, in one query."""

    def total(condition: Any) -> Any:  # noqa: ANN401 - SQL
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (await session.execute(
        select(func.count(), total(wanted(now)), total(missing(now)), total(UPGRADE))
        .where(Item.connector_id == connector_id)
    )).one()  # fmt: skip
    return Counts(*(int(value) for value in row))


async def refresh(
    session: AsyncSession, connector_id: str, now: datetime, *, upgrades: bool
) -> None:
    """Drop entries that are no longer gaps; add a pending entry for every new gap."""
    conditions = {"missing": missing(now), "upgrade": UPGRADE if upgrades else false()}
    still_gap = or_(*(
        and_(Search.reason == reason, exists().where(Item.id == Search.item_id, condition))
        for reason, condition in conditions.items()
    ))  # fmt: skip
    await session.execute(delete(Search).where(Search.connector_id == connector_id, ~still_gap))
    for reason, condition in conditions.items():
        new_gaps = select(
            Item.id, literal(connector_id), literal(reason), literal("pending"), literal(0),
            literal(0),
        ).where(
            Item.connector_id == connector_id, condition, ~exists().where(Search.item_id == Item.id)
        )  # fmt: skip
        await session.execute(
            insert(Search).from_select(
                ["item_id", "connector_id", "reason", "state", "attempts", "boost"], new_gaps
            )
        )


async def candidates(
    session: AsyncSession, connector_id: str, now: datetime, skip_arr_ids: set[int]
) -> list[Candidate]:
    """Entries that may be searched now, except items already in the *arr's download queue.

    Each item is checked again against what it must still be (monitored, out, without a file or
    below the cutoff), so nothing the mirror knows to be unwanted is ever searched.
    """
    due = and_(
        or_(
            Search.state == "pending",
            and_(Search.state == "cooldown", Search.next_eligible_at <= now),
        ),
        still_wanted(now),
    )
    rows = await session.execute(
        select(
            Search.item_id, Item.arr_id, Search.reason, Item.parent_arr_id, Item.season_number,
            Item.released_at, Search.attempts, Search.boost,
        ).join(Item, Item.id == Search.item_id).where(Search.connector_id == connector_id, due)
    )  # fmt: skip
    return [Candidate(*row) for row in rows if row.arr_id not in skip_arr_ids]


async def season_facts(
    session: AsyncSession, connector_id: str, now: datetime
) -> dict[tuple[int, int], SeasonFacts]:
    """Per (series, season): monitored episodes aired so far and whether all have aired."""
    aired = func.sum(
        case((and_(Item.released_at.is_not(None), Item.released_at <= now), 1), else_=0)
    )
    rows = await session.execute(
        select(Item.parent_arr_id, Item.season_number, aired, func.count())
        .where(Item.connector_id == connector_id, Item.kind == "episode", Item.monitored)
        .group_by(Item.parent_arr_id, Item.season_number)
    )
    return {
        (int(series or 0), int(season or 0)): SeasonFacts(int(done or 0), int(done or 0) == total)
        for series, season, done, total in rows
    }


async def prune_history(session: AsyncSession, connector_id: str, before: datetime) -> int:
    """Forget ended searches started before a moment; commands still running stay."""
    pruned = await session.execute(
        delete(SearchHistory).where(
            SearchHistory.connector_id == connector_id,
            SearchHistory.started_at < before,
            SearchHistory.status.not_in(("sending", "started")),
        )
    )
    # A DELETE's result is a cursor result; SQLAlchemy 2.1 types execute() as the general Result.
    return int(cast("CursorResult[Any]", pruned).rowcount or 0)


async def spent(
    session: AsyncSession, connector_id: str, now: datetime
) -> list[tuple[datetime, int]]:
    """Search cost sent in the last day, with when."""
    rows = await session.execute(
        select(SearchHistory.started_at, SearchHistory.cost).where(
            SearchHistory.connector_id == connector_id,
            SearchHistory.started_at > now - timedelta(days=1),
            SearchHistory.cost > 0,
        )
    )
    return [(at, cost) for at, cost in rows]


async def settle(  # noqa: PLR0913 - one finished search
    session: AsyncSession,
    history_id: int,
    limits: ThrottleLimits,
    now: datetime,
    *,
    failure: str | None,
    counted: bool = True,
) -> None:
    """Move the items of a finished search to cooldown, or exhausted after too many attempts."""
    rows = await session.scalars(select(Search).where(Search.history_id == history_id))
    for entry in rows:
        if counted:
            entry.attempts += 1
            entry.state, entry.next_eligible_at = after_attempt(limits, entry.attempts, now)
        else:
            entry.state, entry.next_eligible_at = "cooldown", now + timedelta(minutes=5)
        entry.failure, entry.history_id = failure, None


async def recover(
    session: AsyncSession, connector_id: str, limits: ThrottleLimits, now: datetime
) -> list[tuple[int, int]]:
    """After a restart: unsent plans return to pending, maybe-sent searches count as done.

    Returns (history id, *arr command id) of commands still to follow to completion.
    """
    await session.execute(
        update(Search)
        .where(Search.connector_id == connector_id, Search.state == "queued")
        .values(state="pending", history_id=None)
    )
    lost = await session.scalars(
        select(SearchHistory).where(
            SearchHistory.connector_id == connector_id, SearchHistory.status == "sending"
        )
    )
    for history in lost:
        history.status, history.ended_at = "lost", now
        history.message = "the engine stopped while sending; counted as sent so it is not repeated"
        await settle(session, history.id, limits, now, failure="lost")
    running = await session.execute(
        select(SearchHistory.id, SearchHistory.arr_command_id).where(
            SearchHistory.connector_id == connector_id, SearchHistory.status == "started"
        )
    )
    return [(history_id, int(command_id or 0)) for history_id, command_id in running]
