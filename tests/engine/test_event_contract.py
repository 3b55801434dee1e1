"""The event contract over the WebSocket: each event carries its object's view and revision.

Torrents, the transfer, the system, connectors, indexers and the search queue here; requests in
`requests/test_lifecycle.py`, the library in `library/test_library_events.py`. The bulk and
partial commands (pause/resume all, PATCH /transfer) too: one call each.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from tests.engine.requests.conftest import EventRecorder
from tests.fakes.torznab import FakeTorznab
from tests.support.peers import engine_env

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.support.engine import EngineProcess

MAGNET = "magnet:?xt=urn:btih:{}&dn=contract"


def wait_until(condition: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll until condition holds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def about(events: EventRecorder, kind: str) -> list[dict[str, Any]]:
    """The events about objects of a kind, in the order they came."""
    return [e for e in list(events.events) if (e["object"] or {}).get("kind") == kind]


def test_each_object_event_carries_its_view_and_a_rising_revision(
    engine_factory: Callable[..., EngineProcess],
) -> None:
    engine = engine_factory(env=engine_env()).start()
    events = EventRecorder(engine).start()
    first, second = "1" * 40, "2" * 40
    for info_hash in (first, second):
        engine.call("POST", "/torrents", {"magnet": MAGNET.format(info_hash)})
    engine.call("POST", "/torrents/pause")
    engine.call("POST", "/torrents/resume", {"hashes": [second]})
    before = engine.call("GET", "/transfer")["limits"]
    transfer = engine.call("PATCH", "/transfer", {"limits": {"download_limit": 500}})
    with FakeTorznab() as torznab:
        feed = engine.add_connector("torznab", torznab.url, torznab.api_key)
        engine.call("POST", f"/connectors/{feed}/sync")
        engine.call("PATCH", f"/connectors/{feed}", {"name": "Feed"})
        engine.call("POST", "/queue/pause")
        queue = engine.call("POST", "/queue/resume")
        engine.call("DELETE", f"/connectors/{feed}")
    engine.call("DELETE", f"/torrents/{first}")
    wait_until(lambda: any(e["data"]["counts"]["torrents"] == 1 for e in about(events, "system")))
    wait_until(lambda: len(about(events, "connector")) >= 3)
    events.stop()

    # one counter over every object: each revision higher than the one before it, and the view
    # inside is the object's as of that revision
    seen = [e for e in events.events if e["object"]]
    revisions = [e["object"]["revision"] for e in seen]
    assert revisions == sorted(set(revisions))
    assert all(e["data"]["revision"] == e["object"]["revision"] for e in seen)
    per_object: defaultdict[tuple[str, Any], list[str]] = defaultdict(list)
    for event in seen:
        per_object[event["object"]["kind"], event["object"]["id"]].append(event["event"])

    torrent_view = set(engine.call("GET", f"/torrents/{second}"))
    torrents = about(events, "torrent")
    assert all(set(e["data"]) >= torrent_view for e in torrents)
    assert all(e["object"]["id"] == e["data"]["hash"] for e in torrents)
    assert per_object["torrent", first][0] == "torrent_added"
    assert per_object["torrent", first][-1] == "torrent_removed"
    stops = [e["data"] for e in torrents if e["event"] == "torrent_state" and e["data"]["stopped"]]
    assert {(d["hash"], d["state"]) for d in stops} == {(first, "stoppedDL"), (second, "stoppedDL")}
    latest = max(e["object"]["revision"] for e in torrents if e["object"]["id"] == second)
    assert engine.call("GET", f"/torrents/{second}")["revision"] >= latest  # REST says it too

    (limits,) = [e["data"] for e in about(events, "transfer") if e["data"]["limits"] != before]
    assert limits["limits"] == transfer["limits"]
    assert limits["revision"] == transfer["revision"] == engine.call("GET", "/transfer")["revision"]

    connectors = about(events, "connector")
    assert (connectors[0]["event"], connectors[-1]["event"]) == (
        "connector_created", "connector_removed",
    )  # fmt: skip
    assert {"url", "health", "settings", "name"} <= set(connectors[-1]["data"])
    assert connectors[-1]["data"]["name"] == "Feed"
    (indexer,) = about(events, "indexer")
    assert (indexer["event"], indexer["object"]["id"]) == ("indexer_updated", feed)
    assert {"failures", "last_success", "last_response_ms"} <= set(indexer["data"])
    assert [(e["event"], e["data"]["paused"]) for e in about(events, "queue")] == [
        ("queue_paused", True), ("queue_resumed", False),
    ]  # fmt: skip
    assert queue["revision"] == about(events, "queue")[-1]["object"]["revision"]

    # a burst of changes is one look at the counts, 0.25 s after its first event
    counts = [e["data"]["counts"]["torrents"] for e in about(events, "system")]
    assert counts[-1] == 1
    assert all(e["object"]["id"] is None for e in about(events, "system"))


def test_pause_and_resume_all_and_partial_limits_are_one_call_each(engine: EngineProcess) -> None:
    first, second = "3" * 40, "4" * 40
    for info_hash in (first, second):
        engine.call("POST", "/torrents", {"magnet": MAGNET.format(info_hash)})
    paused = engine.call("POST", "/torrents/pause")  # every torrent
    assert {(t["hash"], t["stopped"]) for t in paused} == {(first, True), (second, True)}
    resumed = engine.call("POST", "/torrents/resume", {"hashes": [second.upper()]})
    assert [(t["hash"], t["stopped"]) for t in resumed] == [(second, False)]
    status, answer = engine.request("POST", "/api/v1/torrents/resume", {"hashes": ["5" * 40]})
    assert (status, answer["error"]["code"]) == (404, "not_found")
    assert engine.call("GET", f"/torrents/{first}")["stopped"]  # nothing resumed
    assert engine.call("POST", "/torrents/resume")[0]["stopped"] is False

    before = engine.call("GET", "/transfer")["limits"]
    changes = {"upload_limit": 70, "alt_mode": True, "alt_schedule": {"days": [5, 6]}}
    limits = engine.call("PATCH", "/transfer", {"limits": changes})["limits"]  # only those
    assert limits == before | changes | {"alt_schedule": before["alt_schedule"] | {"days": [5, 6]}}
    assert engine.call("GET", "/transfer")["limits"] == limits  # kept
    status, answer = engine.request("PATCH", "/api/v1/transfer", {"limits": {"upload_limit": -1}})
    assert (status, answer["error"]["code"]) == (400, "invalid_input")
    assert engine.call("GET", "/transfer")["limits"] == limits
    for info_hash in (first, second):
        engine.call("DELETE", f"/torrents/{info_hash}")


def test_the_openapi_document_describes_the_events(engine: EngineProcess) -> None:
    document = engine.call("GET", "/openapi.json")
    schemas = document["components"]["schemas"]
    envelope = schemas["Event"]
    assert envelope["required"] == ["type", "event", "object", "data", "at"]
    described = document["x-events"]
    assert set(described) == set(envelope["properties"]["event"]["enum"])
    for name, event in described.items():
        reference = event["data"].get("$ref", "")
        assert (event["object"] is None) == (reference == ""), name
        if reference:
            view = schemas[reference.rsplit("/", 1)[1]]
            assert "revision" in view["properties"], name
    assert described["torrent_progress"]["object"] == "torrent"
    assert described["torrents_vpn_down"]["object"] is None
    assert "patch" in document["paths"]["/api/v1/transfer"]
    assert "post" in document["paths"]["/api/v1/torrents/pause"]
