"""The five-field cron matcher."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from haul_engine.cron import Cron, CronError

START = datetime(2026, 11, 21, 6, 32, tzinfo=UTC)  # a Saturday


@pytest.mark.parametrize(
    ("expression", "after"),
    [
        ("*/30 * * * *", datetime(2026, 11, 21, 7, 0, tzinfo=UTC)),
        ("5 * * * *", datetime(2026, 11, 21, 7, 5, tzinfo=UTC)),
        ("15 */2 * * 1-5", datetime(2026, 11, 23, 0, 15, tzinfo=UTC)),
        ("0 3 * * 0,6", datetime(2026, 11, 22, 3, 0, tzinfo=UTC)),
        ("0 3 * * 7", datetime(2026, 11, 22, 3, 0, tzinfo=UTC)),
        ("0 0 1 1 *", datetime(2027, 1, 1, 0, 0, tzinfo=UTC)),
        ("0 0 29 2 *", datetime(2028, 2, 29, 0, 0, tzinfo=UTC)),
        ("0 12 1 * 1", datetime(2026, 11, 23, 12, 0, tzinfo=UTC)),  # day OR weekday
        ("10-20/5 7 * * *", datetime(2026, 11, 21, 7, 10, tzinfo=UTC)),
    ],
)
def test_next_after(expression: str, after: datetime) -> None:
    cron = Cron.parse(expression)
    assert cron.next_after(START) == after
    assert cron.matches(after)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "expected 5 fields"),
        ("61 * * * *", "minute field '61'"),
        ("* 24 * * *", "hour field"),
        ("* * 0 * *", "day field"),
        ("*/0 * * * *", "positive step"),
        ("a * * * *", "not a number"),
        ("5-1 * * * *", "values must lie"),
    ],
)
def test_bad_expressions_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        Cron.parse(expression)


def test_impossible_dates_never_match() -> None:
    with pytest.raises(CronError, match="never matches"):
        Cron.parse("0 0 31 2 *").next_after(START)
