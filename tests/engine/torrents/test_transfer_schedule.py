"""The alternative-speed schedule and which limits apply (pure logic, no engine)."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from haul_engine.torrents.transfer import AltSchedule, TransferLimits

MONDAY = datetime(2026, 11, 16, 0, 0).astimezone()  # a Monday, local time like the schedule


@pytest.mark.parametrize(
    ("start", "end", "days", "moment", "expected"),
    [
        (time(1), time(7), [0], MONDAY.replace(hour=3), True),
        (time(1), time(7), [0], MONDAY.replace(hour=7), False),
        (time(1), time(7), [1], MONDAY.replace(hour=3), False),
        (time(22), time(6), [0], MONDAY.replace(hour=23), True),  # spans midnight
        (
            time(22),
            time(6),
            [0],
            MONDAY.replace(day=17, hour=5),
            True,
        ),  # Tuesday morning, Monday's night
        (time(22), time(6), [0], MONDAY.replace(hour=5), False),  # Sunday's night is not scheduled
        (time(22), time(6), [0], MONDAY.replace(hour=12), False),
    ],
)
def test_schedule_windows(
    start: time,
    end: time,
    days: list[int],
    moment: datetime,
    expected: bool,  # noqa: FBT001 - a parametrized value
) -> None:
    schedule = AltSchedule(enabled=True, start=start, end=end, days=days)
    assert schedule.covers(moment) is expected
    assert AltSchedule(enabled=False, start=start, end=end, days=days).covers(moment) is False


def test_limits_in_force_follow_the_mode_and_schedule() -> None:
    limits = TransferLimits(
        download_limit=100, upload_limit=50, alt_download_limit=10, alt_upload_limit=5
    )
    assert limits.effective() == (100 * 1024, 50 * 1024)
    assert limits.model_copy(update={"alt_mode": True}).effective() == (10 * 1024, 5 * 1024)
    assert limits.scheduled(MONDAY) is None  # no schedule: alt_mode alone decides
    scheduled = limits.model_copy(
        update={"alt_schedule": AltSchedule(enabled=True, start=time(0), end=time(1))}
    )
    assert scheduled.scheduled(MONDAY) is True
    assert scheduled.scheduled(MONDAY.replace(hour=2)) is False
    assert scheduled.effective() == (100 * 1024, 50 * 1024)  # the engine switches alt_mode


def test_a_time_given_with_an_offset_is_read_in_local_time() -> None:
    """An offset names another clock: converted, it compares with the local times (was a 500)."""
    schedule = AltSchedule.model_validate(
        {"enabled": True, "start": "01:00:00+00:00", "end": "07:00", "days": list(range(7))}
    )
    utc_one = datetime.combine(datetime.now(UTC).date(), time(1)).replace(tzinfo=UTC)
    assert schedule.start == utc_one.astimezone().time().replace(tzinfo=None)
    assert schedule.start.tzinfo is None
    schedule.covers(MONDAY.replace(hour=3))  # compares without error
