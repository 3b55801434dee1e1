"""A series request's seasons: which it covers, what is offered for each, where each stands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from haul_engine.requests.models import MediaRequest, RequestCandidate

AVAILABLE = "available"


def aired_seasons(series: dict[str, Any]) -> list[int]:
    """List the monitored seasons of an arr's series that have aired (not specials, season 0)."""
    return sorted(
        number
        for season in series.get("seasons") or []
        if isinstance(number := season.get("seasonNumber"), int)
        and number > 0
        and season.get("monitored", True)
        and (season.get("statistics") or {}).get("previousAiring")
    )


def season_complete(series: dict[str, Any], number: int) -> bool | None:
    """Whether the arr has a file for every aired episode of a season; None: it does not say."""
    for season in series.get("seasons") or []:
        statistics = season.get("statistics") or {}
        if season.get("seasonNumber") == number and statistics.get("episodeCount"):
            return int(statistics.get("episodeFileCount") or 0) >= int(statistics["episodeCount"])
    return None


def packs_first(found: list[RequestCandidate]) -> list[RequestCandidate]:
    """Per season, its season packs when it has any, else its single episodes; seasons in order.

    Within a season the given order (the arr's verdict, then Haul's score) is kept.
    """
    with_packs = {c.season for c in found if c.full_season}
    kept = [c for c in found if c.full_season or c.season not in with_packs]
    kept.sort(key=lambda c: -1 if c.season is None else c.season)
    for position, candidate in enumerate(kept):
        candidate.position = position
    return kept


def pending(row: MediaRequest) -> list[int]:
    """List the request's seasons not yet available."""
    states = row.season_states or {}
    return [number for number in row.seasons if states.get(str(number)) != AVAILABLE]


def marked(row: MediaRequest, seasons: list[int | None] | list[int], state: str) -> dict[str, str]:
    """Return the request's season states with these seasons in state (a new dict)."""
    changed = {str(number): state for number in seasons if number is not None}
    return {**(row.season_states or {}), **changed}
