"""psycopg's cursor, with a result's description made only when someone reads it.

SQLAlchemy asks every result for `cursor.description`, but for a statement it has run before
it only checks that there is one: its compiled statement keeps what the columns are. psycopg
builds a `Column` object for each column every time (psycopg issues #446 and #457), and the
ORM's rows are wide (40 columns and more once related rows are joined in): about a tenth of
what a served command executes went on descriptions nobody read (BENCHMARKS.md).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, overload

import psycopg
from psycopg import Column
from psycopg.adapt import AdaptersMap
from psycopg.pq.abc import PGresult


class _Result:
    """What a `Column` reads of its cursor, kept from the moment of the result: the cursor may
    have run another statement by the time the description is read."""

    def __init__(self, cursor: psycopg.Cursor[Any], result: PGresult) -> None:
        self.pgresult = result
        self.adapters: AdaptersMap = cursor.adapters
        self._encoding: str = cursor._encoding


class Description(Sequence[Column]):
    """A result's columns, each made on first use: counting them, or asking whether there are
    any, makes none."""

    def __init__(self, cursor: psycopg.Cursor[Any], result: PGresult) -> None:
        self._result = _Result(cursor, result)
        self._count = result.nfields
        self._columns: list[Column] | None = None

    def _made(self) -> list[Column]:
        if self._columns is None:
            self._columns = [Column(self._result, i) for i in range(self._count)]  # type: ignore[arg-type]
        return self._columns

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Column: ...

    @overload
    def __getitem__(self, index: slice) -> list[Column]: ...

    def __getitem__(self, index: int | slice) -> Column | list[Column]:
        return self._made()[index]

    def __iter__(self) -> Iterator[Column]:
        return iter(self._made())

    def __repr__(self) -> str:
        return repr(self._made())


class Cursor(psycopg.Cursor[Any]):
    """The cursor every PostgreSQL connection of the bot makes (`storage.database.make_engine`)."""

    @property
    def description(self) -> Sequence[Column] | None:  # type: ignore[override]
        result = self.pgresult
        if result is not None and result.nfields:
            return Description(self, result)
        return super().description  # no columns: psycopg decides between None and []
