"""The search registry in the database: which gaps exist, which may be searched, and recovery."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import and_, case, delete, exists, false, func, insert, literal, or_, select, update

from haul_engine.library.models import Item, Search, SearchHistory, Season, Series
from haul_engine.library.planner import Candidate, SeasonFacts, after_attempt, cooldown

if TYPE_CHECKING:
    from datetime import datetime

    from sqlalchemy.engine import CursorResult
    from sqlalchemy.ext.asyncio import AsyncSession

    from haul_engine.arr.kinds import ThrottleLimits

# Item.monitored is what the user chose in the *arr, as the *arr reads it: an episode of an
# unmonitored series, or an album of an unmonitored artist, is stored as unmonitored (sync.py).
# Specials are never upgrades: Sonarr's cutoff list and its own cutoff search leave them out.
UPGRADE = and_(
    Item.monitored, Item.has_file, Item.cutoff_not_met,
    or_(Item.season_number.is_(None), Item.season_number != 0),
)  # fmt: skip
WAITING = ("pending", "queued", "searching", "cooldown")
# how a search ended, as counted: the *arr grabbed something, found nothing, asked Haul to slow
# down, did not finish in time, or failed
OUTCOMES = ("grabbed", "no_results", "rate_limited", "timed_out", "arr_error")
PACK_COMMANDS = frozenset({"SeasonSearch", "SeriesSearch"})
RESETTABLE = ("exhausted", "cooldown")
SPENT_WINDOW = timedelta(hours=26)  # a local day, 25 hours when clocks go back, and a minute


class Counts(NamedTuple):
    """A connector's items; how many are wanted, missing, below the cutoff and not out yet."""

    items: int
    wanted: int
    missing: int
    upgrades: int
    upcoming: int


def out(now: datetime) -> Any:  # noqa: ANN401 - a SQL condition
    """Build the condition: aired, released or available (per minimum availability)."""
    aired = and_(Item.released_at.is_not(None), Item.released_at <= now)
    return or_(Item.available, aired)


def wanted(now: datetime) -> Any:  # noqa: ANN401 - a SQL condition
    """Build the condition: monitored, in the *arr's wanted lists, and out."""
    return and_(Item.monitored, Item.listed, out(now))


def missing(now: datetime) -> Any:  # noqa: ANN401 - a SQL condition
    """Build the condition: monitored, aired or available, and without a file."""
    return and_(wanted(now), ~Item.has_file)


def upcoming(now: datetime) -> Any:  # noqa: ANN401 - a SQL condition
    """Build the condition: monitored, without a file, not out yet: missing once it is out.

    Never searched. Radarr's missing list holds these too (Haul's missing plus upcoming is its
    total); Sonarr's and Lidarr's hold only what is out.
    """
    return and_(Item.monitored, Item.listed, ~Item.has_file, ~out(now))


def still_wanted(now: datetime) -> Any:  # noqa: ANN401 - a SQL condition
    """Build the condition: a registry entry's item is still the gap its reason says."""
    return or_(
        and_(Search.reason == "missing", missing(now)), and_(Search.reason == "upgrade", UPGRADE)
    )


async def counts(session: AsyncSession, connector_id: str, now: datetime) -> Counts:
    """Count a connector's items: all, wanted, missing, below the cutoff, upcoming; one query."""

    def total(condition: Any) -> Any:  # noqa: ANN401 - SQL
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (await session.execute(
        select(
            func.count(), total(wanted(now)), total(missing(now)), total(UPGRADE),
            total(upcoming(now)),
        )
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
    packable = or_(Search.pack_retry_at.is_(None), Search.pack_retry_at <= now)
    rows = await session.execute(
        select(
            Search.item_id, Item.arr_id, Search.reason, Item.parent_arr_id, Item.season_number,
            Item.released_at, Search.attempts, Search.boost + func.coalesce(Series.boost, 0),
            packable,
        )
        .join(Item, Item.id == Search.item_id)
        .outerjoin(Series, Series.id == Item.series_id)  # a series' boost is its episodes'
        .where(Search.connector_id == connector_id, due)
    )  # fmt: skip
    return [Candidate(*row) for row in rows if row.arr_id not in skip_arr_ids]


async def season_facts(
    session: AsyncSession, connector_id: str, now: datetime
) -> dict[tuple[int, int], SeasonFacts]:
    """Per (series, season) of every season: monitored episodes aired, whether all have, flags.

    Every season the *arr reported is there, specials and seasons without gaps too: a
    SeriesSearch searches each monitored one.
    """
    out = and_(Item.released_at.is_not(None), Item.released_at <= now)

    def total(condition: Any) -> Any:  # noqa: ANN401 - SQL
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = await session.execute(
        select(
            Series.arr_id, Season.season_number, Season.monitored,
            total(and_(Item.monitored, out)), total(Item.monitored),
            total(and_(~Item.monitored, out)),
        )
        .join(Series, Series.id == Season.series_id)
        .outerjoin(Item, and_(
            Item.series_id == Season.series_id, Item.season_number == Season.season_number
        ))
        .where(Series.connector_id == connector_id)
        .group_by(Series.arr_id, Season.season_number, Season.monitored)
    )  # fmt: skip
    return {
        (int(series), int(season)): SeasonFacts(
            int(aired),
            int(aired) == int(watched),
            monitored=bool(monitored),
            unwanted=int(unwanted),
        )
        for series, season, monitored, aired, watched, unwanted in rows
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
    """Search cost sent in the last local day (and a little more), with when."""
    rows = await session.execute(
        select(SearchHistory.started_at, SearchHistory.cost).where(
            SearchHistory.connector_id == connector_id,
            SearchHistory.started_at > now - SPENT_WINDOW,
            SearchHistory.cost > 0,
        )
    )
    return [(at, cost) for at, cost in rows]


async def outcomes_since(
    session: AsyncSession, connector_id: str, since: datetime
) -> dict[str, int]:
    """Count how the searches started since a moment ended, by outcome (each one, even 0)."""
    rows = await session.execute(
        select(SearchHistory.outcome, func.count())
        .where(
            SearchHistory.connector_id == connector_id,
            SearchHistory.started_at >= since,
            SearchHistory.outcome.is_not(None),
        )
        .group_by(SearchHistory.outcome)
    )
    return dict.fromkeys(OUTCOMES, 0) | {str(outcome): int(n) for outcome, n in rows}


async def settle(  # noqa: PLR0913 - one finished search
    session: AsyncSession,
    history_id: int,
    limits: ThrottleLimits,
    now: datetime,
    *,
    outcome: str,
    counted: bool = True,
    retry_at: datetime | None = None,
) -> list[int]:
    """Move the items of a finished search on; return those it left exhausted.

    A counted search is an attempt: cooldown, longer each time, then exhausted. A season or
    series search that found nothing is not: its episodes are searched one by one at once, each
    with its own cooldowns, and packed again only after the pack's own cooldown. One that did not
    count (never sent, or refused as too many) waits until retry_at, or five minutes.
    """
    history = await session.get(SearchHistory, history_id)
    pack_failed = history is not None and history.command in PACK_COMMANDS and outcome != "grabbed"
    exhausted: list[int] = []
    rows = await session.scalars(select(Search).where(Search.history_id == history_id))
    for entry in rows:
        entry.failure = None if outcome == "grabbed" else outcome
        entry.outcome, entry.history_id = outcome, None
        if pack_failed and counted:
            entry.pack_attempts += 1
            entry.pack_retry_at = now + cooldown(limits, entry.pack_attempts)
            entry.state, entry.next_eligible_at = "pending", None
        elif counted:
            entry.attempts += 1
            entry.state, entry.next_eligible_at = after_attempt(limits, entry.attempts, now)
            if entry.state == "exhausted":
                entry.exhausted_at = now
                exhausted.append(entry.item_id)
        else:
            entry.state = "cooldown"
            entry.next_eligible_at = retry_at or now + timedelta(minutes=5)
    return exhausted


async def release_exhausted(
    session: AsyncSession, connector_id: str, now: datetime, retention: timedelta | None
) -> None:
    """Search again from scratch the items given up longer than retention ago (None: never).

    An item given up before Haul noted when (an older engine) counts from the first look.
    """
    given_up = and_(Search.connector_id == connector_id, Search.state == "exhausted")
    await session.execute(
        update(Search).where(given_up, Search.exhausted_at.is_(None)).values(exhausted_at=now)
    )
    if retention is not None:
        await session.execute(_reset().where(given_up, Search.exhausted_at <= now - retention))


async def reset(
    session: AsyncSession,
    connector_id: str,
    *,
    item_id: int | None = None,
    series_id: int | None = None,
) -> int:
    """Search again from scratch what was given up or is cooling down: an item, a series, all."""
    scope = [Search.connector_id == connector_id, Search.state.in_(RESETTABLE)]
    if item_id is not None:
        scope.append(Search.item_id == item_id)
    if series_id is not None:
        scope.append(Search.item_id.in_(select(Item.id).where(Item.series_id == series_id)))
    done = await session.execute(_reset().where(*scope))
    return int(cast("CursorResult[Any]", done).rowcount or 0)


def _reset() -> Any:  # noqa: ANN401 - an UPDATE statement
    return update(Search).values(
        state="pending", attempts=0, next_eligible_at=None, failure=None, exhausted_at=None,
        pack_attempts=0, pack_retry_at=None,
    )  # fmt: skip


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
        await settle(session, history.id, limits, now, outcome="timed_out")
    running = await session.execute(
        select(SearchHistory.id, SearchHistory.arr_command_id).where(
            SearchHistory.connector_id == connector_id, SearchHistory.status == "started"
        )
    )
    return [(history_id, int(command_id or 0)) for history_id, command_id in running]
