"""The job engine: durable scheduled items fired by APScheduler, exactly once.

The ``scheduled_items`` table is the truth. APScheduler is only the clock: it holds
in-memory date jobs keyed ``item:<id>`` whose only argument is the id, so nothing is
pickled and a restart loses nothing. On start, and every ``sweep_seconds`` after,
the engine fires what is overdue (oldest first, marked late when Tend was down) and
arms what falls due within the horizon, a page (``window``) at a time: the next page is
armed as the last one fires, so memory and start time don't grow with the backlog.

A job is claimed by a conditional ``UPDATE … WHERE status = 'pending' RETURNING`` in
its own transaction, so two processes on one PostgreSQL never both fire it. A claim
older than the lease is presumed crashed and returned to pending: work that was
claimed but never finished is retried, not lost. Handlers that send to Discord pass
a nonce so a retry after a crash doesn't post twice.
"""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import bindparam, case, literal_column, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.infra.db import Database
from bot.infra.job_types import (
    Clock,
    Finish,
    GiveUp,
    Handler,
    Job,
    JobKind,
    NoPayload,
    Ownership,
    P,
    Recurrence,
    Retry,
)
from models import ScheduledItem, utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")
_ADDED = "tend.jobs.added"
INLINE_GRACE = timedelta(seconds=60)

# Every item ends with it: built once (building a statement costs as much as running it).
_FINISH = (
    update(ScheduledItem)
    .where(ScheduledItem.id == bindparam("item_id"))
    .values(status=bindparam("to"), finished_at=bindparam("at"), last_error=bindparam("error"))
)

__all__ = ["Clock", "Finish", "GiveUp", "Job", "JobEngine", "JobKind", "NoPayload", "Ownership", "Retry"]


class JobEngine:
    def __init__(
        self,
        db: Database,
        scheduler: AsyncIOScheduler,
        *,
        ownership: Ownership | None = None,
        clock: Clock = utcnow,
        lease: timedelta = timedelta(minutes=5),
        late_after: timedelta = timedelta(minutes=2),
        horizon: timedelta = timedelta(hours=1),
        sweep_seconds: float = 60.0,
        max_failures: int = 6,
        concurrency: int = 16,
        window: int = 1000,
        claim_batch: int = 64,
    ):
        self.db = db
        self.scheduler = scheduler
        self.ownership = ownership or Ownership()
        self.clock = clock
        self.lease = lease
        self.late_after = late_after
        self.horizon = horizon
        self.sweep_seconds = sweep_seconds
        self.max_failures = max_failures
        self.window = window  # items armed or fired at a time (see _arm_next)
        self.claim_batch = claim_batch  # due items claimed in one transaction, at most
        # In memory, and safe to lose (a restart rebuilds or doesn't need them):
        # - handlers and recurrences: registered from code at every start;
        # - the slots, the sweep lock and `ready`: this process's pacing only;
        # - in-flight tasks: each item's row says "running" with a lease, so an item a crash
        #   interrupted goes back to pending and runs again (nonces keep Discord from doubling it);
        # - APScheduler's timers: the sweep re-arms every pending item from the database at start.
        self._handlers: dict[str, tuple[JobKind[Any], Handler]] = {}
        self._recurring: dict[str, Recurrence] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._in_flight: set[asyncio.Task[bool]] = set()
        # - which items have a timer, and whether the last page left more: refills only.
        self._armed: set[int] = set()
        self._firing: set[int] = set()  # spawned and not yet finished: a refill skips them
        # - due ids waiting for a slot; one claimer takes as many as there are free slots in
        #   one transaction (a backlog costs a claim per batch, not per item).
        self._to_claim: collections.deque[int] = collections.deque()
        self._claimer: asyncio.Task[bool] | None = None
        self._more_waiting = False
        # - claimed items an interaction added before start: their lease covers a crash.
        self._held: list[list[ScheduledItem]] = []
        self._started = False
        self._sweeping = asyncio.Lock()
        self.ready = asyncio.Event()  # set once the first sweep has run

    # -- wiring -------------------------------------------------------------------------

    def register(
        self,
        kind: JobKind[P],
        handler: Callable[[Job[P]], Awaitable[Finish | None]],
        *,
        every: Callable[[Job[P]], datetime | None] | None = None,
    ) -> None:
        """Handle items of ``kind``. With ``every``, the kind recurs per guild: when an item
        finishes (done or failed), the next one is added in the same transaction, at the
        time ``every(job)`` returns, under a per-guild dedupe key (so one pending at a time).
        """
        if kind.name in self._handlers:
            raise ValueError(f"a handler for {kind.name!r} is already registered")
        self._handlers[kind.name] = (kind, handler)
        if every is not None:
            self._recurring[kind.name] = every

    @staticmethod
    def recurring_key(kind: str, guild_id: int) -> str:
        return f"{kind}:{guild_id}"

    async def ensure_recurring(
        self,
        session: AsyncSession,
        *,
        guild_id: int,
        kind: JobKind[P],
        due_at: datetime,
        payload: P | None = None,
    ) -> ScheduledItem:
        """The guild's pending item of a recurring kind, added at ``due_at`` if there is none."""
        return await self.add(
            session,
            guild_id=guild_id,
            kind=kind,
            due_at=due_at,
            payload=payload,
            dedupe_key=self.recurring_key(kind.name, guild_id),
        )

    async def seed(self, kind: JobKind[Any], due_by_guild: Mapping[int, datetime]) -> None:
        """Make sure each guild has its one pending item of a recurring kind, at the given time.

        Adding is a no-op where one is pending (per-guild dedupe key); a pending one still in
        the future is moved when the config now says another time.
        """
        now = self.clock()

        async def work(session: AsyncSession) -> None:
            for guild_id, due in due_by_guild.items():
                item = await self.ensure_recurring(session, guild_id=guild_id, kind=kind, due_at=due)
                if item.due_at > now and item.due_at != due:
                    item.due_at = due

        await self.db.write(work)

    async def start(self) -> None:
        """Fire what came due while Tend was down, arm the rest, and sweep periodically."""
        if self._started:
            return
        self._started = True
        await self.sweep()
        held, self._held = self._held, []
        for items in held:
            self.spawn_claimed(*items)
        self.ready.set()
        self.scheduler.add_job(
            self.sweep, "interval", seconds=self.sweep_seconds, id="jobs:sweep", replace_existing=True
        )

    def stop(self) -> None:
        self._started = False
        self._armed.clear()
        self._held.clear()
        for job in self.scheduler.get_jobs():
            if job.id.startswith(("item:", "jobs:")):
                job.remove()

    async def wait_idle(self) -> None:
        """Wait until no sweep or job is running (tests and graceful shutdown)."""
        async with self._sweeping:
            pass
        while self._in_flight:
            await asyncio.gather(*list(self._in_flight), return_exceptions=True)

    # -- scheduling -------------------------------------------------------------------------

    async def add(
        self,
        session: AsyncSession,
        *,
        guild_id: int,
        kind: JobKind[P],
        due_at: datetime,
        case_id: int | None = None,
        target_id: int | None = None,
        payload: P | None = None,
        created_by: int | None = None,
        dedupe_key: str | None = None,
        claimed: bool = False,
        fresh: bool = False,
    ) -> ScheduledItem:
        """Add an item inside the caller's transaction; call :meth:`arm` after it commits.

        With a ``dedupe_key``, an item already pending under that key is returned instead
        (``fresh``: the caller knows none can exist, e.g. the key names a case made in this very
        transaction, so the look is skipped). ``claimed``: the item is added already claimed by
        this process, to be run inline with :meth:`run_claimed` once the transaction commits (the
        claim's own write saved); a crash before it finishes leaves it to the lease, like any
        claimed item.
        """
        stored = kind.dump(payload if payload is not None else kind.payload())
        added: list[ScheduledItem] = session.info.get(_ADDED, [])
        if claimed:
            now = self.clock()
            item = ScheduledItem(
                guild_id=guild_id,
                kind=kind.name,
                due_at=due_at.astimezone(UTC),
                case_id=case_id,
                target_id=target_id,
                payload=stored,
                created_by=created_by,
                created_at=now,
                status="running",
                # Inline work is quick: if it isn't finished within a minute, the process is
                # presumed gone and the sweep runs it again (nonces keep Discord from doubling).
                claimed_at=now - self.lease + INLINE_GRACE,
                attempts=1,
            )
            session.add(item)
            return item
        if dedupe_key is not None and not fresh:
            # FOR UPDATE: a claim of this item waits until our transaction commits, so the job
            # then sees what we changed (else a refresh asked for mid-claim could be lost).
            existing = await session.scalar(
                select(ScheduledItem).where(ScheduledItem.dedupe_key == dedupe_key).with_for_update()
            )
            if existing is not None:
                added.append(existing)
                return existing
        item = ScheduledItem(
            guild_id=guild_id,
            kind=kind.name,
            due_at=due_at.astimezone(UTC),
            case_id=case_id,
            target_id=target_id,
            payload=stored,
            created_by=created_by,
            dedupe_key=dedupe_key,
            created_at=self.clock(),
        )
        added.append(item)
        if dedupe_key is None or fresh:
            # Flushed with the rest of the transaction (one INSERT for many items).
            session.add(item)
            return item
        try:
            async with session.begin_nested():  # another process may add the same key at once
                session.add(item)
                await session.flush()
        except IntegrityError:
            found = await session.scalar(select(ScheduledItem).where(ScheduledItem.dedupe_key == dedupe_key))
            if found is None:
                raise
            return found
        return item

    async def write(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """A unit of work (``Database.write``) that may add items: once it commits, each pending
        item it added is armed, with no read to find them (claimed ones are the caller's to run)."""
        added: list[ScheduledItem] = []

        async def tracked(session: AsyncSession) -> T:
            added.clear()  # a busy-database retry runs the work again from the start
            session.info[_ADDED] = added
            return await work(session)

        result = await self.db.write(tracked)
        for item in added:
            if item.status == "pending":
                self.arm(item)
        return result

    def arm(self, item: ScheduledItem) -> None:
        """Make sure a committed item fires on time in this process (the sweep is the safety net)."""
        self._arm(item.id, item.guild_id, item.due_at)

    def _arm(self, item_id: int, guild_id: int, due_at: datetime) -> None:
        if not self._started or not self.ownership.owns(guild_id):
            return
        delay = (due_at - self.clock()).total_seconds()
        if delay <= 0:
            self._spawn(item_id)
        elif delay <= self.horizon.total_seconds():
            self._armed.add(item_id)
            # APScheduler runs on the machine's time: the one place the real time is right.
            run_at = datetime.now(UTC) + timedelta(seconds=delay)
            self.scheduler.add_job(
                self._on_clock,
                "date",
                run_date=run_at,
                args=[item_id],
                id=f"item:{item_id}",
                replace_existing=True,
                misfire_grace_time=None,  # APScheduler's 1 s default would silently drop late jobs
            )

    async def cancel(
        self, session: AsyncSession, *, case_id: int, kinds: Iterable[JobKind[Any]] | None = None
    ) -> int:
        """Cancel a case's pending items (inside the caller's transaction)."""
        stmt = (
            update(ScheduledItem)
            .where(ScheduledItem.case_id == case_id, ScheduledItem.status == "pending")
            .values(status="cancelled", finished_at=self.clock(), dedupe_key=None)
        )
        if kinds is not None:
            stmt = stmt.where(ScheduledItem.kind.in_([kind.name for kind in kinds]))
        result = await session.execute(stmt)
        return int(getattr(result, "rowcount", 0) or 0)

    # -- the sweep ----------------------------------------------------------------------

    async def sweep(self) -> None:
        async with self._sweeping:
            await self._sweep()
        self._refill()  # items that finished while the sweep held the lock may have asked

    async def _sweep(self) -> None:
        now = self.clock()
        await self._reclaim_expired(now)
        await self._arm_next(now)

    async def _arm_next(self, now: datetime) -> None:
        """Fire what is overdue and arm what falls due within the horizon: the next ``window``
        items only, so a hundred thousand due this hour cost one page, not a hundred thousand
        timers. As they fire, the next page is armed (:meth:`_refill`)."""
        query = (
            select(ScheduledItem.id, ScheduledItem.guild_id, ScheduledItem.due_at)
            .where(ScheduledItem.status == "pending", ScheduledItem.due_at <= now + self.horizon)
            .order_by(ScheduledItem.due_at, ScheduledItem.id)
            .limit(self.window)
        )
        if self.ownership.shard_ids is not None:  # only this process's guilds (Discord's shard formula)
            # Literals, not parameters: PostgreSQL has no bigint >> bigint.
            shard = ScheduledItem.guild_id.op(">>")(literal_column("22")).op("%")(
                literal_column(str(int(self.ownership.shard_count)))
            )
            query = query.where(shard.in_(sorted(self.ownership.shard_ids)))
        async with self.db.read() as session:
            rows = (await session.execute(query)).all()
        self._more_waiting = len(rows) == self.window
        for count, row in enumerate(rows, start=1):
            if row.due_at <= now:
                self._spawn(row.id)
            else:
                self._arm(row.id, row.guild_id, row.due_at)
            if count % 500 == 0:
                # Arming costs APScheduler ~0.3 ms an item: let interactions in between batches
                # (the 3-second rule).
                await asyncio.sleep(0)

    def _refill(self) -> None:
        """When most of the armed page has fired and more was waiting, arm the next page now
        rather than at the next sweep."""
        if not self._more_waiting or not self._started or self._sweeping.locked():
            return
        if len(self._armed) + len(self._firing) > self.window // 2:
            return
        self._more_waiting = False  # one refill at a time; it sets this again
        task = asyncio.get_running_loop().create_task(self._refill_now())
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _refill_now(self) -> bool:
        async with self._sweeping:
            await self._arm_next(self.clock())
        self._refill()
        return True

    async def _reclaim_expired(self, now: datetime) -> None:
        async def reclaim(session: AsyncSession) -> int:
            result = await session.execute(
                update(ScheduledItem)
                .where(ScheduledItem.status == "running", ScheduledItem.claimed_at < now - self.lease)
                .values(status="pending", last_error="lease expired: retried after a crash or stall")
            )
            return int(getattr(result, "rowcount", 0) or 0)

        count = await self.db.write(reclaim)
        if count:
            log.warning("returned %d stalled job(s) to the queue", count)

    # -- firing -------------------------------------------------------------------------

    async def _on_clock(self, item_id: int) -> None:
        # A coroutine, so APScheduler runs it on the event loop (plain functions go to a thread pool).
        self._armed.discard(item_id)
        self._spawn(item_id)

    def _spawn(self, item_id: int) -> None:
        """Queue a due item for the claimer (once: an item of an earlier page still waiting
        for a slot isn't queued again by the next page)."""
        if item_id in self._firing:
            return
        self._firing.add(item_id)
        self._to_claim.append(item_id)
        if self._claimer is None or self._claimer.done():
            self._claimer = self._track(self._claim_waiting())

    def _track(self, work: Coroutine[Any, Any, bool]) -> asyncio.Task[bool]:
        task = asyncio.get_running_loop().create_task(work)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return task

    async def _claim_waiting(self) -> bool:
        """Claim queued items as slots free up, as many at once as there are free slots, and
        run each in its own task. An item is claimed only when a slot is ready to run it, so
        its lease starts when its work does."""
        while self._to_claim:
            await self._slots.acquire()
            held = 1
            while held < min(len(self._to_claim), self.claim_batch) and not self._slots.locked():
                await self._slots.acquire()  # free: returns at once
                held += 1
            ids = [self._to_claim.popleft() for _ in range(min(held, len(self._to_claim)))]
            try:
                jobs = await self._claim_many(ids)
            except Exception:
                log.warning("could not claim %d due item(s); the sweep will retry", len(ids), exc_info=True)
                jobs = []
            for _ in range(held - len(jobs)):
                self._slots.release()
            claimed = {job.id for job in jobs}
            self._firing.difference_update(i for i in ids if i not in claimed)
            for job in jobs:
                self._track(self._run_in_slot(job))
        return True

    async def _run_in_slot(self, job: Job[Any]) -> bool:
        try:
            await self._run(job)
        finally:
            self._slots.release()
            self._firing.discard(job.id)
            self._refill()
        return True

    async def fire(self, item_id: int) -> bool:
        """Claim and run one item. Returns whether this call ran it."""
        async with self._slots:
            job = await self._claim(item_id)
            if job is None:
                return False
            await self._run(job)
            return True

    async def run_now(self, item: ScheduledItem) -> None:
        """Run a committed item now, in this task: one added claimed, or a pending one (claimed
        first, so it still runs once whoever else fires it)."""
        if item.status == "running":
            await self.run_claimed(item)
        else:
            await self.fire(item.id)

    async def run_claimed(self, item: ScheduledItem) -> None:
        """Run, now, an item added with ``claimed=True`` whose transaction has committed."""
        stored = dict(item.payload or {})
        job: Job[Any] = Job(
            id=item.id,
            guild_id=item.guild_id,
            kind=item.kind,
            case_id=item.case_id,
            target_id=item.target_id,
            due_at=item.due_at,
            attempts=item.attempts,
            late=False,
            created_by=item.created_by,
            payload=stored,
            raw_payload=stored,
        )
        async with self._slots:
            await self._run(job)

    def spawn_claimed(self, *items: ScheduledItem | None) -> None:
        """Run claimed items in the background, one after the other (tracked, so shutdown waits
        for them). Before the engine has started they wait for :meth:`start`; after it stopped
        (or if this process dies) each item's short lease hands it to the sweep."""
        mine = [item for item in items if item is not None and self.ownership.owns(item.guild_id)]
        if not mine:
            return
        if not self._started:
            self._held.append(mine)  # an interaction before Tend was ready: run at start
            return
        task = asyncio.get_running_loop().create_task(self._run_claimed_in_turn(mine))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)

    async def _run_claimed_in_turn(self, items: list[ScheduledItem]) -> bool:
        for item in items:
            await self.run_claimed(item)
        return True

    async def _run(self, job: Job[Any]) -> None:
        registered = self._handlers.get(job.kind)
        try:
            if registered is None:
                raise GiveUp(f"no handler for kind {job.kind!r} in this version of Tend")
            kind, handler = registered
            job = dataclasses.replace(job, payload=kind.load(job.raw_payload))
            then = await handler(job)
        except Retry as retry:
            await self._reschedule(job, str(retry), retry.after, count_failure=False)
        except GiveUp as stop:
            await self._finish(job, "failed", str(stop))
            log.error("job %s (%s) failed for good: %s", job.id, job.kind, stop, extra=_context(job))
        except Exception as exc:
            log.exception("job %s (%s) raised", job.id, job.kind, extra=_context(job))
            if job.attempts >= self.max_failures:
                await self._finish(job, "failed", f"{type(exc).__name__}: {exc}")
            else:
                await self._reschedule(job, f"{type(exc).__name__}: {exc}", None, count_failure=True)
        else:
            await self._finish(job, "done", None, then)

    async def _claim(self, item_id: int) -> Job[Any] | None:
        jobs = await self._claim_many([item_id])
        return jobs[0] if jobs else None

    async def _claim_many(self, item_ids: list[int]) -> list[Job[Any]]:
        """Claim those of ``item_ids`` that are still pending and due, in one transaction."""
        now = self.clock()

        async def claim(session: AsyncSession) -> list[Job[Any]]:
            rows = (
                await session.execute(
                    update(ScheduledItem)
                    .where(
                        ScheduledItem.id.in_(item_ids),
                        ScheduledItem.status == "pending",
                        ScheduledItem.due_at <= now,
                    )
                    .values(
                        status="running",
                        claimed_at=now,
                        # Free the key: a newer request of the same kind may queue behind this run.
                        dedupe_key=None,
                        attempts=ScheduledItem.attempts + 1,
                        late=case(
                            (ScheduledItem.due_at < now - self.late_after, True), else_=ScheduledItem.late
                        ),
                    )
                    .returning(
                        ScheduledItem.id,
                        ScheduledItem.guild_id,
                        ScheduledItem.kind,
                        ScheduledItem.case_id,
                        ScheduledItem.target_id,
                        ScheduledItem.due_at,
                        ScheduledItem.attempts,
                        ScheduledItem.late,
                        ScheduledItem.created_by,
                        ScheduledItem.payload,
                    )
                )
            ).all()
            jobs = []
            for row in rows:
                values = row._asdict()
                stored = dict(values.pop("payload") or {})
                jobs.append(Job(**values, payload=stored, raw_payload=stored))
            return sorted(jobs, key=lambda job: (job.due_at, job.id))

        return await self.db.write(claim)

    async def _finish(
        self, job: Job[Any], status: str, error: str | None, then: Finish | None = None
    ) -> None:
        next_due = self._next_due(job)
        registered = self._handlers.get(job.kind)

        async def finish(session: AsyncSession) -> None:
            if then is not None:
                await then(session)  # what the handler did, recorded with its item's end
            await session.execute(
                _FINISH, {"item_id": job.id, "to": status, "at": self.clock(), "error": _clip(error)}
            )
            if next_due is not None and registered is not None:
                # Same transaction: a crash leaves either this run pending or the next one scheduled.
                kind = registered[0]
                await self.ensure_recurring(
                    session,
                    guild_id=job.guild_id,
                    kind=kind,
                    due_at=next_due,
                    payload=kind.load(job.raw_payload),
                )

        await self.write(finish)  # arms what it added: the next run, a card refresh

    def _next_due(self, job: Job[Any]) -> datetime | None:
        every = self._recurring.get(job.kind)
        if every is None:
            return None
        try:
            return every(job)
        except Exception:
            log.exception(
                "job %s (%s): could not work out the next run", job.id, job.kind, extra=_context(job)
            )
            return self.clock() + timedelta(days=1)

    async def _reschedule(
        self, job: Job[Any], reason: str, after: float | None, *, count_failure: bool
    ) -> None:
        delay = after if after is not None else min(5.0 * 2 ** (job.attempts - 1), 600.0)
        due = self.clock() + timedelta(seconds=delay)

        async def again(session: AsyncSession) -> ScheduledItem | None:
            values: dict[str, Any] = {"status": "pending", "due_at": due, "last_error": _clip(reason)}
            if not count_failure:
                # Waiting on Discord is not the job's fault: don't let it count toward giving up.
                values["attempts"] = ScheduledItem.attempts - 1
            await session.execute(update(ScheduledItem).where(ScheduledItem.id == job.id).values(**values))
            return await session.get(ScheduledItem, job.id)

        item = await self.db.write(again)
        log.info("job %s (%s) will retry in %.1fs: %s", job.id, job.kind, delay, reason, extra=_context(job))
        if item is not None:
            self.arm(item)


def _clip(text: str | None) -> str | None:
    return None if text is None else text[:300]


def _context(job: Job[Any]) -> dict[str, Any]:
    return {"guild_id": job.guild_id, "case_id": job.case_id}
