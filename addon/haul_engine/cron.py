"""A small five-field cron matcher: minute hour day-of-month month day-of-week."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

_FIELDS = (("minute", 0, 59), ("hour", 0, 23), ("day", 1, 31), ("month", 1, 12), ("weekday", 0, 6))
_SEARCH_LIMIT = timedelta(days=366 * 4)


class CronError(ValueError):
    """A cron expression that cannot be parsed; the message says which field."""


@dataclass(frozen=True, slots=True)
class Cron:
    """A parsed cron expression; weekday 0 and 7 are Sunday."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    any_day: bool
    any_weekday: bool

    @classmethod
    def parse(cls, expression: str) -> Cron:
        """Parse `*`, `*/n`, `a`, `a-b`, `a-b/n` and comma lists in each of the five fields."""
        parts = expression.split()
        if len(parts) != len(_FIELDS):
            msg = f"cron {expression!r}: expected 5 fields (minute hour day month weekday)"
            raise CronError(msg)
        values = []
        for text, (name, low, high) in zip(parts, _FIELDS, strict=True):
            top = 7 if name == "weekday" else high
            values.append(_parse_field(expression, name, text, low, top))
        weekdays = frozenset(day % 7 for day in values[4])
        return cls(
            expression, values[0], values[1], values[2], values[3], weekdays,
            any_day=parts[2] == "*", any_weekday=parts[4] == "*",
        )  # fmt: skip

    def matches(self, moment: datetime) -> bool:
        """Whether the minute of moment is one the expression selects (classic day OR weekday)."""
        if moment.minute not in self.minutes or moment.hour not in self.hours:
            return False
        if moment.month not in self.months:
            return False
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.any_day or self.any_weekday:
            return day_ok and weekday_ok
        return day_ok or weekday_ok

    def next_after(self, moment: datetime) -> datetime:
        """Return the first matching minute strictly after moment."""
        candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = candidate + _SEARCH_LIMIT
        while candidate < limit:
            if candidate.month not in self.months:
                candidate = (
                    candidate.replace(day=1, hour=0, minute=0) + timedelta(days=32)
                ).replace(day=1)
            elif not self.matches(
                candidate.replace(hour=min(self.hours), minute=min(self.minutes))
            ):
                candidate = candidate.replace(hour=0, minute=0) + timedelta(days=1)
            elif candidate.hour not in self.hours:
                candidate = candidate.replace(minute=0) + timedelta(hours=1)
            elif candidate.minute not in self.minutes:
                candidate += timedelta(minutes=1)
            else:
                return candidate
        msg = f"cron {self.expression!r} never matches"
        raise CronError(msg)


def _parse_field(expression: str, name: str, text: str, low: int, high: int) -> frozenset[int]:
    selected: set[int] = set()
    for item in text.split(","):
        selected |= _parse_item(item, low, high, f"cron {expression!r}, {name} field {text!r}")
    return frozenset(selected)


def _parse_item(item: str, low: int, high: int, where: str) -> set[int]:
    span, _, step_text = item.partition("/")
    try:
        step = int(step_text) if step_text else 1
        if span == "*":
            first, last = low, high
        elif "-" in span:
            first_text, last_text = span.split("-", 1)
            first, last = int(first_text), int(last_text)
        else:
            first = last = int(span)
            if step_text:
                last = high
    except ValueError:
        msg = f"{where}: not a number, range or */step"
        raise CronError(msg) from None
    if step < 1 or not low <= first <= last <= high:
        msg = f"{where}: values must lie in {low}-{high} with a positive step"
        raise CronError(msg)
    return set(range(first, last + 1, step))


def validate_cron(expression: str) -> str:
    """Pydantic-friendly check: return the expression or raise a ValueError naming the fault."""
    Cron.parse(expression)
    return expression
