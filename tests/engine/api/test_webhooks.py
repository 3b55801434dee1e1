"""The webhook adapters: one strict reading of bodies for Overseerr's and the *arrs' webhooks."""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

import pytest

from tests.engine.requests.conftest import WEBHOOK_SECRET, add_overseerr
from tests.fakes.arr import API_KEY, FakeArr
from tests.support.webhooks import send_webhook

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.fakes.overseerr import FakeOverseerr
    from tests.support.engine import EngineProcess

DEEP = b"[" * 100_000 + b"]" * 100_000
UNREADABLE = {
    "nested 100,000 deep": DEEP,
    "NaN": b'{"notification_type": NaN}',
    "a lone surrogate": b'{"eventType": "\\ud800"}',
    "not UTF-8": b'{"eventType": "\xff"}',
}


@pytest.fixture
def radarr() -> Iterator[FakeArr]:
    with FakeArr("radarr") as fake:
        yield fake


@pytest.mark.parametrize("body", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_unreadable_bodies_are_a_clear_400_on_both_webhooks(
    engine: EngineProcess, overseerr: FakeOverseerr, radarr: FakeArr, body: bytes
) -> None:
    overseerr_id = add_overseerr(engine, overseerr, reconcile=False)
    radarr_id = engine.add_connector("radarr", radarr.url, API_KEY, webhook_secret=WEBHOOK_SECRET)
    for hook in (f"overseerr/{overseerr_id}", f"arr/{radarr_id}"):
        status, answer = send_webhook(f"{engine.url}/api/v1/webhooks/{hook}", body, WEBHOOK_SECRET)
        assert (status, answer["error"]["code"]) == (400, "invalid_input"), hook
        assert answer["error"]["message"].startswith("body is not valid JSON: "), hook
    assert engine.request("GET", "/health")[1]["status"] == "ok"
    assert "Traceback" not in engine.log


def test_guessing_a_webhook_secret_is_stopped(
    engine: EngineProcess, overseerr: FakeOverseerr, radarr: FakeArr
) -> None:
    """Ten wrong secrets, then every call waits, the right one too; other connectors go on."""
    overseerr_id = add_overseerr(engine, overseerr, reconcile=False)
    radarr_id = engine.add_connector("radarr", radarr.url, API_KEY, webhook_secret=WEBHOOK_SECRET)
    hook = f"{engine.url}/api/v1/webhooks/overseerr/{overseerr_id}"
    test = {"notification_type": "TEST_NOTIFICATION", "subject": "Test"}
    statuses = [send_webhook(hook, test, guess)[0] for guess in string.printable[:36]]
    assert statuses == [401] * 10 + [429] * 26
    status, answer = send_webhook(hook, test, WEBHOOK_SECRET)
    assert (status, answer["error"]["code"]) == (429, "too_many_requests")
    arr_hook = f"{engine.url}/api/v1/webhooks/arr/{radarr_id}"
    assert send_webhook(arr_hook, {"eventType": "Test"}, WEBHOOK_SECRET)[0] == 200
    assert "wrong secrets" in engine.log
