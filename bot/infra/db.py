"""The database: one async engine, sessions per unit of work, and serialized SQLite writes.

SQLite takes one writer at a time. Rather than let pooled connections fight over the
write lock (and surface "database is locked" to a member mid-report), every write
transaction in this process goes through one asyncio lock. PostgreSQL needs no lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.dialects.sqlite.aiosqlite import SQLiteDialect_aiosqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from bot.infra.sqlite_driver import connector as one_trip_connector
from models import TextCipher, bind_cipher
from models.sealed import bound_cipher

log = logging.getLogger(__name__)
T = TypeVar("T")

SQLITE_BUSY_TIMEOUT_MS = 5000
_TRANSIENT_ATTEMPTS = 4


def is_transient(error: BaseException) -> bool:
    """A failure worth retrying: SQLite busy/locked, PostgreSQL serialization or deadlock, a dropped link."""
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    text = str(getattr(error, "orig", error)).lower()
    markers = ("database is locked", "database is busy", "could not serialize", "deadlock detected")
    return isinstance(error, OperationalError | DBAPIError) and any(m in text for m in markers)


def normalise_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, sqlite:///) and pick the async drivers."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url.removeprefix("postgres://")
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername == "sqlite":
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed.render_as_string(hide_password=False)


class Database:
    """Owns the engine and the session factory; open it with ``async with Database.open(url)``."""

    def __init__(self, engine: AsyncEngine):
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self.is_sqlite = engine.dialect.name == "sqlite"
        # In memory, safe to lose: it only orders this process's writers (SQLite has one at a time).
        self._write_lock = asyncio.Lock() if self.is_sqlite else None

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, url: str) -> AsyncIterator[Database]:
        engine = create_engine(url)
        try:
            yield cls(engine)
        finally:
            await engine.dispose()

    def seal_with(self, cipher: TextCipher) -> None:
        """Encrypt and decrypt every sealed column (models/sealed.py) with ``cipher``.

        Bound to this engine's dialect, which is where the column type looks for it: each
        Database (each engine) carries its own keys.
        """
        bind_cipher(self.engine.sync_engine.dialect, cipher)

    @property
    def cipher(self) -> TextCipher:
        """The keys this database's sealed columns use (raises when none were bound)."""
        return bound_cipher(self.engine.sync_engine.dialect)

    @contextlib.asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for reads; nothing it does is committed."""
        async with self.sessions() as session:
            yield session

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One write unit of work: commits on success, rolls back on error."""
        lock = self._write_lock or contextlib.nullcontext()
        async with lock, self.sessions() as session, session.begin():
            yield session

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run ``work`` in a transaction, retrying it whole when the database is briefly busy."""
        for attempt in range(1, _TRANSIENT_ATTEMPTS + 1):
            try:
                async with self.transaction() as session:
                    return await work(session)
            except Exception as exc:
                if attempt == _TRANSIENT_ATTEMPTS or not is_transient(exc):
                    raise
                delay = 0.05 * 2**attempt
                log.warning("database busy (attempt %d), retrying in %.2fs: %s", attempt, delay, exc)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:
            return False


def create_engine(url: str) -> AsyncEngine:
    url = normalise_url(url)
    parsed = make_url(url)
    # A failed statement's message would otherwise quote its parameters, which are the plain
    # words before the sealed column type encrypts them; errors get logged.
    kwargs: dict[str, Any] = {"hide_parameters": True}
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # One trip to SQLite's thread per statement (bot/infra/sqlite_driver.py), opened with
        # what SQLAlchemy's own aiosqlite dialect would pass for this URL.
        args, options = SQLiteDialect_aiosqlite().create_connect_args(parsed)
        options["timeout"] = SQLITE_BUSY_TIMEOUT_MS / 1000
        kwargs["async_creator"] = one_trip_connector(*args, **options)
    else:
        kwargs.update(pool_pre_ping=True, pool_size=10, max_overflow=10)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while the one writer writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Deleted and overwritten content is zeroed in the file rather than left in free space
    # (words cleared by /privacy, the retention purge, or a migration that sealed them).
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()
