"""BulkInsert: many rows into one table in few driver calls, converted a column at a time."""

from __future__ import annotations

import json
from functools import partial
from typing import TYPE_CHECKING, Any

from haul_engine.db.values import sqlite_texts

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence

    from haul_engine.db.sql import Transaction
    from haul_engine.db.tables import ColumnKind, Table


class BulkInsert:
    """An INSERT of many rows: values converted a column at a time, sent in few driver calls."""

    def __init__(
        self,
        table: Table[Any],
        columns: Sequence[str],
        dialect: str,
        *,
        update_on_conflict: Sequence[str] = (),
        conflict_key: Sequence[str] = (),
        **constants: Any,  # noqa: ANN401 - a value for that column in every row
    ) -> None:
        """Write the statement once and look up each column's conversion.

        update_on_conflict names the columns an existing row (same conflict_key, by default the
        primary key) takes over: an upsert, which SQLite and PostgreSQL write the same way.
        """
        self.columns = columns
        self.constants = constants
        keys = [*constants, *columns]
        upsert = (
            f" ON CONFLICT ({', '.join(conflict_key or table.key)}) DO UPDATE SET "
            + ", ".join(f"{name} = excluded.{name}" for name in update_on_conflict)
            if update_on_conflict
            else ""
        )
        self.statement = (
            f"INSERT INTO {table.name} ({', '.join(keys)}) "
            f"VALUES ({', '.join('?' * len(keys))}){upsert}"
        )
        self.processors = [(key, _column_processor(table.kinds[key], dialect)) for key in keys]

    def encode(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        """Turn rows (values in columns' order) into the driver's values: flat, row after row.

        Each column is converted, then slotted in at its stride: no tuple per row is built.
        """
        width = len(self.processors)
        flat: list[Any] = [None] * (len(rows) * width)
        if not rows:
            return flat
        columns = dict(zip(self.columns, zip(*rows, strict=True), strict=True))
        for position, (key, process) in enumerate(self.processors):
            values = columns[key] if key in columns else [self.constants[key]] * len(rows)
            flat[position::width] = values if process is None else process(values)
        return flat

    async def write(self, tx: Transaction, flat: list[Any]) -> None:
        """Insert encoded rows."""
        if flat:
            await tx.insert_many(self.statement, flat, len(self.processors))


def _column_processor(
    kind: ColumnKind, dialect: str
) -> Callable[[Sequence[Any]], list[Any]] | None:
    """Return what converts a column of values for the driver (None: they go as they are)."""
    if dialect != "sqlite":
        return None  # asyncpg binds timestamps, flags and JSON values (its codec) as they are
    if kind == "flag":
        return _flags
    if kind == "time":
        return sqlite_texts
    if kind == "json":
        return partial(_each, _json)
    return None


def _flags(values: Sequence[bool | None]) -> list[int | None]:
    # sqlite3 stores a bool as 0/1, but binds an exact int faster than a bool (GIL held)
    if None in values:  # a column that may be NULL (None: no choice made)
        return [None if value is None else int(value) for value in values]
    return list(map(int, values))  # type: ignore[arg-type]  # no None among them


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value)


def _each(process: Callable[[Any], Any], values: Iterable[Any]) -> list[Any]:
    return list(map(process, values))
