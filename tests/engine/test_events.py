"""The event bus: listeners inside the engine beside the WebSocket streams; revisions, envelope."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from haul_engine.events import SUBJECTS, Event, EventBus, EventName

if TYPE_CHECKING:
    import pytest

ADDED, COMPLETED, HEARTBEAT = (
    EventName.TORRENT_ADDED,
    EventName.TORRENT_COMPLETED,
    EventName.SYSTEM_HEARTBEAT,
)
BUG, ASYNC_BUG = "listener bug", "async listener bug"


async def test_listeners_get_the_names_they_follow_until_they_unsubscribe() -> None:
    bus = EventBus()
    torrents: list[Event] = []
    everything: list[Event] = []
    unsubscribe = bus.subscribe(torrents.append, [ADDED, COMPLETED])
    bus.subscribe(everything.append)
    bus.publish(ADDED, {"hash": "a"}, "a")
    bus.publish(HEARTBEAT, {})
    bus.publish(COMPLETED, {"hash": "a"}, "a")
    assert [(e.name, e.data) for e in torrents] == [
        (ADDED, {"hash": "a", "revision": 1}),
        (COMPLETED, {"hash": "a", "revision": 3}),
    ]
    assert [e.name for e in everything] == [ADDED, HEARTBEAT, COMPLETED]
    unsubscribe()
    unsubscribe()  # twice is harmless
    bus.publish(ADDED, {"hash": "b"})
    assert len(torrents) == 2
    assert len(everything) == 4


async def test_coroutine_listeners_run_as_tasks_and_publishing_never_waits() -> None:
    bus = EventBus()
    release = asyncio.Event()
    seen: list[str] = []

    async def slow(event: Event) -> None:
        await release.wait()
        seen.append(event.data["hash"])

    bus.subscribe(slow, [ADDED])
    bus.publish(ADDED, {"hash": "a"})  # returns at once although the listener waits
    bus.publish(ADDED, {"hash": "b"})
    assert seen == []
    release.set()
    async with asyncio.timeout(5):
        while len(seen) < 2:  # noqa: ASYNC110 - the listener tasks need the loop to run
            await asyncio.sleep(0)
    assert sorted(seen) == ["a", "b"]


async def test_a_failing_listener_is_logged_and_the_others_still_hear(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bus = EventBus()
    heard: list[EventName] = []
    stream = bus.stream()

    def broken(_event: Event) -> None:
        raise RuntimeError(BUG)

    async def broken_later(_event: Event) -> None:
        await asyncio.sleep(0)
        raise RuntimeError(ASYNC_BUG)

    bus.subscribe(broken)
    bus.subscribe(broken_later)
    bus.subscribe(lambda event: heard.append(event.name))
    with caplog.at_level(logging.ERROR, "haul_engine.events"):
        assert bus.publish(ADDED, {}).name == ADDED
        bus.publish(COMPLETED, {})
        await asyncio.sleep(0.05)
    assert heard == [ADDED, COMPLETED]
    streamed = [await stream.next(), await stream.next()]
    assert [event.name for event in streamed if event] == [ADDED, COMPLETED]
    failures = [r for r in caplog.records if r.exc_info]
    assert {str(r.exc_info[1]) for r in failures if r.exc_info} == {BUG, ASYNC_BUG}
    assert len(failures) == 4  # each listener on each event


async def test_a_listener_subscribing_or_leaving_while_an_event_is_delivered() -> None:
    bus = EventBus()
    late: list[Event] = []
    unsubscribe_first = None

    def first(_event: Event) -> None:
        bus.subscribe(late.append)  # hears the next event, not this one
        if unsubscribe_first is not None:
            unsubscribe_first()

    unsubscribe_first = bus.subscribe(first)
    bus.publish(ADDED, {})
    bus.publish(COMPLETED, {})
    assert [event.name for event in late] == [COMPLETED]


async def test_close_cancels_listeners_still_running() -> None:
    bus = EventBus()
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def endless(_event: Event) -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            cancelled.set()
            raise

    bus.subscribe(endless, [ADDED])
    bus.publish(ADDED, {})
    await asyncio.wait_for(started.wait(), 5)
    await asyncio.wait_for(bus.close(), 5)
    assert cancelled.is_set()


async def test_a_stream_that_overflows_ends_without_blocking_the_bus() -> None:
    bus = EventBus()
    stream = bus.stream(maxsize=2)
    heard: list[Event] = []
    bus.subscribe(heard.append)
    for number in range(5):
        bus.publish(ADDED, {"n": number})
    assert len(heard) == 5
    assert stream.overflowed
    assert (await stream.next()) is not None
    assert (await stream.next()) is None


def test_every_event_names_its_object_kind_or_is_a_notice() -> None:
    assert set(SUBJECTS) == set(EventName)
    assert {kind for kind in SUBJECTS.values() if kind} == {
        "torrent", "transfer", "system", "request", "connector", "library", "queue", "indexer",
    }  # fmt: skip
    assert SUBJECTS[EventName.TORRENTS_VPN_DOWN] is None
    assert SUBJECTS[EventName.DOWNLOAD_COMPLETED] == "request"  # the torrent's is torrent_completed


def test_revisions_rise_per_object_from_one_counter_and_ride_in_the_envelope() -> None:
    bus = EventBus()
    assert bus.revision("torrent", "a") == 0
    first = bus.publish(ADDED, {"hash": "a"}, "a")
    other = bus.publish(ADDED, {"hash": "b"}, "b")
    status = bus.publish(HEARTBEAT, {"status": "ok"})
    notice = bus.publish(EventName.TORRENTS_VPN_DOWN, {"interface": "wg0"})
    again = bus.publish(COMPLETED, {"hash": "a"}, "a")
    assert [first.revision, other.revision, status.revision, again.revision] == [1, 2, 3, 4]
    assert (bus.revision("torrent", "a"), bus.revision("torrent", "b")) == (4, 2)
    assert bus.revision("system") == 3
    assert again.data == {"hash": "a", "revision": 4}  # the view as of its revision
    message = again.as_message()
    assert message | {
        "type": "event", "event": "torrent_completed", "data": {"hash": "a", "revision": 4},
        "object": {"kind": "torrent", "id": "a", "revision": 4},
    } == message  # fmt: skip
    assert status.as_message()["object"] == {"kind": "system", "id": None, "revision": 3}
    assert notice.as_message()["object"] is None
    assert (notice.revision, notice.data) == (0, {"interface": "wg0"})
