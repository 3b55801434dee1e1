"""The search registry in the database: which gaps exist, which may be searched, and recovery."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple

from haul_engine.library.models import SEARCH_HISTORY, SEARCHES
from haul_engine.library.planner import Candidate, SeasonFacts, after_attempt, cooldown

if TYPE_CHECKING:
    from datetime import datetime

    from haul_engine.arr.kinds import ThrottleLimits
    from haul_engine.db.sql import Transaction

# Conditions on an item `i` (library_items) and its registry entry `s` (library_searches); those
# that depend on the time read the parameter :now.
# Item.monitored is what the user chose in the *arr, as the *arr reads it: an episode of an
# unmonitored series, or an album of an unmonitored artist, is stored as unmonitored (sync.py).
# Specials are never upgrades: Sonarr's cutoff list and its own cutoff search leave them out.
UPGRADE = (
    "(i.monitored AND i.has_file AND i.cutoff_not_met"
    " AND (i.season_number IS NULL OR i.season_number <> 0))"
)
# aired, released or available (per minimum availability)
OUT = "(i.available OR (i.released_at IS NOT NULL AND i.released_at <= :now))"
# monitored, in the *arr's wanted lists, and out
WANTED = f"(i.monitored AND i.listed AND {OUT})"
# monitored, aired or available, and without a file
MISSING = f"({WANTED} AND NOT i.has_file)"
# monitored, without a file, not out yet: missing once it is out. Never searched. Radarr's missing
# list holds these too (Haul's missing plus upcoming is its total); Sonarr's and Lidarr's hold
# only what is out.
UPCOMING = f"(i.monitored AND i.listed AND NOT i.has_file AND NOT {OUT})"
# a registry entry's item is still the gap its reason says
STILL_WANTED = f"((s.reason = 'missing' AND {MISSING}) OR (s.reason = 'upgrade' AND {UPGRADE}))"
GAPS = {"missing": MISSING, "upgrade": UPGRADE}
# how a search ended, as counted: the *arr grabbed something, found nothing, asked Haul to slow
# down, did not finish in time, or failed
OUTCOMES = ("grabbed", "no_results", "rate_limited", "timed_out", "arr_error")
PACK_COMMANDS = frozenset({"SeasonSearch", "SeriesSearch"})
RESETTABLE = ("exhausted", "cooldown")
SPENT_WINDOW = timedelta(hours=26)  # a local day, 25 hours when clocks go back, and a minute
RUNNING = ("sending", "started")  # history statuses of commands still under way
RESET = (
    "UPDATE library_searches SET state = 'pending', attempts = 0, next_eligible_at = NULL,"
    " failure = NULL, exhausted_at = NULL, pack_attempts = 0, pack_retry_at = NULL"
)


def total(condition: str) -> str:
    """Count the rows meeting a condition (0 for none: a sum of nothing is NULL)."""
    return f"coalesce(sum(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)"


COUNTS = f"""
SELECT count(*), {total(WANTED)}, {total(MISSING)}, {total(UPGRADE)}, {total(UPCOMING)}
FROM library_items i WHERE i.connector_id = :connector_id
"""
CANDIDATES = f"""
SELECT s.item_id, i.arr_id, s.reason, i.parent_arr_id, i.season_number, i.released_at,
       s.attempts, s.boost + coalesce(se.boost, 0),
       CASE WHEN s.pack_retry_at IS NULL OR s.pack_retry_at <= :now THEN 1 ELSE 0 END
FROM library_searches s
JOIN library_items i ON i.id = s.item_id
LEFT JOIN library_series se ON se.id = i.series_id
WHERE s.connector_id = :connector_id
  AND (s.state = 'pending' OR (s.state = 'cooldown' AND s.next_eligible_at <= :now))
  AND {STILL_WANTED}
"""
AIRED = "(i.released_at IS NOT NULL AND i.released_at <= :now)"
SEASON_FACTS = f"""
SELECT se.arr_id, sn.season_number, sn.monitored,
       {total(f"i.monitored AND {AIRED}")}, {total("i.monitored")},
       {total(f"NOT i.monitored AND {AIRED}")}
FROM library_seasons sn
JOIN library_series se ON se.id = sn.series_id
LEFT JOIN library_items i ON i.series_id = sn.series_id AND i.season_number = sn.season_number
WHERE se.connector_id = :connector_id
GROUP BY se.arr_id, sn.season_number, sn.monitored
"""


class Counts(NamedTuple):
    """A connector's items; how many are wanted, missing, below the cutoff and not out yet."""

    items: int
    wanted: int
    missing: int
    upgrades: int
    upcoming: int


async def counts(tx: Transaction, connector_id: str, now: datetime) -> Counts:
    """Count a connector's items: all, wanted, missing, below the cutoff, upcoming; one query."""
    row = await tx.fetch_one(COUNTS, {"connector_id": connector_id, "now": now})
    return Counts(*(int(value) for value in row or (0,) * len(Counts._fields)))


async def refresh(tx: Transaction, connector_id: str, now: datetime, *, upgrades: bool) -> None:
    """Drop entries that are no longer gaps; add a pending entry for every new gap."""
    gaps = GAPS if upgrades else {"missing": MISSING}
    still_gap = " OR ".join(
        f"(reason = '{reason}' AND EXISTS (SELECT 1 FROM library_items i"
        f" WHERE i.id = library_searches.item_id AND {condition}))"
        for reason, condition in gaps.items()
    )
    params = {"connector_id": connector_id, "now": now}
    await tx.execute(
        f"DELETE FROM library_searches WHERE connector_id = :connector_id AND NOT ({still_gap})",
        params,
    )
    for reason, condition in gaps.items():
        await tx.execute(
            "INSERT INTO library_searches (item_id, connector_id, reason, state, attempts, boost)"
            f" SELECT i.id, i.connector_id, '{reason}', 'pending', 0, 0 FROM library_items i"
            f" WHERE i.connector_id = :connector_id AND {condition}"
            " AND NOT EXISTS (SELECT 1 FROM library_searches s WHERE s.item_id = i.id)",
            params,
        )


async def candidates(
    tx: Transaction, connector_id: str, now: datetime, skip_arr_ids: set[int]
) -> list[Candidate]:
    """Entries that may be searched now, except items already in the *arr's download queue.

    Each item is checked again against what it must still be (monitored, out, without a file or
    below the cutoff), so nothing the mirror knows to be unwanted is ever searched.
    """
    rows = await tx.fetch_all(CANDIDATES, {"connector_id": connector_id, "now": now})
    return [
        Candidate(item, arr_id, reason, parent, season, released, attempts, boost, bool(packable))
        for item, arr_id, reason, parent, season, released, attempts, boost, packable in rows
        if arr_id not in skip_arr_ids
    ]


async def season_facts(
    tx: Transaction, connector_id: str, now: datetime
) -> dict[tuple[int, int], SeasonFacts]:
    """Per (series, season) of every season: monitored episodes aired, whether all have, flags.

    Every season the *arr reported is there, specials and seasons without gaps too: a
    SeriesSearch searches each monitored one.
    """
    rows = await tx.fetch_all(SEASON_FACTS, {"connector_id": connector_id, "now": now})
    return {
        (int(series), int(season)): SeasonFacts(
            int(aired),
            int(aired) == int(watched),
            monitored=bool(monitored),
            unwanted=int(unwanted),
        )
        for series, season, monitored, aired, watched, unwanted in rows
    }


async def prune_history(tx: Transaction, connector_id: str, before: datetime) -> int:
    """Forget ended searches started before a moment; commands still running stay."""
    return await tx.execute(
        "DELETE FROM library_search_history WHERE connector_id = :connector_id"
        " AND started_at < :before AND status NOT IN :running",
        {"connector_id": connector_id, "before": before, "running": RUNNING},
    )


async def spent(tx: Transaction, connector_id: str, now: datetime) -> list[tuple[datetime, int]]:
    """Search cost sent in the last local day (and a little more), with when."""
    rows = await tx.fetch_all(
        "SELECT started_at, cost FROM library_search_history WHERE connector_id = :connector_id"
        " AND started_at > :since AND cost > 0",
        {"connector_id": connector_id, "since": now - SPENT_WINDOW},
    )
    return [(at, cost) for at, cost in rows]


async def outcomes_since(tx: Transaction, connector_id: str, since: datetime) -> dict[str, int]:
    """Count how the searches started since a moment ended, by outcome (each one, even 0)."""
    rows = await tx.fetch_all(
        "SELECT outcome, count(*) FROM library_search_history"
        " WHERE connector_id = :connector_id AND started_at >= :since AND outcome IS NOT NULL"
        " GROUP BY outcome",
        {"connector_id": connector_id, "since": since},
    )
    return dict.fromkeys(OUTCOMES, 0) | {str(outcome): int(n) for outcome, n in rows}


SETTLED = (
    "failure", "outcome", "history_id", "state", "next_eligible_at", "attempts", "exhausted_at",
    "pack_attempts", "pack_retry_at",
)  # fmt: skip


async def settle(  # noqa: PLR0913 - one finished search
    tx: Transaction,
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
    history = await SEARCH_HISTORY.get(tx, history_id)
    pack_failed = history is not None and history.command in PACK_COMMANDS and outcome != "grabbed"
    exhausted: list[int] = []
    entries = await SEARCHES.all(tx, "WHERE history_id = :history_id", {"history_id": history_id})
    for entry in entries:
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
        await SEARCHES.update(tx, entry, *SETTLED)
    return exhausted


async def release_exhausted(
    tx: Transaction, connector_id: str, now: datetime, retention: timedelta | None
) -> None:
    """Search again from scratch the items given up longer than retention ago (None: never).

    An item given up before Haul noted when (an older engine) counts from the first look.
    """
    given_up = "WHERE connector_id = :connector_id AND state = 'exhausted'"
    await tx.execute(
        f"UPDATE library_searches SET exhausted_at = :now {given_up} AND exhausted_at IS NULL",
        {"connector_id": connector_id, "now": now},
    )
    if retention is not None:
        await tx.execute(
            f"{RESET} {given_up} AND exhausted_at <= :before",
            {"connector_id": connector_id, "before": now - retention},
        )


async def reset(
    tx: Transaction,
    connector_id: str,
    *,
    item_id: int | None = None,
    series_id: int | None = None,
) -> int:
    """Search again from scratch what was given up or is cooling down: an item, a series, all."""
    scope = "WHERE connector_id = :connector_id AND state IN :resettable"
    params: dict[str, object] = {"connector_id": connector_id, "resettable": RESETTABLE}
    if item_id is not None:
        scope += " AND item_id = :item_id"
        params["item_id"] = item_id
    if series_id is not None:
        scope += " AND item_id IN (SELECT id FROM library_items WHERE series_id = :series_id)"
        params["series_id"] = series_id
    return await tx.execute(f"{RESET} {scope}", params)


async def recover(
    tx: Transaction, connector_id: str, limits: ThrottleLimits, now: datetime
) -> list[tuple[int, int]]:
    """After a restart: unsent plans return to pending, maybe-sent searches count as done.

    Returns (history id, *arr command id) of commands still to follow to completion.
    """
    mine = {"connector_id": connector_id}
    await tx.execute(
        "UPDATE library_searches SET state = 'pending', history_id = NULL"
        " WHERE connector_id = :connector_id AND state = 'queued'",
        mine,
    )
    lost = await SEARCH_HISTORY.all(
        tx, "WHERE connector_id = :connector_id AND status = 'sending'", mine
    )
    for history in lost:
        history.status, history.ended_at = "lost", now
        history.message = "the engine stopped while sending; counted as sent so it is not repeated"
        await SEARCH_HISTORY.update(tx, history, "status", "ended_at", "message")
        await settle(tx, history.id, limits, now, outcome="timed_out")
    running = await tx.fetch_all(
        "SELECT id, arr_command_id FROM library_search_history"
        " WHERE connector_id = :connector_id AND status = 'started'",
        mine,
    )
    return [(history_id, int(command_id or 0)) for history_id, command_id in running]
