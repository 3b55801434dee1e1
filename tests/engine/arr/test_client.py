"""The base *arr client against a fake over loopback: headers, retries, 429, errors, key hygiene."""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING

import pytest

from haul_engine import __version__
from haul_engine.arr.apps import AppClient
from haul_engine.arr.client import ArrError, ArrOfflineError, RetryPolicy
from haul_engine.arr.kinds import ArrSettings
from haul_engine.connectors.kinds import ConnectorConfig
from haul_engine.logs import SecretFilter
from tests.fakes.arr import API_KEY, FakeArr

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

RETRY = RetryPolicy(attempts=3, backoff=0.0, timeout=1.0)


class Recorder(logging.Handler):
    """Keeps every record it is handed."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def sonarr(socket_enabled: None) -> Iterator[FakeArr]:
    with FakeArr("sonarr") as fake:
        yield fake


@pytest.fixture
async def client(sonarr: FakeArr) -> AsyncIterator[AppClient]:
    config = ConnectorConfig(id="c1", kind="sonarr", name="TV", url=sonarr.url, api_key=API_KEY,
                             settings=ArrSettings(), verify_tls=False)  # fmt: skip
    client = AppClient(config, retry=RETRY)
    yield client
    await client.close()


async def test_headers_name_haul_and_carry_the_key_outside_the_url(
    sonarr: FakeArr, client: AppClient
) -> None:
    assert await client.detect() == "series"
    assert sonarr.user_agents == {f"Haul/{__version__} (+https://github.com/haul-media/haul)"}
    assert all(API_KEY not in path for _, path in sonarr.requests)
    assert API_KEY in SecretFilter.secrets


async def test_retries_then_gives_up_with_a_clear_error(sonarr: FakeArr, client: AppClient) -> None:
    sonarr.fail_next("500", "429")
    assert (await client.status()).app == "Sonarr"
    assert len(sonarr.requests) == 3
    sonarr.fail_next("500", "500", "500")
    with pytest.raises(
        ArrError, match=r"TV: GET /system/status failed after 3 tries: server error"
    ):
        await client.status()


async def test_a_429_is_waited_out_also_when_it_names_a_date(
    sonarr: FakeArr, client: AppClient
) -> None:
    sonarr.retry_after = format_datetime(datetime.now(UTC) + timedelta(seconds=2), usegmt=True)
    sonarr.fail_next("429")
    started = time.monotonic()
    assert (await client.status()).app == "Sonarr"
    assert 0.9 <= time.monotonic() - started <= 3.0  # whole seconds in an HTTP date


async def test_commands_are_never_sent_twice(sonarr: FakeArr, client: AppClient) -> None:
    sonarr.fail_next("500")
    with pytest.raises(ArrError, match="after 1 tries: server error") as failed:
        await client.command("RssSync")
    assert failed.value.maybe_received is False
    sonarr.hang_seconds = 1.5
    sonarr.fail_next("hang")
    with pytest.raises(ArrOfflineError) as timed_out:
        await client.command("RssSync")
    assert timed_out.value.maybe_received is True
    assert [method for method, _ in sonarr.requests] == ["POST", "POST"]


async def test_timeouts_and_unreachable_are_offline(sonarr: FakeArr, client: AppClient) -> None:
    sonarr.hang_seconds = 1.5
    sonarr.fail_next("hang", "hang", "hang")
    with pytest.raises(ArrOfflineError, match="unreachable"):
        await client.status()
    config = ConnectorConfig(id="c2", kind="sonarr", name="Gone", url="http://127.0.0.1:9",
                             api_key=API_KEY, settings=ArrSettings())  # fmt: skip
    gone = AppClient(config, retry=RETRY)
    assert await gone.ping() is False
    await gone.close()


async def test_errors_and_logs_never_show_the_key(sonarr: FakeArr, client: AppClient) -> None:
    handler = Recorder()
    records = handler.records
    logger = logging.getLogger("haul_engine.arr")
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        sonarr.fail_next("500")
        await client.status()
        sonarr.api_key = "rotated-key-abcdef"
        with pytest.raises(ArrError) as refused:
            await client.status()
    finally:
        logger.removeHandler(handler)
    assert records
    assert API_KEY not in str(refused.value)
    assert all(API_KEY not in record.getMessage() for record in records)
