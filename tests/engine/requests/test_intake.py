"""Webhook intake: authentication, bad bodies, idempotence, approve/decline round trips, audit."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

import pytest

from tests.engine.requests.conftest import (
    FAST,
    WEBHOOK_SECRET,
    add_overseerr,
    only_request,
)
from tests.fakes.overseerr import API_KEY, IMAGE, OverseerrRequest
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess


def matrix() -> OverseerrRequest:
    """A fresh pending movie request (the fake changes its status on approve or decline)."""
    return OverseerrRequest(id=7, media_type="movie", title="The Matrix", year=1999, tmdb_id=603)


def _hook(engine: EngineProcess, connector_id: str) -> str:
    return f"{engine.url}/api/v1/webhooks/overseerr/{connector_id}"


def test_refuses_bad_webhooks_and_changes_nothing(
    engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr
) -> None:
    """Missing or wrong secret → 401, not JSON or no type/id → 400; nothing is stored."""
    engine = engine_factory(env=FAST).start()
    connector = add_overseerr(engine, overseerr, reconcile=False)
    url = _hook(engine, connector)
    body = overseerr.add(matrix()).webhook("MEDIA_PENDING")

    assert send_webhook(url, body, None)[0] == 401
    assert send_webhook(url, body, "wrong-secret")[0] == 401
    assert send_webhook(url, body, f"Bearer {WEBHOOK_SECRET}x")[0] == 401
    unknown = f"{engine.url}/api/v1/webhooks/overseerr/nope"
    assert send_webhook(unknown, body, WEBHOOK_SECRET)[0] == 404
    status, answer = send_webhook(url, b"{not json", WEBHOOK_SECRET)
    assert (status, answer["error"]["code"]) == (400, "invalid_input")
    assert send_webhook(url, {"subject": "x"}, WEBHOOK_SECRET)[0] == 400
    no_id = {**body, "request": {"request_id": ""}}
    status, answer = send_webhook(url, no_id, WEBHOOK_SECRET)
    assert status == 400
    assert "request_id" in answer["error"]["message"]
    assert send_webhook(url, {"notification_type": "TEST_NOTIFICATION"}, WEBHOOK_SECRET) == (
        200, {"ok": True, "queued": False},
    )  # fmt: skip

    time.sleep(0.5)
    assert engine.request("GET", "/api/v1/requests") == (200, [])
    assert WEBHOOK_SECRET not in engine.log
    status, connector_view = engine.request("GET", f"/api/v1/connectors/{connector}")
    assert WEBHOOK_SECRET not in str(connector_view)
    assert connector_view["secrets_set"] == ["webhook_secret"]


def test_pending_then_approved_in_haul_approves_in_overseerr(
    engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr
) -> None:
    """A pending request (sent twice) is stored once; approving in Haul approves in Overseerr."""
    engine = engine_factory(env=FAST).start()
    connector = add_overseerr(engine, overseerr, reconcile=False)
    body = overseerr.add(matrix()).webhook("MEDIA_PENDING")
    for _ in range(2):
        status, answer = send_webhook(_hook(engine, connector), body, WEBHOOK_SECRET)
        assert status == 200
        assert answer["ok"] is True
    request = only_request(engine)
    expected = {"state": "pending", "title": "The Matrix", "year": 1999, "tmdb_id": 603,
                "media_type": "movie", "requested_by": "alice", "external_id": "7",
                "poster_url": IMAGE}  # fmt: skip
    assert request | expected == request
    time.sleep(0.5)
    assert len(engine.request("GET", "/api/v1/requests")[1]) == 1

    status, answer = engine.request("POST", f"/api/v1/requests/{request['id']}/select",
                                    {"candidate_id": 1})  # fmt: skip
    assert status == 409
    assert "pending" in answer["error"]["message"]

    status, approved = engine.request(
        "POST", f"/api/v1/requests/{request['id']}/approve", {"actor": "bob"}
    )
    assert status == 200, approved
    assert overseerr.decisions == [(7, "approve")]
    # a late MEDIA_APPROVED from Overseerr for the same request changes nothing
    send_webhook(_hook(engine, connector), overseerr.store[7].webhook("MEDIA_APPROVED"),
                 WEBHOOK_SECRET)  # fmt: skip
    time.sleep(0.5)
    status, detail = engine.request("GET", f"/api/v1/requests/{request['id']}")
    moves = [(h["from_state"], h["to_state"], h["actor"], h["origin"]) for h in detail["history"]]
    assert moves[:2] == [
        (None, "pending", "alice", "webhook"),
        ("pending", "approved", "bob", "api"),
    ]
    assert sum(1 for move in moves if move[1] == "approved") == 1


def test_overseerr_refusing_changes_nothing_and_decline_is_final(
    engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr
) -> None:
    """While Overseerr refuses nothing changes; a decline reaches it and is final."""
    engine = engine_factory(env=FAST).start()
    connector = add_overseerr(engine, overseerr, reconcile=False)
    send_webhook(_hook(engine, connector), overseerr.add(matrix()).webhook("MEDIA_PENDING"),
                 WEBHOOK_SECRET)  # fmt: skip
    request = only_request(engine)
    overseerr.api_key = "rotated"
    status, answer = engine.request("POST", f"/api/v1/requests/{request['id']}/approve")
    assert status == 503
    assert "refused" in answer["error"]["message"]
    assert engine.request("GET", f"/api/v1/requests/{request['id']}")[1]["state"] == "pending"
    assert overseerr.decisions == []

    overseerr.api_key = API_KEY
    status, answer = engine.request("POST", f"/api/v1/requests/{request['id']}/decline",
                                    {"reason": "not on our server"})  # fmt: skip
    assert (status, answer["state"], answer["reason"]) == (200, "declined", "not on our server")
    assert overseerr.decisions == [(7, "decline")]
    status, answer = engine.request("POST", f"/api/v1/requests/{request['id']}/approve")
    assert status == 409
    assert "final" in answer["error"]["message"]
    assert engine.request("GET", "/api/v1/requests?state=declined")[1][0]["id"] == request["id"]
    assert engine.request("GET", "/api/v1/requests?state=pending") == (200, [])
    assert engine.request("GET", "/api/v1/requests?state=bogus")[0] == 400


def test_reconciles_requests_missed_while_haul_was_down(
    engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr
) -> None:
    """Pending requests are read back from Overseerr when the connector starts."""
    engine = engine_factory(env=FAST).start()
    overseerr.add(dataclasses.replace(matrix(), poster_path="/matrix.jpg"))
    add_overseerr(engine, overseerr)
    request = only_request(engine)
    assert (request["external_id"], request["state"]) == ("7", "pending")
    assert request["poster_url"] == "https://image.tmdb.org/t/p/w600_and_h900_bestv2/matrix.jpg"
    history = engine.request("GET", f"/api/v1/requests/{request['id']}")[1]["history"]
    assert history[0]["origin"] == "reconcile"


def test_a_custom_template_job_survives_a_kill_on_postgresql(
    engine_factory: Callable[..., EngineProcess],
    overseerr: FakeOverseerr,
    postgres_database: str,
) -> None:
    """A minimal custom body is queued; while Overseerr refuses, the job outlives a SIGKILL."""
    engine = engine_factory(env=FAST, args=["--database-url", postgres_database]).start()
    connector = add_overseerr(engine, overseerr, reconcile=False)
    overseerr.add(matrix())
    overseerr.api_key = "rotated"
    custom = {"notification_type": "media_pending", "request_id": "7"}
    assert send_webhook(_hook(engine, connector), custom, WEBHOOK_SECRET) == (
        200, {"ok": True, "queued": True},
    )  # fmt: skip
    assert engine.wait_for_log("request job webhook:")
    engine.kill()
    overseerr.api_key = API_KEY
    engine.start()
    request = only_request(engine)
    assert (request["tmdb_id"], request["requested_by"], request["state"]) == (
        603,
        "alice",
        "pending",
    )


@pytest.mark.parametrize("engine_args", ["sqlite", "postgresql"], indirect=True)
def test_requests_are_listed_by_page_state_and_activity(
    engine_factory: Callable[..., EngineProcess], overseerr: FakeOverseerr, engine_args: list[str]
) -> None:
    """GET /requests: newest first, a page before an id, one state, under way or ended; a later
    webhook's poster and Overseerr's new routing are kept."""
    engine = engine_factory(env=FAST, args=engine_args).start()
    connector = add_overseerr(engine, overseerr, reconcile=False)
    films = [
        overseerr.add(OverseerrRequest(id=number, media_type="movie", title=f"Film {number}",
                                       year=1990 + number, tmdb_id=1000 + number))
        for number in (21, 22, 23)
    ]  # fmt: skip
    for film in films:
        send_webhook(_hook(engine, connector), film.webhook("MEDIA_PENDING"), WEBHOOK_SECRET)
    deadline = time.monotonic() + 10
    while len(engine.call("GET", "/requests")) < len(films):
        assert time.monotonic() < deadline, engine.log[-3000:]
        time.sleep(0.05)
    newest, middle, oldest = ids = [request["id"] for request in engine.call("GET", "/requests")]
    assert ids == sorted(ids, reverse=True)
    engine.call("POST", f"/requests/{middle}/decline", {"reason": "not here"})

    def listed(query: str) -> list[int]:
        return [request["id"] for request in engine.call("GET", f"/requests?{query}")]

    assert listed("limit=1") == [newest]
    assert listed(f"before={newest}") == [middle, oldest]
    assert listed(f"before={newest}&limit=1") == [middle]
    assert listed("active=true") == [newest, oldest]
    assert listed("active=false") == [middle]
    assert listed(f"active=true&state=pending&before={newest}") == [oldest]
    assert listed("active=false&state=pending") == []

    # approved in Overseerr with another profile and poster: both are kept before it moves on
    first = films[0]
    first.profile_id, first.image = 9, "https://image.example/film-21.jpg"
    send_webhook(_hook(engine, connector), first.webhook("MEDIA_APPROVED"), WEBHOOK_SECRET)
    deadline = time.monotonic() + 10
    while engine.call("GET", f"/requests/{oldest}")["state"] == "pending":
        assert time.monotonic() < deadline, engine.log[-3000:]
        time.sleep(0.05)
    detail = engine.call("GET", f"/requests/{oldest}")
    assert (detail["quality_profile_id"], detail["poster_url"]) == (9, first.image)
    assert [move["to_state"] for move in detail["history"]][:2] == ["pending", "approved"]
