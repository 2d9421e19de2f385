"""Real databases for tests: a fresh SQLite file, or a freshly emptied PostgreSQL schema."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, create_async_engine

from bot.infra.crypto import Cipher
from bot.infra.db import Database, normalise_url
from bot.infra.migrate import upgrade

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
_pg_problem: list[str | None] = []


def postgres_url() -> str:
    return normalise_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_PG))


async def _probe_postgres() -> str | None:
    engine = create_async_engine(postgres_url())
    try:
        async with asyncio.timeout(5), engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return None
    except Exception as exc:  # any failure means: skip, and say why
        return f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    finally:
        await engine.dispose()


async def postgres_or_skip() -> str:
    """The PostgreSQL URL with an empty public schema, or a pytest skip that says why."""
    if not _pg_problem:
        _pg_problem.append(await _probe_postgres())
    if _pg_problem[0] is not None:
        pytest.skip(f"PostgreSQL not reachable at {postgres_url()} ({_pg_problem[0]}); set TEST_DATABASE_URL")
    engine = create_async_engine(postgres_url())
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()
    return postgres_url()


async def database_url_for(backend: str, tmp_path: os.PathLike[str]) -> str:
    if backend == "sqlite":
        return f"sqlite+aiosqlite:///{os.fspath(tmp_path)}/tend.db"
    return await postgres_or_skip()


async def migrated_database(url: str) -> AsyncIterator[Database]:
    async with Database.open(url) as db:
        await upgrade(db.engine)
        db.seal_with(Cipher([Cipher.generate_key()]))
        yield db


def raw_sqlite_files(folder: Path, name: str = "tend.db") -> bytes:
    """The SQLite file and its write-ahead log (and any journal), as raw bytes."""
    return b"".join(p.read_bytes() for p in sorted(folder.glob(f"{name}*")))


async def raw_value(
    where: AsyncSession | AsyncConnection, table: str, column: str, row_id: int
) -> bytes | None:
    """What the database itself holds in one cell, bypassing the sealed column type."""
    found = (
        await where.execute(text(f"SELECT {column} FROM {table} WHERE id = :id"), {"id": row_id})
    ).scalar()
    return None if found is None else bytes(found)
