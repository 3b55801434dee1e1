"""Table: a table's rows as dataclass records, read and written with plain SQL."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

    from haul_engine.db.sql import Params, Row, Transaction

type ColumnKind = Literal["time", "flag", "json", "plain"]


class Table[R]:
    """One table and the dataclass of its rows (fields in column order, named as the columns).

    The record's fields are the table's columns; `generated` is a key the database assigns on
    insert (an autoincrement id, 0 until then). Queries give records; writes say which columns.
    """

    def __init__(
        self, name: str, record: type[R], *, key: Sequence[str], generated: str | None = None
    ) -> None:
        """Describe table `name` whose rows are `record`s, identified by the `key` columns."""
        self.name = name
        self.record = record
        self.key = tuple(key)
        self.generated = generated
        self.columns = tuple(field.name for field in dataclasses.fields(record))  # type: ignore[arg-type]
        self.select = f"SELECT {', '.join(self.columns)} FROM {name}"
        self._where_key = " AND ".join(f"{column} = :{column}" for column in self.key)

    @cached_property
    def kinds(self) -> dict[str, ColumnKind]:
        """How each column is stored: timestamps, flags and JSON values apart from the rest."""
        hints = typing.get_type_hints(self.record)
        return {column: _kind(hints[column]) for column in self.columns}

    def from_row(self, row: Row) -> R:
        """Make the record of a row of `self.select`."""
        return self.record(*row)

    async def all(
        self, tx: Transaction, clauses: str = "", params: Params | None = None
    ) -> list[R]:
        """Return the records `SELECT … FROM table <clauses>` finds (WHERE, ORDER BY, LIMIT)."""
        rows = await tx.fetch_all(f"{self.select} {clauses}", params)
        record = self.record
        return [record(*row) for row in rows]

    async def first(
        self, tx: Transaction, clauses: str = "", params: Params | None = None
    ) -> R | None:
        """Return the first record the clauses find (None: none)."""
        row = await tx.fetch_one(f"{self.select} {clauses}", params)
        return None if row is None else self.record(*row)

    async def get(self, tx: Transaction, *key: object) -> R | None:
        """Return the record of that key (its values in the key's order), or None."""
        return await self.first(
            tx, f"WHERE {self._where_key}", dict(zip(self.key, key, strict=True))
        )

    async def insert(self, tx: Transaction, record: R) -> R:
        """Insert a record; a generated key (0 until then) is set on it from the database."""
        values = self.values(record)
        if self.generated is not None and not values[self.generated]:
            del values[self.generated]
            names = list(values)
            generated = await tx.fetch_value(
                f"INSERT INTO {self.name} ({', '.join(names)}) VALUES "
                f"({', '.join(':' + name for name in names)}) RETURNING {self.generated}",
                values,
            )
            setattr(record, self.generated, generated)
            return record
        names = list(values)
        await tx.execute(
            f"INSERT INTO {self.name} ({', '.join(names)}) VALUES "
            f"({', '.join(':' + name for name in names)})",
            values,
        )
        return record

    async def upsert(
        self, tx: Transaction, record: R, columns: Sequence[str] | None = None
    ) -> None:
        """Insert a record; one of the same key takes the given columns' values instead.

        By default every column but the key's (the row becomes the record); none: it stays.
        """
        values = self.values(record)
        names = list(values)
        if columns is None:
            columns = [column for column in names if column not in self.key]
        changes = ", ".join(f"{column} = excluded.{column}" for column in columns)
        await tx.execute(
            f"INSERT INTO {self.name} ({', '.join(names)}) VALUES "
            f"({', '.join(':' + name for name in names)}) "
            f"ON CONFLICT ({', '.join(self.key)}) DO "
            + (f"UPDATE SET {changes}" if columns else "NOTHING"),
            values,
        )

    async def update(self, tx: Transaction, record: R, *columns: str) -> int:
        """Store the named columns of a record (found by its key); return the rows changed."""
        values = self.values(record)
        sets = ", ".join(f"{column} = :{column}" for column in columns)
        return await tx.execute(
            f"UPDATE {self.name} SET {sets} WHERE {self._where_key}",
            {name: values[name] for name in (*columns, *self.key)},
        )

    async def delete(self, tx: Transaction, *key: object) -> int:
        """Delete the row of that key; return whether there was one (1) or not (0)."""
        return await tx.execute(
            f"DELETE FROM {self.name} WHERE {self._where_key}",
            dict(zip(self.key, key, strict=True)),
        )

    def values(self, record: R) -> dict[str, Any]:
        """Return a record's column values by name."""
        return {column: getattr(record, column) for column in self.columns}


def _kind(hint: object) -> ColumnKind:
    """Say how a field's type is stored."""
    options = set(typing.get_args(hint)) - {type(None)} if _is_union(hint) else {hint}
    origins = {typing.get_origin(option) or option for option in options}
    if datetime in origins:
        return "time"
    if bool in origins:
        return "flag"
    if origins & {dict, list}:
        return "json"
    return "plain"


def _is_union(hint: object) -> bool:
    return isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
