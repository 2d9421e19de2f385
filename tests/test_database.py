from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Connection

from bot.domain.config import parse_settings
from bot.infra.db import Database, normalise_url
from bot.infra.migrate import head_revision, schema_state, upgrade
from bot.process.app import StartupError, ensure_schema
from models import AuditEvent

from .domain import MINIMAL


async def test_migrations_upgrade_an_empty_database(database_url: str) -> None:
    async with Database.open(database_url) as db:
        before = await schema_state(db.engine)
        assert before.current is None and not before.up_to_date
        after = await upgrade(db.engine)
        assert after.current == head_revision() and after.up_to_date
        # Upgrading again is a no-op.
        assert (await upgrade(db.engine)).up_to_date


async def test_the_migrations_build_exactly_what_the_models_declare(database_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from models import Base

    def differences(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with Database.open(database_url) as db:
        await upgrade(db.engine)
        async with db.engine.connect() as connection:
            assert await connection.run_sync(differences) == []


async def test_run_refuses_a_database_behind_and_names_the_fix(database_url: str) -> None:
    settings = parse_settings(MINIMAL, {})
    async with Database.open(database_url) as db:
        with pytest.raises(StartupError, match=r"tend migrate --config conf\.toml"):
            await ensure_schema(db, settings, "conf.toml")
        auto = settings.model_copy(update={"bot": settings.bot.model_copy(update={"auto_migrate": True})})
        await ensure_schema(db, auto, "conf.toml")
        assert (await schema_state(db.engine)).up_to_date


async def test_times_come_back_as_aware_utc(db: Database) -> None:
    when = datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))

    async def add(session):  # type: ignore[no-untyped-def]
        session.add(AuditEvent(guild_id=1 << 60, action="test", created_at=when, actor_id=(1 << 63) - 1))

    await db.write(add)
    async with db.read() as session:
        event = await session.scalar(select(AuditEvent))
    assert event is not None
    assert event.created_at == when and event.created_at.tzinfo == UTC
    # Discord ids use all 64 bits: BigInteger on both backends.
    assert event.actor_id == (1 << 63) - 1 and event.guild_id == 1 << 60


async def test_naive_datetimes_are_refused(db: Database) -> None:
    async def add(session):  # type: ignore[no-untyped-def]
        session.add(AuditEvent(guild_id=1, action="x", created_at=datetime(2026, 1, 1)))

    with pytest.raises(Exception, match="naive datetime"):
        await db.write(add)


async def test_concurrent_writes_all_land(db: Database) -> None:
    async def add_one(i: int) -> None:
        async def work(session):  # type: ignore[no-untyped-def]
            session.add(AuditEvent(guild_id=1, action=f"concurrent-{i}"))
            await asyncio.sleep(0)  # let others interleave inside the transaction

        await db.write(work)

    await asyncio.gather(*(add_one(i) for i in range(100)))
    async with db.read() as session:
        assert await session.scalar(select(func.count()).select_from(AuditEvent)) == 100


async def test_sqlite_pragmas(tmp_path: Path) -> None:
    async with Database.open(f"sqlite:///{tmp_path}/p.db") as db, db.engine.connect() as conn:
        assert (await conn.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
        assert (await conn.execute(text("PRAGMA secure_delete"))).scalar() == 1


async def test_sqlite_makes_one_trip_per_statement_and_keeps_dbapi_behaviour(tmp_path: Path) -> None:
    """bot/infra/sqlite_driver.py: each statement is one call on the connection's thread, and what
    SQLAlchemy reads back (rows, rowcount, RETURNING, errors, rollbacks) is what aiosqlite gives."""
    from sqlalchemy.exc import IntegrityError

    from bot.infra.sqlite_driver import OneTripConnection

    async with Database.open(f"sqlite:///{tmp_path}/t.db") as db:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, word TEXT UNIQUE)"))
            await conn.execute(text("INSERT INTO t (word) VALUES (:w)"), [{"w": f"w{i}"} for i in range(5)])
        async with db.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            assert isinstance(driver, OneTripConnection)
            trips = 0
            real = driver._execute

            async def counted(fn: object, *args: object) -> object:
                nonlocal trips
                trips += 1
                return await real(fn, *args)  # type: ignore[arg-type]

            driver._execute = counted  # type: ignore[method-assign]
            # A quick read runs on the event loop: no trip at all.
            rows = (await conn.execute(text("SELECT id, word FROM t ORDER BY id"))).all()
            assert [r.word for r in rows] == [f"w{i}" for i in range(5)] and trips == 0
            changed = await conn.execute(text("UPDATE t SET word = word || '!' WHERE id <= 3"))
            assert changed.rowcount == 3 and trips == 1
            # Reads inside a write transaction see it.
            assert (await conn.execute(text("SELECT word FROM t WHERE id = 1"))).scalar() == "w0!"
            returned = await conn.execute(text("UPDATE t SET word = 'x' WHERE id = 5 RETURNING id, word"))
            assert returned.one() == (5, "x")
            await conn.rollback()  # the updates were in a transaction: really undone
            assert (await conn.execute(text("SELECT word FROM t WHERE id = 1"))).scalar() == "w0"
            with pytest.raises(IntegrityError):
                await conn.execute(text("INSERT INTO t (word) VALUES ('w1')"))
            await conn.rollback()
            trips = 0
            await conn.rollback()  # nothing open: no trip
            assert trips == 0
        async with db.engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM t"))).scalar() == 5


async def test_a_slow_or_blocked_read_leaves_the_event_loop_to_sqlites_thread(tmp_path: Path) -> None:
    """Reads run on the event loop only while they are quick and wait for nothing: a long one is
    stopped and run on the connection's thread, and so is one that would wait for a lock."""
    path = tmp_path / "slow.db"
    async with Database.open(f"sqlite:///{path}") as db:
        async with db.engine.begin() as conn:
            await conn.execute(text("CREATE TABLE n (v INTEGER)"))
            await conn.execute(text("INSERT INTO n (v) VALUES (:v)"), [{"v": v} for v in range(60_000)])
        async with db.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            trips = 0
            real = driver._execute

            async def counted(fn: object, *args: object) -> object:
                nonlocal trips
                trips += 1
                return await real(fn, *args)  # type: ignore[arg-type]

            driver._execute = counted  # type: ignore[method-assign]
            # Too long for the event loop: stopped there, answered from the thread, whole.
            total = (await conn.execute(text("SELECT sum(a.v % 7) FROM n a"))).scalar()
            assert total == sum(v % 7 for v in range(60_000)) and trips == 1

            # On the loop a read never waits for a lock (a busy database sends it to the thread,
            # which waits its 5 s); the connection's own timeout is back afterwards.
            trips = 0
            inline = (await conn.execute(text("SELECT * FROM pragma_busy_timeout"))).scalar()
            assert inline == 0 and trips == 0
            after = await real(lambda: driver._conn.execute("PRAGMA busy_timeout").fetchone())
            assert after == (5000,)


def test_urls_people_paste_get_async_drivers() -> None:
    assert normalise_url("postgres://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert normalise_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
