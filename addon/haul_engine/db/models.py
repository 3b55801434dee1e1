"""Tables shared by the whole engine; capabilities add their own models on the same Base."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import repeat
from typing import TYPE_CHECKING, Any, override

import msgspec
from sqlalchemy import DateTime, String, Text, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from sqlalchemy import Dialect


class Base(DeclarativeBase):
    """Declarative base of every table."""


def utcnow() -> datetime:
    """Return the current time, timezone-aware."""
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        msg = "naive datetime given for a UTC column"
        raise ValueError(msg)
    return value.astimezone(UTC)


def _sqlite_text(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite storage format ("2021-03-15 12:05:57.105542"), in C instead of a
    # %-format of a dict: library syncs store hundreds of thousands of these, nearly all in UTC
    if value is None:
        return None
    if value.tzinfo is not UTC:
        value = _as_utc(value)
    return value.replace(tzinfo=None).isoformat(" ", "microseconds")


_JSON_STAMPS = msgspec.json.Encoder()
_JSON_TEXTS = msgspec.json.Decoder(list[str | None])


def sqlite_texts(values: Sequence[datetime | None]) -> list[str | None]:
    """Convert a column of timestamps to SQLite text at once: what _sqlite_text does to each."""
    # msgspec writes a column as JSON in C, a UTC timestamp as "2021-03-15T12:05:57Z" or with six
    # digits of fraction ("…57.105542Z"); when every one is in UTC and all or none have a fraction,
    # two byte replacements make SQLAlchemy's text: a fifth of the cost of formatting each
    # (measured), and a library sync stores one or two per episode. msgspec also writes "Z" for an
    # offset under a minute, so the zones are checked; the count of "Z" catches naive values.
    zones = set(map(getattr, values, repeat("tzinfo"), repeat(None)))
    if zones <= {UTC, None}:
        blob = _JSON_STAMPS.encode(values)
        stamps = len(values) - values.count(None)
        fractions = blob.count(b".")
        if blob.count(b"Z") == stamps and fractions in {0, stamps}:
            seconds_end = b"" if fractions else b".000000"
            return _JSON_TEXTS.decode(blob.replace(b"T", b" ").replace(b"Z", seconds_end))
    return list(map(_sqlite_text, values))


def _sqlite_stamp(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @override
    def bind_processor(self, dialect: Dialect) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return _sqlite_text
        return super().bind_processor(dialect)

    @override
    def result_processor(self, dialect: Dialect, coltype: object) -> Callable[[Any], Any] | None:
        if dialect.name == "sqlite":
            return _sqlite_stamp
        return super().result_processor(dialect, coltype)

    @override
    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else _as_utc(value)

    @override
    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        return stamp.replace(tzinfo=UTC) if stamp.tzinfo is None else stamp.astimezone(UTC)


class EngineMeta(Base):
    """Key-value facts about this engine installation (its server id, for one)."""

    __tablename__ = "engine_meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
