"""aiosqlite with one trip to its thread per statement, instead of four.

aiosqlite runs each SQLite connection in a thread of its own and hands it every call: making
a cursor, executing, fetching the rows and closing the cursor are four hand-offs, each a
queue put, a thread wake-up and a self-pipe write back to the event loop. SQLAlchemy's
aiosqlite adapter makes those four calls for every statement (and fetches every row at once
anyway), so under load Tend's event loop spent more time passing statements to SQLite than
SQLite spent running them.

:class:`OneTripConnection` is an ``aiosqlite.Connection`` whose cursors do the whole
statement — execute, fetch every row, close — in one call on the connection's thread, and
answer ``fetch*`` from the rows they brought back. Everything else (transactions, functions,
closing) is aiosqlite's own. SQLAlchemy is given it through ``async_creator``.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiosqlite

_Outcome = tuple[Any, int, int | None, list[Any]]


def _run(cursor: sqlite3.Cursor, call: Callable[[], Any]) -> _Outcome:
    """On the connection's thread: the statement, all its rows, and the cursor closed."""
    try:
        call()
        rows = cursor.fetchall() if cursor.description else []
        return cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()


class OneTripCursor:
    """The part of ``aiosqlite.Cursor`` SQLAlchemy uses, one thread hand-off per statement."""

    arraysize = 1

    def __init__(self, connection: OneTripConnection):
        self._connection = connection
        self.description: Any = None
        self.rowcount = -1
        self.lastrowid: int | None = None
        self._rows: deque[Any] = deque()

    async def __aenter__(self) -> OneTripCursor:
        return self

    async def __aexit__(self, *_: object) -> None:
        return None

    async def _trip(self, work: Callable[[sqlite3.Cursor], Any]) -> OneTripCursor:
        def on_thread() -> _Outcome:
            cursor = self._connection._conn.cursor()
            return _run(cursor, lambda: work(cursor))

        self.description, self.rowcount, self.lastrowid, rows = await self._connection._execute(on_thread)
        self._rows = deque(rows)
        return self

    async def execute(
        self, sql: str, parameters: Sequence[Any] | dict[str, Any] | None = None
    ) -> OneTripCursor:
        return await self._trip(lambda cursor: cursor.execute(sql, () if parameters is None else parameters))

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> OneTripCursor:
        return await self._trip(lambda cursor: cursor.executemany(sql, parameters))

    async def executescript(self, script: str) -> OneTripCursor:
        return await self._trip(lambda cursor: cursor.executescript(script))

    async def fetchone(self) -> Any:
        return self._rows.popleft() if self._rows else None

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        count = self.arraysize if size is None else size
        return [self._rows.popleft() for _ in range(min(count, len(self._rows)))]

    async def fetchall(self) -> list[Any]:
        rows, self._rows = list(self._rows), deque()
        return rows

    async def close(self) -> None:
        self._rows.clear()


class OneTripConnection(aiosqlite.Connection):
    """An aiosqlite connection whose cursors make one trip to its thread per statement."""

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    def _idle(self) -> bool:
        # SQLite's autocommit flag, read without a trip: no transaction is open on this connection.
        return self._connection is not None and not self._connection.in_transaction

    async def commit(self) -> None:
        if not self._idle():
            await super().commit()

    async def rollback(self) -> None:
        # SQLAlchemy rolls back every connection it returns to the pool, after reads and
        # commits too: with nothing open that is a trip for nothing.
        if not self._idle():
            await super().rollback()


def connector(database: str, **options: Any) -> Callable[[], OneTripConnection]:
    """An ``async_creator`` for SQLAlchemy: a new connection to ``database`` each call."""

    def create() -> OneTripConnection:
        connection = OneTripConnection(lambda: sqlite3.connect(database, **options), iter_chunk_size=64)
        connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite: never hold up exit
        return connection

    return create
