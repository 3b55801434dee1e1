"""The request lifecycle: states and the transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum

from haul_engine.errors import Conflict


class State(StrEnum):
    """Where a request stands."""

    PENDING = "pending"
    APPROVED = "approved"
    SEARCHING = "searching"
    AWAITING_SELECTION = "awaiting_selection"
    GRABBED = "grabbed"
    DOWNLOADING = "downloading"
    IMPORTING = "importing"
    AVAILABLE = "available"
    DECLINED = "declined"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINAL = frozenset({State.AVAILABLE, State.DECLINED, State.FAILED, State.CANCELLED})
_ENDS = {State.FAILED, State.CANCELLED, State.AVAILABLE}
TRANSITIONS: dict[State, frozenset[State]] = {
    State.PENDING: frozenset({State.APPROVED, State.DECLINED, State.CANCELLED, State.AVAILABLE}),
    State.APPROVED: frozenset({State.SEARCHING, State.DECLINED, *_ENDS}),
    State.SEARCHING: frozenset({State.AWAITING_SELECTION, State.GRABBED, *_ENDS}),
    # a new search from awaiting_selection (or after a dead download) starts over
    State.AWAITING_SELECTION: frozenset({State.SEARCHING, State.GRABBED, *_ENDS}),
    State.GRABBED: frozenset({State.DOWNLOADING, State.AWAITING_SELECTION, *_ENDS}),
    # a series whose season is in goes on with the next: picked, or searched again
    State.DOWNLOADING: frozenset(
        {State.IMPORTING, State.AWAITING_SELECTION, State.SEARCHING, *_ENDS}
    ),
    State.IMPORTING: frozenset(
        {State.AVAILABLE, State.AWAITING_SELECTION, State.SEARCHING, *_ENDS}
    ),
    State.FAILED: frozenset({State.SEARCHING, State.CANCELLED}),
    State.AVAILABLE: frozenset(),
    State.DECLINED: frozenset(),
    State.CANCELLED: frozenset(),
}


def allowed(current: str, target: State) -> bool:
    """Whether the lifecycle allows moving from current to target."""
    return target in TRANSITIONS[State(current)]


def check_transition(request_id: int, current: str, target: State) -> None:
    """Refuse a move the lifecycle does not allow, naming both states."""
    if not allowed(current, target):
        options = ", ".join(sorted(TRANSITIONS[State(current)])) or "nothing (it is final)"
        msg = f"request {request_id} is {current}: it cannot become {target} (allowed: {options})"
        raise Conflict(msg)
