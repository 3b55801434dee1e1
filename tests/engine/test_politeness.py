"""Retry-After as the indexers and the *arrs send it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from haul_engine.politeness import retry_after_seconds


def test_retry_after_reads_seconds_and_dates() -> None:
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=90), usegmt=True)
    assert 85 <= retry_after_seconds(later, 5.0) <= 90
    assert retry_after_seconds(" 30 ", 5.0) == 30
    assert retry_after_seconds(None, 5.0) == 5.0
    assert retry_after_seconds("soon", 5.0) == 5.0
    assert retry_after_seconds("-3", 5.0) == 5.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", 5.0) == 0.0  # already past
    naive = format_datetime(datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=60))
    assert 55 <= retry_after_seconds(naive, 5.0) <= 60  # "-0000": still GMT
