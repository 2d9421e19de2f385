"""The job engine under load. Not part of the test suite.

    .venv/bin/python -m benchmarks.scheduler                 # both parts, the README's figures
    .venv/bin/python -m benchmarks.scheduler --pending 20000 --burst 500 --channels 50

1. Rehydrate: a SQLite database with ``--pending`` pending items; time and memory
   (tracemalloc peak) for a fresh engine's start (lease reclaim, the sweep, arming), once
   with the items spread over 30 days (the usual case) and once with every item due within
   the hour (the worst case). The engine arms a page at a time (``JobEngine.window``).
   Targets: < 5 s and < 100 MB.
2. Drain: ``--drain`` items already due, a handler that does nothing (Discord out of the
   way): items finished per second and write transactions per item. Targets: >= 200/s, <= 2.
3. Lateness: ``--burst`` /remind reminders due in the same second, spread over
   ``--channels`` channels, delivered by the real Tend through the Discord simulator with
   rate limits on (``--per-route`` messages per channel per second, as Discord's buckets).
   Lateness = when the simulator stored the message − when the reminder was due; also the
   write transactions each delivered reminder cost (target <= 2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import statistics
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import event, insert, select

from bot.domain.followups import FOLLOWUP_DUE, FollowUpRef
from bot.infra.db import Database
from bot.infra.jobs import Job, JobEngine, JobKind, NoPayload
from bot.infra.migrate import upgrade
from models import FollowUp, ScheduledItem, utcnow

GUILD = 1 << 40


BENCH = JobKind("bench", NoPayload)


async def _noop(job: Job[NoPayload]) -> None:
    return None


async def _fill(db: Database, count: int, spread: timedelta, now: datetime) -> None:
    step = spread / count
    rows = [
        {
            "guild_id": GUILD,
            "kind": "bench",
            "due_at": now + timedelta(minutes=5) + step * n,
            "status": "pending",
            "attempts": 0,
            "payload": {},
            "late": False,
            "created_at": now,
        }
        for n in range(count)
    ]
    async with db.transaction() as session:
        for start in range(0, count, 10_000):
            await session.execute(insert(ScheduledItem), rows[start : start + 10_000])


async def rehydrate(count: int, spread: timedelta) -> tuple[float, float, int]:
    """Seconds and peak MiB for a new engine's start over ``count`` pending items; items armed."""
    with tempfile.TemporaryDirectory() as folder:
        async with Database.open(f"sqlite+aiosqlite:///{folder}/bench.db") as db:
            await upgrade(db.engine)
            now = utcnow()
            await _fill(db, count, spread, now)
            scheduler = AsyncIOScheduler(timezone="UTC")
            scheduler.start()
            try:
                engine = JobEngine(db, scheduler, clock=lambda: now, sweep_seconds=3600)
                engine.register(BENCH, _noop)
                tracemalloc.start()
                began = time.perf_counter()
                await engine.start()
                took = time.perf_counter() - began
                _, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
                armed = sum(1 for j in scheduler.get_jobs() if j.id.startswith("item:"))
                engine.stop()
            finally:
                scheduler.shutdown(wait=False)
    return took, peak / 2**20, armed


def count_commits(db: Database) -> list[int]:
    """A counter of committed write transactions on ``db`` (read sessions end in a rollback)."""
    commits = [0]

    def on_commit(_connection: Any) -> None:
        commits[0] += 1

    event.listen(db.engine.sync_engine, "commit", on_commit)
    return commits


async def drain(count: int) -> tuple[float, float]:
    """Items per second and write transactions per item, for ``count`` items already due."""
    with tempfile.TemporaryDirectory() as folder:
        async with Database.open(f"sqlite+aiosqlite:///{folder}/bench.db") as db:
            await upgrade(db.engine)
            now = utcnow()
            await _fill(db, count, timedelta(seconds=1), now - timedelta(minutes=10))
            scheduler = AsyncIOScheduler(timezone="UTC")
            scheduler.start()
            try:
                engine = JobEngine(db, scheduler, clock=utcnow, sweep_seconds=3600)
                engine.register(BENCH, _noop)
                commits = count_commits(db)
                began = time.perf_counter()
                await engine.start()
                while True:
                    await engine.wait_idle()
                    async with db.read() as session:
                        left = await session.scalar(
                            select(ScheduledItem.id).where(ScheduledItem.status != "done").limit(1)
                        )
                    if left is None:
                        break
                    await asyncio.sleep(0.05)
                took = time.perf_counter() - began
                engine.stop()
            finally:
                scheduler.shutdown(wait=False)
    return count / took, (commits[0] - 1) / count  # less the start's lease reclaim


async def lateness(burst: int, channels: int, per_route: int) -> tuple[list[float], float]:
    from tests.simulator import DiscordSimulator
    from tests.tend import build_world, running_tend

    sim = DiscordSimulator(spec_path=None)
    await sim.start()
    try:
        world = build_world(sim)
        rooms = [sim.add_channel(world.guild, f"room-{n}") for n in range(channels)]
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/tend.db"
            async with running_tend(sim, url, Path(folder), world=world) as tend:
                assert tend.bot is not None
                bot = tend.bot
                # Tend runs on the tests' clock; the simulator stamps messages with the real time.
                due, due_real = tend.clock() + timedelta(seconds=3), utcnow() + timedelta(seconds=3)
                async with tend.db.transaction() as session:
                    for n in range(burst):
                        followup = FollowUp(
                            guild_id=world.guild,
                            kind="reminder",
                            owner_id=world.member,
                            note="stretch your legs",
                            channel_id=rooms[n % channels],
                            due_at=due,
                            first_due_at=due,
                        )
                        session.add(followup)
                        await session.flush()
                        await bot.jobs.add(
                            session,
                            guild_id=world.guild,
                            kind=FOLLOWUP_DUE,
                            due_at=due,
                            target_id=world.member,
                            payload=FollowUpRef(followup.id),
                        )
                sim.enable_rate_limits(per_route=per_route, per_seconds=1.0)
                commits = count_commits(tend.db)
                await bot.jobs.sweep()  # arms them (they're within the horizon)

                def delivered() -> list[dict[str, Any]]:
                    return [m for r in rooms for m in sim.channel_messages(r)]

                await sim.wait_for(lambda: len(delivered()) >= burst, timeout=600, interval=0.2)
                await tend.settle()
                sent = delivered()
                assert len(sent) == burst, f"{len(sent)} of {burst} delivered"
                # Less the sweep's own lease reclaim.
                writes = (commits[0] - 1) / burst
                late = sorted(
                    (datetime.fromisoformat(m["timestamp"]) - due_real).total_seconds() for m in sent
                )
                return late, writes
    finally:
        await sim.stop()


def _percentile(values: list[float], p: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(p) - 1]


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pending", type=int, default=100_000)
    parser.add_argument("--burst", type=int, default=2_000)
    parser.add_argument("--channels", type=int, default=100)
    parser.add_argument("--per-route", type=int, default=5)
    parser.add_argument("--drain", type=int, default=5_000)
    parser.add_argument("--skip-rehydrate", action="store_true")
    parser.add_argument("--skip-drain", action="store_true")
    parser.add_argument("--skip-lateness", action="store_true")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    for name in ("discord", "apscheduler", "bot", "tests"):
        logging.getLogger(name).setLevel(logging.ERROR)

    if not args.skip_rehydrate:
        for label, spread in (
            ("spread over 30 days", timedelta(days=30)),
            ("all due within the hour", timedelta(minutes=50)),
        ):
            took, peak, armed = await rehydrate(args.pending, spread)
            print(
                f"rehydrate {args.pending:,} pending items, {label}: {took:.2f} s (target < 5 s, "
                f"{took / 5:.2f}x), peak {peak:.1f} MiB traced (target < 100 MB, {peak * 1.048576 / 100:.2f}x), "
                f"{armed:,} armed"
            )
    if not args.skip_drain:
        rate, writes = await drain(args.drain)
        print(
            f"drain {args.drain:,} due items, no Discord: {rate:.0f} items/s (target >= 200/s, "
            f"{rate / 200:.1f}x), {writes:.2f} write transactions per item (target <= 2)"
        )
    if not args.skip_lateness:
        began = time.perf_counter()
        late, writes = await lateness(args.burst, args.channels, args.per_route)
        print(
            f"lateness of {args.burst:,} reminders due in the same second over {args.channels} channels "
            f"(rate limit {args.per_route}/s per channel): p50 {_percentile(late, 50):.2f} s, "
            f"p99 {_percentile(late, 99):.2f} s, max {max(late):.2f} s "
            f"(all delivered in {time.perf_counter() - began:.1f} s); "
            f"{writes:.2f} write transactions per reminder (target <= 2)"
        )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
