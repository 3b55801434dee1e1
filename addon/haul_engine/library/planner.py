"""Pure search planning: throttle arithmetic and turning gaps into few, cheap *arr commands."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any

from haul_engine.arr.apps import SEARCHES

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from haul_engine.arr.app import Command, Searches
    from haul_engine.arr.client import Flavor
    from haul_engine.arr.kinds import ArrSettings, ThrottleLimits

MINUTE = timedelta(minutes=1)
REASON_RANK = {"missing": 0, "upgrade": 1}
PER_ITEM = {searches.items: searches.ids_key for searches in SEARCHES.values()}


@dataclass(frozen=True, slots=True)
class Candidate:
    """A registry entry that may be searched now."""

    item_id: int
    arr_id: int
    reason: str
    parent_arr_id: int | None = None
    season_number: int | None = None
    released_at: datetime | None = None
    attempts: int = 0
    boost: int = 0  # its own and its series'
    packable: bool = True  # no season or series search of it found nothing lately


@dataclass(frozen=True, slots=True)
class SeasonFacts:
    """How much of a season has aired, whether all of it has, and what the *arr monitors of it."""

    aired: int  # monitored episodes aired so far
    fully_aired: bool
    monitored: bool = True  # Sonarr's SeriesSearch searches each monitored season, no other
    unwanted: int = 0  # aired episodes the user does not monitor: a pack would bring them too


@dataclass(slots=True)
class Batch:
    """One *arr search command; cost is the indexer queries it causes."""

    command: str
    body: dict[str, Any]
    item_ids: list[int]
    cost: int
    reason: str
    rank: int = field(default=0, compare=False)


def priority(candidate: Candidate, *, upgrades_first: bool) -> tuple[int, int, int, float]:
    """Sort key, smallest first: reason (gaps first by default), boost, attempts, newest first."""
    reason = REASON_RANK.get(candidate.reason, 2)
    if upgrades_first:
        reason = 1 - reason
    released = candidate.released_at.timestamp() if candidate.released_at else 0.0
    return (reason, -candidate.boost, candidate.attempts, -released)


def midnight(now: datetime, zone: tzinfo = UTC) -> datetime:
    """Return the start of now's day in the zone (Home Assistant's): the daily budget's start."""
    return now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)


def allowance(
    limits: ThrottleLimits,
    spent: Iterable[tuple[datetime, int]],
    now: datetime,
    zone: tzinfo = UTC,
) -> int:
    """Search cost that may be spent now without exceeding the per-minute or per-day limit."""
    day_start = midnight(now, zone)
    minute = day = 0
    for at, cost in spent:
        if at >= day_start:
            day += cost
        if at > now - MINUTE:
            minute += cost
    return max(0, min(limits.searches_per_minute - minute, limits.searches_per_day - day))


def spent_today(spent: Iterable[tuple[datetime, int]], now: datetime, zone: tzinfo = UTC) -> int:
    """Search cost spent since midnight in the zone."""
    day_start = midnight(now, zone)
    return sum(cost for at, cost in spent if at >= day_start)


def cooldown(limits: ThrottleLimits, attempts: int) -> timedelta:
    """How long to wait after the attempts-th search: the cooldown times the backoff per retry."""
    return timedelta(minutes=limits.cooldown_minutes) * limits.backoff_multiplier ** max(
        attempts - 1, 0
    )


def after_attempt(
    limits: ThrottleLimits, attempts: int, now: datetime
) -> tuple[str, datetime | None]:
    """State and next eligible time once an item has had `attempts` searches."""
    if attempts >= limits.max_attempts:
        return "exhausted", None
    return "cooldown", now + cooldown(limits, attempts)


def plan(
    candidates: Sequence[Candidate],
    seasons: dict[tuple[int, int], SeasonFacts],
    settings: ArrSettings,
    flavor: Flavor,
    budget: int,
) -> list[Batch]:
    """Group candidates into commands, highest priority first, spending at most budget."""
    ordered = sorted(candidates, key=lambda c: priority(c, upgrades_first=settings.upgrades_first))
    limits = settings.limits
    chunk = max(1, min(limits.batch_size, limits.searches_per_minute))
    searches = SEARCHES[flavor]
    if searches.season:
        batches = _series_batches(ordered, seasons, settings, searches, chunk)
    else:
        batches = []
        for reason in REASON_RANK:
            group = [c for c in ordered if c.reason == reason]
            for start in range(0, len(group), chunk):
                part = group[start : start + chunk]
                batches.append(_batch(searches.for_items(c.arr_id for c in part), part, len(part)))
    position = {candidate.item_id: index for index, candidate in enumerate(ordered)}
    for batch in batches:
        batch.rank = min(position[item_id] for item_id in batch.item_ids)
    chosen, left = [], budget
    for batch in sorted(batches, key=lambda b: b.rank):
        fitted = batch if batch.cost <= left else _shrink(batch, left)
        if fitted is not None:
            chosen.append(fitted)
            left -= fitted.cost
    return chosen


def single_search(flavor: Flavor, item_id: int, arr_id: int, reason: str) -> Batch:
    """Build the command that searches one item (an episode, a movie or an album)."""
    return Batch(*SEARCHES[flavor].for_items([arr_id]), [item_id], 1, reason)


def _shrink(batch: Batch, budget: int) -> Batch | None:
    """Keep the first items of a per-item command so that it fits the budget, if it can."""
    if budget < 1 or batch.command not in PER_ITEM:
        return None
    key = PER_ITEM[batch.command]
    body = {**batch.body, key: batch.body[key][:budget]}
    return Batch(batch.command, body, batch.item_ids[:budget], budget, batch.reason, batch.rank)


def _batch(command: Command, part: Sequence[Candidate], cost: int) -> Batch:
    return Batch(*command, [c.item_id for c in part], cost, part[0].reason)


def _series_batches(
    ordered: Sequence[Candidate],
    seasons: dict[tuple[int, int], SeasonFacts],
    settings: ArrSettings,
    searches: Searches,
    chunk: int,
) -> list[Batch]:
    """Use SeasonSearch for mostly-missing aired seasons, SeriesSearch for many, else episodes.

    Only seasons the *arr monitors, each aired episode of them, are packed: episodes monitored by
    hand in an unmonitored season, or beside episodes unmonitored by hand, are searched by id (a
    pack Sonarr grabs for a season search holds the whole season); specials too (Sonarr searches
    each by its title, whatever the command). A SeriesSearch searches every season the *arr
    monitors, one query each: it is sent only when those are the packed ones.
    """
    groups: dict[tuple[str, int, int], list[Candidate]] = {}
    for candidate in ordered:
        key = (candidate.reason, candidate.parent_arr_id or 0, candidate.season_number or 0)
        groups.setdefault(key, []).append(candidate)
    season_batches: dict[tuple[str, int], list[Batch]] = {}
    batches: list[Batch] = []
    episode_chunk = min(chunk, settings.episode_search_max)
    for (reason, series_id, season), group in groups.items():
        facts = seasons.get((series_id, season))
        whole = (
            facts is not None
            and season != 0  # Sonarr searches specials one by one by title, in a season search too
            and facts.monitored
            and not facts.unwanted
            and all(candidate.packable for candidate in group)
            and facts.fully_aired
            and len(group) >= settings.season_search_ratio * facts.aired
        )
        if whole:
            season_batch = _batch(searches.for_season(series_id, season), group, 1)
            season_batches.setdefault((reason, series_id), []).append(season_batch)
            continue
        for start in range(0, len(group), episode_chunk):
            part = group[start : start + episode_chunk]
            batches.append(_batch(searches.for_items(c.arr_id for c in part), part, len(part)))
    searched: dict[int, set[int]] = {}  # the seasons a SeriesSearch of each series searches
    for (series_id, season), facts in seasons.items():
        if facts.monitored:
            searched.setdefault(series_id, set()).add(season)
    for (_, series_id), per_series in season_batches.items():
        packed = {batch.body["seasonNumber"] for batch in per_series}
        if len(per_series) >= settings.series_search_min_seasons and searched[series_id] <= packed:
            items = [item for batch in per_series for item in batch.item_ids]
            batches.append(
                Batch(*searches.for_series(series_id), items, len(packed), per_series[0].reason)
            )
        else:
            batches.extend(per_series)
    return batches
