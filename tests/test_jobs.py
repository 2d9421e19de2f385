"""The job engine against real databases: exactly once, retried, recovered, late-marked."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import select, update

from bot.infra.db import Database
from bot.infra.jobs import GiveUp, Job, JobEngine, JobKind, NoPayload, Ownership, Retry
from models import ScheduledItem

from .clock import TestClock

GUILD = 1 << 40


@pytest.fixture
async def scheduler() -> AsyncIterator[AsyncIOScheduler]:
    sched = AsyncIOScheduler(timezone="UTC")
    sched.start()
    yield sched
    sched.shutdown(wait=False)


def make_engine(db: Database, scheduler: AsyncIOScheduler, clock: TestClock, **kwargs: object) -> JobEngine:
    return JobEngine(db, scheduler, clock=clock, sweep_seconds=3600, **kwargs)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Ping:
    n: int = 0


def kind(name: str) -> JobKind[Any]:
    """A kind for these tests: a ping carries a number, the others nothing."""
    return JobKind(name, Ping if name == "ping" else NoPayload)


async def schedule(
    engine: JobEngine, db: Database, of: JobKind[Any], due_at: datetime, **kwargs: object
) -> int:
    async def add(session):  # type: ignore[no-untyped-def]
        item = await engine.add(session, guild_id=GUILD, kind=of, due_at=due_at, **kwargs)  # type: ignore[arg-type]
        await session.flush()
        return item

    item = await db.write(add)
    engine.arm(item)
    return item.id


async def item(db: Database, item_id: int) -> ScheduledItem:
    async with db.read() as session:
        found = await session.get(ScheduledItem, item_id)
    assert found is not None
    return found


async def test_due_item_fires_once_and_is_done(db: Database, scheduler: AsyncIOScheduler) -> None:
    clock = TestClock()
    engine = make_engine(db, scheduler, clock)
    fired: list[Job] = []

    async def handler(job: Job) -> None:
        fired.append(job)

    engine.register(kind("ping"), handler)
    await engine.start()
    item_id = await schedule(engine, db, kind("ping"), clock(), payload=Ping(1))
    await engine.wait_idle()
    assert [j.id for j in fired] == [item_id] and fired[0].payload == Ping(1) and not fired[0].late
    assert (await item(db, item_id)).status == "done"
    assert await engine.fire(item_id) is False  # already done: a second fire is a no-op


async def test_future_item_fires_when_due_through_apscheduler(
    db: Database, scheduler: AsyncIOScheduler
) -> None:
    clock = TestClock()
    engine = make_engine(db, scheduler, clock)
    done = asyncio.Event()

    async def handler(job: Job) -> None:
        done.set()

    engine.register(kind("soon"), handler)
    await engine.start()
    item_id = await schedule(engine, db, kind("soon"), clock() + timedelta(seconds=0.3))
    assert scheduler.get_job(f"item:{item_id}") is not None
    # No nudge: Tend's clock runs at real speed, in step with APScheduler's, so it is due then.
    await asyncio.wait_for(done.wait(), 5)
    await engine.wait_idle()
    assert (await item(db, item_id)).status == "done"


async def test_items_due_while_down_fire_first_in_order_marked_late(
    db: Database, scheduler: AsyncIOScheduler
) -> None:
    clock = TestClock()
    first = make_engine(db, scheduler, clock)
    first.register(kind("checkin"), _noop)
    ids = [await schedule(first, db, kind("checkin"), clock() + timedelta(hours=h)) for h in (3, 1, 2)]
    # "Tend was down" for four hours; a new engine starts.
    clock.advance(hours=4)
    order: list[int] = []

    async def record(job: Job) -> None:
        order.append(job.id)
        assert job.late

    engine = make_engine(db, scheduler, clock, concurrency=1)
    engine.register(kind("checkin"), record)
    await engine.start()
    await engine.wait_idle()
    assert order == [ids[1], ids[2], ids[0]]
    assert [(await item(db, i)).late for i in ids] == [True, True, True]


async def test_retry_reschedules_without_counting_and_give_up_fails(
    db: Database, scheduler: AsyncIOScheduler
) -> None:
    clock = TestClock()
    engine = make_engine(db, scheduler, clock)
    calls = {"flaky": 0}

    async def flaky(job: Job) -> None:
        calls["flaky"] += 1
        if calls["flaky"] < 3:
            raise Retry("Discord answered 503", after=60)

    async def doomed(job: Job) -> None:
        raise GiveUp("channel deleted")

    engine.register(kind("flaky"), flaky)
    engine.register(kind("doomed"), doomed)
    await engine.start()
    flaky_id = await schedule(engine, db, kind("flaky"), clock())
    doomed_id = await schedule(engine, db, kind("doomed"), clock())
    await engine.wait_idle()
    pending = await item(db, flaky_id)
    assert pending.status == "pending" and pending.attempts == 0 and "503" in (pending.last_error or "")
    for _ in range(2):
        clock.advance(seconds=61)
        await engine.sweep()
        await engine.wait_idle()
    assert (await item(db, flaky_id)).status == "done" and calls["flaky"] == 3
    failed = await item(db, doomed_id)
    assert failed.status == "failed" and failed.last_error == "channel deleted"


async def test_a_crash_after_claim_is_retried_after_the_lease(
    db: Database, scheduler: AsyncIOScheduler
) -> None:
    clock = TestClock()
    engine = make_engine(db, scheduler, clock)
    seen: list[int] = []

    async def handler(job: Job) -> None:
        seen.append(job.attempts)

    engine.register(kind("send"), handler)
    item_id = await schedule(engine, db, kind("send"), clock())
    # Simulate a process that claimed the item and died before finishing it.
    async with db.transaction() as session:
        await session.execute(
            update(ScheduledItem)
            .where(ScheduledItem.id == item_id)
            .values(status="running", claimed_at=clock())
        )
    await engine.start()
    await engine.wait_idle()
    assert seen == []  # still inside the lease: nobody else touches it
    clock.advance(minutes=6)
    await engine.sweep()
    await engine.wait_idle()
    assert seen == [1] and (await item(db, item_id)).status == "done"


async def test_two_engines_racing_for_the_same_items_fire_each_once(
    db: Database, scheduler: AsyncIOScheduler
) -> None:
    clock = TestClock()
    fired: list[int] = []

    async def handler(job: Job) -> None:
        fired.append(job.id)
        await asyncio.sleep(0.01)

    engines = [make_engine(db, scheduler, clock) for _ in range(2)]
    for engine in engines:
        engine.register(kind("race"), handler)
    ids = [await schedule(engines[0], db, kind("race"), clock() - timedelta(seconds=1)) for _ in range(20)]
    await asyncio.gather(*(engine.fire(i) for i in ids for engine in engines))
    assert sorted(fired) == sorted(ids)


async def test_dedupe_key_keeps_one_pending_item_and_frees_it_when_claimed(
    db: Database, scheduler: AsyncIOScheduler
) -> None:
    clock = TestClock()
    engine = make_engine(db, scheduler, clock)
    engine.register(kind("card"), _noop)
    await engine.start()
    first = await schedule(engine, db, kind("card"), clock() + timedelta(hours=2), dedupe_key="card:1")
    again = await schedule(engine, db, kind("card"), clock() + timedelta(hours=2), dedupe_key="card:1")
    assert again == first
    clock.advance(hours=3)
    await engine.sweep()
    await engine.wait_idle()
    assert (await item(db, first)).status == "done"
    later = await schedule(engine, db, kind("card"), clock() + timedelta(hours=2), dedupe_key="card:1")
    assert later != first


async def test_a_process_runs_only_the_guilds_on_its_shards(
    db: Database, scheduler: AsyncIOScheduler
) -> None:
    clock = TestClock()
    mine, theirs = (0 << 22) | 7, (1 << 22) | 7  # shard 0 and shard 1 of 2
    engine = make_engine(db, scheduler, clock, ownership=Ownership(2, frozenset({0})))
    fired: list[int] = []

    async def handler(job: Job) -> None:
        fired.append(job.guild_id)

    engine.register(kind("x"), handler)
    for guild in (mine, theirs):
        async with db.transaction() as session:
            await engine.add(session, guild_id=guild, kind=kind("x"), due_at=clock())
    await engine.start()
    await engine.wait_idle()
    assert fired == [mine]


async def _noop(job: Job) -> None:
    return None


async def test_a_recurring_kind_schedules_its_next_run_as_it_finishes_one_pending_per_guild(
    db: Database, scheduler: AsyncIOScheduler
) -> None:
    clock = TestClock()
    engine = make_engine(db, scheduler, clock)
    runs: list[datetime] = []

    async def digest(job: Job) -> None:
        runs.append(job.due_at)
        if len(runs) == 2:
            raise GiveUp("a bad week")  # a failed run still schedules the next one

    engine.register(kind("digest"), digest, every=lambda job: job.due_at + timedelta(days=7))

    async def seed(session):  # type: ignore[no-untyped-def]
        return await engine.ensure_recurring(session, guild_id=GUILD, kind=kind("digest"), due_at=clock())

    first = await db.write(seed)
    assert (await db.write(seed)).id == first.id  # seeding twice (or by two processes) adds nothing
    await engine.start()
    await engine.wait_idle()
    for _ in range(2):
        clock.advance(days=7)
        await engine.sweep()
        await engine.wait_idle()
    assert runs == [first.due_at + timedelta(days=7 * n) for n in range(3)]
    async with db.read() as session:
        rows = (await session.scalars(select(ScheduledItem).order_by(ScheduledItem.id))).all()
    assert [r.status for r in rows] == ["done", "failed", "done", "pending"]
    assert rows[-1].dedupe_key == f"digest:{GUILD}" and rows[-1].due_at == first.due_at + timedelta(days=21)


async def test_a_backlog_is_armed_a_page_at_a_time_and_all_of_it_fires(
    db: Database, scheduler: AsyncIOScheduler
) -> None:
    """More items due than the window: the first page is fired or armed, the rest follow as
    it drains, each once, and the engine never holds more than a page of timers."""
    clock = TestClock()
    engine = make_engine(db, scheduler, clock, window=10)
    fired: list[int] = []
    most_armed = 0

    async def handler(job: Job) -> None:
        nonlocal most_armed
        most_armed = max(most_armed, len(scheduler.get_jobs()))
        fired.append(job.id)

    engine.register(kind("tick"), handler)

    async def add_many(session):  # type: ignore[no-untyped-def]
        for n in range(25):  # 25 overdue (a restart after downtime)
            await engine.add(
                session, guild_id=GUILD, kind=kind("tick"), due_at=clock() - timedelta(minutes=n)
            )
        for n in range(15):  # and 15 due in the next seconds
            await engine.add(
                session, guild_id=GUILD, kind=kind("tick"), due_at=clock() + timedelta(seconds=1 + n / 10)
            )

    await db.write(add_many)
    await engine.start()
    armed_at_start = sum(1 for j in scheduler.get_jobs() if j.id.startswith("item:"))
    assert armed_at_start <= 10
    for _ in range(100):
        await engine.wait_idle()
        if len(fired) == 40:
            break
        await asyncio.sleep(0.1)
    assert sorted(fired) == sorted(set(fired)) and len(fired) == 40
    assert most_armed <= 10 + 1  # a page of item timers (+ the sweep's own)
    async with db.read() as session:
        statuses = set((await session.scalars(select(ScheduledItem.status))).all())
    assert statuses == {"done"}
    engine.stop()


async def test_a_claimed_item_added_before_start_runs_at_start(
    db: Database, scheduler: AsyncIOScheduler
) -> None:
    """An interaction answered in the moment before Tend is ready: its card waits for the
    engine's start, not for its lease to run out."""
    clock = TestClock()
    engine = make_engine(db, scheduler, clock)
    fired: list[int] = []

    async def handler(job: Job) -> None:
        fired.append(job.id)

    engine.register(kind("card"), handler)

    async def add(session):  # type: ignore[no-untyped-def]
        return await engine.add(session, guild_id=GUILD, kind=kind("card"), due_at=clock(), claimed=True)

    claimed = await db.write(add)
    engine.spawn_claimed(claimed)
    await asyncio.sleep(0.05)
    assert fired == []  # not started yet
    await engine.start()
    await engine.wait_idle()
    assert fired == [claimed.id] and (await item(db, claimed.id)).status == "done"
    engine.stop()


@pytest.mark.parametrize("concurrency", [2, 16])
async def test_a_backlog_costs_at_most_two_writes_an_item_however_it_is_paged(
    db: Database, scheduler: AsyncIOScheduler, concurrency: int
) -> None:
    """Items of one page still waiting for a slot when the next page is read are not claimed
    twice, and due items are claimed together when slots are free: every item costs its finish
    and at most one claim (with room to run, a batch shares one)."""
    from sqlalchemy import event

    clock = TestClock()
    engine = make_engine(db, scheduler, clock, window=10, concurrency=concurrency)
    fired: list[int] = []

    async def handler(job: Job) -> None:
        await asyncio.sleep(0)
        fired.append(job.id)

    engine.register(kind("tick"), handler)

    async def add_many(session):  # type: ignore[no-untyped-def]
        for n in range(40):
            await engine.add(
                session, guild_id=GUILD, kind=kind("tick"), due_at=clock() - timedelta(seconds=n)
            )

    await db.write(add_many)
    commits = [0]

    def count(_connection: object) -> None:
        commits[0] += 1

    event.listen(db.engine.sync_engine, "commit", count)
    try:
        await engine.start()
        for _ in range(100):
            await engine.wait_idle()
            if len(fired) == 40:
                break
            await asyncio.sleep(0.05)
    finally:
        event.remove(db.engine.sync_engine, "commit", count)
        engine.stop()
    assert sorted(fired) == sorted(set(fired)) and len(fired) == 40
    claims = commits[0] - 1 - 40  # less the start's lease reclaim and a finish each
    assert claims <= 40
    if concurrency > 10:  # a whole page fits the free slots: claimed a page at a time
        assert claims <= 20
    async with db.read() as session:
        assert set((await session.scalars(select(ScheduledItem.status))).all()) == {"done"}
