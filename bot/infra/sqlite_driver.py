"""aiosqlite with one trip to its thread per statement instead of four, and none for a quick read.

aiosqlite runs each SQLite connection in a thread of its own and hands it every call: making
a cursor, executing, fetching the rows and closing the cursor are four hand-offs, each a
queue put, a thread wake-up and a self-pipe write back to the event loop (about 0.15 ms of CPU
each on the 2-core machine, where SQLite answers a look-up by key in a few microseconds).
SQLAlchemy's aiosqlite adapter makes those four calls for every statement, so under load
Tend's event loop spent more time passing statements to SQLite than SQLite spent running them.

:class:`OneTripConnection` is an ``aiosqlite.Connection`` whose cursors do the whole statement
— execute, fetch every row, close — in one call on the connection's thread, and answer
``fetch*`` from the rows they brought back. A SELECT first runs right here on the event loop,
where it may neither wait for a lock (busy timeout 0) nor run long (SQLite's progress handler
stops it after about 20,000 steps of its engine); a read that would do either is run on the
thread instead, as before. WAL mode (bot/infra/db.py) means readers never wait for the writer.
Everything else (transactions, functions, closing) is aiosqlite's own. SQLAlchemy is given it
through ``async_creator``; an in-memory database (one thread only) makes every call a trip.
"""

from __future__ import annotations

import sqlite3
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import aiosqlite

_Outcome = tuple[Any, int, int | None, list[Any]]
INLINE_STEPS = 1000  # SQLite VM steps between looks at the budget
INLINE_BUDGET = 20  # looks: about 20,000 steps, well under a millisecond


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
        params = () if parameters is None else parameters
        if self._connection.inline_reads and sql.lstrip()[:6].upper() == "SELECT":
            outcome = self._connection.read_inline(sql, params)
            if outcome is not None:
                self.description, self.rowcount, self.lastrowid, rows = outcome
                self._rows = deque(rows)
                return self
        return await self._trip(lambda cursor: cursor.execute(sql, params))

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

    inline_reads = False
    busy_timeout_ms = 5000

    def cursor(self) -> OneTripCursor:  # type: ignore[override]
        return OneTripCursor(self)

    def read_inline(self, sql: str, parameters: Any) -> _Outcome | None:
        """A read run here, on the event loop, when it is quick: never waiting for a lock (busy
        timeout 0) and stopped after ``INLINE_BUDGET`` looks of SQLite's engine. None: run it on
        the thread instead (it was slow, or waited for a lock)."""
        connection = self._connection
        if connection is None:
            return None
        steps = [0]

        def budget() -> int:
            steps[0] += 1
            return 1 if steps[0] > INLINE_BUDGET else 0

        connection.execute("PRAGMA busy_timeout=0")
        connection.set_progress_handler(budget, INLINE_STEPS)
        try:
            cursor = connection.cursor()
            return _run(cursor, lambda: cursor.execute(sql, parameters))
        except sqlite3.OperationalError:
            return None
        finally:
            connection.set_progress_handler(None, 0)
            connection.execute(f"PRAGMA busy_timeout={self.busy_timeout_ms}")

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
        connection.inline_reads = options.get("check_same_thread") is False
        connection.busy_timeout_ms = int(options.get("timeout", 5.0) * 1000)
        return connection

    return create
